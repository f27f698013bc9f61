// whatIf against the real builder: the scenario's first build is "the current build", the change is
// given as a what-if flag instead of being made, and the predicted rebuild must match the recorded build
// that really made that change (its CACHED flags and layer count). Scenarios from __tests__/fixtures/oracle.
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDfsimError } from '../../src/diagnostics/diagnostic.js';
import { loadContext } from '../../src/executor/context/index.js';
import { initHasher } from '../../src/executor/hash.js';
import { editedContext, matchContextFiles, stageImpacts, whatIf, whatIfJson, whatIfText, type WhatIf, type WhatIfOptions } from '../../src/reports/what-if.js';
import { layOut, type Scenario } from '../helpers/scenario.js';
import { BASE_IMAGES } from '../helpers/replay.js';

const ORACLE = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');

interface RealBuild { ok: boolean; steps: Array<{ instruction: string; cached: boolean }>; layers?: number }

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

function initialContext(scenario: Scenario): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-whatif-test-'));
  tmp.push(dir);
  layOut(dir, scenario);
  return dir;
}

const realFlags = (b: RealBuild): string[] => b.steps.filter((s) => !/^FROM /i.test(s.instruction)).map((s) => (s.cached ? 'CACHED' : 'MISS'));
const simFlags = (w: WhatIf): string[] => w.after.result.steps.flatMap((s, i) => (s.vertex && s.kind !== 'FROM' ? [w.after.prediction.steps[i]!.cached ? 'CACHED' : 'MISS'] : []));

async function run(name: string, builder: 'buildkit' | 'classic', change: Partial<WhatIfOptions>): Promise<{ w: WhatIf; real: RealBuild[] }> {
  const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', `${name}.json`), 'utf8'));
  const real: { builds: RealBuild[] } = JSON.parse(fs.readFileSync(path.join(ORACLE, builder, `${name}.json`), 'utf8'));
  const w = await whatIf({ context: initialContext(scenario), builder, baseImages: BASE_IMAGES, ...change });
  return { w, real: real.builds };
}

// [scenario, what-if change, index of the recorded build that made that change for real]
const CASES: Array<[string, Partial<WhatIfOptions>, number]> = [
  ['cache-edit-copied-file', { edit: ['c.txt'] }, 2],
  ['cache-edit-copied-file', { edit: ['b.txt'] }, 3],
  ['cache-edit-copied-file', { touch: ['a.txt'] }, 4],
  ['cache-dockerignore-ignored-edit', { edit: ['secret.txt'] }, 1],
  ['cache-dockerignore-ignored-edit', { touch: ['app.txt'] }, 2],
  ['cache-stage-output-changes', { edit: ['b.txt'] }, 1],
  ['cache-stage-output-changes', { edit: ['a.txt'] }, 2],
  // The marker changes the file's length, so `wc -c` gives another /out: the "other length" build.
  ['cache-early-cutoff-copy-from', { edit: ['in.txt'] }, 2],
  ['cache-arg-buildarg-change', { buildArgChanges: ['V=x'] }, 1],
  ['cache-base-image-change', { base: ['bb:v1=bb:v2'] }, 1],
  ['cache-early-cutoff-copy-from', { stageChanged: ['gen'] }, 2],
];

for (const builder of ['buildkit', 'classic'] as const) {
  describe(`what-if agrees with the real ${builder} builder`, () => {
    it.each(CASES)('%s %j = recorded build %i', async (name, change, index) => {
      const { w, real } = await run(name, builder, change);
      expect(simFlags(w)).toEqual(realFlags(real[index]!));
      expect(w.after.result.image?.layers).toBe(real[index]!.layers);
    });
  });
}

