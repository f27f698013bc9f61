/**
 * `dfsim compare`: what an edit does to the build. "Before" is simulated and recorded into a private,
 * empty cache store; "after" is then predicted against that store, exactly as a rebuild after the edit
 * would look its steps up. Both sides share one step identity (stage, position, kind) so that a miss
 * is explained by comparing with the same step of the before build.
 *
 * Diagnostic codes used here:
 * - DF9001 / DF9002 (from the pipeline): a context directory is missing, a Dockerfile cannot be read
 * - DF9103 error  compare --git: not a git work tree, unknown revision, or a path outside the repository
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CacheStore } from '../cache/store.js';
import { DfsimError, error } from '../diagnostics/diagnostic.js';
import { loadBaseImages } from '../executor/base-image.js';
import { normalizeContextPath, type BuildContext, type ContextEntry } from '../executor/context/index.js';
import { hashJson } from '../executor/hash.js';
import type { Builder, HistoryEntry, StepResult } from '../executor/types.js';
import type { BuildPlan } from '../instructions/stages.js';
import { runPipeline, type BuildFlags, type PipelineOptions, type Simulation } from '../simulate.js';
import { errorJson, formatBytes, plainStyle, type TextStyle } from './build-report.js';
import { pointerText, reasonText, stageLabel } from './reason-text.js';

// ---- one side of a comparison ------------------------------------------------------------

export type SideOptions = PipelineOptions;

export interface Side {
  sim: Simulation;
  context: BuildContext;
}

/**
 * One step's identity across the two sides. Unlike `simulate`, no context or Dockerfile path enters it:
 * the two sides of a comparison may live in different directories but are the same build.
 */
export const sideStepId = (s: StepResult): string => hashJson({ stage: s.stage.name?.toLowerCase() ?? s.stage.index, position: s.position, kind: s.kind });

/** One side: the shared pipeline with the side-neutral step identity. */
export async function runSide(opts: SideOptions, store: CacheStore, record: boolean): Promise<Side> {
  return runPipeline({ ...opts, stepId: sideStepId }, store, record);
}

/** `ctx` with the file at `rel` holding `bytes` instead (unchanged when it is not in the context or has those bytes). */
export function replacedFileContext(ctx: BuildContext, rel: string, bytes: Buffer): BuildContext {
  const entry = rel.startsWith('..') ? undefined : ctx.get(rel);
  if (!entry || entry.type !== 'file' || ctx.readFile(rel).equals(bytes)) return ctx;
  const replaced: ContextEntry = { ...entry, size: bytes.length, digest: hashJson({ replaced: createHash('sha256').update(bytes).digest('hex') }) };
  // Directories above it hold another file now, so their digests change too.
  const over = new Map<string, ContextEntry>([[entry.path, replaced]]);
  for (let dir = entry.path; dir !== ''; ) {
    dir = dir.includes('/') ? dir.slice(0, dir.lastIndexOf('/')) : '';
    const d = ctx.get(dir)!;
    over.set(dir, { ...d, digest: hashJson({ replacedBelow: d.digest, file: replaced.digest }) });
  }
  const view: BuildContext = {
    ...ctx,
    get: (p) => over.get(normalizeContextPath(p)) ?? ctx.get(p),
    isIgnored: (p) => ctx.isIgnored(p),
    children: (p) => ctx.children(p),
    *entries() {
      for (const e of ctx.entries()) yield over.get(e.path) ?? e;
    },
    readFile: (p) => (normalizeContextPath(p) === entry.path ? bytes : ctx.readFile(p)),
  };
  return view;
}

