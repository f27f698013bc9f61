/** Sources and destination of COPY and ADD (BuildKit parseMaybeJSONToList + parseSourcesAndDest). */
import { parseJson, splitWhitespace, type Span } from '../syntax/words.js';
import { parseHeredocWord } from '../syntax/heredoc.js';
import { argRange, type ParseContext, type RawInstruction } from './raw.js';

export interface SourcesAndDest {
  sources: string[];
  dest: string;
  json: boolean;
}

export function sourcesAndDest(raw: RawInstruction, ctx: ParseContext): SourcesAndDest | null {
  const kw = raw.kind;
  let words: string[];
  let spans: Span[] | null = null;
  let json = false;
  const parsed = parseJson(raw.rest.text);
  if (parsed.kind === 'not-strings') {
    ctx.error('DF1010', 'when using JSON array syntax, arrays must be comprised of strings only', argRange(raw));
    return null;
  }
  if (parsed.kind === 'json') {
    words = parsed.values;
    json = true;
  } else {
    spans = splitWhitespace(raw.rest.text, raw.rest.start);
    words = spans.map((s) => s.text);
  }
  if (words.length < 2) {
    ctx.error('DF2001', `${kw} requires at least two arguments, but only one was provided. Destination could not be determined`, argRange(raw), `write ${kw} <src>... <dest>`);
    return null;
  }
  const dest = words[words.length - 1]!;
  if (!json && parseHeredocWord(dest)) {
    ctx.error('DF2012', `${kw} cannot accept a heredoc as a destination`, argRange(raw, spans?.[spans.length - 1]));
    return null;
  }
  return { sources: words.slice(0, -1), dest, json };
}
