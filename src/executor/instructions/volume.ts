import { expandWord, metadataOnly, stepError, type InstructionExecutor } from '../step.js';

export const applyVolume: InstructionExecutor<'VOLUME'> = (state, instruction, ctx) => {
  const paths = instruction.paths.map((p) => expandWord(p, state, ctx, instruction));
  for (const p of paths) {
    if (p.trim() === '') throw stepError(ctx, instruction, 'DF3011', 'VOLUME specified can not be an empty string', 'Give the volume a path.');
    if (!state.config.Volumes.includes(p)) state.config.Volumes.push(p);
  }
  return metadataOnly(`VOLUME [${paths.join(' ')}]`);
};
