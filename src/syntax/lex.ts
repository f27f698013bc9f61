/**
 * The Dockerfile word processor: variable expansion, quote removal and word splitting with the
 * semantics of BuildKit's shell lexer (moby/buildkit frontend/dockerfile/shell/lex.go), which the
 * builder applies to the arguments of ADD, COPY, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, ...
 *
 * It is deliberately not a POSIX shell: BuildKit's quirks are reproduced on purpose (each one is
 * marked "BuildKit:" below), because a prediction must match what the real builder does.
 *
 * Docker 20.10's built-in BuildKit is older: it knows only `${v:-w}`, `${v:+w}`, `${v:?w}` and
 * `${v?w}`, and fails every other modifier with "missing ':' in substitution" (checked with the
 * real builder; see __tests__/syntax/lex-docker2010.ts). The default is current BuildKit;
 * `dialect: 'docker-20.10'` predicts that older builder.
 *
 * Known divergence: the newest lex.go we read (EnvGetter API) shares one word buffer between nested processStopOn calls,
 * so its ProcessWords drops text before a `${v:-w}` / `${v/p/r}` operand (`a${X:-b}c` gives
 * ["bc"]). We keep each level's words separate (["abc"]), as every earlier BuildKit did.
 */

/** Looks a variable up: its value, or undefined when it is unset (an empty value is "set"). */
export type EnvLookup = (name: string) => string | undefined;

export interface LexOptions {
  /** The `# escape=` token. Default `\`. */
  escapeToken?: '\\' | '`';
  /** Keep quote characters in the result (BuildKit `Lex.RawQuotes`). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result (BuildKit `Lex.RawEscapes`). */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (BuildKit `Lex.SkipProcessQuotes`, used for heredocs). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written (BuildKit `Lex.SkipUnsetEnv`). */
  skipUnsetEnv?: boolean;
  /**
   * Which builder's modifiers: current BuildKit (default), or Docker 20.10 (only `:-` `:+` `:?`
   * `?`; its built-in BuildKit frontend and its classic builder behave the same).
   */
  dialect?: 'buildkit' | 'docker-20.10';
}

/** What went wrong, as a stable key for diagnostics. */
export type ExpansionErrorKind =
  | 'missing-brace' // `${` never closed
  | 'missing-slash' // `${v/pattern` without the second `/`
  | 'bad-substitution' // `${}`, `${{...`, `${:...`
  | 'unsupported-modifier' // `${v:=x}`, `${v:#x}`, `${v.}`, ...
  | 'unterminated-quote'
  | 'required-variable' // `${v?msg}` / `${v:?msg}` with v unset (or empty)
  | 'invalid-pattern'; // a bad escape in a `#`, `%` or `/` pattern

export class ExpansionError extends Error {
  /** The word being processed, as written. */
  readonly word: string;
  /** The reason alone, without the `failed to process "<word>": ` prefix. */
  readonly reason: string;
  readonly kind: ExpansionErrorKind;

  constructor(word: string, reason: string, kind: ExpansionErrorKind) {
    // Same shape as BuildKit's message, so users recognise what `docker build` would print.
    super(`failed to process ${goQuote(word)}: ${reason}`);
    this.name = 'ExpansionError';
    this.word = word;
    this.reason = reason;
    this.kind = kind;
  }
}

export interface ProcessResult {
  value: string;
  /** Variables referenced that had a value. */
  matched: Set<string>;
  /** Variables referenced that were unset. */
  unmatched: Set<string>;
  /** The result split into words (BuildKit `ProcessWords`): quoted text is never split. */
  words: string[];
}

/** One word: quotes removed, variables expanded (BuildKit `ProcessWord`). */
export function processWord(word: string, env: EnvLookup, opts?: LexOptions): string {
  return run(word, env, opts).value;
}

/** Like processWord, and also which variable names were found set and unset. */
export function processWordWithMatches(word: string, env: EnvLookup, opts?: LexOptions): ProcessResult {
  return run(word, env, opts);
}

