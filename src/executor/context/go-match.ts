/**
 * A port of Go's `path/filepath.Match` (Unix flavour, Go ≥ 1.16 error rules), which is what
 * Docker uses for COPY/ADD source wildcards. npm globbers differ from it (dot-files, `[!a]`,
 * `**`, braces, and `a[` being an error), so we carry our own.
 *
 * Works on code points: Go compares literal bytes one by one and decodes one rune for `?` and
 * `[...]`; for valid UTF-8 that is the same as comparing code points.
 */

/** Go's `filepath.ErrBadPattern`. */
export class BadPatternError extends Error {
  constructor(readonly pattern: string) {
    super('syntax error in pattern');
    this.name = 'BadPatternError';
  }
}

const SEP = 0x2f; // '/'
const STAR = 0x2a;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const QUESTION = 0x3f;
const CARET = 0x5e;
const DASH = 0x2d;

type CodePoints = number[];

function toCodePoints(s: string): CodePoints {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/**
 * Reports whether `name` matches the shell pattern `pattern` as a whole (`*` and `?` never match '/').
 * Throws BadPatternError for a malformed pattern, even when the name would not match anyway.
 */
export function goMatch(pattern: string, name: string): boolean {
  const p = toCodePoints(pattern);
  const n = toCodePoints(name);
  const bad = (): never => {
    throw new BadPatternError(pattern);
  };
  let pi = 0;
  let ni = 0;
  patternLoop: while (pi < p.length) {
    const { star, chunkStart, chunkEnd } = scanChunk(p, pi);
    pi = chunkEnd;
    if (star && chunkStart === chunkEnd) {
      // A trailing '*' matches the rest of the name unless it contains a separator.
      return !n.slice(ni).includes(SEP);
    }
    let r = matchChunk(p, chunkStart, chunkEnd, n, ni);
    // The last chunk must consume the whole name; otherwise a star may still find a later position.
    if (r.ok && (r.rest === n.length || pi < p.length)) {
      ni = r.rest;
      continue;
    }
    if (r.bad) bad();
    if (star) {
      // Let the star eat i+1 characters, never a separator.
      for (let i = ni; i < n.length && n[i] !== SEP; i++) {
        r = matchChunk(p, chunkStart, chunkEnd, n, i + 1);
        if (r.ok) {
          if (pi === p.length && r.rest < n.length) continue;
          ni = r.rest;
          continue patternLoop;
        }
        if (r.bad) bad();
      }
    }
    // No match; Go still reports a syntax error anywhere in the rest of the pattern.
    while (pi < p.length) {
      const next = scanChunk(p, pi);
      pi = next.chunkEnd;
      if (matchChunk(p, next.chunkStart, next.chunkEnd, n, n.length).bad) bad();
    }
    return false;
  }
  return ni === n.length;
}

/** Splits off the next chunk: optional leading stars, then everything up to the next star outside a class. */
function scanChunk(p: CodePoints, start: number): { star: boolean; chunkStart: number; chunkEnd: number } {
  let i = start;
  let star = false;
  while (i < p.length && p[i] === STAR) {
    i++;
    star = true;
  }
  const chunkStart = i;
  let inRange = false;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case BACKSLASH:
        // A dangling backslash is reported by matchChunk.
        if (i + 1 < p.length) i++;
        break;
      case LBRACKET:
        inRange = true;
        break;
      case RBRACKET:
        inRange = false;
        break;
      case STAR:
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunkStart, chunkEnd: i };
}

interface ChunkResult {
  ok: boolean;
  rest: number;
  bad: boolean;
}

/**
 * Matches the chunk p[cs, ce) against the start of n[ni..]. Like Go, it keeps parsing after a
 * mismatch (`failed`) so that a malformed class later in the chunk is still an error.
 */
function matchChunk(p: CodePoints, cs: number, ce: number, n: CodePoints, ni: number): ChunkResult {
  let failed = false;
  let i = cs;
  let s = ni;
  const badResult: ChunkResult = { ok: false, rest: ni, bad: true };
  while (i < ce) {
    if (!failed && s >= n.length) failed = true;
    const c = p[i]!;
    if (c === LBRACKET) {
      let r = 0;
      if (!failed) r = n[s++]!;
      i++;
      let negated = false;
      if (i < ce && p[i] === CARET) {
        negated = true;
        i++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (i < ce && p[i] === RBRACKET && nrange > 0) {
          i++;
          break;
        }
        const lo = getEsc(p, i, ce);
        if (!lo) return badResult;
        i = lo.next;
        let hi = lo.r;
        if (p[i] === DASH) {
          const h = getEsc(p, i + 1, ce);
          if (!h) return badResult;
          hi = h.r;
          i = h.next;
        }
        if (lo.r <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === QUESTION) {
      if (!failed) {
        if (n[s] === SEP) failed = true;
        s++;
      }
      i++;
    } else {
      if (c === BACKSLASH) {
        i++;
        if (i >= ce) return badResult;
      }
      if (!failed) {
        if (p[i] !== n[s]) failed = true;
        s++;
      }
      i++;
    }
  }
  if (failed) return { ok: false, rest: ni, bad: false };
  return { ok: true, rest: s, bad: false };
}

/** A possibly escaped character inside a class; undefined where Go returns ErrBadPattern. */
function getEsc(p: CodePoints, i: number, ce: number): { r: number; next: number } | undefined {
  if (i >= ce || p[i] === DASH || p[i] === RBRACKET) return undefined;
  if (p[i] === BACKSLASH) {
    i++;
    if (i >= ce) return undefined;
  }
  const r = p[i]!;
  const next = i + 1;
  // A class cannot end right after a character: it still needs its ']'.
  if (next >= ce) return undefined;
  return { r, next };
}

/**
 * Whether a COPY/ADD source contains wildcard characters, as BuildKit's `containsWildcards`
 * decides it: `*`, `?` or `[`, where a backslash hides the next character.
 */
export function hasWildcard(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}
