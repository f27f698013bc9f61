import fs from 'node:fs';
import path from 'node:path';
import { predict, type Prediction } from './cache/predict.js';
import { CacheStore, defaultCacheDir } from './cache/store.js';
import { DfsimError, error, type Diagnostic } from './diagnostics/diagnostic.js';
import { loadBaseImages, normalizeRef, type BaseImage } from './executor/base-image.js';
import { executeBuild } from './executor/build.js';
import { defaultDockerfile } from './executor/context/default-dockerfile.js';
import { loadContext, type BuildContext, type ContextWalk } from './executor/context/index.js';
import { hashJson, initHasher } from './executor/hash.js';
import type { Builder, BuildResult, StepResult } from './executor/types.js';
import { planBuild, type BuildPlan } from './instructions/stages.js';
import type { ParsedDockerfile } from './instructions/types.js';
import { parseDockerfile } from './syntax/parse.js';

/** The `docker build` flags every command takes. */
export interface BuildFlags {
  builder?: Builder;
  target?: string;
  platform?: string;
  buildArgs?: Map<string, string>;
  /** REF=PATH pairs from --base-image. */
  baseImages?: Map<string, string>;
  noCache?: boolean;
  noCacheFilter?: string[];
}

export interface SimulateOptions extends BuildFlags {
  context: string;
  /** -f: defaults to CONTEXT/Dockerfile. */
  dockerfile?: string;
  cacheDir?: string;
  /** Record the build in the store (dfsim build) or only predict (dfsim plan). */
  record: boolean;
  onProgress?: (done: number, total: number) => void;
  /** A walk of the context done ahead (a replay check), to reuse. */
  walk?: ContextWalk;
}

export interface Simulation {
  parsed: ParsedDockerfile;
  plan: BuildPlan;
  result: BuildResult;
  prediction: Prediction;
  warnings: Diagnostic[];
  dockerfile: string;
}

/** Everything one run of the pipeline needs, with the hooks compare and what-if use. */
export interface PipelineOptions {
  /** Context directory. */
  context: string;
  /** The Dockerfile whose bytes are built. */
  dockerfile: string;
  /** Where the Dockerfile is taken to live, for `<name>.dockerignore` lookup (default: `dockerfile`). */
  dockerfileLocation?: string;
  /** Name shown in diagnostics (default: the path relative to the working directory). */
  displayName?: string;
  builder: Builder;
  target?: string;
  platform?: string;
  buildArgs: Map<string, string>;
  baseImages: Map<string, BaseImage>;
  noCache?: boolean;
  noCacheFilter?: string[];
  /** A step's identity in the store (default: scoped to this context, Dockerfile and builder). */
  stepId?: (step: StepResult) => string;
  statCachePath?: string;
  onProgress?: (done: number, total: number) => void;
  /** An already loaded context to reuse (it must be the same directory and ignore file). */
  loadedContext?: BuildContext;
  /** A walk of the same context done ahead, for loadContext to start from. */
  walk?: ContextWalk;
  /** Replaces the context the executor sees (what-if edits). */
  wrapContext?: (ctx: BuildContext, plan: BuildPlan) => BuildContext;
  /** Adjusts keys after execution, before the cache lookup (what-if stage changes). */
  afterExecute?: (result: BuildResult, plan: BuildPlan) => void;
}

export { defaultDockerfile } from './executor/context/default-dockerfile.js';

/** The whole pipeline: parse → plan → read the context → execute → predict the cache → (record). */
export async function simulate(opts: SimulateOptions): Promise<Simulation> {
  return (await simulateWithStore(opts)).sim;
}

