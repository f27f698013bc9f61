import { goQuoteList } from '../go-format.js';
import { metadataOnly, type InstructionExecutor } from '../step.js';
import { commandArgv } from './cmd.js';

/** ENTRYPOINT also resets a CMD inherited from the base image, as Docker does. */
export const applyEntrypoint: InstructionExecutor<'ENTRYPOINT'> = (state, instruction) => {
  state.config.Entrypoint = commandArgv(instruction, state);
  state.config.Cmd = null;
  return metadataOnly(`ENTRYPOINT ${goQuoteList(state.config.Entrypoint)}`);
};
