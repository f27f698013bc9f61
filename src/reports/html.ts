/**
 * The HTML report: one self-contained page (inline CSS, a few lines of inline JS, inline SVG; no
 * external resources, no timestamps, no absolute paths) for a simulated build, or for a before/after
 * pair. Every piece of user text (instructions, paths, stage names, image references, messages) goes
 * through `esc`; nothing user-provided is placed inside the script. `data-testid` attributes mark the
 * parts that tests and scripts look for.
 */
import type { StepPrediction } from '../cache/predict.js';
import type { HistoryEntry, StepResult } from '../executor/types.js';
import type { Instruction, Stage } from '../instructions/types.js';
import type { Simulation } from '../simulate.js';
import { isGoInt } from '../syntax/words.js';
import { formatBytes, summaryLine } from './build-report.js';
import { changedLayers, historyDiff, imageLayerSteps } from './compare.js';
import { reasonText, stageLabel } from './reason-text.js';

/** Escapes text for HTML element content and quoted attribute values (also valid inside inline SVG). */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}


/** Shortens text for a fixed-width SVG label (the full text goes in a <title>). */
function clip(s: string, max: number): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

type Verdict = 'hit' | 'miss' | 'none';
const verdictOf = (p: StepPrediction | undefined): Verdict => (p?.cached === true ? 'hit' : p?.cached === false ? 'miss' : 'none');

// ---- stage graph -------------------------------------------------------------------------

type EdgeKind = 'from' | 'copy' | 'mount' | 'onbuild';

interface GraphNode {
  id: string;
  kind: 'stage' | 'image' | 'scratch';
  label: string;
  sub: string;
  column: number;
  row: number;
  stageIndex: number | null;
  target: boolean;
  built: boolean;
  verdict: 'hit' | 'miss' | 'mixed' | 'none';
}

interface GraphEdge {
  from: string;
  to: string;
  kinds: EdgeKind[];
}

/** What a `--from` value names: a stage of the file (by index or name, case-insensitive), else an image. */
function resolveFromValue(stages: Stage[], value: string): number | null {
  if (isGoInt(value)) {
    const i = Number(value);
    return i >= 0 && i < stages.length ? i : null;
  }
  const key = value.toLowerCase();
  return stages.find((s) => s.name !== null && s.name.toLowerCase() === key)?.index ?? null;
}

/** `--from` references of one instruction (COPY --from, RUN --mount from=), with how they are used. */
function referencesOf(ins: Instruction): Array<{ value: string; kind: EdgeKind }> {
  if (ins.kind === 'COPY' && ins.from !== null) return [{ value: ins.from, kind: 'copy' }];
  if (ins.kind === 'RUN') return ins.mounts.flatMap((m) => (m.options['from'] ? [{ value: m.options['from'], kind: 'mount' as const }] : []));
  // An ONBUILD trigger runs in the stages built FROM this one, not here (those edges come from dependsOn).
  return [];
}

