import { isDfsimError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { findStage, stageByName, type BuildPlan, type PlannedStage } from '../instructions/stages.js';
import type { Instruction, ParsedDockerfile } from '../instructions/types.js';
import { parseDockerfile } from '../syntax/parse.js';
import { normalizeRef, unknownImage, type BaseImage } from './base-image.js';
import type { BuildContext } from './context/index.js';
import { canonicalJson, hashJson } from './hash.js';
import { executors } from './instructions/index.js';
import { StageFs } from './stage-fs.js';
import { DEFAULT_PATH, DEFAULT_SHELL, EnvList, parseEnvArray, resolveWorkdir, type StageState } from './state.js';
import type { InstructionExecutor, StepContext, StepOutput } from './step.js';
import type { Builder, BuildResult, HistoryEntry, StepResult } from './types.js';

export interface ExecuteOptions {
  builder: Builder;
  parsed: ParsedDockerfile;
  plan: BuildPlan;
  context: BuildContext;
  buildArgs: Map<string, string>;
  /**
   * Images the user gave with --base-image, keyed by normalizeRef: `bb`, `bb:latest` and
   * `docker.io/library/bb:latest` are one image (recorded: cache-r13-from-ref-spellings).
   */
  baseImages: Map<string, BaseImage>;
  /** The stored meta of a step's key when the builder would take it from the cache (see keepCachedDirModes). */
  cachedMeta?: (step: StepResult) => Record<string, unknown> | undefined;
  /**
   * BuildKit keeps the context it was sent between builds of a directory, and updates it with what
   * changed, but a directory that stays in it keeps the checksum it came with: a later chmod of it
   * goes unseen, until it leaves (a build that does not copy it, an exclusion) and comes back
   * (recorded: cache-chmod-copied-dir, cache-r8-dir-mode-copy-switch, cache-r8-dir-mode-readded,
   * cache-r8-dir-mode-reincluded). These are the modes of the directories there after the last build.
   */
  syncedDirs?: ReadonlyMap<string, number>;
}

/** Runs the plan's stages in order through the instruction executors, one layer record per instruction. */
export async function executeBuild(opts: ExecuteOptions): Promise<BuildResult> {
  const { parsed, plan, builder } = opts;
  const built = new Map<number, StageState>();
  const seenVertices = new Set<string>();
  // BuildKit merges identical vertices of one build (two stages FROM the same image, the same RUN
  // on the same parent): it runs and prints such a step once (recorded: cache-identical-stages-dedup).
  // Identical means the same definition, not the same key: `FROM bb:v1` and `FROM bb:latest`, or COPYs
  // of equal files from two directories, stay two steps, the second taken from the cache the first
  // just filled (recorded: cache-r4-alias-tag-stages).
  const mergeIdentical = (step: StepResult): void => {
    if (builder !== 'buildkit' || !step.vertex || !step.definition) return;
    if (seenVertices.has(step.definition)) step.vertex = false;
    else seenVertices.add(step.definition);
  };
  const steps: StepResult[] = [];
  const globalDeclared = new Set([...plan.globalArgs.keys()]);
  const imageStages = new Map<string, StageState>();

  const ctx: StepContext = {
    builder,
    file: parsed.file,
    escapeToken: parsed.escapeToken,
    context: opts.context,
    buildArgs: opts.buildArgs,
    globalArgs: plan.globalArgs,
    globalDeclared,
    stage(ref) {
      const byIndex = /^\d+$/.test(ref) ? built.get(Number(ref)) : undefined;
      if (byIndex) return byIndex;
      const named = stageByName(parsed, ref, builder);
      const byName = named ? built.get(named.index) : undefined;
      if (byName) return byName;
      // Not a stage: an image. One we were not given is an unknown image (an empty root of unknown
      // content) when it looks like one (a tag, digest or path); a bare word is most likely a mistyped
      // stage, which the real builder fails to pull as docker.io/library/<word> (recorded: exec-copy-from-unknown-stage).
      if (/^\d+$/.test(ref)) return undefined;
      const given = opts.baseImages.get(normalizeRef(ref));
      if (!given && !/[:/@]/.test(ref)) return undefined;
      const image = given ?? unknownImage(ref, 'linux/amd64');
      let state = imageStages.get(ref);
      if (!state) {
        state = stateFromImage({ index: -1, name: ref }, image, image.os ? `${image.os}/${image.architecture}` : 'linux/amd64');
        imageStages.set(ref, state);
      }
      return state;
    },
    stageNames() {
      return parsed.stages.flatMap((s) => (s.name === null ? [] : [s.name]));
    },
    syncedDirMode(rel) {
      return opts.syncedDirs?.get(rel);
    },
    stageIndexOf(ref) {
      if (/^\d+$/.test(ref)) return Number(ref) < parsed.stages.length ? Number(ref) : undefined;
      return stageByName(parsed, ref, builder)?.index;
    },
    image(ref) {
      return opts.baseImages.get(normalizeRef(ref));
    },
  };

  if (builder === 'classic') {
    // The classic builder prints the ARGs before the first FROM as steps (never cached).
    for (const meta of parsed.metaArgs) steps.push(baseStep({ index: -1, name: null }, 0, meta, builder, false));
  }
  for (const planned of plan.stages) {
    const ref = { index: planned.stage.index, name: planned.stage.name };
    const taken = builder === 'classic' ? nameTakenBy(parsed, planned.stage) : undefined;
    if (taken) {
      // The classic builder checks a stage's name before it prints the FROM step: the second stage of a
      // name fails the build there, after the stages before it ran (recorded: exec-r13-stage-name-rules).
      const fromStep = baseStep(ref, 0, planned.stage.from, builder, false);
      fromStep.vertex = false;
      steps.push(fromStep);
      return failed(builder, plan, steps, fromStep, {
        code: 'DF2006', severity: 'error', message: `${planned.stage.name!.toLowerCase()} stage name already used`, file: parsed.file, range: planned.stage.from.range,
        hint: `stage ${taken.index} (line ${taken.from.range.start.line}) is already named ${JSON.stringify(taken.name)}; rename one of them`,
      });
    }
    const { state, fromStep } = startStage(planned, built, opts);
    steps.push(fromStep);
    mergeIdentical(fromStep);
    const triggers = onbuildTriggers(state, parsed);
    state.config.OnBuild = [];
    const all: Array<{ instruction: Instruction; trigger: boolean }> = [
      ...triggers.map((instruction) => ({ instruction, trigger: true })),
      ...planned.stage.instructions.map((instruction) => ({ instruction, trigger: false })),
    ];
    let position = 0;
    for (const { instruction, trigger } of all) {
      position++;
      const step = baseStep(ref, position, instruction, builder, trigger);
      // The classic builder runs a base's ONBUILD triggers inside its FROM step, not as steps of their
      // own: a failing trigger fails the FROM step (recorded: exec-r2-onbuild-trigger-fails).
      if (builder === 'classic' && trigger) step.vertex = false;
      const reported = builder === 'classic' && trigger ? fromStep : step;
      steps.push(step);
      state.fs.beginStep();
      let out: StepOutput;
      try {
        const exec = executors[instruction.kind as Exclude<Instruction['kind'], 'FROM'>] as InstructionExecutor<typeof instruction.kind & Exclude<Instruction['kind'], 'FROM'>>;
        out = await exec(state, instruction as never, ctx);
      } catch (e) {
        state.fs.endStep();
        if (isDfsimError(e)) return failed(builder, plan, steps, reported, e.diagnostics[0]!);
        if (e instanceof Error && e.name === 'FsError') {
          return failed(builder, plan, steps, reported, { code: 'DF3302', severity: 'error', message: `${instruction.kind} failed: ${e.message}`, file: parsed.file, range: instruction.range });
        }
        throw e;
      }
      const layer = state.fs.endStep();
      finishStep(step, out, layer, state, builder);
      keepCachedDirModes(step, layer, state, opts);
      if (instruction.kind === 'COPY' && instruction.from !== null) keepCachedOwners(step, layer, state, opts);
      keepCachedSize(step, layer, opts);
      mergeIdentical(step);
    }
    built.set(planned.stage.index, state);
  }

  const target = built.get(plan.target.index)!;
  const size = target.history.reduce((n, h) => n + (h.size ?? 0), 0);
  return {
    builder,
    target: { index: plan.target.index, name: plan.target.name },
    steps,
    failedStep: null,
    error: null,
    image: { layers: target.layers, history: target.history, size, config: { ...target.config } },
  };
}

/** An earlier stage of the same name (case-insensitive), if any. */
function nameTakenBy(parsed: ParsedDockerfile, stage: PlannedStage['stage']): PlannedStage['stage'] | undefined {
  const first = stage.name === null ? undefined : findStage(parsed, stage.name);
  return first && first.index < stage.index ? first : undefined;
}

function baseStep(ref: StepResult['stage'], position: number, instruction: Instruction, builder: Builder, trigger: boolean): StepResult {
  return {
    stage: ref,
    position,
    // Both builders print the instruction trimmed: a trailing `\` at the end of the file leaves a
    // space that is not shown (recorded: cache-r13-continuation-odd-lines).
    instruction: instruction.original.trim(),
    kind: instruction.kind,
    line: instruction.range.start.line,
    range: instruction.range,
    vertex: builder === 'classic',
    key: null,
    layer: null,
    createsLayer: false,
    history: null,
    opaque: null,
    trigger,
  };
}

/**
 * The classic builder's history text, which is also its cache key: a RUN is its command line; any
 * other instruction is `<shell> #(nop)  <text>` (one space before WORKDIR, COPY and ADD), as
 * `docker history` shows them (recorded: exec-history-metadata).
 */
function classicCreatedBy(kind: StepResult['kind'], text: string | null, shell: string[]): string | null {
  if (text === null || kind === 'RUN') return text;
  return `${shell.join(' ')} #(nop)${kind === 'WORKDIR' || kind === 'COPY' || kind === 'ADD' ? ' ' : '  '}${text}`;
}

function finishStep(step: StepResult, out: StepOutput, layer: StepResult['layer'], state: StageState, builder: Builder): void {
  if (builder === 'classic') out = { ...out, createdBy: classicCreatedBy(step.kind, out.createdBy, state.shell) };
  // The classic builder commits a RUN or WORKDIR layer only when its diff is non-empty (seen: a no-op
  // RUN adds none); a COPY or ADD always rewrites its destination, so it always adds one (recorded:
  // exec-r2-layers-empty-steps). Entries changed only inside a volume leave the diff empty
  // (recorded: exec-r13-volume-rm-chmod-child).
  const dirsCopiedUp = layer?.dirsTouched && !out.onlyVolumesWritten;
  if (builder === 'classic' && (step.kind === 'RUN' || step.kind === 'WORKDIR') && out.createsLayer && !out.opaque?.filesUnknown && (layer?.changes.length ?? 0) === 0 && !dirsCopiedUp) {
    out = { ...out, createsLayer: false };
  }
  step.layer = out.createsLayer || (layer && layer.changes.length > 0) ? layer : null;
  step.createsLayer = out.createsLayer;
  step.opaque = out.opaque ?? null;
  if (builder === 'buildkit') {
    step.vertex = out.vertex;
    if (out.vertex) {
      const parent = out.noParent ? null : state.lastKey;
      const parts = out.parts ?? {};
      step.key = { parent, parts, digest: hashJson({ parent, parts }) };
      if (out.manifests) step.key.manifests = out.manifests;
      step.key.meta = { args: state.buildArgs.pairs().map(([k]) => k) };
      if (out.sources) step.key.meta.sources = out.sources;
      // The WORKDIR key holds the owner as ids (`root` as 0); explanations show USER as written.
      if (step.kind === 'WORKDIR' && state.user) step.key.meta.user = state.user;
      state.lastKey = step.key.digest;
      step.definition = hashJson({ parent: out.noParent ? null : state.lastDefinition, parts, sources: out.sources ?? null });
      state.lastDefinition = step.definition;
    }
  } else {
    // Classic: every instruction is a cached image keyed by its parent image and the whole config.
    // Docker's config holds exposed ports and volumes as maps: their order never counts (recorded:
    // cache-r7-expose-order-range, where `EXPOSE 443 8080` after `EXPOSE 8080 443` hits).
    const config = { ...state.config, ExposedPorts: [...state.config.ExposedPorts].sort(), Volumes: [...state.config.Volumes].sort() };
    const parts: Record<string, unknown> = { kind: step.kind, command: out.createdBy ?? step.instruction, config: JSON.parse(canonicalJson(config)) };
    if (out.parts?.content !== undefined) parts.content = out.parts.content;
    const parent = state.lastKey;
    step.key = { parent, parts, digest: hashJson({ parent, parts }) };
    if (out.manifests) step.key.manifests = out.manifests;
    if (out.sources) step.key.meta = { sources: out.sources };
    state.lastKey = step.key.digest;
  }
  if (out.createdBy !== null) {
    // Unknown when a step wrote content dfsim could not compute. The classic builder's size (the
    // layer directory's) counts symlink targets too; BuildKit's does not (recorded:
    // cache-symlink-named-source-retarget).
    const linkBytes = builder === 'classic' ? (layer?.linkBytes ?? 0) : 0;
    const size = !out.createsLayer ? 0 : layer?.unknownContent || out.opaque?.filesUnknown ? null : (layer?.size ?? 0) + linkBytes;
    const entry: HistoryEntry = { createdBy: out.createdBy, emptyLayer: !out.createsLayer, size };
    state.history.push(entry);
    step.history = entry;
    if (out.createsLayer) state.layers++;
  }
}

/**
 * BuildKit's COPY key leaves out the modes of context directories, so a COPY that hits keeps the
 * output it had when it was built, directory modes included, even if the context's have changed
 * since (recorded: cache-r3-dir-mode-through-stages). The key's meta keeps the modes a COPY gave its
 * directories; on a hit they are put back, so later steps (a COPY --from of the directory) see
 * what the real builder's snapshot holds.
 */
function keepCachedDirModes(step: StepResult, layer: StepResult['layer'], state: StageState, opts: ExecuteOptions): void {
  if (opts.builder !== 'buildkit' || !step.key || !layer || (step.kind !== 'COPY' && step.kind !== 'ADD')) return;
  const modes: Record<string, number> = {};
  for (const c of layer.changes) if (c.type === 'dir' && c.change !== 'removed' && c.mode !== undefined) modes[c.path] = c.mode;
  (step.key.meta ??= {}).dirModes = modes;
  const cached = opts.cachedMeta?.(step)?.dirModes;
  if (!cached || typeof cached !== 'object') return;
  for (const [path, mode] of Object.entries(cached as Record<string, unknown>)) {
    if (typeof mode === 'number' && state.fs.lstat(path)?.type === 'dir' && modes[path] !== undefined && modes[path] !== mode) state.fs.chmod(path, mode);
  }
}

/**
 * Likewise, BuildKit's checksum of a stage's files has no owners, so a COPY --from that hits keeps the
 * owners it copied when it was built, even if the source stage has chowned them since (recorded:
 * cache-r7-stage-owner-only-change: a later `stat -c %u` sees the old owner). The key's meta keeps
 * them; on a hit they are put back.
 */
function keepCachedOwners(step: StepResult, layer: StepResult['layer'], state: StageState, opts: ExecuteOptions): void {
  if (opts.builder !== 'buildkit' || !step.key || !layer) return;
  const owners: Record<string, [number, number]> = {};
  for (const c of layer.changes) {
    const info = c.change === 'removed' ? undefined : state.fs.lstat(c.path);
    if (info) owners[c.path] = [info.uid, info.gid];
  }
  (step.key.meta ??= {}).owners = owners;
  const cached = opts.cachedMeta?.(step)?.owners;
  if (!cached || typeof cached !== 'object') return;
  for (const [path, owner] of Object.entries(cached as Record<string, unknown>)) {
    if (!Array.isArray(owner) || owner.length !== 2 || !owner.every((n) => Number.isInteger(n))) continue;
    const [uid, gid] = owner as [number, number];
    const now = owners[path];
    if (now && (now[0] !== uid || now[1] !== gid)) state.fs.lchown(path, uid, gid);
  }
}

/**
 * A step that hits reuses the layer it made when it was built, so its size is that layer's, whatever
 * the step would write now: a RUN whose output depends on what its key leaves out (a proxy build
 * arg, a cache mount) and a COPY --from of equal content from hard links then and separate files now
 * keep the old size (recorded: cache-r2-proxy-with-args, cache-r13-stage-hardlinks build 2).
 */
function keepCachedSize(step: StepResult, layer: StepResult['layer'], opts: ExecuteOptions): void {
  if (!step.key || !step.history || step.history.emptyLayer) return;
  if (step.history.size !== null) (step.key.meta ??= {}).layerSize = step.history.size;
  const cached = opts.cachedMeta?.(step)?.layerSize;
  if (typeof cached !== 'number' || !Number.isInteger(cached) || cached < 0 || cached === step.history.size) return;
  step.history.size = cached;
  if (layer) layer.size = cached;
}

function failed(builder: Builder, plan: BuildPlan, steps: StepResult[], step: StepResult, error: Diagnostic): BuildResult {
  return { builder, target: { index: plan.target.index, name: plan.target.name }, steps, failedStep: step, error, image: null };
}

function startStage(planned: PlannedStage, built: Map<number, StageState>, opts: ExecuteOptions): { state: StageState; fromStep: StepResult } {
  const stage = planned.stage;
  const ref = { index: stage.index, name: stage.name };
  const fromStep = baseStep(ref, 0, stage.from, opts.builder, false);
  let state: StageState;
  if (planned.base.kind === 'stage') {
    const parent = built.get(planned.base.index);
    if (!parent) throw new Error(`stage ${planned.base.index} was not built before stage ${stage.index}`);
    state = {
      ...parent,
      ref,
      fs: parent.fs.clone(),
      env: parent.env.clone(),
      buildArgs: parent.buildArgs.clone(),
      // The parent's ARG values stay in the env (and so in RUN keys), but the child declared none of
      // them: its RUN history lists no `|N` args for them (recorded: cache-arg-in-stage-child).
      declaredArgs: new Set(),
      argDeclarations: [],
      config: structuredClone(parent.config),
      history: [...parent.history],
    };
    if (opts.builder === 'classic') {
      // The classic builder does not carry ARGs into a child stage: only the config's ENV survives.
      state.env = EnvList.from(parseEnvArray(parent.config.Env));
      state.buildArgs = new EnvList();
    } else {
      // BuildKit starts from the parent's state (its ARG values included) and applies the config's
      // ENV on top, so an ENV wins over an ARG of the same name and moves to the end of the list
      // (recorded: cache-r3-env-shadows-arg).
      for (const [k, v] of parseEnvArray(parent.config.Env)) state.env.set(k, v);
    }
    fromStep.vertex = opts.builder === 'classic';
  } else {
    const image = planned.base.kind === 'scratch' ? null : opts.baseImages.get(normalizeRef(planned.base.ref)) ?? unknownImage(planned.base.ref, planned.platform);
    state = image ? stateFromImage(ref, image, planned.platform) : emptyState(ref, planned.platform);
    if (image) {
      const parts = { kind: 'FROM', image: image.id, platform: planned.platform };
      fromStep.vertex = true;
      fromStep.key = { parent: null, parts, digest: hashJson({ parent: null, parts }), meta: { ref: planned.base.kind === 'image' ? planned.base.ref : 'scratch' } };
      state.lastKey = fromStep.key.digest;
      if (opts.builder === 'buildkit') {
        fromStep.definition = hashJson({ from: planned.base.kind === 'image' ? planned.base.ref : 'scratch', platform: planned.platform });
        state.lastDefinition = fromStep.definition;
      }
    } else {
      fromStep.vertex = opts.builder === 'classic';
      if (opts.builder === 'classic') {
        const parts = { kind: 'FROM', image: 'scratch', platform: planned.platform };
        fromStep.key = { parent: null, parts, digest: hashJson({ parent: null, parts }) };
        state.lastKey = fromStep.key.digest;
      }
    }
  }
  return { state, fromStep };
}

function emptyState(ref: StepResult['stage'], platform: string): StageState {
  return {
    ref,
    fs: new StageFs(),
    env: EnvList.from([['PATH', DEFAULT_PATH]]),
    buildArgs: new EnvList(),
    declaredArgs: new Set(),
    argDeclarations: [],
    user: '',
    workdir: '/',
    shell: [...DEFAULT_SHELL],
    config: { Env: [`PATH=${DEFAULT_PATH}`], Cmd: null, Entrypoint: null, WorkingDir: '', User: '', Labels: {}, ExposedPorts: [], Volumes: [], StopSignal: null, Shell: null, OnBuild: [], Healthcheck: null },
    history: [],
    layers: 0,
    lastKey: null,
    lastDefinition: null,
    platform,
    exact: true,
  };
}

function stateFromImage(ref: StepResult['stage'], image: BaseImage, platform: string): StageState {
  const state = emptyState(ref, platform);
  image.populate(state.fs);
  const env = EnvList.from(parseEnvArray(image.config.Env));
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  state.env = env;
  state.config = structuredClone(image.config);
  state.config.Env = env.toArray();
  state.user = image.config.User;
  state.workdir = resolveWorkdir('/', image.config.WorkingDir || '/'); // the config may hold it as written (`/app/`)
  state.shell = image.config.Shell ? [...image.config.Shell] : [...DEFAULT_SHELL];
  state.history = image.history.map((h) => ({ createdBy: h.createdBy, emptyLayer: h.emptyLayer, size: h.size }));
  state.layers = image.layers;
  state.exact = image.known;
  return state;
}

/** ONBUILD triggers of the base (an image or an earlier stage) run first in the child stage, then are cleared. */
function onbuildTriggers(state: StageState, parsed: ParsedDockerfile): Instruction[] {
  if (state.config.OnBuild.length === 0) return [];
  const text = `FROM scratch\n${state.config.OnBuild.join('\n')}\n`;
  return parseDockerfile(text, `${parsed.file} (ONBUILD triggers)`).stages[0]?.instructions ?? [];
}
