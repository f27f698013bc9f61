// The cache store on disk: validation of what it reads back, pruning, and safety when several runs
// share one store (two processes at once, a process killed with SIGKILL while writing).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CacheStore, RECORD_FORMAT, writeAtomic, type StoredRecord } from '../../src/cache/store.js';
import { main } from '../../src/cli/main.js';
import { hash64, hashJson, initHasher } from '../../src/executor/hash.js';
import type { FileManifest } from '../../src/executor/types.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const BB_LATEST = path.join(ROOT, '__tests__', 'fixtures', 'images', 'bb-latest.json');

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix = 'dfsim-store-test-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmp.push(d);
  return d;
}

type Entry = Parameters<CacheStore['save']>[0][number];

/** A record as simulate() saves it: the digest is the hash of parent + parts. */
function entry(stepId: string, command: string, parent: string | null = null, manifests?: Record<string, FileManifest>): Entry {
  const parts = { args: ['/bin/sh', '-c', command], env: ['PATH=/bin'] };
  const record = { digest: hashJson({ parent, parts }), builder: 'buildkit', parent, parts, meta: {} };
  return manifests ? { stepId, record, manifests } : { stepId, record };
}

const STEP = 'aaaaaaaaaaaaaaaa';
const recordPath = (dir: string, digest: string): string => path.join(dir, 'records', digest.slice(0, 2), `${digest}.json`);

/** Every .json file under the store parses, and every record/manifest hashes to its name. */
function assertStoreValid(dir: string): void {
  const store = new CacheStore(dir);
  const info = store.list();
  expect(info.corrupt.filter((f) => !f.endsWith('.tmp'))).toEqual([]);
  expect(store.warnings).toEqual([]);
}

beforeAll(async () => {
  await initHasher();
});

