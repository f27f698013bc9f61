import {
  ExpansionError,
  envLookup,
  processWord,
  processWordWithMatches,
  processWords,
  type EnvLookup,
  type LexOptions,
} from '../../src/syntax/lex.js';
import { BLOCKS, WORDS_CASES, WORDS_ENV } from './lex-cases.js';
import { DOCKER_2010 } from './lex-docker2010.js';
import { ENV_VAR_TEST, ENV_VAR_TEST_ENV } from './lex-envvartest.js';

function lookup(env: Record<string, string>): EnvLookup {
  return envLookup(env);
}

function expansionError(fn: () => unknown): ExpansionError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ExpansionError) return e;
    throw e;
  }
  throw new Error('expected an ExpansionError, got a value');
}

const sorted = (s: Iterable<string>): string[] => [...s].sort();

// BuildKit's own table. Docker 20.10 agrees (value, or error-or-not) on every line a Dockerfile LABEL can carry
// (checked with the real builder: all lines except those ending in `\`, which would continue the line).
describe('BuildKit envVarTest', () => {
  const env = lookup(ENV_VAR_TEST_ENV);
  test.each(ENV_VAR_TEST.map(([word, expected]) => [word, expected] as const))('%s', (word, expected) => {
    if (expected === null) {
      expect(() => processWord(word, env)).toThrow(ExpansionError);
    } else {
      expect(processWord(word, env)).toBe(expected);
    }
  });
});

for (const block of BLOCKS) {
  // block.realBuilder records what Docker 20.10 did for this block.
  describe(block.title, () => {
    const env = lookup(block.env);
    const opts: LexOptions = block.escape ? { escapeToken: block.escape } : {};
    test.each(block.cases.map((c) => [c.word, c] as const))('%s', (word, c) => {
      if (c.error !== undefined) {
        const err = expansionError(() => processWord(word, env, opts));
        expect(err.kind).toBe(c.error);
        if (c.reason !== undefined) expect(err.reason).toBe(c.reason);
        expect(err.word).toBe(word);
        return;
      }
      const result = processWordWithMatches(word, env, opts);
      expect(result.value).toBe(c.value);
      if (c.matched) expect(sorted(result.matched)).toEqual(sorted(c.matched));
      if (c.unmatched) expect(sorted(result.unmatched)).toEqual(sorted(c.unmatched));
    });
  });
}

// The `docker-20.10` dialect against what the real Docker 20.10 builder did (values and exact messages).
describe('docker-20.10 dialect, recorded from the real builder', () => {
  const tables = new Map<string, { env: Record<string, string>; escape: '\\' | '`' }>([
    ['envVarTest', { env: ENV_VAR_TEST_ENV, escape: '\\' }],
    ...BLOCKS.map((b) => [b.title, { env: b.env, escape: b.escape ?? '\\' }] as const),
  ]);
  test.each(DOCKER_2010.map((r) => [r.table, r.word, r] as const))('%s: %s', (table, word, r) => {
    const t = tables.get(table);
    if (!t) throw new Error(`no table ${table}`);
    const opts: LexOptions = { dialect: 'docker-20.10', escapeToken: t.escape };
    if (r.error !== undefined) {
      expect(expansionError(() => processWord(word, lookup(t.env), opts)).message).toBe(r.error);
    } else {
      expect(processWord(word, lookup(t.env), opts)).toBe(r.value);
    }
  });

  test('the recordings cover both outcomes', () => {
    expect(DOCKER_2010.filter((r) => r.error !== undefined).length).toBeGreaterThan(50);
    expect(DOCKER_2010.filter((r) => r.value !== undefined).length).toBeGreaterThan(100);
  });
});

// Splitting rules of BuildKit's ProcessWords (lex.go wordsStruct). Docker 20.10 check: EXPOSE
// splits with ProcessWords; `ENV P="80 81"` + `EXPOSE $P` exposed 80/tcp and 81/tcp, while
// `EXPOSE "$P"` failed ("Invalid containerPort: 80 81"); `ENV SP="  8080 9090  "` + `EXPOSE $SP` gave
// 8080 and 9090; `EXPOSE '' 70` gave only 70: unquoted expansions split, quoted text doesn't, empty words vanish.
describe('processWords', () => {
  const env = lookup(WORDS_ENV);
  test.each(WORDS_CASES.map(([word, expected]) => [word, expected] as const))('%s', (word, expected) => {
    if (expected === null) {
      expect(() => processWords(word, env)).toThrow(ExpansionError);
    } else {
      expect(processWords(word, env)).toEqual(expected);
    }
  });

  test('processWord keeps the spaces that processWords splits on', () => {
    expect(processWord('a  b${SPACE}', env)).toBe('a  babc  def');
    expect(processWordWithMatches('a ${SPACE}', env).words).toEqual(['a', 'abc', 'def']);
  });
});

