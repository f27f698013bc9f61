import { argRange, base, checkFlags, rawFromLine, type ParseContext, type RawInstruction } from './raw.js';
import type { OnbuildInstruction } from './types.js';

/** `ONBUILD <instruction>`: the trigger is parsed like a top-level instruction. */
export function parseOnbuild(raw: RawInstruction, ctx: ParseContext): OnbuildInstruction | null {
  if (raw.rest.text === '') {
    ctx.error('DF2001', 'ONBUILD requires at least one argument', argRange(raw), 'write ONBUILD <instruction>');
    return null;
  }
  if (!checkFlags(raw, {}, ctx)) return null;
  const sub = rawFromLine(raw.rest.text, raw.rest.start, raw.positions, raw.range, raw.heredocs);
  const kwRange = raw.positions.range(sub.keyword.start, sub.keyword.end);
  if (sub.kind === 'ONBUILD') {
    ctx.error('DF2011', 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed', kwRange);
    return null;
  }
  if (sub.kind === 'FROM' || sub.kind === 'MAINTAINER') {
    ctx.error('DF2011', `${sub.kind} isn't allowed as an ONBUILD trigger`, kwRange);
    return null;
  }
  const trigger = ctx.parseTrigger(sub);
  if (!trigger) return null;
  return { ...base('ONBUILD', raw), trigger };
}
