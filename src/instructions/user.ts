import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { wholeRest } from './single-arg.js';
import type { UserInstruction } from './types.js';

export function parseUser(raw: RawInstruction, ctx: ParseContext): UserInstruction | null {
  const user = wholeRest(raw, ctx, '<user>[:<group>]');
  const flags = user === null ? null : checkFlags(raw, {}, ctx);
  if (user === null || !flags) return null;
  return { ...base('USER', raw), user };
}
