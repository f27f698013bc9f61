import { canonicalJson, hashJson } from '../executor/hash.js';
import type { BuildResult, ContentSource, FileManifest, StepResult } from '../executor/types.js';
import type { CacheStore, ClassicImage, StoredRecord } from './store.js';

/** One input that differs from the closest earlier record of the same step. */
export type Change =
  | { part: 'file'; source: string; path: string; change: 'added' | 'removed' | 'modified' | 'mode'; oldMode?: number; newMode?: number }
  | { part: 'env'; name: string; old: string | null; new: string | null; arg: boolean }
  | { part: 'stage-output'; stage: string; path: string }
  | { part: 'base'; old: string; new: string }
  /** Classic builder: this very key was built, but only on other images of the steps above (a --no-cache build or a twin stage made newer ones). */
  | { part: 'parent-image' }
  | { part: 'command' | 'shell' | 'user' | 'cwd' | 'dest' | 'chown' | 'chmod' | 'sources' | 'mounts' | 'network' | 'security' | 'link' | 'platform' | 'config' | 'other'; old: unknown; new: unknown };

export interface StepPointer {
  stage: { index: number; name: string | null };
  position: number;
  instruction: string;
  line: number;
}

export interface MissReason {
  /**
   * cold: never built; no-cache: lookup bypassed; inputs: this step's own inputs changed; knock-on: an
   * earlier step in its chain missed; uncacheable: the builder never caches this step (classic: ARG before FROM).
   */
  cause: 'cold' | 'no-cache' | 'inputs' | 'knock-on' | 'uncacheable';
  changes: Change[];
  /** For knock-on misses: the root-cause step this one follows. */
  follows: StepPointer | null;
}

export interface StepPrediction {
  cached: boolean | null;
  reason: MissReason | null;
  /** Classic builder: an image other than the usual one (the key's digest on its parent key), to record. */
  image?: ClassicImage;
}

export interface Prediction {
  steps: StepPrediction[];
  reused: number;
  rebuilt: number;
  /**
   * Index into steps of the first miss, or null. A knock-on miss always comes after the step it
   * follows, so this is a root cause (cold, no-cache or inputs).
   */
  firstMiss: number | null;
}

export interface PredictOptions {
  noCache: boolean;
  /** --no-cache-filter: stage names (case-insensitive) whose RUN/COPY/ADD skip the lookup. */
  noCacheFilter?: string[];
  stepId: (step: StepResult) => string;
}

/**
 * Which steps the builder would reuse. BuildKit looks each vertex up by its own key (a miss does not
 * bust later steps by itself; they miss because their parent key changed). The classic builder
 * misses every step after the first miss of a stage.
 */