/** A private, empty store for one comparison; `dispose` removes it. */
export function privateStore(): { store: CacheStore; dispose: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-compare-'));
  return { store: new CacheStore(dir), dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// ---- image facts ---------------------------------------------------------------------------

export interface SideFacts {
  ok: boolean;
  error: Record<string, unknown> | null;
  dockerfile: string;
  target: string;
  /** Layers of the built image (null when the build failed). */
  layers: number | null;
  /** Image layers by the instruction that made them; "base" counts the base image's own layers. */
  layersByKind: Record<string, number>;
  history: HistoryEntry[];
  size: number | null;
  /** Stages built, in build order (`stage-N` for unnamed ones). */
  stages: string[];
}


/** `stage i/N` as BuildKit numbers a stage's steps (FROM is 1), one per step of the build. */
export function stepLabels(steps: StepResult[]): string[] {
  const perStage = new Map<number, number>();
  for (const s of steps) perStage.set(s.stage.index, (perStage.get(s.stage.index) ?? 0) + 1);
  return steps.map((s) => `${stageLabel(s.stage)} ${s.position + 1}/${perStage.get(s.stage.index)}`);
}

/** The stage indices whose filesystem the target image is made of (the target and its FROM <stage> ancestors). */
export function imageChain(plan: BuildPlan): Set<number> {
  const byIndex = new Map(plan.stages.map((p) => [p.stage.index, p]));
  const chain = new Set<number>();
  let cur = byIndex.get(plan.target.index);
  while (cur && !chain.has(cur.stage.index)) {
    chain.add(cur.stage.index);
    cur = cur.base.kind === 'stage' ? byIndex.get(cur.base.index) : undefined;
  }
  return chain;
}

/** Steps that added a layer to the final image. */
export function imageLayerSteps(sim: Simulation): StepResult[] {
  const chain = imageChain(sim.plan);
  return sim.result.steps.filter((s) => chain.has(s.stage.index) && s.history !== null && !s.history.emptyLayer);
}

export function sideFacts(sim: Simulation): SideFacts {
  const { result } = sim;
  const image = result.image;
  const layersByKind: Record<string, number> = {};
  if (image) {
    const steps = imageLayerSteps(sim);
    const base = image.layers - steps.length;
    if (base > 0) layersByKind.base = base;
    for (const s of steps) layersByKind[s.kind] = (layersByKind[s.kind] ?? 0) + 1;
  }
  const stages: string[] = [];
  for (const s of result.steps) if (!stages.includes(stageLabel(s.stage))) stages.push(stageLabel(s.stage));
  return {
    ok: result.error === null,
    error: result.error ? errorJson(result.error) : null,
    dockerfile: sim.dockerfile,
    target: stageLabel(result.target),
    layers: image ? image.layers : null,
    layersByKind: Object.fromEntries(Object.entries(layersByKind).sort(([a], [b]) => (a === 'base' ? -1 : b === 'base' ? 1 : a < b ? -1 : a > b ? 1 : 0))),
    history: image ? image.history.map((h) => ({ createdBy: h.createdBy, emptyLayer: h.emptyLayer, size: h.size })) : [],
    size: image ? image.size : null,
    stages,
  };
}

/** One step of the rebuild with its verdict, as both reports print it. */
export interface StepVerdict {
  stage: { index: number; name: string | null };
  /** `stage i/N`, BuildKit's numbering. */
  label: string;
  position: number;
  instruction: string;
  kind: string;
  line: number;
  vertex: boolean;
  cached: boolean | null;
  reason: { cause: string; text: string; changes: unknown[]; follows: unknown } | null;
  failed: boolean;
}

export function stepVerdicts(sim: Simulation, reasonOverride?: (i: number) => string | undefined): StepVerdict[] {
  const labels = stepLabels(sim.result.steps);
  return sim.result.steps.map((s, i) => {
    const p = sim.prediction.steps[i]!;
    const text = reasonOverride?.(i) ?? (p.reason ? reasonText(p.reason) : '');
    return {
      stage: { index: s.stage.index, name: s.stage.name },
      label: labels[i]!,
      position: s.position,
      instruction: s.instruction,
      kind: s.kind,
      line: s.line,
      vertex: s.vertex,
      cached: p.cached,
      reason: p.reason ? { cause: p.reason.cause, text, changes: p.reason.changes, follows: p.reason.follows } : null,
      failed: s === sim.result.failedStep,
    };
  });
}

/**
 * Image layers the rebuild makes anew: layer steps of the image that miss, plus the base image's
 * layers when the FROM at the root of the image's chain misses (another base).
 */
export function changedLayers(sim: Simulation): number {
  if (!sim.result.image) return 0;
  const layerSteps = imageLayerSteps(sim);
  const index = new Map(sim.result.steps.map((s, i) => [s, i]));
  let n = layerSteps.filter((s) => sim.prediction.steps[index.get(s)!]!.cached === false).length;
  const chain = imageChain(sim.plan);
  const root = sim.result.steps.find((s) => s.kind === 'FROM' && chain.has(s.stage.index) && s.key !== null && s.key.parent === null && s.vertex);
  if (root && sim.prediction.steps[index.get(root)!]!.cached === false) n += sim.result.image.layers - layerSteps.length;
  return n;
}

// ---- the comparison ------------------------------------------------------------------------

export interface CompareSideInput {
  context: string;
  dockerfile: string;
  dockerfileLocation?: string;
  displayName?: string;
}

export interface CompareOptions extends BuildFlags {
  before: CompareSideInput;
  after: CompareSideInput;
}

export interface Comparison {
  builder: Builder;
  before: Simulation;
  after: Simulation;
}

export async function compareBuilds(opts: CompareOptions): Promise<Comparison> {
  const builder = opts.builder ?? 'buildkit';
  const baseImages = await loadBaseImages(opts.baseImages ?? new Map());
  const { store, dispose } = privateStore();
  try {
    const common = { builder, buildArgs: opts.buildArgs ?? new Map<string, string>(), baseImages, noCacheFilter: opts.noCacheFilter ?? [] };
    const side = (s: CompareSideInput): SideOptions => {
      const o: SideOptions = { ...common, context: s.context, dockerfile: s.dockerfile };
      if (s.dockerfileLocation !== undefined) o.dockerfileLocation = s.dockerfileLocation;
      if (s.displayName !== undefined) o.displayName = s.displayName;
      if (opts.target !== undefined) o.target = opts.target;
      if (opts.platform !== undefined) o.platform = opts.platform;
      return o;
    };
    // The before build is what is in the cache; --no-cache only applies to the rebuild.
    const beforeOpts = side(opts.before);
    const location = opts.before.dockerfileLocation;
    if (location !== undefined && path.resolve(location) !== path.resolve(opts.before.dockerfile)) {
      // Two versions of one Dockerfile in one context: before the edit, the file at AFTER's path held
      // BEFORE's bytes, and `COPY . .` sees that (the Dockerfile is part of the context unless ignored).
      const rel = path.relative(path.resolve(opts.before.context), path.resolve(location)).split(path.sep).join('/');
      const bytes = fs.readFileSync(opts.before.dockerfile);
      beforeOpts.wrapContext = (ctx) => replacedFileContext(ctx, rel, bytes);
    }
    const before = await runSide(beforeOpts, store, true);
    const afterOpts = side(opts.after);
    afterOpts.noCache = opts.noCache ?? false;
    const sameContext = path.resolve(opts.before.context) === path.resolve(opts.after.context) && path.resolve(opts.before.dockerfileLocation ?? opts.before.dockerfile) === path.resolve(opts.after.dockerfileLocation ?? opts.after.dockerfile);
    if (sameContext) afterOpts.loadedContext = before.context;
    const after = await runSide(afterOpts, store, false);
    return { builder, before: before.sim, after: after.sim };
  } finally {
    dispose();
  }
}

export function compareSummary(c: Comparison): Record<string, unknown> {
  const { after, before } = c;
  const p = after.prediction;
  const first = p.firstMiss === null ? null : after.result.steps[p.firstMiss]!;
  const delta = (a: number | null | undefined, b: number | null | undefined): number | null => (a === null || a === undefined || b === null || b === undefined ? null : b - a);
  return {
    reused: p.reused,
    rebuilt: p.rebuilt,
    firstMiss: first ? { stage: first.stage, instruction: first.instruction, line: first.line, reason: reasonText(p.steps[p.firstMiss!]!.reason!) } : null,
    layers: { before: before.result.image?.layers ?? null, after: after.result.image?.layers ?? null, delta: delta(before.result.image?.layers, after.result.image?.layers) },
    layersRebuilt: changedLayers(after),
    history: { before: before.result.image?.history.length ?? null, after: after.result.image?.history.length ?? null },
    size: { before: before.result.image?.size ?? null, after: after.result.image?.size ?? null, delta: delta(before.result.image?.size, after.result.image?.size) },
  };
}

/** The documented `dfsim compare --json` shape. */
export function compareJson(c: Comparison): Record<string, unknown> {
  return {
    ok: c.before.result.error === null && c.after.result.error === null,
    builder: c.builder,
    before: sideFacts(c.before),
    after: sideFacts(c.after),
    steps: stepVerdicts(c.after),
    summary: compareSummary(c),
    warnings: [...c.before.warnings, ...c.after.warnings].map(errorJson),
  };
}

const pad = (s: string, n: number): string => s + ' '.repeat(Math.max(0, n - s.length));

/** Side-by-side facts, the rebuild's step list, and the history of both images. */
export function compareText(c: Comparison, style: TextStyle = plainStyle): string {
  const b = sideFacts(c.before);
  const a = sideFacts(c.after);
  const lines: string[] = [];
  lines.push(style.bold(`dfsim compare (${c.builder}): ${b.dockerfile} → ${a.dockerfile}, target ${a.target}`));
  const num = (v: number | null): string => (v === null ? 'failed' : String(v));
  const rows: Array<[string, string, string]> = [['', 'before', 'after'], ['layers', num(b.layers), num(a.layers)]];
  const kinds = [...new Set([...Object.keys(b.layersByKind), ...Object.keys(a.layersByKind)])];
  for (const k of kinds) rows.push([`  ${k === 'base' ? 'base image' : k}`, String(b.layersByKind[k] ?? 0), String(a.layersByKind[k] ?? 0)]);
  rows.push(['history entries', b.ok ? String(b.history.length) : 'failed', a.ok ? String(a.history.length) : 'failed']);
  rows.push(['size', b.size === null ? 'failed' : formatBytes(b.size), a.size === null ? 'failed' : formatBytes(a.size)]);
  rows.push(['stages', b.stages.join(', '), a.stages.join(', ')]);
  const w0 = Math.max(...rows.map((r) => r[0].length)) + 2;
  const w1 = Math.max(...rows.map((r) => r[1].length)) + 3;
  for (const [i, r] of rows.entries()) {
    const line = `${pad(r[0], w0)}${pad(r[1], w1)}${r[2]}`.trimEnd();
    lines.push(i === 0 ? style.dim(line) : line);
  }
  lines.push('');
  lines.push(style.bold('rebuild after the change:'));
  for (const v of stepVerdicts(c.after)) {
    const verdict = v.cached === true ? style.hit('CACHED') : v.cached === false ? style.miss('MISS  ') : style.dim('      ');
    const reason = v.reason ? `  (${v.reason.text})` : '';
    lines.push(`${verdict} [${v.label}] ${v.instruction}${reason}${v.failed ? style.miss('  FAILED') : ''}`);
  }
  for (const [label, sim] of [['before', c.before], ['after', c.after]] as const) {
    const d = sim.result.error;
    if (d) lines.push(style.miss(`${label}: error ${d.code}: ${d.file ?? ''}${d.range ? `:${d.range.start.line}` : ''}: ${d.message}`));
  }
  if (b.ok && a.ok) {
    lines.push('');
    lines.push(style.bold('history (- before only, + after only):'));
    for (const [mark, h] of historyDiff(b.history, a.history)) {
      const size = h.size === null ? '?' : formatBytes(h.size);
      const text = `${mark} ${pad(size, 8)} ${h.createdBy || '(base image)'}`;
      lines.push(mark === '-' ? style.miss(text) : mark === '+' ? style.hit(text) : style.dim(text));
    }
  }
  lines.push('');
  const s = compareSummary(c) as { reused: number; rebuilt: number; layersRebuilt: number };
  let summary = `cache: ${s.reused}/${s.reused + s.rebuilt} steps reused, ${s.rebuilt} rebuilt; ${s.layersRebuilt} of ${a.layers ?? '?'} image layers rebuilt`;
  const p = c.after.prediction;
  if (p.firstMiss !== null) {
    const st = c.after.result.steps[p.firstMiss]!;
    summary += ` (first miss: ${pointerText({ stage: st.stage, position: st.position, instruction: st.instruction, line: st.line })}: ${reasonText(p.steps[p.firstMiss]!.reason!)})`;
  }
  lines.push(summary);
  return `${lines.join('\n')}\n`;
}

/** A line diff of two histories by created-by and size (longest common subsequence). */
export function historyDiff(before: HistoryEntry[], after: HistoryEntry[]): Array<[' ' | '-' | '+', HistoryEntry]> {
  const same = (x: HistoryEntry, y: HistoryEntry): boolean => x.createdBy === y.createdBy && x.size === y.size && x.emptyLayer === y.emptyLayer;
  const n = before.length;
  const m = after.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = same(before[i]!, after[j]!) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: Array<[' ' | '-' | '+', HistoryEntry]> = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && same(before[i]!, after[j]!)) {
      out.push([' ', after[j]!]);
      i++;
      j++;
    } else if (i < n && (j >= m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(['-', before[i++]!]);
    else out.push(['+', after[j++]!]);
  }
  return out;
}

// ---- --git: the context and Dockerfile at a revision ---------------------------------------

export interface GitSnapshot {
  /** Temp directory holding the repository's files at REV (below the same relative paths). */
  dir: string;
  context: string;
  dockerfile: string;
  displayName: string;
  dispose: () => void;
}

function git(cwd: string, args: string[]): string {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.toString().trim().split('\n').pop() ?? '';
    throw new DfsimError(error('DF9103', `git ${args[0]} failed: ${stderr || (e as Error).message}`, undefined, 'Run in a git work tree and name a revision that exists (e.g. HEAD, HEAD~1, main).'), 2);
  }
}

/** The umask a checkout applies, found by creating a directory with 0777 and looking. */
function effectiveUmask(dir: string): number {
  const probe = path.join(dir, '.umask-probe');
  fs.mkdirSync(probe, { mode: 0o777 });
  const mode = fs.statSync(probe).mode & 0o777;
  fs.rmdirSync(probe);
  return 0o777 & ~mode;
}

/**
 * Checks out `rev`'s files below the context (and the Dockerfile) into a temp dir, as `git checkout`
 * would write them: 100644 → 0666 and 100755 → 0777 minus the umask, symlinks as symlinks,
 * submodules as empty directories. Only tracked files exist at a revision.
 */
export function checkoutRevision(rev: string, contextDir: string, dockerfile: string): GitSnapshot {
  const ctxAbs = fs.realpathSync(path.resolve(contextDir));
  const root = git(ctxAbs, ['rev-parse', '--show-toplevel']).trim();
  const rootReal = fs.realpathSync(root);
  const commit = git(rootReal, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]).trim();
  const ctxRel = path.relative(rootReal, ctxAbs).split(path.sep).join('/');
  const dfAbs = path.resolve(dockerfile);
  const dfReal = fs.existsSync(dfAbs) ? fs.realpathSync(dfAbs) : path.join(fs.realpathSync(path.dirname(dfAbs)), path.basename(dfAbs));
  const dfRel = path.relative(rootReal, dfReal).split(path.sep).join('/');
  if (ctxRel.startsWith('..') || dfRel.startsWith('..')) {
    throw new DfsimError(error('DF9103', `the context and the Dockerfile must be inside the git repository ${path.basename(rootReal)}`, undefined, 'Run compare --git from inside the repository.'), 2);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-git-'));
  const dispose = (): void => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const umask = effectiveUmask(dir);
    const specs = [ctxRel === '' ? '.' : ctxRel];
    if (!(ctxRel === '' || dfRel === ctxRel || dfRel.startsWith(`${ctxRel}/`))) specs.push(dfRel);
    const listing = git(rootReal, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', ...specs]);
    const items = listing
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode, type, oid] = line.slice(0, tab).split(' ') as [string, string, string];
        return { mode, type, oid, path: line.slice(tab + 1) };
      });
    const blobs = items.filter((i) => i.type === 'blob');
    const contents = readBlobs(rootReal, blobs.map((b) => b.oid));
    fs.mkdirSync(path.join(dir, ctxRel), { recursive: true, mode: 0o777 & ~umask });
    for (const item of items) {
      const target = path.join(dir, item.path);
      fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o777 & ~umask });
      if (item.type === 'commit') fs.mkdirSync(target, { recursive: true, mode: 0o777 & ~umask });
      else if (item.mode === '120000') fs.symlinkSync(contents.get(item.oid)!.toString('utf8'), target);
      else {
        fs.writeFileSync(target, contents.get(item.oid)!);
        fs.chmodSync(target, (item.mode === '100755' ? 0o777 : 0o666) & ~umask);
      }
    }
    return { dir, context: path.join(dir, ctxRel), dockerfile: path.join(dir, dfRel), displayName: `${rev}:${dfRel}`, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

/** Blob contents by object id, in one `git cat-file --batch` run. */
function readBlobs(repo: string, oids: string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const unique = [...new Set(oids)];
  if (unique.length === 0) return out;
  const r = spawnSync('git', ['cat-file', '--batch'], { cwd: repo, input: `${unique.join('\n')}\n`, maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new DfsimError(error('DF9103', `git cat-file failed: ${r.stderr?.toString().trim()}`), 2);
  const buf = r.stdout;
  let at = 0;
  while (at < buf.length) {
    const nl = buf.indexOf(10, at);
    const [oid, , size] = buf.subarray(at, nl).toString('utf8').split(' ');
    const n = Number(size);
    out.set(oid!, buf.subarray(nl + 1, nl + 1 + n));
    at = nl + 1 + n + 1;
  }
  return out;
}