describe('CacheStore: save and read back', () => {
  it('keeps the classic images of a key: the usual one until another is recorded, then all, newest last', () => {
    const dir = tempDir();
    const e = entry(STEP, 'echo c', 'aaaaaaaaaaaaaaaa');
    new CacheStore(dir).save([e]);
    expect(new CacheStore(dir).classicImages(e.record.digest)).toEqual([{ parent: 'aaaaaaaaaaaaaaaa', image: e.record.digest }]);
    // Built again on another parent image (after a --no-cache build).
    new CacheStore(dir).save([{ ...e, image: { parent: 'bbbbbbbbbbbbbbbb', image: 'cccccccccccccccc' } }]);
    new CacheStore(dir).save([{ ...e, image: { parent: 'bbbbbbbbbbbbbbbb', image: 'cccccccccccccccc' } }]);
    const store = new CacheStore(dir);
    expect(store.classicImages(e.record.digest)).toEqual([
      { parent: 'aaaaaaaaaaaaaaaa', image: e.record.digest },
      { parent: 'bbbbbbbbbbbbbbbb', image: 'cccccccccccccccc' },
    ]);
    expect(store.get(e.record.digest)?.parts).toEqual(e.record.parts);
    expect(store.classicImages('dddddddddddddddd')).toEqual([]);
    assertStoreValid(dir);
  });

  it('writes manifests as canonical JSON whose bytes hash to their name, and still reads the first format', () => {
    const dir = tempDir();
    // Keys out of order on purpose: the stored text sorts them.
    const manifest: FileManifest = { 'b.txt': { type: 'file', mode: 0o644, size: 1, digest: '1111111111111111' }, '.': { type: 'dir', mode: 0o755, size: 0, digest: null } };
    const e = entry(STEP, 'echo m', null, { '.': manifest });
    new CacheStore(dir).save([e]);
    const ref = new CacheStore(dir).get(e.record.digest)!.manifests!['.']!;
    const mf = path.join(dir, 'manifests', ref.slice(0, 2), `${ref}.json`);
    const text = fs.readFileSync(mf, 'utf8');
    expect(text).toBe('{".":{"digest":null,"mode":493,"size":0,"type":"dir"},"b.txt":{"digest":"1111111111111111","mode":420,"size":1,"type":"file"}}');
    expect(hash64(text)).toBe(ref);
    // A manifest saved by the first store format (plain JSON.stringify, insertion order) is still valid.
    fs.writeFileSync(mf, JSON.stringify(manifest));
    const store = new CacheStore(dir);
    expect(store.manifest(ref)).toEqual(manifest);
    store.save([e]);
    expect(store.warnings).toEqual([]);
    expect(fs.readFileSync(mf, 'utf8')).toBe(JSON.stringify(manifest)); // valid, so not rewritten
  });

  it('returns a saved record, its manifest and the step history, oldest first', () => {
    const dir = tempDir();
    const manifest: FileManifest = { 'a.txt': { type: 'file', mode: 0o644, size: 2, digest: '0123456789abcdef' } };
    const a = entry(STEP, 'echo a', null, { 'a.txt': manifest });
    const b = entry(STEP, 'echo b');
    new CacheStore(dir).save([a]);
    new CacheStore(dir).save([b]);
    const store = new CacheStore(dir);
    const rec = store.get(a.record.digest)!;
    expect(rec.format).toBe(RECORD_FORMAT);
    expect(rec.parts).toEqual(a.record.parts);
    expect(store.manifest(rec.manifests!['a.txt']!)).toEqual(manifest);
    expect(store.history(STEP)).toEqual([a.record.digest, b.record.digest]);
    // Re-building the first moves it to the end (most recent), without duplicates.
    new CacheStore(dir).save([a]);
    expect(new CacheStore(dir).history(STEP)).toEqual([b.record.digest, a.record.digest]);
    expect(store.warnings).toEqual([]);
  });

  it('keeps the last 50 digests of a step', () => {
    const dir = tempDir();
    const entries = Array.from({ length: 60 }, (_, i) => entry(STEP, `echo ${i}`));
    new CacheStore(dir).save(entries);
    const history = new CacheStore(dir).history(STEP);
    expect(history).toHaveLength(50);
    expect(history[0]).toBe(entries[10]!.record.digest);
    expect(history[49]).toBe(entries[59]!.record.digest);
  });

  it('writeAtomic leaves no temporary file behind and replaces the old content', () => {
    const dir = tempDir();
    const file = path.join(dir, 'x', 'y.json');
    writeAtomic(file, '{"v":1}');
    writeAtomic(file, '{"v":2}');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":2}');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['y.json']);
  });

  it('two CacheStore instances in one process saving interleaved entries keep both', () => {
    const dir = tempDir();
    const s1 = new CacheStore(dir);
    const s2 = new CacheStore(dir);
    // Both have read the (empty) history before either saves, as two builds predicting first would.
    expect(s1.history(STEP)).toEqual([]);
    expect(s2.history(STEP)).toEqual([]);
    const e = ['one', 'two', 'three', 'four'].map((c) => entry(STEP, `echo ${c}`));
    s1.save([e[0]!]);
    s2.save([e[1]!]);
    s1.save([e[2]!]);
    s2.save([e[3]!, entry('bbbbbbbbbbbbbbbb', 'echo other')]);
    const fresh = new CacheStore(dir);
    expect(fresh.history(STEP)).toEqual(e.map((x) => x.record.digest));
    for (const x of e) expect(fresh.has(x.record.digest)).toBe(true);
    expect(fresh.history('bbbbbbbbbbbbbbbb')).toHaveLength(1);
    assertStoreValid(dir);
  });
});

