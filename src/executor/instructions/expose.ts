import { expandWords, metadataOnly, type InstructionExecutor } from '../step.js';

export const applyExpose: InstructionExecutor<'EXPOSE'> = (state, instruction, ctx) => {
  const ports = instruction.ports.flatMap((p) => expandWords(p, state, ctx, instruction)).flatMap(portSpecs);
  for (const p of ports) if (!state.config.ExposedPorts.includes(p)) state.config.ExposedPorts.push(p);
  if (ctx.builder === 'classic') {
    // The classic builder sorts the words as written, then expands them, and keys EXPOSE by this text:
    // `EXPOSE 53/UDP $PORTS` prints `EXPOSE 80 443 53/UDP`, and reordering the words hits
    // (recorded: exec-history-metadata, cache-r7-expose-order-range).
    const sorted = [...instruction.ports].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return metadataOnly(`EXPOSE ${sorted.flatMap((p) => expandWords(p, state, ctx, instruction)).join(' ')}`);
  }
  // BuildKit prints the port set as a Go map: sorted keys, a range as its ports.
  return metadataOnly(`EXPOSE map[${[...new Set(ports)].sort().map((p) => `${p}:{}`).join(' ')}]`);
};

/** `80`, `53/UDP`, `7000-7002/tcp` as Docker's port specs: port/proto, lower case, ranges spelled out. */
function portSpecs(word: string): string[] {
  const slash = word.indexOf('/');
  const proto = slash < 0 ? 'tcp' : word.slice(slash + 1).toLowerCase();
  const port = slash < 0 ? word : word.slice(0, slash);
  const range = /^(\d+)-(\d+)$/.exec(port);
  if (!range) return [`${port}/${proto}`];
  const [from, to] = [Number(range[1]), Number(range[2])];
  // An inverted or huge range is the builder's error to report; keep it as written.
  if (to < from || to - from > 65535) return [`${port}/${proto}`];
  return Array.from({ length: to - from + 1 }, (_, i) => `${from + i}/${proto}`);
}
