import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The git work tree around a build context, read with the git CLI. */
export interface GitInfo {
  /** Absolute top-level directory of the work tree. */
  root: string;
  /** Index modes of tracked paths, keyed by path relative to the context directory (POSIX): '100644', '100755', '120000'... */
  modes: Map<string, string>;
  /** The committed (HEAD) text of a file (absolute path), or null when it is not in HEAD or outside the work tree. */
  headText(file: string): string | null;
}

function git(cwd: string, args: string[]): Buffer | null {
  try {
    return execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } });
  } catch {
    return null;
  }
}

/** Null when the directory is not inside a git work tree or git cannot run: git-based advice is then skipped silently. */
export function readGit(contextDir: string): GitInfo | null {
  const top = git(contextDir, ['rev-parse', '--show-toplevel']);
  if (!top) return null;
  const root = top.toString('utf8').trim();
  // -z: paths verbatim (no quoting); "." limits the listing to the context directory, paths stay relative to it
  const listing = git(contextDir, ['ls-files', '-s', '-z', '--', '.']);
  if (!listing) return null;
  const modes = new Map<string, string>();
  for (const rec of listing.toString('utf8').split('\0')) {
    const m = /^(\d{6}) [0-9a-f]+ \d+\t(.*)$/s.exec(rec);
    if (m) modes.set(m[2]!, m[1]!);
  }
  return {
    root,
    modes,
    headText(file) {
      let real: string;
      try {
        real = fs.realpathSync(file);
      } catch {
        return null;
      }
      const rel = path.relative(root, real);
      if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
      const out = git(root, ['show', `HEAD:${rel.split(path.sep).join('/')}`]);
      return out ? out.toString('utf8') : null;
    },
  };
}