// BuildKit lex_test.go TestProcessWithMatches: its inputs, envs and expected values/sets.
describe('BuildKit TestProcessWithMatches', () => {
  type Case = { input: string; envs: Record<string, string>; expected?: string; err?: true; matches?: string[]; unmatched?: string[] };
  const FB = { FOO: 'xxx', BAR: '' };
  const cases: Case[] = [
    { input: 'x', envs: { DUMMY: 'dummy' }, expected: 'x', matches: [], unmatched: [] },
    { input: 'x ${UNUSED}', envs: { DUMMY: 'dummy' }, expected: 'x ', matches: [], unmatched: ['UNUSED'] },
    { input: 'x ${FOO}', envs: { FOO: 'y' }, expected: 'x y', matches: ['FOO'], unmatched: [] },
    { input: '${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}', envs: FB, expected: 'xxx  ccc', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}', envs: FB, expected: 'xxx bbb ccc', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:-}', envs: FB, expected: 'xxx', matches: ['FOO'], unmatched: [] },
    { input: '${FOO:-}', envs: {}, expected: '', matches: [], unmatched: ['FOO'] },
    { input: '${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}', envs: FB, expected: 'aaa bbb ', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}', envs: FB, expected: 'aaa  ', matches: ['FOO', 'BAR'], unmatched: ['BAZ'] },
    { input: '${FOO?aaa}', envs: FB, expected: 'xxx', matches: ['FOO'], unmatched: [] },
    { input: '${BAR?bbb}', envs: FB, expected: '', matches: ['BAR'], unmatched: [] },
    { input: '${BAZ?ccc}', envs: FB, err: true },
    { input: '${FOO:?aaa}', envs: FB, expected: 'xxx', matches: ['FOO'], unmatched: [] },
    { input: '${BAR:?bbb}', envs: FB, err: true },
    { input: '${BAZ:?ccc}', envs: FB, err: true },
    { input: '${BAZ:?}', envs: FB, err: true },
    { input: '${FOO=aaa}', envs: FB, err: true },
    { input: '${FOO=:aaa}', envs: FB, err: true },
    { input: '${FOO=}', envs: {}, err: true },
    { input: '${FOO#()[]{\\}^$.\\*\\?|\\\\}', envs: { FOO: '()[]{}^$.*?|\\x' }, expected: 'x', matches: ['FOO'], unmatched: [] },
    { input: '${FOO%%\\**}', envs: { FOO: 'xx**' }, expected: 'xx', matches: ['FOO'], unmatched: [] },
    { input: '${FOO#*x*y}', envs: { FOO: 'xxyy' }, expected: 'y', matches: ['FOO'], unmatched: [] },
    { input: '${FOO#*}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'], unmatched: [] },
    { input: '${FOO#$BAR}', envs: { FOO: 'xxyy', BAR: 'x' }, expected: 'xyy', matches: ['FOO', 'BAR'], unmatched: [] },
    { input: '${FOO#$BAR}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matches: ['FOO', 'BAR'], unmatched: [] },
    { input: '${FOO#}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'], unmatched: [] },
    { input: '${FOO##*x}', envs: { FOO: 'xxyy' }, expected: 'yy', matches: ['FOO'], unmatched: [] },
    { input: '${FOO##}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'], unmatched: [] },
    { input: '${FOO#?\\?}', envs: { FOO: '???y' }, expected: '?y', matches: ['FOO'], unmatched: [] },
    { input: '${ABC:-.}${FOO%x}${ABC:-.}', envs: { FOO: 'xxyy' }, expected: '.xxyy.', matches: ['FOO'], unmatched: ['ABC'] },
    { input: '${FOO%%\\**\\*}', envs: { FOO: 'a***yy*' }, expected: 'a', matches: ['FOO'], unmatched: [] },
    { input: '${FOO%}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'], unmatched: [] },
    { input: '${FOO%%$BAR}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'xxyy', matches: ['FOO', 'BAR'], unmatched: [] },
    {
      input: '${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}',
      envs: { FOO: '/foo*/*/*.txt', NEEDLE: '\\*/' },
      expected: '/foo.*/*.txt - /foo..*.txt',
      matches: ['FOO', 'NEEDLE'],
      unmatched: [],
    },
    {
      input: '${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}',
      envs: { FOO: '/tmp/tmp/bar.txt', NEEDLE: '/tmp' },
      expected: '/tmp/bar.txt - /bar.txt',
      matches: ['FOO', 'NEEDLE'],
      unmatched: [],
    },
    {
      input: '${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}',
      envs: { FOO: '/a/foo/b/c.txt', NEEDLE: '/?/', REPLACEMENT: '/' },
      expected: '/foo/b/c.txt - /foo/c.txt',
      matches: ['FOO', 'NEEDLE', 'REPLACEMENT'],
      unmatched: [],
    },
    {
      input: '${FOO/$NEEDLE/$REPLACEMENT}',
      envs: { FOO: 'http://google.de', NEEDLE: 'http://', REPLACEMENT: 'https://' },
      expected: 'https://google.de',
      matches: ['FOO', 'NEEDLE', 'REPLACEMENT'],
      unmatched: [],
    },
    { input: '${FOO//\\//\\/}', envs: { FOO: '/tmp/foo.txt' }, expected: '\\/tmp\\/foo.txt', matches: ['FOO'], unmatched: [] },
    { input: '${FOO/$BAR/ww}', envs: { FOO: 'xxyy', BAR: '' }, expected: 'wwxxyy', matches: ['FOO', 'BAR'], unmatched: [] },
    { input: '${FOO//ww}', envs: { FOO: 'xxyy' }, err: true },
    { input: '${FOO//}', envs: { FOO: 'xxyy' }, err: true },
    { input: '${FOO///}', envs: { FOO: 'xxyy' }, expected: 'xxyy', matches: ['FOO'], unmatched: [] },
    { input: '${FOO///}', envs: {}, expected: '', matches: [], unmatched: ['FOO'] },
  ];
  test.each(cases.map((c) => [c.input, c] as const))('%s', (input, c) => {
    const env = lookup(c.envs);
    if (c.err) {
      expect(() => processWordWithMatches(input, env)).toThrow(ExpansionError);
      return;
    }
    const r = processWordWithMatches(input, env);
    expect(r.value).toBe(c.expected);
    expect(sorted(r.matched)).toEqual(sorted(c.matches ?? []));
    expect(sorted(r.unmatched)).toEqual(sorted(c.unmatched ?? []));
  });

  // TestProcessWithMatchesPlatform
  test.each([
    [{ TARGETVARIANT: 'v7', TARGETARCH: 'arm' }, 'something-v1.2.3.linux-arm-v7.tar.gz'],
    [{ TARGETVARIANT: '', TARGETARCH: 'arm64' }, 'something-v1.2.3.linux-arm64.tar.gz'],
    [{ TARGETARCH: 'arm64' }, 'something-v1.2.3.linux-arm64.tar.gz'],
  ] as const)('release name with %j', (vars, expected) => {
    const word = 'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz';
    const env = lookup({ VERSION: 'v1.2.3', TARGETOS: 'linux', ...vars });
    expect(processWord(word, env)).toBe(expected);
  });
});

