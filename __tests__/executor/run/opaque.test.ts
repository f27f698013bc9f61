import { beforeAll, describe, expect, it } from '@jest/globals';
import { StageFs } from '../../../src/executor/stage-fs.js';
import { simulateExec } from '../../../src/executor/run/index.js';
import { bbFs, DEFAULT_ENV, ROOT, run, setup, text } from './helpers.js';

beforeAll(setup);

/** An unknown base image is an empty root: no /bin, so every tool is assumed to exist. */
const unknownBase = () => new StageFs();

/** bb:latest plus an (unloaded) binary, as if the image shipped it. */
function bbWith(...paths: string[]): StageFs {
  const fs = bbFs();
  for (const p of paths) {
    fs.mkdir(p.slice(0, p.lastIndexOf('/')) || '/', { parents: true });
    fs.writeFile(p, '\x7fELF', { mode: 0o755 });
  }
  return fs;
}

describe('opaque commands', () => {
  it.each([
    ['apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*', ['apt-get update', 'apt-get install']],
    ['apk add --no-cache git', ['apk add']],
    ['pip install -r requirements.txt', ['pip install']],
    ['npm ci && npm run build', ['npm ci', 'npm run']],
    ['go build -o /app ./cmd/app', ['go build']],
    ['curl -fsSL https://example.com/x.tgz -o /tmp/x.tgz', ['curl']],
    ['wget -q https://example.com/x', ['wget']],
    ['git clone https://example.com/r.git /src', ['git clone']],
    ['make -j4 install', ['make']],
    ['VERSION=$(curl -s https://example.com/v) && echo $VERSION > /v', ['curl', '$(...) command substitution']],
  ])('%s', (script, notUnderstood) => {
    const { out } = run(script, { fs: unknownBase() });
    expect(out).toEqual({ status: 'opaque', exitCode: 0, notUnderstood });
  });

  it('busybox tools we do not simulate are opaque on bb:latest (they exist there)', () => {
    expect(run('tar -xzf /nothing.tgz -C /tmp').out).toEqual({ status: 'opaque', exitCode: 0, notUnderstood: ['tar'] });
    expect(run('sed -i s/a/b/ /etc/passwd').out.notUnderstood).toEqual(['sed']);
  });

  it('on bb:latest, tools the image lacks fail with 127 (checked: sh: curl: not found)', () => {
    expect(run('curl -o /x http://example.com').out).toMatchObject({ status: 'failed', exitCode: 127, failure: { message: 'sh: curl: not found' } });
  });

  it('after an opaque install, missing tools and paths are assumed to have been created', () => {
    const fs = bbWith('/sbin/apk');
    const { out } = run('apk add --no-cache curl && curl -fsSL -o /usr/local/bin/tool http://x && chmod +x /usr/local/bin/tool && test -x /usr/local/bin/tool', { fs });
    expect(out.status).toBe('opaque');
    expect(out.exitCode).toBe(0);
    expect(out.notUnderstood[0]).toBe('apk add');
  });

  it('an option name ash does not know is only opaque for bash, which may know it', () => {
    const { fs, out } = run("bash -o posix -c 'echo hi > /f'", { fs: bbWith('/bin/bash') });
    expect(out).toEqual({ status: 'opaque', exitCode: 0, notUnderstood: ['bash -o posix'] });
    expect(text(fs, '/f')).toBe('hi\n');
  });

  it('output we cannot compute still creates the file, with unknown content', () => {
    const { fs, out } = run('ls -l /etc > /listing');
    expect(out.status).toBe('opaque');
    expect(out.notUnderstood).toEqual(['ls output written to a file']);
    expect(fs.stat('/listing')?.type).toBe('file');
    expect(fs.readFile('/listing')).toBeUndefined();
    // Later reads of that file are unknown too, and say so.
    expect(run('cat /listing > /copy', { fs }).out.status).toBe('opaque');
  });

  it('listings of directories the runtime populates are unknown (docker run shows dev, proc, sys, hosts…)', () => {
    expect(run('ls / > /o').out.status).toBe('opaque');
    expect(run('ls /etc > /o').out.status).toBe('opaque');
  });

  it('a computable listing stays known', () => {
    const { fs, out } = run('mkdir /d && touch /d/b /d/a && ls /d > /o');
    expect(out.status).toBe('ok');
    expect(text(fs, '/o')).toBe('a\nb\n');
  });

  it('backticks in an unquoted heredoc make its text unknown', () => {
    const { fs, out } = run('cat > /f <<EOF\nnow `date`\nEOF');
    expect(out.status).toBe('opaque');
    expect(fs.stat('/f')?.type).toBe('file');
  });

  it('unparseable scripts are opaque, never a crash', () => {
    expect(run('echo "unterminated').out).toEqual({ status: 'opaque', exitCode: 0, notUnderstood: ['unparseable shell'] });
  });

  it('endless loops stop with a note', () => {
    const { out } = run('while true; do :; done');
    expect(out.status).toBe('opaque');
    expect(out.notUnderstood).toEqual(['script too long to simulate (loop?)']);
  });

  it('a command substitution we can compute is not opaque', () => {
    const { fs, out } = run('mkdir -p /opt/$(echo app)-$(cat /etc/hostname 2>/dev/null || echo v1)');
    expect(out.status).toBe('ok');
    expect(fs.stat('/opt/app-v1')?.type).toBe('dir');
  });
});

