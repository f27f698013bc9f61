import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DfsimError, error, warning, type Diagnostic } from '../diagnostics/diagnostic.js';
import { hash64, hashJson, manifestText } from '../executor/hash.js';
import type { FileManifest, KeyParts } from '../executor/types.js';

/**
 * The persistent, content-addressed cache store. Layout under the cache directory:
 *   records/<aa>/<digest>.json     one per step key ever built (kept, like BuildKit keeps every result)
 *   manifests/<aa>/<digest>.json   file lists of content-keyed inputs, shared between records
 *   steps/<aa>/<stepId>.json       digests built for one step identity, oldest first (for explanations)
 *   replay/<aa>/<key>.json         output of a run that changed nothing, replayed while its inputs stay the same (replay.ts)
 *   stat/<context>.bin             the context loader's stat cache (binary, see stat-cache.ts)
 *   sync/<aa>/<context>.json       the directories BuildKit keeps synced for a context, with their modes
 *   generation                     a token rewritten whenever a run or a prune changes the store
 *   lock                           held while writing (concurrent runs wait); holds the owner's pid
 * Every file is written to a temporary name and renamed, so a killed run leaves either the old or the
 * new file (plus, at worst, an orphaned `*.tmp` that `prune --corrupt` removes). Anything that fails
 * validation is reported as a warning (once per file) and ignored.
 */
export const RECORD_FORMAT = 'dfsim-record/1';
const SYNC_FORMAT = 'dfsim-sync/1';

export interface StoredRecord {
  format: typeof RECORD_FORMAT;
  digest: string;
  builder: string;
  parent: string | null;
  parts: KeyParts;
  meta?: Record<string, unknown>;
  manifests?: Record<string, string>;
  /** What the step did, to show on a later hit without re-simulating. */
  summary?: unknown;
  /**
   * Classic builder: the images built for this key, oldest first, each on the image its parent step
   * had then. Absent while there is only the usual one: named by the digest, on `parent`. Not part of
   * the digest.
   */
  images?: ClassicImage[];
}

/** A classic builder image: which image it was built on (null at FROM) and its identity. */
export interface ClassicImage {
  parent: string | null;
  image: string;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'dfsim');
}

export class CacheStore {
  readonly warnings: Diagnostic[] = [];
  private readonly stepsCache = new Map<string, string[]>();
  private readonly warned = new Set<string>();
  /** Manifests are immutable (content-addressed) and read again for every candidate of an explanation. */
  private readonly manifestCache = new Map<string, FileManifest | undefined>();
  /** Records as read (or found missing) by this run; a save replaces them. */
  private readonly recordCache = new Map<string, StoredRecord | undefined>();

  /** Store files this run read, with their stat signature (see statSignature) when read: what a replay re-checks. */
  readonly reads = new Map<string, string>();
  /** Whether this run wrote anything (a save that found everything already stored writes nothing). */
  wrote = false;

  constructor(readonly dir: string) {}

  /** The token that changes whenever a run or a prune changes the store ('' for a store never written). */
  generation(): string {
    return readText(path.join(this.dir, 'generation')) ?? '';
  }

  private read(file: string): string | undefined {
    // Stat first: a file replaced between the two is seen as changed next time, never as unchanged.
    this.reads.set(path.relative(this.dir, file), statSignature(file));
    return readText(file);
  }

  private changed(): void {
    this.wrote = true;
    writeAtomic(path.join(this.dir, 'generation'), `${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`);
  }

  has(digest: string): boolean {
    return this.get(digest) !== undefined;
  }

  get(digest: string): StoredRecord | undefined {
    // A step's record is read by the executor (cached directory modes), the prediction and the save.
    if (this.recordCache.has(digest)) return this.recordCache.get(digest);
    const file = this.file('records', digest);
    let rec = this.readJson(file);
    if (rec !== undefined && (!isRecord(rec) || rec.digest !== digest || hashJson({ parent: rec.parent, parts: rec.parts }) !== digest)) {
      this.warnCorrupt(file);
      rec = undefined;
    }
    this.recordCache.set(digest, rec as StoredRecord | undefined);
    return rec as StoredRecord | undefined;
  }

  manifest(digest: string): FileManifest | undefined {
    if (this.manifestCache.has(digest)) return this.manifestCache.get(digest);
    const file = this.file('manifests', digest);
    const text = this.read(file);
    if (text === undefined) return undefined;
    let m: unknown;
    try {
      m = JSON.parse(text);
    } catch {
      m = undefined;
    }
    // Content-addressed: a manifest whose hash is not its name was damaged or written by something else.
    // Manifests are written as canonical JSON, so the file's own bytes hash to the name; files of the
    // first store format were not canonical and are checked by re-serialising them.
    const valid = !!m && typeof m === 'object' && !Array.isArray(m) && (hash64(text) === digest || hashJson(m) === digest);
    if (!valid) {
      this.warnCorrupt(file);
      return undefined;
    }
    this.manifestCache.set(digest, m as FileManifest);
    return m as FileManifest;
  }

