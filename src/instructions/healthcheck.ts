import { isSpace } from '../syntax/words.js';
import { argRange, base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { commandForm } from './command-form.js';
import type { HealthcheckInstruction, HealthcheckOptions } from './types.js';

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds; a string message on error (Go's wording). */
export function parseGoDuration(s: string): number | string {
  const orig = s;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return `time: invalid duration ${JSON.stringify(orig)}`;
  let total = 0;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (num[0] === '' || num[0] === '.') return `time: invalid duration ${JSON.stringify(orig)}`;
    s = s.slice(num[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === '') return `time: missing unit in duration ${JSON.stringify(orig)}`;
    const mult = UNIT_NS[unit];
    if (mult === undefined) return `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`;
    s = s.slice(unit.length);
    total += Number(`${num[1] || '0'}.${num[2] || '0'}`) * mult;
  }
  return sign * total;
}

const MIN_INTERVAL_NS = 1e6;

export function parseHealthcheck(raw: RawInstruction, ctx: ParseContext): HealthcheckInstruction | null {
  const rest = raw.rest.text;
  if (rest === '') {
    ctx.error('DF2001', 'HEALTHCHECK requires at least one argument', argRange(raw), 'write HEALTHCHECK CMD <command> or HEALTHCHECK NONE');
    return null;
  }
  let sep = 0;
  while (sep < rest.length && !isSpace(rest[sep])) sep++;
  let next = sep;
  while (next < rest.length && isSpace(rest[next])) next++;
  const type = rest.slice(0, sep).toUpperCase();
  const cmdSpan = { text: rest.slice(next), start: raw.rest.start + next, end: raw.rest.end };
  const options: HealthcheckOptions = { interval: null, timeout: null, startPeriod: null, startInterval: null, retries: null };
  if (type === 'NONE') {
    // BuildKit does not parse flags for NONE.
    if (cmdSpan.text !== '') {
      ctx.error('DF2010', 'HEALTHCHECK NONE takes no arguments', argRange(raw, cmdSpan));
      return null;
    }
    return { ...base('HEALTHCHECK', raw), options, none: true };
  }
  const flags = checkFlags(raw, { interval: 'string', timeout: 'string', 'start-period': 'string', 'start-interval': 'string', retries: 'string' }, ctx);
  if (!flags) return null;
  if (type !== 'CMD') {
    ctx.error('DF2010', `Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`, argRange(raw, { text: type, start: raw.rest.start, end: raw.rest.start + sep }));
    return null;
  }
  const form = commandForm(raw, cmdSpan, ctx);
  if (!form) return null;
  if ((form.form === 'shell' && form.command === '') || (form.form === 'exec' && form.args.length === 0)) {
    ctx.error('DF2010', 'Missing command after HEALTHCHECK CMD', argRange(raw));
    return null;
  }
  let ok = true;
  const durations: [string, keyof HealthcheckOptions][] = [['interval', 'interval'], ['timeout', 'timeout'], ['start-period', 'startPeriod'], ['start-interval', 'startInterval']];
  for (const [flag, key] of durations) {
    const v = flags.string.get(flag);
    if (v === undefined || v === '') continue;
    const range = raw.flags.find((f) => f.name === flag)!.range;
    const d = parseGoDuration(v);
    if (typeof d === 'string') {
      ctx.error('DF2010', d, range, 'use a Go duration such as 30s, 1m30s or 500ms');
      ok = false;
    } else if (d !== 0 && d < MIN_INTERVAL_NS) {
      ctx.error('DF2010', `Interval ${JSON.stringify(flag)} cannot be less than 1ms`, range);
      ok = false;
    } else options[key] = v;
  }
  const retries = flags.string.get('retries');
  if (retries !== undefined && retries !== '') {
    const range = raw.flags.find((f) => f.name === 'retries')!.range;
    if (!/^[+-]?\d+$/.test(retries) || Math.abs(Number(retries)) > 2147483647) {
      ctx.error('DF2010', `strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`, range, 'use a whole number');
      ok = false;
    } else if (Number(retries) < 0) {
      ctx.error('DF2010', `--retries cannot be negative (${Number(retries)})`, range);
      ok = false;
    } else options.retries = retries;
  }
  if (!ok) return null;
  return { ...base('HEALTHCHECK', raw), options, none: false, ...form };
}