// tree-sitter-bash cannot read these (or reads `['a']` as a test), and it fails on some scripts ash runs
// too: they stay opaque, never a certain success. What busybox sh of bb:latest does is in the title.
describe('scripts the parser cannot read', () => {
  it.each([
    ['[[-n x]]', 'sh: [[-n: not found, exit 127'],
    ['[[ -n x]]', 'sh: missing ]], exit 2'],
    ['if true; then echo hi > /out; fi fi', 'sh: syntax error: unexpected "fi", exit 2'],
    ['echo a > /out\nif true; then echo hi; fi fi', 'the first line runs, then the syntax error, exit 2'],
  ])('%s (real: %s)', (script) => {
    expect(run(script).out).toMatchObject({ status: 'opaque', exitCode: 0 });
  });
});

describe('an exec form written in single quotes', () => {
  // One shell word: ash runs a command named after it, with the quotes removed (recorded:
  // cache-r5-json-spacing, "sh: [/bin/sh,-c,echo a > /x]: not found", exit 127).
  it('fails as a command that does not exist', () => {
    expect(run("['/bin/sh','-c','echo a > /x']").out).toMatchObject({ status: 'failed', exitCode: 127 });
    expect(run("['a']").out).toMatchObject({ status: 'failed', exitCode: 127 });
  });

  it('is opaque where a one-character file name could match it as a glob', () => {
    const { out } = run("touch /a; cd /; ['a']");
    expect(out).toMatchObject({ status: 'opaque', exitCode: 0 });
  });
});

describe('exec form', () => {
  const ctx = (fs: StageFs) => ({ fs, env: DEFAULT_ENV, cwd: '/', user: ROOT });

  it('runs the program directly, sh -c scripts are interpreted', () => {
    const fs = bbFs();
    expect(simulateExec(['/bin/sh', '-c', 'echo hi > /f'], ctx(fs))).toEqual({ status: 'ok', exitCode: 0, notUnderstood: [] });
    expect(text(fs, '/f')).toBe('hi\n');
    expect(simulateExec(['mkdir', '-p', '/a/b'], ctx(fs)).status).toBe('ok');
    expect(fs.stat('/a/b')?.type).toBe('dir');
  });

  it('no shell: $VAR is not expanded', () => {
    const fs = bbFs();
    simulateExec(['touch', '/$HOME'], ctx(fs));
    expect(fs.stat('/$HOME')?.type).toBe('file');
  });

  it('a missing program fails before anything runs', () => {
    expect(simulateExec(['/nope', 'x'], ctx(bbFs()))).toMatchObject({ status: 'failed', failure: { message: 'exec: "/nope": stat /nope: no such file or directory' } });
    expect(simulateExec(['nope'], ctx(bbFs()))).toMatchObject({ status: 'failed', failure: { message: 'exec: "nope": executable file not found in $PATH' } });
  });

  // Recorded with docker build, both builders, a 644 script in /opt/bin on PATH: runc's lookup skips a
  // file without an x bit by name and refuses it by path.
  it('a program without an exec bit cannot be run', () => {
    const fs = bbFs();
    fs.mkdir('/opt/bin', { parents: true });
    fs.writeFile('/opt/bin/hello', '#!/bin/sh\necho hi > /f\n', { mode: 0o644 });
    const env: Array<[string, string]> = [['PATH', `/opt/bin:${DEFAULT_ENV[0]![1]}`]];
    expect(simulateExec(['hello'], { ...ctx(fs), env })).toMatchObject({ status: 'failed', failure: { message: 'exec: "hello": executable file not found in $PATH' } });
    expect(simulateExec(['/opt/bin/hello'], { ...ctx(fs), env })).toMatchObject({ status: 'failed', failure: { message: 'exec: "/opt/bin/hello": permission denied' } });
    expect(simulateExec(['sh', '/opt/bin/hello'], { ...ctx(fs), env }).status).toBe('ok');
    expect(text(fs, '/f')).toBe('hi\n');
  });

  // Recorded: exec-r2-shell-pipefail, where SHELL ["/bin/ash", "-o", "pipefail", "-c"] fails this RUN
  // (exit 1) and the default shell does not.
  it('a SHELL with -o pipefail fails a pipeline whose first command fails', () => {
    const script = 'cat /missing.txt | wc -l > /count';
    expect(simulateExec(['/bin/ash', '-o', 'pipefail', '-c', script], ctx(bbFs()))).toMatchObject({ status: 'failed', exitCode: 1 });
    const fs = bbFs();
    expect(simulateExec(['/bin/sh', '-c', script], ctx(fs)).status).toBe('ok');
    expect(text(fs, '/count')).toBe('0\n');
  });

  it('failures carry the program’s status', () => {
    expect(simulateExec(['cat', '/missing'], ctx(bbFs()))).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(simulateExec([], ctx(bbFs())).status).toBe('failed');
  });
});

describe('never throws', () => {
  // A fixed-seed generator keeps the fuzz inputs the same on every run.
  let seed = 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const alphabet = ['a', ' ', '$', '(', ')', '{', '}', '"', "'", '`', '|', '&', ';', '<', '>', '\n', '\\', '*', '[', ']', 'if', 'then', 'fi', 'for', 'do', 'done', 'x=', '$((', '<<EOF\n', 'EOF', '#', '-f', '/etc', 'cat', 'rm -rf', 'mkdir', '!', '=', '0', '2>&1'];
  const inputs = Array.from({ length: 60 }, () => Array.from({ length: 1 + Math.floor(rand() * 25) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join(''));

  it.each(inputs.map((s, i) => [i, s] as const))('random script #%d', (_i, script) => {
    const { out } = run(script);
    expect(['ok', 'opaque', 'failed']).toContain(out.status);
    expect(Number.isInteger(out.exitCode)).toBe(true);
    if (out.status === 'failed') expect(out.failure).toBeDefined();
  });
});