/**
 * Expands, then splits on unquoted whitespace (BuildKit `ProcessWords`). Whitespace that comes from
 * a variable's value splits too, unless the variable was inside double quotes. Empty words vanish,
 * even quoted ones (`'' a` gives ["a"]).
 */
export function processWords(word: string, env: EnvLookup, opts?: LexOptions): string[] {
  return run(word, env, opts).words;
}

/**
 * An EnvLookup over `K=V` strings (a `K` without `=` is set to ""), a record, or a map.
 * With strings, the last assignment of a name wins, as in BuildKit `EnvsFromSlice`.
 */
export function envLookup(env: Iterable<string> | Record<string, string> | ReadonlyMap<string, string>): EnvLookup {
  const map = new Map<string, string>();
  if (isMap(env)) {
    for (const [k, v] of env) map.set(k, v);
  } else if (isIterable(env)) {
    for (const entry of env) {
      const eq = entry.indexOf('=');
      if (eq < 0) map.set(entry, '');
      else map.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
  } else {
    for (const k of Object.keys(env)) map.set(k, env[k] as string);
  }
  return (name) => map.get(name);
}

function isMap(x: unknown): x is ReadonlyMap<string, string> {
  return x instanceof Map;
}

function isIterable(x: unknown): x is Iterable<string> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x;
}

// ---------------------------------------------------------------------------------------------

const EOF = '';

/** Thrown inside the scanner; turned into an ExpansionError (with the word) at the top. */
class LexFailure {
  constructor(
    readonly reason: string,
    readonly kind: ExpansionErrorKind,
  ) {}
}

function run(word: string, env: EnvLookup, opts: LexOptions = {}): ProcessResult {
  const lexer = new WordLexer(word, env, opts);
  try {
    const { text, words } = lexer.processStopOn(EOF, opts.rawEscapes ?? false);
    return { value: text, words, matched: lexer.matched, unmatched: lexer.unmatched };
  } catch (e) {
    if (e instanceof LexFailure) throw new ExpansionError(word, e.reason, e.kind);
    throw e;
  }
}

/** Accumulates ProcessWords output. Mirrors BuildKit's wordsStruct, quirks included. */
class WordSplitter {
  readonly words: string[] = [];
  private current = '';
  private inWord = false;

  /** A character that may split: whitespace ends the current word. */
  addChar(ch: string): void {
    if (isSpace(ch)) {
      // BuildKit: a word started by an empty quoted string ("") is never flushed here,
      // because only a non-empty buffer is pushed; inWord stays true.
      if (this.inWord && this.current.length > 0) {
        this.words.push(this.current);
        this.current = '';
        this.inWord = false;
      }
    } else {
      this.addRawChar(ch);
    }
  }

  addRawChar(ch: string): void {
    this.current += ch;
    this.inWord = true;
  }

  /** Expanded text: its whitespace splits. */
  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  /** Quoted text: never splits. */
  addRawString(s: string): void {
    this.current += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.current.length > 0) {
      this.words.push(this.current);
      this.current = '';
      this.inWord = false;
    }
    return this.words;
  }
}

class WordLexer {
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  /** The word as code points, so `?` and name characters work on whole characters. */
  private readonly chars: string[];
  private pos = 0;
  private readonly escape: string;
  private rawEscapes: boolean;

  constructor(
    word: string,
    private readonly env: EnvLookup,
    private readonly opts: LexOptions,
  ) {
    this.chars = Array.from(word);
    this.escape = opts.escapeToken ?? '\\';
    this.rawEscapes = opts.rawEscapes ?? false;
  }

  private peek(): string {
    return this.chars[this.pos] ?? EOF;
  }

  private next(): string {
    const ch = this.chars[this.pos] ?? EOF;
    if (ch !== EOF) this.pos++;
    return ch;
  }

