import { one, errorsOf } from './helpers.js';

describe('CMD and ENTRYPOINT', () => {
  test.each([
    ['CMD echo $HOME', { form: 'shell', command: 'echo $HOME' }],
    ['CMD ["echo", "$HOME"]', { form: 'exec', args: ['echo', '$HOME'] }],
    ['ENTRYPOINT ["/bin/app"]', { form: 'exec', args: ['/bin/app'] }],
    ['ENTRYPOINT exec /bin/app --flag', { form: 'shell', command: 'exec /bin/app --flag' }],
    ['CMD   [ "a" ,  "b" ]  ', { form: 'exec', args: ['a', 'b'] }],
  ])('%s', (line, expected) => {
    const i = one(line);
    if (i.kind !== 'CMD' && i.kind !== 'ENTRYPOINT') throw new Error(i.kind);
    expect(i.form === 'exec' ? { form: 'exec', args: i.args } : { form: 'shell', command: i.command }).toEqual(expected);
  });

  test.each([
    ['CMD --x echo', 'DF2002 2:5 Unknown flag: x (CMD accepts no flags)'],
    ['ENTRYPOINT [1]', 'DF1010 2:12 when using JSON array syntax, arrays must be comprised of strings only'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
