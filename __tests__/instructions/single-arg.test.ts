import { one, errorsOf, parse } from './helpers.js';

describe('WORKDIR, USER, STOPSIGNAL, MAINTAINER (the whole rest is one argument)', () => {
  test.each([
    ['WORKDIR /a b', 'WORKDIR', '/a b'],
    ['USER app:app', 'USER', 'app:app'],
    ['USER ${UID}', 'USER', '${UID}'],
    ['STOPSIGNAL SIGKILL', 'STOPSIGNAL', 'SIGKILL'],
    ['MAINTAINER Jane <j@x>', 'MAINTAINER', 'Jane <j@x>'],
  ])('%s', (line, kind, value) => {
    const i = one(line);
    expect(i.kind).toBe(kind);
    const v = i.kind === 'WORKDIR' ? i.path : i.kind === 'USER' ? i.user : i.kind === 'STOPSIGNAL' ? i.signal : i.kind === 'MAINTAINER' ? i.name : null;
    expect(v).toBe(value);
  });

  test.each([
    ['WORKDIR', 'DF2001 2:1 WORKDIR requires exactly one argument'],
    ['USER', 'DF2001 2:1 USER requires exactly one argument'],
    ['STOPSIGNAL', 'DF2001 2:1 STOPSIGNAL requires exactly one argument'],
    ['MAINTAINER', 'DF2001 2:1 MAINTAINER requires exactly one argument'],
    ['WORKDIR --x=1 /a', 'DF2002 2:9 Unknown flag: x (WORKDIR accepts no flags)'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });

  test('MAINTAINER is deprecated (warning)', () => {
    expect(parse('FROM bb\nMAINTAINER me\n').warnings.map((w) => [w.code, w.range?.start.line])).toEqual([['DF2101', 2]]);
  });

  test('flags on STOPSIGNAL are ignored, not errors (Docker 20.10 accepted `STOPSIGNAL --foo SIGKILL`)', () => {
    expect(errorsOf('STOPSIGNAL --foo SIGKILL')).toEqual([]);
  });
});
