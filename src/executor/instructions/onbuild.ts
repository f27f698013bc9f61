import { metadataOnly, type InstructionExecutor } from '../step.js';

/** ONBUILD stores its trigger for images built FROM this one; BuildKit writes no history entry for it, the classic builder does. */
export const applyOnbuild: InstructionExecutor<'ONBUILD'> = (state, instruction, ctx) => {
  const text = instruction.original.replace(/^\s*onbuild\s+/i, '');
  state.config.OnBuild.push(text);
  return metadataOnly(ctx.builder === 'classic' ? `ONBUILD ${text}` : null);
};
