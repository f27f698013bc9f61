import { stageLabel } from './reason-text.js';
/**
 * The layers of the simulated final image: the base image summarised, then one row per
 * layer-creating step of the target's stage chain (FROM <stage> links), with the paths each layer
 * adds, modifies or removes (whiteouts), and dive's efficiency measures over all of them.
 */
import { posix } from 'node:path';
import { loadBaseImage, normalizeRef, type BaseImage } from '../executor/base-image.js';
import { StageFs, type LayerChange } from '../executor/stage-fs.js';
import type { StageRef, StepResult } from '../executor/types.js';
import type { Simulation } from '../simulate.js';
import { errorJson, formatBytes, plainStyle, type TextStyle } from './build-report.js';
import { analyzeLayers, evaluateGate, type EfficiencyResult, type GateThresholds, type LayerEntry, type LayerTree, type RuleResult } from './efficiency.js';

export interface LayerFile {
  path: string;
  change: LayerChange['change'];
  type: LayerChange['type'];
  size: number;
  /** For removals: the whiteout entry the layer tar carries (`/dir/.wh.name`). */
  whiteout: string | null;
}

export interface LayerRow {
  /** Index of the layer in the image (the base's layers come first). */
  index: number;
  stage: StageRef;
  position: number;
  instruction: string;
  line: number;
  size: number;
  files: LayerFile[];
  /** The step ran something dfsim could not follow: the layer may hold more than listed. */
  opaque: string[] | null;
}

export interface BaseSummary {
  /** The image reference, or 'scratch'. */
  ref: string;
  layers: number;
  /** Bytes of the base layers, or null when unknown. */
  size: number | null;
  /** false: the image was not given with --base-image, so its files are unknown. */
  known: boolean;
}

export interface LayerReport {
  builder: string;
  target: StageRef;
  /** Stages whose layers the image holds, base-most first. */
  chain: StageRef[];
  base: BaseSummary;
  layers: LayerRow[];
  image: { layers: number; size: number } | null;
  efficiency: EfficiencyResult;
  notes: string[];
}

/** Builds the layer report. baseImages: the REF → PATH pairs given to simulate (--base-image). */
export async function layerReport(sim: Simulation, baseImages: Map<string, string> = new Map()): Promise<LayerReport> {
  const { plan, result } = sim;
  const planned = new Map(plan.stages.map((p) => [p.stage.index, p]));
  // The target's FROM chain, target last.
  const chainIdx: number[] = [];
  for (let i: number | null = plan.target.index; i !== null; ) {
    chainIdx.unshift(i);
    const p = planned.get(i);
    i = p && p.base.kind === 'stage' ? p.base.index : null;
  }
  const root = planned.get(chainIdx[0]!);
  const baseRef = !root || root.base.kind === 'scratch' ? 'scratch' : root.base.kind === 'image' ? root.base.ref : 'scratch';
  const order = new Map(chainIdx.map((s, i) => [s, i]));
  const steps = result.steps
    .filter((s) => order.has(s.stage.index) && s.kind !== 'FROM' && s.createsLayer && s !== result.failedStep)
    .sort((a, b) => order.get(a.stage.index)! - order.get(b.stage.index)! || a.position - b.position);

  const notes: string[] = [];
  let image: BaseImage | null = null;
  const file = baseRef === 'scratch' ? undefined : [...baseImages].find(([ref]) => normalizeRef(ref) === normalizeRef(baseRef))?.[1];
  if (file !== undefined) image = await loadBaseImage(baseRef, file);
  else if (baseRef !== 'scratch') notes.push(`base image ${baseRef} was not given with --base-image: its files are unknown, so waste against them is not seen`);

  const stepHistory = steps.filter((s) => s.history).length;
  let baseLayers: number;
  let baseHistory: { size: number | null; emptyLayer: boolean }[];
  if (image) {
    baseLayers = image.layers;
    baseHistory = image.history;
  } else if (result.image) {
    baseLayers = Math.max(0, result.image.layers - steps.length);
    baseHistory = result.image.history.slice(0, Math.max(0, result.image.history.length - stepHistory));
  } else {
    baseLayers = 0;
    baseHistory = [];
  }
  const layered = baseHistory.filter((h) => !h.emptyLayer);
  const baseSize = baseRef === 'scratch' ? 0 : layered.length > 0 && layered.every((h) => h.size !== null) ? layered.reduce((n, h) => n + h.size!, 0) : null;
  if (baseLayers > 1) notes.push(`the base image's ${baseLayers} layers are analysed as one merged layer: waste inside the base image is not seen`);

  const rows: LayerRow[] = steps.map((s, i) => ({
    index: baseLayers + i,
    stage: s.stage,
    position: s.position,
    instruction: s.instruction,
    line: s.line,
    size: s.layer?.size ?? 0,
    files: layerFiles(s),
    opaque: s.opaque && s.opaque.notUnderstood.length ? [...s.opaque.notUnderstood] : null,
  }));
  if (rows.some((r) => r.opaque)) notes.push('some steps ran commands dfsim could not follow: their layers may hold more than listed');

  // dive's view: base layers first (the first one holding the merged base tree), then ours.
  const trees: LayerTree[] = [];
  if (baseRef !== 'scratch') {
    const sizes = layered.map((h) => h.size ?? 0);
    trees.push({ entries: image ? baseEntries(image) : [], size: sizes[0] ?? baseSize ?? 0 });
    for (let i = 1; i < baseLayers; i++) trees.push({ entries: [], size: sizes[i] ?? 0 });
  }
  for (const r of rows) trees.push({ entries: r.files.map(toEntry), size: r.size });
  const efficiency = analyzeLayers(trees);

  return {
    builder: result.builder,
    target: result.target,
    chain: chainIdx.map((i) => ({ index: i, name: planned.get(i)?.stage.name ?? null })),
    base: { ref: baseRef, layers: baseRef === 'scratch' ? 0 : baseLayers, size: baseSize, known: baseRef === 'scratch' || image !== null },
    layers: rows,
    image: result.image ? { layers: result.image.layers, size: result.image.size } : null,
    efficiency,
    notes,
  };
}

