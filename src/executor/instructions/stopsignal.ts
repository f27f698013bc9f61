import { expandWord, metadataOnly, type InstructionExecutor } from '../step.js';

export const applyStopsignal: InstructionExecutor<'STOPSIGNAL'> = (state, instruction, ctx) => {
  state.config.StopSignal = expandWord(instruction.signal, state, ctx, instruction);
  return metadataOnly(`STOPSIGNAL ${state.config.StopSignal}`);
};
