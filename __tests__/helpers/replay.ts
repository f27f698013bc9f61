// Replays a scenario through dfsim and lists every disagreement with what the real builder recorded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDfsimError } from '../../src/diagnostics/diagnostic.js';
import type { StepResult } from '../../src/executor/types.js';
import { simulate, type Simulation } from '../../src/simulate.js';
import { applyEdits, layOut, type Scenario } from './scenario.js';

const IMAGES = path.join(import.meta.dirname, '..', 'fixtures', 'images');
export const BASE_IMAGES = new Map([
  ['bb:latest', path.join(IMAGES, 'bb-latest.json')],
  ['bb:v1', path.join(IMAGES, 'bb-latest.json')],
  ['bb', path.join(IMAGES, 'bb-latest.json')],
  ['bb:v2', path.join(IMAGES, 'bb-v2.json')],
]);

export interface RealStep { stage: string | null; instruction: string; cached: boolean }
export interface RealBuild { label: string; ok: boolean; steps: RealStep[]; layers?: number; failedStep?: string | null; history?: string[] }

export const tmpRoots: string[] = [];

/** Cached flags of the steps the builder printed, FROM excluded (BuildKit prints FROM as CACHED only by chance of dedup). */
function realFlags(b: RealBuild): string[] {
  return b.steps.filter((s) => !/^FROM\s/i.test(s.instruction)).map((s) => `${s.cached ? 'CACHED' : 'MISS'}`);
}

/**
 * A step BuildKit merged across two stages is printed under either stage at random (finding 42), so
 * the recording may list it at another place than dfsim does. The flags still agree when, with the
 * merged steps taken out, both sequences are equal, and the merged steps carry the same flags.
 */
function onlyMergedStepMoved(want: RealBuild, sim: Simulation): boolean {
  const merged = new Set(sim.result.steps.filter((s) => !s.vertex && s.kind !== 'FROM').map((s) => s.instruction));
  if (merged.size === 0) return false;
  const real = want.steps.filter((s) => !/^FROM\s/i.test(s.instruction)).map((s) => ({ instruction: s.instruction, flag: s.cached ? 'CACHED' : 'MISS' }));
  const mine = printedSteps(sim).map(({ step, flag }) => ({ instruction: step.instruction, flag }));
  const rest = (list: typeof real, keep: boolean) => list.filter((x) => merged.has(x.instruction) !== keep).map((x) => `${x.instruction}\t${x.flag}`);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  return same(rest(real, false), rest(mine, false)) && same(rest(real, true).sort(), rest(mine, true).sort());
}

/**
 * Two steps with one key from different definitions (stages on `FROM bb:v1` and `FROM bb:latest`,
 * one image) are not merged: BuildKit runs the stages at once, one step computes and the other is
 * CACHED, and which one is a race (recorded: cache-r33-random-dedup-02 ran the second stage first).
 * The flags agree when every other step's flag is equal and each group of such twins carries the
 * same flags in some order.
 */
function onlyTwinsSwapped(want: RealBuild, sim: Simulation): boolean {
  const real = realFlags(want);
  const mine = printedSteps(sim).map(({ step, flag }) => ({ digest: step.key?.digest ?? `#${step.instruction}`, flag }));
  if (real.length !== mine.length) return false;
  const groups = new Map<string, number[]>();
  mine.forEach((m, i) => groups.set(m.digest, [...(groups.get(m.digest) ?? []), i]));
  if (![...groups.values()].some((g) => g.length > 1)) return false;
  return [...groups.values()].every((g) => {
    const flags = (list: string[]) => g.map((i) => list[i]!).sort().join(' ');
    return flags(real) === flags(mine.map((m) => m.flag));
  });
}

/**
 * The step a recording names as the failed one: the last step the builder printed. The classic
 * builder rejects a stage's name before it prints the FROM (dfsim marks that step as not run), so
 * the recording names the step before it (recorded: exec-r13-stage-name-rules).
 */
function printedFailedStep(sim: Simulation): StepResult {
  const failed = sim.result.failedStep!;
  if (sim.result.builder !== 'classic' || failed.vertex) return failed;
  const before = sim.result.steps.slice(0, sim.result.steps.indexOf(failed));
  return before.findLast((s) => s.vertex) ?? failed;
}

