import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { sourcesAndDest } from './copy-like.js';
import type { CopyInstruction } from './types.js';

export function parseCopy(raw: RawInstruction, ctx: ParseContext): CopyInstruction | null {
  const flags = checkFlags(raw, { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' }, ctx);
  const sd = sourcesAndDest(raw, ctx);
  if (!flags || !sd) return null;
  // A `$` in --from is not expanded: BuildKit fails before any step, the classic builder at this
  // COPY (recorded: exec-r2-copy-from-arg), so the plan and the executor report it.
  const from = flags.string.get('from') ?? null;
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
