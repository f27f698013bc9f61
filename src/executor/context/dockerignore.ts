import fs from 'node:fs';
import path from 'node:path';
import { DfsimError, error } from '../../diagnostics/diagnostic.js';
import { goMatch } from './go-match.js';


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
      pattern = cleanPath(pattern);
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

interface CompiledPattern {
  /** Cleaned pattern without its '!'. */
  text: string;
  exclusion: boolean;
  dirCount: number;
  re: RegExp;
}

/**
 * Pattern → regexp exactly as Docker 20.10's pkg/fileutils does it: `*` and `?` stop at '/', `**` (with
 * an optional following '/') spans directories, a trailing `**` matches everything, '.' and '$' are
 * escaped, `\` escapes the next character, everything else (classes included) passes through.
 */
function compilePattern(p: string): RegExp {
  let re = '^';
  const chars = [...p];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i++;
        if (chars[i + 1] === '/') i++;
        re += i + 1 >= chars.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      // One code point, as Go's regexp counts; a surrogate pair is two UTF-16 units here.
      re += '(?:[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]|[^/])';
    } else if (ch === '.' || ch === '$') {
      re += '\\' + ch;
    } else if (ch === '\\') {
      if (i + 1 < chars.length) re += '\\' + chars[++i]!;
      else re += '\\\\';
    } else {
      re += ch;
    }
  }
  // No 'u' flag: its strict syntax rejects what Go's RE2 reads as literals (lone '{', '\\#').
  return new RegExp(re + '$');
}

/**
 * The matcher Docker 20.10 applies to context paths (pkg/fileutils PatternMatcher.Matches, used by both
 * BuildKit's fsutil walker and the classic client): the last matching pattern wins, and a pattern also
 * matches a path when it matches the path's leading directories, taking as many as the pattern has
 * segments. That parent rule counts `**` as one segment: checked with the real builder, `**` + `/foo`
 * then `!a/b/foo/x/keep` still sent a/b/foo/y (newer matchers, and @balena/dockerignore, exclude it),
 * so the matching is ours rather than that package's.
 */
export class IgnoreMatcher {
  readonly patterns: readonly string[];
  /** True when some `!` pattern exists, so an excluded directory may still hold included paths. */
  readonly hasExceptions: boolean;
  private readonly compiled: CompiledPattern[];

  /** @param source file name for error messages */
  constructor(patterns: string[], source = '.dockerignore') {
    this.patterns = patterns;
    const fail = (why: string, hint: string): DfsimError => new DfsimError(error('DF3002', `${source}: ${why}`, undefined, hint));
    this.compiled = [];
    for (const raw of patterns) {
      let p = raw.trim();
      if (p === '') continue;
      p = cleanPath(p);
      let exclusion = false;
      if (p.startsWith('!')) {
        if (p.length === 1) throw fail('illegal exclusion pattern: "!"', 'Remove the lone "!" line or add a path after it.');
        exclusion = true;
        p = p.slice(1);
      }
      // Docker checks the syntax with filepath.Match(pattern, ".").
      try {
        goMatch(p, '.');
      } catch {
        throw fail(`syntax error in pattern ${JSON.stringify(p)}`, 'Fix the pattern syntax in the ignore file.');
      }
      let re: RegExp;
      try {
        re = compilePattern(p);
      } catch (e) {
        throw fail(`invalid pattern ${JSON.stringify(p)}: ${(e as Error).message}`, 'Fix the pattern syntax in the ignore file.');
      }
      this.compiled.push({ text: p, exclusion, dirCount: p.split('/').length, re });
    }
    this.hasExceptions = this.compiled.some((c) => c.exclusion);
  }

  /** Whether a context-relative POSIX path (no leading './') is excluded, directly or via a parent. */
  ignores(rel: string): boolean {
    if (rel === '' || this.compiled.length === 0) return false;
    const slash = rel.lastIndexOf('/');
    const parentDirs = slash < 0 ? undefined : rel.slice(0, slash).split('/');
    let matched = false;
    for (const c of this.compiled) {
      let match = c.re.test(rel);
      if (!match && parentDirs && c.dirCount <= parentDirs.length) {
        match = c.re.test(parentDirs.slice(0, c.dirCount).join('/'));
      }
      if (match) matched = !c.exclusion;
    }
    return matched;
  }

  /**
   * Whether the walk must descend into the excluded directory `dirRel`: only when some `!` pattern,
   * taken literally, starts with `dirRel + '/'`. This is the literal prefix test of Docker 20.10's walkers
   * (fsutil for BuildKit, pkg/archive for classic). Checked with the real builder: after `node_modules`,
   * an exception with a wildcard before "/keep.js" re-included nothing, while `!node_modules/pkg/keep.js` did.
   */
  exceptionReaches(dirRel: string): boolean {
    const prefix = dirRel + '/';
    return this.compiled.some((c) => c.exclusion && (c.text + '/').startsWith(prefix));
  }
}

/** Go's filepath.Clean on a POSIX path. */
function cleanPath(p: string): string {
  const n = path.posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}