  /** Processes up to stopChar (consumed) or the end of the word. */
  processStopOn(stopChar: string, rawEscapes: boolean): { text: string; words: string[] } {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      return this.processStopOnInner(stopChar);
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processStopOnInner(stopChar: string): { text: string; words: string[] } {
    let text = '';
    const words = new WordSplitter();
    const quotes = !this.opts.skipProcessQuotes;

    while (this.peek() !== EOF) {
      let ch = this.peek();
      if (stopChar !== EOF && ch === stopChar) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.processDollar();
        text += value;
        words.addString(value);
      } else if (quotes && (ch === "'" || ch === '"')) {
        const value = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
        text += value;
        words.addRawString(value);
      } else {
        ch = this.next();
        if (ch === this.escape) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            text += ch;
          }
          ch = this.next();
          // An escape at the very end of the word is dropped.
          if (ch === EOF) break;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        text += ch;
      }
    }
    if (stopChar !== EOF) {
      throw new LexFailure(`unexpected end of statement while looking for matching ${stopChar}`, 'missing-brace');
    }
    return { text, words: words.finish() };
  }

  /** `'...'`: everything literal, no escapes at all. */
  private processSingleQuote(): string {
    let out = '';
    const open = this.next();
    if (this.opts.rawQuotes) out += open;
    for (;;) {
      const ch = this.next();
      if (ch === EOF) {
        throw new LexFailure('unexpected end of statement while looking for matching single-quote', 'unterminated-quote');
      }
      if (ch === "'") {
        if (this.opts.rawQuotes) out += ch;
        return out;
      }
      out += ch;
    }
  }

  /** `"..."`: `$` expands; the escape token escapes only `"`, `$` and itself, else stays. */
  private processDoubleQuote(): string {
    let out = '';
    const open = this.next();
    if (this.opts.rawQuotes) out += open;
    for (;;) {
      const p = this.peek();
      if (p === EOF) {
        throw new LexFailure('unexpected end of statement while looking for matching double-quote', 'unterminated-quote');
      }
      if (p === '"') {
        const close = this.next();
        if (this.opts.rawQuotes) out += close;
        return out;
      }
      if (p === '$') {
        out += this.processDollar();
        continue;
      }
      let ch = this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) out += ch;
        const after = this.peek();
        // Escape at the end: the loop reports the missing quote next.
        if (after === EOF) continue;
        if (after === '"' || after === '$' || after === this.escape) ch = this.next();
        // BuildKit: otherwise the escape itself is written (a second time with rawEscapes).
      }
      out += ch;
    }
  }

  private processDollar(): string {
    this.next(); // the `$`

    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv) return '$' + name;
      return value ?? '';
    }

    this.next(); // the `{`
    const first = this.peek();
    if (first === EOF) throw new LexFailure("syntax error: missing '}'", 'missing-brace');
    if (first === '{' || first === '}' || first === ':') {
      throw new LexFailure('syntax error: bad substitution', 'bad-substitution');
    }
    const name = this.processName();
    let ch = this.next();

    if (ch === '}') {
      const value = this.getEnv(name);
      if (value === undefined && this.opts.skipUnsetEnv) return '${' + name + '}';
      return value ?? '';
    }

    if (this.opts.dialect === 'docker-20.10') return this.processModifier2010(name, ch);

    // BuildKit reports "unsupported modifier (\uFFFD)" here; a missing brace is what it means.
    if (ch === EOF) throw new LexFailure("syntax error: missing '}'", 'missing-brace');
    let modifier = ch;

    if (ch === '/') return this.processReplace(name);

    let nullIsUnset = false;
    if (ch === ':') {
      nullIsUnset = true;
      ch = this.next();
      modifier += ch;
      // BuildKit: whatever follows the `:` is taken as the operator (so `${v:/a/b}` is `:/`).
    } else if (!'+-?#%'.includes(ch)) {
      throw unsupported(modifier);
    }

    const trims = ch === '#' || ch === '%';
    if (nullIsUnset && trims) throw unsupported(modifier);

    // The operand may contain quotes, escapes and nested expansions. Patterns keep their escapes
    // so that `\*` stays a literal star for the glob matcher.
    let operand: string;
    try {
      operand = this.processStopOn('}', trims).text;
    } catch (e) {
      throw this.atEndMeansMissing(e, "syntax error: missing '}'", 'missing-brace');
    }

    const value = this.getEnv(name);
    if (value === undefined && this.opts.skipUnsetEnv) return '${' + name + modifier + operand + '}';
    const basic = basicModifier(ch, name, value, nullIsUnset, operand);
    if (basic !== undefined) return basic;

    switch (ch) {
      case '#':
      case '%': {
        // `##` / `%%`: longest match; `#` / `%`: shortest.
        const greedy = operand.startsWith(ch);
        const pattern = greedy ? operand.slice(1) : operand;
        return ch === '#' ? trimPrefix(pattern, value ?? '', greedy) : trimSuffix(pattern, value ?? '', greedy);
      }
      default:
        throw unsupported(modifier);
    }
  }

  /**
   * Docker 20.10's lexer (seen with the real builder): only `:-`, `:+`, `:?` and `?`. The operand
   * is read before an unknown `:x` is rejected; anything else after the name is
   * "missing ':' in substitution".
   */
  private processModifier2010(name: string, ch: string): string {
    let op = ch;
    const nullIsUnset = ch === ':';
    if (nullIsUnset) op = this.next();
    else if (ch !== '?') throw new LexFailure("missing ':' in substitution", 'unsupported-modifier');

    let operand: string;
    try {
      operand = this.processStopOn('}', false).text;
    } catch (e) {
      throw this.atEndMeansMissing(e, "syntax error: missing '}'", 'missing-brace');
    }
    const value = this.getEnv(name);
    if (value === undefined && this.opts.skipUnsetEnv) return '${' + name + (nullIsUnset ? ':' : '') + op + operand + '}';
    const basic = basicModifier(op, name, value, nullIsUnset, operand);
    if (basic === undefined) throw unsupported(op);
    return basic;
  }

  /** `${name/pattern/replacement}` (first match) and `${name//pattern/replacement}` (all). */
  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();

    let pattern: string;
    try {
      pattern = this.processStopOn('/', true).text;
    } catch (e) {
      throw this.atEndMeansMissing(e, "syntax error: missing '/' in ${}", 'missing-slash');
    }
    let replacement: string;
    try {
      replacement = this.processStopOn('}', true).text;
    } catch (e) {
      throw this.atEndMeansMissing(e, "syntax error: missing '}'", 'missing-brace');
    }

    const found = this.getEnv(name);
    // BuildKit drops the second `/` of `//` here; kept as is.
    if (found === undefined && this.opts.skipUnsetEnv) return '${' + name + '/' + pattern + '/' + replacement + '}';
    const value = found ?? '';

    const re = patternToRegExp(pattern, true, false);
    if (!all) {
      const m = re.exec(value);
      if (!m) return value;
      return value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length);
    }
    return replaceAllLikeGo(re, value, replacement);
  }

  /** A failure while reading an operand at the end of the word is reported as the missing delimiter. */
  private atEndMeansMissing(e: unknown, reason: string, kind: ExpansionErrorKind): unknown {
    if (e instanceof LexFailure && this.peek() === EOF) return new LexFailure(reason, kind);
    return e;
  }

  /**
   * A name: letters, digits and `_` (Unicode letters and digits count). A leading digit reads a run
   * of digits only (`$10x` is `$10` then `x`); a special parameter (`@ * # ? - $ ! 0`) is one char.
   */
  private processName(): string {
    let name = '';
    for (;;) {
      const ch = this.peek();
      if (ch === EOF) return name;
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += this.next();
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) return this.next();
      if (!isLetter(ch) && !isDigit(ch) && ch !== '_') return name;
      name += this.next();
    }
  }

  private getEnv(name: string): string | undefined {
    const value = this.env(name);
    if (value === undefined) this.unmatched.add(name);
    else this.matched.add(name);
    return value;
  }
}

