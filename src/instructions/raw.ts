/**
 * What every per-instruction parser receives: one logical instruction split the way BuildKit's
 * parser splits it (keyword, leading flags, the rest), with a map back to source positions.
 */
import { error as errorDiag, warning as warningDiag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import type { Code } from '../diagnostics/codes.js';
import type { Position, Range } from '../syntax/position.js';
import { splitCommand, type Span } from '../syntax/words.js';
import type { Flag, Heredoc, Instruction } from './types.js';

/** Maps offsets in a logical line (continuations joined) back to 1-based source positions. */
export interface PositionMap {
  at(offset: number): Position;
  range(start: number, end: number): Range;
}

export interface RawInstruction {
  keyword: Span;
  /** Upper-cased keyword. */
  kind: string;
  original: string;
  flags: Flag[];
  rest: Span;
  heredocs: Heredoc[];
  range: Range;
  positions: PositionMap;
}

export interface ParseContext {
  file: string;
  escapeToken: '\\' | '`';
  diagnostics: Diagnostic[];
  error(code: Code, message: string, range: Range, hint?: string): void;
  warn(code: Code, message: string, range: Range, hint?: string): void;
  /** Parses an ONBUILD trigger with the same registry (set up by the parser to avoid an import cycle). */
  parseTrigger(raw: RawInstruction): Instruction | null;
}

export function makeContext(file: string, escapeToken: '\\' | '`', parseTrigger: ParseContext['parseTrigger']): ParseContext {
  const diagnostics: Diagnostic[] = [];
  return {
    file,
    escapeToken,
    diagnostics,
    parseTrigger,
    error(code, message, range, hint) {
      diagnostics.push({ ...errorDiag(code, message, range, hint), file });
    },
    warn(code, message, range, hint) {
      diagnostics.push({ ...warningDiag(code, message, range, hint), file });
    },
  };
}

export type FlagType = 'bool' | 'string' | 'strings';
export type FlagSpec = Record<string, FlagType>;

/** Flag values after validation: bools as booleans, strings as the last value, strings[] for repeatable flags. */
export interface FlagValues {
  bool: Map<string, boolean>;
  string: Map<string, string>;
  strings: Map<string, string[]>;
}

/**
 * BuildKit's BFlags.Parse: unknown flags, repeated single flags, booleans other than
 * true/false, and string flags without `=value` are errors. Reports every bad flag.
 * Returns null when any flag is invalid.
 */
export function checkFlags(raw: RawInstruction, spec: FlagSpec, ctx: ParseContext): FlagValues | null {
  const values: FlagValues = { bool: new Map(), string: new Map(), strings: new Map() };
  const seen = new Set<string>();
  let ok = true;
  const kw = raw.kind;
  for (const flag of raw.flags) {
    const type = spec[flag.name];
    if (type === undefined) {
      const names = Object.keys(spec);
      const hint = didYouMean(flag.name, names);
      ctx.error('DF2002', `Unknown flag: ${flag.name} (${kw} accepts ${names.length ? names.map((n) => '--' + n).join(', ') : 'no flags'})`, flag.range, hint);
      ok = false;
      continue;
    }
    if (seen.has(flag.name) && type !== 'strings') {
      ctx.error('DF2003', `Duplicate flag specified: ${flag.name}`, flag.range);
      ok = false;
      continue;
    }
    seen.add(flag.name);
    if (type === 'bool') {
      if (flag.value === '') {
        ctx.error('DF2003', `Missing a value on flag: ${flag.name}`, flag.range, `write --${flag.name} or --${flag.name}=true`);
        ok = false;
        continue;
      }
      const lower = flag.value === null ? 'true' : flag.value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') {
        ctx.error('DF2003', `Expecting boolean value for flag ${flag.name}, not: ${flag.value}`, flag.range);
        ok = false;
        continue;
      }
      values.bool.set(flag.name, lower === 'true');
    } else {
      if (flag.value === null) {
        ctx.error('DF2003', `Missing a value on flag: ${flag.name}`, flag.range, `write --${flag.name}=<value>`);
        ok = false;
        continue;
      }
      if (type === 'string') values.string.set(flag.name, flag.value);
      else values.strings.set(flag.name, [...(values.strings.get(flag.name) ?? []), flag.value]);
    }
  }
  return ok ? values : null;
}

export function argRange(raw: RawInstruction, span?: Span): Range {
  const s = span ?? raw.rest;
  if (s.end > s.start) return raw.positions.range(s.start, s.end);
  return raw.positions.range(raw.keyword.start, raw.keyword.end);
}

/** Shared base fields of every typed instruction. */
export function base<K extends Instruction['kind']>(kind: K, raw: RawInstruction): { kind: K; original: string; range: Range; flags: Flag[] } {
  return { kind, original: raw.original, range: raw.range, flags: raw.flags };
}

/** A `--name[=value]` word as a Flag. */
export function toFlag(span: Span, positions: PositionMap): Flag {
  const body = span.text.startsWith('--') ? span.text.slice(2) : span.text;
  const eq = body.indexOf('=');
  return {
    name: eq < 0 ? body : body.slice(0, eq),
    value: eq < 0 ? null : body.slice(eq + 1),
    range: positions.range(span.start, span.end),
  };
}

/** Splits a logical line (or part of one: an ONBUILD trigger) into a RawInstruction. */
export function rawFromLine(text: string, offset: number, positions: PositionMap, range: Range, heredocs: Heredoc[]): RawInstruction {
  const split = splitCommand(text, offset);
  return {
    keyword: split.keyword,
    kind: split.keyword.text.toUpperCase(),
    original: text,
    flags: split.flags.map((f) => toFlag(f, positions)),
    rest: split.rest,
    heredocs,
    range,
    positions,
  };
}
