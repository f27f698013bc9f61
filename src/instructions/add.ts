import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { sourcesAndDest } from './copy-like.js';
import type { AddInstruction } from './types.js';

export function parseAdd(raw: RawInstruction, ctx: ParseContext): AddInstruction | null {
  const flags = checkFlags(raw, {
    chown: 'string', chmod: 'string', link: 'bool', checksum: 'string', 'keep-git-dir': 'bool', exclude: 'strings', unpack: 'bool',
  }, ctx);
  const sd = sourcesAndDest(raw, ctx);
  if (!flags || !sd) return null;
  return {
    ...base('ADD', raw),
    ...sd,
    chown: flags.string.get('chown') ?? null,
    chmod: flags.string.get('chmod') ?? null,
    link: flags.bool.get('link') ?? false,
    checksum: flags.string.get('checksum') ?? null,
    keepGitDir: flags.bool.get('keep-git-dir') ?? null,
    unpack: flags.bool.get('unpack') ?? null,
    exclude: flags.strings.get('exclude') ?? [],
    heredocs: raw.heredocs,
  };
}
