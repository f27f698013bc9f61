import { expandWords, metadataOnly, type InstructionExecutor } from '../step.js';

export const applyExpose: InstructionExecutor<'EXPOSE'> = (state, instruction, ctx) => {
  const ports = instruction.ports.flatMap((p) => expandWords(p, state, ctx, instruction)).map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
  for (const p of ports) if (!state.config.ExposedPorts.includes(p)) state.config.ExposedPorts.push(p);
  return metadataOnly(`EXPOSE map[${[...new Set(ports)].sort().map((p) => `${p}:{}`).join(' ')}]`);
};
