import { goQuoteList, metadataOnly, type InstructionExecutor } from '../step.js';

/** SHELL changes the prefix of later shell-form RUN, CMD and ENTRYPOINT commands (and so RUN keys). */
export const applyShell: InstructionExecutor<'SHELL'> = (state, instruction) => {
  state.shell = [...instruction.args];
  state.config.Shell = [...instruction.args];
  return metadataOnly(`SHELL ${goQuoteList(instruction.args)}`);
};
