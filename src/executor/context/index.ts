/**
 * The build context as Docker's client sends it: a walk of the context directory with .dockerignore
 * applied, every entry with a BuildKit-style content digest, and a persisted stat cache so that
 * unchanged files are not read again.
 *
 * Diagnostic codes used here:
 * - DF3001 error   a context file or directory cannot be read (permissions, I/O)
 * - DF3002 error   the ignore file has an invalid pattern (a bare "!", a pattern Docker cannot compile)
 * - DF3003 error   readFile() of a path that is not in the context (missing, excluded, or not a file)
 * - DF3004 error   the context directory is missing or is not a directory
 * - DF3005 info/warning  a special file the builder leaves out (BuildKit: FIFOs; classic: sockets)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { DfsimError, error, isDfsimError } from '../../diagnostics/diagnostic.js';
import type { Builder } from './dockerignore.js';
import { IgnoreMatcher, findDockerignore, parseDockerignore } from './dockerignore.js';
import type { OpenForRead } from './digest.js';
import { CHUNK_SIZE, dirDigest, emptyContentDigest, fileDigest, getHasher, hashFileContent, hashFileContentSync, leafDigest, type Hasher } from './digest.js';
import { HashPipeline, type HashResult } from './hash-worker.js';
import { StatCache } from './stat-cache.js';
import type { SpecialKind, WalkResult, WalkedEntry } from './walk.js';
import { unreadable, walkContext } from './walk.js';

export { goMatch, hasWildcard, BadPatternError } from './go-match.js';
export { parseDockerignore, IgnoreMatcher } from './dockerignore.js';
export type { Builder } from './dockerignore.js';
export type { SpecialKind } from './walk.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface ContextEntry {
  /** POSIX, relative to the context root, no './' prefix; the root itself is ''. */
  path: string;
  type: EntryType;
  /** Permission bits incl. setuid/setgid/sticky (st_mode & 0o7777). */
  mode: number;
  /** Files: bytes; others 0. */
  size: number;
  /** Symlinks: target as stored (never followed). */
  linkTarget?: string;
  /** 16-hex XXH64: BuildKit-style content checksum (see digest.ts). */
  digest: string;
  /** Regular files: XXH64 of the bytes alone, as a stage filesystem digests file content. */
  contentDigest?: string;
  /**
   * Set when the entry was a special file on disk. With BuildKit, sockets and devices become empty
   * regular files (type 'file'); with the classic builder, FIFOs and devices stay type 'other'.
   */
  special?: SpecialKind;
}

export interface DockerignoreInfo {
  /** Context-relative name used ('.dockerignore' or '<Dockerfile>.dockerignore'), or null. */
  file: string | null;
  patterns: string[];
}

export interface BuildContext {
  /** Absolute path (never printed in fixtures). */
  root: string;
  builder: Builder;
  dockerignore: DockerignoreInfo;
  /** Notes about special files left out (DF3005). */
  diagnostics: Diagnostic[];
  /** Content digests reused from the stat cache vs computed by reading the file. */
  stats: { files: number; reused: number; hashed: number };
  /** Entry after .dockerignore filtering; undefined when missing or ignored. */
  get(path: string): ContextEntry | undefined;
  /** True when the path exists on disk but .dockerignore excludes it (for "excluded by .dockerignore" errors). */
  isIgnored(path: string): boolean;
  /** Sorted child names of a directory after filtering ([] for a non-directory or missing path). */
  children(path: string): string[];
  /** All entries after filtering, depth-first with children in byte order (each dir before its contents). */
  entries(): Iterable<ContextEntry>;
  /** File bytes (for ADD tar extraction or a simulated RUN reading a copied file). */
  readFile(path: string): Buffer;
  /** See walkFingerprint; absent on the wrapped contexts of compare and what-if. */
  fingerprint?(): string;
  /** The paths of the directories only (a few hundred where entries() has tens of thousands). */
  dirs?(): Iterable<string>;
}

/** The walk a load starts from: done ahead by a replay check (cache/replay.ts), then handed to loadContext. */
export interface ContextWalk {
  root: string;
  builder: Builder;
  ignoreFile: string | null;
  patterns: string[];
  matcher: IgnoreMatcher;
  /** Build files the classic daemon deletes from the context it was sent (see ignoreRules). */
  removed: string[];
  walked: WalkResult;
}

