// Replays every scenario recorded from the real builder (__tests__/fixtures/oracle) through dfsim and
// compares, build by build: success or failure, the failing step, the image's layer count, and for
// every step the builder ran whether it was CACHED. Disagreements that are understood but not yet
// fixed are listed, with a reason, in known-disagreements.json; the test fails on any other
// disagreement, and also when a listed one starts agreeing (so the list cannot go stale).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDfsimError } from '../../src/diagnostics/diagnostic.js';
import { simulate, type Simulation } from '../../src/simulate.js';
import { applyEdits, layOut, type Scenario } from '../helpers/scenario.js';

const ROOT = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');
const IMAGES = path.join(import.meta.dirname, '..', 'fixtures', 'images');
const BASE_IMAGES = new Map([
  ['bb:latest', path.join(IMAGES, 'bb-latest.json')],
  ['bb:v1', path.join(IMAGES, 'bb-latest.json')],
  ['bb', path.join(IMAGES, 'bb-latest.json')],
  ['bb:v2', path.join(IMAGES, 'bb-v2.json')],
]);
const known: Record<string, string> = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'known-disagreements.json'), 'utf8'));

interface RealStep { stage: string | null; instruction: string; cached: boolean }
interface RealBuild { label: string; ok: boolean; steps: RealStep[]; layers?: number; failedStep?: string | null }

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

/** Cached flags of the steps the builder printed, FROM excluded (BuildKit prints FROM as CACHED only by chance of dedup). */
function realFlags(b: RealBuild): string[] {
  return b.steps.filter((s) => !/^FROM /i.test(s.instruction)).map((s) => `${s.cached ? 'CACHED' : 'MISS'}`);
}

function simFlags(sim: Simulation): string[] {
  return sim.result.steps
    .map((s, i) => ({ s, p: sim.prediction.steps[i]! }))
    .filter(({ s }) => s.vertex && s.kind !== 'FROM' && !(sim.result.failedStep === s))
    .map(({ p }) => (p.cached ? 'CACHED' : 'MISS'));
}

async function replay(scenario: Scenario, builder: 'buildkit' | 'classic', real: RealBuild[]): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-oracle-'));
  tmpRoots.push(dir);
  const ctx = path.join(dir, 'ctx');
  fs.mkdirSync(ctx);
  layOut(ctx, scenario);
  const problems: string[] = [];
  for (const [i, build] of scenario.builds.entries()) {
    applyEdits(ctx, build, i);
    const want = real[i]!;
    let sim: Simulation | null = null;
    let failure: string | null = null;
    try {
      const opts: Parameters<typeof simulate>[0] = { context: ctx, builder, cacheDir: path.join(dir, 'cache'), baseImages: BASE_IMAGES, record: true, noCache: Boolean(build.noCache), buildArgs: new Map(Object.entries(build.buildArgs ?? {})) };
      if (build.target) opts.target = build.target;
      if (build.dockerfile) opts.dockerfile = path.join(ctx, build.dockerfile);
      sim = await simulate(opts);
      if (sim.result.error) failure = sim.result.error.message;
    } catch (e) {
      if (!isDfsimError(e)) throw e;
      failure = e.message;
    }
    const label = `build ${i + 1} "${build.label}"`;
    const ok = failure === null;
    if (ok !== want.ok) {
      problems.push(`${label}: real builder ${want.ok ? 'succeeded' : 'failed'}, dfsim ${ok ? 'succeeded' : `failed (${failure})`}`);
      break;
    }
    if (!sim) continue;
    if (!ok && want.failedStep && sim.result.failedStep) {
      const realKind = want.failedStep.split(/\s+/)[0]!.toUpperCase();
      if (realKind !== sim.result.failedStep.kind) problems.push(`${label}: real builder failed at ${want.failedStep}, dfsim at ${sim.result.failedStep.instruction}`);
    }
    if (ok && want.layers !== undefined && sim.result.image?.layers !== want.layers) problems.push(`${label}: layers real ${want.layers}, dfsim ${sim.result.image?.layers}`);
    if (ok) {
      const r = realFlags(want).join(' ');
      const s = simFlags(sim).join(' ');
      if (r !== s) problems.push(`${label}: steps real [${r}], dfsim [${s}]`);
    }
  }
  return problems;
}

const scenarios = fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json')).sort();

for (const builder of ['buildkit', 'classic'] as const) {
  describe(`real builder agreement (${builder})`, () => {
    it.each(scenarios)('%s', async (file) => {
      const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', file), 'utf8'));
      const real: { builds: RealBuild[] } = JSON.parse(fs.readFileSync(path.join(ROOT, builder, file), 'utf8'));
      const problems = await replay(scenario, builder, real.builds);
      const id = `${builder}/${file.replace(/\.json$/, '')}`;
      if (known[id]) expect({ id, agrees: problems.length === 0 }).toEqual({ id, agrees: false });
      else expect(problems).toEqual([]);
    });
  });
}
