import { one, errorsOf } from './helpers.js';

describe('EXPOSE and VOLUME', () => {
  test('EXPOSE ports in source order', () => {
    const i = one('EXPOSE 80/tcp 53/udp  ${PORT}');
    expect(i.kind === 'EXPOSE' && i.ports).toEqual(['80/tcp', '53/udp', '${PORT}']);
  });

  test.each([
    ['VOLUME /a /b', ['/a', '/b'], false],
    ['VOLUME ["/a b", "/c"]', ['/a b', '/c'], true],
  ])('%s', (line, paths, json) => {
    const i = one(line);
    expect(i.kind === 'VOLUME' && [i.paths, i.json]).toEqual([paths, json]);
  });

  test.each([
    ['EXPOSE', 'DF2001 2:1 EXPOSE requires at least one argument'],
    ['VOLUME', 'DF2001 2:1 VOLUME requires at least one argument'],
    ['VOLUME [" "]', 'DF2014 2:8 VOLUME specified can not be an empty string'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
