import type { Diagnostic, Severity } from '../../diagnostics/diagnostic.js';
import type { StepResult } from '../../executor/types.js';
import type { Instruction, Stage } from '../../instructions/types.js';
import type { Simulation } from '../../simulate.js';
import type { GitInfo } from './git.js';

/** One piece of advice: a diagnostic with a stable DF5xxx code, always a file, and a concrete fix. */
export interface Finding extends Diagnostic {
  file: string;
  /** What to change, concretely (also in `hint`, so the CLI's diagnostic renderer prints it). */
  fix: string;
  hint: string;
}

/** What a rule sees: the simulated build and where it came from. */
export interface AdviceInput {
  sim: Simulation;
  /** Absolute context directory. */
  contextDir: string;
  /** Absolute path of the Dockerfile. */
  dockerfilePath: string;
  /** The context's git work tree, or null when the context is not inside one (or git is missing). */
  git: GitInfo | null;
}

export interface AdviceRule {
  /** Stable code, never renumbered. */
  code: string;
  /** Short kebab-case name (SARIF rule name). */
  name: string;
  severity: Severity;
  /** One sentence: what the rule finds (SARIF shortDescription). */
  summary: string;
  check(input: AdviceInput): Finding[];
}

/** Builds a finding located at an instruction of the simulated Dockerfile. */
export function finding(rule: AdviceRule, input: AdviceInput, at: { range: Instruction['range'] } | null, message: string, fix: string): Finding {
  const f: Finding = { code: rule.code, severity: rule.severity, message, file: input.sim.dockerfile, fix, hint: fix };
  if (at) f.range = at.range;
  return f;
}

/** Every instruction of every stage with its stage, in file order (ONBUILD triggers not included). */
export function allInstructions(input: AdviceInput): Array<{ stage: Stage; instruction: Instruction }> {
  return input.sim.parsed.stages.flatMap((stage) => stage.instructions.map((instruction) => ({ stage, instruction })));
}

/** The simulated step of an instruction (same stage and first line), or undefined when its stage was not built. */
export function stepOf(input: AdviceInput, stage: Stage, instruction: Instruction): StepResult | undefined {
  return input.sim.result.steps.find((s) => !s.trigger && s.stage.index === stage.index && s.line === instruction.range.start.line && s.kind === instruction.kind);
}

/** The instruction a step came from, or undefined for ONBUILD triggers. */
export function instructionOf(input: AdviceInput, step: StepResult): Instruction | undefined {
  if (step.trigger) return undefined;
  const stage = input.sim.parsed.stages[step.stage.index];
  if (step.kind === 'FROM') return stage?.from;
  return stage?.instructions.find((i) => i.range.start.line === step.line && i.kind === step.kind);
}

/** "a", "a and b", "a, b and c". */
export function joinList(items: readonly string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}` : (items[0] ?? '');
}
