import { posix } from 'node:path';
import type { AddInstruction, CopyInstruction } from '../instructions/types.js';
import { goMatch, hasWildcard, type ContextEntry } from './context/index.js';
import { compareNames } from './context/walk.js';
import type { ExternalContent, StageFs } from './stage-fs.js';
import { FsError } from './fs-types.js';
import { buildkitOwnerKey, readTable, resolveWorkdir, type StageState } from './state.js';
import { expandWord, stepError, type StepContext } from './step.js';
import type { Builder, FileManifest } from './types.js';

/** One file-system object to copy, from the context or from another stage. */
export interface CopySource {
  /** The source as the user wrote it after expansion (for messages). */
  spec: string;
  /** Path inside its origin: context-relative ('' = root) or absolute in a stage. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** The context symlink that was followed to `path` (named, or matched by a wildcard): the copy takes its name. */
  as?: string;
}

export interface CopyOptions {
  uid: number;
  gid: number;
  /** --chmod as a number, or null to keep the source modes. */
  mode: number | null;
  /** --exclude: paths (relative to the copied source) to leave out, with .dockerignore syntax. */
  exclude?: (relToSource: string) => boolean;
  /**
   * COPY --from without --chown: files keep the owners they have in the source stage, with both
   * builders (recorded: cache-r7-stage-owner-only-change, where `stat -c %u` sees the source's uid).
   */
  keepOwners?: boolean;
  /**
   * The parent directories the copy creates get uid/gid too (a --chown copy): BuildKit's always, the
   * classic builder's for a file source (recorded: exec-r9-chown-file-dest-parents,
   * exec-r9-copy-chown-created-parents). Otherwise they are root's.
   */
  parentsOwned?: boolean;
}

/** Expands --chown/--chmod and resolves names in the destination stage's /etc/passwd and /etc/group. */
export function copyOwnership(state: StageState, instruction: CopyInstruction | AddInstruction, ctx: StepContext): CopyOptions & { chown: string | null; chmod: string | null; owner: string | null } {
  const chown = instruction.chown === null ? null : expandWord(instruction.chown, state, ctx, instruction);
  const chmod = instruction.chmod === null ? null : expandWord(instruction.chmod, state, ctx, instruction);
  let uid = 0;
  let gid = 0;
  let owner: string | null = null;
  if (chown !== null && chown !== '') {
    const colon = chown.indexOf(':');
    const userPart = colon < 0 ? chown : chown.slice(0, colon);
    const groupPart = colon < 0 ? undefined : chown.slice(colon + 1);
    const ids = resolveChown(state.fs, userPart, groupPart, ctx.builder);
    if ('missing' in ids && ctx.builder === 'classic' && state.exact) {
      throw stepError(ctx, instruction, 'DF3204', `unable to convert uid/gid chown string "${chown}": ${ids.missing}`, 'Use numeric ids (--chown=1000:1000) or create the user and group in an earlier RUN.');
    }
    // Docker 20.10 (both builders) copies as 0:0 when a name is not in the image's passwd/group (recorded: exec-chown-names).
    uid = 'uid' in ids ? ids.uid : 0;
    gid = 'uid' in ids ? ids.gid : 0;
    // BuildKit keys the owner as parsed, before any lookup.
    owner = buildkitOwnerKey(chown);
  }
  let mode: number | null = null;
  let chmodKey = chmod;
  if (chmod !== null && chmod !== '') {
    if (!/^[0-7]+$/.test(chmod) || parseInt(chmod, 8) > 0o7777) throw stepError(ctx, instruction, 'DF3205', `invalid --chmod value "${chmod}"`, 'Give an octal mode such as 0755.');
    mode = parseInt(chmod, 8);
    // BuildKit keys the parsed mode: 600, 0600 and 000600 are one (recorded: exec-r8-copy-chmod-octal-spelling).
    chmodKey = mode.toString(8).padStart(4, '0');
  }
  return { uid, gid, mode, chown, chmod: chmodKey, owner };
}

