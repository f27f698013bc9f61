import { stageLabel } from './reason-text.js';
/**
 * `dfsim outline`: the Dockerfile's stages and how they depend on each other, the targets, every
 * ARG with its default and declaration, and what a change would invalidate: for each ARG and each
 * context file a COPY/ADD selects, the steps that would miss. Impacts are not guessed from rules:
 * they are predicted by simulating the change against a private store recorded with the inputs as
 * they are (for context files, on a temporary copy of the context).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDfsimError } from '../diagnostics/diagnostic.js';
import { contextInputs } from '../executor/key-sources.js';
import type { StepResult } from '../executor/types.js';
import { planBuild, stageByName, type BuildPlan, type PlannedStage } from '../instructions/stages.js';
import type { ParsedDockerfile } from '../instructions/types.js';
import { defaultDockerfile, simulate, type SimulateOptions, type Simulation } from '../simulate.js';
import { isGoInt } from '../syntax/words.js';

export interface StepRef {
  stage: { index: number; name: string | null };
  position: number;
  instruction: string;
  line: number;
}

export interface OutlineStage {
  index: number;
  name: string | null;
  base: { kind: 'stage'; index: number; name: string | null } | { kind: 'image'; ref: string } | { kind: 'scratch' };
  platform: string;
  line: number;
  /** Whether building the target builds this stage. */
  built: boolean;
}

export interface OutlineEdge {
  /** The stage depended on. */
  from: number;
  /** The stage that needs it. */
  to: number;
  kind: 'FROM' | 'COPY --from' | 'mount';
  line: number;
}

export interface ArgDeclarationInfo {
  scope: 'global' | { index: number; name: string | null };
  default: string | null;
  /** file:line:col */
  location: string;
}

export interface Impact {
  /** Steps (builder vertices) that would miss, in build order. */
  invalidates: StepRef[];
  /** The changed build would fail (its error message); steps after the failure are not known. */
  failed: string | null;
}

export interface OutlineArg extends Impact {
  name: string;
  declarations: ArgDeclarationInfo[];
  /** The value the impact was computed with. */
  changedTo: string;
}

export interface OutlinePath extends Impact {
  path: string;
  /** The COPY/ADD steps that select this path. */
  selectedBy: StepRef[];
  /** Impact computed for another path of the same group (same selecting steps), see OutlineOptions.maxPaths. */
  representative: string | null;
}

export interface Outline {
  file: string;
  builder: string;
  /** Valid --target values (stage names), and the default target. */
  targets: string[];
  defaultTarget: { index: number; name: string | null };
  target: { index: number; name: string | null };
  stages: OutlineStage[];
  edges: OutlineEdge[];
  args: OutlineArg[];
  paths: OutlinePath[];
  /** The build as it is fails: impacts cover the steps before the failure only. */
  baselineError: string | null;
}

export interface OutlineOptions {
  /** Skip the per-ARG and per-path simulations. */
  impacts?: boolean;
  /** Above this many copied paths, one simulation per group of paths selected by the same steps. */
  maxPaths?: number;
}

const ref = (s: StepResult): StepRef => ({ stage: { index: s.stage.index, name: s.stage.name }, position: s.position, instruction: s.instruction, line: s.line });
const stepKey = (s: { stage: { index: number }; position: number }): string => `${s.stage.index}:${s.position}`;

