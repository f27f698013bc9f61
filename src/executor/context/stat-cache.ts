import fs from 'node:fs';
import path from 'node:path';

/**
 * Persisted path → content digest, reused when a file's size, mtime, inode, ctime and mode are all
 * unchanged. ctime cannot be set from user space (touch/utimes bump it), so a rewrite that restores the
 * mtime is still noticed, unlike BuildKit's own size+mtime sync check (moby/buildkit#4817).
 */
export interface StatCacheRecord {
  size: number;
  mtimeMs: number;
  ino: number;
  ctimeMs: number;
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

const VERSION = 1;
const HEX16 = /^[0-9a-f]{16}$/;

interface StatCacheFile {
  version: number;
  /** Identifies the context root without storing its absolute path. */
  rootKey: string;
  entries: Record<string, StatCacheRecord>;
}

export class StatCache {
  /** Kept as the parsed object, not copied into a Map: 30,000 entries must load in a few ms. */
  private readonly old: Record<string, StatCacheRecord>;
  private readonly oldCount: number;
  private readonly next = new Map<string, StatCacheRecord>();
  private changed = false;
  private reusedCount = 0;
  private hashedCount = 0;

  private constructor(
    private readonly file: string | undefined,
    private readonly rootKey: string,
    old: Record<string, StatCacheRecord>,
  ) {
    this.old = old;
    this.oldCount = Object.keys(old).length;
  }

  /** Loads the cache; a missing, unreadable, corrupt or foreign-root file is an empty cache. */
  static load(file: string | undefined, rootKey: string): StatCache {
    let old: Record<string, StatCacheRecord> = {};
    if (file) {
      try {
        const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StatCacheFile>;
        if (data.version === VERSION && data.rootKey === rootKey && data.entries && typeof data.entries === 'object') {
          old = data.entries;
        }
      } catch {
        // no usable cache: hash everything
      }
    }
    return new StatCache(file, rootKey, old);
  }

  /** The cached record when the file is unchanged, else undefined. */
  lookup(rel: string, st: StatLike): StatCacheRecord | undefined {
    if (!Object.hasOwn(this.old, rel)) return undefined;
    const r = this.old[rel];
    if (
      !r ||
      r.size !== st.size ||
      r.mtimeMs !== st.mtimeMs ||
      r.ino !== st.ino ||
      r.ctimeMs !== st.ctimeMs ||
      r.mode !== st.stMode ||
      typeof r.digest !== 'string' ||
      typeof r.record !== 'string' ||
      !HEX16.test(r.digest) ||
      !HEX16.test(r.record)
    ) {
      return undefined;
    }
    this.next.set(rel, r);
    this.reusedCount++;
    return r;
  }

  record(rel: string, st: StatLike, digest: string, record: string): void {
    this.next.set(rel, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, ctimeMs: st.ctimeMs, mode: st.stMode, digest, record });
    this.changed = true;
    this.hashedCount++;
  }

  /** Writes the cache atomically (temp file + rename) when anything changed or entries were dropped. */
  save(): void {
    if (!this.file) return;
    if (!this.changed && this.next.size === this.oldCount) return;
    const entries: Record<string, StatCacheRecord> = {};
    for (const p of [...this.next.keys()].sort()) entries[p] = this.next.get(p)!;
    const body: StatCacheFile = { version: VERSION, rootKey: this.rootKey, entries };
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(body));
    fs.renameSync(tmp, this.file);
  }

  /** How many content digests were reused from the cache and how many were computed. */
  get stats(): { reused: number; hashed: number } {
    return { reused: this.reusedCount, hashed: this.hashedCount };
  }
}
