import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { warning, type Diagnostic } from '../diagnostics/diagnostic.js';
import { hashJson } from '../executor/hash.js';
import type { FileManifest, KeyParts } from '../executor/types.js';

/**
 * The persistent, content-addressed cache store. Layout under the cache directory:
 *   records/<aa>/<digest>.json     one per step key ever built (kept, like BuildKit keeps every result)
 *   manifests/<aa>/<digest>.json   file lists of content-keyed inputs, shared between records
 *   steps/<aa>/<stepId>.json       digests built for one step identity, oldest first (for explanations)
 *   lock                           held while writing (concurrent runs wait)
 * Every file is written to a temporary name and renamed, so a killed run leaves either the old or the
 * new file. Anything that fails validation is reported as a warning and ignored.
 */
export const RECORD_FORMAT = 'dfsim-record/1';

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
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'dfsim');
}

export class CacheStore {
  readonly warnings: Diagnostic[] = [];
  private readonly stepsCache = new Map<string, string[]>();

  constructor(readonly dir: string) {}

  has(digest: string): boolean {
    return this.get(digest) !== undefined;
  }

  get(digest: string): StoredRecord | undefined {
    const file = this.file('records', digest);
    const rec = this.readJson(file);
    if (rec === undefined) return undefined;
    if (!isRecord(rec) || rec.digest !== digest || hashJson({ parent: rec.parent, parts: rec.parts }) !== digest) {
      this.warnings.push(warning('DF4001', `ignoring a corrupt or foreign cache entry: ${path.relative(this.dir, file)}`, undefined, 'Run `dfsim cache prune --corrupt` to remove it.'));
      return undefined;
    }
    return rec;
  }

  manifest(digest: string): FileManifest | undefined {
    const m = this.readJson(this.file('manifests', digest));
    return m && typeof m === 'object' && !Array.isArray(m) ? (m as FileManifest) : undefined;
  }

  /** Digests built for a step identity, oldest first. */
  history(stepId: string): string[] {
    const cached = this.stepsCache.get(stepId);
    if (cached) return cached;
    const list = this.readJson(this.file('steps', stepId));
    const ok = Array.isArray(list) && list.every((d) => typeof d === 'string' && /^[0-9a-f]{16}$/.test(d)) ? (list as string[]) : [];
    this.stepsCache.set(stepId, ok);
    return ok;
  }

  /** Records a build's steps. Holds the lock; every file is replaced atomically. */
  save(entries: Array<{ stepId: string; record: Omit<StoredRecord, 'format' | 'manifests'>; manifests?: Record<string, FileManifest> }>): void {
    this.withLock(() => {
      const stepUpdates = new Map<string, string[]>();
      for (const { stepId, record, manifests } of entries) {
        const manifestRefs: Record<string, string> = {};
        for (const [name, m] of Object.entries(manifests ?? {})) {
          const d = hashJson(m);
          manifestRefs[name] = d;
          const mf = this.file('manifests', d);
          if (!fs.existsSync(mf)) writeAtomic(mf, JSON.stringify(m));
        }
        const full: StoredRecord = { format: RECORD_FORMAT, ...record, manifests: manifestRefs };
        const rf = this.file('records', record.digest);
        if (!fs.existsSync(rf) || this.get(record.digest) === undefined) writeAtomic(rf, JSON.stringify(full));
        this.stepsCache.delete(stepId);
        const list = stepUpdates.get(stepId) ?? [...this.history(stepId)];
        const i = list.indexOf(record.digest);
        if (i >= 0) list.splice(i, 1);
        list.push(record.digest);
        stepUpdates.set(stepId, list.slice(-50));
      }
      for (const [stepId, list] of stepUpdates) {
        writeAtomic(this.file('steps', stepId), JSON.stringify(list));
        this.stepsCache.set(stepId, list);
      }
    });
  }

  /** Entries by kind with their sizes, for `dfsim cache ls` and `du`. */
  list(): { records: number; manifests: number; steps: number; bytes: number; corrupt: string[] } {
    const out = { records: 0, manifests: 0, steps: 0, bytes: 0, corrupt: [] as string[] };
    for (const kind of ['records', 'manifests', 'steps'] as const) {
      for (const file of listFiles(path.join(this.dir, kind))) {
        out[kind]++;
        out.bytes += fs.statSync(file).size;
        if (kind === 'records') {
          const digest = path.basename(file, '.json');
          if (!this.get(digest)) out.corrupt.push(path.relative(this.dir, file));
        }
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
        return removed;
      }
      for (const kind of ['records', 'manifests', 'steps']) {
        removed += listFiles(path.join(this.dir, kind)).length;
        fs.rmSync(path.join(this.dir, kind), { recursive: true, force: true });
      }
      return removed;
    });
  }

  private file(kind: string, digest: string): string {
    return path.join(this.dir, kind, digest.slice(0, 2), `${digest}.json`);
  }

  private readJson(file: string): unknown {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      this.warnings.push(warning('DF4001', `ignoring a corrupt cache entry: ${path.relative(this.dir, file)}`, undefined, 'Run `dfsim cache prune --corrupt` to remove it.'));
      return undefined;
    }
  }

  /** A lock file created exclusively; a lock whose owner process is gone is taken over. */
  private withLock<T>(f: () => T): T {
    fs.mkdirSync(this.dir, { recursive: true });
    const lock = path.join(this.dir, 'lock');
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = Number(safeRead(lock));
        if (owner && !processAlive(owner)) {
          fs.rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() > deadline) throw new Error(`cache store is locked by process ${owner} (${lock})`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
    try {
      return f();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

function isRecord(v: unknown): v is StoredRecord {
  if (!v || typeof v !== 'object') return false;
  const r = v as Partial<StoredRecord>;
  return r.format === RECORD_FORMAT && typeof r.digest === 'string' && typeof r.parts === 'object' && r.parts !== null && (r.parent === null || typeof r.parent === 'string');
}

export function writeAtomic(file: string, data: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
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
    if (fs.statSync(p).isDirectory()) out.push(...listFiles(p));
    else if (n.endsWith('.json')) out.push(p);
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
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