export function predict(result: BuildResult, store: CacheStore, opts: PredictOptions): Prediction {
  const out: StepPrediction[] = [];
  const byDigest = new Map<string, number>();
  const rootOf = new Map<number, number>();
  // BuildKit: steps run without a lookup (--no-cache, --no-cache-filter), and the steps chained on
  // them, which miss too although their keys are unchanged (see below).
  const ranWithoutLookup = new Set<number>();
  let classicBust: number | null = null;
  let currentStage = -1;
  const filter = new Set((opts.noCacheFilter ?? []).map((s) => s.toLowerCase()));
  // The classic builder looks a step up among the images built on its parent's image: after a
  // --no-cache build the steps have new images, and what was built on the old ones is out of reach
  // (recorded: cache-r3-nocache-then-older-variant). Images are named by their key digest until a
  // key is built again. Every step that runs commits a new image, even one with the key of a step
  // this build already ran (twin stages under --no-cache), and a lookup takes the newest: the later
  // twin's chain (recorded: cache-r35-random-twins-29).
  const classic = result.builder === 'classic';
  const imageOf = new Map<string, string>();
  const committedThisBuild = new Map<string, number>();
  const parentImageOf = (key: NonNullable<StepResult['key']>): string | null => (key.parent === null ? null : (imageOf.get(key.parent) ?? key.parent));
  const commitImage = (i: number, key: NonNullable<StepResult['key']>): void => {
    const committed = committedThisBuild.get(key.digest) ?? 0;
    committedThisBuild.set(key.digest, committed + 1);
    const generation = store.classicImages(key.digest).length + committed;
    const parent = parentImageOf(key);
    const image = generation === 0 ? key.digest : hashJson({ digest: key.digest, parent, generation });
    imageOf.set(key.digest, image);
    if (image !== key.digest || parent !== key.parent) out[i]!.image = { parent, image };
  };

  /** A miss that follows step `root`: a knock-on if the step was built before, else cold. */
  const knockOn = (step: StepResult, previous: StoredRecord | undefined, storedAsIs: boolean, root: number): MissReason =>
    previous || storedAsIs
      ? { cause: 'knock-on', changes: previous ? diffParts(previous, step, store) : [], follows: pointer(result.steps[root]!) }
      : { cause: 'cold', changes: [], follows: null };

  result.steps.forEach((step, i) => {
    if (step.stage.index !== currentStage) {
      currentStage = step.stage.index;
      classicBust = null;
    }
    if (step.vertex && !step.key && result.builder === 'classic' && step.stage.index === -1) {
      out.push({ cached: false, reason: { cause: 'uncacheable', changes: [], follows: null } });
      return;
    }
    // The classic builder runs a base's ONBUILD triggers inside the FROM step (they print no step of
    // their own), but each is looked up and commits an image like any step: a trigger that misses
    // busts the rest of the stage (recorded: cache-r38-random-meta-34).
    const classicTrigger = classic && step.trigger;
    if ((!step.vertex && !classicTrigger) || !step.key) {
      out.push({ cached: null, reason: null });
      return;
    }
    const key = step.key;
    const bypass =
      (opts.noCache || (step.stage.name !== null && filter.has(step.stage.name.toLowerCase()))) &&
      (result.builder === 'classic' ? step.kind !== 'FROM' : ['RUN', 'COPY', 'ADD'].includes(step.kind));
    const parentIndex = key.parent ? byDigest.get(key.parent) : undefined;
    // An identical step earlier in this build (see below for the classic builder).
    const builtEarlier = step.kind !== 'FROM' && byDigest.has(key.digest);
    if (!byDigest.has(key.digest)) byDigest.set(key.digest, i);

    // BuildKit shares a result computed in this build even under --no-cache: of two stages with one
    // key (`FROM bb:v1` and `FROM bb:latest` are one image), one runs and the other is CACHED
    // (recorded: cache-r33-random-dedup-07). The result still ran without a lookup.
    if (bypass && !classic && builtEarlier) {
      out.push({ cached: true, reason: null });
      ranWithoutLookup.add(i);
      return;
    }
    // --no-cache first: the classic builder does no lookups at all then (every step is its own reason).
    if (bypass) {
      out.push({ cached: false, reason: { cause: 'no-cache', changes: [], follows: null } });
      rootOf.set(i, i);
      ranWithoutLookup.add(i);
      if (classic) {
        classicBust = i;
        commitImage(i, key);
      }
      return;
    }
    if (result.builder === 'classic' && classicBust !== null && step.kind !== 'FROM') {
      rootOf.set(i, rootOf.get(classicBust) ?? classicBust);
      // A step never built before says so, even though the bust alone would make it miss; one stored
      // under this very key (only its parent image is new) has nothing of its own to compare.
      const stored = store.has(key.digest);
      out.push({ cached: false, reason: knockOn(step, stored ? undefined : closestRecord(store, step, opts.stepId(step)), stored, rootOf.get(i)!) });
      commitImage(i, key);
      return;
    }
    // A BuildKit step chained on a step that ran without a lookup misses as well, though its key is
    // the same: a WORKDIR after a --no-cache RUN, in the same stage or in a `FROM <stage>` child
    // (recorded: cache-r24-random-meta-08, cache-r25-random-stages-00). A WORKDIR right after FROM
    // still hits (cache-no-cache). Inputs keyed by content (COPY --from) are not chained this way.
    // The result one step of this build computed is still shared with its twin (cache-r34-random-twins-01).
    if (!classic && parentIndex !== undefined && ranWithoutLookup.has(parentIndex)) {
      ranWithoutLookup.add(i);
      if (builtEarlier) {
        out.push({ cached: true, reason: null });
        return;
      }
      const root = rootOf.get(parentIndex) ?? parentIndex;
      rootOf.set(i, root);
      // Stored under this very key (nothing of its own changed), or else compared with its closest record.
      const stored = store.has(key.digest);
      out.push({ cached: false, reason: knockOn(step, stored ? undefined : closestRecord(store, step, opts.stepId(step)), stored, root) });
      return;
    }
    // An identical step earlier in this build: the classic builder finds the image it just committed
    // (recorded: cache-identical-stages-dedup). BuildKit merges identical definitions (vertex false);
    // equal keys from different definitions hit.
    if (classic) {
      const parentImage = parentImageOf(key);
      const found = builtEarlier ? undefined : store.classicImages(key.digest).reverse().find((img) => img.parent === parentImage);
      if (found || builtEarlier) {
        out.push({ cached: true, reason: null });
        // A twin hits on the image the earlier step of this build left (already in imageOf).
        if (found) imageOf.set(key.digest, found.image);
        return;
      }
      // This very key was built, but only on other images of the steps above (a --no-cache build or
      // a twin stage made newer ones); nothing of its own differs from that record.
      if (store.has(key.digest)) {
        rootOf.set(i, i);
        classicBust = i;
        out.push({ cached: false, reason: { cause: 'inputs', changes: [{ part: 'parent-image' }], follows: null } });
        commitImage(i, key);
        return;
      }
    } else if (store.has(key.digest) || builtEarlier) {
      out.push({ cached: true, reason: null });
      return;
    }
    const previous = closestRecord(store, step, opts.stepId(step));
    const changes = previous ? diffParts(previous, step, store) : [];
    const parentMissed = parentIndex !== undefined && out[parentIndex]?.cached === false;
    let reason: MissReason;
    if (!previous || (!parentMissed && changes.length === 0 && previous.parent !== key.parent)) {
      // Never built (first build, or a new step), or built only on top of other results of the
      // earlier steps (e.g. a step added while a file had other content): nothing of its own changed.
      rootOf.set(i, parentMissed ? (rootOf.get(parentIndex!) ?? parentIndex!) : i);
      reason = { cause: 'cold', changes: [], follows: null };
    } else if (parentMissed) {
      const root = rootOf.get(parentIndex!) ?? parentIndex!;
      rootOf.set(i, root);
      reason = { cause: 'knock-on', changes, follows: pointer(result.steps[root]!) };
    } else {
      rootOf.set(i, i);
      reason = { cause: 'inputs', changes, follows: null };
    }
    // A classic FROM is never "Using cache" but never busts the steps after it either.
    if (classic && step.kind !== 'FROM') classicBust = i;
    out.push({ cached: false, reason });
    if (classic) {
      if (step.kind === 'FROM') imageOf.set(key.digest, key.digest);
      else commitImage(i, key);
    }
  });

  let reused = 0;
  let rebuilt = 0;
  let firstMiss: number | null = null;
  out.forEach((p, i) => {
    if (p.cached === true) reused++;
    if (p.cached === false) {
      rebuilt++;
      if (firstMiss === null) firstMiss = i;
    }
  });
  return { steps: out, reused, rebuilt, firstMiss };
}

