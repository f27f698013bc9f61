// `dfsim what-if` end to end through main(). Expected verdicts and layer counts are the real builder's
// recordings of the same change actually made (__tests__/fixtures/oracle).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { removeTempProjects, runCli, tempProject } from '../helpers/cli.js';

const IMAGES = path.join(import.meta.dirname, '..', 'fixtures', 'images');
const ORACLE = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');
const BB = ['--base-image', `bb:latest=${path.join(IMAGES, 'bb-latest.json')}`, '--base-image', `bb:v2=${path.join(IMAGES, 'bb-v2.json')}`];

afterAll(removeTempProjects);

function scenarioDir(name: string): string {
  const scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', `${name}.json`), 'utf8'));
  return tempProject(scenario.files as Record<string, string>, 'dfsim-cli-whatif-');
}

const run = runCli;

const recorded = (builder: string, name: string, build: number): { steps: Array<{ instruction: string; cached: boolean }>; layers: number } =>
  JSON.parse(fs.readFileSync(path.join(ORACLE, builder, `${name}.json`), 'utf8')).builds[build];
const realFlags = (b: { steps: Array<{ instruction: string; cached: boolean }> }): boolean[] => b.steps.filter((s) => !/^FROM /i.test(s.instruction)).map((s) => s.cached);
const jsonFlags = (j: any): boolean[] => j.stages.flatMap((st: any) => st.steps.filter((s: any) => s.kind !== 'FROM').map((s: any) => s.cached));

describe('dfsim what-if', () => {
  it.each(['buildkit', 'classic'])('--builder %s --edit a.txt on a three-stage build = the recorded edit', async (builder) => {
    const d = scenarioDir('cache-stage-output-changes');
    const r = await run(['what-if', d, '--edit', 'a.txt', '--builder', builder, ...BB, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const real = recorded(builder, 'cache-stage-output-changes', 2);
    expect(jsonFlags(j)).toEqual(realFlags(real));
    expect(j.summary.layers).toBe(real.layers);
    expect(Object.keys(j).sort()).toEqual(['builder', 'changes', 'error', 'notes', 'ok', 'stages', 'summary', 'target', 'warnings']);
  });

  it('--touch with a glob, as text: per stage, only what rebuilds', async () => {
    const d = scenarioDir('cache-edit-copied-file');
    const r = await run(['what-if', d, '--touch', 'b.*', ...BB]);
    expect(r.code).toBe(0);
    // Recorded build 4 (b.txt edited): the first COPY and RUN hit, the rest miss.
    expect(r.out).toContain('what-if (buildkit), target stage-0: edit b.* (1 file)');
    expect(r.out).toContain('stage-0: 2 of 5 steps rebuild, 2 layers change');
    expect(r.out).toContain('REBUILD [stage-0 4/5] COPY b.txt /b.txt  (b.txt changed)');
    expect(r.out).not.toContain('COPY a.txt');
    expect(r.out).toContain('cache: 3/5 steps reused, 2 rebuilt; 2 of 5 image layers change');
  });

  it('--build-arg-change against the --build-arg of the current build', async () => {
    const d = scenarioDir('cache-arg-buildarg-change');
    // Recorded: V=x then V=y misses the RUN; V=x again would hit.
    const changed = JSON.parse((await run(['what-if', d, '--build-arg', 'V=x', '--build-arg-change', 'V=y', ...BB, '--json'])).out);
    expect(changed.changes[0]).toMatchObject({ kind: 'build-arg', name: 'V', old: 'x', new: 'y' });
    expect(changed.summary.rebuilt).toBe(1);
    const same = JSON.parse((await run(['what-if', d, '--build-arg', 'V=x', '--build-arg-change', 'V=x', ...BB, '--json'])).out);
    expect(same.summary.rebuilt).toBe(0);
  });

  it('--stage-changed and --target', async () => {
    const d = scenarioDir('cache-stage-output-changes');
    const r = await run(['what-if', d, '--stage-changed', 'child', '--target', 'child', ...BB, '--json']);
    const j = JSON.parse(r.out);
    expect(j.stages.map((s: any) => [s.stage.name, s.rebuilt])).toEqual([
      ['base', 0],
      ['child', 1],
    ]);
  });

  it('usage errors exit 2 (JSON error with --json)', async () => {
    const d = scenarioDir('cache-edit-copied-file');
    const none = await run(['what-if', d, ...BB]);
    expect(none.code).toBe(2);
    expect(none.err).toContain('DF9201');
    const bad = await run(['what-if', d, '--touch', 'zzz', ...BB, '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.out).error.code).toBe('DF9202');
  });
});
