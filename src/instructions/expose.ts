import { splitWhitespace } from '../syntax/words.js';
import { argRange, base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import type { ExposeInstruction } from './types.js';

/** Ports in source order (BuildKit sorts them; the image config is a set either way). */
export function parseExpose(raw: RawInstruction, ctx: ParseContext): ExposeInstruction | null {
  const ports = splitWhitespace(raw.rest.text).map((s) => s.text);
  if (ports.length === 0) {
    ctx.error('DF2001', 'EXPOSE requires at least one argument', argRange(raw), 'write EXPOSE <port>[/<protocol>]');
    return null;
  }
  if (!checkFlags(raw, {}, ctx)) return null;
  return { ...base('EXPOSE', raw), ports };
}
