/**
 * `dfsim advice`: cache foot-guns found in the simulated build (its steps, keys, manifests and cache
 * prediction), one rule module per DF5xxx code (registry.ts).
 */
import path from 'node:path';
import type { Severity } from '../../diagnostics/diagnostic.js';
import { defaultDockerfile, simulate, type SimulateOptions, type Simulation } from '../../simulate.js';
import { readGit } from './git.js';
import { RULES } from './registry.js';
import type { AdviceInput, AdviceRule, Finding } from './types.js';

export type { AdviceInput, AdviceRule, Finding } from './types.js';
export { RULES, ruleByCode } from './registry.js';

export interface Advice {
  sim: Simulation;
  findings: Finding[];
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Runs every rule (or those listed) over a simulation; findings sorted by file, line, column, code. */
export function runRules(input: AdviceInput, rules: readonly AdviceRule[] = RULES): Finding[] {
  const findings = rules.flatMap((r) => r.check(input));
  return findings.sort(
    (a, b) =>
      cmp(a.file, b.file) ||
      (a.range?.start.line ?? 0) - (b.range?.start.line ?? 0) ||
      (a.range?.start.column ?? 0) - (b.range?.start.column ?? 0) ||
      cmp(a.code, b.code) ||
      cmp(a.message, b.message),
  );
}

/** Simulates the build without recording it, then runs the rules. */
export async function advise(opts: SimulateOptions, rules: readonly AdviceRule[] = RULES): Promise<Advice> {
  const sim = await simulate({ ...opts, record: false });
  const contextDir = path.resolve(opts.context);
  const dockerfilePath = path.resolve(opts.dockerfile ?? defaultDockerfile(opts.context));
  const input: AdviceInput = { sim, contextDir, dockerfilePath, git: readGit(contextDir) };
  return { sim, findings: runRules(input, rules) };
}

/** True when some finding is at least as severe as the threshold. */
export function breaches(findings: readonly Finding[], threshold: Severity): boolean {
  return findings.some((f) => SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[threshold]);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
