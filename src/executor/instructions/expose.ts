import { expandWords, metadataOnly, type InstructionExecutor } from '../step.js';

export const applyExpose: InstructionExecutor<'EXPOSE'> = (state, instruction, ctx) => {
  const ports = instruction.ports.flatMap((p) => expandWords(p, state, ctx, instruction)).map((p) => (p.includes('/') ? p.toLowerCase() : `${p}/tcp`));
  for (const p of ports) if (!state.config.ExposedPorts.includes(p)) state.config.ExposedPorts.push(p);
  // BuildKit prints the port set as a Go map, the classic builder the ports as written, sorted
  // (recorded: exec-history-metadata).
  if (ctx.builder === 'classic') return metadataOnly(`EXPOSE ${instruction.ports.flatMap((p) => expandWords(p, state, ctx, instruction)).sort().join(' ')}`);
  return metadataOnly(`EXPOSE map[${[...new Set(ports)].sort().map((p) => `${p}:{}`).join(' ')}]`);
};
