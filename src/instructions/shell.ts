import { parseJson } from '../syntax/words.js';
import { argRange, base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import type { ShellInstruction } from './types.js';

export function parseShell(raw: RawInstruction, ctx: ParseContext): ShellInstruction | null {
  const flags = checkFlags(raw, {}, ctx);
  if (!flags) return null;
  const json = raw.rest.text === '' ? { kind: 'json' as const, values: [] } : parseJson(raw.rest.text);
  if (json.kind === 'not-strings') {
    ctx.error('DF1010', 'when using JSON array syntax, arrays must be comprised of strings only', argRange(raw));
    return null;
  }
  if (json.kind === 'json' && json.values.length === 0) {
    ctx.error('DF2001', 'SHELL requires at least one argument', argRange(raw), 'e.g. SHELL ["/bin/bash", "-c"]');
    return null;
  }
  if (json.kind !== 'json') {
    ctx.error('DF2009', 'SHELL requires the arguments to be in JSON form', argRange(raw), `write SHELL ${JSON.stringify(raw.rest.text.split(/\s+/))}`);
    return null;
  }
  return { ...base('SHELL', raw), args: json.values };
}
