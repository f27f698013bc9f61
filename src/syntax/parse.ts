/**
 * Reads a Dockerfile the way BuildKit's parser does (frontend/dockerfile/parser/parser.go) and
 * turns each instruction into its typed form (src/instructions).
 *
 * Line handling, in BuildKit's order: a UTF-8 BOM is dropped; parser directives are read only
 * from the leading comment lines; a line whose first non-blank character is `#` is a comment;
 * the escape character as the last non-blank character continues the line (the next line's
 * leading whitespace is kept; comment lines and blank lines inside a continuation are dropped,
 * blank ones with a warning); heredoc bodies follow RUN/COPY/ADD lines.
 *
 * dockerfile-ast is not used here: its joined text keeps comment lines, folds heredoc bodies
 * and drops JSON whitespace (see the dependency research), and BuildKit's own line rules are
 * short enough to follow directly, which also gives exact 1-based columns.
 */
import { DfsimError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { makeContext, rawFromLine, type ParseContext, type PositionMap, type RawInstruction } from '../instructions/raw.js';
import { isKeyword, REGISTRY } from '../instructions/registry.js';
import { KEYWORDS, type ArgInstruction, type Heredoc, type Instruction, type ParsedDockerfile, type ParserDirective, type Stage } from '../instructions/types.js';
import { heredocMarkers } from './heredoc.js';
import { range, type Position, type Range } from './position.js';
import { isSpace, parseJson, splitCommand } from './words.js';

/** bufio.Scanner's limit in BuildKit's parser: longer lines are rejected. */
export const MAX_LINE_BYTES = 65535;

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_KINDS = new Set(['RUN', 'COPY', 'ADD']);

interface PhysicalLine {
  /** Content without the line ending (trailing `\r`s removed, as BuildKit's trimNewline does). */
  text: string;
  /** Content with its line ending exactly as in the file: heredoc bodies keep it. */
  full: string;
}

/** Decodes the input; a Buffer must be UTF-8 text without NUL bytes. */
function decode(input: string | Buffer, file: string): string {
  if (typeof input === 'string') {
    const nul = input.indexOf('\0');
    if (nul >= 0) throw binaryError(file, positionOfOffset(input, nul));
    return input;
  }
  if (input.length === 0) return '';
  const nul = input.indexOf(0);
  if (nul >= 0) throw binaryError(file, positionOfOffset(input.subarray(0, nul).toString('utf8'), nul));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(input);
  } catch {
    const bad = firstInvalidUtf8(input);
    throw binaryError(file, positionOfOffset(input.subarray(0, bad).toString('utf8'), Number.MAX_SAFE_INTEGER), 'invalid UTF-8');
  }
}

function binaryError(file: string, at: Position, what = 'a NUL byte'): DfsimError {
  return new DfsimError({
    code: 'DF1003',
    severity: 'error',
    message: `the Dockerfile is not a text file (${what} at line ${at.line}, column ${at.column})`,
    file,
    range: range(at.line, at.column, at.line, at.column + 1),
    hint: 'check that -f points at the Dockerfile and that it is saved as UTF-8',
  });
}

/** Position of `offset` in `text` (or of the end of `text` when offset is past it). */
function positionOfOffset(text: string, offset: number): Position {
  const upto = text.slice(0, Math.min(offset, text.length));
  const nl = upto.lastIndexOf('\n');
  let line = 1;
  for (let i = upto.indexOf('\n'); i >= 0; i = upto.indexOf('\n', i + 1)) line++;
  return { line, column: upto.length - nl };
}

function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b < 0xe0 ? 1 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xf0 && b < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      const c = buf[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
    }
    i += n + 1;
  }
  return i;
}

function splitLines(text: string): PhysicalLine[] {
  const out: PhysicalLine[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    const full = text.slice(start, end);
    out.push({ full, text: full.replace(/[\r\n]+$/, '') });
    start = end;
  }
  return out;
}

function leadingSpace(s: string): number {
  let i = 0;
  while (i < s.length && isSpace(s[i])) i++;
  return i;
}

function isComment(line: string): boolean {
  return line[leadingSpace(line)] === '#';
}

