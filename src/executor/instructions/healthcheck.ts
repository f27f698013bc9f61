import { metadataOnly, type InstructionExecutor } from '../step.js';

export const applyHealthcheck: InstructionExecutor<'HEALTHCHECK'> = (state, instruction) => {
  const test = instruction.none ? ['NONE'] : instruction.form === 'exec' ? ['CMD', ...instruction.args] : ['CMD-SHELL', instruction.command];
  const options = Object.fromEntries(Object.entries(instruction.options).filter(([, v]) => v !== null));
  state.config.Healthcheck = { Test: test, ...options };
  return metadataOnly(`HEALTHCHECK ${JSON.stringify(state.config.Healthcheck)}`);
};