export async function buildOutline(opts: SimulateOptions, o: OutlineOptions = {}): Promise<Outline> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-outline-'));
  try {
    const baseOpts: SimulateOptions = { ...opts, record: true, cacheDir: path.join(tmp, 'cache-args'), noCache: false, noCacheFilter: [] };
    delete baseOpts.onProgress;
    const baseline = await simulate(baseOpts);
    const outline = structure(baseline);
    if (o.impacts === false) return outline;
    outline.args = await argImpacts(baseline, baseOpts);
    outline.paths = await pathImpacts(baseline, baseOpts, tmp, o.maxPaths ?? 64);
    return outline;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// ---- structure ---------------------------------------------------------------------------

function structure(sim: Simulation): Outline {
  const { parsed, plan, result } = sim;
  const built = new Set(plan.stages.map((p) => p.stage.index));
  const planned = allPlanned(parsed, plan);
  const stages: OutlineStage[] = parsed.stages.map((s) => {
    const p = planned.get(s.index);
    const base: OutlineStage['base'] = !p
      ? { kind: 'image', ref: s.from.image }
      : p.base.kind === 'stage'
        ? { kind: 'stage', index: p.base.index, name: parsed.stages[p.base.index]?.name ?? null }
        : p.base;
    return { index: s.index, name: s.name, base, platform: p?.platform ?? 'linux/amd64', line: s.from.range.start.line, built: built.has(s.index) };
  });
  const edges: OutlineEdge[] = [];
  for (const s of stages) if (s.base.kind === 'stage') edges.push({ from: s.base.index, to: s.index, kind: 'FROM', line: s.line });
  for (const s of parsed.stages) {
    for (const ins of s.instructions) {
      const refs: { from: string; kind: OutlineEdge['kind'] }[] = [];
      if (ins.kind === 'COPY' && ins.from !== null) refs.push({ from: ins.from, kind: 'COPY --from' });
      if (ins.kind === 'RUN') for (const m of ins.mounts) if (m.options['from']) refs.push({ from: m.options['from'], kind: 'mount' });
      for (const r of refs) {
        const i = stageIndex(parsed, r.from, result.builder);
        if (i !== null && !edges.some((e) => e.from === i && e.to === s.index && e.kind === r.kind)) edges.push({ from: i, to: s.index, kind: r.kind, line: ins.range.start.line });
      }
    }
  }
  const last = parsed.stages[parsed.stages.length - 1]!;
  return {
    file: sim.dockerfile,
    builder: result.builder,
    targets: parsed.stages.flatMap((s) => (s.name === null ? [] : [s.name])),
    defaultTarget: { index: last.index, name: last.name },
    target: { index: plan.target.index, name: plan.target.name },
    stages,
    edges,
    args: declarationsOnly(parsed, sim.dockerfile),
    paths: [],
    baselineError: result.error ? result.error.message : null,
  };
}

function stageIndex(parsed: ParsedDockerfile, from: string, builder: Simulation['result']['builder']): number | null {
  if (isGoInt(from)) {
    const i = Number(from);
    return i >= 0 && i < parsed.stages.length ? i : null;
  }
  return stageByName(parsed, from, builder)?.index ?? null;
}

/** Base and platform of every stage, not only those the target needs: one plan per stage as the target. */
function allPlanned(parsed: ParsedDockerfile, plan: BuildPlan): Map<number, PlannedStage> {
  const out = new Map(plan.stages.map((p) => [p.stage.index, p]));
  // Every stage up to the last, from the classic builder's plan (the same FROM resolution, no platform ARGs).
  try {
    const all = planBuild(parsed, { buildArgs: new Map(), builder: 'classic' });
    for (const p of all.stages) if (!out.has(p.stage.index)) out.set(p.stage.index, p);
  } catch {
    // A stage the target does not need may not resolve (e.g. a FROM using a platform ARG); it is shown unresolved.
  }
  return out;
}

function location(file: string, ins: { range: { start: { line: number; column: number }; end: { line: number } }; original: string }, name: string): string {
  let col = ins.range.start.column;
  const i = ins.original.search(new RegExp(`(?<=\\s)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[=\\s]|$)`));
  if (i >= 0 && ins.range.start.line === ins.range.end.line) col += i;
  return `${file}:${ins.range.start.line}:${col}`;
}

function declarationsOnly(parsed: ParsedDockerfile, file: string): OutlineArg[] {
  const byName = new Map<string, OutlineArg>();
  const add = (scope: ArgDeclarationInfo['scope'], ins: Parameters<typeof location>[1], name: string, def: string | null): void => {
    let a = byName.get(name);
    if (!a) byName.set(name, (a = { name, declarations: [], changedTo: '', invalidates: [], failed: null }));
    a.declarations.push({ scope, default: def, location: location(file, ins, name) });
  };
  for (const ins of parsed.metaArgs) for (const d of ins.args) add('global', ins, d.name, d.defaultValue);
  for (const s of parsed.stages) {
    for (const ins of s.instructions) if (ins.kind === 'ARG') for (const d of ins.args) add({ index: s.index, name: s.name }, ins, d.name, d.defaultValue);
  }
  return [...byName.values()];
}

// ---- impacts -----------------------------------------------------------------------------

function misses(sim: Simulation): Impact {
  const invalidates = sim.result.steps.filter((s, i) => sim.prediction.steps[i]?.cached === false).map(ref);
  return { invalidates, failed: sim.result.error ? sim.result.error.message : null };
}

async function tryImpact(opts: SimulateOptions): Promise<Impact> {
  try {
    return misses(await simulate(opts));
  } catch (e) {
    if (isDfsimError(e)) return { invalidates: [], failed: e.diagnostics[0]?.message ?? e.message };
    throw e;
  }
}

async function argImpacts(baseline: Simulation, opts: SimulateOptions): Promise<OutlineArg[]> {
  const args = declarationsOnly(baseline.parsed, baseline.dockerfile);
  const given = opts.buildArgs ?? new Map<string, string>();
  for (const a of args) {
    const current = given.get(a.name) ?? a.declarations.find((d) => d.default !== null)?.default ?? '';
    a.changedTo = current === '' ? 'dfsim-changed' : `${current}-changed`;
    const buildArgs = new Map(given);
    buildArgs.set(a.name, a.changedTo);
    Object.assign(a, await tryImpact({ ...opts, buildArgs, record: false }));
  }
  return args;
}

/** Context paths (regular files and symlinks) each COPY/ADD of the build selects. */
function copiedPaths(sim: Simulation): Map<string, StepResult[]> {
  const out = new Map<string, StepResult[]>();
  for (const s of sim.result.steps) {
    for (const { path: source, manifest } of contextInputs(s.key)) {
      for (const [rel, e] of Object.entries(manifest)) {
        if (e.type === 'dir') continue;
        const full = rel === '.' ? source : source === '.' ? rel : `${source}/${rel}`;
        const list = out.get(full) ?? [];
        if (!list.includes(s)) list.push(s);
        out.set(full, list);
      }
    }
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function pathImpacts(baseline: Simulation, opts: SimulateOptions, tmp: string, maxPaths: number): Promise<OutlinePath[]> {
  const selected = copiedPaths(baseline);
  if (selected.size === 0) return [];
  // A private copy of the context, so that a change can be simulated without touching the user's files.
  const contextDir = path.resolve(opts.context);
  const copy = path.join(tmp, 'context');
  fs.cpSync(contextDir, copy, { recursive: true, verbatimSymlinks: true });
  const dockerfile = path.resolve(opts.dockerfile ?? defaultDockerfile(opts.context));
  const rel = path.relative(contextDir, dockerfile);
  const inside = !rel.startsWith('..') && !path.isAbsolute(rel);
  const copyOpts: SimulateOptions = { ...opts, context: copy, dockerfile: inside ? path.join(copy, rel) : dockerfile, cacheDir: path.join(tmp, 'cache-paths'), record: true };
  await simulate(copyOpts);

  const groups = new Map<string, string[]>();
  for (const [p, steps] of selected) {
    const sig = steps.map(stepKey).join(',');
    groups.set(sig, [...(groups.get(sig) ?? []), p]);
  }
  const grouped = selected.size > maxPaths;
  const impacts = new Map<string, Impact>();
  for (const paths of groups.values()) {
    for (const p of grouped ? paths.slice(0, 1) : paths) impacts.set(p, await changeOne(copy, p, { ...copyOpts, record: false }));
  }
  const out: OutlinePath[] = [];
  for (const paths of groups.values()) {
    for (const p of paths) {
      const rep = impacts.has(p) ? null : paths[0]!;
      out.push({ path: p, selectedBy: selected.get(p)!.map(ref), ...impacts.get(rep ?? p)!, representative: rep });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Simulates an edit of one file of the copied context (new content, same mode), then puts it back. */
async function changeOne(copy: string, rel: string, opts: SimulateOptions): Promise<Impact> {
  const file = path.join(copy, rel);
  const st = fs.lstatSync(file);
  if (st.isSymbolicLink()) {
    const target = fs.readlinkSync(file);
    fs.rmSync(file);
    fs.symlinkSync(`${target}-changed`, file);
    try {
      return await tryImpact(opts);
    } finally {
      fs.rmSync(file);
      fs.symlinkSync(target, file);
    }
  }
  const before = fs.readFileSync(file);
  fs.appendFileSync(file, '\n# changed by dfsim outline\n');
  try {
    return await tryImpact(opts);
  } finally {
    fs.writeFileSync(file, before);
    fs.chmodSync(file, st.mode & 0o7777);
  }
}

// ---- rendering ---------------------------------------------------------------------------

const stepLabel = (s: StepRef): string => `[${stageLabel(s.stage)} step ${s.position + 1}] ${s.instruction} (line ${s.line})`;
const baseLabel = (b: OutlineStage['base']): string => (b.kind === 'stage' ? `stage ${stageLabel({ index: b.index, name: b.name })}` : b.kind === 'scratch' ? 'scratch' : b.ref);

function impactLines(i: Impact, indent: string, max = 12): string[] {
  const lines: string[] = [];
  if (i.invalidates.length === 0) lines.push(`${indent}invalidates nothing`);
  else {
    lines.push(`${indent}invalidates ${i.invalidates.length} step${i.invalidates.length === 1 ? '' : 's'}:`);
    for (const s of i.invalidates.slice(0, max)) lines.push(`${indent}  ${stepLabel(s)}`);
    if (i.invalidates.length > max) lines.push(`${indent}  … ${i.invalidates.length - max} more`);
  }
  if (i.failed) lines.push(`${indent}the changed build would fail: ${i.failed}`);
  return lines;
}

export function outlineText(o: Outline): string {
  const lines: string[] = [];
  lines.push(`${o.file} (${o.builder})`);
  lines.push(`targets: ${o.targets.length ? o.targets.join(', ') : '(no named stages)'}; default ${stageLabel(o.defaultTarget)}; building ${stageLabel(o.target)}`);
  lines.push('stages:');
  const w = Math.max(...o.stages.map((s) => stageLabel(s).length));
  for (const s of o.stages) {
    lines.push(`  ${String(s.index).padStart(2)}  ${stageLabel(s).padEnd(w)}  FROM ${baseLabel(s.base)}  ${s.platform}  line ${s.line}${s.built ? '' : '  (not built for this target)'}`);
  }
  if (o.edges.length) {
    lines.push('dependencies:');
    for (const e of o.edges) lines.push(`  ${stageLabel(o.stages[e.to]!)} <- ${stageLabel(o.stages[e.from]!)}  (${e.kind}, line ${e.line})`);
  }
  lines.push(o.args.length ? 'ARGs:' : 'ARGs: none');
  for (const a of o.args) {
    const decl = a.declarations.map((d) => `${d.scope === 'global' ? 'global' : stageLabel(d.scope)}${d.default === null ? '' : `=${JSON.stringify(d.default)}`} at ${d.location}`);
    lines.push(`  ${a.name}: ${decl.join('; ')}`);
    if (a.changedTo) lines.push(...impactLines(a, '    '));
  }
  if (o.paths.length) {
    lines.push('context files:');
    for (const p of o.paths) {
      lines.push(`  ${p.path}  (copied by ${p.selectedBy.map((s) => `[${stageLabel(s.stage)} step ${s.position + 1}]`).join(', ')})${p.representative ? `  same as ${p.representative}` : ''}`);
      lines.push(...impactLines(p, '    ', 6));
    }
  }
  if (o.baselineError) lines.push(`note: the build fails as it is (${o.baselineError}); impacts cover the steps before the failure`);
  return `${lines.join('\n')}\n`;
}

const mermaidId = (i: number): string => `s${i}`;
const quote = (s: string): string => s.replace(/"/g, '#quot;');

/** `graph TD`: a node per stage, edges from the stage depended on, labelled FROM / COPY --from / mount. */
export function outlineMermaid(o: Outline): string {
  const lines = ['graph TD'];
  for (const s of o.stages) lines.push(`  ${mermaidId(s.index)}["${quote(`${s.index}: ${stageLabel(s)}`)}<br/>${quote(`FROM ${baseLabel(s.base)}`)}"]`);
  for (const e of o.edges) lines.push(`  ${mermaidId(e.from)} -->|${e.kind}| ${mermaidId(e.to)}`);
  return `${lines.join('\n')}\n`;
}

export function outlineDot(o: Outline): string {
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  const lines = ['digraph stages {', '  rankdir=TB;', '  node [shape=box];'];
  for (const s of o.stages) lines.push(`  ${mermaidId(s.index)} [label="${esc(`${s.index}: ${stageLabel(s)}`)}\\n${esc(`FROM ${baseLabel(s.base)}`)}"];`);
  for (const e of o.edges) lines.push(`  ${mermaidId(e.from)} -> ${mermaidId(e.to)} [label="${esc(e.kind)}"];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