function pointer(step: StepResult): StepPointer {
  return { stage: step.stage, position: step.position, instruction: step.instruction, line: step.line };
}

/** How many recent records of a step are compared to find the closest one. */
const CANDIDATES = 8;

/**
 * The earlier record of the same step to compare with. Records built on the same parent come first
 * (their differences are this step's own); among those, the one with the fewest differences, the
 * most recent on a tie: it names exactly what would have to be undone for a hit (after builds with
 * VERSION=1 and VERSION=2, a build with VERSION=1 and a new ENV is explained by the ENV alone).
 */
function closestRecord(store: CacheStore, step: StepResult, stepId: string): StoredRecord | undefined {
  const key = step.key!;
  const history = store.history(stepId);
  const sameParent: StoredRecord[] = [];
  let latest: StoredRecord | undefined;
  for (let i = history.length - 1; i >= 0 && sameParent.length < CANDIDATES; i--) {
    if (history[i] === key.digest) continue;
    const rec = store.get(history[i]!);
    if (!rec) continue;
    if (rec.parent === key.parent) sameParent.push(rec);
    latest ??= rec;
  }
  if (sameParent.length <= 1) return sameParent[0] ?? latest;
  let best = sameParent[0]!;
  let fewest = diffParts(best, step, store).length;
  for (const rec of sameParent.slice(1)) {
    const n = diffParts(rec, step, store).length;
    if (n < fewest) [best, fewest] = [rec, n];
  }
  return best;
}

const SIMPLE_PARTS = ['user', 'cwd', 'dest', 'chown', 'chmod', 'sources', 'mounts', 'network', 'security', 'link', 'platform'] as const;

