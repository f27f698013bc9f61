import { one, errorsOf } from './helpers.js';

describe('SHELL', () => {
  test('JSON form', () => {
    const i = one('SHELL ["/bin/bash", "-o", "pipefail", "-c"]');
    expect(i.kind === 'SHELL' && i.args).toEqual(['/bin/bash', '-o', 'pipefail', '-c']);
  });

  test.each([
    // Messages as Docker 20.10 prints them.
    ['SHELL /bin/sh -c', 'DF2009 2:7 SHELL requires the arguments to be in JSON form'],
    ['SHELL []', 'DF2001 2:7 SHELL requires at least one argument'],
    ['SHELL', 'DF2001 2:1 SHELL requires at least one argument'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
