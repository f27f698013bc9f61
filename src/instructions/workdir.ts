import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { wholeRest } from './single-arg.js';
import type { WorkdirInstruction } from './types.js';

export function parseWorkdir(raw: RawInstruction, ctx: ParseContext): WorkdirInstruction | null {
  const path = wholeRest(raw, ctx, '<path>');
  const flags = path === null ? null : checkFlags(raw, {}, ctx);
  if (path === null || !flags) return null;
  return { ...base('WORKDIR', raw), path };
}
