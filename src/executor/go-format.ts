/**
 * Go's fmt verbs as Docker uses them in history `created_by` texts: both builders print config values
 * with %q (CMD ["a" "b"], HEALTHCHECK &{...}) or %v (SHELL [a b]).
 */

/** %q of a string slice: `["a" "b"]`. */
export function goQuoteList(list: string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/**
 * strconv.Quote: `\a \b \f \n \r \t \v \\ \"` by name, other characters Go does not count as printable
 * (controls, format characters, spaces other than U+0020) as \xNN, \uNNNN or \UNNNNNNNN (recorded:
 * exec-r8-history-quoting: a no-break space prints as \u00a0, U+0001 as \x01).
 */
export function goQuote(s: string): string {
  const named: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\', '"': '\\"' };
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (named[ch] !== undefined) out += named[ch];
    else if (ch === ' ' || /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += ch;
    else if (cp < 0x80) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** %v of a string slice: `[a b]`. */
export function goPrintList(list: string[]): string {
  return `[${list.join(' ')}]`;
}

/** time.Duration's String(): 0s, 500ms, 1.5s, 1m30s, 1h0m0s. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = BigInt(Math.round(Math.abs(ns)));
  const frac = (v: bigint, prec: number): [string, bigint] => {
    const p = 10n ** BigInt(prec);
    const f = v % p;
    return [f === 0n ? '' : `.${f.toString().padStart(prec, '0').replace(/0+$/, '')}`, v / p];
  };
  let out: string;
  if (u < 1_000_000_000n) {
    const [unit, prec] = u < 1000n ? ['ns', 0] : u < 1_000_000n ? ['µs', 3] : ['ms', 6];
    const [f, whole] = frac(u, prec as number);
    out = `${whole}${f}${unit}`;
  } else {
    const [f, seconds] = frac(u, 9);
    out = `${seconds % 60n}${f}s`;
    u = seconds / 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** %q of an integer: strconv.QuoteRune, e.g. 3 → '\x03', 65 → 'A'. */
export function goQuoteRune(n: number): string {
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 39: "\\'", 92: '\\\\' };
  if (named[n] !== undefined) return `'${named[n]}'`;
  if (n < 0x20 || n === 0x7f) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  if (n < 0x7f) return `'${String.fromCodePoint(n)}'`;
  if (n > 0x10ffff) return `'\\ufffd'`;
  return /\p{L}|\p{N}|\p{P}|\p{S}/u.test(String.fromCodePoint(n)) ? `'${String.fromCodePoint(n)}'` : n > 0xffff ? `'\\U${n.toString(16).padStart(8, '0')}'` : `'\\u${n.toString(16).padStart(4, '0')}'`;
}