/**
 * The ids a `--chown=user[:group]` gives, looked up in the destination stage's /etc/passwd and
 * /etc/group. Without a group, BuildKit takes a named user's primary group and a numeric user's own
 * number; the classic builder looks the user part up again as a group name (recorded:
 * exec-r2-chown-primary-group). `missing` says which name was not found.
 */
function resolveChown(fs: StageFs, user: string, group: string | undefined, builder: Builder): { uid: number; gid: number } | { missing: string } {
  const passwd = readTable(fs, '/etc/passwd');
  const groups = readTable(fs, '/etc/group');
  const numeric = (v: string): number | undefined => (/^\d+$/.test(v) ? Number(v) : v === 'root' && builder === 'buildkit' ? 0 : undefined);
  let uid = numeric(user);
  let primary: number | undefined;
  if (uid === undefined) {
    const row = passwd.find((r) => r[0] === user);
    if (!row) return { missing: `no such user: ${user}` };
    uid = Number(row[2]);
    primary = Number(row[3]);
  }
  const groupSpec = group ?? (builder === 'classic' ? user : undefined);
  if (groupSpec === undefined) return { uid, gid: primary ?? uid };
  let gid = numeric(groupSpec);
  if (gid === undefined) {
    const row = groups.find((r) => r[0] === groupSpec);
    if (!row) return { missing: `no such group: ${groupSpec}` };
    gid = Number(row[2]);
  }
  return { uid, gid };
}

/** The absolute destination, resolved against WORKDIR. Keeps a trailing slash as "is a directory". */
export function copyDestination(state: StageState, instruction: CopyInstruction | AddInstruction, ctx: StepContext): { path: string; isDir: boolean; raw: string } {
  const raw = expandWord(instruction.dest, state, ctx, instruction);
  const isDir = raw.endsWith('/') || raw === '.' || raw.endsWith('/.');
  return { path: resolveWorkdir(state.workdir, raw), isDir, raw };
}

/** Cleans a context source: leading '/' and '..' cannot leave the context (BuildKit cleans them away). */
export function cleanContextPath(p: string): string {
  const n = posix.normalize(`/${p}`);
  return n === '/' ? '' : n.replace(/^\/+/, '').replace(/\/$/, '');
}

/** The leading components of a pattern that hold no wildcard: matches are named relative to them in BuildKit's keys. */
export function patternBase(pattern: string): string {
  const parts = pattern.split('/');
  const first = parts.findIndex((p) => hasWildcard(p));
  return first < 0 ? pattern : parts.slice(0, first).join('/');
}

/** Matches a source pattern component by component with Go's filepath.Match. */
export function matchEntries(pattern: string, candidates: Iterable<string>): string[] {
  const parts = pattern.split('/');
  const out: string[] = [];
  for (const c of candidates) {
    const cp = c.split('/');
    if (cp.length !== parts.length) continue;
    if (parts.every((p, i) => goMatch(p, cp[i]!))) out.push(c);
  }
  // In byte order (Go's), not UTF-16 order: matches copied onto one destination overwrite each other in
  // this order, the last wins (recorded: exec-r8-wildcard-order-non-ascii).
  return out.sort(compareNames);
}

