import { one, errorsOf } from './helpers.js';
import type { AddInstruction } from '../../src/instructions/types.js';

const add = (line: string): AddInstruction => {
  const i = one(line);
  if (i.kind !== 'ADD') throw new Error(i.kind);
  return i;
};

describe('ADD', () => {
  test('all flags', () => {
    const a = add('ADD --chown=a --chmod=600 --link --checksum=sha256:abc --keep-git-dir=true --unpack=false --exclude=x https://e.com/a.tgz /opt/');
    expect([a.chown, a.chmod, a.link, a.checksum, a.keepGitDir, a.unpack, a.exclude, a.sources, a.dest])
      .toEqual(['a', '600', true, 'sha256:abc', true, false, ['x'], ['https://e.com/a.tgz'], '/opt/']);
  });

  test('keepGitDir and unpack are null when not given', () => {
    const a = add('ADD a.tar /x/');
    expect([a.keepGitDir, a.unpack, a.checksum]).toEqual([null, null, null]);
  });

  test.each([
    ['ADD a', 'DF2001 2:5 ADD requires at least two arguments, but only one was provided. Destination could not be determined'],
    ['ADD --from=x a /b', 'DF2002 2:5 Unknown flag: from (ADD accepts --chown, --chmod, --link, --checksum, --keep-git-dir, --exclude, --unpack)'],
    ['ADD --checksum a /b', 'DF2003 2:5 Missing a value on flag: checksum'],
    ['ADD a <<EOF\nx\nEOF', 'DF2012 2:7 ADD cannot accept a heredoc as a destination'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
