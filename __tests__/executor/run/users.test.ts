import { beforeAll, describe, expect, it } from '@jest/globals';
import type { StageFs } from '../../../src/executor/stage-fs.js';
import { bbFs, run, setup, text } from './helpers.js';

beforeAll(setup);

/**
 * bb:latest's busybox has no adduser/addgroup/useradd/groupadd (checked: "sh: adduser: not found",
 * exit 127), so these expectations follow busybox loginutils/adduser.c (Alpine-style images, where the
 * applets are links to busybox) and shadow-utils defaults, not the real builder.
 */
function alpineLike(): StageFs {
  const fs = bbFs();
  fs.symlink('busybox', '/bin/adduser');
  fs.symlink('busybox', '/bin/addgroup');
  fs.mkdir('/home');
  return fs;
}

function debianLike(): StageFs {
  const fs = bbFs();
  fs.mkdir('/usr/sbin', { parents: true });
  fs.writeFile('/usr/sbin/useradd', '\x7fELF', { mode: 0o755 });
  fs.writeFile('/usr/sbin/groupadd', '\x7fELF', { mode: 0o755 });
  return fs;
}

describe('busybox adduser / addgroup', () => {
  it('adduser -D creates the user, its own group (gid = uid) and a setgid home', () => {
    const { fs, out } = run('adduser -D bob', { fs: alpineLike() });
    expect(out).toEqual({ status: 'ok', exitCode: 0, notUnderstood: [] });
    expect(text(fs, '/etc/passwd')).toBe('root:x:0:0:root:/root:/bin/sh\nbob:x:1000:1000:Linux User,,,:/home/bob:/bin/sh\n');
    expect(text(fs, '/etc/group')).toBe('root:x:0:\nbob:x:1000:\n');
    expect(fs.stat('/home/bob')).toMatchObject({ type: 'dir', mode: 0o2755, uid: 1000, gid: 1000 });
  });

  it('system accounts: first free id from 100, shell /bin/false, group from -G', () => {
    const { fs, out } = run('addgroup -S app && adduser -S -D -H -G app app && chown app:app /tmp', { fs: alpineLike() });
    expect(out.status).toBe('ok');
    expect(text(fs, '/etc/group')).toBe('root:x:0:\napp:x:100:app\n');
    expect(text(fs, '/etc/passwd')).toContain('app:x:100:100:Linux User,,,:/home/app:/bin/false\n');
    expect(fs.stat('/home/app')).toBeUndefined();
    expect(fs.stat('/tmp')).toMatchObject({ uid: 100, gid: 100 });
  });

  it('a taken name fails', () => {
    expect(run('adduser -D root', { fs: alpineLike() }).out).toMatchObject({ status: 'failed', failure: { message: "adduser: user 'root' in use" } });
  });
});

describe('shadow-utils useradd / groupadd', () => {
  it('useradd -m with a uid and shell', () => {
    const { fs, out } = run('useradd -m -u 1001 -s /bin/bash dev', { fs: debianLike() });
    expect(out.status).toBe('ok');
    expect(text(fs, '/etc/passwd')).toContain('dev:x:1001:1001::/home/dev:/bin/sh'.replace('/bin/sh', '/bin/bash'));
    expect(text(fs, '/etc/group')).toContain('dev:x:1001:\n');
    expect(fs.stat('/home/dev')).toMatchObject({ type: 'dir', mode: 0o755, uid: 1001, gid: 1001 });
  });

  it('groupadd -r takes the highest free system gid; useradd -g needs an existing group', () => {
    const { fs } = run('groupadd -r svc', { fs: debianLike() });
    expect(text(fs, '/etc/group')).toContain('svc:x:999:\n');
    expect(run('useradd -g nogroup x', { fs: debianLike() }).out).toMatchObject({ status: 'failed', exitCode: 6 });
  });
});
