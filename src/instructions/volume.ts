import { parseJson, splitWhitespace } from '../syntax/words.js';
import { argRange, base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import type { VolumeInstruction } from './types.js';

export function parseVolume(raw: RawInstruction, ctx: ParseContext): VolumeInstruction | null {
  const json = parseJson(raw.rest.text);
  if (json.kind === 'not-strings') {
    ctx.error('DF1010', 'when using JSON array syntax, arrays must be comprised of strings only', argRange(raw));
    return null;
  }
  const words = json.kind === 'json' ? json.values : splitWhitespace(raw.rest.text).map((s) => s.text);
  if (words.length === 0) {
    ctx.error('DF2001', 'VOLUME requires at least one argument', argRange(raw), 'write VOLUME <path>');
    return null;
  }
  if (!checkFlags(raw, {}, ctx)) return null;
  const paths = words.map((w) => w.trim());
  if (paths.some((p) => p === '')) {
    ctx.error('DF2014', 'VOLUME specified can not be an empty string', argRange(raw));
    return null;
  }
  return { ...base('VOLUME', raw), paths, json: json.kind === 'json' };
}
