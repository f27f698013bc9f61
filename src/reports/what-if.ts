/**
 * `dfsim what-if`: "if I change this, what rebuilds?" without editing anything. The current build is
 * recorded into a private, empty store; the build is then simulated again with the change applied to a
 * view of the inputs and predicted against that store.
 *
 * How each change is applied:
 * - file edits (--touch GLOB, --edit PATH): the loaded context is wrapped, not copied. Each named file
 *   gets a new content digest (its digest hashed with a marker) and a marker line appended to its
 *   bytes, so COPY/ADD keys, bind-mount keys and simulated RUN output all see "the content changed";
 *   ancestor directories get new digests too. Archives (.tar, .tgz, …) keep their bytes and size (only
 *   the digest changes) so that ADD can still unpack them. --edit of a missing path adds a new file.
 *   An mtime-only `touch` changes nothing in Docker; --touch means "the content of these files changes".
 * - --build-arg-change K=V: the rebuild gets --build-arg K=V (a bare K: any other value).
 * - --base REF=NEWREF: FROM REF uses the image NEWREF (a --base-image file or a path to one); when
 *   dfsim has no description of NEWREF, REF's files with NEWREF's identity. --base-changed REF: the same
 *   files under a new image ID (a re-pushed tag).
 * - --stage-changed NAME: after execution the stage's first cache step (its FROM, or its first step
 *   when it starts from scratch or another stage) gets a marker in its key, and every key that chains
 *   from it is re-hashed. The stage's output is taken to change as well: COPY --from / RUN
 *   --mount=from of a changed stage are marked too (no early cut-off is assumed), and so on downstream.
 *
 * Diagnostic codes used here:
 * - DF9201 error  what-if: no change given
 * - DF9202 error  what-if: a --touch/--edit path matches nothing in the context
 * - DF9203 error  what-if: --base/--base-changed names no FROM of the build, or is malformed
 * - DF9204 error  what-if: --stage-changed names no stage of the Dockerfile
 * - DF9205 error  what-if: malformed --build-arg-change
 */
import fs from 'node:fs';
import path from 'node:path';
import { DfsimError, error } from '../diagnostics/diagnostic.js';
import { loadBaseImage, loadBaseImages, normalizeRef, unknownImage, type BaseImage } from '../executor/base-image.js';
import { goMatch, hasWildcard, normalizeContextPath, type BuildContext, type ContextEntry } from '../executor/context/index.js';
import { hashJson, initHasher } from '../executor/hash.js';
import type { Builder, BuildResult, ContentSource, StepResult } from '../executor/types.js';
import type { BuildPlan } from '../instructions/stages.js';
import { defaultDockerfile, type BuildFlags, type Simulation } from '../simulate.js';
import { errorJson, plainStyle, type TextStyle } from './build-report.js';
import { changedLayers, privateStore, runSide, stepVerdicts, type SideOptions, type StepVerdict } from './compare.js';
import { pointerText, reasonText, stageLabel } from './reason-text.js';

export interface WhatIfOptions extends BuildFlags {
  context: string;
  dockerfile?: string;
  touch?: string[];
  edit?: string[];
  buildArgChanges?: string[];
  /** REF=NEWREF */
  base?: string[];
  baseChanged?: string[];
  stageChanged?: string[];
}

/** One change as applied, for the report. */
export type AppliedChange =
  | { kind: 'file'; pattern: string; paths: string[]; added: boolean; ignored: boolean }
  | { kind: 'build-arg'; name: string; old: string | null; new: string }
  | { kind: 'base'; ref: string; newRef: string; known: boolean }
  | { kind: 'stage'; stage: string };

export interface WhatIf {
  builder: Builder;
  changes: AppliedChange[];
  current: Simulation;
  after: Simulation;
  /** Indices into after.result.steps marked by --stage-changed itself, with the stage named. */
  marked: Map<number, string>;
  notes: string[];
}

const MARKER = '\n# dfsim what-if: edited\n';
const ARCHIVE = /\.(tar|tgz|tbz2?|txz|tar\.(gz|bz2|xz|zst)|gz|bz2|xz|zst)$/i;

// ---- the copy-on-write context ---------------------------------------------------------------