// samples/bb-multistage, built for real (Docker 20.10.24, /work/shared/oracle/real-build.mjs, both
// builders): initial, then "src/body.txt" edited, then a new "src/new.txt". Non-FROM steps in order:
// WORKDIR, COPY src/, RUN, COPY --from report.txt, COPY --from busybox (classic: + ENTRYPOINT).
const MULTISTAGE_REAL = {
  buildkit: { edit: ['CACHED', 'MISS', 'MISS', 'MISS', 'MISS'], added: ['CACHED', 'MISS', 'MISS', 'CACHED', 'CACHED'], layers: 2 },
  classic: { edit: ['CACHED', 'MISS', 'MISS', 'MISS', 'MISS', 'MISS'], added: ['CACHED', 'MISS', 'MISS', 'CACHED', 'CACHED', 'CACHED'], layers: 2 },
};

describe('what-if on samples/bb-multistage agrees with live builds', () => {
  const sample = path.join(import.meta.dirname, '..', '..', 'samples', 'bb-multistage');
  it.each(['buildkit', 'classic'] as const)('%s: --edit src/body.txt, and --edit of a new src/new.txt (early cut-off at COPY --from)', async (builder) => {
    const real = MULTISTAGE_REAL[builder];
    const edit = await whatIf({ context: sample, builder, baseImages: BASE_IMAGES, edit: ['src/body.txt'] });
    expect(simFlags(edit)).toEqual(real.edit);
    expect(edit.after.result.image?.layers).toBe(real.layers);
    const added = await whatIf({ context: sample, builder, baseImages: BASE_IMAGES, edit: ['src/new.txt'] });
    expect(simFlags(added)).toEqual(real.added);
    expect((whatIfJson(added) as any).summary.layersChanged).toBe(0);
  });
});

describe('what-if (BuildKit only cases)', () => {
  it('--stage-changed reaches a RUN --mount=from of the stage (recorded "other length" build)', async () => {
    const { w, real } = await run('cache-early-cutoff-bind-mount', 'buildkit', { stageChanged: ['gen'] });
    expect(simFlags(w)).toEqual(realFlags(real[2]!));
    expect(simFlags(w)).toEqual(['MISS', 'MISS', 'MISS', 'MISS']);
  });
});