/** The steps the builder prints with a CACHED flag or not (FROM and the failed step left out), with dfsim's flag. */
function printedSteps(sim: Simulation): Array<{ step: StepResult; flag: string }> {
  return sim.result.steps
    .map((step, i) => ({ step, flag: sim.prediction.steps[i]!.cached ? 'CACHED' : 'MISS' }))
    .filter(({ step }) => step.vertex && step.kind !== 'FROM' && sim.result.failedStep !== step);
}

function simFlags(sim: Simulation): string[] {
  return printedSteps(sim).map(({ flag }) => flag);
}

export async function replay(scenario: Scenario, builder: 'buildkit' | 'classic', real: RealBuild[]): Promise<string[]> {
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
      const mine = printedFailedStep(sim);
      if (realKind !== mine.kind) problems.push(`${label}: real builder failed at ${want.failedStep}, dfsim at ${mine.instruction}`);
    }
    if (ok && want.layers !== undefined && sim.result.image?.layers !== want.layers) problems.push(`${label}: layers real ${want.layers}, dfsim ${sim.result.image?.layers}`);
    if (ok && want.history) {
      // `size<TAB>created_by`; the base image's entry has an empty created_by (some recordings trimmed its tab).
      const real = want.history.map((h) => (h.includes('\t') ? h.slice(h.indexOf('\t') + 1) : ''));
      const mine = sim.result.image?.history.map((h) => h.createdBy) ?? [];
      // Some recordings trimmed the end of the output, i.e. the oldest entry's trailing space.
      const differ = real.length !== mine.length || real.some((r, j) => (j === 0 ? !sameCreatedBy(r.trimEnd(), mine[j]!.trimEnd()) : !sameCreatedBy(r, mine[j]!)));
      if (differ) problems.push(`${label}: history real [${real.join(' | ')}], dfsim [${mine.join(' | ')}]`);
      // Layer sizes, where dfsim knows them (not the base image's), on every build: a step that hits
      // keeps the size of the layer it reuses. After the first build, a RUN with a cache mount is left
      // out: the mount keeps what earlier builds wrote there, and dfsim lays it out empty.
      const cacheMountRuns = new Set(i === 0 ? [] : sim.result.steps.filter((s) => s.kind === 'RUN' && /--mount=\S*type=cache/.test(s.instruction)).map((s) => s.history));
      const mySizes = sim.result.image?.history.map((h) => (h.size === null || cacheMountRuns.has(h) ? null : dockerSize(h.size))) ?? [];
      want.history.forEach((h, j) => {
        const size = h.split('\t')[0];
        if (j > 0 && mySizes[j] !== null && mySizes[j] !== undefined && size !== mySizes[j]) problems.push(`${label}: size of "${real[j]}": real ${size}, dfsim ${mySizes[j]}`);
      });
    }
    if (ok) {
      const r = realFlags(want).join(' ');
      const s = simFlags(sim).join(' ');
      if (r !== s && !onlyMergedStepMoved(want, sim) && !onlyTwinsSwapped(want, sim)) problems.push(`${label}: steps real [${r}], dfsim [${s}]`);
    }
  }
  return problems;
}


/**
 * History `created_by` texts are equal, except where the classic builder writes its own content hash
 * (`COPY file:<sha256> in /a `): dfsim writes the source names there, so only the rest is compared.
 */
function sameCreatedBy(real: string, mine: string): boolean {
  const copy = /^(.* #\(nop\) (?:COPY|ADD) (?:--chown=\S*?)?)(?:file|dir|multi):[0-9a-f]{64}( in .*)$/.exec(real);
  // The docker client prints a tab in created_by as a space (recorded: cache-r5-continuation-variants).
  mine = mine.replace(/\t/g, ' ');
  if (!copy) return real === mine;
  return mine.startsWith(copy[1]!) && mine.endsWith(copy[2]!);
}

/** Docker's units.HumanSize: decimal units, three significant digits (`%.3g`). */
function dockerSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let unit = 0;
  let v = n;
  while (v >= 1000 && unit < units.length - 1) {
    v /= 1000;
    unit++;
  }
  return `${Number(v.toPrecision(3))}${units[unit]}`;
}
