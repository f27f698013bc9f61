/** Shell form vs exec form for RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD (BuildKit parseMaybeJSON). */
import { parseJson } from '../syntax/words.js';
import type { Span } from '../syntax/words.js';
import { argRange, type ParseContext, type RawInstruction } from './raw.js';
import type { CommandForm } from './types.js';

/** Null when the arguments are a JSON array holding non-strings (an error BuildKit reports). */
export function commandForm(raw: RawInstruction, rest: Span, ctx: ParseContext): CommandForm | null {
  if (rest.text === '') return { form: 'shell', command: '' };
  const json = parseJson(rest.text);
  if (json.kind === 'json') return { form: 'exec', args: json.values };
  if (json.kind === 'not-strings') {
    ctx.error('DF1010', 'when using JSON array syntax, arrays must be comprised of strings only', argRange(raw, rest), 'quote every element, e.g. ["sleep", "10"]');
    return null;
  }
  return { form: 'shell', command: rest.text };
}

