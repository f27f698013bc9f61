import { goPrintList } from '../go-format.js';
import { metadataOnly, type InstructionExecutor } from '../step.js';

/** SHELL changes the prefix of later shell-form RUN, CMD and ENTRYPOINT commands (and so RUN keys). */
export const applyShell: InstructionExecutor<'SHELL'> = (state, instruction) => {
  state.shell = [...instruction.args];
  state.config.Shell = [...instruction.args];
  // Both builders print the shell with %v: `SHELL [/bin/sh -ec]` (recorded: cache-config-changes-late).
  return metadataOnly(`SHELL ${goPrintList(instruction.args)}`);
};
