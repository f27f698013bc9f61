import type { ExpansionErrorKind } from '../../src/syntax/lex.js';

/**
 * Case tables for src/syntax/lex.ts. Expected values are BuildKit's behaviour: ported from
 * BuildKit's own tests (frontend/dockerfile/shell/lex_test.go), derived from its rules
 * (lex.go + Go regexp semantics for patterns), and, where Docker 20.10's builder supports the
 * construct, checked against the real builder (each block says which).
 *
 * How cases were checked with the real builder: for each word, a Dockerfile
 * `FROM bb:latest` / `ENV K="v"` (the block's env) / `LABEL l0=<word>` was built with
 * DOCKER_BUILDKIT=1 (Docker 20.10.24) and the label read back with `docker image inspect`;
 * a failed build gave the error. Words with unquoted whitespace or ending in the escape
 * character cannot be written that way and were not checked.
 */

export interface LexCase {
  word: string;
  /** Expected processWord result. */
  value?: string;
  /** Expected error (processWord throws). */
  error?: ExpansionErrorKind;
  /** Expected text of the error's reason, when the case pins it. */
  reason?: string;
  /** Expected processWords result. */
  words?: string[];
  matched?: string[];
  unmatched?: string[];
}

export interface LexBlock {
  title: string;
  env: Record<string, string>;
  escape?: '\\' | '`';
  /** What was checked against Docker 20.10's builder for this block. */
  realBuilder: string;
  cases: LexCase[];
}

const BASE: Record<string, string> = {
  V: 'value',
  E: '',
  P: '/usr/local/bin/app.tar.gz',
  F: 'foo.bar.foo',
  AB: 'aXbXc',
  PWD: '/home',
};