/** Nodes (images and stages) in columns by dependency depth, and the edges between them. */
function stageGraph(sim: Simulation, verdicts: boolean): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const { plan, parsed, result, prediction } = sim;
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  const addEdge = (from: string, to: string, kind: EdgeKind): void => {
    const key = `${from}\u0000${to}`;
    const e = edges.get(key) ?? { from, to, kinds: [] };
    if (!e.kinds.includes(kind)) e.kinds.push(kind);
    edges.set(key, e);
  };
  const imageNode = (ref: string): string => {
    const id = ref === 'scratch' ? 'scratch' : `image:${ref}`;
    if (!nodes.has(id)) nodes.set(id, { id, kind: ref === 'scratch' ? 'scratch' : 'image', label: ref, sub: ref === 'scratch' ? 'empty base' : 'base image', column: 0, row: 0, stageIndex: null, target: false, built: true, verdict: 'none' });
    return id;
  };
  const stageId = (i: number): string => `stage:${i}`;

  for (const p of plan.stages) {
    const idx = p.stage.index;
    const steps = result.steps.map((s, i) => ({ s, p: prediction.steps[i] })).filter((x) => x.s.stage.index === idx);
    const looked = verdicts ? steps.map((x) => verdictOf(x.p)).filter((v) => v !== 'none') : [];
    const misses = looked.filter((v) => v === 'miss').length;
    const verdict = looked.length === 0 ? 'none' : misses === 0 ? 'hit' : misses === looked.length ? 'miss' : 'mixed';
    const base = p.base.kind === 'stage' ? stageLabel(parsed.stages[p.base.index] ?? { index: p.base.index, name: null }) : p.base.kind === 'scratch' ? 'scratch' : p.base.ref;
    const sub = `FROM ${base} · ${steps.length} step${steps.length === 1 ? '' : 's'}${misses ? `, ${misses} miss${misses === 1 ? '' : 'es'}` : ''}`;
    nodes.set(stageId(idx), { id: stageId(idx), kind: 'stage', label: stageLabel(p.stage), sub, column: 1, row: 0, stageIndex: idx, target: idx === plan.target.index, built: true, verdict });
    if (p.base.kind === 'stage') addEdge(stageId(p.base.index), stageId(idx), 'from');
    else addEdge(imageNode(p.base.kind === 'scratch' ? 'scratch' : p.base.ref), stageId(idx), 'from');
    // The base stage's ONBUILD triggers run first in this stage and may name stages or images too.
    const triggers = p.base.kind === 'stage' ? (parsed.stages[p.base.index]?.instructions ?? []).flatMap((ins) => (ins.kind === 'ONBUILD' ? referencesOf(ins.trigger) : [])) : [];
    for (const r of triggers) {
      const i = resolveFromValue(parsed.stages, r.value);
      addEdge(i !== null ? stageId(i) : imageNode(r.value), stageId(idx), 'onbuild');
    }
    for (const ins of p.stage.instructions) {
      for (const r of referencesOf(ins)) {
        const i = resolveFromValue(parsed.stages, r.value);
        if (i !== null) addEdge(stageId(i), stageId(idx), r.kind);
        else addEdge(imageNode(r.value), stageId(idx), r.kind);
      }
    }
    // A dependency the planner found that the scan above missed (e.g. an ONBUILD of the base).
    for (const d of p.dependsOn) if (!edges.has(`${stageId(d)}\u0000${stageId(idx)}`)) addEdge(stageId(d), stageId(idx), 'onbuild');
  }
  // Stages the builder does not build for this target (BuildKit skips what the target does not need).
  const built = new Set(plan.stages.map((p) => p.stage.index));
  for (const s of parsed.stages) {
    if (built.has(s.index)) continue;
    nodes.set(stageId(s.index), { id: stageId(s.index), kind: 'stage', label: stageLabel(s), sub: `FROM ${s.from.image} · not built`, column: 1, row: 0, stageIndex: s.index, target: false, built: false, verdict: 'none' });
  }

  // Column = longest path from a root; built stages are visited in build order (dependencies first).
  const incoming = (id: string): GraphEdge[] => [...edges.values()].filter((e) => e.to === id);
  for (const p of plan.stages) {
    const n = nodes.get(stageId(p.stage.index))!;
    n.column = Math.max(1, ...incoming(n.id).map((e) => (nodes.get(e.from)?.column ?? 0) + 1));
  }
  const rows = new Map<number, number>();
  const ordered = [...nodes.values()].sort((a, b) => a.column - b.column || (a.stageIndex ?? -1) - (b.stageIndex ?? -1) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  for (const n of ordered) {
    n.row = rows.get(n.column) ?? 0;
    rows.set(n.column, n.row + 1);
  }
  return { nodes: ordered, edges: [...edges.values()] };
}

const EDGE_LABEL: Record<EdgeKind, string> = { from: 'FROM', copy: 'COPY --from', mount: 'RUN --mount', onbuild: 'ONBUILD' };

/**
 * The stage graph as inline SVG. `idPrefix` keeps marker ids unique when a page holds two graphs;
 * `verdicts: false` leaves nodes uncoloured (a compare's before side, whose own lookups mean nothing).
 */
