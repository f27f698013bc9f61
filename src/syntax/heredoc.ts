/**
 * Heredoc markers (`<<EOF`, `<<-EOF`, `3<<"EOF"`) as BuildKit finds them: the logical line is
 * split into shell-like words (quotes and escapes kept), and each whole word matching
 * `^(\d*)<<(-?)([^<]*)$` opens a heredoc (parser.go heredocsFromLine / heredocFromMatch).
 */
import { isSpace, type Span } from './words.js';

export interface HeredocMarker {
  name: string;
  expand: boolean;
  stripTabs: boolean;
  /** Where the `<<WORD` word sits in the logical line. */
  span: Span;
}

const HEREDOC_WORD = /^(\d*)<<(-?)([^<]*)$/;

/** Shell-like words: whitespace separates, quotes group, `\` escapes; everything kept raw. */
function rawWords(line: string, base: number): Span[] {
  const words: Span[] = [];
  let pos = 0;
  while (pos < line.length) {
    while (pos < line.length && isSpace(line[pos])) pos++;
    if (pos >= line.length) break;
    const start = pos;
    let quote: string | null = null;
    for (; pos < line.length; pos++) {
      const ch = line[pos]!;
      if (quote === null && isSpace(ch)) break;
      if (ch === '\\' && quote !== "'") {
        pos++;
        continue;
      }
      if (quote === null && (ch === "'" || ch === '"')) quote = ch;
      else if (ch === quote) quote = null;
    }
    words.push({ text: line.slice(start, Math.min(pos, line.length)), start: base + start, end: base + Math.min(pos, line.length) });
  }
  return words;
}

/** The delimiter with quotes removed and escapes applied, and whether any part was quoted. */
function unquote(word: string): { name: string; quoted: boolean } {
  let name = '';
  let quoted = false;
  let quote: string | null = null;
  for (let i = 0; i < word.length; i++) {
    const ch = word[i]!;
    if (quote === "'") {
      if (ch === "'") quote = null;
      else name += ch;
      continue;
    }
    if (ch === '\\' && i + 1 < word.length) {
      name += word[++i];
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = null;
      else name += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      quoted = true;
      continue;
    }
    name += ch;
  }
  return { name, quoted };
}

export function parseHeredocWord(word: string): { name: string; expand: boolean; stripTabs: boolean } | null {
  const m = HEREDOC_WORD.exec(word);
  if (!m || m[3] === undefined || m[3] === '') return null;
  const { name, quoted } = unquote(m[3]);
  if (name === '') return null;
  return { name, expand: !quoted, stripTabs: m[2] === '-' };
}

/** Every heredoc opened on a logical line, in order. */
export function heredocMarkers(line: string, base = 0): HeredocMarker[] {
  const out: HeredocMarker[] = [];
  if (!line.includes('<<')) return out;
  for (const w of rawWords(line, base)) {
    const h = parseHeredocWord(w.text);
    if (h) out.push({ ...h, span: w });
  }
  return out;
}