export const BLOCKS: LexBlock[] = [
  {
    title: 'default values: ${v-w} ${v:-w}',
    env: BASE,
    realBuilder: '`:-` cases agree with Docker 20.10; 20.10 rejects `-` without colon ("missing \':\' in substitution").',
    cases: [
      { word: '${X-def}', value: 'def', unmatched: ['X'] },
      { word: '${E-def}', value: '', matched: ['E'] },
      { word: '${V-def}', value: 'value', matched: ['V'] },
      { word: '${X:-def}', value: 'def', unmatched: ['X'] },
      { word: '${E:-def}', value: 'def', matched: ['E'] },
      { word: '${V:-def}', value: 'value', matched: ['V'] },
      { word: '${E:-}', value: '' },
      { word: '${X:-}', value: '' },
      { word: 'a${X:-b}c', value: 'abc' },
      { word: '${X:-${Y:-${V}}}', value: 'value', matched: ['V'], unmatched: ['X', 'Y'] },
      { word: '${X:-a${V}b}', value: 'avalueb' },
      { word: '${X:-"a b"}', value: 'a b' },
      { word: "${X:-'$V'}", value: '$V' },
      { word: '${X:-\\}}', value: '}' },
      { word: '${X:-"}"}', value: '}' },
      { word: '${X:-a}b}', value: 'ab}' },
      { word: '${V:-${X}}', value: 'value', matched: ['V'], unmatched: ['X'] },
      { word: '${--x}', value: 'x', unmatched: ['-'] },
    ],
  },
  {
    title: 'alternative values: ${v+w} ${v:+w}',
    env: BASE,
    realBuilder: '`:+` cases agree with Docker 20.10; 20.10 rejects `+` without colon.',
    cases: [
      { word: '${X+alt}', value: '' },
      { word: '${E+alt}', value: 'alt' },
      { word: '${V+alt}', value: 'alt' },
      { word: '${X:+alt}', value: '' },
      { word: '${E:+alt}', value: '' },
      { word: '${V:+alt}', value: 'alt' },
      { word: '${V:+[$V]}', value: '[value]' },
      { word: 'x${X:+-$X}', value: 'x' },
      { word: 'x${V:+-$V}', value: 'x-value' },
    ],
  },
  {
    title: 'required values: ${v?msg} ${v:?msg}',
    env: BASE,
    realBuilder: 'all agree with Docker 20.10 (values and messages).',
    cases: [
      { word: '${X?}', error: 'required-variable', reason: 'X: is not allowed to be unset' },
      { word: '${X?custom}', error: 'required-variable', reason: 'X: custom' },
      { word: '${E?}', value: '' },
      { word: '${V?m}', value: 'value' },
      { word: '${X:?}', error: 'required-variable', reason: 'X: is not allowed to be unset' },
      { word: '${E:?}', error: 'required-variable', reason: 'E: is not allowed to be empty' },
      { word: '${E:?need-E}', error: 'required-variable', reason: 'E: need-E' },
      { word: '${V:?m}', value: 'value' },
      { word: '${X:?msg-$V}', error: 'required-variable', reason: 'X: msg-value' },
    ],
  },
  {
    title: 'prefix and suffix removal: ${v#p} ${v##p} ${v%p} ${v%%p}',
    env: { ...BASE, S: '*abc', B: '[ab]cd', N: 'a\nb', Q: 'a?c', R: 'a\rb' },
    realBuilder:
      'Docker 20.10 lacks these modifiers: every case fails with "missing \':\' in substitution" (`${V:#v}`: "unsupported modifier (#)"); see lex-docker2010.ts. Values follow current BuildKit (lex.go trimPrefix/trimSuffix).',
    cases: [
      { word: '${P#*/}', value: 'usr/local/bin/app.tar.gz' },
      { word: '${P##*/}', value: 'app.tar.gz' },
      { word: '${P%.*}', value: '/usr/local/bin/app.tar' },
      { word: '${P%%.*}', value: '/usr/local/bin/app' },
      { word: '${P%/*}', value: '/usr/local/bin' },
      { word: '${P%%/*}', value: '' },
      { word: '${P#/usr}', value: '/local/bin/app.tar.gz' },
      { word: '${P#nomatch}', value: '/usr/local/bin/app.tar.gz' },
      { word: '${P#?}', value: 'usr/local/bin/app.tar.gz' },
      { word: '${P%?}', value: '/usr/local/bin/app.tar.g' },
      { word: '${AB#*X}', value: 'bXc' },
      { word: '${AB##*X}', value: 'c' },
      { word: '${AB%X*}', value: 'aXb' },
      { word: '${AB%%X*}', value: 'a' },
      { word: '${AB#}', value: 'aXbXc' },
      { word: '${AB%%}', value: 'aXbXc' },
      { word: '${X#a}', value: '', unmatched: ['X'] },
      // No bracket expressions: `[` and `]` are literal.
      { word: '${B#[ab]}', value: 'cd' },
      { word: '${V#[v]}', value: 'value' },
      // `\*` is a literal star; `\?` a literal question mark.
      { word: '${S#\\*}', value: 'abc' },
      { word: '${Q%\\?c}', value: 'a' },
      { word: '${Q#a\\?}', value: 'c' },
      // Quotes are removed before the pattern is read, so a quoted `*` is still a wildcard.
      { word: '${V#"*"}', value: 'value' },
      { word: '${V##"*"}', value: '' },
      // The pattern may come from a variable.
      { word: '${P##*$X/}', value: 'app.tar.gz' },
      // `*` and `?` never match a newline (Go's `.`).
      { word: '${N#*b}', value: 'a\nb' },
      { word: '${N#a?}', value: 'a\nb' },
      { word: '${N%%*}', value: 'a\n' },
      // ... but do match a carriage return (Go's `.` excludes only `\n`; JS's would exclude `\r`).
      { word: '${R#a?}', value: 'b' },
      { word: '${R%%*}', value: '' },
      { word: '${V:#v}', error: 'unsupported-modifier', reason: 'unsupported modifier (:#) in substitution' },
      { word: '${V:%e}', error: 'unsupported-modifier', reason: 'unsupported modifier (:%) in substitution' },
      { word: '${S#\\a}', error: 'invalid-pattern', reason: "invalid pattern (\\a) in substitution: invalid escape '\\a'" },
    ],
  },
  {
    title: 'pattern replacement: ${v/p/r} ${v//p/r}',
    env: { ...BASE, U: '/usr/local' },
    realBuilder:
      'Docker 20.10 lacks these modifiers ("missing \':\' in substitution"; `${F:/o/x}`: "unsupported modifier (/)"). Values follow current BuildKit (lex.go + Go regexp ReplaceAllString).',
    cases: [
      { word: '${F/foo/X}', value: 'X.bar.foo' },
      { word: '${F//foo/X}', value: 'X.bar.X' },
      { word: '${F/o/}', value: 'fo.bar.foo' },
      { word: '${F///}', value: 'foo.bar.foo' },
      { word: '${F/*/X}', value: 'X' },
      // Go does not replace the empty match right after a match (JS would: "XX").
      { word: '${F//*/X}', value: 'X' },
      { word: '${F//?/-}', value: '-----------' },
      { word: '${F/./!}', value: 'foo!bar.foo' },
      { word: '${F//$E/x}', value: 'xfxoxox.xbxaxrx.xfxoxox' },
      // No `/#` or `/%` anchors: `#foo` is a literal pattern.
      { word: '${F/#foo/X}', value: 'foo.bar.foo' },
      { word: '${X/a/b}', value: '', unmatched: ['X'] },
      // `\/` protects a `/` from the ${} scanner; in the replacement the `\` stays.
      { word: '${U//\\//:}', value: ':usr:local' },
      { word: '${U//\\//\\/}', value: '\\/usr\\/local' },
      // `$$` reads the special parameter `$` (unset), so the replacement is empty.
      { word: '${F//o/$$}', value: 'f.bar.f' },
      // Replace-all expands Go templates in the replacement: `$0` is the match.
      { word: '${F//o/\\$0}', value: 'f\\o\\o.bar.f\\o\\o' },
      // Replace-first does not.
      { word: '${F/o/\\$0}', value: 'f\\$0o.bar.foo' },
      { word: '${F//o}', error: 'missing-slash', reason: "syntax error: missing '/' in ${}" },
      { word: '${F/o}', error: 'missing-slash' },
      { word: '${F/o/x', error: 'missing-brace', reason: "syntax error: missing '}'" },
      { word: '${F:/o/x}', error: 'unsupported-modifier', reason: 'unsupported modifier (:/) in substitution' },
    ],
  },
  {
    title: 'names: special parameters, digits, unicode, literal $',
    env: { ...BASE, '10': 'ten', é: 'accent', _x: 'under' },
    realBuilder:
      'values agree with Docker 20.10, and so does error-or-not; 20.10 words some errors differently (`${V.x}`, `${V`: "missing \':\' in substitution"; `${V:=x}`: "(=)" for current "(:=)"). Cases using `10` or `é` not checked.',
    cases: [
      { word: '$1', value: '', unmatched: ['1'] },
      { word: '$10x', value: 'tenx', matched: ['10'] },
      { word: '${10}', value: 'ten' },
      { word: '$01', value: '', unmatched: ['01'] },
      { word: '$@$*$#$?$-$$$!$0', value: '', unmatched: ['@', '*', '#', '?', '-', '$', '!', '0'] },
      { word: '$$x', value: 'x', unmatched: ['$'] },
      { word: '$#V', value: 'V', unmatched: ['#'] },
      { word: '${#}', value: '' },
      { word: '${@}', value: '' },
      { word: '${#V}', error: 'unsupported-modifier', reason: 'unsupported modifier (V) in substitution' },
      { word: '$_x', value: 'under' },
      { word: '$é', value: 'accent' },
      { word: '$V-x', value: 'value-x' },
      { word: '$V.x', value: 'value.x' },
      { word: '$Vx', value: '', unmatched: ['Vx'] },
      { word: '${V}x', value: 'valuex' },
      { word: '$', value: '$' },
      { word: 'a$', value: 'a$' },
      { word: '$/', value: '$/' },
      { word: '$"V"', value: '$V' },
      { word: "$'V'", value: '$V' },
      { word: '$:', value: '$:' },
      { word: '${V.x}', error: 'unsupported-modifier', reason: 'unsupported modifier (.) in substitution' },
      { word: '${V=x}', error: 'unsupported-modifier', reason: 'unsupported modifier (=) in substitution' },
      { word: '${V:=x}', error: 'unsupported-modifier', reason: 'unsupported modifier (:=) in substitution' },
      { word: '${=x}', error: 'unsupported-modifier' },
      { word: '${}', error: 'bad-substitution', reason: 'syntax error: bad substitution' },
      { word: '${{V}', error: 'bad-substitution' },
      { word: '${:-x}', error: 'bad-substitution' },
      { word: '${', error: 'missing-brace', reason: "syntax error: missing '}'" },
      { word: '${V', error: 'missing-brace' },
      { word: '${V:-x', error: 'missing-brace', reason: "syntax error: missing '}'" },
      { word: "${X:-'abc}", error: 'missing-brace', reason: "syntax error: missing '}'" },
      { word: '${X:-${}}', error: 'bad-substitution' },
    ],
  },
  {
    title: 'quotes and escapes with the default escape token',
    env: BASE,
    realBuilder: 'all agree with Docker 20.10 (except words ending in `\\`, not checkable in a Dockerfile line).',
    cases: [
      { word: '"a\\"b"', value: 'a"b' },
      { word: '"a\\\\b"', value: 'a\\b' },
      { word: '"a\\$V"', value: 'a$V' },
      { word: '"a\\b"', value: 'a\\b' },
      { word: '"a\\\'b"', value: "a\\'b" },
      { word: "'a\\'", value: 'a\\' },
      { word: '\\"', value: '"' },
      { word: '\\\\', value: '\\' },
      { word: '\\$V', value: '$V' },
      { word: '\\a\\b', value: 'ab' },
      { word: "'a\"b'", value: 'a"b' },
      { word: '"a\'b"', value: "a'b" },
      { word: '""', value: '' },
      { word: "''", value: '' },
      { word: 'a""b', value: 'ab' },
      { word: '"$V"', value: 'value' },
      { word: "'$V'", value: '$V' },
      { word: '"${V}s"', value: 'values' },
      { word: '"${X:-"in"}"', value: 'in' },
      { word: '`a`', value: '`a`' },
      { word: '"a', error: 'unterminated-quote', reason: 'unexpected end of statement while looking for matching double-quote' },
      { word: "'a", error: 'unterminated-quote', reason: 'unexpected end of statement while looking for matching single-quote' },
      { word: '"a\\', error: 'unterminated-quote' },
      { word: 'a\\', value: 'a' },
    ],
  },
  {
    title: 'quotes and escapes with `# escape=`` `',
    env: { ...BASE, S: '*abc' },
    escape: '`',
    realBuilder: 'all agree with Docker 20.10 (Dockerfiles starting with "# escape=`"), except the `#` pattern cases, which 20.10 lacks.',
    cases: [
      { word: 'a`$V', value: 'a$V' },
      { word: 'a\\b', value: 'a\\b' },
      { word: 'C:\\path\\$V', value: 'C:\\path\\value' },
      { word: '"C:\\path"', value: 'C:\\path' },
      { word: '"a`"b"', value: 'a"b' },
      { word: '"a``b"', value: 'a`b' },
      { word: '"a`$V"', value: 'a$V' },
      { word: '"a`b"', value: 'a`b' },
      { word: '"a\\"', value: 'a\\' },
      { word: 'a``b', value: 'a`b' },
      { word: "'a`'", value: 'a`' },
      { word: "he`'llo", value: "he'llo" },
      { word: '${X:-`}}', value: '}' },
      { word: 'a`', value: 'a' },
      // Patterns always use `\` as their escape, whatever the escape token.
      { word: '${S#\\*}', value: 'abc' },
      { word: '${S#`*}', value: '*abc' },
    ],
  },
];