/** simulate, also handing back the store (what the run read and wrote) and the loaded context. */
export async function simulateWithStore(opts: SimulateOptions): Promise<{ sim: Simulation; store: CacheStore; context: BuildContext }> {
  await initHasher();
  const builder = opts.builder ?? 'buildkit';
  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir());
  const contextDir = path.resolve(opts.context);
  const baseImages = await loadBaseImages(opts.baseImages ?? []);
  const pipeline: PipelineOptions = {
    context: opts.context,
    dockerfile: opts.dockerfile ?? defaultDockerfile(opts.context),
    builder,
    buildArgs: opts.buildArgs ?? new Map(),
    baseImages,
    noCache: opts.noCache ?? false,
    noCacheFilter: opts.noCacheFilter ?? [],
    statCachePath: path.join(cacheDir, 'stat', `${hashJson(contextDir)}.bin`),
  };
  if (opts.target !== undefined) pipeline.target = opts.target;
  if (opts.platform !== undefined) pipeline.platform = opts.platform;
  if (opts.onProgress) pipeline.onProgress = opts.onProgress;
  if (opts.walk) pipeline.walk = opts.walk;
  const store = new CacheStore(cacheDir);
  return { ...(await runPipeline(pipeline, store, opts.record)), store };
}

export async function runPipeline(opts: PipelineOptions, store: CacheStore, record: boolean): Promise<{ sim: Simulation; context: BuildContext }> {
  await initHasher();
  const contextDir = path.resolve(opts.context);
  if (!fs.existsSync(contextDir) || !fs.statSync(contextDir).isDirectory()) {
    throw new DfsimError(error('DF9001', `build context "${opts.context}" is not a directory`, undefined, 'Pass the directory that holds your sources (default: .).'), 1);
  }
  const dockerfilePath = path.resolve(opts.dockerfile);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(dockerfilePath);
  } catch {
    throw new DfsimError(error('DF9002', `cannot read Dockerfile "${opts.displayName ?? opts.dockerfile}"`, undefined, 'Check the path, or pass the file with -f.'), 1);
  }
  const displayName = opts.displayName ?? (path.relative(process.cwd(), dockerfilePath) || opts.dockerfile);
  const parsed = parseDockerfile(bytes, displayName);
  const planOptions: Parameters<typeof planBuild>[1] = { buildArgs: opts.buildArgs, builder: opts.builder };
  if (opts.target !== undefined) planOptions.target = opts.target;
  if (opts.platform !== undefined) planOptions.platform = opts.platform;
  const plan = planBuild(parsed, planOptions);

  let context = opts.loadedContext;
  if (!context) {
    const contextOptions: Parameters<typeof loadContext>[1] = { builder: opts.builder, dockerfile: path.resolve(opts.dockerfileLocation ?? opts.dockerfile) };
    if (opts.statCachePath) contextOptions.statCachePath = opts.statCachePath;
    if (opts.onProgress) contextOptions.onProgress = opts.onProgress;
    if (opts.walk) contextOptions.walk = opts.walk;
    context = await loadContext(contextDir, contextOptions);
  }
  const seen = opts.wrapContext ? opts.wrapContext(context, plan) : context;

  const noCacheStages = new Set((opts.noCacheFilter ?? []).map((s) => s.toLowerCase()));
  const cachedMeta = (s: StepResult): Record<string, unknown> | undefined =>
    opts.noCache || (s.stage.name !== null && noCacheStages.has(s.stage.name.toLowerCase())) || !s.key ? undefined : store.get(s.key.digest)?.meta;
  const contextKey = hashJson(contextDir);
  const syncedDirs = opts.builder === 'buildkit' ? store.syncedDirs(contextKey) : undefined;
  const execute: Parameters<typeof executeBuild>[0] = { builder: opts.builder, parsed, plan, context: seen, buildArgs: opts.buildArgs, baseImages: opts.baseImages, cachedMeta };
  if (syncedDirs) execute.syncedDirs = syncedDirs;
  const result = await executeBuild(execute);
  opts.afterExecute?.(result, plan);
  const scope = hashJson({ context: contextDir, dockerfile: dockerfilePath, builder: opts.builder });
  const stepId = opts.stepId ?? ((s: StepResult): string => hashJson({ scope, stage: s.stage.name?.toLowerCase() ?? s.stage.index, position: s.position, kind: s.kind }));
  const prediction = predict(result, store, { noCache: opts.noCache ?? false, noCacheFilter: opts.noCacheFilter ?? [], stepId });
  if (record) {
    // Like BuildKit, the steps that completed are cached even when a later step fails.
    const entries = result.steps.flatMap((s, i) => {
      if (!s.key || s === result.failedStep) return [];
      const rec = { digest: s.key.digest, builder: opts.builder, parent: s.key.parent, parts: s.key.parts, meta: s.key.meta ?? {} };
      const entry: Parameters<CacheStore['save']>[0][number] = { stepId: stepId(s), record: rec };
      if (s.key.manifests) entry.manifests = s.key.manifests;
      const image = prediction.steps[i]?.image;
      if (image) entry.image = image;
      return [entry];
    });
    store.save(entries);
    if (syncedDirs) store.saveSyncedDirs(contextKey, syncedAfter(result, seen, syncedDirs));
  }
  const unknownBases = [...new Set(plan.stages.flatMap((s) => (s.base.kind === 'image' && !opts.baseImages.has(normalizeRef(s.base.ref)) ? [s.base.ref] : [])))];
  const baseWarnings: Diagnostic[] = unknownBases.map((ref) => ({
    code: 'DF3106',
    severity: 'info',
    message: `base image ${ref} is not known to dfsim: modelled as an empty filesystem, its own layers not counted, RUN effects on it partly opaque`,
    file: displayName,
    hint: `Pass the real image with --base-image ${ref}=IMAGE.tar (from \`docker save ${ref}\`) for exact files and layer counts.`,
  }));
  const warnings = [...parsed.warnings, ...baseWarnings, ...store.warnings];
  return { sim: { parsed, plan, result, prediction, warnings, dockerfile: displayName }, context };
}

