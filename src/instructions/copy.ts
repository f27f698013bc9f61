import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { sourcesAndDest } from './copy-like.js';
import type { CopyInstruction } from './types.js';

export function parseCopy(raw: RawInstruction, ctx: ParseContext): CopyInstruction | null {
  const flags = checkFlags(raw, { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' }, ctx);
  const sd = sourcesAndDest(raw, ctx);
  if (!flags || !sd) return null;
  const from = flags.string.get('from') ?? null;
  if (from !== null && from.includes('$')) {
    // Docker 20.10 fails later with "invalid reference format"; newer BuildKit rejects it outright.
    ctx.error('DF2007', `variable expansion is not supported for --from (got "${from}")`, raw.flags.find((f) => f.name === 'from')!.range,
      'define a stage with `FROM ${VAR} AS src` (a global ARG) and use COPY --from=src');
    return null;
  }
  return {
    ...base('COPY', raw),
    ...sd,
    from,
    chown: flags.string.get('chown') ?? null,
    chmod: flags.string.get('chmod') ?? null,
    link: flags.bool.get('link') ?? false,
    parents: flags.bool.get('parents') ?? false,
    exclude: flags.strings.get('exclude') ?? [],
    heredocs: raw.heredocs,
  };
}
