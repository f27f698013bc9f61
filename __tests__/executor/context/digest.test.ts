import fs from 'node:fs';
import path from 'node:path';
import { CHUNK_SIZE, fileDigest, getHasher, hashFileContent, hashFileContentSync } from '../../../src/executor/context/digest.js';
import type { LoadContextOptions } from '../../../src/executor/context/index.js';
import { loadContext } from '../../../src/executor/context/index.js';
import { cleanupTrees, makeTree, setMtime } from './helpers.js';

afterAll(cleanupTrees);

async function digests(root: string, opts?: LoadContextOptions): Promise<Map<string, string>> {
  const ctx = await loadContext(root, opts);
  return new Map([...ctx.entries()].map((e) => [e.path, e.digest]));
}

// Properties of BuildKit's content checksum (buildkit-cache-semantics.md §1.4).
describe('content digests', () => {
  test('digests are 16-hex and stable across loads', async () => {
    const root = makeTree({ 'a.txt': 'hello', 'sub/b.txt': 'b' });
    const first = await digests(root);
    const second = await digests(root);
    expect(second).toEqual(first);
    for (const d of first.values()) expect(d).toMatch(/^[0-9a-f]{16}$/);
  });

  test('an mtime-only change keeps every digest', async () => {
    const root = makeTree({ 'sub/a.txt': 'hello' });
    setMtime(path.join(root, 'sub/a.txt'), 1_000_000);
    const before = await digests(root);
    setMtime(path.join(root, 'sub/a.txt'), 2_000_000);
    setMtime(path.join(root, 'sub'), 2_000_000);
    expect(await digests(root)).toEqual(before);
  });

  test('a mode change changes the file and its parents', async () => {
    const root = makeTree({ 'sub/a.txt': 'hello' });
    fs.chmodSync(path.join(root, 'sub/a.txt'), 0o644);
    const before = await digests(root);
    fs.chmodSync(path.join(root, 'sub/a.txt'), 0o755);
    const after = await digests(root);
    expect(after.get('sub/a.txt')).not.toBe(before.get('sub/a.txt'));
    expect(after.get('sub')).not.toBe(before.get('sub'));
    expect(after.get('')).not.toBe(before.get(''));
  });

  test('setuid/sticky bits are part of the mode', async () => {
    const root = makeTree({ a: 'x' });
    fs.chmodSync(path.join(root, 'a'), 0o755);
    const before = (await loadContext(root)).get('a')!;
    fs.chmodSync(path.join(root, 'a'), 0o4755);
    const after = (await loadContext(root)).get('a')!;
    expect(after.mode).toBe(0o4755);
    expect(after.digest).not.toBe(before.digest);
  });

  test('a content change (same size) changes the digest', async () => {
    const root = makeTree({ 'a.txt': 'aaaa' });
    const before = await digests(root);
    fs.writeFileSync(path.join(root, 'a.txt'), 'bbbb');
    expect((await digests(root)).get('a.txt')).not.toBe(before.get('a.txt'));
  });

  test("the file's own name does not count; a rename inside a dir changes the dir", async () => {
    const root = makeTree({ 'sub/a.txt': 'same', 'other/z.txt': 'same' });
    const before = await digests(root);
    expect(before.get('sub/a.txt')).toBe(before.get('other/z.txt'));
    fs.renameSync(path.join(root, 'sub/a.txt'), path.join(root, 'sub/b.txt'));
    const after = await digests(root);
    expect(after.get('sub/b.txt')).toBe(before.get('sub/a.txt'));
    expect(after.get('sub')).not.toBe(before.get('sub'));
  });

  test('adding an empty directory changes the parent digest', async () => {
    const root = makeTree({ 'sub/a.txt': 'x' });
    const before = await digests(root);
    fs.mkdirSync(path.join(root, 'sub/empty'));
    const after = await digests(root);
    expect(after.get('sub')).not.toBe(before.get('sub'));
    expect(after.has('sub/empty')).toBe(true);
  });

  test('two empty dirs with different names differ only at the parent', async () => {
    const a = await digests(makeTree({ 'p/x': null }));
    const b = await digests(makeTree({ 'p/y': null }));
    expect(a.get('p/x')).toBe(b.get('p/y'));
    expect(a.get('p')).not.toBe(b.get('p'));
  });

  test('uid/gid are ignored (the client resets them to 0)', async () => {
    const root = makeTree({ 'a.txt': 'x' });
    fs.chownSync(path.join(root, 'a.txt'), 0, 0);
    const before = await digests(root);
    try {
      fs.chownSync(path.join(root, 'a.txt'), 1234, 5678);
    } catch {
      return; // not root: nothing to compare (CI runs as root)
    }
    expect(await digests(root)).toEqual(before);
  });

  // Checked with Docker 20.10: chmod 700 on a copied subdirectory (fresh context dir, same files) kept
  // `COPY sub /y` CACHED with BuildKit, and missed the cache with the classic builder.
  test('directory permissions: ignored for BuildKit (Docker 20.10), counted for classic', async () => {
    const root = makeTree({ 'sub/inner/f': 'z' });
    fs.chmodSync(path.join(root, 'sub/inner'), 0o755);
    const bk = await digests(root);
    const cl = await digests(root, { builder: 'classic' });
    fs.chmodSync(path.join(root, 'sub/inner'), 0o700);
    expect((await digests(root)).get('sub')).toBe(bk.get('sub'));
    expect((await digests(root, { builder: 'classic' })).get('sub')).not.toBe(cl.get('sub'));
    // The entry still reports the real mode.
    expect((await loadContext(root)).get('sub/inner')?.mode).toBe(0o700);
  });

  test('symlinks are recorded, not followed; the target string counts', async () => {
    const root = makeTree({ 'a.txt': 'x', 'b.txt': 'x' });
    fs.symlinkSync('a.txt', path.join(root, 'link'));
    const ctx = await loadContext(root);
    const link = ctx.get('link')!;
    expect(link).toMatchObject({ type: 'symlink', linkTarget: 'a.txt', size: 0 });
    fs.rmSync(path.join(root, 'link'));
    fs.symlinkSync('b.txt', path.join(root, 'link'));
    expect((await loadContext(root)).get('link')!.digest).not.toBe(link.digest);
  });

  test('a symlink loop or a link leaving the context is not an error', async () => {
    const root = makeTree({ sub: null });
    fs.symlinkSync('loop2', path.join(root, 'loop1'));
    fs.symlinkSync('loop1', path.join(root, 'loop2'));
    fs.symlinkSync('/etc/passwd', path.join(root, 'abs'));
    fs.symlinkSync('../../outside', path.join(root, 'sub/up'));
    const ctx = await loadContext(root);
    expect(ctx.get('loop1')).toMatchObject({ type: 'symlink', linkTarget: 'loop2' });
    expect(ctx.get('abs')).toMatchObject({ type: 'symlink', linkTarget: '/etc/passwd' });
    expect(ctx.get('sub/up')).toMatchObject({ type: 'symlink', linkTarget: '../../outside' });
    expect(ctx.children('sub')).toEqual(['up']);
  });

  test('a big file is streamed in chunks and hashes like the one-shot digest of its bytes', async () => {
    const size = 2 * CHUNK_SIZE + 12345;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
    const root = makeTree({});
    fs.writeFileSync(path.join(root, 'big.bin'), data);
    fs.chmodSync(path.join(root, 'big.bin'), 0o644);
    const h = await getHasher();
    const oneShot = h.h64Raw(data).toString(16).padStart(16, '0');
    const reads: number[] = [];
    const streamed = await hashFileContent(h, path.join(root, 'big.bin'), Buffer.alloc(CHUNK_SIZE), async (p) => {
      const fh = await fs.promises.open(p, 'r');
      return {
        read: async (b: Buffer, o: number, l: number, pos: number | null) => {
          const r = await fh.read(b, o, l, pos);
          reads.push(r.bytesRead);
          return r;
        },
        close: () => fh.close(),
      };
    });
    expect(streamed).toEqual({ digest: oneShot, bytes: size });
    expect(Math.max(...reads)).toBeLessThanOrEqual(CHUNK_SIZE);
    const entry = (await loadContext(root)).get('big.bin')!;
    expect(entry.size).toBe(size);
    expect(entry.digest).toBe(fileDigest(h, { type: 'file', mode: 0o644, size }, oneShot));
  });

  test.each([0, 1, 4096, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 2 * CHUNK_SIZE])('the synchronous reader hashes a %i-byte file like a one-shot hash of its bytes', async (size) => {
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 13 + (i >> 11)) & 0xff;
    const root = makeTree({});
    fs.writeFileSync(path.join(root, 'f.bin'), data);
    const h = await getHasher();
    expect(hashFileContentSync(h, path.join(root, 'f.bin'), Buffer.alloc(CHUNK_SIZE))).toEqual({ digest: h.h64Raw(data).toString(16).padStart(16, '0'), bytes: size });
  });
});