// BuildKit lex_test.go TestShellParserMandatoryEnvVars.
describe('BuildKit TestShellParserMandatoryEnvVars', () => {
  const set = envLookup(['VAR=plain', 'ARG=x']);
  const empty = envLookup(['VAR=', 'ARG=x']);
  const unset = envLookup(['ARG=x']);
  const noEmpty = '${VAR:?message here$ARG}';
  const noUnset = '${VAR?message here$ARG}';

  test('${VAR:?...}', () => {
    expect(processWord(noEmpty, set)).toBe('plain');
    expect(expansionError(() => processWord(noEmpty, empty)).message).toContain('message herex');
    expect(expansionError(() => processWord(noEmpty, unset)).message).toContain('message herex');
  });

  test('${VAR?...}', () => {
    expect(processWord(noUnset, set)).toBe('plain');
    expect(processWord(noUnset, empty)).toBe('');
    expect(expansionError(() => processWord(noUnset, unset)).message).toContain('message herex');
  });
});

// BuildKit lex_test.go TestConvertShellPatternToRegex, observed through `${V#pattern}`.
describe('pattern escapes (BuildKit TestConvertShellPatternToRegex)', () => {
  test('escaped specials are literal', () => {
    const env = lookup({ V: '(()[]{}^$.*?|\\rest' });
    // The `}` must be escaped inside ${}; the pattern sees `\}` as a literal `}`.
    expect(processWord('${V#(()[]{\\}^$.\\*\\?|\\\\}', env)).toBe('rest');
  });

  test.each(['\\x', '\\\\\\'])('invalid pattern %s', (pattern) => {
    const env = lookup({ V: 'v', PAT: pattern });
    expect(expansionError(() => processWord('${V#$PAT}', env)).kind).toBe('invalid-pattern');
  });

  test('a trailing backslash is invalid', () => {
    const env = lookup({ V: 'v', PAT: '\\' });
    expect(expansionError(() => processWord('${V#$PAT}', env)).kind).toBe('invalid-pattern');
  });

  // TestReversePattern, observed through `%`: escape pairs keep their order when reversed.
  test.each([
    ['xa*c', '${V%a\\*c}', 'x'],
    ['xa*cb', '${V%\\*c?}', 'xa'],
    ['👽🚀🖖', '${V%🚀?}', '👽'],
  ])('%s with %s', (value, word, expected) => {
    expect(processWord(word, lookup({ V: value }))).toBe(expected);
  });
});

