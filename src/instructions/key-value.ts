/** ENV and LABEL arguments (BuildKit parseNameVal + parseKvps). Values keep their quotes. */
import { parseWords } from '../syntax/words.js';
import { argRange, type ParseContext, type RawInstruction } from './raw.js';
import type { KeyValue } from './types.js';

export function keyValues(raw: RawInstruction, ctx: ParseContext): KeyValue[] | null {
  const kw = raw.kind;
  const words = parseWords(raw.rest.text, ctx.escapeToken, raw.rest.start);
  const first = words[0];
  if (!first) {
    ctx.error('DF2001', `${kw} requires at least one argument`, argRange(raw), `write ${kw} <key>=<value>`);
    return null;
  }
  let pairs: KeyValue[];
  if (!first.text.includes('=')) {
    // Legacy form `ENV key value`: the value is the rest of the line, verbatim.
    const m = /^([^\t\v\f\r ]*)[\t\v\f\r ]+([\s\S]*)$/.exec(raw.rest.text);
    if (!m) {
      ctx.error('DF2008', `${kw} must have two arguments`, argRange(raw), `write ${kw} ${first.text}=<value>`);
      return null;
    }
    pairs = [{ key: m[1]!, value: m[2]! }];
  } else {
    pairs = [];
    for (const w of words) {
      const eq = w.text.indexOf('=');
      if (eq < 0) {
        ctx.error('DF2008', `Syntax error - can't find = in ${JSON.stringify(w.text)}. Must be of the form: name=value`, argRange(raw, w),
          `write ${w.text}=<value>, or quote the value if it contains spaces`);
        return null;
      }
      pairs.push({ key: w.text.slice(0, eq), value: w.text.slice(eq + 1) });
    }
  }
  if (pairs.some((p) => p.key === '')) {
    ctx.error('DF2008', `${kw} names can not be blank`, argRange(raw));
    return null;
  }
  return pairs;
}
