// Go's %q as Docker prints config values in history (src/executor/go-format.ts).
import { describe, expect, it } from '@jest/globals';
import { goQuote, goQuoteList } from '../../src/executor/go-format.js';

describe('goQuote (strconv.Quote)', () => {
  it('escapes what Go does not count as printable, as recorded in exec-r8-history-quoting', () => {
    expect(goQuoteList(['echo', 'a\u00a0b'])).toBe('["echo" "a\\u00a0b"]');
    expect(goQuoteList(['env', 'X=\u200b'])).toBe('["env" "X=\\u200b"]');
    expect(goQuoteList(['echo', 'a\u0001b\u007f'])).toBe('["echo" "a\\x01b\\x7f"]');
  });

  it('keeps letters, marks, symbols and the ASCII space; names the usual escapes', () => {
    expect(goQuote('é ü 日本 😀 ~')).toBe('"é ü 日本 😀 ~"');
    expect(goQuote('a\tb\n"c"\\')).toBe('"a\\tb\\n\\"c\\"\\\\"');
    expect(goQuote('\u{e0001}')).toBe('"\\U000e0001"');
  });
});