describe('error messages', () => {
  test('ExpansionError says which word failed, as BuildKit does', () => {
    const err = expansionError(() => processWord('a${X?is needed}', lookup({})));
    expect(err.message).toBe('failed to process "a${X?is needed}": X: is needed');
    expect(err.name).toBe('ExpansionError');
    expect(err).toBeInstanceOf(Error);
  });

  test('the quoted word escapes quotes and control characters', () => {
    const err = expansionError(() => processWord('"a\t', lookup({})));
    expect(err.message).toBe('failed to process "\\"a\\t": unexpected end of statement while looking for matching double-quote');
  });
});

describe('options', () => {
  const env = lookup({ V: 'value', E: '' });

  test('skipUnsetEnv leaves unset references as written (BuildKit SkipUnsetEnv)', () => {
    const opts = { skipUnsetEnv: true };
    expect(processWord('$V $X ${X} ${X:-d} ${X/a/b} ${E:-d}', env, opts)).toBe('value $X ${X} ${X:-d} ${X/a/b} d');
  });

  test('rawQuotes keeps the quote characters (BuildKit RawQuotes)', () => {
    expect(processWord(`"$V" '$V'`, env, { rawQuotes: true })).toBe(`"value" '$V'`);
  });

  test('rawEscapes keeps escape characters (BuildKit RawEscapes)', () => {
    expect(processWord('a\\$V \\\\', env, { rawEscapes: true })).toBe('a\\$V \\\\');
  });

  test('skipProcessQuotes treats quotes as characters (BuildKit SkipProcessQuotes, for heredocs)', () => {
    expect(processWord(`"$V" '$V'`, env, { skipProcessQuotes: true })).toBe(`"value" 'value'`);
  });
});

describe('envLookup', () => {
  test('K=V strings: last wins, a bare K is set to ""', () => {
    const env = envLookup(['A=1', 'B', 'A=2', 'C=x=y']);
    expect(env('A')).toBe('2');
    expect(env('B')).toBe('');
    expect(env('C')).toBe('x=y');
    expect(env('D')).toBeUndefined();
  });

  test('maps and records', () => {
    expect(envLookup(new Map([['A', '1']]))('A')).toBe('1');
    expect(envLookup({ A: '' })('A')).toBe('');
    expect(envLookup({ A: '' })('a')).toBeUndefined();
  });
});

test('long words expand', () => {
  const word = '${V}x'.repeat(20000);
  expect(processWord(word, lookup({ V: 'v' }))).toHaveLength(40000);
});