/** Resolves a context source to entries, failing the way the builder fails. */
export function resolveContextSource(spec: string, state: StageState, instruction: CopyInstruction | AddInstruction, ctx: StepContext): CopySource[] {
  // BuildKit sends only the paths COPY names, selected with patterns in which '\\' escapes the next
  // character, so a literal backslash in a source never matches (recorded: exec-escape-backtick).
  let path = cleanContextPath(ctx.builder === 'buildkit' ? spec.replace(/\\(.)/g, '$1') : spec);
  if (ctx.builder === 'classic' && posix.normalize(spec).startsWith('..')) {
    throw stepError(ctx, instruction, 'DF3203', `forbidden path outside the build context: ${spec}`, 'Sources must be inside the build context; move the file into it or change the context directory.');
  }
  if (hasWildcard(path)) {
    // The classic builder matches the pattern as written against paths that never end in "/": a
    // wildcard with a trailing slash (`*/`) selects nothing (recorded: exec-r8-wildcard-trailing-slash).
    if (ctx.builder === 'classic' && /\/\.?$/.test(spec)) return [];
    let matches: string[];
    try {
      matches = matchEntries(path, [...ctx.context.entries()].map((e) => e.path).filter((p) => p !== ''));
    } catch {
      throw stepError(ctx, instruction, 'DF3206', `invalid wildcard pattern "${spec}"`, 'Fix the pattern: a "[" needs a closing "]".');
    }
    if (matches.length === 0) {
      // Both builders accept a wildcard that matches nothing; the classic builder fails when no source is left at all.
      return [];
    }
    return matches.map((m): CopySource => {
      const entry = ctx.context.get(m)!;
      if (entry.type !== 'symlink') return { spec, path: m, type: entry.type };
      // A matched symlink is followed like a named one, but keeps its own name: `ADD l*.tar /w/`
      // unpacks the archive it points to, `COPY l*.tar /w/` lands /w/link.tar as a regular file with
      // the target's bytes (recorded: exec-r13-add-symlink-sources). One that dangles or leaves the
      // context fails the COPY in both builders (recorded: exec-r15-context-wildcard-dangling-link).
      const target = followContextLink(m, ctx);
      const followed = target === undefined ? undefined : ctx.context.get(target);
      if (!followed) {
        throw stepError(ctx, instruction, 'DF3201', `"${spec}" matches ${m}, a symlink whose target is not in the build context`, 'Make the link point at a file inside the context, or narrow the pattern so it does not match the link.');
      }
      return { spec, path: target!, type: followed.type, as: m };
    });
  }
  let entry = ctx.context.get(path);
  if (!entry) {
    // A symlinked directory on the way (`COPY link/f` with link -> dir) is followed, inside the
    // context (recorded: cache-r6-context-symlink-dir-path).
    const through = throughLinkedDirs(path, ctx);
    if (through !== undefined && through !== path) {
      path = through;
      entry = ctx.context.get(path);
    }
  }
  if (!entry) {
    if (ctx.context.isIgnored(path)) {
      throw stepError(ctx, instruction, 'DF3202', `"${spec}" is excluded by .dockerignore${ctx.context.dockerignore.file ? ` (${ctx.context.dockerignore.file})` : ''}, so the builder never receives it`, 'Remove the matching pattern from .dockerignore, or add a "!" exception for this path.');
    }
    throw stepError(ctx, instruction, 'DF3201', `"${spec}" not found in the build context`, 'Check the path: sources are relative to the context directory, not to the Dockerfile.');
  }
  if (entry.type === 'symlink') {
    // The named source itself is followed (BuildKit's followSymlink; the classic builder does the same),
    // and a file lands under the link's name, not the target's (recorded: exec-r15-named-link-dest-name).
    const target = followContextLink(path, ctx);
    if (target === undefined) {
      throw stepError(ctx, instruction, 'DF3201', `"${spec}" is a symlink whose target is not in the build context`, 'Copy the target itself, or make the link point inside the context.');
    }
    const type = ctx.context.get(target)!.type;
    return [type === 'file' ? { spec, path: target, type, as: path } : { spec, path: target, type }];
  }
  return [{ spec, path, type: entry.type }];
}

/** The path with every symlinked directory before its last component resolved, or undefined when one dangles or leaves the context. */
function throughLinkedDirs(path: string, ctx: StepContext): string | undefined {
  const parts = path.split('/');
  let current = '';
  for (const name of parts.slice(0, -1)) {
    const next = current === '' ? name : `${current}/${name}`;
    const entry = ctx.context.get(next);
    if (!entry) return undefined;
    if (entry.type === 'symlink') {
      const target = followContextLink(next, ctx);
      if (target === undefined || ctx.context.get(target)?.type !== 'dir') return undefined;
      current = target;
    } else if (entry.type === 'dir') {
      current = next;
    } else {
      return undefined;
    }
  }
  return current === '' ? parts[parts.length - 1]! : `${current}/${parts[parts.length - 1]!}`;
}

