// `dfsim build` / `dfsim plan` end to end, in-process: exit codes, messages that name file:line:column,
// never a stack trace, and the documented --json shape.
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { main, stopQuietlyOnBrokenPipe } from '../../src/cli/main.js';
import { removeTempProjects, runCli, tempProject } from '../helpers/cli.js';

const IMAGE = path.join(import.meta.dirname, '..', 'fixtures', 'images', 'bb-latest.json');
afterAll(removeTempProjects);

const project = (files: Record<string, string | Buffer>): string => tempProject(files, 'dfsim-cli-');
const run = runCli;

async function build(dir: string, ...extra: string[]) {
  return run(['build', dir, '--cache-dir', path.join(dir, '.cache'), '--base-image', `bb:latest=${IMAGE}`, ...extra]);
}

const NO_STACK = /\n\s+at .+:\d+:\d+/;

describe('dfsim build: bad input gets a clear error and a non-zero exit, never a stack trace', () => {
  const cases: Array<[string, Record<string, string | Buffer>, RegExp]> = [
    ['an empty Dockerfile', { Dockerfile: '' }, /Dockerfile(:1:1)?: error DF\d+: .*(empty|no build stage)/i],
    ['a binary Dockerfile', { Dockerfile: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0, 0xff]) }, /Dockerfile:1:5: error DF1003: the Dockerfile is not a text file/],
    ['a file without FROM', { Dockerfile: 'RUN echo hi\n' }, /Dockerfile:1:1: error DF\d+: /],
    ['an unknown instruction', { Dockerfile: 'FROM bb:latest\nCOPPY a b\n' }, /Dockerfile:2:1: error DF\d+: unknown instruction: COPPY[^\n]*\n\s+hint: .*COPY/i],
    ['an unterminated heredoc', { Dockerfile: 'FROM bb:latest\nRUN <<EOF\necho hi\n' }, /Dockerfile:2:\d+: error DF\d+: .*heredoc/i],
    ['an unknown flag', { Dockerfile: 'FROM bb:latest\nCOPY --form=x a b\n' }, /Dockerfile:2:\d+: error DF\d+: .*form[^\n]*\n\s+hint: .*from/i],
    ['a missing COPY source', { Dockerfile: 'FROM bb:latest\nCOPY missing.txt /x\n' }, /Dockerfile:2:1: error DF3201: "missing.txt" not found in the build context/],
    ['a source excluded by .dockerignore', { Dockerfile: 'FROM bb:latest\nCOPY secret.txt /x\n', 'secret.txt': 's', '.dockerignore': 'secret.txt\n' }, /Dockerfile:2:1: error DF3202: "secret.txt" is excluded by \.dockerignore/],
    ['an unknown --from stage', { Dockerfile: 'FROM bb:latest\nCOPY --from=buidler /out /x\n' }, /error DF3207: --from=buidler/],
    ['a RUN that fails', { Dockerfile: 'FROM bb:latest\nRUN cat /missing\n' }, /Dockerfile:2:1: error DF3301: RUN would fail: cat: can't open '\/missing'/],
  ];
  it.each(cases)('%s', async (_name, files, message) => {
    const dir = project(files);
    const r = await build(dir);
    expect(r.code).toBe(1);
    expect(r.out + r.err).toMatch(message);
    expect(r.out + r.err).not.toMatch(NO_STACK);
  });

  it('a 10 MB Dockerfile is parsed without hanging', async () => {
    const line = 'RUN echo 0123456789012345678901234567890123456789012345678901234567890123456789\n';
    const dir = project({ Dockerfile: `FROM bb:latest\n${line.repeat(Math.ceil(10_000_000 / line.length))}` });
    const r = await run(['plan', dir, '--cache-dir', path.join(dir, '.cache'), '--base-image', `bb:latest=${IMAGE}`, '--json', '--no-files']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).steps.length).toBeGreaterThan(100_000);
  });

  it('a missing Dockerfile or context', async () => {
    const dir = project({ 'a.txt': 'a' });
    const noFile = await build(dir);
    expect(noFile.code).toBe(1);
    expect(noFile.err).toMatch(/error DF9002: cannot read Dockerfile/);
    const noDir = await run(['build', path.join(dir, 'nope')]);
    expect(noDir.code).toBe(1);
    expect(noDir.err).toMatch(/error DF9001: build context .* is not a directory/);
  });

  it('without -f, a lowercase dockerfile is used when there is no Dockerfile, as the Docker CLI does', async () => {
    const lower = project({ dockerfile: 'FROM scratch\nCOPY a.txt /a\n', 'a.txt': 'a' });
    const res = await build(lower, '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(res.out).steps.map((st: { instruction: string }) => st.instruction)).toEqual(['FROM scratch', 'COPY a.txt /a']);
    // Dockerfile wins when both exist.
    const both = project({ Dockerfile: 'FROM scratch\nCOPY a.txt /upper\n', dockerfile: 'FROM scratch\nCOPY a.txt /lower\n', 'a.txt': 'a' });
    expect((await build(both)).out).toContain('COPY a.txt /upper');
  });

  it('usage errors exit 2', async () => {
    expect((await run(['build', '--builder', 'kaniko'])).code).toBe(2);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['build', '.', '--build-arg', '=x'])).code).toBe(2);
  });

  it('a symlink loop and a symlink pointing outside the context are copied as links, like the real builder', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest\nCOPY . /app\n', 'a.txt': 'a' });
    fs.symlinkSync('loop2', path.join(dir, 'loop1'));
    fs.symlinkSync('loop1', path.join(dir, 'loop2'));
    fs.symlinkSync('/etc/passwd', path.join(dir, 'outside'));
    const r = await build(dir, '--json');
    expect(r.code).toBe(0);
    const copy = JSON.parse(r.out).steps.find((s: { kind: string }) => s.kind === 'COPY');
    const paths = copy.layer.changes.map((c: { path: string; type: string }) => `${c.path}:${c.type}`);
    expect(paths).toEqual(expect.arrayContaining(['/app/loop1:symlink', '/app/outside:symlink']));
  });

  it('a corrupt base image tarball is a clear error', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest\n', 'bad.tar': 'this is not a tar' });
    const r = await run(['build', dir, '--cache-dir', path.join(dir, '.cache'), '--base-image', `bb:latest=${path.join(dir, 'bad.tar')}`]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error DF31\d\d: .*bad\.tar/);
    expect(r.err).not.toMatch(NO_STACK);
  });

  it('a RUN the shell parser cannot parse is reported as opaque, not a crash', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest\nRUN if then fi ((( "\n' });
    const r = await build(dir, '--json');
    expect(r.code).toBe(0);
    const run = JSON.parse(r.out).steps.find((s: { kind: string }) => s.kind === 'RUN');
    expect(run.opaque.notUnderstood.join(' ')).toMatch(/unparseable|pars/i);
  });
});