export function stageGraphSvg(sim: Simulation, opts: { idPrefix?: string; linkStages?: boolean; verdicts?: boolean } = {}): string {
  const idPrefix = opts.idPrefix ?? 'g';
  const linkStages = opts.linkStages ?? true;
  const { nodes, edges } = stageGraph(sim, opts.verdicts ?? true);
  const W = 220;
  const H = 52;
  const COL = 260;
  const ROW = 74;
  const PAD = 16;
  const columns = Math.max(1, ...nodes.map((n) => n.column + 1));
  const rowCount = Math.max(1, ...nodes.map((n) => n.row + 1));
  const width = PAD * 2 + (columns - 1) * COL + W;
  const height = PAD * 2 + (rowCount - 1) * ROW + H;
  const pos = new Map(nodes.map((n) => [n.id, { x: PAD + n.column * COL, y: PAD + n.row * ROW }]));
  const out: string[] = [];
  out.push(`<svg data-testid="stage-graph" class="graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="stage graph">`);
  out.push('<defs>');
  for (const k of ['from', 'copy', 'mount', 'onbuild'] as const) {
    out.push(`<marker id="${idPrefix}-arrow-${k}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow-${k}"/></marker>`);
  }
  out.push('</defs>');
  for (const e of edges) {
    const a = pos.get(e.from)!;
    const b = pos.get(e.to)!;
    const x1 = a.x + W;
    const y1 = a.y + H / 2;
    const x2 = b.x;
    const y2 = b.y + H / 2;
    const dx = Math.max(30, (x2 - x1) / 2);
    const label = e.kinds.map((k) => EDGE_LABEL[k]).join(' + ');
    const from = nodes.find((n) => n.id === e.from)!.label;
    const to = nodes.find((n) => n.id === e.to)!.label;
    // One line per kind, side by side, so that "FROM x" plus "COPY --from=x" shows both styles.
    const paths = e.kinds.map((k, i) => {
      const off = (i - (e.kinds.length - 1) / 2) * 5;
      return `<path class="edge edge-${k}" d="M${x1},${y1 + off} C${x1 + dx},${y1 + off} ${x2 - dx},${y2 + off} ${x2},${y2 + off}" marker-end="url(#${idPrefix}-arrow-${k})"/>`;
    });
    out.push(`<g data-testid="stage-edge" data-from="${esc(from)}" data-to="${esc(to)}" data-kind="${e.kinds.join(' ')}"><title>${esc(`${from} → ${to}: ${label}`)}</title>${paths.join('')}</g>`);
  }
  for (const n of nodes) {
    const { x, y } = pos.get(n.id)!;
    const cls = ['node', `node-${n.kind}`, `node-${n.verdict}`, n.target ? 'node-target' : '', n.built ? '' : 'node-skipped'].filter(Boolean).join(' ');
    const shape = n.kind === 'stage' ? `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="6"/>` : `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="${H / 2}"/>`;
    const title = `${n.label}${n.target ? ' (target)' : ''}\n${n.sub}`;
    const body =
      `${shape}<text class="node-label" x="${x + 10}" y="${y + 21}">${esc(clip(n.label, 24))}${n.target ? '<tspan class="badge"> ◎ target</tspan>' : ''}</text>` +
      `<text class="node-sub" x="${x + 10}" y="${y + 40}">${esc(clip(n.sub, 36))}</text>`;
    const linked = linkStages && n.kind === 'stage' && n.built ? `<a href="#stage-${n.stageIndex}">${body}</a>` : body;
    out.push(`<g data-testid="stage-node" class="${cls}" data-stage="${esc(n.label)}" data-kind="${n.kind}" data-built="${n.built}"${n.target ? ' data-target="true"' : ''}><title>${esc(title)}</title>${linked}</g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}

// ---- steps -------------------------------------------------------------------------------

const MAX_FILES = 400;

function filesDetails(s: StepResult): string {
  if (!s.layer) return '';
  const changes = s.layer.changes;
  if (changes.length === 0) return '<div class="nofiles">no files changed</div>';
  const shown = changes.slice(0, MAX_FILES);
  const items = shown.map((c) => {
    const mark = c.change === 'added' ? '+' : c.change === 'removed' ? '−' : '~';
    const size = c.type === 'file' && c.change !== 'removed' ? ` <span class="size">${esc(formatBytes(c.size))}</span>` : '';
    const mode = c.oldMode !== undefined && c.mode !== undefined ? ` <span class="mode">mode ${c.oldMode.toString(8)}→${c.mode.toString(8)}</span>` : '';
    return `<li class="chg-${c.change}" data-testid="file-change" data-change="${c.change}"><span class="mark">${mark}</span> <code>${esc(c.path)}${c.type === 'dir' ? '/' : ''}</code>${c.type === 'symlink' ? ' <span class="dim">(symlink)</span>' : ''}${size}${mode}</li>`;
  });
  if (changes.length > shown.length) items.push(`<li class="dim">… ${changes.length - shown.length} more</li>`);
  return `<details data-testid="step-files"><summary>${changes.length} file${changes.length === 1 ? '' : 's'} changed, ${esc(formatBytes(s.layer.size))}</summary><ul class="files">${items.join('')}</ul></details>`;
}

/** The steps as a table grouped by stage: verdict, instruction, why it missed, files changed, layer size. */
export function stepsTable(sim: Simulation): string {
  const { result, prediction } = sim;
  const rows: string[] = [];
  let stage = Number.NaN;
  result.steps.forEach((s, i) => {
    const p = prediction.steps[i];
    if (s.stage.index !== stage) {
      stage = s.stage.index;
      const n = result.steps.filter((x) => x.stage.index === stage).length;
      rows.push(`<tr class="stage-head" id="stage-${stage}"><th colspan="5">Stage ${esc(stageLabel(s.stage))}${s.stage.index === result.target.index ? ' <span class="badge">target</span>' : ''} <span class="dim">(${n} instruction${n === 1 ? '' : 's'})</span></th></tr>`);
    }
    const v = verdictOf(p);
    const failed = s === result.failedStep;
    const label = v === 'hit' ? 'CACHED' : v === 'miss' ? 'MISS' : s.vertex ? '—' : 'config';
    const title = v === 'none' ? (s.vertex ? 'no cache lookup' : 'not a build step of its own: it only changes the image config') : '';
    const reason = p?.reason ? `<span data-testid="miss-reason" class="reason cause-${p.reason.cause}">${esc(reasonText(p.reason))}</span>` : '';
    const opaque = s.opaque && s.opaque.notUnderstood.length ? `<div class="opaque" data-testid="opaque">not simulated exactly: ${esc(s.opaque.notUnderstood.join(', '))}</div>` : '';
    const fail = failed && result.error ? `<div class="error-inline" data-testid="step-error">${esc(`${result.error.code}: ${result.error.message}`)}</div>` : '';
    const size = s.history && !s.history.emptyLayer ? (s.history.size === null ? '?' : formatBytes(s.history.size)) : s.createsLayer && s.layer ? formatBytes(s.layer.size) : '';
    rows.push(
      `<tr data-testid="step" class="step v-${v}${failed ? ' failed' : ''}${s.trigger ? ' trigger' : ''}" data-stage="${esc(stageLabel(s.stage))}" data-kind="${s.kind}" data-vertex="${s.vertex}" data-verdict="${v}"${failed ? ' data-failed="true"' : ''}>` +
        `<td class="pos">${s.position}</td>` +
        `<td><span data-testid="verdict" class="verdict ${v}"${title ? ` title="${esc(title)}"` : ''}>${label}</span>${failed ? ' <span class="verdict failed-badge">FAILED</span>' : ''}</td>` +
        `<td class="ins"><code data-testid="instruction">${esc(s.instruction)}</code>${s.trigger ? ' <span class="dim">(ONBUILD trigger)</span>' : ''} <span class="dim line">line ${s.line}</span>${opaque}${fail}${filesDetails(s)}</td>` +
        `<td class="why">${reason}</td>` +
        `<td class="num">${esc(size)}</td></tr>`,
    );
  });
  return (
    `<table data-testid="steps" class="steps"><thead><tr><th>#</th><th>Cache</th><th>Instruction</th><th>Why it misses</th><th>Layer</th></tr></thead>` +
    `<tbody>${rows.join('\n')}</tbody></table>`
  );
}

// ---- layer chart -------------------------------------------------------------------------

interface Bar {
  label: string;
  size: number | null;
  verdict: 'base' | Verdict;
}

/** The image's layers in order: base layers first, then the steps that added one, with their verdicts. */
function layerBars(sim: Simulation, verdicts: boolean): Bar[] {
  const image = sim.result.image;
  if (!image) return [];
  const entries = image.history.filter((h) => !h.emptyLayer);
  const steps = imageLayerSteps(sim);
  const index = new Map(sim.result.steps.map((s, i) => [s, i]));
  const baseCount = entries.length - steps.length;
  return entries.map((h, i) => {
    const step = i >= baseCount ? steps[i - baseCount] : undefined;
    const verdict = step ? (verdicts ? verdictOf(sim.prediction.steps[index.get(step)!]) : 'none') : 'base';
    const label = step ? step.instruction : h.createdBy ? `base: ${h.createdBy}` : 'base image layer';
    return { label, size: h.size, verdict };
  });
}

/** Layer sizes as a horizontal bar chart (linear scale; the exact size is printed beside each bar). */
export function layerChartSvg(sim: Simulation, verdicts = true): string {
  const bars = layerBars(sim, verdicts);
  if (bars.length === 0) return '<p data-testid="layer-chart" class="dim">no image (the build failed or has no layers)</p>';
  const LABEL = 300;
  const BAR = 300;
  const ROWH = 22;
  const width = LABEL + BAR + 90;
  const height = bars.length * ROWH + 8;
  const max = Math.max(1, ...bars.map((b) => b.size ?? 0));
  const out: string[] = [`<svg data-testid="layer-chart" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="layer sizes">`];
  bars.forEach((b, i) => {
    const y = 4 + i * ROWH;
    const w = b.size === null ? 0 : Math.max(2, Math.round((b.size / max) * BAR));
    const sizeText = b.size === null ? 'unknown' : formatBytes(b.size);
    out.push(
      `<g data-testid="layer-bar" data-size="${b.size ?? ''}" data-verdict="${b.verdict}"><title>${esc(`${b.label}\n${sizeText}${b.verdict === 'hit' ? ', reused' : b.verdict === 'miss' ? ', rebuilt' : ''}`)}</title>` +
        `<text class="bar-label" x="${LABEL - 8}" y="${y + 15}" text-anchor="end">${esc(clip(`${i + 1}. ${b.label}`, 38))}</text>` +
        `<rect class="bar bar-${b.verdict}${b.size === null ? ' bar-unknown' : ''}" x="${LABEL}" y="${y + 3}" width="${b.size === null ? BAR : w}" height="${ROWH - 6}" rx="2"/>` +
        `<text class="bar-size" x="${LABEL + (b.size === null ? BAR : w) + 6}" y="${y + 15}">${esc(sizeText)}</text></g>`,
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

// ---- image summary -----------------------------------------------------------------------

const CONFIG_KEYS = ['Entrypoint', 'Cmd', 'User', 'WorkingDir', 'Env', 'ExposedPorts', 'Volumes', 'Labels', 'StopSignal', 'Shell', 'Healthcheck', 'OnBuild'];

function isEmptyValue(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0);
}

function historyTable(history: HistoryEntry[]): string {
  const rows = history.map((h, i) => `<tr class="${h.emptyLayer ? 'dim' : ''}"><td class="num">${i + 1}</td><td class="num">${h.emptyLayer ? '0B' : h.size === null ? '?' : esc(formatBytes(h.size))}</td><td><code>${esc(h.createdBy || '(base image)')}</code></td></tr>`);
  return `<table class="history"><thead><tr><th>#</th><th>Size</th><th>Created by</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function imageSummary(sim: Simulation, testid = 'image-summary'): string {
  const image = sim.result.image;
  if (!image) return `<div data-testid="${testid}" class="image none">no image: the build fails</div>`;
  const config = CONFIG_KEYS.filter((k) => !isEmptyValue(image.config[k])).map((k) => `<dt>${esc(k)}</dt><dd><code>${esc(JSON.stringify(image.config[k]))}</code></dd>`);
  return (
    `<div data-testid="${testid}" class="image">` +
    `<dl class="facts"><dt>Layers</dt><dd data-testid="image-layers">${image.layers}</dd>` +
    `<dt>History entries</dt><dd data-testid="image-history">${image.history.length}</dd>` +
    `<dt>Size</dt><dd data-testid="image-size" data-bytes="${image.size}">${esc(formatBytes(image.size))} <span class="dim">(${image.size} bytes)</span></dd>${config.join('')}</dl>` +
    `<details><summary>History (${image.history.length} entries)</summary>${historyTable(image.history)}</details></div>`
  );
}

// ---- page --------------------------------------------------------------------------------

const CSS = `
:root { --hit: #1a7f37; --hit-bg: #dafbe1; --miss: #b35900; --miss-bg: #fff1e0; --fail: #c62828; --line: #d0d7de; --dim: #656d76; --base: #8c959f; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2328; background: #f6f8fa; margin: 0; padding: 20px 28px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 26px 0 10px; } h3 { font-size: 15px; margin: 16px 0 8px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 4px 18px 16px; margin-top: 16px; overflow-x: auto; }
code { font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap; word-break: break-word; }
.dim { color: var(--dim); } .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.meta { color: var(--dim); margin: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 120px; }
.card b { display: block; font-size: 20px; } .card.hit b { color: var(--hit); } .card.miss b { color: var(--miss); }
.card.wide { flex: 1 1 320px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #eaeef2; }
thead th { font-size: 12px; color: var(--dim); font-weight: 600; }
tr.stage-head th { background: #f6f8fa; font-size: 13px; padding-top: 9px; }
.verdict { display: inline-block; min-width: 64px; text-align: center; font: 600 11.5px/1.8 ui-monospace, "DejaVu Sans Mono", monospace; border-radius: 4px; color: var(--dim); background: #eaeef2; }
.verdict.hit { color: var(--hit); background: var(--hit-bg); } .verdict.miss { color: var(--miss); background: var(--miss-bg); }
.verdict.failed-badge { color: #fff; background: var(--fail); }
tr.failed td { background: #ffebe9; } tr.v-none .ins code { color: var(--dim); }
td.why { max-width: 360px; } .reason.cause-inputs { color: var(--miss); font-weight: 600; } .reason.cause-knock-on { color: var(--dim); }
.line { font-size: 11.5px; } .opaque { font-size: 12px; color: #7d4e00; } .error-inline { color: var(--fail); font-weight: 600; }
details > summary { cursor: pointer; color: #0969da; font-size: 12.5px; margin-top: 2px; }
ul.files { list-style: none; margin: 4px 0 0; padding: 0 0 0 6px; max-height: 320px; overflow-y: auto; }
ul.files li { font-size: 12.5px; } .mark { display: inline-block; width: 1em; font-weight: 700; }
.chg-added .mark { color: var(--hit); } .chg-removed .mark { color: var(--fail); } .chg-modified .mark { color: var(--miss); }
.size, .mode { color: var(--dim); font-size: 12px; }
.toolbar { display: flex; gap: 14px; align-items: center; margin: 0 0 8px; font-size: 13px; }
.toolbar button { font: inherit; padding: 2px 10px; border: 1px solid var(--line); border-radius: 6px; background: #f6f8fa; cursor: pointer; }
table.steps.misses-only tr.step:not(.v-miss):not(.failed) { display: none; }
.graph .node rect { fill: #fff; stroke: #57606a; stroke-width: 1.5; }
.graph .node-image rect, .graph .node-scratch rect { fill: #eef2f6; stroke: var(--base); }
.graph .node-hit rect { stroke: var(--hit); fill: #f3fcf5; } .graph .node-miss rect { stroke: var(--miss); fill: #fff8ef; } .graph .node-mixed rect { stroke: var(--miss); }
.graph .node-target rect { stroke-width: 3; } .graph .node-skipped rect { stroke-dasharray: 4 3; fill: #fafbfc; stroke: var(--base); }
.graph .node-skipped text { fill: var(--dim); }
.graph .node-label { font-weight: 600; font-size: 13px; } .graph .node-sub { font-size: 11px; fill: var(--dim); }
.graph .badge { font-weight: 400; font-size: 11px; fill: #0969da; }
.graph a:hover rect { stroke: #0969da; }
.edge { fill: none; stroke-width: 1.6; } .edge-from { stroke: #57606a; } .edge-copy { stroke: #0969da; stroke-dasharray: 6 4; }
.edge-mount { stroke: #8250df; stroke-dasharray: 2 3; } .edge-onbuild { stroke: #bf8700; stroke-dasharray: 6 2 2 2; }
.arrow-from { fill: #57606a; } .arrow-copy { fill: #0969da; } .arrow-mount { fill: #8250df; } .arrow-onbuild { fill: #bf8700; }
.legend { font-size: 12px; color: var(--dim); margin: 6px 0 0; } .legend span { margin-right: 14px; }
.sw { display: inline-block; width: 18px; height: 0; border-top: 2px solid #57606a; vertical-align: middle; margin-right: 4px; }
.sw.copy { border-top: 2px dashed #0969da; } .sw.mount { border-top: 2px dotted #8250df; } .sw.onbuild { border-top: 2px dashed #bf8700; }
.chart .bar-label { font-size: 12px; } .chart .bar-size { font-size: 12px; fill: var(--dim); }
.bar-base { fill: var(--base); } .bar-hit { fill: #2da44e; } .bar-miss { fill: #e16f24; } .bar-none { fill: #6e7781; }
.bar-unknown { fill: none; stroke: var(--base); stroke-dasharray: 3 3; }
.box { display: inline-block; width: 10px; height: 10px; border-radius: 2px; vertical-align: middle; margin-right: 4px; }
.box.base { background: var(--base); } .box.hit { background: #2da44e; } .box.miss { background: #e16f24; } .box.none { background: #6e7781; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dl.facts dt { color: var(--dim); } dl.facts dd { margin: 0; }
.badge { font-size: 11px; font-weight: 600; color: #0969da; border: 1px solid #0969da; border-radius: 10px; padding: 0 6px; }
.error { border-color: var(--fail); } .error h2 { color: var(--fail); }
.sides { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.sides > section { margin-top: 0; }
.sides svg { max-width: 100%; height: auto; }
.nofiles { font-size: 12px; color: var(--dim); }
table.facts-table td, table.facts-table th { white-space: nowrap; } .delta-pos { color: var(--miss); } .delta-neg { color: var(--hit); }
table.hdiff td.op { width: 1.5em; font-weight: 700; text-align: center; } tr.hd-add { background: var(--hit-bg); } tr.hd-del { background: #ffebe9; }
`;

// Small behaviours only: expanding/collapsing every file list and hiding cache hits. No user data inside.
const JS = `
(function () {
  var table = document.querySelector('table.steps');
  document.querySelectorAll('[data-action]').forEach(function (el) {
    el.addEventListener(el.tagName === 'INPUT' ? 'change' : 'click', function () {
      var a = el.getAttribute('data-action');
      if (a === 'expand' || a === 'collapse') {
        document.querySelectorAll('table.steps details').forEach(function (d) { d.open = a === 'expand'; });
      } else if (a === 'misses' && table) {
        table.classList.toggle('misses-only', el.checked);
      }
    });
  });
})();
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
<script>${JS}</script>
</body>
</html>
`;
}

const GRAPH_LEGEND = '<p class="legend"><span><i class="sw"></i>FROM</span><span><i class="sw copy"></i>COPY --from</span><span><i class="sw mount"></i>RUN --mount from=</span><span><i class="sw onbuild"></i>needed by an ONBUILD trigger</span><span>thick border: target · dashed box: not built</span></p>';
const chartLegend = (before: boolean): string =>
  `<p class="legend"><span><i class="box base"></i>base image</span><span><i class="box hit"></i>reused (cache hit)</span><span><i class="box miss"></i>rebuilt (miss)</span>${before ? '<span><i class="box none"></i>before side (no verdict)</span>' : ''}<span>linear scale</span></p>`;

function cacheCards(sim: Simulation): string {
  const { prediction, result } = sim;
  const first = prediction.firstMiss === null ? null : result.steps[prediction.firstMiss]!;
  const firstText = first ? `${esc(first.instruction)} <span class="dim">(line ${first.line})</span>: ${esc(reasonText(prediction.steps[prediction.firstMiss!]!.reason!))}` : 'none';
  return (
    `<div class="cards" data-testid="cache-summary" data-reused="${prediction.reused}" data-rebuilt="${prediction.rebuilt}">` +
    `<div class="card hit"><span class="dim">Reused</span><b data-testid="reused">${prediction.reused}</b></div>` +
    `<div class="card miss"><span class="dim">Rebuilt</span><b data-testid="rebuilt">${prediction.rebuilt}</b></div>` +
    `<div class="card wide"><span class="dim">First miss</span><div data-testid="first-miss">${firstText}</div></div></div>`
  );
}

function errorSection(sim: Simulation, testid = 'build-error', heading = 'The build fails'): string {
  const d = sim.result.error;
  if (!d) return '';
  const where = d.range ? `${d.file ?? sim.dockerfile}:${d.range.start.line}:${d.range.start.column}` : (d.file ?? sim.dockerfile);
  return `<section class="error" data-testid="${testid}"><h2>${heading}</h2><p><code>${esc(`${where}: ${d.code}: ${d.message}`)}</code></p>${d.hint ? `<p>${esc(d.hint)}</p>` : ''}</section>`;
}

function warningsSection(sim: Simulation): string {
  if (sim.warnings.length === 0) return '';
  const items = sim.warnings.map((w) => `<li><code>${esc(`${w.range ? `line ${w.range.start.line}: ` : ''}${w.code}: ${w.message}`)}</code></li>`);
  return `<section data-testid="warnings"><h2>Warnings (${sim.warnings.length})</h2><ul>${items.join('')}</ul></section>`;
}

function stepsSection(sim: Simulation, heading: string): string {
  return (
    `<section><h2>${esc(heading)}</h2>` +
    '<div class="toolbar"><button type="button" data-action="expand">Expand all files</button><button type="button" data-action="collapse">Collapse all</button>' +
    '<label><input type="checkbox" data-action="misses"> Misses only</label></div>' +
    `${stepsTable(sim)}</section>`
  );
}

function targetText(sim: Simulation): string {
  return `${sim.result.builder === 'buildkit' ? 'BuildKit' : 'classic builder'} · target ${stageLabel(sim.result.target)} · ${sim.plan.stages.length} stage${sim.plan.stages.length === 1 ? '' : 's'} built`;
}

/** The report of one simulated build. */
export function renderBuildHtml(sim: Simulation): string {
  const title = `dfsim build report: ${sim.dockerfile}`;
  const body =
    `<header><h1>${esc(title)}</h1><p class="meta" data-testid="build-meta">${esc(targetText(sim))}</p>` +
    `<p class="meta" data-testid="summary-line"><code>${esc(summaryLine(sim))}</code></p>${cacheCards(sim)}</header>` +
    errorSection(sim) +
    `<section><h2>Stage graph</h2>${stageGraphSvg(sim)}${GRAPH_LEGEND}</section>` +
    stepsSection(sim, 'Steps') +
    `<section><h2>Layer sizes</h2>${layerChartSvg(sim)}${chartLegend(false)}</section>` +
    `<section><h2>Image</h2>${imageSummary(sim)}</section>` +
    warningsSection(sim);
  return page(title, body);
}

// ---- compare -----------------------------------------------------------------------------

function deltaCell(a: number | null, b: number | null, bytes: boolean): string {
  if (a === null || b === null) return '<td class="num dim">–</td>';
  const d = b - a;
  const text = d === 0 ? '0' : `${d > 0 ? '+' : '−'}${bytes ? formatBytes(Math.abs(d)) : Math.abs(d)}`;
  return `<td class="num ${d > 0 ? 'delta-pos' : d < 0 ? 'delta-neg' : 'dim'}" data-testid="delta">${esc(text)}</td>`;
}

function factsTable(before: Simulation, after: Simulation): string {
  const bi = before.result.image;
  const ai = after.result.image;
  const row = (name: string, key: string, a: number | null, b: number | null, bytes = false): string =>
    `<tr data-testid="fact-${key}" data-before="${a ?? ''}" data-after="${b ?? ''}"><th>${name}</th><td class="num">${a === null ? '–' : esc(bytes ? formatBytes(a) : String(a))}</td><td class="num">${b === null ? '–' : esc(bytes ? formatBytes(b) : String(b))}</td>${deltaCell(a, b, bytes)}</tr>`;
  const text = (name: string, key: string, a: string, b: string): string => `<tr data-testid="fact-${key}"><th>${name}</th><td class="num">${esc(a)}</td><td class="num">${esc(b)}</td><td></td></tr>`;
  return (
    '<table data-testid="compare-facts" class="facts-table"><thead><tr><th></th><th class="num">Before</th><th class="num">After</th><th class="num">Change</th></tr></thead><tbody>' +
    row('Image layers', 'layers', bi?.layers ?? null, ai?.layers ?? null) +
    row('History entries', 'history', bi?.history.length ?? null, ai?.history.length ?? null) +
    row('Image size', 'size', bi?.size ?? null, ai?.size ?? null, true) +
    row('Stages built', 'stages', before.plan.stages.length, after.plan.stages.length) +
    text('Build', 'ok', before.result.error ? 'fails' : 'succeeds', after.result.error ? 'fails' : 'succeeds') +
    `<tr data-testid="fact-reuse"><th>Rebuild after the edit</th><td colspan="3" class="num">${after.prediction.reused} steps reused, ${after.prediction.rebuilt} rebuilt, ${changedLayers(after)} image layer${changedLayers(after) === 1 ? '' : 's'} made anew</td></tr>` +
    '</tbody></table>'
  );
}

function historyDiffTable(before: Simulation, after: Simulation): string {
  const rows = historyDiff(before.result.image?.history ?? [], after.result.image?.history ?? []).map(([op, h]) => {
    const cls = op === '+' ? 'hd-add' : op === '-' ? 'hd-del' : '';
    const size = h.emptyLayer ? '0B' : h.size === null ? '?' : formatBytes(h.size);
    return `<tr class="${cls}" data-op="${op === ' ' ? 'same' : op === '+' ? 'added' : 'removed'}"><td class="op">${op === '-' ? '−' : op}</td><td class="num">${esc(size)}</td><td><code>${esc(h.createdBy || '(base image)')}</code></td></tr>`;
  });
  return `<table data-testid="history-diff" class="hdiff"><thead><tr><th></th><th>Size</th><th>Created by</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function sideSection(sim: Simulation, which: 'before' | 'after'): string {
  return (
    `<section data-testid="side-${which}"><h2>${which === 'before' ? 'Before' : 'After'} <span class="dim">${esc(sim.dockerfile)}</span></h2>` +
    `<p class="meta">${esc(targetText(sim))}</p>` +
    imageSummary(sim, `image-summary-${which}`) +
    `<h3>Layer sizes</h3>${layerChartSvg(sim, which === 'after')}` +
    `<h3>Stage graph</h3>${stageGraphSvg(sim, { idPrefix: which, linkStages: which === 'after', verdicts: which === 'after' })}</section>`
  );
}

/**
 * A before/after pair: `after` must have been predicted against a store that holds `before` (as
 * `dfsim compare` does), so its verdicts are the rebuild's.
 */
export function renderCompareHtml(before: Simulation, after: Simulation, title?: string): string {
  const heading = title ?? `dfsim compare: ${before.dockerfile} → ${after.dockerfile}`;
  const body =
    `<header><h1>${esc(heading)}</h1><p class="meta" data-testid="summary-line"><code>${esc(summaryLine(after))}</code></p>${cacheCards(after)}</header>` +
    `<section><h2>Before and after</h2>${factsTable(before, after)}</section>` +
    errorSection(before, 'build-error-before', 'The before build fails') +
    errorSection(after, 'build-error', 'The after build fails') +
    `<div class="sides">${sideSection(before, 'before')}${sideSection(after, 'after')}</div>` +
    chartLegend(true) +
    stepsSection(after, 'The rebuild, step by step') +
    `<section><h2>Image history</h2>${historyDiffTable(before, after)}</section>` +
    warningsSection(after);
  return page(heading, body);
}
