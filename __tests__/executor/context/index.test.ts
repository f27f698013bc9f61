import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { isDfsimError } from '../../../src/diagnostics/diagnostic.js';
import { loadContext, normalizeContextPath } from '../../../src/executor/context/index.js';
import { cleanupTrees, makeTree } from './helpers.js';

afterAll(cleanupTrees);

async function expectDfsimError(p: Promise<unknown> | (() => unknown), code: string): Promise<string> {
  let caught: unknown;
  try {
    if (typeof p === 'function') p();
    else await p;
  } catch (e) {
    caught = e;
  }
  expect(isDfsimError(caught)).toBe(true);
  if (!isDfsimError(caught)) return '';
  expect(caught.diagnostics[0]?.code).toBe(code);
  return caught.message;
}

describe('BuildContext API', () => {
  test('entry fields, path normalisation, children and readFile', async () => {
    const root = makeTree({ 'sub/a.txt': 'hello', 'b.txt': '', 'sub/deeper': null });
    fs.chmodSync(path.join(root, 'sub/a.txt'), 0o640);
    const ctx = await loadContext(root);
    expect(ctx.get('sub/a.txt')).toMatchObject({ path: 'sub/a.txt', type: 'file', mode: 0o640, size: 5 });
    for (const p of ['./sub/a.txt', '/sub/a.txt', 'sub//a.txt', 'sub/./a.txt', 'x/../sub/a.txt', '../sub/a.txt']) {
      expect(ctx.get(p)?.path).toBe('sub/a.txt');
    }
    expect(ctx.get('')?.type).toBe('dir');
    expect(ctx.get('.')?.path).toBe('');
    expect(ctx.get('sub/')?.path).toBe('sub');
    expect(ctx.children('/')).toEqual(['b.txt', 'sub']);
    expect(ctx.children('sub')).toEqual(['a.txt', 'deeper']);
    expect(ctx.children('b.txt')).toEqual([]);
    expect(ctx.children('missing')).toEqual([]);
    expect(ctx.readFile('./sub/a.txt').toString()).toBe('hello');
    expect(ctx.get('missing')).toBeUndefined();
    expect(await expectDfsimError(() => ctx.readFile('missing'), 'DF3003')).toContain('"missing"');
    expect(await expectDfsimError(() => ctx.readFile('sub'), 'DF3003')).toContain('not a regular file');
  });

  test('readFile of an excluded file says so', async () => {
    const root = makeTree({ '.dockerignore': 'secret.txt\n', 'secret.txt': 's' });
    const ctx = await loadContext(root);
    expect(await expectDfsimError(() => ctx.readFile('secret.txt'), 'DF3003')).toContain('excluded by .dockerignore');
  });

  test('entries(): each directory first, then its contents in byte order', async () => {
    const root = makeTree({ 'a/b': 'x', 'a.b': 'y', 'a-c': 'z', B: 'w' });
    const ctx = await loadContext(root);
    // Byte order: 'B' (0x42) < 'a-c' ('-' 0x2d) < 'a.b' ('.' 0x2e) < 'a'; 'a' and its children come as one block.
    expect([...ctx.entries()].map((e) => e.path)).toEqual(['', 'B', 'a', 'a/b', 'a-c', 'a.b']);
  });

  test('children are sorted by UTF-8 bytes, not UTF-16 units', async () => {
    const root = makeTree({ '\u{1F600}': 'emoji', '\uFF21': 'fullwidth A' });
    const ctx = await loadContext(root);
    // U+FF21 (EF BC A1) sorts before U+1F600 (F0 9F 98 80) in bytes; UTF-16 would put the surrogate pair first.
    expect(ctx.children('')).toEqual(['\uFF21', '\u{1F600}']);
  });

  test('normalizeContextPath', () => {
    expect(normalizeContextPath('')).toBe('');
    expect(normalizeContextPath('.')).toBe('');
    expect(normalizeContextPath('/')).toBe('');
    expect(normalizeContextPath('a/b/')).toBe('a/b');
    expect(normalizeContextPath('../../a')).toBe('a');
    expect(normalizeContextPath('a//b/./c/../d')).toBe('a/b/d');
    expect(normalizeContextPath('/a/b')).toBe('a/b');
    expect(normalizeContextPath('a/..')).toBe('');
    // Names that only look like '.' or '..' are kept.
    expect(normalizeContextPath('.env/...')).toBe('.env/...');
    expect(normalizeContextPath('a/..b/c.')).toBe('a/..b/c.');
  });

  test('a missing context directory or a file is DF3004', async () => {
    const root = makeTree({ f: 'x' });
    await expectDfsimError(loadContext(path.join(root, 'nope')), 'DF3004');
    await expectDfsimError(loadContext(path.join(root, 'f')), 'DF3004');
  });

  test('an invalid .dockerignore pattern is DF3002', async () => {
    await expectDfsimError(loadContext(makeTree({ '.dockerignore': 'a\n!\n' })), 'DF3002');
  });
});

