import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { keyValues } from './key-value.js';
import type { EnvInstruction } from './types.js';

export function parseEnv(raw: RawInstruction, ctx: ParseContext): EnvInstruction | null {
  const flags = checkFlags(raw, {}, ctx);
  const pairs = keyValues(raw, ctx);
  if (!flags || !pairs) return null;
  return { ...base('ENV', raw), pairs };
}
