import { goQuoteList } from '../go-format.js';
import { metadataOnly, type InstructionExecutor } from '../step.js';
import type { CommandForm } from '../../instructions/types.js';
import type { StageState } from '../state.js';

/** The argv a CMD/ENTRYPOINT/HEALTHCHECK stores: exec form as written, shell form behind the current SHELL. */
export function commandArgv(form: CommandForm, state: StageState): string[] {
  return form.form === 'exec' ? [...form.args] : [...state.shell, form.command];
}

export const applyCmd: InstructionExecutor<'CMD'> = (state, instruction) => {
  state.config.Cmd = commandArgv(instruction, state);
  return metadataOnly(`CMD ${goQuoteList(state.config.Cmd)}`);
};