export interface LoadContextOptions {
  /** Path of the Dockerfile (absolute or relative to cwd), for <Dockerfile-name>.dockerignore lookup; default <root>/Dockerfile. */
  dockerfile?: string;
  /** Where to persist the stat cache (JSON); absent = no reuse. */
  statCachePath?: string;
  onProgress?: (doneFiles: number, totalFiles: number) => void;
  /** Which builder's client rules apply (ignore-file lookup, special files, dir modes in digests). Default 'buildkit'. */
  builder?: Builder;
  /** How many files are hashed at once. Default 8. */
  concurrency?: number;
  /** Work (bytes plus 16 KiB per file) from which a second thread helps hash; default 32 MiB. For tests. */
  parallelHashMin?: number;
  /** For tests: makes the pipeline that shares hashing with a worker thread. */
  hashPipeline?: () => HashPipeline;
  /** For tests: replaces fs.promises.open when reading file content. */
  openForRead?: OpenForRead;
  /** A walk done ahead with the same directory, Dockerfile and builder (see walkForLoad). */
  walk?: ContextWalk;
}

/**
 * Normalises a path as COPY sources are resolved inside the context: './', '/' and trailing '/' are
 * dropped and '..' cannot climb above the root.
 */
export function normalizeContextPath(p: string): string {
  // Most lookups come from the walk itself and are clean already (a 30,000-file COPY makes 30,000).
  if (p !== '' && !CLEAN_CHECK.test(p)) return p;
  const n = path.posix.normalize('/' + p);
  return n === '/' ? '' : n.replace(/\/+$/, '').slice(1);
}

/**
 * Below this much work (bytes to read, plus a per-file cost) a cold load hashes on one thread: a
 * worker takes ~30 ms to start (30,000 files / 261 MB take about 0.3 s on one thread, measured).
 */
const PARALLEL_HASH_MIN = 32 << 20;
const PER_FILE_COST = 16 << 10;
/** Anything normalisation could change: a leading, trailing or doubled slash, or a '.' or '..' component. */
const CLEAN_CHECK = /^\/|\/$|\/\/|(?:^|\/)\.\.?(?:\/|$)/;

function toPosixRelative(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}

type Settle = (e: WalkedEntry, result: { digest: string; bytes: number }) => void;

/** Reads through injected file handles (tests), `concurrency` files at a time. */
async function hashWithHandles(h: Hasher, root: string, pending: WalkedEntry[], settle: Settle, open: OpenForRead, concurrency: number): Promise<void> {
  let next = 0;
  let failed = false;
  const reader = async (): Promise<void> => {
    const buf = Buffer.allocUnsafe(CHUNK_SIZE);
    while (next < pending.length && !failed) {
      const e = pending[next++]!;
      let result: { digest: string; bytes: number };
      try {
        result = await hashFileContent(h, path.join(root, e.path), buf, open);
      } catch (err) {
        // Stop the other readers too: the load has failed.
        failed = true;
        throw unreadable(e.path, err);
      }
      settle(e, result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, pending.length)) }, reader));
}

/** Synchronous reads on this thread: for thousands of small files, far cheaper than handles on libuv's pool. */
function hashHere(h: Hasher, root: string, list: WalkedEntry[], settle: Settle): void {
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  for (const e of list) hashOne(h, root, e, buf, settle);
}

function hashOne(h: Hasher, root: string, e: WalkedEntry, buf: Buffer, settle: Settle): void {
  let result: { digest: string; bytes: number };
  try {
    result = hashFileContentSync(h, inRoot(root, e.path), buf);
  } catch (err) {
    throw unreadable(e.path, err);
  }
  settle(e, result);
}

/** Hashes the pipeline's files (numbered in `numbered`'s order) here and on its worker. */
async function hashInPipeline(h: Hasher, root: string, pipeline: HashPipeline, numbered: WalkedEntry[], settle: Settle): Promise<void> {
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  const settled = new Uint8Array(numbered.length);
  let fromWorker: Array<[number, HashResult]> = [];
  try {
    fromWorker = await pipeline.finish((i) => {
      hashOne(h, root, numbered[i]!, buf, settle);
      settled[i] = 1;
    });
  } catch (err) {
    if (isDfsimError(err)) throw err;
    // The worker failed to run (no threads here?): what it had claimed is hashed here below.
  }
  for (const [i, r] of fromWorker) {
    if ('error' in r) throw unreadable(numbered[i]!.path, r.error);
    settle(numbered[i]!, r);
    settled[i] = 1;
  }
  for (let i = 0; i < numbered.length; i++) if (!settled[i]) hashOne(h, root, numbered[i]!, buf, settle);
}

