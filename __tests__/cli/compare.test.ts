// `dfsim compare` end to end through main(): the three forms, flags, output and exit codes. Expected
// verdicts and layer counts come from the real builder's recordings (__tests__/fixtures/oracle).
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { removeTempProjects, runCli, tempProject } from '../helpers/cli.js';

const IMAGES = path.join(import.meta.dirname, '..', 'fixtures', 'images');
const ORACLE = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');
const BB = ['--base-image', `bb:latest=${path.join(IMAGES, 'bb-latest.json')}`];

afterAll(removeTempProjects);

const dir = (files: Record<string, string>): string => tempProject(files, 'dfsim-cli-cmp-');
const run = runCli;

const recorded = (builder: string, name: string, build: number): { steps: Array<{ instruction: string; cached: boolean }>; layers: number } =>
  JSON.parse(fs.readFileSync(path.join(ORACLE, builder, `${name}.json`), 'utf8')).builds[build];
const realFlags = (b: { steps: Array<{ instruction: string; cached: boolean }> }): boolean[] => b.steps.filter((s) => !/^FROM /i.test(s.instruction)).map((s) => s.cached);
const jsonFlags = (j: any): boolean[] => j.steps.filter((s: any) => s.vertex && s.kind !== 'FROM').map((s: any) => s.cached);

// cache-env-change: ENV A=1 → ENV A=2 (recorded build 2 is the rebuild after the edit).
const ENV_BEFORE = 'FROM bb:latest\nENV A=1\nCOPY a.txt /a.txt\nRUN echo ok > /ok\n';
const ENV_AFTER = 'FROM bb:latest\nENV A=2\nCOPY a.txt /a.txt\nRUN echo ok > /ok\n';