describe('CacheStore: corrupt and foreign entries', () => {
  function storeWithThree(): { dir: string; good: Entry; badJson: Entry; wrongDigest: Entry; foreign: Entry } {
    const dir = tempDir();
    const [good, badJson, wrongDigest, foreign] = ['good', 'bad json', 'wrong digest', 'foreign'].map((c) => entry(STEP, `echo ${c}`)) as [Entry, Entry, Entry, Entry];
    new CacheStore(dir).save([good, badJson, wrongDigest, foreign]);
    // Truncated mid-write by something that did not write atomically.
    fs.writeFileSync(recordPath(dir, badJson.record.digest), '{"format":"dfsim-record/1","digest":"');
    // Valid JSON whose parts were edited by hand: the digest no longer matches them.
    const edited = JSON.parse(fs.readFileSync(recordPath(dir, wrongDigest.record.digest), 'utf8')) as StoredRecord;
    edited.parts = { ...edited.parts, args: ['/bin/sh', '-c', 'echo tampered'] };
    fs.writeFileSync(recordPath(dir, wrongDigest.record.digest), JSON.stringify(edited));
    // Some other program's JSON file.
    fs.writeFileSync(recordPath(dir, foreign.record.digest), JSON.stringify({ name: 'not ours', version: 3 }));
    return { dir, good, badJson, wrongDigest, foreign };
  }

  it('reports each as a DF4001 warning, once, and treats it as absent', () => {
    const { dir, good, badJson, wrongDigest, foreign } = storeWithThree();
    const store = new CacheStore(dir);
    expect(store.has(good.record.digest)).toBe(true);
    for (const bad of [badJson, wrongDigest, foreign]) {
      expect(store.has(bad.record.digest)).toBe(false);
      expect(store.get(bad.record.digest)).toBeUndefined();
    }
    expect(store.warnings.map((w) => w.code)).toEqual(['DF4001', 'DF4001', 'DF4001']);
    expect(store.warnings.every((w) => w.severity === 'warning')).toBe(true);
    const named = store.warnings.map((w) => w.message).join('\n');
    for (const bad of [badJson, wrongDigest, foreign]) expect(named).toContain(path.join('records', bad.record.digest.slice(0, 2), `${bad.record.digest}.json`));
    expect(store.warnings[0]!.hint).toContain('dfsim cache prune --corrupt');
  });

  it('list() names them and prune({ corruptOnly }) removes only them', () => {
    const { dir, good, badJson, wrongDigest, foreign } = storeWithThree();
    const store = new CacheStore(dir);
    const info = store.list();
    expect(info.records).toBe(4);
    expect(info.corrupt).toEqual([badJson, wrongDigest, foreign].map((e) => path.join('records', e.record.digest.slice(0, 2), `${e.record.digest}.json`)).sort());
    expect(store.prune({ corruptOnly: true })).toBe(3);
    const after = new CacheStore(dir);
    expect(after.list()).toMatchObject({ records: 1, corrupt: [] });
    expect(after.has(good.record.digest)).toBe(true);
    expect(after.warnings).toEqual([]);
  });

  it('a corrupt record is rewritten when the same step is saved again', () => {
    const { dir, badJson } = storeWithThree();
    const store = new CacheStore(dir);
    store.save([badJson]);
    expect(new CacheStore(dir).get(badJson.record.digest)?.parts).toEqual(badJson.record.parts);
  });

  it('a manifest whose hash is not its name, and a damaged step history, are ignored with DF4001', () => {
    const dir = tempDir();
    const manifest: FileManifest = { 'a.txt': { type: 'file', mode: 0o644, size: 2, digest: '0123456789abcdef' } };
    const e = entry(STEP, 'echo m', null, { '.': manifest });
    new CacheStore(dir).save([e]);
    const ref = new CacheStore(dir).get(e.record.digest)!.manifests!['.']!;
    const mf = path.join(dir, 'manifests', ref.slice(0, 2), `${ref}.json`);
    fs.writeFileSync(mf, JSON.stringify({ 'b.txt': manifest['a.txt'] }));
    fs.writeFileSync(path.join(dir, 'steps', STEP.slice(0, 2), `${STEP}.json`), JSON.stringify(['not-a-digest']));
    const store = new CacheStore(dir);
    expect(store.manifest(ref)).toBeUndefined();
    expect(store.history(STEP)).toEqual([]);
    expect(store.warnings.map((w) => w.code)).toEqual(['DF4001', 'DF4001']);
    expect(store.list().corrupt).toEqual([path.relative(dir, mf), path.join('steps', STEP.slice(0, 2), `${STEP}.json`)].sort());
    expect(store.prune({ corruptOnly: true })).toBe(2);
    expect(new CacheStore(dir).list()).toMatchObject({ records: 1, manifests: 0, steps: 0, corrupt: [] });
  });

  it('list() sizes are the bytes of the files; prune() removes everything and counts it', () => {
    const dir = tempDir();
    const manifest: FileManifest = { 'a.txt': { type: 'file', mode: 0o644, size: 2, digest: '0123456789abcdef' } };
    new CacheStore(dir).save([entry(STEP, 'echo 1', null, { 'a.txt': manifest }), entry('bbbbbbbbbbbbbbbb', 'echo 2')]);
    const files = ['records', 'manifests', 'steps'].flatMap((k) => walk(path.join(dir, k)));
    const store = new CacheStore(dir);
    const info = store.list();
    expect(info).toEqual({ records: 2, manifests: 1, steps: 2, replays: 0, bytes: files.reduce((n, f) => n + fs.statSync(f).size, 0), corrupt: [] });
    expect(store.prune()).toBe(5);
    expect(new CacheStore(dir).list()).toEqual({ records: 0, manifests: 0, steps: 0, replays: 0, bytes: 0, corrupt: [] });
  });

  it('a corrupt record reaches `dfsim build` as a warning, not a failure, and `cache prune --corrupt` removes it', async () => {
    const dir = tempDir();
    const ctx = makeContext('FROM bb:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt\n', { 'a.txt': 'a\n' });
    const args = ['--cache-dir', dir, '--base-image', `bb:latest=${BB_LATEST}`];
    expect((await run(['build', ctx, ...args])).code).toBe(0);
    const records = walk(path.join(dir, 'records'));
    expect(records).toHaveLength(3);
    fs.writeFileSync(records[0]!, '{ not json');
    const again = await run(['build', ctx, ...args, '--json']);
    expect(again.code).toBe(0);
    const json = JSON.parse(again.out) as { ok: boolean; warnings: Array<{ code: string; message: string }>; steps: Array<{ cached: boolean | null }> };
    expect(json.ok).toBe(true);
    expect(json.warnings.map((w) => w.code)).toEqual(['DF4001']);
    expect(json.warnings[0]!.message).toContain(path.relative(dir, records[0]!));
    // The damaged step misses (its record is gone); the build rewrote it.
    expect(json.steps.filter((s) => s.cached === false)).not.toHaveLength(0);
    fs.writeFileSync(records[1]!, JSON.stringify({ foreign: true }));
    const ls = await run(['cache', 'ls', '--cache-dir', dir, '--json']);
    expect((JSON.parse(ls.out) as { corrupt: string[] }).corrupt).toEqual([path.relative(dir, records[1]!)]);
    const pruned = await run(['cache', 'prune', '--corrupt', '--cache-dir', dir, '--json']);
    expect(JSON.parse(pruned.out)).toEqual({ removed: 1 });
    expect(fs.existsSync(records[1]!)).toBe(false);
    expect(new CacheStore(dir).list().corrupt).toEqual([]);
  });
});