/** Resolves a context symlink (and any chain of them) to a context path, or undefined when it leaves the context or dangles. */
function followContextLink(path: string, ctx: StepContext): string | undefined {
  let current = path;
  for (let hops = 0; hops < 40; hops++) {
    const entry = ctx.context.get(current);
    if (!entry) return undefined;
    if (entry.type !== 'symlink') return current;
    const target = entry.linkTarget ?? '';
    const joined = target.startsWith('/') ? target : posix.join(posix.dirname(`/${current}`), target);
    // A relative target that climbs above the context root leaves the context; an absolute one is
    // looked up inside it (BuildKit resolves links within the context root).
    if (!target.startsWith('/') && posix.normalize(posix.join(posix.dirname(current), target)).startsWith('..')) return undefined;
    current = posix.normalize(joined).slice(1);
  }
  return undefined;
}

/**
 * Files under a context path, keyed relative to it: the key's content input and the miss explanation's
 * evidence. `dirMode` gives the mode a directory counts with: its own for the classic builder, for
 * BuildKit the one it had when it entered the synced context (see syncedDirMode in build.ts).
 */
export function contextManifest(
  sourcePath: string,
  entries: Iterable<ContextEntry>,
  exclude: ((rel: string) => boolean) | undefined,
  dirMode: (dir: ContextEntry) => number,
  classicLink?: (link: ContextEntry) => string,
): FileManifest {
  const manifest: FileManifest = {};
  const prefix = sourcePath === '' ? '' : `${sourcePath}/`;
  for (const e of entries) {
    if (e.path !== sourcePath && !e.path.startsWith(prefix)) continue;
    const rel = e.path === sourcePath ? '.' : e.path.slice(prefix.length);
    if (rel !== '.' && exclude?.(rel)) continue;
    if (e.type === 'symlink' && classicLink && rel !== '.') {
      manifest[rel] = { type: 'symlink', mode: 0o777, size: 0, digest: classicLink(e) };
      continue;
    }
    // A directory counts by its header (the mode, for the classic builder) and its listed children, not
    // by the context's directory digest: that would count children --exclude leaves out, and for the
    // classic builder bring back the link texts that classicLink leaves out.
    const digest = e.type === 'dir' ? null : e.digest;
    const rec: FileManifest[string] = { type: e.type, mode: e.type === 'dir' ? dirMode(e) : e.mode, size: e.size, digest };
    if (e.linkTarget !== undefined) rec.linkTarget = e.linkTarget;
    manifest[rel] = rec;
  }
  return manifest;
}

/**
 * The classic builder's content key of a context source (Docker 20.10's lazy context hash): one hash
 * per entry of the walk below the source, sorted, so entries count by what they are and by their
 * context paths, not by their place in a tree.
 * - A file counts by its path, header and bytes; a directory by its path and header (its mode).
 * - The context root itself is never hashed (the walk skips "."): `chmod 700 .` keeps `COPY . /x`
 *   cached (recorded: cache-r7-context-root-mode).
 * - A symlink counts as what it resolves to inside the context (Docker's FollowSymlinkInScope:
 *   relative from the link's directory, absolute from the context root, `..` stopping at the root),
 *   under the target's path: `../o` and `../o/` are the same, and a renamed link with the same target
 *   keys the same. A dangling link counts by the path it resolves to. (Recorded:
 *   cache-r6-symlink-dir-inside-copied, cache-links-resolved.)
 */
export function classicContentDigest(
  sourcePath: string,
  entries: Iterable<ContextEntry>,
  exclude: ((rel: string) => boolean) | undefined,
  get: (path: string) => ContextEntry | undefined,
  digestOf: (s: string) => string,
): string {
  const prefix = sourcePath === '' ? '' : `${sourcePath}/`;
  const hashes: string[] = [];
  for (const e of entries) {
    if (e.path !== sourcePath && !e.path.startsWith(prefix)) continue;
    const rel = e.path === sourcePath ? '.' : e.path.slice(prefix.length);
    if (rel !== '.' && exclude?.(rel)) continue;
    if (e.path === '') continue;
    hashes.push(classicEntryHash(e, get));
  }
  hashes.sort();
  return digestOf(hashes.join('\n'));
}