/** A step's layer as its tar would carry it: removals under a removed directory fold into that directory's whiteout. */
export function layerFiles(step: Pick<StepResult, 'layer'>): LayerFile[] {
  const changes = step.layer?.changes ?? [];
  const removedDirs = changes.filter((c) => c.change === 'removed').map((c) => c.path);
  const under = (p: string): boolean => removedDirs.some((d) => d !== p && (d === '/' || p.startsWith(`${d}/`)));
  return changes
    .filter((c) => !(c.change === 'removed' && under(c.path)))
    .map((c) => ({
      path: c.path,
      change: c.change,
      type: c.type,
      size: c.change === 'removed' ? 0 : c.size,
      whiteout: c.change === 'removed' ? posix.join(posix.dirname(c.path), `.wh.${posix.basename(c.path)}`) : null,
    }));
}

function toEntry(f: LayerFile): LayerEntry {
  return f.change === 'removed' ? { path: f.path, type: f.type, size: 0, whiteout: true } : { path: f.path, type: f.type, size: f.size };
}

function baseEntries(image: BaseImage): LayerEntry[] {
  const fs = new StageFs();
  image.populate(fs);
  const out: LayerEntry[] = [];
  for (const p of fs.walk('/')) {
    if (p === '/') continue;
    const info = fs.lstat(p);
    if (!info) continue;
    out.push({ path: p, type: info.type, size: info.type === 'file' ? info.size : 0 });
  }
  return out;
}

// ---- rendering ---------------------------------------------------------------------------

const pct = (f: number): string => `${(f * 100).toFixed(2)}%`;

/** One line per gate rule, `PASS`/`FAIL key: actual op threshold`. */
export function ruleLine(r: RuleResult): string {
  const fail = r.status === 'fail';
  switch (r.rule) {
    case 'lowestEfficiency':
      return `${fail ? 'FAIL' : 'PASS'} lowestEfficiency: ${r.actual.toFixed(4)} ${fail ? '<' : '>='} ${r.threshold}`;
    case 'highestWastedBytes':
      return `${fail ? 'FAIL' : 'PASS'} highestWastedBytes: ${formatBytes(r.actual)} ${fail ? '>' : '<='} ${formatBytes(r.threshold)}`;
    case 'highestUserWastedPercent':
      return `${fail ? 'FAIL' : 'PASS'} highestUserWastedPercent: ${r.actual.toFixed(4)} ${fail ? '>' : '<='} ${r.threshold}`;
  }
}

export interface LayersTextOptions {
  /** Paths listed per layer before `… N more` (default 20). */
  maxFiles?: number;
  files?: boolean;
}

