import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { keyValues } from './key-value.js';
import type { LabelInstruction } from './types.js';

export function parseLabel(raw: RawInstruction, ctx: ParseContext): LabelInstruction | null {
  const flags = checkFlags(raw, {}, ctx);
  const pairs = keyValues(raw, ctx);
  if (!flags || !pairs) return null;
  return { ...base('LABEL', raw), pairs };
}