/**
 * The context directories BuildKit holds synced after this build, each with the mode it had when it
 * came in (see ExecuteOptions.syncedDirs). BuildKit transfers only the paths a build's COPY and ADD
 * sources and context bind mounts name, with the directories above them; everything else leaves
 * (recorded: cache-r8-dir-mode-copy-switch; cache-r9-dir-mode-parent-of-named-file,
 * cache-r9-dir-mode-wildcard-parent and cache-r9-dir-mode-bind-mount-keeps for the parents and mounts).
 */
function syncedAfter(result: BuildResult, context: BuildContext, before: ReadonlyMap<string, number>): Map<string, number> {
  const roots = new Set<string>();
  const clean = (p: string): string => p.replace(/^\/+|\/+$/g, '').replace(/^\.$/, '');
  for (const step of result.steps) {
    const sources = step.key?.meta?.sources;
    if (sources && typeof sources === 'object') {
      for (const src of Object.values(sources as Record<string, { stage?: string; path?: string }>)) {
        if (src.stage === undefined && typeof src.path === 'string') roots.add(clean(src.path));
      }
    }
    const mounts = step.key?.parts.mounts;
    if (Array.isArray(mounts)) {
      for (const m of mounts as Array<{ type?: string; from?: string; source?: string }>) {
        if (m.type === 'bind' && m.from === 'context' && typeof m.source === 'string') roots.add(clean(m.source));
      }
    }
  }
  const after = new Map<string, number>();
  if (roots.size === 0) return after;
  const keep = (rel: string): void => {
    const e = context.get(rel);
    if (e?.type === 'dir') after.set(rel, before.get(rel) ?? e.mode);
  };
  for (const r of roots) {
    // The directories above a sent path are sent too.
    keep('');
    for (let i = r.indexOf('/'); i >= 0; i = r.indexOf('/', i + 1)) keep(r.slice(0, i));
  }
  const all = roots.has('');
  const dirs = context.dirs ? [...context.dirs()] : [...context.entries()].filter((e) => e.type === 'dir').map((e) => e.path);
  for (const rel of dirs) {
    if (all || [...roots].some((r) => rel === r || rel.startsWith(`${r}/`))) keep(rel);
  }
  return after;
}