/** One entry's part of classicContentDigest. */
export function classicEntryHash(e: ContextEntry, get: (path: string) => ContextEntry | undefined): string {
  if (e.type !== 'symlink') return classicOwnHash(e.path, e);
  const target = resolveInScope(e.path, get);
  const entry = target === undefined ? undefined : get(target);
  // Docker hashes a path it cannot stat as the path itself.
  if (target === undefined || !entry) return `missing\0${target ?? e.path}`;
  return classicOwnHash(target, entry);
}

function classicOwnHash(path: string, e: ContextEntry): string {
  return e.type === 'dir' ? `${path}\0dir\0${e.mode.toString(8)}` : `${path}\0${e.digest}`;
}

/**
 * Resolves every symlink on a context path, the target included, the way Docker's
 * FollowSymlinkInScope does: relative targets from the link's directory, absolute ones from the
 * context root, and `..` never above the root. undefined after too many links (a loop).
 */
export function resolveInScope(path: string, get: (path: string) => ContextEntry | undefined): string | undefined {
  let pending = path.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '..') {
      done.pop();
      continue;
    }
    const here = [...done, name].join('/');
    const entry = get(here);
    if (entry?.type === 'symlink') {
      if (++hops > 255) return undefined;
      const target = entry.linkTarget ?? '';
      if (target.startsWith('/')) done.length = 0;
      pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending];
      continue;
    }
    done.push(name);
  }
  return done.join('/');
}

/**
 * Where a COPY's own destination lands. Both builders resolve it inside the image root, the last
 * component included, and write through a link there: the link stays and its target gets the
 * content; a dangling link's target is created with its parents (recorded:
 * exec-r13-copy-dest-symlink). Entries below a copied directory are not resolved this way.
 */
export function landingPath(fs: StageFs, dest: string): string {
  return fs.resolveCreating(dest) ?? dest;
}

/** Copies a context entry (recursively for directories) to `dest` in the stage. */
export function copyFromContext(entry: ContextEntry, dest: string, opts: CopyOptions, ctx: StepContext, fs: StageFs, rel = ''): void {
  if (rel === '' && entry.type !== 'symlink') dest = landingPath(fs, dest);
  const uid = opts.uid;
  const gid = opts.gid;
  const parentOwner = opts.parentsOwned && rel === '' ? { uid, gid } : undefined;
  if (entry.type === 'dir') {
    // The directory a COPY creates for a directory source is 0755 (or --chmod); the ones below it
    // keep their modes (recorded: cache-r3-chmod-ignored-reincluded, cache-r3-dir-mode-through-stages).
    ensureDir(fs, dest, opts.mode ?? (rel === '' ? 0o755 : entry.mode), uid, gid, parentOwner);
    const realDir = fs.realpath(dest) ?? dest;
    const dir = fs.directory(realDir);
    for (const name of ctx.context.children(entry.path)) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (opts.exclude?.(childRel)) continue;
      const child = ctx.context.get(entry.path === '' ? name : `${entry.path}/${name}`);
      if (!child) continue;
      if (dir && child.type === 'file' && !dir.has(name)) {
        // Fast path: a new file in a real directory needs no resolution and no replacement.
        dir.addExternalFile(name, contextContent(child, ctx), { mode: opts.mode ?? child.mode, uid, gid });
      } else {
        copyFromContext(child, realDir === '/' ? `/${name}` : `${realDir}/${name}`, opts, ctx, fs, childRel);
      }
    }
  } else if (entry.type === 'symlink') {
    replace(fs, dest, false, parentOwner);
    fs.symlink(entry.linkTarget ?? '', dest);
    fs.lchown(dest, uid, gid);
  } else if (entry.type === 'file') {
    replace(fs, dest, true, parentOwner);
    fs.writeExternalFile(dest, contextContent(entry, ctx), { mode: opts.mode ?? entry.mode, uid, gid });
  }
}

