import { BadPatternError, goMatch, hasWildcard } from '../../../src/executor/context/go-match.js';

type Case = [pattern: string, name: string, expected: boolean | 'bad'];

// The whole `matchTests` table of Go's src/path/filepath/match_test.go (Unix rows), verbatim.
const goTable: Case[] = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'x', true],
  ['[\\-x]', '-', true],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', 'bad'],
  ['[-]', '-', 'bad'],
  ['[x-]', 'x', 'bad'],
  ['[x-]', '-', 'bad'],
  ['[x-]', 'z', 'bad'],
  ['[-x]', 'x', 'bad'],
  ['[-x]', '-', 'bad'],
  ['[-x]', 'a', 'bad'],
  ['\\', 'a', 'bad'],
  ['[a-b-c]', 'a', 'bad'],
  ['[', 'a', 'bad'],
  ['[^', 'a', 'bad'],
  ['[^bc', 'a', 'bad'],
  ['a[', 'a', 'bad'],
  ['a[', 'ab', 'bad'],
  ['a[', 'x', 'bad'],
  ['a/b[', 'x', 'bad'],
  ['*x', 'xxx', true],
];

// Cases that matter for COPY sources, derived from the Match grammar in Go's match.go doc comment.
const dockerCases: Case[] = [
  ['*', '.hidden', true], // dot-files are not special
  ['*.txt', '.env.txt', true],
  ['*', 'a/b', false], // '*' never crosses '/'
  ['*/*', 'a/b', true],
  ['**', 'a/b', false], // '**' is just two stars
  ['**/*.js', 'b.js', false],
  ['**/*.js', 'a/b.js', true],
  ['[!a]', '!', true], // '!' is a literal inside a class, not negation
  ['[!a]', 'a', true],
  ['[!a]', 'b', false],
  ['[^a]', 'b', true],
  ['[^a]', 'a', false],
  ['{a,b}', 'a', false], // no brace expansion
  ['{a,b}', '{a,b}', true],
  ['\\[x]', '[x]', true],
  ['file?.txt', 'file1.txt', true],
  ['file?.txt', 'file10.txt', false],
  ['', '', true],
  ['', 'a', false],
  ['a/', 'a', false],
  ['*(a)', 'x(a)', true], // no extglobs
  // No POSIX classes: the class is the set {'[', ':', 'a', 'l', 'p', 'h'} and the final ']' is a literal.
  ['[[:alpha:]]', 'a', false],
  ['[[:alpha:]]', 'a]', true],
];

function run(pattern: string, name: string): boolean | 'bad' {
  try {
    return goMatch(pattern, name);
  } catch (e) {
    if (e instanceof BadPatternError) return 'bad';
    throw e;
  }
}

describe('goMatch', () => {
  test.each(goTable)('Go table: Match(%j, %j) = %j', (pattern, name, expected) => {
    expect(run(pattern, name)).toBe(expected);
  });

  test.each(dockerCases)('COPY wildcard: Match(%j, %j) = %j', (pattern, name, expected) => {
    expect(run(pattern, name)).toBe(expected);
  });

  test('the error is ErrBadPattern-like and names nothing but the pattern', () => {
    expect(() => goMatch('a[', 'a')).toThrow('syntax error in pattern');
  });
});

describe('hasWildcard', () => {
  test.each([
    ['a*', true],
    ['a?', true],
    ['a[b]', true],
    ['plain/file.txt', false],
    ['a\\*b', false], // escaped star is literal
    ['a\\\\*', true], // escaped backslash, then a real star
    ['{a,b}', false],
    ['', false],
  ] as const)('hasWildcard(%j) = %j', (s, expected) => {
    expect(hasWildcard(s)).toBe(expected);
  });
});
