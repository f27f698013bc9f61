import fs from 'node:fs';
import type { Diagnostic } from '../../diagnostics/diagnostic.js';
import { DfsimError, error } from '../../diagnostics/diagnostic.js';
import type { Builder, IgnoreMatcher } from './dockerignore.js';
import type { RecordType } from './digest.js';

/** What a special file was on disk (sockets, FIFOs, devices). */
export type SpecialKind = 'fifo' | 'socket' | 'char-device' | 'block-device';

export interface WalkedEntry {
  path: string;
  type: RecordType;
  mode: number;
  size: number;
  linkTarget?: string;
  special?: SpecialKind;
  rdev: number;
  // The lstat fields the stat cache compares, copied so the Stats object dies young (cheap GC).
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
  stMode: number;
  /** Filled in by loadContext: XXH64 of the bytes, then the record digest. */
  contentDigest?: string;
  recordDigest?: string;
}

export interface WalkResult {
  /** Included entries, keyed by context-relative path ('' is the root). */
  entries: Map<string, WalkedEntry>;
  /** Sorted included child names per included directory. */
  children: Map<string, string[]>;
  diagnostics: Diagnostic[];
}

/** Byte order of the UTF-8 encodings (Go's sort order), which is code point order, not UTF-16 order. */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (astral code points) sort after every BMP character in code point order.
    if (ca >= 0xd800 && ca <= 0xdfff) ca += 0x10000;
    if (cb >= 0xd800 && cb <= 0xdfff) cb += 0x10000;
    return ca - cb;
  }
  return a.length - b.length;
}

const NEEDS_CODE_POINT_SORT = /[\uD800-\uFFFF]/;

export function unreadable(rel: string, e: unknown): DfsimError {
  const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
  const what = rel === '' ? 'the build context directory' : `"${rel}" in the build context`;
  return new DfsimError(
    error('DF3001', `cannot read ${what}: ${code}`, undefined, 'Fix its permissions, or exclude it in .dockerignore if the build does not need it.'),
  );
}

/**
 * Special files, as the real builders treat them (checked with Docker 20.10, `COPY . /x`, a FIFO, a unix
 * socket, a char device and a block device in the context):
 * - BuildKit: FIFOs are silently left out; sockets and devices arrive as empty regular files that keep
 *   their permission bits.
 * - classic: sockets are left out (the client logs "archive/tar: sockets not supported" and goes on);
 *   FIFOs and devices are copied as what they are.
 */
function special(st: fs.Stats): SpecialKind | undefined {
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'char-device';
  if (st.isBlockDevice()) return 'block-device';
  return undefined;
}

/**
 * Walks the context with lstat (symlinks are recorded, never followed), applying .dockerignore.
 * `onFile` sees each non-directory entry kept, in walk order, as soon as it is found.
 * An excluded directory is pruned unless a `!` pattern literally starts with its path (see
 * IgnoreMatcher.exceptionReaches); then it is entered and each path below is tested.
 */
export function walkContext(root: string, matcher: IgnoreMatcher, builder: Builder, onFile?: (entry: WalkedEntry) => void): WalkResult {
  const entries = new Map<string, WalkedEntry>();
  const children = new Map<string, string[]>();
  const diagnostics: Diagnostic[] = [];

  const makeEntry = (rel: string, abs: string, st: fs.Stats): WalkedEntry | undefined => {
    const mode = st.mode & 0o7777;
    const { mtimeMs, ino, ctimeMs } = st;
    const stMode = st.mode;
    if (st.isFile()) return { path: rel, type: 'file', mode, size: st.size, rdev: 0, mtimeMs, ino, ctimeMs, stMode };
    if (st.isDirectory()) return { path: rel, type: 'dir', mode, size: 0, rdev: 0, mtimeMs, ino, ctimeMs, stMode };
    const base = { path: rel, mode, rdev: 0, mtimeMs, ino, ctimeMs, stMode };
    if (st.isSymbolicLink()) {
      let linkTarget: string;
      try {
        linkTarget = fs.readlinkSync(abs);
      } catch (e) {
        throw unreadable(rel, e);
      }
      return { ...base, type: 'symlink', size: 0, linkTarget };
    }
    const kind = special(st);
    if (builder === 'buildkit') {
      if (kind === 'fifo') {
        diagnostics.push({ code: 'DF3005', severity: 'info', message: `"${rel}" is a FIFO; BuildKit leaves it out of the build context` });
        return undefined;
      }
      return { ...base, type: 'file', size: 0, ...(kind ? { special: kind } : {}) };
    }
    if (kind === 'socket') {
      diagnostics.push({ code: 'DF3005', severity: 'warning', message: `"${rel}" is a socket; the classic builder leaves it out of the build context` });
      return undefined;
    }
    return { ...base, type: 'other', size: 0, rdev: st.rdev, ...(kind ? { special: kind } : {}) };
  };

  // Returns whether the directory ends up included (itself or as the parent of included paths).
  const visitDir = (rel: string, abs: string, entry: WalkedEntry, dirIgnored: boolean): boolean => {
    let names: string[];
    try {
      names = fs.readdirSync(abs);
    } catch (e) {
      throw unreadable(rel, e);
    }
    // The default sort (UTF-16 units) agrees with byte order unless a name holds a surrogate or U+E000+.
    if (names.some((n) => NEEDS_CODE_POINT_SORT.test(n))) names.sort(compareNames);
    else names.sort();
    const kept: string[] = [];
    const absSlash = abs.endsWith('/') ? abs : abs + '/';
    for (const name of names) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      // Plain concatenation: names never hold '/', and path.join's normalising costs on every entry.
      const childAbs = absSlash + name;
      let st: fs.Stats;
      try {
        st = fs.lstatSync(childAbs);
      } catch (e) {
        // Deleted while we walk: as if it never existed.
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw unreadable(childRel, e);
      }
      const ignored = matcher.ignores(childRel);
      if (st.isDirectory()) {
        if (ignored && !matcher.exceptionReaches(childRel)) continue;
        const child = makeEntry(childRel, childAbs, st)!;
        if (visitDir(childRel, childAbs, child, ignored)) kept.push(name);
      } else if (!ignored) {
        const child = makeEntry(childRel, childAbs, st);
        if (child) {
          entries.set(childRel, child);
          kept.push(name);
          onFile?.(child);
        }
      }
    }
    // An excluded dir the walk entered for an exception: BuildKit (fsutil) sends the dir itself even when
    // nothing below is re-included; classic only recreates it as the parent of re-included paths.
    // Both checked with Docker 20.10 (`emptyx` + `!emptyx/nothing`).
    if (dirIgnored && kept.length === 0 && builder === 'classic') return false;
    entries.set(rel, entry);
    children.set(rel, kept);
    return true;
  };

  let rootStat: fs.Stats;
  try {
    rootStat = fs.statSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DfsimError(error('DF3004', 'the build context directory does not exist', undefined, 'Pass an existing directory as the build context.'));
    }
    throw unreadable('', e);
  }
  if (!rootStat.isDirectory()) {
    throw new DfsimError(error('DF3004', 'the build context is not a directory', undefined, 'Pass a directory as the build context.'));
  }
  const { mtimeMs, ino, ctimeMs, mode: stMode } = rootStat;
  const rootEntry: WalkedEntry = { path: '', type: 'dir', mode: stMode & 0o7777, size: 0, rdev: 0, mtimeMs, ino, ctimeMs, stMode };
  visitDir('', root, rootEntry, false);
  return { entries, children, diagnostics };
}