/**
 * A context file as stage content: size and digest now, bytes read from the context only if a RUN
 * needs them. The digest is of the bytes alone: the mode lives on the copied file, so a RUN that
 * restores a mode restores the stage's output too (recorded: cache-r3-chmod-normalized-by-run).
 */
function contextContent(entry: ContextEntry, ctx: StepContext): ExternalContent {
  return { size: entry.size, digest: entry.contentDigest ?? entry.digest, load: () => ctx.context.readFile(entry.path) };
}

/**
 * Copies a path from another stage's filesystem (COPY --from), keeping links and modes. Files that
 * share an inode in the source stay hard-linked in the copy (`links`: source inode → first copied
 * name), so the layer holds their bytes once (recorded: cache-r13-stage-hardlinks).
 */
export function copyBetweenStages(from: StageFs, src: string, dest: string, opts: CopyOptions, to: StageFs, top = true, links = new Map<object, string>()): void {
  const info = from.lstat(src);
  if (!info) return;
  if (top && info.type !== 'symlink') dest = landingPath(to, dest);
  const uid = opts.keepOwners ? info.uid : opts.uid;
  const gid = opts.keepOwners ? info.gid : opts.gid;
  const parentOwner = opts.parentsOwned && top ? { uid: opts.uid, gid: opts.gid } : undefined;
  if (info.type === 'dir') {
    ensureDir(to, dest, opts.mode ?? (top ? 0o755 : info.mode), uid, gid, parentOwner);
    for (const name of from.readdir(src) ?? []) copyBetweenStages(from, posix.join(src, name), posix.join(dest, name), opts, to, false, links);
  } else if (info.type === 'symlink') {
    replace(to, dest, false, parentOwner);
    to.symlink(info.linkTarget ?? '', dest);
    to.lchown(dest, uid, gid);
  } else if (info.type === 'file') {
    replace(to, dest, true, parentOwner);
    const inode = from.inodeOf(src);
    const first = inode && links.get(inode);
    if (first !== undefined && to.lstat(first)?.type === 'file') {
      to.link(first, dest);
      return;
    }
    const content = from.contentOf(src);
    const mode = opts.mode ?? info.mode;
    if (content && 'data' in content) to.writeFile(dest, content.data, { mode, uid, gid });
    else to.writeExternalFile(dest, content?.external ?? { size: info.size, digest: null }, { mode, uid, gid });
    to.chmod(dest, mode);
    to.chown(dest, uid, gid);
    if (inode) links.set(inode, to.realpath(dest) ?? dest);
  }
}

/** Creates the destination's missing parents as 0755 directories, root's unless an owner is given. */
export function ensureParents(fs: StageFs, path: string, owner?: { uid: number; gid: number }): void {
  const parent = posix.dirname(path);
  if (!fs.stat(parent)) fs.mkdir(parent, { parents: true, mode: 0o755, ...(owner ?? {}) });
}

function ensureDir(fs: StageFs, path: string, mode: number, uid: number, gid: number, parentOwner?: { uid: number; gid: number }): void {
  const info = fs.stat(path);
  if (info?.type === 'dir') return;
  // A directory never replaces a file: both builders fail ("cannot copy to non-directory"; recorded:
  // exec-r8-copy-dir-onto-file, exec-r8-path-conflicts).
  if (info) throw new FsError('ENOTDIR', path);
  ensureParents(fs, path, parentOwner);
  fs.mkdir(path, { mode, uid, gid });
}

/** A file or link replaces whatever non-directory stands at dest. */
function replace(fs: StageFs, dest: string, followDirs = false, parentOwner?: { uid: number; gid: number }): void {
  ensureParents(fs, dest, parentOwner);
  const info = fs.lstat(dest);
  if (!info) return;
  if (info.type === 'dir' && followDirs) fs.remove(dest, { recursive: true });
  else if (info.type !== 'dir') fs.remove(dest);
}
