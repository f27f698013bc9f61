import { posix } from 'node:path';
import { buildkitOwnerKey, resolveUser, resolveWorkdir } from '../state.js';
import { expandWord, metadataOnly, stepError, type InstructionExecutor } from '../step.js';

/**
 * WORKDIR: BuildKit makes a mkdir vertex (and a layer) unless the path is `/`, owned by the current
 * USER, so a USER change misses the next WORKDIR, though not a respelling of the same ids (`root` as
 * `0`). The classic builder adds no layer for it.
 */
export const applyWorkdir: InstructionExecutor<'WORKDIR'> = (state, instruction, ctx) => {
  const requested = expandWord(instruction.path, state, ctx, instruction);
  if (requested === '' && ctx.builder === 'classic') {
    // BuildKit takes an empty WORKDIR as "stay"; the classic builder fails (recorded: exec-r8-empty-expansions).
    throw stepError(ctx, instruction, 'DF3302', 'WORKDIR failed: cannot normalize nothing', 'The path expands to nothing: give the variable a value, or write the path out.');
  }
  const path = resolveWorkdir(state.workdir, requested);
  // Both builders keep an absolute path as written (`/opt/app/`, `/opt/./app`) in the config and the
  // history, and RUN runs in that spelling, so it keys RUN (and every classic step) apart from
  // `/opt/app`; BuildKit's mkdir step itself uses the clean path (recorded: cache-workdir-spelling).
  // A relative path is joined and cleaned.
  const written = posix.isAbsolute(requested) ? requested : path;
  state.workdir = path;
  state.config.WorkingDir = written;
  const createdBy = `WORKDIR ${written}`;
  if (path === '/' && ctx.builder === 'buildkit') return metadataOnly(createdBy);
  let uid = 0;
  let gid = 0;
  if (state.user && ctx.builder === 'buildkit') {
    const user = resolveUser(state.fs, state.user);
    if (!user && state.exact) {
      throw stepError(ctx, instruction, 'DF3210', `unable to find user ${state.user}: no matching entries in the image's /etc/passwd`, 'Create the user in an earlier RUN, or use a numeric uid.');
    }
    uid = user?.uid ?? 0;
    gid = user?.gid ?? 0;
  }
  const existing = state.fs.stat(path);
  if (existing && existing.type !== 'dir') {
    // Recorded: exec-r8-path-conflicts (a file a COPY made, or /etc/passwd).
    const message = ctx.builder === 'classic' ? `Cannot mkdir: ${path} is not a directory` : `mkdir ${path}: not a directory`;
    throw stepError(ctx, instruction, 'DF3302', `WORKDIR failed: ${message}`, 'WORKDIR names a file there; pick another path, or remove the file in an earlier step.');
  }
  if (!existing) state.fs.mkdir(path, { parents: true, mode: 0o755, uid, gid });
  // The classic builder commits WORKDIR like any step: a layer only when the mkdir changed something.
  if (ctx.builder === 'classic') return { vertex: false, layer: null, createsLayer: true, createdBy };
  return { vertex: true, parts: { kind: 'WORKDIR', path, user: state.user && buildkitOwnerKey(state.user) }, layer: null, createsLayer: true, createdBy };
};
