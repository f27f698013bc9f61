import { posix } from 'node:path';
import type { AddInstruction, CopyInstruction, RunInstruction } from '../../instructions/types.js';
import { processWord } from '../../syntax/lex.js';
import {
  classicContentDigest, classicEntryHash, cleanContextPath, contextManifest, copyBetweenStages, copyDestination, copyFromContext, copyOwnership, ensureParents, matchEntries, patternBase,
  resolveContextSource, type CopyOptions,
} from '../copy-core.js';
import { didYouMean } from '../../diagnostics/suggest.js';
import { hash64, hashJson, manifestText } from '../hash.js';
import { headerString } from '../context/digest.js';
import { hasWildcard, IgnoreMatcher } from '../context/index.js';
import type { ContextEntry } from '../context/index.js';
import type { StageFs } from '../stage-fs.js';
import type { StageState } from '../state.js';
import { expandWord, stepError, type StepContext, type StepOutput } from '../step.js';
import type { ContentSource, FileManifest, KeyParts } from '../types.js';

/**
 * COPY [--from] [--chown] [--chmod] [--link] src... dest. Key (BuildKit §1.2): the destination, the
 * copy options and the content of every selected source (never ENV or USER); --link drops the
 * parent from the key unless --chmod is also given (BuildKit ignores --link then).
 */
export function applyCopy(state: StageState, instruction: CopyInstruction, ctx: StepContext): StepOutput {
  return copyLike(state, instruction, ctx, instruction.from);
}

/** What ADD does beyond COPY. */
export interface AddHooks {
  /** A URL or git source: copies what it can and returns its key identity, or null when the source is local. */
  remote?: (spec: string, dest: { path: string; isDir: boolean }, opts: CopyOptions) => string | null;
  /** Unpacks a local archive into dest; false when the file is not an archive. */
  unpack?: (contextPath: string, dest: string, opts: CopyOptions) => boolean;
}

