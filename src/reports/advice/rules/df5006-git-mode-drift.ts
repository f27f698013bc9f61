import type { AdviceInput, AdviceRule, Finding } from '../types.js';
import { finding, instructionOf } from '../types.js';
import { contextInputs } from '../../../executor/key-sources.js';

interface Drift {
  path: string;
  disk: number;
  expected: number;
  /** 'x': executable bit differs from git; 'umask': other permission bits (group/other write...) that git does not keep. */
  kind: 'x' | 'umask';
}

const octal = (m: number): string => `0${(m & 0o7777).toString(8).padStart(3, '0')}`;

/**
 * DF5006: copied files whose mode on disk differs from what a fresh git checkout gives. The COPY key
 * checksums each file's mode; git keeps only the executable bit (100755 or 100644), and a checkout
 * with umask 022 writes 0755/0644, so the same commit misses this COPY on another machine or CI
 * (devcontainers/cli#153, moby/moby#32816). COPY --chmod does not help: the key checksums the source.
 */
export const gitModeDrift: AdviceRule = {
  code: 'DF5006',
  name: 'git-mode-drift',
  severity: 'warning',
  summary: 'Copied files have a mode on disk that differs from what git records, so the COPY misses on other machines.',
  check(input: AdviceInput): Finding[] {
    const git = input.git;
    if (!git) return [];
    const out: Finding[] = [];
    for (const step of input.sim.result.steps) {
      const instr = instructionOf(input, step);
      if (!instr || (instr.kind !== 'COPY' && instr.kind !== 'ADD') || (instr.kind === 'COPY' && instr.from !== null)) continue;
      const drifts: Drift[] = [];
      const seen = new Set<string>();
      for (const { path: source, manifest } of contextInputs(step.key)) {
        for (const [rel, entry] of Object.entries(manifest)) {
          const full = rel === '.' ? source : source === '.' ? rel : `${source}/${rel}`;
          if (entry.type !== 'file' || seen.has(full)) continue;
          seen.add(full);
          const mode = git.modes.get(full);
          if (mode !== '100644' && mode !== '100755') continue; // untracked, symlink or submodule
          const expected = mode === '100755' ? 0o755 : 0o644;
          const disk = entry.mode & 0o7777;
          if (disk === expected) continue;
          drifts.push({ path: full, disk, expected, kind: (disk & 0o111) !== 0 !== (expected === 0o755) ? 'x' : 'umask' });
        }
      }
      if (drifts.length === 0) continue;
      drifts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      const shown = drifts.slice(0, 5).map((d) => `${d.path} (${octal(d.disk)} on disk, a checkout gives ${octal(d.expected)})`);
      const more = drifts.length > 5 ? ` and ${drifts.length - 5} more` : '';
      const fixes: string[] = [];
      const x = drifts.filter((d) => d.kind === 'x');
      if (x.length) {
        const paths = x.map((d) => d.path).slice(0, 5).join(' ');
        fixes.push(`make disk and git agree on the executable bit: \`git update-index --chmod=${(x[0]!.disk & 0o111) !== 0 ? '+x' : '-x'} ${paths}\` and commit, or \`chmod ${(x[0]!.expected & 0o111) !== 0 ? '+x' : '-x'} ${paths}\``);
      }
      if (drifts.some((d) => d.kind === 'umask')) fixes.push('reset the other permission bits git does not keep (`chmod go-w,a+r` on those files; check your umask, 022 is what most CI checkouts use)');
      out.push(
        finding(
          this,
          input,
          instr,
          `\`${instr.original.trim()}\` copies files whose mode differs from what git records: ${shown.join(', ')}${more}. The COPY key checksums file modes, so a fresh clone of the same commit misses this COPY and everything after it.`,
          `${fixes.join('; ')}. \`COPY --chmod\` does not help: the key checksums the source file's mode.`,
        ),
      );
    }
    return out;
  },
};
