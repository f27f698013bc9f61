/**
 * Stages and the build plan: which stages the builder builds for a target, in which order, and
 * what each FROM resolves to (BuildKit dockerfile2llb/convert.go: meta ARG handling,
 * findStateByName/findStateByIndex, resolveTarget and the reachable-stage walk).
 */
import { DfsimError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { ExpansionError, processWord } from '../syntax/lex.js';
import { isGoInt } from '../syntax/words.js';
import type { Range } from '../syntax/position.js';
import type { Instruction, ParsedDockerfile, Stage } from './types.js';

export interface PlanOptions {
  target?: string;
  buildArgs: Map<string, string>;
  /** Target platform, `os/arch[/variant]`; default linux/amd64. */
  platform?: string;
  builder: 'buildkit' | 'classic';
}

export interface PlannedStage {
  stage: Stage;
  /** FROM resolved: another stage's index, or an image reference expanded with global ARGs (incl. predefined platform ARGs), or 'scratch'. */
  base: { kind: 'stage'; index: number } | { kind: 'image'; ref: string } | { kind: 'scratch' };
  /** The stage's platform (from --platform expanded, else the target platform). */
  platform: string;
  /** Stages this one needs: FROM <stage>, COPY --from=<name|index>, RUN --mount=from=<name|index>, in order of first use. */
  dependsOn: number[];
}

export interface BuildPlan {
  target: Stage;
  /** Stages the builder builds, in the order it builds them (dependencies first, then by index). BuildKit: only those the target needs; classic: every stage up to and including the target. */
  stages: PlannedStage[];
  /**
   * Global (meta) ARG values after --build-arg, incl. predefined platform ARGs (BuildKit only:
   * TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILDPLATFORM, BUILDOS, BUILDARCH,
   * BUILDVARIANT). A global ARG declared without a default and not given with --build-arg is
   * absent: a stage's `ARG NAME` then stays unset, as in BuildKit.
   */
  globalArgs: Map<string, string>;
}

/** The platform this simulator pretends to build on. */
export const BUILD_PLATFORM = 'linux/amd64';

export interface Platform {
  os: string;
  arch: string;
  variant: string;
}

/** Parses `os/arch[/variant]`; null when malformed. */
export function parsePlatform(s: string): Platform | null {
  const parts = s.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]+$/.test(p))) return null;
  return { os: parts[0]!, arch: parts[1]!, variant: parts[2] ?? '' };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.arch}/${p.variant}` : `${p.os}/${p.arch}`;
}

/** BuildKit's automatic platform ARGs. */
export function platformArgs(target: Platform, build: Platform): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(target)],
    ['TARGETOS', target.os],
    ['TARGETARCH', target.arch],
    ['TARGETVARIANT', target.variant],
    ['BUILDPLATFORM', formatPlatform(build)],
    ['BUILDOS', build.os],
    ['BUILDARCH', build.arch],
    ['BUILDVARIANT', build.variant],
  ]);
}

/** Stage lookup by name (case-insensitive) among all stages: the first of that name. */
export function findStage(parsed: ParsedDockerfile, name: string): Stage | undefined {
  return parsed.stages.find(named(name));
}

/** Matches the stages called `name`, in any case. */
function named(name: string): (s: Stage) => boolean {
  const key = name.toLowerCase();
  return (s) => s.name !== null && s.name.toLowerCase() === key;
}

/**
 * The stage a name (a --target, COPY --from or RUN --mount from=) refers to when several stages
 * share it. BuildKit keeps one stage per name and a later one replaces an earlier one, so the last
 * wins (recorded: exec-r13-stage-name-rules; current BuildKit only lints the duplicate,
 * DuplicateStageName). The classic builder takes the first: it fails at the second FROM of a name
 * before anything could use it, and its --target picks the first match.
 */
export function stageByName(parsed: ParsedDockerfile, name: string, builder: 'buildkit' | 'classic'): Stage | undefined {
  if (builder === 'classic') return findStage(parsed, name);
  return parsed.stages.findLast(named(name));
}

/**
 * The stage a FROM names: the last stage of that name defined before it. Both builders resolve FROM
 * as they meet the stage, so a later stage of the name is not seen (an image of that name is).
 */
function stageBefore(parsed: ParsedDockerfile, name: string, before: number): Stage | undefined {
  const isNamed = named(name);
  return parsed.stages.findLast((s) => s.index < before && isNamed(s));
}

function fail(parsed: ParsedDockerfile, code: string, message: string, range?: Range, hint?: string, exitCode = 1): never {
  const d: Diagnostic = { code, severity: 'error', message, file: parsed.file };
  if (range) d.range = range;
  if (hint) d.hint = hint;
  throw new DfsimError(d, exitCode);
}

/** A `--from` / mount `from=` reference: a stage index, a stage name, or an image (null). */
function resolveFrom(parsed: ParsedDockerfile, from: string, range: Range, builder: 'buildkit' | 'classic'): number | null {
  if (isGoInt(from)) {
    const index = Number(from);
    if (index < 0 || index >= parsed.stages.length) {
      fail(parsed, 'DF2016', `invalid stage index ${index}`, range, `stage indices run from 0 to ${parsed.stages.length - 1}`);
    }
    return index;
  }
  return stageByName(parsed, from, builder)?.index ?? null;
}

/** Stage references made by one instruction (COPY --from, RUN --mount from=). */
function referencesOf(ins: Instruction): { from: string; range: Range }[] {
  if (ins.kind === 'COPY' && ins.from !== null) {
    return [{ from: ins.from, range: ins.flags.find((f) => f.name === 'from')?.range ?? ins.range }];
  }
  if (ins.kind === 'RUN') {
    const out: { from: string; range: Range }[] = [];
    for (const m of ins.mounts) {
      const from = m.options['from'];
      if (from !== undefined && from !== '') out.push({ from, range: ins.flags.find((f) => f.name === 'mount' && f.value === m.raw)?.range ?? ins.range });
    }
    return out;
  }
  return [];
}

/** Plans a build: global ARGs, FROM resolution, stage dependencies and the stages to build. */
export function planBuild(parsed: ParsedDockerfile, opts: PlanOptions): BuildPlan {
  const escapeToken = parsed.escapeToken;
  const targetPlatform = parsePlatform(opts.platform ?? BUILD_PLATFORM);
  if (!targetPlatform) {
    fail(parsed, 'DF2018', `invalid platform ${JSON.stringify(opts.platform)}`, undefined, 'use os/arch[/variant], e.g. linux/amd64 or linux/arm/v7', 2);
  }
  const buildPlatform = parsePlatform(BUILD_PLATFORM)!;

  // Global ARGs: BuildKit seeds them with the platform ARGs (overridable by --build-arg), then
  // adds each meta ARG in order, its default expanded with the ones before it.
  const globalArgs = new Map<string, string>();
  if (opts.builder === 'buildkit') {
    for (const [k, v] of platformArgs(targetPlatform, buildPlatform)) globalArgs.set(k, opts.buildArgs.get(k) ?? v);
  }
  /** For FROM expansion a declared ARG without a value counts as set to "" (BuildKit metaArgsToMap). */
  const fromScope = new Map(globalArgs);
  for (const argIns of parsed.metaArgs) {
    for (const decl of argIns.args) {
      let value: string | undefined;
      if (decl.defaultValue !== null) {
        value = expand(parsed, decl.defaultValue, fromScope, escapeToken, argIns.range);
      }
      const given = opts.buildArgs.get(decl.name);
      if (given !== undefined) value = given;
      if (value !== undefined) globalArgs.set(decl.name, value);
      else globalArgs.delete(decl.name);
      fromScope.set(decl.name, value ?? '');
    }
  }

  // FROM: a name matching an earlier stage is that stage (a later one is an image name, as the
  // real builder does); "scratch" is the empty image; anything else is an image reference.
  const planned: PlannedStage[] = [];
  // The classic builder runs the stages in order and stops after the target: a stage after it is
  // never looked at, not even its FROM (recorded: exec-r8-unneeded-stage-blank-base).
  const classicLast = opts.builder === 'classic' && opts.target !== undefined ? (findStage(parsed, opts.target)?.index ?? Infinity) : Infinity;
  for (const stage of parsed.stages) {
    const from = stage.from;
    const ref = expand(parsed, from.image, fromScope, escapeToken, from.range);
    if (ref === '' && stage.index > classicLast) {
      planned.push({ stage, base: { kind: 'scratch' }, platform: formatPlatform(targetPlatform), dependsOn: [] });
      continue;
    }
    if (ref === '') {
      fail(parsed, 'DF2017', `base name (${from.image}) should not be blank`, from.range, 'give the ARG used in FROM a default, or pass it with --build-arg');
    }
    let platform = formatPlatform(targetPlatform);
    if (from.platform !== null) {
      const p = expand(parsed, from.platform, fromScope, escapeToken, from.range);
      const parsedP = parsePlatform(p);
      if (!parsedP) fail(parsed, 'DF2018', `failed to parse platform ${p}`, from.flags.find((f) => f.name === 'platform')?.range ?? from.range, 'use os/arch[/variant]');
      platform = formatPlatform(parsedP);
    }
    // BuildKit matches FROM against the lower-cased stage names as written, so `FROM BUILD` is an
    // image reference, and an invalid one (recorded: exec-stage-name-case); the classic builder ignores case.
    const baseStage = opts.builder === 'classic' || ref === ref.toLowerCase() ? stageBefore(parsed, ref, stage.index) : undefined;
    if (!baseStage && opts.builder !== 'classic' && /[A-Z]/.test(ref.split(/[@:]/)[0]!.split('/').pop()!)) {
      fail(parsed, 'DF2019', `failed to parse stage name "${ref}": invalid reference format: repository name must be lowercase`, from.range, 'Write stage names in FROM in lower case (stage names are matched case-sensitively by BuildKit).');
    }
    let base: PlannedStage['base'];
    if (baseStage) base = { kind: 'stage', index: baseStage.index };
    else if (ref === 'scratch') base = { kind: 'scratch' };
    else base = { kind: 'image', ref };
    planned.push({ stage, base, platform, dependsOn: [] });
  }

  for (const p of planned) {
    const deps: number[] = [];
    const add = (i: number): void => {
      if (!deps.includes(i)) deps.push(i);
    };
    if (p.base.kind === 'stage') {
      add(p.base.index);
      // The base stage's ONBUILD triggers run at the start of this stage and may need stages too.
      for (const ins of parsed.stages[p.base.index]!.instructions) {
        if (ins.kind !== 'ONBUILD') continue;
        for (const r of referencesOf(ins.trigger)) {
          const i = resolveFrom(parsed, r.from, r.range, opts.builder);
          if (i !== null) add(i);
        }
      }
    }
    for (const ins of p.stage.instructions) {
      for (const r of referencesOf(ins)) {
        if (ins.kind === 'COPY' && r.from.includes('$') && opts.builder !== 'classic') {
          fail(parsed, 'DF2007', `variable expansion is not supported for --from (got "${r.from}"): BuildKit fails to parse it as a stage or image name`, r.range,
            'define a stage with `FROM ${VAR} AS src` (a global ARG) and use COPY --from=src');
        }
        const i = resolveFrom(parsed, r.from, r.range, opts.builder);
        // BuildKit parses every stage's --from before building any, needed or not: one that names no
        // stage must be a valid image reference (recorded: exec-r8-unneeded-stage-invalid-refs).
        if (i === null && opts.builder !== 'classic' && /[A-Z]/.test(r.from.split(/[@:]/)[0]!.split('/').pop()!)) {
          fail(parsed, 'DF2019', `failed to parse stage name "${r.from}": invalid reference format: repository name must be lowercase`, r.range, 'Name an earlier stage (stage names are case-insensitive in --from) or an image in lower case.');
        }
        if (i === p.stage.index) {
          fail(parsed, 'DF2016', `circular dependency detected on stage: ${stageLabel(p.stage)}`, r.range, 'a stage cannot copy from itself');
        }
        // A stage defined later is no dependency: current BuildKit rejects the reference when the
        // stage using it is built (moby/buildkit#4568; the executor reports it), the classic builder
        // pulls an image of that name.
        if (i !== null && (i < p.stage.index || opts.builder === 'classic')) add(i);
      }
    }
    p.dependsOn = deps;
  }
  detectCycles(parsed, planned);

  let target: Stage;
  if (opts.target !== undefined) {
    const t = stageByName(parsed, opts.target, opts.builder);
    if (!t) {
      const names = parsed.stages.flatMap((s) => (s.name === null ? [] : [s.name]));
      fail(parsed, 'DF2015', `target stage ${JSON.stringify(opts.target)} could not be found`, undefined,
        didYouMean(opts.target, names) ?? (names.length ? `stages: ${names.join(', ')}` : 'no stage has a name; add AS <name> to a FROM'), 2);
    }
    target = t;
  } else {
    target = parsed.stages[parsed.stages.length - 1]!;
  }

  let stages: PlannedStage[];
  if (opts.builder === 'classic') {
    stages = planned.slice(0, target.index + 1);
  } else {
    const needed = new Set<number>();
    const visit = (i: number): void => {
      if (needed.has(i)) return;
      needed.add(i);
      for (const d of planned[i]!.dependsOn) visit(d);
    };
    visit(target.index);
    // Dependencies first; among stages that are ready, the lowest index first.
    stages = [];
    const done = new Set<number>();
    while (stages.length < needed.size) {
      const next = [...needed].sort((a, b) => a - b).find((i) => !done.has(i) && planned[i]!.dependsOn.every((d) => done.has(d)))!;
      done.add(next);
      stages.push(planned[next]!);
    }
  }
  return { target, stages, globalArgs };
}

function stageLabel(stage: Stage): string {
  return stage.name ?? `stage-${stage.index}`;
}

function expand(parsed: ParsedDockerfile, word: string, scope: Map<string, string>, escapeToken: '\\' | '`', range: Range): string {
  try {
    return processWord(word, (name) => scope.get(name), { escapeToken });
  } catch (e) {
    if (e instanceof ExpansionError) fail(parsed, 'DF2017', e.message, range);
    throw e;
  }
}

function detectCycles(parsed: ParsedDockerfile, planned: PlannedStage[]): void {
  const state = new Map<number, 'visiting' | 'done'>();
  const visit = (i: number): void => {
    const s = state.get(i);
    if (s === 'done') return;
    const p = planned[i]!;
    if (s === 'visiting') {
      fail(parsed, 'DF2016', `circular dependency detected on stage: ${stageLabel(p.stage)}`, p.stage.from.range, 'stages must not copy from each other in a loop');
    }
    state.set(i, 'visiting');
    for (const d of p.dependsOn) visit(d);
    state.set(i, 'done');
  };
  for (let i = 0; i < planned.length; i++) visit(i);
}