export function copyLike(
  state: StageState,
  instruction: CopyInstruction | AddInstruction,
  ctx: StepContext,
  from: string | null,
  hooks: AddHooks = {},
): StepOutput {
  if (ctx.builder === 'classic' && instruction.chmod !== null) {
    throw stepError(ctx, instruction, 'DF3211', `the --chmod option requires BuildKit; the classic builder rejects it`, 'Build with BuildKit, or chmod in a RUN step.');
  }
  const own: ReturnType<typeof copyOwnership> & CopyOptions = copyOwnership(state, instruction, ctx);
  if (instruction.exclude.length) {
    const matcher = new IgnoreMatcher(instruction.exclude.map((p) => expandWord(p, state, ctx, instruction)), '--exclude');
    own.exclude = (rel) => matcher.ignores(rel);
  }
  const parents = instruction.kind === 'COPY' && instruction.parents;
  const dest = copyDestination(state, instruction, ctx);
  const heredocNames = new Set(instruction.heredocs.map((h) => `<<${h.name}`));
  const specs = instruction.sources.map((s) => (heredocNames.has(s) || heredocNames.has(s.replace(/^<<-/, '<<')) ? s : expandWord(s, state, ctx, instruction)));
  const manifests: Record<string, FileManifest> = {};
  const content: Record<string, string | null> = {};
  const sources: Record<string, ContentSource> = {};
  // BuildKit keys a source by its position, its base name (parts.sources) and its content, never by
  // its directory: moving a copied file or directory (COPY line updated) still hits (recorded:
  // cache-copy-source-moved, cache-wildcard-dir-moved, cache-copy-from-stage-renamed). Wildcard
  // matches are named below the pattern's fixed directory. The classic builder keys the path.
  const contentName = (specIndex: number, rel: string, source: ContentSource): string => {
    const name = ctx.builder === 'buildkit' ? (rel === '' ? `${specIndex}` : `${specIndex}/${rel}`) : source.path;
    sources[name] = source;
    return name;
  };
  const notUnderstood: string[] = [];
  // The classic builder keys a COPY by a hash of the files it selects (`file:<sha256>`), not by how
  // the sources are spelled: `./a` is `a`, `*.txt` is `x.txt y.txt` (recorded: cache-r5-copy-spellings,
  // cache-r5-copy-source-paths). dfsim writes the selected paths in that place.
  const selectedPaths: string[] = [];
  const fs = state.fs;
  let count = 0;

  const destFor = (name: string): string => (dest.isDir || fs.stat(dest.path)?.type === 'dir' ? posix.join(dest.path, name) : dest.path);

  // The classic builder insists on a directory destination for several sources; Docker 20.10's
  // BuildKit copies each onto the same path, the last one winning (recorded: exec-copy-multi-src-dest).
  const multiError = (detail: string): Error =>
    stepError(ctx, instruction, 'DF3208', `when using ${instruction.kind} with more than one source file, the destination must be a directory and end with a /`, detail);
  if (specs.length > 1 && !dest.isDir && ctx.builder === 'classic') {
    throw multiError(`Write the destination as "${dest.raw}/".`);
  }

  for (const [specIndex, spec] of specs.entries()) {
    const heredoc = instruction.heredocs.find((h) => spec === `<<${h.name}` || spec === `<<-${h.name}`);
    if (heredoc) {
      // Expanded like a shell heredoc: variables replaced, quotes and backslashes kept as written.
      const body = heredoc.expand ? processWord(heredoc.content, (n) => state.env.get(n), { escapeToken: ctx.escapeToken, rawQuotes: true, rawEscapes: true }) : heredoc.content;
      const target = destFor(heredoc.name);
      ensureParents(fs, target, parentsOwned(instruction, ctx, false) ? { uid: own.uid, gid: own.gid } : undefined);
      fs.writeFile(target, body, { mode: own.mode ?? 0o644, uid: own.uid, gid: own.gid });
      content[spec] = hashJson(body);
      selectedPaths.push(spec);
      count++;
      continue;
    }
    const remote = hooks.remote?.(spec, dest, own);
    if (remote) {
      Object.assign(content, { [spec]: remote });
      selectedPaths.push(spec);
      notUnderstood.push(`remote source ${spec}`);
      count++;
      continue;
    }
    if (from !== null) {
      const name = (rel: string, path: string): string => {
        selectedPaths.push(path);
        return contentName(specIndex, rel, { stage: from, path });
      };
      count += copyFromStage(state, instruction, ctx, from, spec, dest, own, content, manifests, destFor, notUnderstood, name);
      continue;
    }
    const selected = resolveContextSource(spec, state, instruction, ctx);
    if (selected.length > 1 && !dest.isDir && specs.length === 1 && ctx.builder === 'classic') {
      throw multiError(`"${spec}" matches ${selected.length} files; write the destination as "${dest.raw}/".`);
    }
    const cleaned = cleanContextPath(ctx.builder === 'buildkit' ? spec.replace(/\\(.)/g, '$1') : spec);
    const base = hasWildcard(cleaned) ? patternBase(cleaned) : null;
    for (const source of selected) {
      const entry = ctx.context.get(source.path)!;
      // The name the copy and its key take: a followed wildcard match keeps the link's.
      const named = source.as ?? source.path;
      // --parents keeps the source's path below the destination (COPY --parents a/b/c.txt /d/ → /d/a/b/c.txt).
      const target = parents ? posix.join(dest.path, named) : entry.type === 'dir' ? dest.path : destFor(posix.basename(named));
      if (entry.type === 'file' && hooks.unpack?.(source.path, dest.path, own)) {
        // handled: a local tar archive is unpacked into the destination
      } else {
        copyFromContext(entry, target, { ...own, parentsOwned: parentsOwned(instruction, ctx, entry.type === 'dir') }, ctx, fs);
      }
      const classic = ctx.builder === 'classic';
      const get = (p: string) => ctx.context.get(p);
      // The manifest explains a miss; with the classic builder it lists a link as what it resolves to.
      const dirMode = (d: ContextEntry): number => (classic ? d.mode : ctx.syncedDirMode(d.path) ?? d.mode);
      const manifest = contextManifest(source.path, ctx.context.entries(), own.exclude, dirMode, classic ? (link) => hash64(classicEntryHash(link, get)) : undefined);
      const rel = base === null ? '' : base === '' ? named : named.slice(base.length + 1);
      const name = contentName(specIndex, rel, { path: source.path === '' ? '.' : source.path });
      selectedPaths.push(source.path === '' ? '.' : source.path);
      manifests[name] = manifest;
      content[name] = classic ? classicContentDigest(source.path, ctx.context.entries(), own.exclude, get, hash64) : manifestText(manifest).digest;
      count++;
    }
  }
  if (count === 0 && ctx.builder === 'classic') throw stepError(ctx, instruction, 'DF3201', 'no source files were specified', 'Name at least one source.');

  const link = instruction.link && own.chmod === null && ctx.builder === 'buildkit';
  const parts: KeyParts = {
    kind: instruction.kind,
    dest: dest.isDir ? `${dest.path}/` : dest.path,
    // The base name of the cleaned path, as Go's path.Base(path.Clean(src)): `sub/.` is `sub`
    // (recorded: cache-r5-copy-source-paths).
    sources: specs.map((s) => posix.basename(posix.normalize(s))),
    chown: ctx.builder === 'buildkit' ? own.owner : own.chown,
    chmod: own.chmod,
    link,
    content,
  };
  if (instruction.kind === 'COPY' && instruction.parents) parts.parents = true;
  if (instruction.exclude.length) parts.exclude = instruction.exclude;
  const out: StepOutput = {
    vertex: true,
    parts,
    noParent: link,
    manifests,
    sources,
    layer: null,
    createsLayer: true,
    createdBy: copyCreatedBy(instruction, own, ctx.builder === 'classic' ? selectedPaths : specs, dest.raw, ctx),
  };
  if (notUnderstood.length) out.opaque = { notUnderstood, filesUnknown: true };
  return out;
}

