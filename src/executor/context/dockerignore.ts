import fs from 'node:fs';
import path from 'node:path';
import balena from '@balena/dockerignore';
import type { Ignore } from '@balena/dockerignore';
import { DfsimError, error } from '../../diagnostics/diagnostic.js';

// The package's typings say `export default`, but at runtime it is `module.exports = factory`.
type IgnoreFactory = (options?: { ignorecase?: boolean }) => Ignore;
const dockerignore = ((balena as unknown as { default?: IgnoreFactory }).default ?? balena) as unknown as IgnoreFactory;

export type Builder = 'buildkit' | 'classic';

/**
 * Docker's reader for .dockerignore (moby/patternmatcher ignorefile.ReadAll, same in the Docker 20.10 CLI):
 * strip a UTF-8 BOM, skip lines starting with '#' at column 1, trim, split off '!', Clean, strip a leading '/'.
 * A bare '!' survives as "!" and is rejected by the matcher, like Docker does.
 */
export function parseDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = path.posix.normalize(pattern);
      if (pattern.length > 1 && pattern.endsWith('/')) pattern = pattern.slice(0, -1);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? '!' + pattern : pattern);
  }
  return patterns;
}

/**
 * Which ignore file applies. BuildKit (checked on Docker 20.10): `<Dockerfile-basename>.dockerignore`
 * next to the Dockerfile wins, and then the root `.dockerignore` is not read at all. The classic builder
 * only ever reads `<root>/.dockerignore` (checked on Docker 20.10 too).
 */
export function findDockerignore(root: string, dockerfile: string, builder: Builder): string | null {
  const candidates: string[] = [];
  if (builder === 'buildkit') {
    candidates.push(path.join(path.dirname(dockerfile), path.basename(dockerfile) + '.dockerignore'));
  }
  candidates.push(path.join(root, '.dockerignore'));
  for (const c of candidates) {
    try {
      if (fs.statSync(c).isFile()) return c;
    } catch {
      // missing: try the next one
    }
  }
  return null;
}

/** The matcher Docker applies to context paths: last matching pattern wins; a match on a parent dir counts. */
export class IgnoreMatcher {
  readonly patterns: readonly string[];
  /** True when some `!` pattern exists, so an excluded directory may still hold included paths. */
  readonly hasExceptions: boolean;
  private readonly ig: Ignore;
  private readonly exceptions: string[];

  /** @param source file name for error messages */
  constructor(patterns: string[], source = '.dockerignore') {
    this.patterns = patterns;
    for (const p of patterns) {
      if (p === '!') {
        throw new DfsimError(
          error('DF3002', `${source}: illegal exclusion pattern: "!"`, undefined, 'Remove the lone "!" line or add a path after it.'),
        );
      }
    }
    // Docker matches case-sensitively on Linux; the package defaults to ignoring case.
    this.ig = dockerignore({ ignorecase: false });
    // The package drops patterns starting with '#' (it re-checks for comments); Docker keeps " #x" as a
    // pattern once trimmed, and an escaped '#' means the same to both regex and filepath.Match.
    this.ig.add(patterns.map((p) => (p.startsWith('#') ? '\\' + p : p)));
    this.exceptions = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
    this.hasExceptions = this.exceptions.length > 0;
    try {
      // Rules compile lazily; one probe with a parent compiles them all, so bad patterns fail here.
      this.ig.ignores('probe/probe');
    } catch (e) {
      throw new DfsimError(
        error('DF3002', `${source}: invalid pattern: ${(e as Error).message}`, undefined, 'Fix the pattern syntax in the ignore file.'),
      );
    }
  }

  /** Whether a context-relative POSIX path (no leading './') is excluded, directly or via a parent. */
  ignores(rel: string): boolean {
    if (rel === '' || this.patterns.length === 0) return false;
    return this.ig.ignores(rel);
  }

  /**
   * Whether the walk must descend into the excluded directory `dirRel`: only when some `!` pattern,
   * taken literally, starts with `dirRel + '/'`. This is the literal prefix test of Docker 20.10's walkers
   * (fsutil for BuildKit, pkg/archive for classic). Checked with the real builder: after `node_modules`,
   * an exception with a wildcard before "/keep.js" re-included nothing, while `!node_modules/pkg/keep.js` did.
   */
  exceptionReaches(dirRel: string): boolean {
    const prefix = dirRel + '/';
    return this.exceptions.some((p) => (p + '/').startsWith(prefix));
  }
}
