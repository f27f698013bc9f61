import { beforeAll, describe, expect, it } from '@jest/globals';
import { initHasher } from '../../src/executor/hash.js';
import { StageFs, normalizePath } from '../../src/executor/stage-fs.js';
import { FsError } from '../../src/executor/fs-types.js';

beforeAll(async () => {
  await initHasher();
});

function fsWith(): StageFs {
  const fs = new StageFs();
  fs.mkdir('/etc');
  fs.writeFile('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
  return fs;
}

describe('StageFs', () => {
  it('normalises paths against a working directory', () => {
    expect(normalizePath('a/../b/', '/app')).toBe('/app/b');
    expect(normalizePath('/x//y/.')).toBe('/x/y');
    expect(normalizePath('../../..', '/a')).toBe('/');
  });

  it('records added, modified and removed paths per step, sorted', () => {
    const fs = fsWith();
    fs.beginStep();
    fs.mkdir('/app/sub', { parents: true });
    fs.writeFile('/app/sub/a.txt', 'hello');
    fs.writeFile('/etc/passwd', 'changed\n');
    fs.remove('/etc/passwd');
    const diff = fs.endStep();
    expect(diff.changes.map((c) => `${c.change} ${c.path}`)).toEqual(['added /app', 'added /app/sub', 'added /app/sub/a.txt', 'removed /etc/passwd']);
    expect(diff.size).toBe(5);
  });

  it('counts a rewrite with equal bytes and a touch as modified (overlayfs copies the file up into the layer)', () => {
    const fs = fsWith();
    fs.beginStep();
    fs.writeFile('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
    expect(fs.endStep().changes.map((c) => c.change)).toEqual(['modified']);
    fs.beginStep();
    fs.mkdir('/etc', { parents: true });
    expect(fs.endStep().changes).toEqual([]);
    fs.beginStep();
    fs.touch('/etc/passwd');
    expect(fs.endStep().changes.map((c) => c.change)).toEqual(['modified']);
  });

  it('notes a directory whose entries changed even when the step ends as it began (recorded: exec-r7-noop-runs-layers)', () => {
    const fs = fsWith();
    fs.beginStep();
    fs.mkdir('/etc/x');
    fs.remove('/etc/x');
    expect(fs.endStep()).toMatchObject({ changes: [], dirsTouched: true });
    fs.beginStep();
    fs.mkdir('/etc', { parents: true });
    expect(() => fs.remove('/etc/missing')).toThrow();
    expect(fs.endStep()).toMatchObject({ changes: [], dirsTouched: false });
  });

  it('keeps the old mode of a chmod', () => {
    const fs = fsWith();
    fs.beginStep();
    fs.chmod('/etc/passwd', 0o755);
    expect(fs.endStep().changes).toEqual([{ path: '/etc/passwd', change: 'modified', type: 'file', size: 30, mode: 0o755, oldMode: 0o644 }]);
  });

  it('follows symlinks for reads and writes, but not for lstat', () => {
    const fs = fsWith();
    fs.symlink('/etc', '/conf');
    fs.symlink('passwd', '/etc/pw');
    expect(fs.lstat('/conf')?.type).toBe('symlink');
    expect(fs.stat('/conf')?.type).toBe('dir');
    expect(fs.readFile('/conf/pw')?.toString()).toContain('root');
    fs.writeFile('/conf/pw', 'x');
    expect(fs.readFile('/etc/passwd')?.toString()).toBe('x');
    expect(fs.realpath('/conf/pw')).toBe('/etc/passwd');
  });

  it('detects symlink loops', () => {
    const fs = new StageFs();
    fs.symlink('/b', '/a');
    fs.symlink('/a', '/b');
    expect(fs.realpath('/a')).toBeUndefined();
  });

  it('fails like the kernel does', () => {
    const fs = fsWith();
    const code = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as FsError).code;
      }
      return undefined;
    };
    expect(code(() => fs.mkdir('/etc'))).toBe('EEXIST');
    expect(code(() => fs.mkdir('/a/b'))).toBe('ENOENT');
    expect(code(() => fs.mkdir('/etc/passwd/x', { parents: true }))).toBe('ENOTDIR');
    expect(code(() => fs.remove('/missing'))).toBe('ENOENT');
    expect(code(() => fs.remove('/etc'))).toBe('ENOTEMPTY');
    expect(code(() => fs.writeFile('/etc', 'x'))).toBe('EISDIR');
    expect(code(() => fs.mkdir('/etc', { parents: true }))).toBeUndefined();
  });

  it('keeps external content out of memory and loads it on demand', () => {
    const fs = new StageFs();
    let loads = 0;
    fs.writeExternalFile('/big', { size: 1000, digest: 'abcdabcdabcdabcd', load: () => (loads++, Buffer.alloc(1000)) }, { mode: 0o600, uid: 1, gid: 2 });
    expect(fs.lstat('/big')).toEqual({ type: 'file', mode: 0o600, uid: 1, gid: 2, size: 1000 });
    expect(loads).toBe(0);
    expect(fs.readFile('/big')?.length).toBe(1000);
    expect(fs.fileDigest('/big')).toBe('abcdabcdabcdabcd');
  });

  it('clones deeply: a child stage does not change its parent', () => {
    const parent = fsWith();
    parent.symlink('/etc/passwd', '/pw');
    const child = parent.clone();
    child.writeFile('/etc/passwd', 'child');
    expect(parent.readFile('/etc/passwd')?.toString()).toContain('root');
    expect(child.lstat('/pw')?.linkTarget).toBe('/etc/passwd');
    expect(child.treeDigest('/etc')).not.toBe(parent.treeDigest('/etc'));
    child.writeFile('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n');
    expect(child.treeDigest('/')).toBe(parent.treeDigest('/'));
  });

  it('tree digests see modes and names but not write order', () => {
    const a = new StageFs();
    a.writeFile('/x', '1');
    a.writeFile('/y', '2');
    const b = new StageFs();
    b.writeFile('/y', '2');
    b.writeFile('/x', '1');
    expect(a.treeDigest('/')).toBe(b.treeDigest('/'));
    b.chmod('/x', 0o755);
    expect(a.treeDigest('/')).not.toBe(b.treeDigest('/'));
  });

  it('lets the build (root) into directories and files whatever their modes and owners', () => {
    const fs = new StageFs();
    fs.mkdir('/home/app', { parents: true, mode: 0o700, uid: 1000, gid: 1000 });
    fs.writeFile('/home/app/secret', 'x', { mode: 0o600, uid: 1000, gid: 1000 });
    expect(fs.readFile('/home/app/secret')?.toString()).toBe('x');
    expect(fs.lstat('/home/app')).toEqual({ type: 'dir', mode: 0o700, uid: 1000, gid: 1000, size: 0 });
    fs.symlink('/home/app/secret', '/s');
    expect(fs.lstat('/s')?.mode).toBe(0o777);
  });

  it('shares content, mode and owner between hard links, in clones too', () => {
    const fs = fsWith();
    fs.link('/etc/passwd', '/etc/passwd-');
    fs.writeFile('/etc/passwd-', 'app:x:1000:1000::/home/app:/bin/sh\n', { append: true });
    fs.chmod('/etc/passwd', 0o600);
    expect(fs.readFile('/etc/passwd')?.toString()).toContain('app:x:1000');
    expect(fs.lstat('/etc/passwd-')?.mode).toBe(0o600);
    const child = fs.clone();
    child.writeFile('/etc/passwd', 'x\n');
    expect(child.readFile('/etc/passwd-')?.toString()).toBe('x\n');
    expect(fs.readFile('/etc/passwd-')?.toString()).toContain('root:x:0');
    // Removing one name leaves the other.
    fs.remove('/etc/passwd');
    expect(fs.readFile('/etc/passwd-')?.toString()).toContain('root:x:0');
  });

  it('copies a hard-linked file from an earlier step up before changing it, as overlayfs does: the other name keeps the old file (recorded: cache-r13-stage-hardlinks)', () => {
    const fs = fsWith();
    fs.mkdir('/o');
    fs.writeFile('/o/a', 'hello\n');
    fs.link('/o/a', '/o/b');
    fs.beginStep();
    fs.writeFile('/o/a', 'more\n', { append: true });
    fs.chmod('/o/b', 0o600);
    const diff = fs.endStep();
    expect(fs.readFile('/o/b')?.toString()).toBe('hello\n');
    expect(fs.lstat('/o/a')?.mode).toBe(0o644);
    expect(diff.changes.map((c) => `${c.path} ${c.size}`)).toEqual(['/o/a 11', '/o/b 6']);
    // Within one step, a file and the links made to it stay one file.
    fs.beginStep();
    fs.writeFile('/n', 'x');
    fs.link('/n', '/m');
    fs.writeFile('/m', 'y', { append: true });
    expect(fs.readFile('/n')?.toString()).toBe('xy');
    expect(fs.endStep().changes.map((c) => `${c.path} ${c.size}`)).toEqual(['/m 2', '/n 0']);
  });

  it('sizes a layer with a hard-linked file\'s bytes once, under its first name (recorded: cache-r13-stage-hardlinks)', () => {
    const fs = fsWith();
    fs.beginStep();
    fs.mkdir('/o');
    fs.writeFile('/o/a', 'hello\n');
    fs.link('/o/a', '/o/b');
    expect(fs.endStep()).toMatchObject({ size: 6 });
  });

  it('resolves where a write may land, creating what is missing: every link followed inside the root, the last one too (recorded: exec-r13-copy-dest-symlink)', () => {
    const fs = fsWith();
    fs.symlink('/etc/passwd', '/pw');
    fs.symlink('/nowhere/f', '/dang');
    fs.symlink('../../../etc', '/etc/up');
    fs.symlink('/loop', '/loop');
    expect(fs.resolveCreating('/pw')).toBe('/etc/passwd');
    expect(fs.resolveCreating('/dang')).toBe('/nowhere/f');
    expect(fs.resolveCreating('/etc/up/new/x')).toBe('/etc/new/x');
    expect(fs.resolveCreating('/etc/passwd/x')).toBeUndefined();
    expect(fs.resolveCreating('/loop')).toBeUndefined();
  });

  it('refuses a hard link to a directory, as link(2) does', () => {
    const fs = fsWith();
    expect(() => fs.link('/etc', '/etc2')).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(fs.lstat('/etc2')).toBeUndefined();
  });

  it('renames as rename(2) does: a file replaces a file, a directory only an empty directory', () => {
    const fs = fsWith();
    fs.writeFile('/etc/hosts', 'h');
    fs.mkdir('/a/b', { parents: true });
    fs.mkdir('/empty');
    fs.beginStep();
    fs.rename('/etc/hosts', '/etc/passwd');
    expect(fs.readFile('/etc/passwd')?.toString()).toBe('h');
    expect(fs.endStep().changes.map((c) => `${c.change} ${c.path}`)).toEqual(['removed /etc/hosts', 'modified /etc/passwd']);
    expect(() => fs.rename('/etc/passwd', '/a')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(() => fs.rename('/etc', '/a')).toThrow(expect.objectContaining({ code: 'ENOTEMPTY' }));
    expect(() => fs.rename('/a', '/etc/passwd')).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => fs.rename('/a', '/a/b/c')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    fs.rename('/a', '/empty');
    expect(fs.readdir('/')).toEqual(['empty', 'etc']);
    expect(fs.readdir('/empty')).toEqual(['b']);
  });

  it('creates the file a dangling symlink points to when written through it, as open(2) with O_CREAT does', () => {
    const fs = fsWith();
    fs.symlink('/etc/motd', '/motd');
    fs.writeFile('/motd', 'hi');
    expect(fs.lstat('/motd')?.type).toBe('symlink');
    expect(fs.readFile('/etc/motd')?.toString()).toBe('hi');
    fs.symlink('/loop2', '/loop1');
    fs.symlink('/loop1', '/loop2');
    expect(() => fs.writeFile('/loop1', 'x')).toThrow(expect.objectContaining({ code: 'ELOOP' }));
  });

  it('adds many files through one directory lookup, recorded in the step like any write', () => {
    const fs = fsWith();
    fs.mkdir('/app');
    fs.beginStep();
    const dir = fs.directory('/app')!;
    dir.addExternalFile('a.bin', { size: 3, digest: '0123456789abcdef' }, { mode: 0o755, uid: 1000, gid: 1000 });
    expect(dir.has('a.bin')).toBe(true);
    expect(() => dir.addExternalFile('a.bin', { size: 1, digest: null }, { mode: 0o644, uid: 0, gid: 0 })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(fs.lstat('/app/a.bin')).toEqual({ type: 'file', mode: 0o755, uid: 1000, gid: 1000, size: 3 });
    expect(fs.endStep()).toEqual({ changes: [{ path: '/app/a.bin', change: 'added', type: 'file', size: 3, mode: 0o755 }], size: 3, linkBytes: 0, unknownContent: false, dirsTouched: true });
    expect(fs.directory('/etc/passwd')).toBeUndefined();
    expect(fs.directory('/missing')).toBeUndefined();
  });

  it('sizes a layer as docker history does: file bytes, symlink target bytes apart, unknown content flagged', () => {
    const fs = fsWith();
    fs.beginStep();
    fs.writeFile('/a.txt', 'four');
    fs.symlink('/etc/passwd', '/pw');
    expect(fs.endStep()).toMatchObject({ size: 4, linkBytes: 11, unknownContent: false });
    fs.beginStep();
    fs.forgetContent('/a.txt');
    expect(fs.endStep()).toMatchObject({ unknownContent: true });
  });

  it('puts a saved directory back so that the step leaves no trace there', () => {
    const fs = fsWith();
    fs.mkdir('/data');
    fs.writeFile('/data/before', 'b');
    const saved = fs.saveDirectory('/data')!;
    fs.beginStep();
    fs.writeFile('/data/after', 'a');
    fs.remove('/data/before');
    fs.writeFile('/outside', 'o');
    fs.restoreDirectory(saved);
    expect(fs.readdir('/data')).toEqual(['before']);
    expect(fs.endStep().changes.map((c) => `${c.change} ${c.path}`)).toEqual(['added /outside']);
    expect(fs.saveDirectory('/etc/passwd')).toBeUndefined();
  });
});