describe('CacheStore: the context directories BuildKit keeps synced', () => {
  it('reads back what was saved; a change replaces the generation token, saving the same again does not', () => {
    const dir = tempDir();
    const store = new CacheStore(dir);
    expect(store.syncedDirs('ctx')).toEqual(new Map());
    store.saveSyncedDirs('ctx', new Map([['sub', 0o700], ['', 0o755]]));
    const generation = store.generation();
    expect(generation).not.toBe('');
    expect(new CacheStore(dir).syncedDirs('ctx')).toEqual(new Map([['', 0o755], ['sub', 0o700]]));
    new CacheStore(dir).saveSyncedDirs('ctx', new Map([['', 0o755], ['sub', 0o700]]));
    expect(new CacheStore(dir).generation()).toBe(generation);
    new CacheStore(dir).saveSyncedDirs('ctx', new Map([['', 0o755]]));
    expect(new CacheStore(dir).generation()).not.toBe(generation);
  });

  it('takes a damaged file for none', () => {
    const dir = tempDir();
    new CacheStore(dir).saveSyncedDirs('ctx', new Map([['sub', 0o700]]));
    const file = walk(path.join(dir, 'sync'))[0]!;
    fs.writeFileSync(file, '{"format":"dfsim-sync/1","dirs":');
    const store = new CacheStore(dir);
    expect(store.syncedDirs('ctx')).toEqual(new Map());
    expect(store.warnings.map((w) => w.code)).toEqual(['DF4001']);
  });
});

