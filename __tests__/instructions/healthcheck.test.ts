import { parseGoDuration } from '../../src/instructions/healthcheck.js';
import { one, errorsOf } from './helpers.js';

describe('HEALTHCHECK', () => {
  test('NONE', () => {
    const i = one('HEALTHCHECK none');
    expect(i.kind === 'HEALTHCHECK' && i.none).toBe(true);
  });

  test('CMD shell form with every option', () => {
    const i = one('HEALTHCHECK --interval=30s --timeout=3s --start-period=1m --start-interval=2s --retries=3 CMD curl -f http://x/ || exit 1');
    expect(i.kind === 'HEALTHCHECK' && !i.none && [i.options, i.form, i.form === 'shell' && i.command]).toEqual([
      { interval: '30s', timeout: '3s', startPeriod: '1m', startInterval: '2s', retries: '3' }, 'shell', 'curl -f http://x/ || exit 1',
    ]);
  });

  test('CMD exec form; type is case-insensitive', () => {
    const i = one('HEALTHCHECK cmd ["/bin/check", "-q"]');
    expect(i.kind === 'HEALTHCHECK' && !i.none && i.form === 'exec' && i.args).toEqual(['/bin/check', '-q']);
  });

  test('zero durations are allowed', () => {
    const i = one('HEALTHCHECK --interval=0s --timeout=0 CMD true');
    expect(i.kind === 'HEALTHCHECK' && i.options.interval).toBe('0s');
  });

  test.each([
    // Messages as Docker 20.10 prints them.
    ['HEALTHCHECK', 'DF2001 2:1 HEALTHCHECK requires at least one argument'],
    ['HEALTHCHECK NONE x', 'DF2010 2:18 HEALTHCHECK NONE takes no arguments'],
    ['HEALTHCHECK CONNECT x', 'DF2010 2:13 Unknown type "CONNECT" in HEALTHCHECK (try CMD)'],
    ['HEALTHCHECK CMD', 'DF2010 2:13 Missing command after HEALTHCHECK CMD'],
    ['HEALTHCHECK --interval=5x CMD true', 'DF2010 2:13 time: unknown unit "x" in duration "5x"'],
    ['HEALTHCHECK --interval=10us CMD true', 'DF2010 2:13 Interval "interval" cannot be less than 1ms'],
    ['HEALTHCHECK --timeout=5 CMD true', 'DF2010 2:13 time: missing unit in duration "5"'],
    ['HEALTHCHECK --retries=-1 CMD true', 'DF2010 2:13 --retries cannot be negative (-1)'],
    ['HEALTHCHECK --retries=x CMD true', 'DF2010 2:13 strconv.ParseInt: parsing "x": invalid syntax'],
    ['HEALTHCHECK --interval CMD true', 'DF2003 2:13 Missing a value on flag: interval'],
    ['HEALTHCHECK --intervall=1s CMD true', 'DF2002 2:13 Unknown flag: intervall (HEALTHCHECK accepts --interval, --timeout, --start-period, --start-interval, --retries)'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });

  test.each([
    ['1h2m3.5s', 3723.5e9],
    ['1.5ms', 1.5e6],
    ['300us', 300e3],
    ['0', 0],
    ['-2s', -2e9],
  ])('Go duration %s', (s, ns) => {
    expect(parseGoDuration(s)).toBeCloseTo(ns, 0);
  });

  test('flags are not checked for NONE (Docker 20.10 accepted `HEALTHCHECK --interval=5s NONE`)', () => {
    expect(errorsOf('HEALTHCHECK --interval=5s NONE')).toEqual([]);
    expect(errorsOf('HEALTHCHECK --bogus NONE')).toEqual([]);
  });
});