/** ProcessWords: splitting happens after expansion; quoted text and escaped spaces never split. */
export const WORDS_ENV: Record<string, string> = {
  HI: 'hi',
  SPACE: 'abc  def',
  LEADING: '  ab c',
  TRAILING: 'ab c   ',
  E: '',
  T: 'a\tb\nc',
  BS: 'a\\ b',
  Q: '"a b"',
  NBSP: 'a\u00a0b',
  BOM: 'a\ufeffb',
};

export const WORDS_CASES: ReadonlyArray<readonly [word: string, expected: string[] | null]> = [
  ['hello', ['hello']],
  ['hello world', ['hello', 'world']],
  ['  hello   world  ', ['hello', 'world']],
  ['hello${HI}bye', ['hellohibye']],
  ['hello${SPACE}bye', ['helloabc', 'defbye']],
  ['hello"${SPACE}"bye', ['helloabc  defbye']],
  ['hello "${SPACE}"bye', ['hello', 'abc  defbye']],
  ['hello${LEADING}def', ['hello', 'ab', 'cdef']],
  ['hello"${LEADING}" def', ['hello  ab c', 'def']],
  ['${LEADING}', ['ab', 'c']],
  ['hello${TRAILING}', ['helloab', 'c']],
  ['hello${TRAILING}d', ['helloab', 'c', 'd']],
  ['hello"${TRAILING}"d', ['helloab c   d']],
  ['hello" there  "', ['hello there  ']],
  ['hello\\ there', ['hello there']],
  ['hello\\" there', ['hello"', 'there']],
  ['hello" there', null],
  ["'a b' c", ['a b', 'c']],
  ["'' a", ['a']],
  ["a ''", ['a']],
  ['"" ""', []],
  ['$E', []],
  ['a $E b', ['a', 'b']],
  ['$T', ['a', 'b', 'c']],
  ['"$T"', ['a\tb\nc']],
  // A backslash or quote inside a value is just a character.
  ['$BS', ['a\\', 'b']],
  ['$Q', ['"a', 'b"']],
  // Go's unicode.IsSpace: NBSP splits, a BOM does not.
  ['$NBSP', ['a', 'b']],
  ['$BOM', ['a\ufeffb']],
  ['${X:-a b}', ['a', 'b']],
  ['"${X:-a b}"', ['a b']],
];
