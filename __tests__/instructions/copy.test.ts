import { one, errorsOf } from './helpers.js';
import type { CopyInstruction } from '../../src/instructions/types.js';

const copy = (line: string): CopyInstruction => {
  const i = one(line);
  if (i.kind !== 'COPY') throw new Error(i.kind);
  return i;
};

describe('COPY', () => {
  test('sources and destination as words; quotes are not special here', () => {
    const c = copy('COPY a.txt "b c" /dst/');
    expect([c.sources, c.dest, c.json]).toEqual([['a.txt', '"b', 'c"'], '/dst/', false]);
  });

  test('JSON form allows spaces in paths', () => {
    const c = copy('COPY ["a b.txt", "/d st/"]');
    expect([c.sources, c.dest, c.json]).toEqual([['a b.txt'], '/d st/', true]);
  });

  test('all flags', () => {
    const c = copy('COPY --from=build --chown=1:2 --chmod=755 --link --parents --exclude=*.md --exclude=*.txt a /b');
    expect([c.from, c.chown, c.chmod, c.link, c.parents, c.exclude]).toEqual(['build', '1:2', '755', true, true, ['*.md', '*.txt']]);
  });

  test('defaults', () => {
    const c = copy('COPY a /b');
    expect([c.from, c.chown, c.chmod, c.link, c.parents, c.exclude]).toEqual([null, null, null, false, false, []]);
  });

  test('a $ in --from is kept as written: the plan (BuildKit) or the COPY step (classic) rejects it', () => {
    expect(copy('COPY --from=${X} a /b').from).toBe('${X}');
  });

  test('--link=false', () => {
    expect(copy('COPY --link=false a /b').link).toBe(false);
  });

  test.each([
    ['COPY a', 'DF2001 2:6 COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY', 'DF2001 2:1 COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY ["a"]', 'DF2001 2:6 COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['COPY --form=x a /b', 'DF2002 2:6 Unknown flag: form (COPY accepts --from, --chown, --chmod, --link, --parents, --exclude)'],
    ['COPY --chown a /b', 'DF2003 2:6 Missing a value on flag: chown'],
    ['COPY --link= a /b', 'DF2003 2:6 Missing a value on flag: link'],
    ['COPY --link=yes a /b', 'DF2003 2:6 Expecting boolean value for flag link, not: yes'],
    ['COPY --checksum=sha256:x a /b', 'DF2002 2:6 Unknown flag: checksum (COPY accepts --from, --chown, --chmod, --link, --parents, --exclude)'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