describe('unreadable files', () => {
  test('a read failure is DF3001 naming the file', async () => {
    const root = makeTree({ 'ok.txt': 'ok', 'sub/locked.txt': 'secret' });
    const message = await expectDfsimError(
      loadContext(root, {
        openForRead: async (abs) => {
          if (abs.endsWith('locked.txt')) {
            throw Object.assign(new Error(`EACCES: permission denied, open '${abs}'`), { code: 'EACCES' });
          }
          return fs.promises.open(abs, 'r');
        },
      }),
      'DF3001',
    );
    expect(message).toContain('"sub/locked.txt"');
    expect(message).toContain('EACCES');
    // The message names the context-relative path, never this machine's absolute path.
    expect(message).not.toContain(root);
  });

  test('a failure in the middle of reading is DF3001 too', async () => {
    const root = makeTree({ 'a.txt': 'abc' });
    await expectDfsimError(
      loadContext(root, {
        openForRead: async () => ({
          read: async () => {
            throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
          },
          close: async () => {},
        }),
      }),
      'DF3001',
    );
  });
});

// Checked with Docker 20.10 (`COPY . /x` then `ls -laR /x`) on a context holding a FIFO (at the root and in a
// subdir), a unix socket (mode 0755), a char device (0600) and a block device (0640):
// BuildKit left both FIFOs out and copied the socket and the devices as empty regular files with their
// permission bits; classic copied the FIFOs and devices as such and skipped the socket with a logged
// "archive/tar: sockets not supported".
describe('special files', () => {
  let root: string;
  let server: net.Server;

  beforeAll(async () => {
    root = makeTree({ 'a.txt': 'hi', d: null });
    execFileSync('mkfifo', [path.join(root, 'fifo1'), path.join(root, 'd/f2')]);
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, 'sock1'), resolve));
    fs.chmodSync(path.join(root, 'sock1'), 0o755);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('BuildKit: FIFOs left out, sockets become empty files keeping their mode', async () => {
    const ctx = await loadContext(root);
    expect(ctx.children('')).toEqual(['a.txt', 'd', 'sock1']);
    expect(ctx.children('d')).toEqual([]);
    expect(ctx.get('sock1')).toMatchObject({ type: 'file', size: 0, mode: 0o755, special: 'socket' });
    expect(ctx.readFile('sock1').length).toBe(0);
    expect(ctx.diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      ['DF3005', 'info', '"d/f2" is a FIFO; BuildKit leaves it out of the build context'],
      ['DF3005', 'info', '"fifo1" is a FIFO; BuildKit leaves it out of the build context'],
    ]);
    expect(ctx.isIgnored('fifo1')).toBe(false);
  });

  test('BuildKit: a socket digests like an empty regular file with the same mode', async () => {
    const other = makeTree({ sock1: '' });
    fs.chmodSync(path.join(other, 'sock1'), 0o755);
    const plain = (await loadContext(other)).get('sock1')!;
    expect((await loadContext(root)).get('sock1')!.digest).toBe(plain.digest);
  });

  test('classic: FIFOs kept as special entries, the socket left out with a warning', async () => {
    const ctx = await loadContext(root, { builder: 'classic' });
    expect(ctx.children('')).toEqual(['a.txt', 'd', 'fifo1']);
    expect(ctx.get('d/f2')).toMatchObject({ type: 'other', size: 0, special: 'fifo' });
    expect(ctx.diagnostics.map((d) => [d.code, d.severity])).toEqual([['DF3005', 'warning']]);
    expect(ctx.diagnostics[0]?.message).toContain('"sock1"');
  });

  test('devices (when mknod is allowed): BuildKit empty file, classic special entry', async () => {
    const devRoot = makeTree({});
    try {
      execFileSync('mknod', [path.join(devRoot, 'chr1'), 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      return; // no CAP_MKNOD here; the BuildKit and classic rules above still hold
    }
    fs.chmodSync(path.join(devRoot, 'chr1'), 0o600);
    expect((await loadContext(devRoot)).get('chr1')).toMatchObject({ type: 'file', size: 0, mode: 0o600, special: 'char-device' });
    expect((await loadContext(devRoot, { builder: 'classic' })).get('chr1')).toMatchObject({ type: 'other', special: 'char-device' });
  });
});
