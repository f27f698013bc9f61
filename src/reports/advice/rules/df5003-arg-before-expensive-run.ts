import type { ArgInstruction, Instruction, RunInstruction, Stage } from '../../../instructions/types.js';
import { dependencyInstall, runText } from '../commands.js';
import { finding, instructionOf, joinList, type AdviceInput, type AdviceRule, type Finding } from '../types.js';

/** Variables tools read from the environment without the command naming them: such an ARG is in use. */
const IMPLICIT = /^(DEBIAN_FRONTEND|NODE_ENV|NODE_OPTIONS|CI|TZ|LANG|LC_\w+|GO\w+|CGO_\w+|NPM_CONFIG_\w+|YARN_\w+|PIP_\w+|PYTHON\w+|UV_\w+|POETRY_\w+|CARGO_\w+|RUSTFLAGS|MAVEN_\w+|BUNDLE_\w+|COMPOSER_\w+|DOTNET_\w+|NUGET_\w+)$/i;

/** True when the text expands the variable ($NAME or ${NAME...}). */
export function mentions(text: string, name: string): boolean {
  const esc = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\$(?:${esc}|\\{${esc})(?![A-Za-z0-9_])`).test(text);
}

function instructionText(i: Instruction): string {
  if (i.kind === 'RUN') return `${i.original}\n${runText(i)}`;
  if ((i.kind === 'COPY' || i.kind === 'ADD') && i.heredocs.length) return `${i.original}\n${i.heredocs.map((h) => h.content).join('\n')}`;
  return i.original;
}

/**
 * DF5003: an ARG with a value joins the env of every later RUN of its stage (and of stages built
 * FROM it), used or not, so changing its value misses expensive RUNs that never read it
 * (moby/moby#18017, #20612; research "ARGs are declared-with-value, not used").
 */
export const argBeforeExpensiveRun: AdviceRule = {
  code: 'DF5003',
  name: 'arg-before-expensive-run',
  severity: 'warning',
  summary: 'An ARG with a value is declared before expensive RUN steps that do not use it; changing its value reruns them.',
  check(input: AdviceInput): Finding[] {
    const groups = new Map<ArgInstruction, { name: string; stage: Stage; runs: RunInstruction[] }>();
    for (const step of input.sim.result.steps) {
      if (step.kind !== 'RUN' || !step.key) continue;
      const run = instructionOf(input, step);
      if (!run || run.kind !== 'RUN') continue;
      const text = runText(run);
      const install = dependencyInstall(text);
      if (!step.opaque && !install) continue;
      const env = Array.isArray(step.key.parts.env) ? (step.key.parts.env as string[]) : [];
      const argNames = Array.isArray(step.key.meta?.args) ? (step.key.meta.args as string[]) : [];
      for (const name of argNames) {
        if (!env.some((e) => e.startsWith(`${name}=`))) continue; // declared without a value: not in the key
        if (IMPLICIT.test(name) || mentions(instructionText(run), name)) continue;
        const decl = declaration(input, step.stage.index, run.range.start.line, name);
        if (!decl) continue;
        const use = firstUse(decl.stage, decl.arg, name);
        if (use && decl.stage.index === step.stage.index && use.range.start.line < run.range.start.line) continue; // moving the ARG would not help
        const g = groups.get(decl.arg) ?? { name, stage: decl.stage, runs: [] };
        if (!g.runs.includes(run)) g.runs.push(run);
        groups.set(decl.arg, g);
      }
    }
    const out: Finding[] = [];
    for (const [arg, { name, stage, runs }] of groups) {
      const use = firstUse(stage, arg, name);
      const lines = runs.map((r) => String(r.range.start.line));
      const runList = `line${lines.length > 1 ? 's' : ''} ${joinList(lines)}`;
      const fix = use
        ? `Declare \`ARG ${name}\` right before its first use (line ${use.range.start.line}) instead of line ${arg.range.start.line}, so the RUN steps before it keep their cache when the value changes.`
        : `Nothing in this stage mentions $${name}: declare \`ARG ${name}\` right before the step that needs it, or remove it (keep it only if a script run by those steps reads it from the environment).`;
      out.push(
        finding(
          this,
          input,
          arg,
          `\`${arg.original.trim()}\` puts ${name} into the environment of every later RUN, so the expensive RUN step${runs.length > 1 ? 's' : ''} at ${runList} rerun${runs.length > 1 ? '' : 's'} whenever its value changes, although ${runs.length > 1 ? 'they do' : 'it does'} not use it.`,
          fix,
        ),
      );
    }
    return out;
  },
};

/** The ARG that gives `name` its value for a RUN: the last one before it in its stage, else in the stages it is built FROM. */
function declaration(input: AdviceInput, stageIndex: number, line: number, name: string): { stage: Stage; arg: ArgInstruction } | null {
  let index: number | null = stageIndex;
  let before = line;
  while (index !== null) {
    const stage = input.sim.parsed.stages[index];
    if (!stage) return null;
    const args = stage.instructions.filter((i): i is ArgInstruction => i.kind === 'ARG' && i.range.start.line < before && i.args.some((a) => a.name === name));
    const last = args[args.length - 1];
    if (last) return { stage, arg: last };
    const planned = input.sim.plan.stages.find((p) => p.stage.index === index);
    index = planned?.base.kind === 'stage' ? planned.base.index : null;
    before = Number.POSITIVE_INFINITY;
  }
  return null;
}

/** The first instruction after the ARG in its stage that expands the variable. */
function firstUse(stage: Stage, arg: ArgInstruction, name: string): Instruction | undefined {
  return stage.instructions.find((i) => i.range.start.line > arg.range.start.line && mentions(instructionText(i), name));
}