export function layersText(sim: Simulation, report: LayerReport, rules: RuleResult[], style: TextStyle = plainStyle, opts: LayersTextOptions = {}): string {
  const maxFiles = opts.maxFiles ?? 20;
  const lines: string[] = [];
  const total = report.image ? `${report.image.layers} layers, ${formatBytes(report.image.size)}` : 'build failed';
  lines.push(style.bold(`dfsim layers ${report.builder}: target ${stageLabel(report.target)}, ${total}`));
  const b = report.base;
  lines.push(
    b.ref === 'scratch'
      ? 'base: scratch, 0 layers'
      : `base: ${b.ref}, ${b.layers} layer${b.layers === 1 ? '' : 's'}, ${b.size === null ? 'size unknown' : formatBytes(b.size)}${b.known ? '' : ' (files unknown)'}`,
  );
  const labels = report.layers.map((r) => `[${stageLabel(r.stage)} step ${r.position + 1}] ${r.instruction}`);
  const width = Math.min(70, Math.max(0, ...labels.map((l) => l.length)));
  report.layers.forEach((r, i) => {
    const label = labels[i]!;
    const shown = label.length > width ? `${label.slice(0, width - 1)}…` : label.padEnd(width);
    lines.push(`layer ${String(r.index).padStart(2)}  ${shown}  ${formatBytes(r.size).padStart(8)}`);
    if (r.opaque) lines.push(style.dim(`          opaque: ${r.opaque.join(', ')}`));
    if (opts.files === false) return;
    for (const f of r.files.slice(0, maxFiles)) {
      const mark = f.change === 'added' ? '+' : f.change === 'removed' ? '-' : '~';
      const size = f.change === 'removed' ? `  (whiteout ${f.whiteout})` : f.type === 'file' ? `  ${formatBytes(f.size)}` : '';
      lines.push(style.dim(`          ${mark} ${f.path}${f.type === 'dir' ? '/' : ''}${size}`));
    }
    if (r.files.length > maxFiles) lines.push(style.dim(`          … ${r.files.length - maxFiles} more`));
  });
  const e = report.efficiency;
  lines.push('');
  lines.push(`efficiency:          ${pct(e.efficiency)}`);
  lines.push(`wasted bytes:        ${formatBytes(e.wastedBytes)} (${e.wastedBytes} B)`);
  lines.push(`user wasted percent: ${pct(e.userWastedPercent)} of ${formatBytes(e.userSizeBytes)}`);
  if (e.inefficiencies.length) {
    lines.push('inefficiencies (path in 2+ layers):');
    for (const x of e.inefficiencies.slice(0, 10)) lines.push(`  ${String(x.layers.length).padStart(3)}x  ${formatBytes(x.cumulativeSize).padStart(8)}  ${x.path}`);
    if (e.inefficiencies.length > 10) lines.push(`  … ${e.inefficiencies.length - 10} more`);
  }
  for (const n of report.notes) lines.push(style.dim(`note: ${n}`));
  if (sim.result.error) {
    const d = sim.result.error;
    lines.push(style.miss(`error: ${d.file ?? ''}${d.range ? `:${d.range.start.line}:${d.range.start.column}` : ''}: ${d.code}: ${d.message}`));
  }
  for (const r of rules) lines.push(r.status === 'fail' ? style.miss(ruleLine(r)) : style.hit(ruleLine(r)));
  return `${lines.join('\n')}\n`;
}

/** The `--json` shape; rule keys are dive's `.dive-ci` keys. */
export function layersJson(sim: Simulation, report: LayerReport, rules: RuleResult[], thresholds: GateThresholds): Record<string, unknown> {
  const e = report.efficiency;
  const gate: Record<string, unknown> = {};
  for (const r of rules) gate[r.rule] = { threshold: r.threshold, actual: r.actual, status: r.status };
  return {
    ok: sim.result.error === null,
    error: sim.result.error ? errorJson(sim.result.error) : null,
    builder: report.builder,
    target: report.target,
    chain: report.chain,
    base: report.base,
    layers: report.layers,
    image: report.image,
    efficiency: e.efficiency,
    wastedBytes: e.wastedBytes,
    userWastedPercent: e.userWastedPercent,
    sizeBytes: e.sizeBytes,
    userSizeBytes: e.userSizeBytes,
    inefficiencies: e.inefficiencies,
    rules: gate,
    thresholds,
    pass: rules.every((r) => r.status === 'pass'),
    notes: report.notes,
  };
}

export { evaluateGate };
