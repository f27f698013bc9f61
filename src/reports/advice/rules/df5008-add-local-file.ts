import fs from 'node:fs';
import path from 'node:path';
import { hasWildcard } from '../../../executor/context/index.js';
import { allInstructions, finding, type AdviceInput, type AdviceRule, type Finding } from '../types.js';

/** Magic numbers of the compressions ADD auto-detects, and the tar header. */
function looksLikeArchive(file: string): boolean {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, 512, 0);
    const b = head.subarray(0, n);
    const starts = (...bytes: number[]): boolean => bytes.every((x, i) => b[i] === x);
    if (starts(0x1f, 0x8b) || starts(0x42, 0x5a, 0x68) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) || starts(0x28, 0xb5, 0x2f, 0xfd)) return true;
    return n >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar';
  } catch {
    return true; // unreadable: do not advise
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/**
 * DF5008 (info): ADD of local files or directories that are not archives does exactly what COPY does;
 * COPY says so and does not start extracting when the file one day becomes a tarball.
 */
export const addLocalFile: AdviceRule = {
  code: 'DF5008',
  name: 'add-local-file',
  severity: 'info',
  summary: 'ADD of a local file that is not an archive: COPY does the same and says so.',
  check(input: AdviceInput): Finding[] {
    const out: Finding[] = [];
    for (const { instruction: i } of allInstructions(input)) {
      if (i.kind !== 'ADD' || i.heredocs.length > 0 || i.checksum !== null || i.keepGitDir !== null || i.unpack !== null) continue;
      if (i.sources.length === 0) continue;
      const local = i.sources.every((s) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(s) && !/^git@/.test(s) && !s.includes('$') && !hasWildcard(s));
      if (!local) continue;
      const plain = i.sources.every((s) => {
        const p = path.join(input.contextDir, s);
        try {
          const st = fs.statSync(p);
          return st.isDirectory() || (st.isFile() && !looksLikeArchive(p));
        } catch {
          return false; // missing: the build reports it
        }
      });
      if (!plain) continue;
      out.push(
        finding(
          this,
          input,
          i,
          `\`${i.original.trim()}\` adds ${i.sources.length > 1 ? 'local files that are' : 'a local file that is'} not an archive: ADD does the same as COPY here.`,
          `Use COPY: \`${i.original.trim().replace(/^add/i, 'COPY')}\` (ADD would start extracting if the file became a tarball).`,
        ),
      );
    }
    return out;
  },
};