describe('CacheStore: the lock', () => {
  it('takes over a lock left by a process that is gone', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'lock'), String(deadPid()));
    const store = new CacheStore(dir);
    const e = entry(STEP, 'echo after takeover');
    store.save([e]);
    expect(new CacheStore(dir).has(e.record.digest)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('takes over an empty lock once it is a few seconds old (a run killed before writing its pid)', () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    fs.writeFileSync(lock, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    new CacheStore(dir).save([entry(STEP, 'echo x')]);
    expect(fs.existsSync(lock)).toBe(false);
  });

  it('waits for a live owner, then writes', async () => {
    const dir = tempDir();
    const lock = path.join(dir, 'lock');
    // A live process (this one's child) holds the lock and releases it after a moment.
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    fs.writeFileSync(lock, String(holder.pid));
    const release = setTimeout(() => fs.rmSync(lock, { force: true }), 300);
    const waiter = spawnNode(`
      import { CacheStore } from ${JSON.stringify(pathToUrl(compiled('cache/store.js')))};
      import { initHasher, hashJson } from ${JSON.stringify(pathToUrl(compiled('executor/hash.js')))};
      await initHasher();
      const parts = { args: ['/bin/sh', '-c', 'echo waited'] };
      new CacheStore(process.argv[2]).save([{ stepId: '${STEP}', record: { digest: hashJson({ parent: null, parts }), builder: 'buildkit', parent: null, parts } }]);
      console.log(hashJson({ parent: null, parts }));
    `, [dir]);
    const { code, out } = await finished(waiter);
    clearTimeout(release);
    holder.kill('SIGKILL');
    expect(code).toBe(0);
    expect(new CacheStore(dir).has(out.trim())).toBe(true);
    expect(fs.existsSync(lock)).toBe(false);
  });
});

// ---- Several processes on one store -------------------------------------------------------------

let buildDir = '';

/** The compiled sources for child processes, in a private directory (so the shared dist/ is not touched). */
function compiled(rel: string): string {
  return path.join(buildDir, rel);
}

function pathToUrl(p: string): string {
  return new URL(`file://${p}`).href;
}

function spawnNode(source: string, args: string[]): ChildProcess {
  const script = path.join(buildDir, `child-${Math.random().toString(36).slice(2)}.mjs`);
  fs.writeFileSync(script, source);
  return spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
}

function finished(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

beforeAll(() => {
  // Under node_modules so the compiled modules resolve the project's dependencies.
  buildDir = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.cache-dfsim-store-test-'));
  tmp.push(buildDir);
  // Other files may be mid-edit with type errors; tsc still emits, so only the output matters.
  spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', buildDir, '--sourceMap', 'false'], { cwd: ROOT, stdio: 'ignore' });
  if (!fs.existsSync(compiled('cli/main.js'))) throw new Error('compiling the CLI for the child processes failed');
  fs.writeFileSync(compiled('dfsim.mjs'), "import { main } from './cli/main.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
}, 120_000);

function makeContext(dockerfile: string, files: Record<string, string>): string {
  const dir = tempDir('dfsim-store-ctx-');
  fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]))
    .sort();
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} });
  return { code, out, err };
}

/** A context whose COPY . /src reads many files, so saving its manifest takes a while. */
function bigContext(tag: string, n: number): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < n; i++) files[`src/d${i % 20}/f${i}.txt`] = `${tag} ${i}\n`;
  return makeContext(`FROM bb:latest\nWORKDIR /app\nCOPY src/ /src/\nRUN echo ${tag} > /tag\nCOPY src/d1 /d1\nRUN ls /src\n`, files);
}

