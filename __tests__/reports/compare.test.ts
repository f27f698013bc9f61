// compareBuilds against the real builder: for pairs of consecutive builds recorded in
// __tests__/fixtures/oracle (build N = before, build N+1 = after, with the same build options), the
// rebuild's CACHED flags, the image layer counts and the history lengths must be the recorded ones.
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareBuilds, compareJson, compareText, historyDiff, type Comparison } from '../../src/reports/compare.js';
import { applyEdits, layOut, type Scenario } from '../helpers/scenario.js';
import { BASE_IMAGES } from '../helpers/replay.js';

const ORACLE = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');

interface RealBuild { ok: boolean; steps: Array<{ instruction: string; cached: boolean }>; layers?: number; history?: string[] }

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

/** The context as it was for build `index` (0-based) of a scenario: initial files plus every edit up to it. */
function contextAt(scenario: Scenario, index: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-cmp-test-'));
  tmp.push(dir);
  layOut(dir, scenario);
  for (let i = 0; i <= index; i++) applyEdits(dir, scenario.builds[i]!, i);
  return dir;
}

/** CACHED/MISS of the steps the builder printed, FROM excluded (a display effect, see the oracle README). */
const realFlags = (b: RealBuild): string[] => b.steps.filter((s) => !/^FROM /i.test(s.instruction)).map((s) => (s.cached ? 'CACHED' : 'MISS'));
const simFlags = (c: Comparison): string[] =>
  c.after.result.steps.flatMap((s, i) => (s.vertex && s.kind !== 'FROM' ? [c.after.prediction.steps[i]!.cached ? 'CACHED' : 'MISS'] : []));

async function replayPair(name: string, builder: 'buildkit' | 'classic', n: number): Promise<{ cmp: Comparison; before: RealBuild; after: RealBuild }> {
  const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', `${name}.json`), 'utf8'));
  const real: { builds: RealBuild[] } = JSON.parse(fs.readFileSync(path.join(ORACLE, builder, `${name}.json`), 'utf8'));
  const a = contextAt(scenario, n);
  const b = contextAt(scenario, n + 1);
  const cmp = await compareBuilds({
    before: { context: a, dockerfile: path.join(a, 'Dockerfile') },
    after: { context: b, dockerfile: path.join(b, 'Dockerfile') },
    builder,
    baseImages: BASE_IMAGES,
  });
  return { cmp, before: real.builds[n]!, after: real.builds[n + 1]! };
}

// Pairs whose second build's flags depend only on the first build's cache (nothing from earlier builds).
const PAIRS: Array<[string, number, string]> = [
  ['cache-edit-copied-file', 2, 'edit a file copied late'],
  ['cache-edit-copied-file', 3, 'edit a file copied first'],
  ['cache-env-change', 0, 'Dockerfile edit: ENV value'],
  ['cache-base-image-change', 0, 'Dockerfile edit: FROM bb:v1 → bb:v2'],
  ['cache-stage-output-changes', 1, 'edit a file feeding a child stage and COPY --from'],
  ['cache-early-cutoff-copy-from', 0, 'edit with the same stage output (early cut-off)'],
  ['cache-metadata-instructions', 0, 'metadata instructions edited'],
];

for (const builder of ['buildkit', 'classic'] as const) {
  describe(`compare agrees with the real ${builder} builder`, () => {
    it.each(PAIRS)('%s, build %i → next (%s)', async (name, n) => {
      const { cmp, before, after } = await replayPair(name, builder, n);
      expect(simFlags(cmp)).toEqual(realFlags(after));
      expect(cmp.before.result.image?.layers).toBe(before.layers);
      expect(cmp.after.result.image?.layers).toBe(after.layers);
      expect(cmp.before.result.image?.history.length).toBe(before.history?.length);
      expect(cmp.after.result.image?.history.length).toBe(after.history?.length);
    });
  });
}