describe('dfsim compare BEFORE AFTER', () => {
  it.each(['buildkit', 'classic'])('--builder %s: the rebuild after an ENV edit matches the real builder', async (builder) => {
    const d = dir({ 'a.txt': 'a\n', 'Dockerfile.old': ENV_BEFORE, Dockerfile: ENV_AFTER });
    const r = await run(['compare', path.join(d, 'Dockerfile.old'), path.join(d, 'Dockerfile'), '--context', d, '--builder', builder, ...BB, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const real = recorded(builder, 'cache-env-change', 1);
    expect(jsonFlags(j)).toEqual(realFlags(real));
    expect([j.before.layers, j.after.layers]).toEqual([recorded(builder, 'cache-env-change', 0).layers, real.layers]);
    expect(j.builder).toBe(builder);
    expect(Object.keys(j).sort()).toEqual(['after', 'before', 'builder', 'ok', 'steps', 'summary', 'warnings']);
    expect(Object.keys(j.before).sort()).toEqual(['dockerfile', 'error', 'history', 'layers', 'layersByKind', 'ok', 'size', 'stages', 'target']);
  });

  it('prints the side-by-side table and the step list as text', async () => {
    const d = dir({ 'a.txt': 'a\n', 'Dockerfile.old': ENV_BEFORE, Dockerfile: ENV_AFTER });
    const r = await run(['compare', path.join(d, 'Dockerfile.old'), path.join(d, 'Dockerfile'), '--context', d, ...BB]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\s+before\s+after$/m);
    expect(r.out).toMatch(/^layers\s+3\s+3$/m);
    expect(r.out).toMatch(/^history entries\s+4\s+4$/m);
    expect(r.out).toContain('CACHED [stage-0 3/4] COPY a.txt /a.txt');
    expect(r.out).toContain('MISS   [stage-0 4/4] RUN echo ok > /ok  (ENV A changed)');
    expect(r.out).toContain('- 0B       ENV A=1');
    expect(r.out).toContain('+ 0B       ENV A=2');
  });

  it('--target and --build-arg apply to both sides', async () => {
    const df = 'FROM bb:latest AS one\nARG V\nRUN echo $V > /v\nFROM bb:latest AS two\nRUN echo two > /t\n';
    const d = dir({ 'Dockerfile.old': df, Dockerfile: df.replace('echo $V', 'echo "$V"') });
    const r = await run(['compare', path.join(d, 'Dockerfile.old'), path.join(d, 'Dockerfile'), '--context', d, '--target', 'one', '--build-arg', 'V=1', ...BB, '--json']);
    const j = JSON.parse(r.out);
    expect(j.after.stages).toEqual(['one']);
    expect(j.after.target).toBe('one');
    expect(j.steps.find((s: any) => s.kind === 'RUN').reason.text).toBe('the command text changed');
  });

  it('exits 1 when the after build fails', async () => {
    const d = dir({ 'a.txt': 'a\n', 'Dockerfile.old': ENV_BEFORE, Dockerfile: 'FROM bb:latest\nCOPY gone.txt /\n' });
    const r = await run(['compare', path.join(d, 'Dockerfile.old'), path.join(d, 'Dockerfile'), '--context', d, ...BB, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).after.error.code).toBe('DF3201');
  });

  it('usage errors exit 2', async () => {
    expect((await run(['compare', 'only-one'])).code).toBe(2);
    expect((await run(['compare', 'a', 'b', '-f', 'x'])).code).toBe(2);
    expect((await run(['compare', '--contexts', 'a'])).code).toBe(2);
  });
});

describe('dfsim compare --contexts', () => {
  it('edit-copied-file: b.txt edited between two copies (recorded build 4)', async () => {
    const df = 'FROM bb:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /out\nCOPY b.txt /b.txt\nRUN ls /\n';
    const a = dir({ Dockerfile: df, 'a.txt': 'one\n', 'b.txt': 'bee\n', 'c.txt': 'sea 2\n' });
    const b = dir({ Dockerfile: df, 'a.txt': 'one\n', 'b.txt': 'bee 2\n', 'c.txt': 'sea 2\n' });
    for (const builder of ['buildkit', 'classic']) {
      const r = await run(['compare', '--contexts', a, b, '--builder', builder, ...BB, '--json']);
      const j = JSON.parse(r.out);
      const real = recorded(builder, 'cache-edit-copied-file', 3);
      expect(jsonFlags(j)).toEqual(realFlags(real));
      expect(j.after.layers).toBe(real.layers);
      expect(j.steps.find((s: any) => s.instruction === 'COPY b.txt /b.txt').reason.text).toBe('b.txt changed');
    }
  });
});

describe('dfsim compare --git', () => {
  const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@e', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@e' };
  const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: gitEnv, encoding: 'utf8' });

  // What a checkout gives an executable file here: 0777 minus the umask.
  const probe = dir({});
  fs.mkdirSync(path.join(probe, 'p'), { mode: 0o777 });
  const EXEC_MODE = fs.statSync(path.join(probe, 'p')).mode & 0o777;

  function repo(): string {
    const d = dir({
      'README.md': 'outside the context\n',
      'app/Dockerfile': 'FROM bb:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /out\nCOPY b.txt /b.txt\nCOPY run.sh /run.sh\nRUN ls /\n',
      'app/a.txt': 'one\n',
      'app/b.txt': 'bee\n',
      'app/run.sh': '#!/bin/sh\necho hi\n',
    });
    fs.chmodSync(path.join(d, 'app/run.sh'), EXEC_MODE);
    git(d, 'init', '-q');
    git(d, 'add', '.');
    git(d, 'commit', '-q', '-m', 'one');
    fs.writeFileSync(path.join(d, 'app/b.txt'), 'bee 2\n');
    git(d, 'commit', '-q', '-am', 'two');
    return d;
  }

  it('the working tree (= HEAD) against HEAD~1: only the late COPY and what follows rebuild', async () => {
    const d = repo();
    const cwd = process.cwd();
    process.chdir(d);
    try {
      const r = await run(['compare', '--git', 'HEAD~1', 'app', ...BB, '--json']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const j = JSON.parse(r.out);
      // As recorded for cache-edit-copied-file build 4: a file copied late changed. The executable
      // run.sh has the same mode on both sides (a checkout applies the umask as the work tree did).
      expect(j.steps.filter((s: any) => s.vertex && s.kind !== 'FROM').map((s: any) => [s.instruction, s.cached])).toEqual([
        ['COPY a.txt /a.txt', true],
        ['RUN cat /a.txt > /out', true],
        ['COPY b.txt /b.txt', false],
        ['COPY run.sh /run.sh', false],
        ['RUN ls /', false],
      ]);
      expect(j.before.dockerfile).toBe('HEAD~1:app/Dockerfile');
      expect(j.summary.firstMiss.reason).toBe('b.txt changed');
    } finally {
      process.chdir(cwd);
    }
  });

  it('uncommitted edits against HEAD, with -f; an unknown revision exits 2', async () => {
    const d = repo();
    fs.writeFileSync(path.join(d, 'app/a.txt'), 'two\n');
    fs.chmodSync(path.join(d, 'app/run.sh'), 0o644);
    const r = await run(['compare', '--git', 'HEAD', path.join(d, 'app'), '-f', path.join(d, 'app/Dockerfile'), ...BB, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.summary.firstMiss.reason).toBe('a.txt changed');
    // COPY run.sh misses after the first miss anyway; its own change is still found.
    const copyRun = j.steps.find((s: any) => s.instruction === 'COPY run.sh /run.sh');
    expect(copyRun.reason.cause).toBe('knock-on');
    expect(copyRun.reason.changes).toEqual([{ part: 'file', source: 'run.sh', path: 'run.sh', change: 'mode', oldMode: EXEC_MODE, newMode: 0o644 }]);
    const bad = await run(['compare', '--git', 'no-such-rev', path.join(d, 'app'), ...BB]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('DF9103');
  });
});