/** Compares this step's own inputs with an earlier record, part by part. */
export function diffParts(previous: StoredRecord, step: StepResult, store: CacheStore): Change[] {
  const now = step.key!.parts;
  const old = previous.parts;
  const changes: Change[] = [];
  const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

  if (step.kind === 'FROM' && !same(old.image, now.image)) {
    changes.push({ part: 'base', old: String(previous.meta?.ref ?? old.image), new: String(step.key!.meta?.ref ?? now.image) });
  }
  if (Array.isArray(now.args) && Array.isArray(old.args) && !same(old.args, now.args)) {
    const oldArgs = old.args as string[];
    const newArgs = now.args as string[];
    if (same(oldArgs.slice(-1), newArgs.slice(-1)) && oldArgs.length > 0) changes.push({ part: 'shell', old: oldArgs.slice(0, -1), new: newArgs.slice(0, -1) });
    else changes.push({ part: 'command', old: oldArgs[oldArgs.length - 1], new: newArgs[newArgs.length - 1] });
  }
  if (Array.isArray(now.env) && Array.isArray(old.env) && !same(old.env, now.env)) {
    const args = new Set([...((step.key!.meta?.args as string[]) ?? []), ...((previous.meta?.args as string[]) ?? [])]);
    changes.push(...envChanges(old.env as string[], now.env as string[], args));
  }
  for (const part of SIMPLE_PARTS) {
    if (!(part in now || part in old) || same(old[part], now[part])) continue;
    if (part === 'user') changes.push({ part, old: previous.meta?.user ?? old.user ?? null, new: step.key!.meta?.user ?? now.user ?? null });
    else changes.push({ part, old: old[part] ?? null, new: now[part] ?? null });
  }
  if (now.content || old.content) changes.push(...contentChanges(previous, step, store));
  if (now.config !== undefined && isObject(now.config) && isObject(old.config)) changes.push(...configChanges(old.config, now.config));
  else if (now.config !== undefined && !same(old.config, now.config)) changes.push({ part: 'config', old: old.config, new: now.config });
  if (now.command !== undefined && !same(old.command, now.command)) {
    const argChanges = classicArgChanges(old.command, now.command);
    if (argChanges) changes.push(...argChanges);
    // The classic builder's `#(nop) ENV A=2` text changes with the config it sets; say the latter only.
    else if (step.kind === 'RUN' || changes.length === 0) changes.push({ part: 'command', old: old.command, new: now.command });
  }
  if (changes.length === 0 && !same(old, now)) changes.push({ part: 'other', old, new: now });
  return changes;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Classic keys hold the whole container config: name what differs (Env by variable, USER, WORKDIR, SHELL, the rest by field). */
function configChanges(old: Record<string, unknown>, now: Record<string, unknown>): Change[] {
  const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);
  const changes: Change[] = [];
  const rest: { old: Record<string, unknown>; new: Record<string, unknown> } = { old: {}, new: {} };
  for (const field of [...new Set([...Object.keys(old), ...Object.keys(now)])].sort()) {
    if (same(old[field], now[field])) continue;
    const o = old[field] ?? null;
    const n = now[field] ?? null;
    if (field === 'Env' && Array.isArray(o) && Array.isArray(n)) changes.push(...envChanges(o as string[], n as string[], new Set()));
    else if (field === 'User') changes.push({ part: 'user', old: o, new: n });
    else if (field === 'WorkingDir') changes.push({ part: 'cwd', old: o, new: n });
    else if (field === 'Shell') changes.push({ part: 'shell', old: o, new: n });
    else {
      rest.old[field] = o;
      rest.new[field] = n;
    }
  }
  if (Object.keys(rest.old).length) changes.push({ part: 'config', old: rest.old, new: rest.new });
  return changes;
}

/**
 * The classic builder keys a RUN by its text with the build args prefixed (`RUN |1 V=x /bin/sh -c …`).
 * When only that prefix differs, name the args. Values with spaces make the split ambiguous: then the
 * rest of the text differs too and null is returned (the caller says "the command text changed").
 */
function classicArgChanges(oldCommand: unknown, newCommand: unknown): Change[] | null {
  const a = splitArgPrefix(oldCommand);
  const b = splitArgPrefix(newCommand);
  if (!a || !b || a.rest !== b.rest) return null;
  const changes: Change[] = [];
  for (const name of [...new Set([...a.args.keys(), ...b.args.keys()])].sort()) {
    const o = a.args.get(name) ?? null;
    const n = b.args.get(name) ?? null;
    if (o !== n) changes.push({ part: 'env', name, old: o, new: n, arg: true });
  }
  return changes.length ? changes : null;
}