describe('compare report', () => {
  it('explains each miss and counts layers by kind (edit-copied-file, b.txt edited)', async () => {
    const { cmp } = await replayPair('cache-edit-copied-file', 'buildkit', 2);
    const json = compareJson(cmp) as Record<string, any>;
    // Real history: base, COPY, RUN, COPY, RUN (5 layers; `RUN ls /` is an empty layer but still one).
    expect(json.before.layersByKind).toEqual({ base: 1, COPY: 2, RUN: 2 });
    expect(json.after.layers).toBe(5);
    expect(json.before.stages).toEqual(['stage-0']);
    const miss = json.steps.filter((s: any) => s.cached === false);
    expect(miss.map((s: any) => [s.instruction, s.reason.cause])).toEqual([
      ['COPY b.txt /b.txt', 'inputs'],
      ['RUN ls /', 'knock-on'],
    ]);
    expect(miss[0].reason.text).toBe('b.txt changed');
    expect(json.summary).toMatchObject({ reused: 3, rebuilt: 2, layersRebuilt: 2, layers: { before: 5, after: 5, delta: 0 } });
    // b.txt grew by 2 bytes ("bee\n" → "bee 2\n"), the only size change.
    expect(json.summary.size.delta).toBe(2);
    const text = compareText(cmp);
    expect(text).toMatch(/^layers\s+5\s+5$/m);
    expect(text).toContain('MISS   [stage-0 4/5] COPY b.txt /b.txt  (b.txt changed)');
    expect(text).toContain('cache: 3/5 steps reused, 2 rebuilt; 2 of 5 image layers rebuilt');
  });

  it('classic: an ENV edit misses the ENV step and every later step of the stage', async () => {
    const { cmp } = await replayPair('cache-env-change', 'classic', 0);
    const json = compareJson(cmp) as Record<string, any>;
    const verdicts = json.steps.map((s: any) => [s.kind, s.cached, s.reason?.cause ?? null]);
    expect(verdicts).toEqual([
      ['FROM', true, null],
      ['ENV', false, 'inputs'],
      ['COPY', false, 'knock-on'],
      ['RUN', false, 'knock-on'],
    ]);
    // Classic history has the ENV as an empty layer: 4 entries, 3 layers (recorded).
    expect(json.after.layersByKind).toEqual({ base: 1, COPY: 1, RUN: 1 });
  });

  it('a base image change rebuilds the base layers too', async () => {
    const { cmp } = await replayPair('cache-base-image-change', 'buildkit', 0);
    const json = compareJson(cmp) as Record<string, any>;
    expect(json.steps[0].reason.text).toContain('the base image changed (bb:v1 → bb:v2)');
    expect(json.summary.layersRebuilt).toBe(3);
  });

  it.each(['buildkit', 'classic'] as const)('%s: two Dockerfiles in one context — COPY . . sees the edited Dockerfile (cache-dockerfile-in-context)', async (builder) => {
    const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', 'cache-dockerfile-in-context.json'), 'utf8'));
    const real: { builds: RealBuild[] } = JSON.parse(fs.readFileSync(path.join(ORACLE, builder, 'cache-dockerfile-in-context.json'), 'utf8'));
    const dir = contextAt(scenario, 1);
    // The old version lives outside the context, as `git show HEAD:Dockerfile > /tmp/old` would put it.
    const old = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-cmp-test-')), 'Dockerfile.old');
    tmp.push(path.dirname(old));
    fs.writeFileSync(old, scenario.files.Dockerfile!);
    const cmp = await compareBuilds({ before: { context: dir, dockerfile: old, dockerfileLocation: path.join(dir, 'Dockerfile') }, after: { context: dir, dockerfile: path.join(dir, 'Dockerfile') }, builder, baseImages: BASE_IMAGES });
    expect(simFlags(cmp)).toEqual(realFlags(real.builds[1]!));
    const copy = cmp.after.result.steps.findIndex((s) => s.kind === 'COPY');
    expect(cmp.after.prediction.steps[copy]!.reason!.changes).toEqual([{ part: 'file', source: '.', path: 'Dockerfile', change: 'modified' }]);
  });

  it('reports a failing after build and keeps the before facts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-cmp-test-'));
    tmp.push(dir);
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a\n');
    fs.writeFileSync(path.join(dir, 'Dockerfile.old'), 'FROM bb:latest\nCOPY a.txt /a\n');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nCOPY missing.txt /a\n');
    const cmp = await compareBuilds({ before: { context: dir, dockerfile: path.join(dir, 'Dockerfile.old') }, after: { context: dir, dockerfile: path.join(dir, 'Dockerfile') }, baseImages: BASE_IMAGES });
    const json = compareJson(cmp) as Record<string, any>;
    expect(json.ok).toBe(false);
    expect(json.before.layers).toBe(2);
    expect(json.after.layers).toBeNull();
    expect(json.after.error.code).toBe('DF3201');
    expect(compareText(cmp)).toMatch(/after: error DF3201/);
  });
});

describe('historyDiff', () => {
  const h = (createdBy: string, size = 0) => ({ createdBy, emptyLayer: size === 0, size });
  it('keeps common entries and marks removed and added ones in order', () => {
    const diff = historyDiff([h(''), h('ENV A=1'), h('RUN x', 3)], [h(''), h('ENV A=2'), h('RUN x', 3), h('CMD y')]);
    expect(diff.map(([m, e]) => `${m}${e.createdBy}`)).toEqual([' ', '-ENV A=1', '+ENV A=2', ' RUN x', '+CMD y']);
  });
});
