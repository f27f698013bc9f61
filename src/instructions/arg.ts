import { parseWords } from '../syntax/words.js';
import { argRange, base, type ParseContext, type RawInstruction } from './raw.js';
import type { ArgDeclaration, ArgInstruction } from './types.js';

/** `ARG name[=default] ...`; BuildKit's parseArg never looks at flags, so neither do we. */
export function parseArg(raw: RawInstruction, ctx: ParseContext): ArgInstruction | null {
  const words = parseWords(raw.rest.text, ctx.escapeToken, raw.rest.start);
  if (words.length === 0) {
    ctx.error('DF2001', 'ARG requires at least one argument', argRange(raw), 'write ARG <name>[=<default>]');
    return null;
  }
  const args: ArgDeclaration[] = [];
  for (const w of words) {
    const eq = w.text.indexOf('=');
    if (eq === 0) {
      ctx.error('DF2008', 'ARG names can not be blank', argRange(raw, w));
      return null;
    }
    args.push(eq < 0 ? { name: w.text, defaultValue: null } : { name: w.text.slice(0, eq), defaultValue: w.text.slice(eq + 1) });
  }
  return { ...base('ARG', raw), args };
}
