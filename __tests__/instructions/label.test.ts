import { one, errorsOf } from './helpers.js';

describe('LABEL', () => {
  test('keys and values keep their quotes for the expander', () => {
    const i = one('LABEL "com.example.a"="x y" b=c \\\n  d="e"');
    expect(i.kind === 'LABEL' && i.pairs).toEqual([
      { key: '"com.example.a"', value: '"x y"' },
      { key: 'b', value: 'c' },
      { key: 'd', value: '"e"' },
    ]);
  });

  test('legacy form', () => {
    const i = one('LABEL maintainer Jane Doe <j@x>');
    expect(i.kind === 'LABEL' && i.pairs).toEqual([{ key: 'maintainer', value: 'Jane Doe <j@x>' }]);
  });

  test.each([
    ['LABEL', 'DF2001 2:1 LABEL requires at least one argument'],
    ['LABEL a=b c', 'DF2008 2:11 Syntax error - can\'t find = in "c". Must be of the form: name=value'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