describe('dfsim --help', () => {
  it('prints the usage with every command and exits 0 (help is rendered on demand only)', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^dfsim <command> \[CONTEXT\] \[options\]/);
    for (const command of ['build', 'plan', 'cache']) expect(r.out).toMatch(new RegExp(`^\\s+dfsim ${command} `, 'm'));
  });

  it('prints the options of a command', async () => {
    const r = await run(['build', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--build-arg/);
    expect(r.out).toMatch(/--no-cache-filter/);
  });
});

describe('a reader that goes away (dfsim build --json | head)', () => {
  it('stops quietly on EPIPE instead of throwing an unhandled error with a stack trace', () => {
    const stdout = new EventEmitter();
    const exits: number[] = [];
    stopQuietlyOnBrokenPipe([stdout], (code) => exits.push(code));
    stdout.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([0]);
  });

  it('still raises other write errors', () => {
    const stdout = new EventEmitter();
    stopQuietlyOnBrokenPipe([stdout], () => {});
    expect(() => stdout.emit('error', Object.assign(new Error('write ENOSPC'), { code: 'ENOSPC' }))).toThrow('ENOSPC');
  });
});

describe('dfsim build --json', () => {
  it('has the documented shape, and a rebuild reuses every step', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest AS builder\nWORKDIR /src\nCOPY a.txt .\nRUN cp a.txt /out\nFROM bb:latest\nCOPY --from=builder /out /out\nCMD ["cat", "/out"]\n', 'a.txt': 'a\n' });
    const first = JSON.parse((await build(dir, '--json')).out);
    expect(first).toMatchObject({ ok: true, error: null, builder: 'buildkit', target: { index: 1, name: null } });
    expect(first.steps.map((s: { kind: string; vertex: boolean; stage: { index: number } }) => `${s.stage.index}:${s.kind}:${s.vertex}`)).toEqual([
      '0:FROM:true', '0:WORKDIR:true', '0:COPY:true', '0:RUN:true', '1:FROM:false', '1:COPY:true', '1:CMD:false', // the second FROM bb:latest is merged with the first (BuildKit)
    ]);
    expect(first.steps[1]).toMatchObject({ instruction: 'WORKDIR /src', line: 2, cached: false, reason: { cause: 'cold' } });
    // busybox image: 1 layer; final stage adds the COPY only (stages used through --from add nothing)
    expect(first.image.layers).toBe(2);
    expect(first.image.history.map((h: { createdBy: string }) => h.createdBy).slice(1)).toEqual(['COPY /out /out # buildkit', 'CMD ["cat" "/out"]']);
    const second = JSON.parse((await build(dir, '--json')).out);
    expect(second.steps.filter((s: { vertex: boolean }) => s.vertex).every((s: { cached: boolean }) => s.cached)).toBe(true);
    expect(second.summary).toMatchObject({ reused: 5, rebuilt: 0, firstMiss: null });
  });

  it('plan predicts without recording; build records', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest\nCOPY a.txt /a\n', 'a.txt': 'a' });
    await run(['plan', dir, '--cache-dir', path.join(dir, '.cache'), '--base-image', `bb:latest=${IMAGE}`]);
    const afterPlan = JSON.parse((await build(dir, '--json')).out);
    expect(afterPlan.summary.reused).toBe(0);
    const text = (await build(dir)).out;
    expect(text).toMatch(/^cache: 2\/2 steps reused, 0 rebuilt$/m);
  });

  it('explains a miss in one sentence and a grep-able summary line', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest\nCOPY src /app/src\nRUN ls /app/src > /list\n', 'src/util.ts': 'one', 'src/main.ts': 'main' });
    await build(dir);
    fs.writeFileSync(path.join(dir, 'src/util.ts'), 'two');
    fs.writeFileSync(path.join(dir, 'src/new.ts'), 'new');
    const text = (await build(dir, '--no-files')).out;
    expect(text).toMatch(/^MISS +\[stage-0 2\/3\] COPY src \/app\/src {2}\(new file src\/new\.ts, src\/util\.ts changed\)$/m);
    expect(text).toMatch(/^MISS +\[stage-0 3\/3\] RUN ls \/app\/src > \/list {2}\(follows the miss at stage-0 step 2 `COPY src \/app\/src` \(line 2\)\)$/m);
    expect(text).toMatch(/^cache: 1\/3 steps reused, 2 rebuilt \(first miss: COPY src \/app\/src at line 2: new file src\/new\.ts, src\/util\.ts changed\)$/m);
  });

  it('--html writes a self-contained report of the same build', async () => {
    const dir = project({ Dockerfile: 'FROM bb:latest\nCOPY a.txt /a\n', 'a.txt': 'a' });
    const file = path.join(dir, 'report.html');
    const r = await build(dir, '--html', file);
    expect(r.code).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toMatch(/data-testid="steps"/);
    expect(html).toContain('COPY a.txt /a');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/);
  });

  it('shows a progress bar on a terminal stderr while a large context is hashed, and erases it', async () => {
    const files: Record<string, string> = { Dockerfile: 'FROM scratch\nCOPY . /app\n' };
    for (let i = 0; i < 2100; i++) files[`d${i % 20}/f${i}`] = String(i);
    const dir = project(files);
    let err = '';
    const code = await main(['plan', dir, '--cache-dir', path.join(dir, '.cache'), '--no-files'], { out: () => {}, err: (s) => (err += s), isTTY: false, env: {}, progress: true });
    expect(code).toBe(0);
    expect(err).toMatch(/\rhashing context \[#* *\] \d+\/2101 files/);
    expect(err.endsWith('\r\x1b[2K')).toBe(true);
  });
});