/** An entry's absolute path: plain concatenation, as the walk's paths are clean (path.join normalises, 30,000 times). */
function inRoot(root: string, rel: string): string {
  return root.endsWith('/') ? root + rel : `${root}/${rel}`;
}

/** Bytes to read plus a per-file cost: what decides whether a second thread is worth starting. */
function work(list: WalkedEntry[]): number {
  return list.reduce((n, e) => n + cost(e), 0);
}

function cost(e: WalkedEntry): number {
  return e.size + PER_FILE_COST;
}

/** The ignore file and its matcher for a context, as the builder finds them next to the Dockerfile. */
function ignoreRules(root: string, opts: Pick<LoadContextOptions, 'dockerfile' | 'builder'>): { ignoreFile: string | null; patterns: string[]; matcher: IgnoreMatcher; removed: string[] } {
  const builder = opts.builder ?? 'buildkit';
  const dockerfile = opts.dockerfile ? path.resolve(opts.dockerfile) : path.join(root, 'Dockerfile');
  const ignoreAbs = findDockerignore(root, dockerfile, builder);
  const ignoreFile = ignoreAbs ? toPosixRelative(root, ignoreAbs) : null;
  let patterns: string[] = [];
  if (ignoreAbs) {
    let text: string;
    try {
      text = fs.readFileSync(ignoreAbs, 'utf8');
    } catch (e) {
      throw unreadable(ignoreFile ?? '.dockerignore', e);
    }
    patterns = parseDockerignore(text);
  }
  const matcher = new IgnoreMatcher(patterns, ignoreFile ?? '.dockerignore');
  if (builder !== 'classic') return { ignoreFile, patterns, matcher, removed: [] };
  // The classic client sends .dockerignore and the Dockerfile even when excluded (it adds `!` patterns
  // for them), and the daemon deletes them again after reading them: what stays is the directories
  // they sit in, empty if nothing else there is sent (recorded: cache-r8-classic-ignored-dockerfile-dir).
  const dockerfileRel = toPosixRelative(root, dockerfile);
  const removed = ['.dockerignore', dockerfileRel].filter((rel) => !rel.startsWith('../') && rel !== '..' && matcher.ignores(rel));
  if (removed.length === 0) return { ignoreFile, patterns, matcher, removed };
  const withBuildFiles = [...patterns, ...removed.map((rel) => `!${rel}`)];
  return { ignoreFile, patterns, matcher: new IgnoreMatcher(withBuildFiles, ignoreFile ?? '.dockerignore'), removed };
}

/** Walks the context, then drops the build files the classic daemon deletes (see ignoreRules). */
function walkWithRules(root: string, rules: { matcher: IgnoreMatcher; removed: string[] }, builder: Builder, onFile?: (e: WalkedEntry) => void): WalkResult {
  const walked = walkContext(root, rules.matcher, builder, onFile);
  for (const rel of rules.removed) {
    if (walked.entries.get(rel)?.type !== 'file') continue;
    walked.entries.delete(rel);
    const slash = rel.lastIndexOf('/');
    const parent = slash < 0 ? '' : rel.slice(0, slash);
    const names = walked.children.get(parent);
    if (names) walked.children.set(parent, names.filter((n) => n !== rel.slice(slash + 1)));
  }
  return walked;
}

/** Walks a context ahead of loadContext (which then takes it as `walk`). */
export function walkForLoad(dir: string, opts: Pick<LoadContextOptions, 'dockerfile' | 'builder'> = {}): ContextWalk {
  const root = path.resolve(dir);
  const builder = opts.builder ?? 'buildkit';
  const rules = ignoreRules(root, opts);
  return { root, builder, ignoreFile: rules.ignoreFile, patterns: rules.patterns, matcher: rules.matcher, removed: rules.removed, walked: walkWithRules(root, rules, builder) };
}

/**
 * A digest of everything the walk saw: the ignore rules and, for every entry, its path, st_mode, size,
 * mtime, ctime, inode, device and link target. Any edit, touch, chmod, rename, link or new file changes
 * it (a write bumps ctime even when the mtime is put back); content that changed with none of these
 * changing is what the stat cache cannot see either.
 */
