import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { wholeRest } from './single-arg.js';
import type { MaintainerInstruction } from './types.js';

export function parseMaintainer(raw: RawInstruction, ctx: ParseContext): MaintainerInstruction | null {
  const name = wholeRest(raw, ctx, '<name>');
  const flags = name === null ? null : checkFlags(raw, {}, ctx);
  if (name === null || !flags) return null;
  ctx.warn('DF2101', 'MAINTAINER is deprecated', raw.positions.range(raw.keyword.start, raw.keyword.end),
    `use LABEL org.opencontainers.image.authors=${JSON.stringify(name)}`);
  return { ...base('MAINTAINER', raw), name };
}