  /**
   * The directories of a context as BuildKit keeps them synced between builds, with the modes they
   * came with (see ExecuteOptions.syncedDirs). Empty when unknown or unreadable.
   */
  syncedDirs(contextKey: string): Map<string, number> {
    const dirs = new Map<string, number>();
    const data = this.readJson(this.file('sync', contextKey)) as { format?: unknown; dirs?: unknown } | undefined;
    if (data?.format !== SYNC_FORMAT || !data.dirs || typeof data.dirs !== 'object') return dirs;
    for (const [rel, mode] of Object.entries(data.dirs as Record<string, unknown>)) if (Number.isInteger(mode)) dirs.set(rel, mode as number);
    return dirs;
  }

  /** Records what a build left synced; a change counts as a change of the store (replays depend on it). */
  saveSyncedDirs(contextKey: string, dirs: ReadonlyMap<string, number>): void {
    const sorted = Object.fromEntries([...dirs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
    const text = JSON.stringify({ format: SYNC_FORMAT, dirs: sorted });
    const file = this.file('sync', contextKey);
    if (readText(file) === text) return;
    this.withLock(() => {
      writeAtomic(file, text);
      this.changed();
    });
  }

  /** Whether a valid manifest is stored under this digest, without parsing it when its bytes hash right. */
  private hasManifest(digest: string): boolean {
    if (this.manifestCache.get(digest)) return true;
    const text = this.read(this.file('manifests', digest));
    if (text === undefined) return false;
    return hash64(text) === digest || this.manifest(digest) !== undefined;
  }

  /** Digests built for a step identity, oldest first. */
  history(stepId: string): string[] {
    const cached = this.stepsCache.get(stepId);
    if (cached) return cached;
    const file = this.file('steps', stepId);
    const list = this.readJson(file);
    const ok = isStepList(list) ? list : [];
    if (list !== undefined && !isStepList(list)) this.warnCorrupt(file);
    this.stepsCache.set(stepId, ok);
    return ok;
  }

  /** The classic builder's images for a key, oldest first; none when the key was never built. */
  classicImages(digest: string): ClassicImage[] {
    const rec = this.get(digest);
    if (!rec) return [];
    return Array.isArray(rec.images) ? rec.images.filter(isClassicImage) : [{ parent: rec.parent, image: digest }];
  }

  /** Records a build's steps. Holds the lock; every file is replaced atomically. */
  save(entries: Array<{ stepId: string; record: Omit<StoredRecord, 'format' | 'manifests'>; manifests?: Record<string, FileManifest>; image?: ClassicImage }>): void {
    this.withLock(() => {
      let wrote = false;
      const stepUpdates = new Map<string, string[]>();
      for (const { stepId, record, manifests, image } of entries) {
        const manifestRefs: Record<string, string> = {};
        for (const [name, m] of Object.entries(manifests ?? {})) {
          const { text, digest } = manifestText(m);
          manifestRefs[name] = digest;
          if (!this.hasManifest(digest)) {
            writeAtomic(this.file('manifests', digest), text);
            wrote = true;
          }
        }
        const full: StoredRecord = { format: RECORD_FORMAT, ...record, manifests: manifestRefs };
        const rf = this.file('records', record.digest);
        // Read afresh under the lock: another run may have written it since this one looked.
        this.recordCache.delete(record.digest);
        const stored = fs.existsSync(rf) ? this.get(record.digest) : undefined;
        if (image) {
          // A classic image other than the usual one: kept beside the earlier ones, newest last.
          const before = stored ? (Array.isArray(stored.images) ? stored.images.filter(isClassicImage) : [{ parent: stored.parent, image: record.digest }]) : [];
          const images = [...before.filter((i) => i.image !== image.image || i.parent !== image.parent), image];
          if (!stored || JSON.stringify(images) !== JSON.stringify(stored.images)) {
            writeAtomic(rf, JSON.stringify({ ...(stored ?? full), images }));
            wrote = true;
          }
        } else if (!stored) {
          writeAtomic(rf, JSON.stringify(full));
          wrote = true;
        }
        this.recordCache.delete(record.digest);
        this.stepsCache.delete(stepId);
        const list = stepUpdates.get(stepId) ?? [...this.history(stepId)];
        const i = list.indexOf(record.digest);
        if (i >= 0) list.splice(i, 1);
        list.push(record.digest);
        stepUpdates.set(stepId, list.slice(-50));
      }
      for (const [stepId, list] of stepUpdates) {
        const before = this.history(stepId);
        if (list.length !== before.length || list.some((d, i) => d !== before[i])) {
          writeAtomic(this.file('steps', stepId), JSON.stringify(list));
          wrote = true;
        }
        this.stepsCache.set(stepId, list);
      }
      if (wrote) this.changed();
    });
  }

  /**
   * Entries by kind with their sizes, for `dfsim cache ls` and `du`. `corrupt` lists files that fail
   * validation (bad JSON, a record or manifest whose hash is not its name, a foreign file) and
   * temporary files orphaned by a killed run, relative to the store, sorted.
   */
  list(): { records: number; manifests: number; steps: number; replays: number; bytes: number; corrupt: string[] } {
    const out = { records: 0, manifests: 0, steps: 0, replays: 0, bytes: 0, corrupt: [] as string[] };
    // The generation token's temporary files, left by a run killed while replacing it.
    for (const name of safeList(this.dir)) {
      if (/^generation\.[0-9]+\.[0-9a-z]*\.tmp$/.test(name) && !processAlive(tmpOwner(name))) out.corrupt.push(name);
    }
    for (const file of listFiles(path.join(this.dir, 'replay'))) {
      // Replays validate themselves when read (replay.ts); here they count and take space.
      out.bytes += fileSize(file) ?? 0;
      if (!file.endsWith('.tmp')) out.replays++;
      else if (!processAlive(tmpOwner(file))) out.corrupt.push(path.relative(this.dir, file));
    }
    for (const kind of ['records', 'manifests', 'steps'] as const) {
      for (const file of listFiles(path.join(this.dir, kind))) {
        const size = fileSize(file);
        if (size === null) continue; // renamed away by a concurrent run
        out.bytes += size;
        if (file.endsWith('.tmp')) {
          if (!processAlive(tmpOwner(file))) out.corrupt.push(path.relative(this.dir, file));
          continue;
        }
        out[kind]++;
        const name = path.basename(file, '.json');
        const valid = kind === 'records' ? this.get(name) !== undefined : kind === 'manifests' ? this.manifest(name) !== undefined : this.validSteps(name);
        if (!valid) out.corrupt.push(path.relative(this.dir, file));
      }
    }
    out.corrupt.sort();
    return out;
  }

  /** Removes everything (or only corrupt entries). Returns the number of files removed. */
  prune(opts: { corruptOnly?: boolean } = {}): number {
    return this.withLock(() => {
      let removed = 0;
      if (opts.corruptOnly) {
        for (const rel of this.list().corrupt) {
          fs.rmSync(path.join(this.dir, rel), { force: true });
          removed++;
        }
        if (removed > 0) this.changed();
        this.stepsCache.clear();
        this.manifestCache.clear();
        this.recordCache.clear();
        return removed;
      }
      // stat/ is the context loader's stat cache and replay/ holds outputs to replay: only speed-ups.
      for (const kind of ['records', 'manifests', 'steps', 'stat', 'replay', 'sync']) {
        removed += listFiles(path.join(this.dir, kind)).length;
        fs.rmSync(path.join(this.dir, kind), { recursive: true, force: true });
      }
      this.changed();
      this.stepsCache.clear();
      this.manifestCache.clear();
      this.recordCache.clear();
      return removed;
    });
  }

  private file(kind: string, digest: string): string {
    return path.join(this.dir, kind, digest.slice(0, 2), `${digest}.json`);
  }

  private readJson(file: string): unknown {
    const text = this.read(file);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      this.warnCorrupt(file);
      return undefined;
    }
  }

  private validSteps(stepId: string): boolean {
    const list = this.readJson(this.file('steps', stepId));
    if (isStepList(list)) return true;
    if (list !== undefined) this.warnCorrupt(this.file('steps', stepId));
    return false;
  }

  private warnCorrupt(file: string): void {
    const rel = path.relative(this.dir, file);
    if (this.warned.has(rel)) return;
    this.warned.add(rel);
    this.warnings.push(warning('DF4001', `ignoring a corrupt or foreign cache entry: ${rel}`, undefined, 'Run `dfsim cache prune --corrupt` to remove it.'));
  }

  /**
   * A lock file created exclusively, holding the owner's pid. A lock whose owner process is gone (a
   * killed run) is taken over; so is an empty or unreadable one older than a few seconds (a run killed
   * between creating the file and writing its pid).
   */
  private withLock<T>(f: () => T): T {
    fs.mkdirSync(this.dir, { recursive: true });
    const lock = path.join(this.dir, 'lock');
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    let owner = 0;
    for (;;) {
      try {
        createWithContent(lock, String(process.pid));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const text = safeRead(lock);
        owner = /^[1-9][0-9]*$/.test(text) ? Number(text) : 0;
        if (lockIsStale(lock)) {
          takeOver(lock);
          continue;
        }
        if (Date.now() > deadline) {
          throw new DfsimError(
            error('DF4002', `the cache store is locked by ${owner ? `process ${owner}` : 'another process'} (${lock})`, undefined, 'Wait for the other dfsim run to finish, or remove the lock file if no dfsim is running.'),
            1,
          );
        }
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    removeOrphans(this.dir);
    try {
      return f();
    } finally {
      // Only our own lock: if another run wrongly took it over, removing its lock would let a third in.
      if (safeRead(lock) === String(process.pid)) fs.rmSync(lock, { force: true });
    }
  }
}

const LOCK_TIMEOUT_MS = 30_000;

/**
 * Creates `file` holding `text`, failing with EEXIST if it exists. The content is written to a
 * temporary file first and hard-linked into place, so the lock is never seen empty, even when the
 * run is killed right after creating it. Without hard links, falls back to an exclusive create.
 */
function createWithContent(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  fs.writeFileSync(tmp, text);
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
    const fd = fs.openSync(file, 'wx');
    try {
      fs.writeSync(fd, text);
    } finally {
      fs.closeSync(fd);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Lock-side leftovers (`lock.<pid>.*.tmp|stale`) of runs that were killed. */
function removeOrphans(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    const m = /^lock\.([0-9]+)\.[0-9a-z]*\.(tmp|stale)$/.exec(name);
    if (m && !processAlive(Number(m[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/**
 * Removes a stale lock without racing another run that takes it over at the same time: the lock is
 * renamed aside first (only one run can win the rename), checked again, and given back if what was
 * moved is a live run's fresh lock rather than the stale one.
 */
function takeOver(lock: string): void {
  const aside = `${lock}.${process.pid}.${Math.random().toString(36).slice(2)}.stale`;
  try {
    fs.renameSync(lock, aside);
  } catch {
    return; // gone already: someone else took it over or released it
  }
  if (!lockIsStale(aside)) {
    try {
      fs.linkSync(aside, lock);
    } catch {
      // A third run holds a new lock by now; the displaced owner's release checks the pid, so at worst
      // two writers overlap, and every write is an atomic rename.
    }
  }
  fs.rmSync(aside, { force: true });
}

/** Owned by a process that is gone, or empty/unreadable for longer than a run needs to write its pid. */
function lockIsStale(file: string): boolean {
  const text = safeRead(file);
  return /^[1-9][0-9]*$/.test(text) ? !processAlive(Number(text)) : olderThan(file, 5_000);
}

function isClassicImage(v: unknown): v is ClassicImage {
  if (!v || typeof v !== 'object') return false;
  const i = v as Partial<ClassicImage>;
  return (i.parent === null || typeof i.parent === 'string') && typeof i.image === 'string';
}

function isStepList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((d) => typeof d === 'string' && /^[0-9a-f]{16}$/.test(d));
}

function isRecord(v: unknown): v is StoredRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Partial<StoredRecord>;
  return r.format === RECORD_FORMAT && typeof r.digest === 'string' && typeof r.parts === 'object' && r.parts !== null && (r.parent === null || typeof r.parent === 'string');
}

/** `durable: false` skips the fsync: for files that only save time and validate themselves when read. */
export function writeAtomic(file: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // The pid in the name tells `prune --corrupt` whether the writer is still alive.
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try {
      // writeSync may write less than asked (large buffers): loop until every byte is out.
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length; ) off += fs.writeSync(fd, bytes, off, bytes.length - off);
      if (opts.durable !== false) fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** The pid of the process that wrote a temporary file (see writeAtomic), or 0. */
function tmpOwner(file: string): number {
  const m = /\.([0-9]+)\.[0-9a-z]*\.tmp$/.exec(file);
  return m ? Number(m[1]) : 0;
}

function fileSize(file: string): number | null {
  try {
    return fs.statSync(file).size;
  } catch {
    return null;
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const n of names) {
    const p = path.join(dir, n);
    let isDir: boolean;
    try {
      isDir = fs.statSync(p).isDirectory();
    } catch {
      continue; // a concurrent run's temporary file, renamed meanwhile
    }
    if (isDir) out.push(...listFiles(p));
    else if (n.endsWith('.json') || n.endsWith('.tmp')) out.push(p);
  }
  return out;
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** size, mtime, ctime and inode of a file ('-' when missing): a rewrite changes at least the ctime. */
export function statSignature(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}`;
  } catch {
    return '-';
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}
