/**
 * Word-level helpers that follow BuildKit's Dockerfile parser (frontend/dockerfile/parser:
 * split_command.go, line_parsers.go). Every helper reports offsets into the logical line so
 * callers can turn them into source ranges.
 */

/** Go's unicode.IsSpace for the characters that can appear in a Dockerfile line. */
export function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\v' || ch === '\f' || ch === '\r' || ch === '\u0085' || ch === '\u00a0');
}

/** BuildKit's reWhitespace / tokenWhitespace: `[\t\v\f\r ]+`. */
const TOKEN_WS = /[\t\v\f\r ]/;

export interface Span {
  text: string;
  /** Offset of the first character in the logical line. */
  start: number;
  /** Offset just past the last character. */
  end: number;
}

export interface SplitCommand {
  /** The keyword as written. */
  keyword: Span;
  /** Leading `--flags`, quotes removed and `\` escapes applied (extractBuilderFlags). */
  flags: Span[];
  /** The rest after the flags, with surrounding whitespace trimmed. */
  rest: Span;
}

/**
 * splitCommand: the keyword is the first run of non-whitespace, flags are the following words
 * starting with `--`, and the rest is everything after them. `base` is the offset of `line`
 * inside the logical line (ONBUILD triggers are split from the middle of a line).
 */
export function splitCommand(line: string, base = 0): SplitCommand {
  let i = 0;
  while (i < line.length && isSpace(line[i])) i++;
  let end = line.length;
  while (end > i && isSpace(line[end - 1])) end--;
  const kwStart = i;
  while (i < end && !TOKEN_WS.test(line[i]!)) i++;
  const keyword: Span = { text: line.slice(kwStart, i), start: base + kwStart, end: base + i };
  while (i < end && TOKEN_WS.test(line[i]!)) i++;
  const { flags, restStart } = extractBuilderFlags(line.slice(0, end), i, base);
  let rs = restStart;
  while (rs < end && isSpace(line[rs])) rs++;
  return { keyword, flags, rest: { text: line.slice(rs, end), start: base + rs, end: base + Math.max(rs, end) } };
}

/**
 * extractBuilderFlags: words beginning with `--` before the arguments. Inside a flag word,
 * quotes are removed and `\` escapes the next character (always `\`, whatever the escape
 * directive says: BuildKit hard-codes it here). A bare `--` ends the flags.
 */
function extractBuilderFlags(line: string, from: number, base: number): { flags: Span[]; restStart: number } {
  const flags: Span[] = [];
  let pos = from;
  for (;;) {
    while (pos < line.length && isSpace(line[pos])) pos++;
    if (pos >= line.length) return { flags, restStart: line.length };
    if (!(line[pos] === '-' && line[pos + 1] === '-')) return { flags, restStart: pos };
    const start = pos;
    let word = '';
    let quote: string | null = null;
    let blankOK = false;
    for (; pos < line.length; pos++) {
      const ch = line[pos]!;
      if (quote === null) {
        if (isSpace(ch)) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOK = true;
          continue;
        }
      } else if (ch === quote) {
        quote = null;
        continue;
      }
      if (ch === '\\') {
        if (pos + 1 === line.length) continue;
        pos++;
        word += line[pos];
        continue;
      }
      word += ch;
    }
    if (word === '--') {
      // `--` ends the flags; the rest starts after it.
      return { flags, restStart: pos };
    }
    if (blankOK || word.length > 0) flags.push({ text: word, start: base + start, end: base + pos });
  }
}

/**
 * parseWords: words separated by whitespace, quotes and escapes kept as written (they are
 * removed later by the expander). Used by ENV, LABEL and ARG.
 */
export function parseWords(rest: string, escapeToken: string, base = 0): Span[] {
  const words: Span[] = [];
  let pos = 0;
  while (pos < rest.length) {
    while (pos < rest.length && isSpace(rest[pos])) pos++;
    if (pos >= rest.length) break;
    const start = pos;
    let word = '';
    let quote: string | null = null;
    let blankOK = false;
    for (; pos < rest.length; pos++) {
      const ch = rest[pos]!;
      if (quote === null) {
        if (isSpace(ch)) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOK = true;
        } else if (ch === escapeToken) {
          // An escape at the very end of the line is dropped; otherwise it and the next char are kept.
          if (pos + 1 === rest.length) continue;
          word += ch;
          pos++;
          word += rest[pos];
          continue;
        }
        word += ch;
      } else {
        if (ch === quote) quote = null;
        else if (ch === escapeToken && quote !== "'") {
          if (pos + 1 === rest.length) {
            quote = null;
            continue;
          }
          word += ch;
          pos++;
          word += rest[pos];
          continue;
        }
        word += ch;
      }
    }
    if (blankOK || word.length > 0) words.push({ text: word, start: base + start, end: base + pos });
  }
  return words;
}

/** parseStringsWhitespaceDelimited: split on `[\t\v\f\r ]+`, quotes not special. */
export function splitWhitespace(rest: string, base = 0): Span[] {
  const out: Span[] = [];
  const re = /[^\t\v\f\r ]+/g;
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    out.push({ text: m[0], start: base + m.index, end: base + m.index + m[0].length });
  }
  return out;
}

export type JsonResult =
  | { kind: 'json'; values: string[] }
  | { kind: 'not-json' }
  /** A JSON array with a non-string element: BuildKit rejects it instead of falling back. */
  | { kind: 'not-strings' };

/**
 * parseJSON: the rest is exec form when it starts with a JSON array of strings. Invalid JSON (a
 * trailing comma, single quotes, a bare backslash) is shell form. Like Go's json.Decoder, only the
 * first JSON value is read: text after the array's `]` is ignored (recorded: exec-r10-run-json-edge,
 * `RUN ["true"] && echo ok > /x` runs only `true`).
 */
export function parseJson(rest: string): JsonResult {
  const trimmed = rest.replace(/^\s+/, '');
  if (!trimmed.startsWith('[')) return { kind: 'not-json' };
  const end = firstJsonValueEnd(trimmed);
  if (end < 0) return { kind: 'not-json' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed.slice(0, end));
  } catch {
    return { kind: 'not-json' };
  }
  if (!Array.isArray(value)) return { kind: 'not-json' };
  if (!value.every((v): v is string => typeof v === 'string')) return { kind: 'not-strings' };
  return { kind: 'json', values: value };
}

/** Where the JSON array that `text` starts with ends (after its `]`), or -1 if it never closes. */
function firstJsonValueEnd(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

/** Go's strconv.Atoi: optional sign and decimal digits. */
export function isGoInt(s: string): boolean {
  return /^[+-]?\d+$/.test(s);
}