describe('what-if report', () => {
  it('lists per stage the steps that rebuild, why, and how many layers change', async () => {
    const { w } = await run('cache-stage-output-changes', 'buildkit', { edit: ['a.txt'] });
    const stages = stageImpacts(w);
    expect(stages.map((s) => [s.stage.name ?? s.stage.index, s.rebuilt, s.layersChanged])).toEqual([
      ['base', 1, 1],
      ['child', 1, 1],
      [2, 2, 2],
    ]);
    const json = whatIfJson(w) as Record<string, any>;
    expect(json.changes[0]).toMatchObject({ kind: 'file', pattern: 'a.txt', paths: ['a.txt'], text: 'edit a.txt' });
    // Image = bb:v2 (1 layer) + COPY --from + RUN true: the two layers of the final stage change.
    expect(json.summary).toMatchObject({ rebuilt: 4, layers: 3, layersChanged: 2 });
    const text = whatIfText(w);
    expect(text).toContain('base: 1 of 2 steps rebuild, 1 layer change');
    expect(text).toContain('REBUILD [base 2/2] COPY a.txt /a.txt  (a.txt changed)');
    expect(text).toMatch(/REBUILD \[child 2\/2\] RUN cat \/a.txt > \/c {2}\(follows the miss at base step \d+ `COPY a.txt \/a.txt`/);
  });

  it('names the build-arg and the marked stage in the reasons', async () => {
    const a = await run('cache-arg-buildarg-change', 'buildkit', { buildArgChanges: ['V=x'] });
    expect(whatIfText(a.w)).toContain('(ARG V now set to x)');
    const s = await run('cache-early-cutoff-copy-from', 'buildkit', { stageChanged: ['gen'] });
    const text = whatIfText(s.w);
    expect(text).toContain('REBUILD [gen 1/3] FROM bb:latest AS gen  (stage gen changed (--stage-changed))');
    expect(text).toContain("REBUILD [stage-1 2/3] COPY --from=gen /out /out  (gen's output changed (--stage-changed))");
  });

  it('--base REF=NEWREF names the new base; --base-changed keeps the files under a new ID', async () => {
    const a = await run('cache-base-image-change', 'buildkit', { base: ['bb:v1=bb:v2'] });
    expect(whatIfText(a.w)).toContain('the base image changed (bb:v1 → bb:v2)');
    const b = await run('cache-base-image-change', 'buildkit', { baseChanged: ['bb:v1'] });
    expect(simFlags(b.w)).toEqual(['MISS', 'MISS']);
    expect((whatIfJson(b.w) as any).summary.layersChanged).toBe(3);
  });

  it('notes an ignored file, and adds a new file with --edit of a missing path', async () => {
    const { w } = await run('cache-dockerignore-ignored-edit', 'buildkit', { edit: ['secret.txt', 'new/dir/x.txt'] });
    expect(w.notes.join('\n')).toContain('secret.txt is excluded by .dockerignore');
    const copy = w.after.result.steps.findIndex((s) => s.instruction === 'COPY . .');
    expect(w.after.prediction.steps[copy]!.reason!.changes).toEqual(expect.arrayContaining([{ part: 'file', source: '.', path: 'new/dir/x.txt', change: 'added' }]));
    expect(w.after.result.steps[copy]!.layer!.changes.map((c) => c.path)).toEqual(expect.arrayContaining(['/app/new/dir/x.txt']));
  });

  it('rejects no change, an unmatched path, an unknown base and an unknown stage (exit 2)', async () => {
    const cases: Array<[Partial<WhatIfOptions>, string]> = [
      [{}, 'DF9201'],
      [{ touch: ['nope/*.c'] }, 'DF9202'],
      [{ base: ['alpine=alpine:3'] }, 'DF9203'],
      [{ stageChanged: ['nosuch'] }, 'DF9204'],
    ];
    for (const [change, code] of cases) {
      const e = await run('cache-edit-copied-file', 'buildkit', change).then(() => null, (x: unknown) => x);
      expect(isDfsimError(e) && [e.diagnostics[0]!.code, e.exitCode]).toEqual([code, 2]);
    }
  });
});

describe('editedContext', () => {
  it('changes the edited file, its ancestors and nothing else; archives keep their bytes', async () => {
    await initHasher();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-whatif-test-'));
    tmp.push(dir);
    fs.mkdirSync(path.join(dir, 'src/lib'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/lib/a.go'), 'package a\n');
    fs.writeFileSync(path.join(dir, 'src/b.go'), 'package b\n');
    fs.writeFileSync(path.join(dir, 'x.tar'), 'not really a tar');
    const ctx = await loadContext(dir);
    const view = editedContext(ctx, ['src/lib/a.go', 'x.tar']);
    expect(view.get('src/lib/a.go')!.digest).not.toBe(ctx.get('src/lib/a.go')!.digest);
    expect(view.readFile('src/lib/a.go').toString()).toMatch(/^package a\n.*what-if/s);
    expect(view.get('src/lib/a.go')!.size).toBe(view.readFile('src/lib/a.go').length);
    for (const d of ['', 'src', 'src/lib']) expect(view.get(d)!.digest).not.toBe(ctx.get(d)!.digest);
    expect(view.get('src/b.go')).toEqual(ctx.get('src/b.go'));
    expect(view.readFile('x.tar').toString()).toBe('not really a tar');
    expect(view.get('x.tar')!.digest).not.toBe(ctx.get('x.tar')!.digest);
    expect([...view.entries()].map((e) => e.path)).toEqual([...ctx.entries()].map((e) => e.path));
    expect(matchContextFiles(ctx, 'src')).toEqual(['src/b.go', 'src/lib/a.go']);
    expect(matchContextFiles(ctx, 'src/*.go')).toEqual(['src/b.go']);
    expect(matchContextFiles(ctx, '*/*/*.go')).toEqual(['src/lib/a.go']);
  });
});