function splitArgPrefix(command: unknown): { args: Map<string, string>; rest: string } | null {
  if (typeof command !== 'string') return null;
  const m = /^(RUN )?\|([0-9]+) ([\s\S]*)$/.exec(command);
  if (!m) return { args: new Map(), rest: command.replace(/^RUN /, '') };
  let rest = m[3]!;
  const args = new Map<string, string>();
  for (let i = 0; i < Number(m[2]); i++) {
    const t = /^([^=\s]+)=(\S*) ([\s\S]*)$/.exec(rest);
    if (!t) return null;
    args.set(t[1]!, t[2]!);
    rest = t[3]!;
  }
  return { args, rest };
}

function envChanges(oldEnv: string[], newEnv: string[], args: Set<string>): Change[] {
  const toMap = (l: string[]): Map<string, string> => new Map(l.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const a = toMap(oldEnv);
  const b = toMap(newEnv);
  const changes: Change[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const o = a.get(name) ?? null;
    const n = b.get(name) ?? null;
    if (o !== n) changes.push({ part: 'env', name, old: o, new: n, arg: args.has(name) });
  }
  if (changes.length === 0) changes.push({ part: 'env', name: '(order)', old: oldEnv.map((e) => e.split('=')[0]).join(','), new: newEnv.map((e) => e.split('=')[0]).join(','), arg: false });
  return changes;
}

function contentChanges(previous: StoredRecord, step: StepResult, store: CacheStore): Change[] {
  const oldContent = (previous.parts.content ?? {}) as Record<string, string | null>;
  const newContent = (step.key!.parts.content ?? {}) as Record<string, string | null>;
  const changes: Change[] = [];
  // Content is named by position in BuildKit keys; where it came from is in the key's meta.
  const sourceOf = (name: string): ContentSource =>
    (step.key!.meta?.sources as Record<string, ContentSource> | undefined)?.[name] ?? (previous.meta?.sources as Record<string, ContentSource> | undefined)?.[name] ?? { path: name };
  for (const name of [...new Set([...Object.keys(oldContent), ...Object.keys(newContent)])].sort()) {
    if (oldContent[name] === newContent[name]) continue;
    const source = sourceOf(name);
    if (source.stage !== undefined) {
      changes.push({ part: 'stage-output', stage: source.stage, path: source.path });
      continue;
    }
    const oldRef = previous.manifests?.[name];
    const oldManifest = oldRef ? store.manifest(oldRef) : undefined;
    const newManifest = step.key!.manifests?.[name];
    if (!oldManifest || !newManifest) {
      changes.push({ part: 'file', source: source.path, path: source.path, change: oldContent[name] === undefined ? 'added' : newContent[name] === undefined ? 'removed' : 'modified' });
      continue;
    }
    changes.push(...manifestChanges(source.path, oldManifest, newManifest));
  }
  return changes;
}

export function manifestChanges(source: string, before: FileManifest, after: FileManifest): Change[] {
  const changes: Change[] = [];
  const full = (rel: string): string => (rel === '.' ? source : source === '.' ? rel : `${source}/${rel}`);
  for (const rel of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[rel];
    const b = after[rel];
    if (a && !b) changes.push({ part: 'file', source, path: full(rel), change: 'removed' });
    else if (!a && b) changes.push({ part: 'file', source, path: full(rel), change: 'added' });
    else if (a && b && hashJson(a) !== hashJson(b)) {
      if (a.type === 'dir' && b.type === 'dir' && a.mode === b.mode) continue; // a directory changes only through its children
      if (a.mode !== b.mode && a.size === b.size && a.type === b.type && (a.type !== 'file' || sameContentIgnoringMode(a, b))) {
        changes.push({ part: 'file', source, path: full(rel), change: 'mode', oldMode: a.mode, newMode: b.mode });
      } else {
        changes.push({ part: 'file', source, path: full(rel), change: 'modified' });
      }
    }
  }
  return changes;
}

/** Digests include the header (mode), so with a mode change and equal size we call it a mode change. */
function sameContentIgnoringMode(a: FileManifest[string], b: FileManifest[string]): boolean {
  return a.size === b.size;
}
