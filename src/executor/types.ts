import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Keyword } from '../instructions/types.js';
import type { Range } from '../syntax/position.js';
import type { LayerDiff } from './stage-fs.js';

export type Builder = 'buildkit' | 'classic';

export interface StageRef {
  index: number;
  name: string | null;
}

/**
 * One input of a step's cache key, kept by name so that a miss can be explained by comparing
 * parts with an earlier record of the same step. Values are plain JSON.
 */
export type KeyParts = Record<string, unknown>;

export interface StepKey {
  /** The previous vertex's key digest (the chain), or null at a root (FROM, or COPY --link). */
  parent: string | null;
  /** Inputs of this step alone. */
  parts: KeyParts;
  /** Content-selected inputs (COPY sources, --from content, bind mounts): manifests stored beside the record for file-level explanations. */
  manifests?: Record<string, FileManifest>;
  /** Facts that help explain a miss but are not inputs (e.g. which env names are ARGs); never hashed. */
  meta?: Record<string, unknown>;
  /** Hash of parent + parts (16 hex). */
  digest: string;
}

/**
 * Where a content input of a key came from, for explanations: BuildKit's keys name sources by
 * position and base name only, so the path lives here (in the key's meta), not in the key.
 */
export interface ContentSource {
  /** Context-relative ('.' = the root) or absolute in a stage. */
  path: string;
  /** The stage (as written after --from) when the content is another stage's output. */
  stage?: string;
}

/** Files of one content-keyed input: path (relative to the selected source) → header and content digest. */
export type FileManifest = Record<string, { type: string; mode: number; size: number; digest: string | null; linkTarget?: string }>;

export interface HistoryEntry {
  createdBy: string;
  emptyLayer: boolean;
  /** Bytes of the layer when known; null for base-image entries whose size is unknown. */
  size: number | null;
}

export interface StepResult {
  stage: StageRef;
  /** 1-based position of the step in its stage (FROM is 0; ONBUILD triggers come first). */
  position: number;
  instruction: string;
  kind: Keyword;
  line: number;
  range: Range;
  /** Whether this builder runs and caches the instruction as a step of its own. */
  vertex: boolean;
  key: StepKey | null;
  /** BuildKit vertices: the step's definition, by which identical steps of one build are merged (see StageState.lastDefinition). */
  definition?: string;
  /** Filesystem changes; null for instructions that touch no filesystem. */
  layer: LayerDiff | null;
  /** Whether the instruction adds a layer to the image (BuildKit: by kind; classic: by diff). */
  createsLayer: boolean;
  history: HistoryEntry | null;
  /** Present when the simulation could not know some effects (package installs, downloads...). */
  opaque: OpaqueInfo | null;
  /** From an ONBUILD trigger of the base. */
  trigger: boolean;
}

export interface OpaqueInfo {
  /** Each construct the simulation did not understand, in order. */
  notUnderstood: string[];
  /** False when the unknowns can only affect output or exit status, never files (e.g. `stat`, `$(...)` read-only use). */
  filesUnknown: boolean;
}

export interface ImageResult {
  layers: number;
  history: HistoryEntry[];
  /** Bytes of all layers where known. */
  size: number;
  config: Record<string, unknown>;
}

export interface BuildResult {
  builder: Builder;
  target: StageRef;
  steps: StepResult[];
  /** The step that failed (its diagnostic in `error`), or null. */
  failedStep: StepResult | null;
  error: Diagnostic | null;
  image: ImageResult | null;
}
