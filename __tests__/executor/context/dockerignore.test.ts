import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { isDfsimError } from '../../../src/diagnostics/diagnostic.js';
import { IgnoreMatcher, parseDockerignore } from '../../../src/executor/context/dockerignore.js';
import { loadContext } from '../../../src/executor/context/index.js';
import { cleanupTrees, makeTree } from './helpers.js';

afterAll(cleanupTrees);

// Reader rules of moby/patternmatcher ignorefile.ReadAll (buildkit-cache-semantics.md §1.5).
describe('parseDockerignore', () => {
  test('BOM, column-1 comments, trimming, blank lines, CRLF', () => {
    expect(parseDockerignore('\uFEFF# comment\r\n  a.txt  \r\n\r\n   \n  # not a comment\nb\n')).toEqual(['a.txt', '# not a comment', 'b']);
  });

  test('"!" is split off, trimmed and re-attached; Clean applies; a leading "/" is stripped', () => {
    expect(parseDockerignore('! keep.txt\n/abs/path/\n./x/../y\na//b\n/\n!/z')).toEqual(['!keep.txt', 'abs/path', 'y', 'a/b', '/', '!z']);
  });

  test('a bare "!" survives the reader (the matcher rejects it)', () => {
    expect(parseDockerignore('a\n!\n')).toEqual(['a', '!']);
  });
});

describe('IgnoreMatcher (Docker pattern semantics)', () => {
  const cases: Array<[patterns: string[], path: string, ignored: boolean]> = [
    // Anchored at the root: a bare name does not match deeper down (unlike .gitignore).
    [['foo'], 'foo', true],
    [['foo'], 'a/foo', false],
    [['*.log'], 'x.log', true],
    [['*.log'], 'logs/x.log', false],
    [['*/*.log'], 'logs/x.log', true],
    // A match on a parent directory excludes everything below it.
    [['foo'], 'foo/bar/baz', true],
    // '**' spans any number of directories, including none.
    [['**/*.log'], 'x.log', true],
    [['**/*.log'], 'a/b/x.log', true],
    [['a/**/b'], 'a/b', true],
    [['a/**/b'], 'a/x/y/b', true],
    [['foo/**'], 'foo/x/y', true],
    // '!' re-includes, also below an excluded directory; the last matching pattern wins.
    [['node_modules', '!node_modules/keep.js'], 'node_modules/keep.js', false],
    [['node_modules', '!node_modules/keep.js'], 'node_modules/other.js', true],
    [['*.md', '!README.md'], 'README.md', false],
    [['!README.md', '*.md'], 'README.md', true],
    // Go filepath.Match syntax inside a segment.
    [['file?.txt'], 'file1.txt', true],
    [['file?.txt'], 'file10.txt', false],
    [['[!a]x'], '!x', true],
    [['[^a]x'], 'bx', true],
    [['[^a]x'], 'ax', false],
    // Matching is case-sensitive on Linux (checked with Docker 20.10: "A.txt" did not exclude "a.txt").
    [['A.txt'], 'a.txt', false],
    // A " #x" line is a pattern, not a comment, once trimmed.
    [parseDockerignore('  #x'), '#x', true],
    // Leading '/' and Clean.
    [parseDockerignore('/sub/../a.txt'), 'a.txt', true],
  ];

  test.each(cases)('%j ignores %j: %j', (patterns, p, ignored) => {
    expect(new IgnoreMatcher(patterns).ignores(p)).toBe(ignored);
  });

  test('a bare "!" is an error (Docker 20.10: illegal exclusion pattern: "!")', () => {
    let caught: unknown;
    try {
      new IgnoreMatcher(['a.txt', '!']);
    } catch (e) {
      caught = e;
    }
    expect(isDfsimError(caught)).toBe(true);
    if (isDfsimError(caught)) {
      expect(caught.diagnostics[0]?.code).toBe('DF3002');
      expect(caught.message).toContain('illegal exclusion pattern');
    }
  });

  test('a pattern Go cannot parse is DF3002 (Docker 20.10: "syntax error in pattern")', () => {
    expect(() => new IgnoreMatcher(['a['])).toThrow('syntax error in pattern');
  });

  test('exceptionReaches: a literal prefix test, as Docker 20.10 walkers do', () => {
    const m = new IgnoreMatcher(['*', '!src/keep/a.ts']);
    expect(m.exceptionReaches('src')).toBe(true);
    expect(m.exceptionReaches('src/keep')).toBe(true);
    expect(m.exceptionReaches('docs')).toBe(false);
    expect(m.exceptionReaches('src/other')).toBe(false);
    expect(m.exceptionReaches('sr')).toBe(false); // 'src/' does not start with 'sr/'
    // Wildcards in the exception are not expanded by the prefix test.
    expect(new IgnoreMatcher(['*', '!**/keep']).exceptionReaches('anything')).toBe(false);
    expect(new IgnoreMatcher(['*']).exceptionReaches('src')).toBe(false);
  });
});