describe('several processes on one store', () => {
  it('two concurrent `dfsim build` runs keep both sets of records, and a third run hits everything', async () => {
    const store = tempDir();
    const a = bigContext('alpha', 1500);
    const b = bigContext('beta', 1500);
    const common = ['--cache-dir', store, '--base-image', `bb:latest=${BB_LATEST}`, '--json'];
    const spawnBuild = (ctx: string): ChildProcess => spawn(process.execPath, [compiled('dfsim.mjs'), 'build', ctx, ...common], { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
    const [ra, rb] = await Promise.all([finished(spawnBuild(a)), finished(spawnBuild(b))]);
    expect([ra.code, rb.code, ra.err, rb.err]).toEqual([0, 0, '', '']);
    const built = [ra, rb].map((r) => JSON.parse(r.out) as { ok: boolean; steps: Array<{ cached: boolean | null }> });
    expect(built.map((j) => j.ok)).toEqual([true, true]);
    assertStoreValid(store);
    expect(fs.existsSync(path.join(store, 'lock'))).toBe(false);
    // FROM is shared; WORKDIR (same parent, same path) is shared; the rest is 4 per build.
    expect(new CacheStore(store).list()).toMatchObject({ records: 2 + 4 + 4, steps: 12, corrupt: [] });
    for (const ctx of [a, b]) {
      const third = await run(['plan', ctx, ...common]);
      const json = JSON.parse(third.out) as { steps: Array<{ cached: boolean | null; instruction: string }>; summary: { rebuilt: number; reused: number } };
      expect(json.summary).toEqual({ reused: 6, rebuilt: 0, firstMiss: null });
      expect(json.steps.every((s) => s.cached === true)).toBe(true);
    }
  });

  it('a run killed with SIGKILL while saving leaves only valid files, loses no earlier record, and its lock is taken over', async () => {
    const dir = tempDir();
    // Earlier records that must survive every kill.
    const baseline = Array.from({ length: 5 }, (_, i) => entry(STEP, `echo baseline ${i}`));
    new CacheStore(dir).save(baseline);
    const saved = new Set(baseline.map((e) => e.record.digest));
    const child = (round: number): ChildProcess =>
      spawnNode(
        `
      import { CacheStore } from ${JSON.stringify(pathToUrl(compiled('cache/store.js')))};
      import { initHasher, hashJson } from ${JSON.stringify(pathToUrl(compiled('executor/hash.js')))};
      await initHasher();
      const store = new CacheStore(process.argv[2]);
      // Large manifests make every save take long enough to be killed in the middle of it.
      // Cheap to build here, expensive to hash, serialise and fsync inside save(): most of the time goes to save().
      for (let i = 0; ; i++) {
        const manifest = {};
        for (let f = 0; f < 4000; f++) manifest['dir/file-' + f + '.txt'] = { type: 'file', mode: 420, size: f, digest: (${round} * 1e9 + i * 1e5 + f).toString(16).padStart(16, '0') };
        const parts = { args: ['/bin/sh', '-c', 'echo round ${round} save ' + i] };
        const digest = hashJson({ parent: null, parts });
        store.save([{ stepId: '${STEP}', record: { digest, builder: 'buildkit', parent: null, parts }, manifests: { 'dir': manifest } }]);
        process.stdout.write(digest + '\\n');
      }
    `,
        [dir],
      );
    let lockLeft = 0;
    let tmpLeft = 0;
    for (let round = 0; round < 6; round++) {
      const c = child(round);
      const done = finished(c);
      // Let it complete 1-3 saves, then kill it at some point inside a later one.
      const want = 1 + (round % 3);
      await new Promise<void>((resolve) => {
        let lines = 0;
        c.stdout!.on('data', (d: Buffer) => {
          lines += d.toString().split('\n').length - 1;
          if (lines >= want) {
            setTimeout(() => c.kill('SIGKILL'), (round * 7) % 25);
            resolve();
          }
        });
      });
      const { signal, out } = await done;
      expect(signal).toBe('SIGKILL');
      for (const d of out.split('\n').filter(Boolean)) saved.add(d);

      if (fs.existsSync(path.join(dir, 'lock'))) {
        lockLeft++;
        expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(String(c.pid));
      }
      if (walk(dir).some((f) => f.endsWith('.tmp'))) tmpLeft++;
      // Every file parses and validates; every record saved before the kill is still there, and in the step's history.
      assertStoreValid(dir);
      const store = new CacheStore(dir);
      for (const d of saved) expect(store.has(d)).toBe(true);
      // (The killed save may have finished writing without reporting it, so the history may hold one more.)
      const history = new Set(store.history(STEP));
      expect([...saved].filter((d) => !history.has(d))).toEqual([]);
    }
    // The next run takes over whatever lock the last kill left and writes.
    const next = entry(STEP, 'echo next run');
    new CacheStore(dir).save([next]);
    expect(new CacheStore(dir).has(next.record.digest)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
    // Temporary files orphaned by the kills are listed as corrupt and pruned; nothing valid goes with them.
    const store = new CacheStore(dir);
    const orphans = store.list().corrupt;
    expect(orphans.every((f) => f.endsWith('.tmp'))).toBe(true);
    expect(store.prune({ corruptOnly: true })).toBe(orphans.length);
    expect(walk(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const d of saved) expect(new CacheStore(dir).has(d)).toBe(true);
    // The kills landed inside saves: at least one left its lock behind (the lock is held for the whole save).
    expect(lockLeft + tmpLeft).toBeGreaterThan(0);
  }, 120_000);
});
