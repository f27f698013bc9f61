import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { commandForm } from './command-form.js';
import type { CmdInstruction } from './types.js';

export function parseCmd(raw: RawInstruction, ctx: ParseContext): CmdInstruction | null {
  const flags = checkFlags(raw, {}, ctx);
  const form = commandForm(raw, raw.rest, ctx);
  if (!flags || !form) return null;
  return { ...base('CMD', raw), ...form };
}
