import type { RunInstruction } from '../../../instructions/types.js';
import { hasAptInstall, hasAptUpdate, runText } from '../commands.js';
import { allInstructions, finding, type AdviceInput, type AdviceRule, type Finding } from '../types.js';

/**
 * DF5005: `apt-get update` in a RUN without an install. Its key never changes (same command, same
 * parent), so the cached package index is reused for as long as the cache lives, and a later
 * `apt-get install` with a new package list runs against that stale index.
 */
export const aptUpdateAlone: AdviceRule = {
  code: 'DF5005',
  name: 'apt-update-alone',
  severity: 'warning',
  summary: '`apt-get update` runs in a RUN of its own, so its cached (stale) package index is reused by later installs.',
  check(input: AdviceInput): Finding[] {
    const out: Finding[] = [];
    for (const { stage, instruction } of allInstructions(input)) {
      if (instruction.kind !== 'RUN') continue;
      const text = runText(instruction);
      if (!hasAptUpdate(text) || hasAptInstall(text)) continue;
      const later = stage.instructions.find((i): i is RunInstruction => i.kind === 'RUN' && i.range.start.line > instruction.range.start.line && hasAptInstall(runText(i)));
      const where = later ? `the install at line ${later.range.start.line}` : 'a later install';
      out.push(
        finding(
          this,
          input,
          instruction,
          `\`apt-get update\` runs in a RUN of its own: the builder caches its layer by the command text alone, so ${where} keeps using the package index from whenever this step was first built.`,
          'Update and install in one RUN: `RUN apt-get update && apt-get install -y --no-install-recommends <packages> && rm -rf /var/lib/apt/lists/*`.',
        ),
      );
    }
    return out;
  },
};