const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

function unsupported(modifier: string): LexFailure {
  return new LexFailure(`unsupported modifier (${modifier}) in substitution`, 'unsupported-modifier');
}

function required(name: string, message: string): LexFailure {
  return new LexFailure(`${name}: ${message}`, 'required-variable');
}

const LETTER = /^\p{L}$/u;
const DIGIT = /^\p{Nd}$/u;

function isLetter(ch: string): boolean {
  return LETTER.test(ch);
}

function isDigit(ch: string): boolean {
  return DIGIT.test(ch);
}

/** Go's unicode.IsSpace (differs from JS `\s`: has U+0085, lacks U+FEFF). */
function isSpace(ch: string): boolean {
  switch (ch) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case '\u0085':
    case '\u00a0':
    case '\u1680':
    case '\u2028':
    case '\u2029':
    case '\u202f':
    case '\u205f':
    case '\u3000':
      return true;
    default:
      return ch >= '\u2000' && ch <= '\u200a';
  }
}

// ---------------------------------------------------------------------------------------------
// Patterns of `#`, `%` and `/`: `*` (any run), `?` (one character), `\` escapes `*`, `?` and `\`.
// No bracket expressions: `[` and `]` are literal. A `\` before `}` or `/` only protected that
// character from the `${...}` scanner and is dropped. The escape here is always `\`, whatever the
// `# escape=` token (BuildKit hard-codes it). Everything else is literal.

