import type { BuildContext } from './context/index.js';
import type { BaseImage } from './base-image.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { DfsimError, error } from '../diagnostics/diagnostic.js';
import type { Instruction, InstructionOf, Keyword } from '../instructions/types.js';
import { processWord, processWords, ExpansionError } from '../syntax/lex.js';
import type { LayerDiff } from './stage-fs.js';
import type { StageState } from './state.js';
import type { Builder, ContentSource, FileManifest, KeyParts, OpaqueInfo } from './types.js';

/** What an instruction module needs besides its own stage. */
export interface StepContext {
  builder: Builder;
  file: string;
  escapeToken: '\\' | '`';
  context: BuildContext;
  /** --build-arg values. */
  buildArgs: Map<string, string>;
  /** Global ARG values (after --build-arg) incl. the predefined platform ARGs. */
  globalArgs: Map<string, string>;
  /** Names of global ARGs declared in the Dockerfile (predefined ones included). */
  globalDeclared: Set<string>;
  /** A finished stage by name (case-insensitive) or index, for COPY --from and RUN --mount from=. */
  stage(ref: string): StageState | undefined;
  /** Names of the Dockerfile's stages, for "did you mean" hints. */
  stageNames(): string[];
  /** The index of the stage a --from names (case-insensitive name or index), built or not. */
  stageIndexOf(ref: string): number | undefined;
  /**
   * BuildKit: the mode a context directory had when it entered the context BuildKit keeps synced
   * between builds, if it has been there since (ExecuteOptions.syncedDirs).
   */
  syncedDirMode(rel: string): number | undefined;
  /** Stage refs that name a known image rather than a stage (COPY --from=<image>). */
  image(ref: string): BaseImage | undefined;
}

/** What applying one instruction produced. */
export interface StepOutput {
  /** Whether this instruction is a BuildKit vertex (FROM, RUN, COPY, ADD, WORKDIR other than /). */
  vertex: boolean;
  /** This step's own key inputs (vertices only). */
  parts?: KeyParts;
  /** COPY --link: the copy does not depend on earlier steps. */
  noParent?: boolean;
  manifests?: Record<string, FileManifest>;
  /** Where each content input came from, by its name in `parts.content` (for explanations). */
  sources?: Record<string, ContentSource>;
  layer: LayerDiff | null;
  /** BuildKit rule: RUN, COPY, ADD and WORKDIR other than / add a layer. */
  createsLayer: boolean;
  /** History's created_by, or null for no history entry (ONBUILD). */
  createdBy: string | null;
  opaque?: OpaqueInfo;
  /**
   * Classic RUN: the command wrote only under the declared volumes, which are not committed. Entries
   * changed in a directory there copy nothing up into the layer (see LayerDiff.dirsTouched).
   */
  onlyVolumesWritten?: boolean;
}

export type InstructionExecutor<K extends Keyword> = (
  state: StageState,
  instruction: InstructionOf<K>,
  ctx: StepContext,
) => StepOutput | Promise<StepOutput>;

export function metadataOnly(createdBy: string | null): StepOutput {
  return { vertex: false, layer: null, createsLayer: false, createdBy };
}

/** Expands one word against the stage's env, as BuildKit does for COPY/ENV/WORKDIR/USER/... arguments. */
export function expandWord(word: string, state: StageState, ctx: StepContext, instruction: Instruction): string {
  try {
    return processWord(word, (name) => state.env.get(name), { escapeToken: ctx.escapeToken });
  } catch (e) {
    throw stepError(ctx, instruction, 'DF3010', e instanceof ExpansionError ? e.message : String(e), 'Fix the variable reference.');
  }
}

export function expandWords(word: string, state: StageState, ctx: StepContext, instruction: Instruction): string[] {
  try {
    return processWords(word, (name) => state.env.get(name), { escapeToken: ctx.escapeToken });
  } catch (e) {
    throw stepError(ctx, instruction, 'DF3010', e instanceof ExpansionError ? e.message : String(e), 'Fix the variable reference.');
  }
}

export function stepError(ctx: StepContext, instruction: Instruction, code: string, message: string, hint?: string): DfsimError {
  const d: Diagnostic = error(code, message, instruction.range, hint);
  d.file = ctx.file;
  return new DfsimError(d);
}