export function walkFingerprint(h: Hasher, walk: ContextWalk): string {
  // Numbers into one typed array and names into one joined string, each hashed once: building a
  // single 2 MB string entry by entry cost 60-90 ms here, mostly in the garbage collector.
  const numbers = new Float64Array(walk.walked.entries.size * 6);
  const names: string[] = [walk.builder, walk.ignoreFile ?? '', ...walk.patterns];
  let i = 0;
  for (const e of walk.walked.entries.values()) {
    numbers[i++] = e.stMode;
    numbers[i++] = e.size;
    numbers[i++] = e.mtimeMs;
    numbers[i++] = e.ctimeMs;
    numbers[i++] = e.ino;
    numbers[i++] = e.rdev;
    // A link's target is one more name; st_mode, among the numbers, tells which entries have one.
    names.push(e.path);
    if (e.linkTarget !== undefined) names.push(e.linkTarget);
  }
  const byNumber = h.h64Raw(new Uint8Array(numbers.buffer)).toString(16).padStart(16, '0');
  return h.h64ToString(`${byNumber}\0${names.join('\0')}`);
}

export async function loadContext(dir: string, opts: LoadContextOptions = {}): Promise<BuildContext> {
  const root = path.resolve(dir);
  const builder = opts.builder ?? 'buildkit';
  const { ignoreFile: ignoreRel, patterns, matcher, removed } = opts.walk ?? ignoreRules(root, opts);

  // A first load (no stat cache yet) hashes every file. Once the walk has found enough work, a worker
  // thread starts and hashes files as the walk finds them.
  const minWork = opts.parallelHashMin ?? PARALLEL_HASH_MIN;
  const firstLoad = !opts.openForRead && opts.statCachePath !== undefined && !fs.existsSync(opts.statCachePath);
  const newPipeline = opts.hashPipeline ?? ((): HashPipeline => new HashPipeline());
  let pipeline: HashPipeline | null = null;
  const numbered: WalkedEntry[] = [];
  let found = 0;
  const onFile = firstLoad
    ? (e: WalkedEntry): void => {
        if (e.type !== 'file' || e.special) return;
        numbered.push(e);
        if (pipeline) {
          pipeline.add(inRoot(root, e.path));
        } else if ((found += cost(e)) >= minWork) {
          pipeline = newPipeline();
          for (const n of numbered) pipeline.add(inRoot(root, n.path));
        }
      }
    : undefined;
  let walked: ReturnType<typeof walkContext>;
  let statCache: StatCache;
  let totalFiles = 0;
  let hashed = 0;
  const h = await getHasher();
  try {
    walked = opts.walk?.walked ?? walkWithRules(root, { matcher, removed }, builder, onFile);
    statCache = StatCache.load(opts.statCachePath, h.h64ToString(root));

    // Content digests: reuse from the stat cache, else read.
    const pending: WalkedEntry[] = [];
    for (const e of walked.entries.values()) {
      if (e.type !== 'file') continue;
      totalFiles++;
      if (e.special) {
        e.contentDigest = emptyContentDigest(h);
        continue;
      }
      const cached = statCache.lookup(e.path, e);
      if (cached) {
        e.contentDigest = cached.content;
        e.recordDigest = cached.record;
      } else {
        pending.push(e);
      }
    }
    hashed = pending.length;
    let done = totalFiles - hashed;
    opts.onProgress?.(done, totalFiles);
    const settle = (e: WalkedEntry, result: { digest: string; bytes: number }): void => {
      e.contentDigest = result.digest;
      e.recordDigest = fileDigest(h, { type: 'file', mode: e.mode, size: result.bytes }, result.digest);
      if (result.bytes === e.size) statCache.record(e.path, e, result.digest, e.recordDigest);
      // The file changed while we walked: describe what we actually hashed, and do not cache it.
      else e.size = result.bytes;
      opts.onProgress?.(++done, totalFiles);
    };
    if (opts.openForRead) {
      await hashWithHandles(h, root, pending, settle, opts.openForRead, opts.concurrency ?? 8);
    } else {
      if (!pipeline && work(pending) >= minWork) {
        // Many changed files since the last load: a worker helps from here.
        pipeline = newPipeline();
        numbered.length = 0;
        for (const e of pending) {
          pipeline.add(inRoot(root, e.path));
          numbered.push(e);
        }
      }
      if (pipeline) await hashInPipeline(h, root, pipeline, numbered, settle);
      else hashHere(h, root, pending, settle);
    }
  } finally {
    // Done with it or failed: either way the worker is not needed any more.
    pipeline?.close();
  }

  // Entries for every walked path. A directory's digest (over its children's) is computed only when
  // something asks for it (a bind mount of a directory): COPY keys list every file instead, and
  // hashing the whole tree on every run cost 30-50 ms on 30,000 files.
  const entries = new Map<string, ContextEntry>();
  const includeDirMode = builder === 'classic';
  const dirDigestOf = (rel: string, mode: number): string => {
    const prefix = rel === '' ? '' : rel + '/';
    return dirDigest(h, mode, walked.children.get(rel) ?? [], (name) => entries.get(prefix + name)!.digest, includeDirMode);
  };
  for (const w of walked.entries.values()) {
    let entry: ContextEntry;
    if (w.type === 'dir') {
      let memo: string | undefined;
      entry = {
        path: w.path,
        type: 'dir',
        mode: w.mode,
        size: 0,
        get digest(): string {
          return (memo ??= dirDigestOf(w.path, w.mode));
        },
      };
    } else {
      let digest: string;
      if (w.type === 'file') {
        digest = w.recordDigest ?? fileDigest(h, { type: 'file', mode: w.mode, size: w.size }, w.contentDigest!);
      } else {
        const header = { type: w.type, mode: w.mode, size: w.size, rdev: w.rdev, ...(w.linkTarget !== undefined ? { linkTarget: w.linkTarget } : {}) };
        digest = leafDigest(h, header);
      }
      entry = { path: w.path, type: w.type, mode: w.mode, size: w.size, digest };
      if (w.type === 'file') entry.contentDigest = w.contentDigest!;
      if (w.linkTarget !== undefined) entry.linkTarget = w.linkTarget;
      if (w.special) entry.special = w.special;
    }
    entries.set(w.path, entry);
  }

  try {
    statCache.save();
  } catch {
    // A cache that cannot be written only costs speed next time.
  }

  const children = walked.children;
  let ordered: readonly ContextEntry[] | undefined;
  const ctx: BuildContext = {
    root,
    builder,
    dockerignore: { file: ignoreRel, patterns },
    diagnostics: walked.diagnostics,
    stats: { files: totalFiles, reused: statCache.reused, hashed },
    get(p) {
      return entries.get(normalizeContextPath(p));
    },
    isIgnored(p) {
      const rel = normalizeContextPath(p);
      if (rel === '' || entries.has(rel)) return false;
      // Excluded itself, or below an excluded directory the walk did not enter (the matcher alone may
      // say a path is re-included where the 20.10 walk never reached it).
      let excluded = matcher.ignores(rel);
      for (let i = rel.indexOf('/'); !excluded && i >= 0; i = rel.indexOf('/', i + 1)) {
        const dir = rel.slice(0, i);
        if (!entries.has(dir) && matcher.ignores(dir)) excluded = true;
      }
      if (!excluded) return false;
      try {
        fs.lstatSync(path.join(root, rel));
        return true;
      } catch {
        return false;
      }
    },
    children(p) {
      return [...(children.get(normalizeContextPath(p)) ?? [])];
    },
    entries() {
      // Put in order once: every COPY of the context walks all of them (30,000 for the benchmark).
      return (ordered ??= depthFirst(entries, children));
    },
    dirs() {
      return children.keys();
    },
    fingerprint() {
      return walkFingerprint(h, { root, builder, ignoreFile: ignoreRel, patterns, matcher, removed, walked });
    },
    readFile(p) {
      const rel = normalizeContextPath(p);
      const e = entries.get(rel);
      if (!e || e.type !== 'file') {
        const why = !e ? (ctx.isIgnored(rel) ? 'is excluded by .dockerignore' : 'does not exist') : 'is not a regular file';
        throw new DfsimError(error('DF3003', `"${rel}" in the build context ${why}`));
      }
      if (e.special) return Buffer.alloc(0);
      try {
        return fs.readFileSync(path.join(root, rel));
      } catch (err) {
        throw unreadable(rel, err);
      }
    },
  };
  return ctx;
}

/** Entries depth-first, each directory before its children, children in byte order. */
function depthFirst(entries: Map<string, ContextEntry>, children: Map<string, string[]>): ContextEntry[] {
  const out: ContextEntry[] = [];
  const stack: string[] = [''];
  while (stack.length > 0) {
    const rel = stack.pop()!;
    out.push(entries.get(rel)!);
    const names = children.get(rel);
    if (names) for (let i = names.length - 1; i >= 0; i--) stack.push(rel === '' ? names[i]! : `${rel}/${names[i]!}`);
  }
  return out;
}