// Go's `.` (the regexp BuildKit builds) matches any character but `\n`, unlike JS's `.`.
const ANY = '[^\\n]';

function patternToRegExp(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let src = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '*') {
      src += greedy ? `${ANY}*` : `${ANY}*?`;
    } else if (ch === '?') {
      src += ANY;
    } else if (ch === '\\') {
      const after = chars[i + 1];
      if (after === '}' || after === '/') continue;
      if (after !== '*' && after !== '?' && after !== '\\') {
        const shown = after === undefined ? '' : after;
        throw new LexFailure(`invalid pattern (${pattern}) in substitution: invalid escape '\\${shown}'`, 'invalid-pattern');
      }
      src += '\\' + after;
      i++;
    } else {
      src += escapeRegExpChar(ch);
    }
  }
  // 'u': match whole code points, as Go matches runes.
  return new RegExp(src, 'u');
}

function escapeRegExpChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? '\\' + ch : ch;
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternToRegExp(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/**
 * Shortest/longest suffix: regexps find leftmost matches, so reverse the value and the pattern
 * (keeping each `\x` pair in order) and trim a prefix, as BuildKit does.
 */
function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

function reverse(s: string): string {
  return Array.from(s).reverse().join('');
}

function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = [];
  for (let i = 0; i < chars.length; ) {
    const ch = chars[i] as string;
    if (ch === '\\' && i !== chars.length - 1) {
      out.push(ch + (chars[i + 1] as string));
      i += 2;
    } else {
      out.push(ch);
      i++;
    }
  }
  return out.reverse().join('');
}

/**
 * Go's Regexp.ReplaceAllString: an empty match right after a previous match is not replaced
 * (JS would replace it), and `$0`/`${0}` in the replacement insert the match, `$$` is a `$`,
 * other references insert nothing (the regexp has no groups), a malformed `$` stays literal.
 */
function replaceAllLikeGo(re: RegExp, src: string, template: string): string {
  const global = new RegExp(re.source, 'gu');
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    global.lastIndex = searchPos;
    const m = global.exec(src);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(template, m[0]);
    lastMatchEnd = end;
    const cp = src.codePointAt(searchPos);
    const width = cp === undefined ? 1 : cp > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);
}

function expandTemplate(template: string, match: string): string {
  let out = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) return out + rest;
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u.exec(rest);
    if (!ref) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref[0].length);
    if ((ref[1] ?? ref[2]) === '0') out += match;
  }
}

/** Go's %q, enough for error messages: printable characters stay, others are escaped. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

/** `-`, `+` and `?`, the modifiers both dialects share; undefined for any other. */
function basicModifier(op: string, name: string, value: string | undefined, nullIsUnset: boolean, operand: string): string | undefined {
  const empty = value === undefined || (nullIsUnset && value === '');
  switch (op) {
    case '-':
      return empty ? operand : (value ?? '');
    case '+':
      return empty ? '' : operand;
    case '?':
      if (value === undefined) throw required(name, operand || 'is not allowed to be unset');
      if (nullIsUnset && value === '') throw required(name, operand || 'is not allowed to be empty');
      return value;
    default:
      return undefined;
  }
}
