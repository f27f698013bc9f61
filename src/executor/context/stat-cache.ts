import fs from 'node:fs';
import path from 'node:path';

/**
 * Persisted path → {size, mtimeMs, ino, ctimeMs, mode, digest}, reused when a file's size, mtime, inode,
 * ctime and mode are all unchanged. ctime cannot be set from user space (touch/utimes bump it), so a
 * rewrite that restores the mtime is still noticed, unlike BuildKit's own size+mtime sync check
 * (moby/buildkit#4817).
 *
 * The file is columnar (paths, a flat number array, one hex string) rather than one object per path:
 * parsing 30,000 small objects took ~40 ms and fed the GC; the columns parse in a fraction of that.
 */
export interface StatCacheRecord {
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
  /** Full st_mode (type and permission bits). */
  mode: number;
  /** Content digest (16-hex XXH64 of the bytes). */
  digest: string;
  /** Record digest (header + content, see digest.ts), so a warm load hashes nothing per file. */
  record: string;
}

/** The lstat fields compared; `stMode` is the full st_mode (type and permission bits). */
export interface StatLike {
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
  stMode: number;
}

const VERSION = 2;
const FIELDS = 5; // size, mtimeMs, ino, ctimeMs, mode
const HEX = 32; // content digest + record digest

interface StatCacheFile {
  version: number;
  /** Identifies the context root without storing its absolute path. */
  rootKey: string;
  paths: string[];
  /** FIELDS numbers per path, in `paths` order. */
  stats: number[];
  /** HEX characters per path: content digest then record digest. */
  digests: string;
}

const HEX_RUN = /^[0-9a-f]*$/;

export class StatCache {
  private readonly index = new Map<string, number>();
  private stats: number[] = [];
  private digests = '';
  /** Rows to persist: an index into the loaded columns (reused) or a fresh record. */
  private readonly next = new Map<string, number | StatCacheRecord>();
  private changed = false;
  private reusedCount = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly rootKey: string,
  ) {}

  /** Loads the cache; a missing, unreadable, corrupt or foreign-root file is an empty cache. */
  static load(file: string | undefined, rootKey: string): StatCache {
    const cache = new StatCache(file, rootKey);
    if (!file) return cache;
    try {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StatCacheFile>;
      const { paths, stats, digests } = data;
      if (
        data.version === VERSION &&
        data.rootKey === rootKey &&
        Array.isArray(paths) &&
        Array.isArray(stats) &&
        typeof digests === 'string' &&
        stats.length === paths.length * FIELDS &&
        digests.length === paths.length * HEX &&
        HEX_RUN.test(digests)
      ) {
        paths.forEach((p, i) => cache.index.set(p, i));
        cache.stats = stats;
        cache.digests = digests;
      }
    } catch {
      // no usable cache: hash everything
    }
    return cache;
  }

  /** The cached content and record digests when the file is unchanged, else undefined. */
  lookup(rel: string, st: StatLike): { content: string; record: string } | undefined {
    const i = this.index.get(rel);
    if (i === undefined) return undefined;
    const s = this.stats;
    const o = i * FIELDS;
    if (s[o] !== st.size || s[o + 1] !== st.mtimeMs || s[o + 2] !== st.ino || s[o + 3] !== st.ctimeMs || s[o + 4] !== st.stMode) {
      return undefined;
    }
    // Remember the old row by index: no per-file object on the warm path.
    this.next.set(rel, i);
    this.reusedCount++;
    const d = i * HEX;
    return { content: this.digests.slice(d, d + 16), record: this.digests.slice(d + 16, d + 32) };
  }

  record(rel: string, st: StatLike, digest: string, record: string): void {
    this.next.set(rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs, mode: st.stMode, digest, record });
    this.changed = true;
  }

  /** Writes the cache atomically (temp file + rename) when anything changed or entries were dropped. */
  save(): void {
    if (!this.file) return;
    if (!this.changed && this.next.size === this.index.size) return;
    const paths = [...this.next.keys()].sort();
    const stats: number[] = [];
    let digests = '';
    for (const p of paths) {
      const r = this.next.get(p)!;
      if (typeof r === 'number') {
        for (let k = 0; k < FIELDS; k++) stats.push(this.stats[r * FIELDS + k]!);
        digests += this.digests.slice(r * HEX, (r + 1) * HEX);
      } else {
        stats.push(r.size, r.mtimeMs, r.ino, r.ctimeMs, r.mode);
        digests += r.digest + r.record;
      }
    }
    const body: StatCacheFile = { version: VERSION, rootKey: this.rootKey, paths, stats, digests };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(body));
    fs.renameSync(tmp, this.file);
  }

  /** How many content digests were reused from the cache. */
  get reused(): number {
    return this.reusedCount;
  }
}
