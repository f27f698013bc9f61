import fs from 'node:fs';
import path from 'node:path';
import { loadContext } from '../../../src/executor/context/index.js';
import { cleanupTrees, makeTree, setMtime } from './helpers.js';

afterAll(cleanupTrees);

function setup(files: Record<string, string | null>): { root: string; cache: string } {
  const root = makeTree(files);
  const cacheDir = makeTree({});
  return { root, cache: path.join(cacheDir, 'state', 'stat-cache.bin') };
}

describe('stat cache', () => {
  test('a warm load reuses every unchanged digest and gives the same result', async () => {
    const { root, cache } = setup({ 'a.txt': 'a', 'sub/b.txt': 'bb', 'sub/c.txt': 'ccc' });
    const cold = await loadContext(root, { statCachePath: cache });
    expect(cold.stats).toEqual({ files: 3, reused: 0, hashed: 3 });
    expect(fs.existsSync(cache)).toBe(true);
    const warm = await loadContext(root, { statCachePath: cache });
    expect(warm.stats).toEqual({ files: 3, reused: 3, hashed: 0 });
    expect([...warm.entries()]).toEqual([...cold.entries()]);
  });

  test('no statCachePath: nothing persisted, everything hashed', async () => {
    const { root } = setup({ 'a.txt': 'a' });
    await loadContext(root);
    expect((await loadContext(root)).stats).toEqual({ files: 1, reused: 0, hashed: 1 });
  });

  test('a rewrite with the same size and a restored mtime is still noticed (ctime changed)', async () => {
    const { root, cache } = setup({ 'a.txt': 'aaaa' });
    const file = path.join(root, 'a.txt');
    setMtime(file, 1_500_000);
    const before = await loadContext(root, { statCachePath: cache });
    fs.writeFileSync(file, 'bbbb');
    setMtime(file, 1_500_000);
    const after = await loadContext(root, { statCachePath: cache });
    expect(after.stats).toEqual({ files: 1, reused: 0, hashed: 1 });
    expect(after.get('a.txt')!.digest).not.toBe(before.get('a.txt')!.digest);
  });

  test('a chmod is re-checked and changes the digest', async () => {
    const { root, cache } = setup({ 'a.txt': 'a' });
    fs.chmodSync(path.join(root, 'a.txt'), 0o644);
    const before = await loadContext(root, { statCachePath: cache });
    fs.chmodSync(path.join(root, 'a.txt'), 0o600);
    const after = await loadContext(root, { statCachePath: cache });
    expect(after.stats.reused).toBe(0);
    expect(after.get('a.txt')!.digest).not.toBe(before.get('a.txt')!.digest);
  });

  test('a replaced file (new inode) is re-hashed', async () => {
    const { root, cache } = setup({ 'a.txt': 'a', 'b.txt': 'b' });
    await loadContext(root, { statCachePath: cache });
    const tmp = path.join(root, 'a.tmp');
    fs.writeFileSync(tmp, 'z');
    fs.renameSync(tmp, path.join(root, 'a.txt'));
    const after = await loadContext(root, { statCachePath: cache });
    expect(after.stats).toEqual({ files: 2, reused: 1, hashed: 1 });
  });

  test('deleted files are dropped from the persisted cache; the write is atomic (no temp file left)', async () => {
    const { root, cache } = setup({ 'a.txt': 'a', 'b.txt': 'b' });
    await loadContext(root, { statCachePath: cache });
    fs.rmSync(path.join(root, 'b.txt'));
    await loadContext(root, { statCachePath: cache });
    const saved = fs.readFileSync(cache, 'latin1');
    expect(saved).toContain('a.txt\0');
    expect(saved).not.toContain('b.txt');
    expect(fs.readdirSync(path.dirname(cache))).toEqual(['stat-cache.bin']);
  });

  test('the persisted file holds no absolute path of the machine', async () => {
    const { root, cache } = setup({ 'a.txt': 'a' });
    await loadContext(root, { statCachePath: cache });
    expect(fs.readFileSync(cache, 'utf8')).not.toContain(root);
  });

  test('a corrupt cache file is ignored and replaced', async () => {
    const { root, cache } = setup({ 'a.txt': 'a' });
    fs.mkdirSync(path.dirname(cache), { recursive: true });
    fs.writeFileSync(cache, '{not json');
    const ctx = await loadContext(root, { statCachePath: cache });
    expect(ctx.stats.hashed).toBe(1);
    expect((await loadContext(root, { statCachePath: cache })).stats.reused).toBe(1);
  });

  test('a cache file cut short (a killed write of an older version) is ignored', async () => {
    const { root, cache } = setup({ 'a.txt': 'a', 'b.txt': 'b' });
    await loadContext(root, { statCachePath: cache });
    const whole = fs.readFileSync(cache);
    fs.writeFileSync(cache, whole.subarray(0, whole.length - 3));
    expect((await loadContext(root, { statCachePath: cache })).stats).toEqual({ files: 2, reused: 0, hashed: 2 });
    expect((await loadContext(root, { statCachePath: cache })).stats.reused).toBe(2);
  });

  test('paths with non-ASCII names and spaces are reused by their exact name', async () => {
    const { root, cache } = setup({ 'é t/ü.txt': 'x', '日本.md': 'y', 'a b': 'z' });
    const cold = await loadContext(root, { statCachePath: cache });
    const warm = await loadContext(root, { statCachePath: cache });
    expect(warm.stats).toEqual({ files: 3, reused: 3, hashed: 0 });
    expect(warm.get('é t/ü.txt')!.digest).toBe(cold.get('é t/ü.txt')!.digest);
  });

  test('a cache written for another context root is not reused', async () => {
    const a = setup({ 'a.txt': 'a' });
    const b = makeTree({ 'a.txt': 'a' });
    await loadContext(a.root, { statCachePath: a.cache });
    expect((await loadContext(b, { statCachePath: a.cache })).stats.reused).toBe(0);
  });

  test('onProgress counts every file, reused or hashed, up to the total', async () => {
    const { root, cache } = setup({ a: '1', b: '2', 'c/d': '3' });
    await loadContext(root, { statCachePath: cache });
    fs.writeFileSync(path.join(root, 'b'), '22');
    const calls: Array<[number, number]> = [];
    await loadContext(root, { statCachePath: cache, onProgress: (d, t) => calls.push([d, t]) });
    expect(calls).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });
});