/**
 * A view of `base` in which the files in `edited` have new content (and `added` files exist). Only the
 * changed entries and their ancestor directories are replaced; everything else is the loaded context.
 */
export function editedContext(base: BuildContext, edited: Iterable<string>, added: Iterable<string> = []): BuildContext {
  const over = new Map<string, ContextEntry>();
  const extraChildren = new Map<string, Set<string>>();
  const bytes = new Map<string, () => Buffer>();
  const bumpAncestors = (rel: string): void => {
    for (let dir = parentOf(rel); dir !== null; dir = parentOf(dir)) {
      const e = over.get(dir) ?? base.get(dir);
      if (e && !over.has(dir)) over.set(dir, { ...e, digest: hashJson({ whatIf: e.digest }) });
      else if (!e) over.set(dir, { path: dir, type: 'dir', mode: 0o755, size: 0, digest: hashJson({ whatIf: 'new-dir', dir }) });
    }
  };
  for (const rel of edited) {
    const e = base.get(rel);
    if (!e || e.type !== 'file') continue;
    const keepBytes = ARCHIVE.test(rel) || e.special !== undefined;
    over.set(rel, { ...e, size: keepBytes ? e.size : e.size + MARKER.length, digest: hashJson({ whatIf: e.digest }) });
    if (!keepBytes) bytes.set(rel, () => Buffer.concat([base.readFile(rel), Buffer.from(MARKER)]));
    bumpAncestors(rel);
  }
  for (const rel of added) {
    if (base.get(rel)) continue;
    const content = Buffer.from(`# dfsim what-if: new file\n`);
    over.set(rel, { path: rel, type: 'file', mode: 0o644, size: content.length, digest: hashJson({ whatIf: 'new-file', rel }) });
    bytes.set(rel, () => content);
    for (let child = rel, dir = parentOf(rel); dir !== null; child = dir, dir = parentOf(dir)) {
      const names = extraChildren.get(dir) ?? new Set<string>();
      names.add(child.slice(dir === '' ? 0 : dir.length + 1));
      extraChildren.set(dir, names);
    }
    bumpAncestors(rel);
  }
  const view: BuildContext = {
    root: base.root,
    builder: base.builder,
    dockerignore: base.dockerignore,
    diagnostics: base.diagnostics,
    stats: base.stats,
    get(p) {
      const rel = normalizeContextPath(p);
      return over.get(rel) ?? base.get(rel);
    },
    isIgnored(p) {
      return over.has(normalizeContextPath(p)) ? false : base.isIgnored(p);
    },
    children(p) {
      const rel = normalizeContextPath(p);
      const extra = extraChildren.get(rel);
      const names = base.children(rel);
      if (!extra) return names;
      // Byte order, as the walk sorts.
      return [...new Set([...names, ...extra])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    },
    *entries() {
      const stack: string[] = [''];
      while (stack.length > 0) {
        const rel = stack.pop()!;
        const e = view.get(rel);
        if (!e) continue;
        yield e;
        const names = view.children(rel);
        for (let i = names.length - 1; i >= 0; i--) stack.push(rel === '' ? names[i]! : `${rel}/${names[i]!}`);
      }
    },
    readFile(p) {
      const rel = normalizeContextPath(p);
      const b = bytes.get(rel);
      return b ? b() : base.readFile(rel);
    },
  };
  return view;
}

function parentOf(rel: string): string | null {
  if (rel === '') return null;
  const i = rel.lastIndexOf('/');
  return i < 0 ? '' : rel.slice(0, i);
}

/** Context files a --touch pattern names: a path or Go-style glob, where a directory stands for the files below it. */
export function matchContextFiles(ctx: BuildContext, pattern: string): string[] {
  const rel = normalizeContextPath(pattern);
  const all = [...ctx.entries()].filter((e) => e.path !== '');
  let roots: string[];
  if (hasWildcard(rel)) {
    const parts = rel.split('/');
    roots = all.filter((e) => {
      const cp = e.path.split('/');
      return cp.length === parts.length && parts.every((p, i) => goMatch(p, cp[i]!));
    }).map((e) => e.path);
  } else roots = ctx.get(rel) ? [rel] : [];
  const files = new Set<string>();
  for (const r of roots) {
    const e = ctx.get(r)!;
    if (e.type === 'file') files.add(r);
    else if (e.type === 'dir') for (const f of all) if (f.type === 'file' && (r === '' || f.path.startsWith(`${r}/`))) files.add(f.path);
  }
  return [...files].sort();
}

// ---- --stage-changed ---------------------------------------------------------------------------

/**
 * Marks the named stages as changed in an executed build: see the module comment. Returns the steps it
 * marked directly (first steps of the named stages, and steps reading a changed stage's output).
 */
export function markStagesChanged(result: BuildResult, plan: BuildPlan, names: string[]): Map<number, string> {
  const stageIndex = (ref: string): number | undefined => {
    if (/^\d+$/.test(ref)) return Number(ref);
    return plan.stages.find((p) => p.stage.name !== null && p.stage.name.toLowerCase() === ref.toLowerCase())?.stage.index;
  };
  const changed = new Set<number>();
  const named = new Map<number, string>();
  for (const n of names) {
    const i = stageIndex(n);
    if (i !== undefined) named.set(i, n);
  }
  const rehashed = new Map<string, string>();
  const marked = new Map<number, string>();
  const firstSeen = new Set<number>();
  result.steps.forEach((step, i) => {
    if (!step.key) return;
    const key = step.key;
    let why: string | null = null;
    if (named.has(step.stage.index) && !firstSeen.has(step.stage.index)) why = `stage ${named.get(step.stage.index)} changed (--stage-changed)`;
    firstSeen.add(step.stage.index);
    const reads = readsFrom(step);
    const source = reads.map(stageIndex).find((s) => s !== undefined && changed.has(s));
    if (!why && source !== undefined) why = `${stageLabel(plan.stages.find((p) => p.stage.index === source)!.stage)}'s output changed (--stage-changed)`;
    const parent = key.parent !== null ? (rehashed.get(key.parent) ?? key.parent) : null;
    if (!why && parent === key.parent) return;
    const parts = why ? { ...key.parts, whatIf: why } : key.parts;
    const digest = hashJson({ parent, parts });
    rehashed.set(key.digest, digest);
    step.key = { ...key, parent, parts, digest };
    if (why) marked.set(i, why);
    changed.add(step.stage.index);
  });
  return marked;
}

/** Stage references a step reads content from: COPY/ADD --from and RUN --mount from=. */
function readsFrom(step: StepResult): string[] {
  const parts = step.key?.parts ?? {};
  const out: string[] = [];
  // Keys name COPY --from content by position; the stage it came from is in the key's meta.
  const sources = (step.key?.meta?.sources ?? {}) as Record<string, ContentSource>;
  for (const source of Object.values(sources)) if (source.stage !== undefined && !out.includes(source.stage)) out.push(source.stage);
  const mounts = parts.mounts;
  if (Array.isArray(mounts)) {
    for (const m of mounts as Array<Record<string, unknown> | null>) if (m && typeof m.from === 'string') out.push(m.from);
  }
  return out;
}

// ---- the run -------------------------------------------------------------------------------

function fail(code: string, message: string, hint?: string): DfsimError {
  return new DfsimError(error(code, message, undefined, hint), 2);
}

/** A copy of `image` under another identity (same files, config and history). */
function renamedImage(image: BaseImage, id: string): BaseImage {
  return Object.create(image, { id: { value: id, enumerable: true } }) as BaseImage;
}

export async function whatIf(opts: WhatIfOptions): Promise<WhatIf> {
  await initHasher();
  const builder = opts.builder ?? 'buildkit';
  const touch = opts.touch ?? [];
  const edit = opts.edit ?? [];
  const argChanges = opts.buildArgChanges ?? [];
  const bases = opts.base ?? [];
  const basesChanged = opts.baseChanged ?? [];
  const stages = opts.stageChanged ?? [];
  if (touch.length + edit.length + argChanges.length + bases.length + basesChanged.length + stages.length === 0) {
    throw fail('DF9201', 'what-if needs a change to apply', 'Name one: --touch GLOB, --edit PATH, --build-arg-change K=V, --base REF=NEWREF, --base-changed REF or --stage-changed NAME.');
  }
  const imagePaths = opts.baseImages ?? new Map<string, string>();
  const baseImages = await loadBaseImages(imagePaths);
  const buildArgs = opts.buildArgs ?? new Map<string, string>();
  const dockerfile = path.resolve(opts.dockerfile ?? defaultDockerfile(opts.context));
  const displayName = path.relative(process.cwd(), dockerfile) || dockerfile;
  const common: SideOptions = { context: opts.context, dockerfile, displayName, builder, buildArgs, baseImages, noCacheFilter: opts.noCacheFilter ?? [] };
  if (opts.target !== undefined) common.target = opts.target;
  if (opts.platform !== undefined) common.platform = opts.platform;

  const { store, dispose } = privateStore();
  try {
    const current = await runSide(common, store, true);
    const changes: AppliedChange[] = [];
    const notes: string[] = [];
    const ctx = current.context;

    // Files.
    const editedFiles = new Set<string>();
    const addedFiles = new Set<string>();
    for (const pattern of touch) {
      const paths = matchContextFiles(ctx, pattern);
      const ignored = paths.length === 0 && !hasWildcard(pattern) && ctx.isIgnored(pattern);
      if (paths.length === 0 && !ignored) throw fail('DF9202', `--touch ${pattern} matches no file in the build context`, 'Name a context path or glob (relative to the context); use --edit PATH to add a new file.');
      if (ignored) notes.push(`${pattern} is excluded by .dockerignore: the builder never sees it, so editing it changes nothing`);
      paths.forEach((p) => editedFiles.add(p));
      changes.push({ kind: 'file', pattern, paths, added: false, ignored });
    }
    for (const p of edit) {
      const rel = normalizeContextPath(p);
      const e = ctx.get(rel);
      if (e && e.type === 'dir') throw fail('DF9202', `--edit ${p} is a directory`, 'Name a file, or use --touch DIR to edit every file below it.');
      if (e && e.type !== 'file') throw fail('DF9202', `--edit ${p} is not a regular file`);
      const ignored = !e && ctx.isIgnored(rel);
      if (ignored) notes.push(`${p} is excluded by .dockerignore: the builder never sees it, so editing it changes nothing`);
      else if (e) editedFiles.add(rel);
      else addedFiles.add(rel);
      changes.push({ kind: 'file', pattern: p, paths: ignored ? [] : [rel], added: !e && !ignored, ignored });
    }

    // Build args.
    const afterArgs = new Map(buildArgs);
    for (const kv of argChanges) {
      const i = kv.indexOf('=');
      if (i === 0) throw fail('DF9205', `invalid --build-arg-change "${kv}"`, 'Write --build-arg-change NAME=VALUE (or a bare NAME for "another value").');
      const name = i < 0 ? kv : kv.slice(0, i);
      const old = buildArgs.get(name) ?? null;
      const value = i < 0 ? `${old ?? ''}~changed` : kv.slice(i + 1);
      afterArgs.set(name, value);
      changes.push({ kind: 'build-arg', name, old, new: value });
    }

    // Base images.
    const plan = current.sim.plan;
    const fromRefs = plan.stages.flatMap((p) => (p.base.kind === 'image' ? [{ ref: p.base.ref, platform: p.platform }] : []));
    const findRef = (ref: string): { ref: string; platform: string } | undefined => fromRefs.find((f) => f.ref === ref) ?? fromRefs.find((f) => normalizeRef(f.ref) === normalizeRef(ref));
    const afterImages = new Map(baseImages);
    const renamedRefs = new Map<string, string>();
    const refError = (ref: string): DfsimError =>
      fail('DF9203', `no stage of this build starts FROM ${ref}`, fromRefs.length ? `The build's base images: ${[...new Set(fromRefs.map((f) => f.ref))].join(', ')}.` : 'This build uses no base image.');
    for (const spec of bases) {
      const i = spec.indexOf('=');
      if (i <= 0 || i === spec.length - 1) throw fail('DF9203', `invalid --base "${spec}"`, 'Write --base REF=NEWREF, e.g. --base node:18=node:20 (NEWREF may be a --base-image ref or an image file).');
      const from = findRef(spec.slice(0, i));
      if (!from) throw refError(spec.slice(0, i));
      const newRef = spec.slice(i + 1);
      const file = imagePaths.get(newRef) ?? (fs.existsSync(newRef) && fs.statSync(newRef).isFile() ? newRef : undefined);
      let image: BaseImage;
      if (file) image = await loadBaseImage(from.ref, file);
      else {
        const old = afterImages.get(normalizeRef(from.ref)) ?? unknownImage(from.ref, from.platform);
        image = renamedImage(old, `what-if:${normalizeRef(newRef)}`);
        notes.push(`dfsim has no description of ${newRef}: it is modelled as ${from.ref}'s files under another image ID (pass --base-image ${newRef}=PATH for its real files)`);
      }
      afterImages.set(normalizeRef(from.ref), image);
      renamedRefs.set(from.ref, newRef);
      changes.push({ kind: 'base', ref: from.ref, newRef, known: Boolean(file) });
    }
    for (const ref of basesChanged) {
      const from = findRef(ref);
      if (!from) throw refError(ref);
      const old = afterImages.get(normalizeRef(from.ref)) ?? unknownImage(from.ref, from.platform);
      afterImages.set(normalizeRef(from.ref), renamedImage(old, `${old.id}+what-if`));
      renamedRefs.set(from.ref, `${from.ref} (new image ID)`);
      changes.push({ kind: 'base', ref: from.ref, newRef: `${from.ref} (new image ID)`, known: old.known });
    }

    // Stages.
    const allStages = current.sim.parsed.stages.map((s, i) => ({ index: i, name: s.name ?? null }));
    for (const name of stages) {
      const hit = /^\d+$/.test(name) ? allStages.find((s) => s.index === Number(name)) : allStages.find((s) => s.name !== null && s.name.toLowerCase() === name.toLowerCase());
      if (!hit) throw fail('DF9204', `--stage-changed ${name}: the Dockerfile has no such stage`, `Stages: ${allStages.map((s) => s.name ?? String(s.index)).join(', ')}.`);
      if (!plan.stages.some((p) => p.stage.index === hit.index)) notes.push(`stage ${name} is not built for target ${stageLabel(plan.target)}: changing it rebuilds nothing here`);
      changes.push({ kind: 'stage', stage: name });
    }

    let marked = new Map<number, string>();
    const afterOpts: SideOptions = { ...common, buildArgs: afterArgs, baseImages: afterImages, loadedContext: ctx, noCache: opts.noCache ?? false };
    if (editedFiles.size || addedFiles.size) afterOpts.wrapContext = (c) => editedContext(c, editedFiles, addedFiles);
    afterOpts.afterExecute = (result, p) => {
      for (const step of result.steps) {
        // Name the new base in explanations (meta is not part of the key).
        const ref = step.kind === 'FROM' && step.key?.meta ? String(step.key.meta.ref) : undefined;
        if (ref !== undefined && renamedRefs.has(ref)) step.key!.meta = { ...step.key!.meta, ref: renamedRefs.get(ref)! };
      }
      if (stages.length) marked = markStagesChanged(result, p, stages);
    };
    const after = await runSide(afterOpts, store, false);
    return { builder, changes, current: current.sim, after: after.sim, marked, notes };
  } finally {
    dispose();
  }
}

// ---- reports -----------------------------------------------------------------------------------

export interface StageImpact {
  stage: { index: number; name: string | null };
  steps: StepVerdict[];
  reused: number;
  rebuilt: number;
  /** Layers this stage's rebuilt steps make anew. */
  layersChanged: number;
}

export function stageImpacts(w: WhatIf): StageImpact[] {
  const verdicts = stepVerdicts(w.after, (i) => w.marked.get(i));
  const out: StageImpact[] = [];
  w.after.result.steps.forEach((s, i) => {
    let entry = out.find((e) => e.stage.index === s.stage.index);
    if (!entry) {
      entry = { stage: { index: s.stage.index, name: s.stage.name }, steps: [], reused: 0, rebuilt: 0, layersChanged: 0 };
      out.push(entry);
    }
    const v = verdicts[i]!;
    if (!v.vertex) return;
    entry.steps.push(v);
    if (v.cached === true) entry.reused++;
    if (v.cached === false) {
      entry.rebuilt++;
      if (s.history !== null && !s.history.emptyLayer) entry.layersChanged++;
    }
  });
  return out;
}

function describeChange(c: AppliedChange): string {
  switch (c.kind) {
    case 'file':
      if (c.ignored) return `edit ${c.pattern} (excluded by .dockerignore)`;
      if (c.added) return `add ${c.paths[0]}`;
      return c.paths.length === 1 && c.paths[0] === normalizeContextPath(c.pattern) ? `edit ${c.pattern}` : `edit ${c.pattern} (${c.paths.length} file${c.paths.length === 1 ? '' : 's'})`;
    case 'build-arg':
      return `--build-arg ${c.name}=${c.new}${c.old === null ? '' : ` (was ${c.old})`}`;
    case 'base':
      return `FROM ${c.ref} → ${c.newRef}`;
    case 'stage':
      return `stage ${c.stage} changes`;
  }
}

export function whatIfJson(w: WhatIf): Record<string, unknown> {
  const p = w.after.prediction;
  const first = p.firstMiss === null ? null : w.after.result.steps[p.firstMiss]!;
  const layers = w.after.result.image?.layers ?? null;
  return {
    ok: w.current.result.error === null && w.after.result.error === null,
    error: w.after.result.error ? errorJson(w.after.result.error) : w.current.result.error ? errorJson(w.current.result.error) : null,
    builder: w.builder,
    target: w.after.result.target,
    changes: w.changes.map((c) => ({ ...c, text: describeChange(c) })),
    stages: stageImpacts(w),
    summary: {
      reused: p.reused,
      rebuilt: p.rebuilt,
      firstMiss: first ? { stage: first.stage, instruction: first.instruction, line: first.line, reason: w.marked.get(p.firstMiss!) ?? reasonText(p.steps[p.firstMiss!]!.reason!) } : null,
      layers,
      layersChanged: changedLayers(w.after),
      layersBefore: w.current.result.image?.layers ?? null,
    },
    notes: w.notes,
    warnings: w.after.warnings.map(errorJson),
  };
}

export function whatIfText(w: WhatIf, style: TextStyle = plainStyle): string {
  const lines: string[] = [];
  lines.push(style.bold(`dfsim what-if (${w.builder}), target ${stageLabel(w.after.result.target)}: ${w.changes.map(describeChange).join('; ')}`));
  for (const n of w.notes) lines.push(style.dim(`note: ${n}`));
  for (const s of stageImpacts(w)) {
    const label = stageLabel(s.stage);
    if (s.rebuilt === 0) {
      lines.push(`${label}: nothing rebuilds${s.reused ? ` (${s.reused} step${s.reused === 1 ? '' : 's'} reused)` : ''}`);
      continue;
    }
    lines.push(`${label}: ${s.rebuilt} of ${s.rebuilt + s.reused} steps rebuild, ${s.layersChanged} layer${s.layersChanged === 1 ? '' : 's'} change`);
    for (const v of s.steps) {
      if (v.cached !== false) continue;
      lines.push(`  ${style.miss('REBUILD')} [${v.label}] ${v.instruction}${v.reason ? `  (${v.reason.text})` : ''}`);
    }
  }
  const err = w.after.result.error ?? w.current.result.error;
  if (err) lines.push(style.miss(`error ${err.code}: ${err.file ?? ''}${err.range ? `:${err.range.start.line}` : ''}: ${err.message}`));
  const p = w.after.prediction;
  const layers = w.after.result.image?.layers;
  let summary = `cache: ${p.reused}/${p.reused + p.rebuilt} steps reused, ${p.rebuilt} rebuilt; ${changedLayers(w.after)} of ${layers ?? '?'} image layers change`;
  if (p.firstMiss !== null) {
    const st = w.after.result.steps[p.firstMiss]!;
    summary += ` (first miss: ${pointerText({ stage: st.stage, position: st.position, instruction: st.instruction, line: st.line })}: ${w.marked.get(p.firstMiss) ?? reasonText(p.steps[p.firstMiss]!.reason!)})`;
  }
  lines.push(summary);
  return `${lines.join('\n')}\n`;
}
