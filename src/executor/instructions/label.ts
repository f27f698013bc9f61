import { expandWord, metadataOnly, type InstructionExecutor } from '../step.js';

export const applyLabel: InstructionExecutor<'LABEL'> = (state, instruction, ctx) => {
  const shown: string[] = [];
  for (const p of instruction.pairs) {
    const key = expandWord(p.key, state, ctx, instruction);
    const value = expandWord(p.value, state, ctx, instruction);
    state.config.Labels[key] = value;
    shown.push(`${key}=${value}`);
  }
  return metadataOnly(`LABEL ${shown.join(' ')}`);
};
