import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { commandForm } from './command-form.js';
import type { EntrypointInstruction } from './types.js';

export function parseEntrypoint(raw: RawInstruction, ctx: ParseContext): EntrypointInstruction | null {
  const flags = checkFlags(raw, {}, ctx);
  const form = commandForm(raw, raw.rest, ctx);
  if (!flags || !form) return null;
  return { ...base('ENTRYPOINT', raw), ...form };
}
