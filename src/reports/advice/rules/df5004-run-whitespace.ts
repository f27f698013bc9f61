import type { RunInstruction } from '../../../instructions/types.js';
import type { ParsedDockerfile } from '../../../instructions/types.js';
import { parseDockerfile } from '../../../syntax/parse.js';
import { finding, instructionOf, type AdviceInput, type AdviceRule, type Finding } from '../types.js';

/** Whitespace-insensitive form of a command, to tell formatting-only edits apart. */
export function squash(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/**
 * DF5004: a RUN whose command differs from an earlier version only in whitespace. The builder keys a
 * RUN by its exact command string, and a continuation line keeps its leading spaces (checked with
 * the real builder: oracle scenarios cache-run-continuation and cache-run-whitespace), so re-indenting
 * misses. Earlier versions: the closest record of the step in the cache store, and the Dockerfile
 * committed at git HEAD.
 */
export const runWhitespace: AdviceRule = {
  code: 'DF5004',
  name: 'run-whitespace-change',
  severity: 'warning',
  summary: 'A RUN differs from an earlier version only in whitespace or indentation, which still misses the cache.',
  check(input: AdviceInput): Finding[] {
    const out: Finding[] = [];
    const reported = new Set<RunInstruction>();
    input.sim.result.steps.forEach((step, i) => {
      if (step.kind !== 'RUN') return;
      const run = instructionOf(input, step);
      const reason = input.sim.prediction.steps[i]?.reason;
      if (!run || run.kind !== 'RUN' || !reason) return;
      for (const c of reason.changes) {
        if (c.part !== 'command' || typeof c.old !== 'string' || typeof c.new !== 'string') continue;
        if (c.old === c.new || squash(c.old) !== squash(c.new)) continue;
        reported.add(run);
        out.push(
          finding(
            this,
            input,
            run,
            `This RUN differs from the recorded build only in whitespace (${describe(c.old, c.new)}), but the builder keys a RUN by its exact command text: it misses, with every step after it.`,
            'Restore the earlier spacing and indentation of the command (continuation lines keep their leading spaces), or accept one rebuild.',
          ),
        );
      }
    });
    const head = headVersion(input);
    if (!head) return out;
    for (const stage of input.sim.parsed.stages) {
      const runs = stage.instructions.filter((x): x is RunInstruction => x.kind === 'RUN');
      const oldRuns = head.stages[stage.index]?.instructions.filter((x): x is RunInstruction => x.kind === 'RUN') ?? [];
      runs.forEach((run, k) => {
        const old = oldRuns[k];
        if (!old || reported.has(run)) return;
        const a = keyText(old);
        const b = keyText(run);
        if (a === b || squash(a) !== squash(b)) return;
        out.push(
          finding(
            this,
            input,
            run,
            `This RUN differs from the committed Dockerfile (git HEAD) only in whitespace (${describe(a, b)}), but the builder keys a RUN by its exact command text: it will miss, with every step after it.`,
            'Keep the committed spacing and indentation (continuation lines keep their leading spaces), or accept one rebuild.',
          ),
        );
      });
    }
    return out;
  },
};

/** The command text that enters the key (shell form verbatim, exec form as its words) and heredoc bodies. */
function keyText(run: RunInstruction): string {
  return run.form === 'shell' ? [run.command, ...run.heredocs.map((h) => h.content)].join('\n') : JSON.stringify(run.args);
}

function headVersion(input: AdviceInput): ParsedDockerfile | null {
  const text = input.git?.headText(input.dockerfilePath);
  if (text === null || text === undefined) return null;
  try {
    return parseDockerfile(Buffer.from(text, 'utf8'), input.sim.dockerfile);
  } catch {
    return null; // the committed version does not parse: nothing to compare with
  }
}

/** Names the first place the two texts differ, e.g. "indentation of a continuation line". */
function describe(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const around = (s: string): string => JSON.stringify(s.slice(Math.max(0, i - 12), i + 12));
  return `first difference: ${around(a)} → ${around(b)}`;
}