describe('ignore file lookup and effect on the context', () => {
  test('BuildKit fixture testDockerignore: ba*, Dockerfile, !bay, .dockerignore', async () => {
    // From BK:frontend/dockerfile/dockerfile_dockerignore_test.go: foo and bay stay; bar, baz, Dockerfile, .dockerignore go.
    const root = makeTree({
      Dockerfile: 'FROM scratch\nCOPY . .\n',
      '.dockerignore': 'ba*\nDockerfile\n!bay\n.dockerignore\n',
      foo: 'foo-contents',
      bar: 'bar-contents',
      baz: 'baz-contents',
      bay: 'bay-contents',
    });
    const ctx = await loadContext(root);
    expect(ctx.children('')).toEqual(['bay', 'foo']);
    expect(ctx.isIgnored('bar')).toBe(true);
    expect(ctx.isIgnored('Dockerfile')).toBe(true);
    expect(ctx.isIgnored('.dockerignore')).toBe(true);
    expect(ctx.isIgnored('foo')).toBe(false);
    expect(ctx.isIgnored('missing')).toBe(false);
    expect(ctx.dockerignore).toEqual({ file: '.dockerignore', patterns: ['ba*', 'Dockerfile', '!bay', '.dockerignore'] });
  });

  test('the Dockerfile and .dockerignore are part of the context unless ignored', async () => {
    const root = makeTree({ Dockerfile: 'FROM scratch\n', '.dockerignore': 'x\n', a: 'a' });
    const ctx = await loadContext(root);
    expect(ctx.children('')).toEqual(['.dockerignore', 'Dockerfile', 'a']);
  });

  // Checked with Docker 20.10 (BuildKit): with -f df/app.Dockerfile, df/app.Dockerfile.dockerignore was used
  // and the root .dockerignore was not; with the default Dockerfile, Dockerfile.dockerignore beat .dockerignore.
  // The classic builder used only the root .dockerignore in both cases.
  const precedenceTree = {
    'df/app.Dockerfile': 'FROM scratch\nCOPY . /x\n',
    'df/app.Dockerfile.dockerignore': 'a.txt\n',
    Dockerfile: 'FROM scratch\nCOPY . /x\n',
    'Dockerfile.dockerignore': 'c.txt\n',
    '.dockerignore': 'b.txt\n',
    'a.txt': 'a',
    'b.txt': 'b',
    'c.txt': 'c',
  };
  const txt = (names: string[]) => names.filter((n) => n.endsWith('.txt'));

  test('BuildKit: <Dockerfile>.dockerignore next to the Dockerfile takes precedence', async () => {
    const root = makeTree(precedenceTree);
    const withF = await loadContext(root, { dockerfile: path.join(root, 'df/app.Dockerfile') });
    expect(withF.dockerignore.file).toBe('df/app.Dockerfile.dockerignore');
    expect(txt(withF.children(''))).toEqual(['b.txt', 'c.txt']);
    const dflt = await loadContext(root);
    expect(dflt.dockerignore.file).toBe('Dockerfile.dockerignore');
    expect(txt(dflt.children(''))).toEqual(['a.txt', 'b.txt']);
  });

  test('classic builder: only <root>/.dockerignore', async () => {
    const root = makeTree(precedenceTree);
    const ctx = await loadContext(root, { dockerfile: path.join(root, 'df/app.Dockerfile'), builder: 'classic' });
    expect(ctx.dockerignore.file).toBe('.dockerignore');
    expect(txt(ctx.children(''))).toEqual(['a.txt', 'c.txt']);
  });

  test('no ignore file', async () => {
    const ctx = await loadContext(makeTree({ a: 'a' }));
    expect(ctx.dockerignore).toEqual({ file: null, patterns: [] });
  });

  // Checked with Docker 20.10, `COPY . /x` + `find`: BuildKit sent ./emptyx (an excluded dir named by an
  // exception that matches nothing) and classic did not; both re-included node_modules/pkg/keep.js only,
  // and both dropped a.log but kept src/logs/b.log (a bare pattern is anchored at the root).
  const reincludeTree = {
    '.dockerignore': 'node_modules\n!node_modules/pkg/keep.js\n*.log\n**/*.tmp\nemptyx\n!emptyx/nothing\n',
    Dockerfile: 'FROM bb:latest\nCOPY . /x\n',
    'node_modules/pkg/keep.js': 'k',
    'node_modules/pkg/drop.js': 'd',
    'node_modules/other/x.js': 'x',
    'a.log': 'l',
    'src/logs/b.log': 'l',
    'src/c.tmp': 't',
    'src/a.ts': 'a',
    emptyx: null,
  };
  const realFind = [
    '.dockerignore',
    'Dockerfile',
    'emptyx',
    'node_modules',
    'node_modules/pkg',
    'node_modules/pkg/keep.js',
    'src',
    'src/a.ts',
    'src/logs',
    'src/logs/b.log',
  ];

  test('re-inclusion below an excluded directory (BuildKit, matches the real builder)', async () => {
    const ctx = await loadContext(makeTree(reincludeTree));
    expect([...ctx.entries()].map((e) => e.path)).toEqual(['', ...realFind]);
    expect(ctx.isIgnored('node_modules/pkg/drop.js')).toBe(true);
    expect(ctx.isIgnored('node_modules/other')).toBe(true);
    expect(ctx.get('node_modules')?.type).toBe('dir');
    expect(ctx.children('emptyx')).toEqual([]);
  });

  test('re-inclusion below an excluded directory (classic, matches the real builder)', async () => {
    const ctx = await loadContext(makeTree(reincludeTree), { builder: 'classic' });
    expect([...ctx.entries()].map((e) => e.path)).toEqual(['', ...realFind.filter((p) => p !== 'emptyx')]);
  });

  // Docker 20.10 turns patterns into Go regexps without escaping '+' or braces: `a+b` excluded the file
  // "aab" and kept "a+b"; `{x}` excluded "{x}"; an indented "#h" line is a pattern (both builders).
  test('regexp leaks and "#" lines, as the real builder does', async () => {
    const tree = { '.dockerignore': 'a+b\n{x}\n  #h\n', Dockerfile: 'FROM bb:latest\n', aab: '1', 'a+b': '2', '{x}': '3', '#h': '4', keep: '5' };
    for (const builder of ['buildkit', 'classic'] as const) {
      const ctx = await loadContext(makeTree(tree), { builder });
      expect(ctx.children('')).toEqual(['.dockerignore', 'Dockerfile', 'a+b', 'keep']);
    }
  });

  // Docker 20.10 matches a pattern against as many leading directories as it has segments, `**` counting
  // as one: with `**` + `/foo` and `!a/b/foo/x/keep`, both builders sent everything under a/b/foo
  // (newer BuildKit and @balena/dockerignore would exclude a/b/foo/y and a/b/foo/x/other).
  test('the 20.10 parent rule for ** patterns', async () => {
    const tree = { '.dockerignore': '**/foo\n!a/b/foo/x/keep\n', 'a/b/foo/x/keep': 'k', 'a/b/foo/x/other': 'o', 'a/b/foo/y': 'y' };
    for (const builder of ['buildkit', 'classic'] as const) {
      const ctx = await loadContext(makeTree(tree), { builder });
      expect([...ctx.entries()].map((e) => e.path)).toEqual([
        '',
        '.dockerignore',
        'a',
        'a/b',
        'a/b/foo',
        'a/b/foo/x',
        'a/b/foo/x/keep',
        'a/b/foo/x/other',
        'a/b/foo/y',
      ]);
    }
  });

  test('wildcard exceptions do not reach into an excluded directory (checked with Docker 20.10, both builders)', async () => {
    const tree = {
      '.dockerignore': 'node_modules\nvendor\n!*/pkg/keep.js\n!**/keep.js\n',
      'node_modules/pkg/keep.js': 'k',
      'vendor/pkg/keep.js': 'k',
    };
    for (const builder of ['buildkit', 'classic'] as const) {
      const ctx = await loadContext(makeTree(tree), { builder });
      expect(ctx.children('')).toEqual(['.dockerignore']);
      // On disk, and left out because of .dockerignore, even though the last matching pattern re-includes it.
      expect(ctx.isIgnored('node_modules/pkg/keep.js')).toBe(true);
    }
  });

  test('an excluded directory is pruned: nothing below it is visited', async () => {
    // A FIFO produces a DF3005 note when the walk visits it, so its absence shows the walk never entered.
    const root = makeTree({ '.dockerignore': 'secret\n', 'secret/a': 'a', keep: 'k' });
    execFileSync('mkfifo', [path.join(root, 'secret/pipe'), path.join(root, 'pipe')]);
    const ctx = await loadContext(root);
    expect(ctx.get('secret')).toBeUndefined();
    expect(ctx.isIgnored('secret/a')).toBe(true);
    expect(ctx.diagnostics.map((d) => d.message)).toEqual(['"pipe" is a FIFO; BuildKit leaves it out of the build context']);
  });
});
