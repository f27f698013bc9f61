import type { StepResult } from '../../../executor/types.js';
import type { AddInstruction, CopyInstruction, RunInstruction } from '../../../instructions/types.js';
import { goMatch } from '../../../executor/context/index.js';
import { dependencyInstall, runText, type InstallKind } from '../commands.js';
import { finding, instructionOf, type AdviceInput, type AdviceRule, type Finding } from '../types.js';
import { contextInputs } from '../../../executor/key-sources.js';

/** A COPY/ADD of a whole directory from the context: its key changes with any file under it. */
interface BroadCopy {
  step: StepResult;
  instruction: CopyInstruction | AddInstruction;
  /** Top-level names and full paths (relative to the copied directory) of what it copies. */
  files: Set<string>;
}

/**
 * DF5001: a dependency install after a COPY of a whole directory. The install RUN's key chains from
 * the COPY's key, and the COPY's key checksums every file under the directory, so editing any source
 * file reruns the install.
 */
export const copyBeforeInstall: AdviceRule = {
  code: 'DF5001',
  name: 'copy-before-install',
  severity: 'warning',
  summary: 'A whole directory is copied before a dependency install, so any source edit reruns the install.',
  check(input: AdviceInput): Finding[] {
    const out: Finding[] = [];
    const broadAtEnd = new Map<number, BroadCopy[]>();
    const toolsAtEnd = new Map<number, Set<string>>();
    // keyed by copy, across stages: an install in a stage built FROM another one chains from that stage's COPY
    const installsByCopy = new Map<BroadCopy, Array<{ run: RunInstruction; install: InstallKind }>>();
    for (const planned of input.sim.plan.stages) {
      const index = planned.stage.index;
      // FROM <stage> continues that stage's chain: its broad copies are upstream of this stage too
      const broad: BroadCopy[] = planned.base.kind === 'stage' ? [...(broadAtEnd.get(planned.base.index) ?? [])] : [];
      // tools that already installed earlier in the chain: a later run of the same tool (the real
      // `cargo build` after a stub dependency build) is the deps-first pattern done right
      const seen = new Set<string>(planned.base.kind === 'stage' ? (toolsAtEnd.get(planned.base.index) ?? []) : []);
      for (const step of input.sim.result.steps.filter((s) => s.stage.index === index)) {
        const instr = instructionOf(input, step);
        if (!instr) continue;
        if (instr.kind === 'COPY' || instr.kind === 'ADD') {
          const b = broadCopy(step, instr);
          if (b) broad.push(b);
        } else if (instr.kind === 'RUN') {
          const install = dependencyInstall(runText(instr));
          const last = broad[broad.length - 1];
          const family = install?.tool.split(' ')[0] ?? '';
          const before = seen.has(family);
          if (install) seen.add(family);
          if (install && last && !before) {
            const list = installsByCopy.get(last) ?? [];
            list.push({ run: instr, install });
            installsByCopy.set(last, list);
          }
        }
      }
      broadAtEnd.set(index, broad);
      toolsAtEnd.set(index, seen);
    }
    for (const [copy, installs] of installsByCopy) out.push(report(this, input, copy, installs));
    return out;
  },
};

function broadCopy(step: StepResult, instr: CopyInstruction | AddInstruction): BroadCopy | null {
  if (instr.kind === 'COPY' && instr.from !== null) return null;
  for (const { manifest } of contextInputs(step.key)) {
    if (manifest['.']?.type !== 'dir') continue;
    const files = new Set(Object.keys(manifest).filter((p) => p !== '.'));
    return { step, instruction: instr, files };
  }
  return null;
}

function report(rule: AdviceRule, input: AdviceInput, copy: BroadCopy, installs: Array<{ run: RunInstruction; install: InstallKind }>): Finding {
  const instr = copy.instruction;
  const text = instr.original.trim();
  const names: string[] = [];
  for (const { install } of installs) {
    for (const m of install.manifests) {
      const present = [...copy.files].filter((f) => f === m || (m.includes('*') && !f.includes('/') && safeMatch(m, f)));
      for (const p of present.sort()) if (!names.includes(p)) names.push(p);
    }
  }
  const runs = installs.map(({ run, install }) => `\`${install.tool}\` (line ${run.range.start.line})`).join(', ');
  const dest = instr.dest === '.' ? './' : instr.dest.endsWith('/') ? instr.dest : `${instr.dest}/`;
  const tools = [...new Set(installs.map((i) => i.install.tool))].join(', ');
  const what = names.length > 0 ? names.join(' ') : `the files ${tools} reads (${installs[0]!.install.manifests.filter((m) => !m.startsWith('.')).join(', ')})`;
  const copyLine = names.length > 0 ? `\`COPY ${names.join(' ')} ${dest}\`` : `a COPY of ${what} to ${dest}`;
  return finding(
    rule,
    input,
    instr,
    `\`${text}\` copies a whole directory before ${runs}: the install's cache key chains from this COPY, whose key checksums every file it copies, so editing any source file reruns the install.`,
    `Copy only the dependency manifests first (${copyLine}), run the install, then \`${text}\` for the rest of the sources.`,
  );
}

function safeMatch(pattern: string, name: string): boolean {
  try {
    return goMatch(pattern, name);
  } catch {
    return false;
  }
}