/** A position map over a logical line built from segments of physical lines. */
function positionMap(segments: { offset: number; line: number; column: number }[]): PositionMap {
  const at = (offset: number): Position => {
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (segments[mid]!.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    const seg = segments[lo]!;
    return { line: seg.line, column: seg.column + (offset - seg.offset) };
  };
  return {
    at,
    range(start, end) {
      const s = at(start);
      // The end is exclusive: the position just after the last character.
      const e = end > start ? at(end - 1) : s;
      return { start: s, end: { line: e.line, column: e.column + (end > start ? 1 : 0) } };
    },
  };
}

/** Parses a Dockerfile. Throws DfsimError carrying every error found; warnings are returned. */
export function parseDockerfile(input: string | Buffer, file: string): ParsedDockerfile {
  let text = decode(input, file);
  if (text.length === 0) {
    throw new DfsimError({ code: 'DF1001', severity: 'error', message: 'the Dockerfile cannot be empty', file, range: range(1, 1, 1, 1) });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = splitLines(text);

  const directives: ParserDirective[] = [];
  const early: Diagnostic[] = [];
  let escapeToken: '\\' | '`' = '\\';
  let directivesDone = false;
  const seenDirectives = new Set<string>();

  // Directives are looked for on each line until the first line that is not one.
  const checkDirective = (content: string, lineNo: number, column: number): void => {
    if (directivesDone) return;
    const m = DIRECTIVE.exec(content);
    const key = m?.[1]?.toLowerCase();
    if (!m || key === undefined || !KNOWN_DIRECTIVES.has(key)) {
      directivesDone = true;
      return;
    }
    const value = m[2]!;
    const r = range(lineNo, column, lineNo, column + content.length);
    if (seenDirectives.has(key)) {
      early.push({ code: 'DF1006', severity: 'error', message: `only one ${key} parser directive can be used`, file, range: r, hint: `remove the second "# ${key}=" line` });
      return;
    }
    seenDirectives.add(key);
    if (key === 'escape') {
      if (value !== '\\' && value !== '`') {
        early.push({ code: 'DF1005', severity: 'error', message: `invalid escape token '${value}' does not match \` or \\`, file, range: r, hint: 'use # escape=\\ or # escape=`' });
        return;
      }
      escapeToken = value;
    }
    directives.push({ name: key, value, range: r });
  };

  // Long lines are rejected by BuildKit before anything else is read.
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.text.length > MAX_LINE_BYTES / 3 && Buffer.byteLength(l.full.replace(/\n$/, ''), 'utf8') > MAX_LINE_BYTES) {
      throw new DfsimError({
        code: 'DF1004', severity: 'error', file, range: range(i + 1, 1, i + 1, 1),
        message: `dockerfile line greater than max allowed size of ${MAX_LINE_BYTES}`,
        hint: 'split the line with line continuations, or move long content into a file in the build context',
      });
    }
  }

  let ctx: ParseContext | null = null;
  const parseTrigger = (raw: RawInstruction): Instruction | null => dispatch(raw, ctx!);
  const results: { instruction: Instruction | null; raw: RawInstruction }[] = [];
  let sawLogicalLine = false;

  const contRegex = (): RegExp => (escapeToken === '\\' ? /([^\\])\\[ \t]*$|^\\[ \t]*$/ : /([^`])`[ \t]*$|^`[ \t]*$/);
  const trimContinuation = (s: string, re: RegExp): { text: string; continues: boolean } =>
    re.test(s) ? { text: s.replace(re, (_m, c: string | undefined) => c ?? ''), continues: true } : { text: s, continues: false };

  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    const startLine = i + 1;
    i++;
    const lead = leadingSpace(first.text);
    const stripped = first.text.slice(lead);
    checkDirective(stripped, startLine, lead + 1);
    const re = contRegex();
    const firstContent = stripped.startsWith('#') ? '' : stripped;
    let { text: line, continues } = trimContinuation(firstContent, re);
    if (!continues && line === '') continue;
    if (ctx === null) ctx = makeContext(file, escapeToken, parseTrigger);

    const segments = [{ offset: 0, line: startLine, column: lead + 1 }];
    let endLine = startLine;
    let emptyContinuation = false;
    while (continues && i < lines.length) {
      const next = lines[i]!;
      const lineNo = i + 1;
      i++;
      endLine = lineNo;
      if (isComment(next.text)) continue;
      if (leadingSpace(next.text) === next.text.length) {
        emptyContinuation = true;
        continue;
      }
      const piece = trimContinuation(next.text, re);
      segments.push({ offset: line.length, line: lineNo, column: 1 });
      line += piece.text;
      continues = piece.continues;
    }
    sawLogicalLine = true;
    const positions = positionMap(segments);
    const split = splitCommand(line, 0);
    const kind = split.keyword.text.toUpperCase();

    // Heredocs: RUN, COPY and ADD (also as ONBUILD triggers) unless in JSON form.
    let heredocKind = kind;
    let heredocRest = split.rest.text;
    if (kind === 'ONBUILD') {
      const sub = splitCommand(split.rest.text);
      heredocKind = sub.keyword.text.toUpperCase();
      heredocRest = sub.rest.text;
    }
    const heredocs: Heredoc[] = [];
    if (HEREDOC_KINDS.has(heredocKind) && parseJson(heredocRest).kind !== 'json') {
      for (const marker of heredocMarkers(line, 0)) {
        let content = '';
        let terminated = false;
        while (i < lines.length) {
          const body = lines[i]!;
          i++;
          endLine = i;
          const candidate = marker.stripTabs ? body.text.replace(/^\t+/, '') : body.text;
          if (candidate === marker.name) {
            terminated = true;
            break;
          }
          content += body.full;
        }
        const startPos = positions.at(marker.span.start);
        if (!terminated) {
          ctx.error('DF1007', `unterminated heredoc ${marker.name}`, positions.range(marker.span.start, marker.span.end),
            `end the heredoc with a line containing only ${marker.name}`);
          break;
        }
        heredocs.push({
          name: marker.name,
          expand: marker.expand,
          stripTabs: marker.stripTabs,
          content: marker.stripTabs ? content.replace(/^\t+/gm, '') : content,
          range: range(startPos.line, startPos.column, endLine, lines[endLine - 1]!.text.length + 1),
        });
      }
    }

    const fullRange = range(startLine, lead + 1, endLine, lines[endLine - 1]!.text.length + 1);
    if (emptyContinuation) {
      ctx.warn('DF1008', 'Empty continuation line', fullRange, 'remove the blank line, or end it with a comment line instead');
    }
    const raw = rawFromLine(line, 0, positions, fullRange, heredocs);
    results.push({ instruction: dispatch(raw, ctx), raw });
  }

  if (early.length > 0) throw new DfsimError(early);
  if (!sawLogicalLine || ctx === null) {
    throw new DfsimError({
      code: 'DF1002', severity: 'error', message: 'file with no instructions', file,
      range: range(Math.max(lines.length, 1), 1, Math.max(lines.length, 1), 1), hint: 'add a FROM instruction',
    });
  }
  const { metaArgs, stages } = assembleStages(results, ctx);
  const errors = ctx.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new DfsimError(sortDiagnostics(errors));
  return {
    file,
    escapeToken,
    directives,
    metaArgs,
    stages,
    warnings: sortDiagnostics(ctx.diagnostics.filter((d) => d.severity !== 'error')),
  };
}

function dispatch(raw: RawInstruction, ctx: ParseContext): Instruction | null {
  if (!isKeyword(raw.kind)) {
    const hint = didYouMean(raw.kind, KEYWORDS);
    ctx.error('DF1009', `unknown instruction: ${raw.kind}`, raw.positions.range(raw.keyword.start, raw.keyword.end), hint);
    return null;
  }
  // The registry is keyed by kind; the cast only widens the per-kind parser to the union.
  const parser = REGISTRY[raw.kind] as (raw: RawInstruction, ctx: ParseContext) => Instruction | null;
  return parser(raw, ctx);
}

/** Groups instructions into stages (BuildKit instructions.Parse): ARGs before the first FROM are meta ARGs. */
function assembleStages(results: { instruction: Instruction | null; raw: RawInstruction }[], ctx: ParseContext): { metaArgs: ArgInstruction[]; stages: Stage[] } {
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  const names = new Map<string, Stage>();
  let sawFrom = false;
  let reportedNoStage = false;
  for (const { instruction: ins, raw } of results) {
    if (raw.kind === 'FROM') {
      sawFrom = true;
      if (!ins || ins.kind !== 'FROM') continue;
      const stage: Stage = { index: stages.length, name: ins.stageName, from: ins, instructions: [] };
      if (ins.stageName !== null) {
        const key = ins.stageName.toLowerCase();
        const prev = names.get(key);
        // Not an error: current BuildKit only lints it (DuplicateStageName) and lets the last stage of
        // the name win; the classic builder fails when it reaches the second (the executor's DF2006;
        // recorded: exec-r13-stage-name-rules).
        if (prev) {
          ctx.warn('DF2104', `Duplicate stage name ${JSON.stringify(key)}, stage names should be unique`, ins.range,
            `stage ${prev.index} (line ${prev.from.range.start.line}) is already named ${JSON.stringify(prev.name)}; rename one of them (the classic builder fails here; BuildKit's --from and --target take the last stage of a name)`);
        } else names.set(key, stage);
      }
      stages.push(stage);
      continue;
    }
    if (!sawFrom) {
      if (raw.kind === 'ARG') {
        if (ins && ins.kind === 'ARG') metaArgs.push(ins);
        continue;
      }
      if (!reportedNoStage && isKeyword(raw.kind)) {
        reportedNoStage = true;
        ctx.error('DF2004', 'no build stage in current context', raw.range, `only ARG may come before the first FROM; move this ${raw.kind} after a FROM`);
      }
      continue;
    }
    const stage = stages[stages.length - 1];
    if (ins && stage) stage.instructions.push(ins);
  }
  if (!sawFrom && !reportedNoStage) {
    const last = results[results.length - 1]!;
    ctx.error('DF2004', 'the Dockerfile has no FROM instruction, so there is no stage to build', last.raw.range, 'add FROM <image> after the global ARGs');
  }
  return { metaArgs, stages };
}

function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  const key = (r: Range | undefined): number => (r ? r.start.line * 1e6 + r.start.column : 0);
  return [...list].sort((a, b) => key(a.range) - key(b.range));
}
