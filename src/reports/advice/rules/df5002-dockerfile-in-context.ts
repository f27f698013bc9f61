import path from 'node:path';
import { findDockerignore } from '../../../executor/context/dockerignore.js';
import { finding, instructionOf, joinList, type AdviceInput, type AdviceRule, type Finding } from '../types.js';
import { contextInputs } from '../../../executor/key-sources.js';

/**
 * DF5002: the Dockerfile or the ignore file is among the files a COPY checksums. Every edit of the
 * Dockerfile, even of a comment, then misses that COPY and everything after it (checked with the
 * real builder: oracle scenario cache-dockerfile-in-context).
 */
export const dockerfileInContext: AdviceRule = {
  code: 'DF5002',
  name: 'dockerfile-in-context',
  severity: 'warning',
  summary: 'The Dockerfile or .dockerignore is copied into the image, so every edit of it misses that COPY.',
  check(input: AdviceInput): Finding[] {
    const out: Finding[] = [];
    const rel = (p: string): string | null => {
      const r = path.relative(input.contextDir, p);
      return r.startsWith('..') || path.isAbsolute(r) ? null : r.split(path.sep).join('/');
    };
    const dockerfile = rel(input.dockerfilePath);
    const ignoreName = findDockerignore(input.contextDir, input.dockerfilePath, input.sim.result.builder);
    const ignoreFile = (ignoreName && rel(ignoreName)) || '.dockerignore';
    const watched = new Map<string, string>();
    if (dockerfile) watched.set(dockerfile, 'the Dockerfile');
    for (const file of [path.join(input.contextDir, '.dockerignore'), `${input.dockerfilePath}.dockerignore`]) {
      const r = rel(file);
      if (r) watched.set(r, r);
    }
    for (const step of input.sim.result.steps) {
      const instr = instructionOf(input, step);
      if (!instr || (instr.kind !== 'COPY' && instr.kind !== 'ADD') || (instr.kind === 'COPY' && instr.from !== null)) continue;
      const hits = new Set<string>();
      for (const { path: source, manifest } of contextInputs(step.key)) {
        for (const p of Object.keys(manifest)) {
          const full = p === '.' ? source : source === '.' ? p : `${source}/${p}`;
          if (watched.has(full)) hits.add(full);
        }
      }
      if (hits.size === 0) continue;
      const list = [...hits].sort();
      const names = list.map((h) => (h === dockerfile ? (h === 'Dockerfile' ? 'the Dockerfile' : `the Dockerfile (${h})`) : h));
      const what = joinList(names);
      // the ignore file itself must be listed too, or creating it becomes the next context change
      const toIgnore = [...new Set([...(dockerfile ? [dockerfile] : []), ...list, ignoreFile])];
      const patterns = joinList(toIgnore.map((h) => `\`${h}\``));
      out.push(
        finding(
          this,
          input,
          instr,
          `\`${instr.original.trim()}\` copies ${what}: its cache key checksums ${list.length > 1 ? 'them' : 'it'}, so every edit of ${list.length > 1 ? 'those files' : 'that file'} (even a comment) misses this COPY and every step after it.`,
          `Add ${patterns} to ${ignoreFile} (the builder still reads ${toIgnore.length > 1 ? 'them' : 'it'}; ${toIgnore.length > 1 ? 'they just stop' : 'it just stops'} being part of the files the COPY checksums).`,
        ),
      );
    }
    return out;
  },
};
