import { resolveUser, resolveWorkdir } from '../state.js';
import { expandWord, metadataOnly, stepError, type InstructionExecutor } from '../step.js';

/**
 * WORKDIR: BuildKit makes a mkdir vertex (and a layer) unless the path is `/`, owned by the current
 * USER, so a USER change misses the next WORKDIR. The classic builder adds no layer for it.
 */
export const applyWorkdir: InstructionExecutor<'WORKDIR'> = (state, instruction, ctx) => {
  const path = resolveWorkdir(state.workdir, expandWord(instruction.path, state, ctx, instruction));
  state.workdir = path;
  state.config.WorkingDir = path;
  const createdBy = `WORKDIR ${path}`;
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
  if (!state.fs.stat(path)) state.fs.mkdir(path, { parents: true, mode: 0o755, uid, gid });
  // The classic builder commits WORKDIR like any step: a layer only when the mkdir changed something.
  if (ctx.builder === 'classic') return { vertex: false, layer: null, createsLayer: true, createdBy };
  return { vertex: true, parts: { kind: 'WORKDIR', path, user: state.user }, layer: null, createsLayer: true, createdBy };
};
