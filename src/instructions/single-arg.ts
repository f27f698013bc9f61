/** USER, WORKDIR, STOPSIGNAL and MAINTAINER take the whole rest of the line as one argument (BuildKit parseString). */
import { argRange, type ParseContext, type RawInstruction } from './raw.js';

export function wholeRest(raw: RawInstruction, ctx: ParseContext, example: string): string | null {
  if (raw.rest.text === '') {
    ctx.error('DF2001', `${raw.kind} requires exactly one argument`, argRange(raw), `write ${raw.kind} ${example}`);
    return null;
  }
  return raw.rest.text;
}