function copyFromStage(
  state: StageState,
  instruction: CopyInstruction | AddInstruction,
  ctx: StepContext,
  from: string,
  spec: string,
  dest: { path: string; isDir: boolean },
  own: CopyOptions,
  content: Record<string, string | null>,
  manifests: Record<string, FileManifest>,
  destFor: (name: string) => string,
  unknown: string[],
  contentName: (rel: string, path: string) => string,
): number {
  if (from.includes('$')) {
    throw stepError(ctx, instruction, 'DF3207', `invalid from flag value ${from}: invalid reference format: variables are not expanded in --from`, 'Define a stage with `FROM ${VAR} AS src` (a global ARG) and use COPY --from=src.');
  }
  forwardStageCheck(state, instruction, ctx, from);
  const source = ctx.stage(from);
  const srcFs: StageFs | undefined = source?.fs ?? undefined;
  if (!source || !srcFs) {
    const hint = didYouMean(from, ctx.stageNames());
    throw stepError(ctx, instruction, 'DF3207', `--from=${from} names no stage; the builder would try to pull it as an image (docker.io/library/${from}:latest)`, hint ? `${hint[0]!.toUpperCase()}${hint.slice(1)}` : 'Use the name or index of an earlier stage, or a full image reference such as name:tag.');
  }
  const abs = posix.normalize(`/${spec}`);
  const wildcard = /[*?[]/.test(abs);
  const base = wildcard ? `/${patternBase(abs.slice(1))}` : null;
  // The paths the cache key sees: the pattern matched against the stage's paths as they are.
  const keyed = wildcard ? matchEntries(abs.slice(1), srcFs.walk('/').filter((p) => p !== '/').map((p) => p.slice(1))).map((p) => `/${p}`) : [abs];
  let paths = keyed;
  const realBase = base === null || base === '/' ? base : srcFs.resolve(base, true);
  if (base !== null && realBase && realBase !== base && ctx.builder === 'buildkit') {
    // The fixed part of the pattern goes through a symlink (/abs in /abs/*.txt). BuildKit's copy resolves
    // it and copies what matches below the link's target, but its cache checksum matches the pattern
    // without following the link, so those files never enter the key: a changed target still hits
    // (recorded: cache-r6-stage-symlink-wildcard).
    const below = srcFs.walk(realBase).filter((p) => p !== realBase).map((p) => `${base.slice(1)}/${p.slice(realBase === '/' ? 1 : realBase.length + 1)}`);
    paths = matchEntries(abs.slice(1), below).map((p) => `/${p}`);
  }
  const inKey = new Set(keyed);
  const relOf = (p: string): string => (base === null ? '' : base === '/' ? p.slice(1) : p.slice(base.length + 1));
  let n = 0;
  for (const p of paths) {
    const resolved = srcFs.resolve(p, true);
    const info = srcFs.lstat(resolved ?? p);
    if (info?.type === 'symlink' && resolved === undefined && source.exact) {
      // Both builders follow a source that is a symlink, matched by a wildcard or named; one that
      // dangles fails the COPY (recorded: exec-r15-stage-wildcard-links).
      throw stepError(ctx, instruction, 'DF3201', `"${spec}" selects ${p}, a symlink to ${info.linkTarget ?? '?'}, which is not in stage ${from}`, `Make the link point at a path stage ${from} creates, or narrow the pattern so it does not match the link.`);
    }
    if (!info && !source.exact) {
      // The source stage ran commands dfsim could not follow, so the path may well exist there:
      // copy a placeholder of unknown content instead of predicting a failure.
      const target = destFor(posix.basename(p));
      ensureParents(state.fs, target);
      if (!state.fs.lstat(target)) state.fs.writeExternalFile(target, { size: 0, digest: null }, { mode: own.mode ?? 0o644, uid: own.uid, gid: own.gid });
      state.exact = false;
      content[contentName(relOf(p), p)] = `chain:${source.lastKey}`;
      unknown.push(`${p} from stage ${from} (made by a step dfsim could not follow)`);
      n++;
      continue;
    }
    if (!info) {
      throw stepError(ctx, instruction, 'DF3201', `"${spec}" not found in stage ${from}`, `Check that stage ${from} creates ${abs}.`);
    }
    const real = srcFs.resolve(p, true) ?? p;
    const target = info.type === 'dir' ? dest.path : destFor(posix.basename(p));
    copyBetweenStages(srcFs, real, target, { ...own, keepOwners: instruction.chown === null, parentsOwned: parentsOwned(instruction, ctx, info.type === 'dir') }, state.fs);
    n++;
    if (!inKey.has(p)) continue;
    // Early cut-off: the key takes the selected content, not the source stage's chain. Unknown
    // content (an opaque RUN made it) falls back to the source stage's key: a miss there is predicted to reach here.
    // The classic builder names the content by the path with symlinks resolved (recorded: cache-r6-copy-from-symlink-path).
    const name = contentName(relOf(p), ctx.builder === 'classic' ? real : p);
    const manifest = stageManifest(srcFs, real);
    manifests[name] = manifest;
    const opaqueContent = Object.values(manifest).some((r) => r.type === 'file' && r.digest === null);
    if (opaqueContent) content[name] = `chain:${source.lastKey}`;
    // BuildKit keys the selected files by content alone, in the form a context source has: the same
    // files from the context or from a stage make the same key (recorded: exec-r8-wildcard-order-non-ascii,
    // where a COPY --from hits the layer of a context COPY of equal files).
    else if (ctx.builder === 'buildkit') content[name] = manifestText(manifest).digest;
    else content[name] = srcFs.treeDigest(real, true) ?? `chain:${source.lastKey}`;
  }
  return n;
}

/**
 * The files below a stage path, shaped like a context source's manifest (contextManifest): a file's
 * digest covers its header and bytes, a link's its header, a directory has none (its entries are
 * listed). null digests mark content an opaque step made.
 */
function stageManifest(fs: StageFs, root: string): FileManifest {
  const manifest: FileManifest = {};
  for (const p of fs.walk(root)) {
    const info = fs.lstat(p)!;
    const rel = p === root ? '.' : p.slice(root === '/' ? 1 : root.length + 1);
    let digest: string | null = null;
    if (info.type === 'file') {
      const bytes = fs.fileDigest(p);
      digest = bytes === null ? null : hash64(headerString({ type: 'file', mode: info.mode, size: info.size }) + bytes);
    } else if (info.type === 'symlink') {
      digest = hash64(headerString({ type: 'symlink', mode: info.mode, size: 0, linkTarget: info.linkTarget ?? '' }));
    }
    const rec: FileManifest[string] = { type: info.type, mode: info.mode, size: info.type === 'file' ? info.size : 0, digest };
    if (info.linkTarget !== undefined) rec.linkTarget = info.linkTarget;
    manifest[rel] = rec;
  }
  return manifest;
}

function copyCreatedBy(instruction: CopyInstruction | AddInstruction, own: { chown: string | null }, specs: string[], destRaw: string, ctx: StepContext): string {
  // The classic builder keys COPY by this text, --chown exactly as written included. Docker writes
  // `COPY --chown=1:1file:<its content hash> in /a ` (sic, no space); dfsim writes the selected paths there.
  if (ctx.builder === 'classic') return `${instruction.kind} ${own.chown ? `--chown=${own.chown}` : ''}${specs.join(' ')} in ${destRaw} `;
  // BuildKit's history leaves out every flag (--chown, --chmod, --from; recorded: cache-copy-chown,
  // cache-copy-chmod-flag, exec-chown-names).
  return `${instruction.kind} ${[...specs, destRaw].join(' ')} # buildkit`;
}

/**
 * BuildKit: a stage can only use stages defined before it. Docker 20.10's BuildKit handed a later
 * stage's base image over without its steps (recorded: exec-r7-copy-from-forward-base); current
 * BuildKit rejects the reference (moby/buildkit#4568), and dfsim follows it.
 */
export function forwardStageCheck(state: StageState, instruction: CopyInstruction | AddInstruction | RunInstruction, ctx: StepContext, from: string): void {
  if (ctx.builder !== 'buildkit') return;
  const index = ctx.stageIndexOf(from);
  if (index === undefined || index <= state.ref.index) return;
  const current = state.ref.name ?? `stage-${state.ref.index}`;
  throw stepError(ctx, instruction, 'DF3212', `cannot copy from stage "${from}", it needs to be defined before current stage "${current}"`, `Move stage ${from} above stage ${current} in the Dockerfile.`);
}

/**
 * Whether the directories a --chown copy creates above its destination take the --chown owner:
 * BuildKit's do; the classic builder's do for a file source, not a directory one (recorded:
 * exec-r9-chown-file-dest-parents, exec-r9-copy-chown-created-parents).
 */
function parentsOwned(instruction: CopyInstruction | AddInstruction, ctx: StepContext, dirSource: boolean): boolean {
  return instruction.chown !== null && (ctx.builder === 'buildkit' || !dirSource);
}
