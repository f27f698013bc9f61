import { expandWord, metadataOnly, type InstructionExecutor } from '../step.js';

/** USER changes later RUN keys and WORKDIR owners, never COPY keys (BuildKit ignores USER for COPY). */
export const applyUser: InstructionExecutor<'USER'> = (state, instruction, ctx) => {
  state.user = expandWord(instruction.user, state, ctx, instruction);
  state.config.User = state.user;
  return metadataOnly(`USER ${state.user}`);
};
