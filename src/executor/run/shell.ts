import type { Node } from 'web-tree-sitter';
import { FsError } from '../fs-types.js';
import type { FsNodeInfo, ShellFs } from '../fs-types.js';
import type { RunUser } from './types.js';
import { captureSink, emptyInput, readLine, textInput } from './io.js';
import type { Input, Io, Sink, Text } from './io.js';
import { dirname, expandGlob, globToRegExp, hasGlobChars, normalizePath, strerror } from './paths.js';
import { userGroups } from './users.js';

/** Thrown by `exit` and by `set -e`; caught at the shell (or subshell) boundary. */
export class ExitSignal {
  constructor(readonly code: number) {}
}
class LoopSignal {
  constructor(
    readonly kind: 'break' | 'continue',
    public levels: number,
  ) {}
}
class ReturnSignal {
  constructor(readonly code: number) {}
}
/** Thrown when a script runs too long to simulate (e.g. `while true` without a computable break). */
export class StepLimit {}

const MAX_STEPS = 100_000;

/** State every subshell shares: the filesystem is one, and so is what we learn about the run. */
export interface Shared {
  fs: ShellFs;
  user: RunUser;
  notUnderstood: string[];
  /** Set once an opaque command ran: the fs may now hold files we do not know of. */
  tainted: boolean;
  /** Paths written with content we could not compute. */
  unknownFiles: Set<string>;
  lastFailure?: { command: string; message: string };
  steps: number;
  /** stderr of the simple command running now, for failure messages. */
  currentStderr: string;
  /** Name of the simple command running now, for notes about its output. */
  currentCommand: string;
}

export type CommandImpl = (sh: Shell, argv: string[], io: Io, env: Map<string, string>) => number;

/** Shell builtins of busybox ash: they run even when no file of that name exists. */
export const ASH_BUILTINS = new Set([
  ':', '.', '[', '[[', 'alias', 'break', 'cd', 'chdir', 'command', 'continue', 'echo', 'eval', 'exec', 'exit',
  'export', 'false', 'getopts', 'hash', 'kill', 'let', 'local', 'printf', 'pwd', 'read', 'readonly', 'return',
  'set', 'shift', 'source', 'test', 'times', 'trap', 'true', 'type', 'ulimit', 'umask', 'unalias', 'unset', 'wait',
]);

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Piece {
  text: string;
  quoted: boolean;
  /** Came from an unquoted expansion: subject to field splitting. */
  split: boolean;
  unknown?: boolean;
}

type Fields = string[] | null;

export class Shell {
  vars = new Map<string, string>();
  unknownVars = new Set<string>();
  exported = new Set<string>();
  funcs = new Map<string, Node>();
  positional: string[] = [];
  cwd = '/';
  errexit = false;
  pipefail = false;
  xtrace = false;
  status = 0;
  condDepth = 0;

  constructor(
    readonly shared: Shared,
    readonly commands: Map<string, CommandImpl>,
  ) {}

  get fs(): ShellFs {
    return this.shared.fs;
  }

  clone(): Shell {
    const c = new Shell(this.shared, this.commands);
    c.vars = new Map(this.vars);
    c.unknownVars = new Set(this.unknownVars);
    c.exported = new Set(this.exported);
    c.funcs = new Map(this.funcs);
    c.positional = [...this.positional];
    c.cwd = this.cwd;
    c.errexit = this.errexit;
    c.pipefail = this.pipefail;
    c.xtrace = this.xtrace;
    c.status = this.status;
    c.condDepth = this.condDepth;
    return c;
  }

  /** A child `sh` process: only exported variables survive. */
  childProcess(env: Map<string, string>): Shell {
    const c = new Shell(this.shared, this.commands);
    for (const [k, v] of env) {
      c.vars.set(k, v);
      c.exported.add(k);
    }
    c.cwd = this.cwd;
    return c;
  }

  // ---------------------------------------------------------------- bookkeeping

  opaque(what: string): void {
    if (!this.shared.notUnderstood.includes(what)) this.shared.notUnderstood.push(what);
  }

  /** An opaque command with possible fs effects: later "missing path" failures are no longer certain. */
  taint(what: string): void {
    this.opaque(what);
    this.shared.tainted = true;
  }

  abs(path: string): string {
    return normalizePath(path, this.cwd);
  }

  env(): Map<string, string> {
    const env = new Map<string, string>();
    for (const name of this.exported) {
      const v = this.vars.get(name);
      if (v !== undefined) env.set(name, v);
    }
    return env;
  }

  // ---------------------------------------------------------------- output

  write(sink: Sink, text: Text): void {
    switch (sink.kind) {
      case 'log':
      case 'null':
        return;
      case 'capture':
        if (text === null) sink.unknown = true;
        else sink.text += text;
        return;
      case 'file':
        this.appendFile(sink.path, text);
        return;
    }
  }

  out(io: Io, text: Text): void {
    this.write(io.out, text);
  }

  /** stdout of a command already reported as opaque: unknown, without a second note. */
  unknownOutput(io: Io): void {
    if (io.out.kind === 'file') this.markUnknown(io.out.path);
    else this.write(io.out, null);
  }

  /** Writes a diagnostic line to stderr and remembers it as the reason should this command fail. */
  err(io: Io, line: string): void {
    this.shared.currentStderr = line;
    this.write(io.err, `${line}\n`);
  }

  appendFile(path: string, text: Text): void {
    try {
      if (text === null) {
        this.opaque(`${this.shared.currentCommand || 'command'} output written to a file`);
        this.markUnknown(path);
        return;
      }
      if (text === '') return;
      // An existing file keeps its mode and owner.
      const opts = this.fs.stat(path) ? {} : { uid: this.shared.user.uid, gid: this.shared.user.gid, mode: 0o644 };
      this.fs.writeFile(path, text, { append: true, ...opts });
    } catch {
      // The file was opened successfully by the redirection; a later failure here is not a shell error.
    }
  }

  realOr(path: string): string {
    return this.fs.realpath(path) ?? path;
  }

  /** File text: a string, null when the bytes are unknown, or an FsError code when unreadable. */
  readText(path: string): Text | 'ENOENT' | 'EISDIR' {
    const st = this.fs.stat(path);
    if (!st) return 'ENOENT';
    if (st.type === 'dir') return 'EISDIR';
    if (this.shared.unknownFiles.has(this.realOr(path))) return null;
    const buf = this.fs.readFile(path);
    return buf === undefined ? null : buf.toString('utf8');
  }

  /** Creates or replaces a file with computed (or unknown) content, owned by the RUN's user. */
  writeText(path: string, text: Text, mode = 0o644): void {
    const existed = this.fs.stat(path) !== undefined;
    this.fs.writeFile(path, text ?? '', existed ? {} : { mode, uid: this.shared.user.uid, gid: this.shared.user.gid });
    const real = this.realOr(path);
    if (text === null) this.markUnknown(path);
    else this.shared.unknownFiles.delete(real);
  }

  /** Records that a file's bytes are unknown, in the stage filesystem too when it can say so. */
  markUnknown(path: string): void {
    this.shared.unknownFiles.add(this.realOr(path));
    const fs = this.fs as ShellFs & { forgetContent?: (p: string) => void };
    try {
      fs.forgetContent?.(this.realOr(path));
    } catch {
      // Best effort: our own record above is what later commands consult.
    }
  }

  /**
   * A command failing because a path is missing. After an opaque command the path may well exist in
   * reality, so the failure is not certain: assume success and say so.
   */
  missing(io: Io, cmd: string, message: string, code = 1): number {
    if (this.shared.tainted) {
      this.opaque(`${cmd} of a path an earlier opaque command may have created`);
      return 0;
    }
    this.err(io, message);
    return code;
  }

  step(): void {
    if (++this.shared.steps > MAX_STEPS) throw new StepLimit();
  }

  // ---------------------------------------------------------------- execution

  run(node: Node, io: Io): number {
    this.step();
    switch (node.type) {
      case 'program':
      case 'compound_statement':
      case 'do_group':
        return this.runStatements(node.namedChildren, io);
      case 'comment':
        return this.status;
      case 'command':
        return this.runCommand(node, io, []);
      case 'variable_assignment':
      case 'variable_assignments':
        return this.runCommand(node, io, []);
      case 'declaration_command':
        return this.runDeclaration(node, io);
      case 'unset_command':
        return this.runUnset(node);
      case 'list':
      case 'pipeline':
        return this.runChain(node, io);
      case 'negated_command': {
        const inner = node.namedChildren.find((c) => c.type !== 'comment');
        this.condDepth++;
        try {
          const code = inner ? this.run(inner, io) : 0;
          return this.setStatus(code === 0 ? 1 : 0);
        } finally {
          this.condDepth--;
        }
      }
      case 'subshell':
        return this.runSubshell(node.namedChildren, io);
      case 'redirected_statement':
        return this.runRedirected(node, io);
      case 'if_statement':
        return this.runIf(node, io);
      case 'for_statement':
        return this.runFor(node, io);
      case 'while_statement':
        return this.runWhile(node, io);
      case 'case_statement':
        return this.runCase(node, io);
      case 'function_definition': {
        const name = node.childForFieldName('name')?.text;
        const body = node.childForFieldName('body');
        if (name && body) this.funcs.set(name, body);
        return this.setStatus(0);
      }
      case 'test_command':
        return this.runTestCommand(node, io);
      default:
        this.taint(`shell construct ${node.type}`);
        return this.setStatus(0);
    }
  }

  /** `-o NAME` / `+o NAME` of sh and set; false for a name busybox ash does not know. */
  setOption(name: string, on: boolean): boolean {
    switch (name) {
      case 'errexit':
        this.errexit = on;
        return true;
      case 'xtrace':
        this.xtrace = on;
        return true;
      case 'pipefail':
        this.pipefail = on;
        return true;
      default:
        // Known to ash (its `set -o` list) but not simulated.
        return ['noglob', 'ignoreeof', 'monitor', 'noexec', 'verbose', 'noclobber', 'allexport', 'notify', 'nounset', 'errtrace', 'vi'].includes(name);
    }
  }

  /** A one-letter option of sh and set (-e, -x); the others change nothing we simulate. */
  setFlag(flag: string, on: boolean): void {
    if (flag === 'e') this.errexit = on;
    else if (flag === 'x') this.xtrace = on;
  }

  setStatus(code: number): number {
    this.status = code;
    return code;
  }

  private maybeErrexit(): void {
    if (this.errexit && this.condDepth === 0 && this.status !== 0) throw new ExitSignal(this.status);
  }

  runStatements(nodes: Node[], io: Io): number {
    for (const n of nodes) {
      if (n.type === 'comment' || n.type === 'heredoc_body') continue;
      this.run(n, io);
    }
    return this.status;
  }

  /**
   * Runs && / || lists and pipelines. tree-sitter-bash attaches a trailing redirection to the whole
   * list or pipeline (`a && b > f` parses as `(a && b) > f`, `a && b | c` as `(a && b) | c`), so the
   * chain is flattened and rebuilt with the shell's precedence: pipelines bind tighter than && / ||,
   * and a redirection belongs to the command it follows.
   */
  private runChain(node: Node, io: Io): number {
    const flat: ChainPart[] = [];
    flattenChain(node, flat);
    // Split into and-or elements, each a pipeline of items.
    const elements: Array<{ op: string; items: ChainItem[] }> = [];
    let cur: { op: string; items: ChainItem[] } = { op: '', items: [] };
    let bothStreams = false;
    for (const part of flat) {
      if (part.kind === 'op') {
        if (part.op === '|' || part.op === '|&') {
          if (part.op === '|&') bothStreams = true;
          continue;
        }
        elements.push(cur);
        cur = { op: part.op, items: [] };
        continue;
      }
      cur.items.push(part);
    }
    elements.push(cur);
    let code = this.status;
    for (const [i, el] of elements.entries()) {
      if (i > 0 && ((el.op === '&&' && code !== 0) || (el.op === '||' && code === 0))) continue;
      const last = i === elements.length - 1;
      if (!last) this.condDepth++;
      try {
        code = this.runPipelineItems(el.items, io, bothStreams);
      } finally {
        if (!last) this.condDepth--;
      }
    }
    return this.setStatus(code);
  }

  private runPipelineItems(items: ChainItem[], io: Io, bothStreams: boolean): number {
    if (items.length === 1) {
      const only = items[0] as ChainItem;
      return this.runWithRedirects(only.node, only.redirects, io, only.heredocHead);
    }
    let input: Input = io.stdin;
    let code = 0;
    let failed = 0;
    for (const [i, item] of items.entries()) {
      const last = i === items.length - 1;
      const sink = last ? io.out : captureSink();
      const sub = this.clone();
      // Every element of a pipeline runs in its own subshell in ash.
      code = sub.runIsolatedWith(() => sub.runWithRedirects(item.node, item.redirects, { stdin: input, out: sink, err: bothStreams && !last ? sink : io.err }, item.heredocHead));
      if (code !== 0) failed = code;
      if (sink.kind === 'capture' && !last) input = textInput(sink.unknown ? null : sink.text);
    }
    // pipefail: the status of the last command that failed (checked on bb:latest: `(exit 2) | (exit 3) | true` is 3).
    if (this.pipefail) code = failed;
    this.setStatus(code);
    this.maybeErrexit();
    return code;
  }

  runIsolatedWith(fn: () => number): number {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ExitSignal) return this.setStatus(e.code);
      if (e instanceof LoopSignal || e instanceof ReturnSignal) return this.status;
      throw e;
    }
  }

  /** Runs a node as a subshell body: `exit` ends only this subshell. */
  runIsolated(node: Node | Node[], io: Io): number {
    try {
      return Array.isArray(node) ? this.runStatements(node, io) : this.run(node, io);
    } catch (e) {
      if (e instanceof ExitSignal) return this.setStatus(e.code);
      if (e instanceof LoopSignal || e instanceof ReturnSignal) return this.status;
      throw e;
    }
  }

  private runSubshell(nodes: Node[], io: Io): number {
    const code = this.clone().runIsolated(nodes, io);
    this.setStatus(code);
    this.maybeErrexit();
    return code;
  }

  private runIf(node: Node, io: Io): number {
    // Children: "if" cond... "then" body... (elif_clause | else_clause)* "fi"
    const groups = splitKeywords(node.children, ['if', 'then', 'fi']);
    const cond = groups.get('if') ?? [];
    const body = groups.get('then') ?? [];
    if (this.runCondition(cond, io) === 0) return this.runStatements(body, io);
    for (const clause of node.namedChildren) {
      if (clause.type === 'elif_clause') {
        const g = splitKeywords(clause.children, ['elif', 'then']);
        if (this.runCondition(g.get('elif') ?? [], io) === 0) return this.runStatements(g.get('then') ?? [], io);
      } else if (clause.type === 'else_clause') {
        return this.runStatements(clause.namedChildren, io);
      }
    }
    return this.setStatus(0);
  }

  private runCondition(nodes: Node[], io: Io): number {
    this.condDepth++;
    try {
      return this.runStatements(nodes.filter((n) => n.isNamed), io);
    } finally {
      this.condDepth--;
    }
  }

  private runFor(node: Node, io: Io): number {
    const variable = node.childForFieldName('variable')?.text;
    const body = node.childForFieldName('body');
    if (!variable || !body) {
      this.taint('for loop');
      return this.setStatus(0);
    }
    const hasIn = node.children.some((c) => c.type === 'in');
    let values: string[] = [];
    if (hasIn) {
      for (const v of node.childrenForFieldName('value')) {
        if (!v) continue;
        const f = this.expandFields(v);
        if (f === null) {
          this.taint('for loop over unknown values');
          return this.setStatus(0);
        }
        values.push(...f);
      }
    } else {
      values = [...this.positional];
    }
    this.setStatus(0);
    for (const value of values) {
      this.setVar(variable, value);
      if (this.loopBody(body, io) === 'break') break;
    }
    return this.status;
  }

  /**
   * Runs a loop body once: its status, or 'break'/'continue' when it raised one for this loop
   * (a break or continue for an outer loop is passed on with one level less).
   */
  private loopBody(body: Node, io: Io): number | 'break' | 'continue' {
    try {
      return this.run(body, io);
    } catch (e) {
      if (!(e instanceof LoopSignal)) throw e;
      if (e.levels > 1) {
        e.levels--;
        throw e;
      }
      return e.kind;
    }
  }

  private runWhile(node: Node, io: Io): number {
    const until = node.children[0]?.type === 'until';
    const body = node.childForFieldName('body');
    const cond = node.children.filter((c, i) => i > 0 && c.isNamed && c !== body && node.fieldNameForChild(i) === 'condition');
    if (!body) {
      this.taint('while loop');
      return this.setStatus(0);
    }
    let bodyStatus = 0;
    for (;;) {
      this.step();
      const c = this.runCondition(cond, io);
      if (until ? c === 0 : c !== 0) break;
      const outcome = this.loopBody(body, io);
      if (outcome === 'break') break;
      if (outcome !== 'continue') bodyStatus = outcome;
    }
    return this.setStatus(bodyStatus);
  }

  private runCase(node: Node, io: Io): number {
    const valueNode = node.childForFieldName('value');
    const value = valueNode ? this.expandWord(valueNode) : '';
    if (value === null) {
      this.taint('case on an unknown value');
      return this.setStatus(0);
    }
    this.setStatus(0);
    const items = node.namedChildren.filter((c) => c.type === 'case_item');
    for (const [idx, item] of items.entries()) {
      const kids = item.children;
      const close = kids.findIndex((k) => k.type === ')');
      const patterns = kids.slice(0, close).filter((k) => k.isNamed && item.fieldNameForChild(kids.indexOf(k)) === 'value');
      let matched = false;
      for (const p of patterns) {
        const pat = this.expandPattern(p);
        if (pat === null) {
          this.taint('case pattern with unknown value');
          return this.setStatus(0);
        }
        if (globToRegExp(pat).test(value)) {
          matched = true;
          break;
        }
      }
      if (!matched) continue;
      const body = kids.slice(close + 1).filter((k) => k.isNamed && k.type !== 'comment');
      this.runStatements(body, io);
      const term = item.childForFieldName('termination')?.type ?? kids[kids.length - 1]?.type;
      if (term === ';&') {
        const next = items[idx + 1];
        if (next) {
          const nk = next.children;
          const nclose = nk.findIndex((k) => k.type === ')');
          this.runStatements(nk.slice(nclose + 1).filter((k) => k.isNamed), io);
        }
      }
      return this.status;
    }
    return this.status;
  }

  private runTestCommand(node: Node, io: Io): number {
    const open = node.children[0]?.type ?? '[';
    if (open === '((') {
      this.opaque('(( )) arithmetic command');
      return this.setStatus(0);
    }
    // ash splits words at blanks only, where tree-sitter-bash also reads `[-n x]` and `[ -n x]` as tests.
    const openNode = node.children[0];
    const close = node.children[node.childCount - 1];
    const before = node.children[node.childCount - 2];
    if (openNode && node.children[1]?.startIndex === openNode.endIndex) {
      // `[-n x]`: a command named `[-n` (checked on bb:latest: "sh: [-n: not found", exit 127).
      const word = /^\S+/.exec(node.text)?.[0] ?? open;
      if (PLAIN_BRACKET_WORD.test(word)) return this.runGluedName(word, node.text, io);
      // `['/bin/sh','-c','echo a > /x']` (an exec form in single quotes, run as shell form) is one
      // word: ash runs a command named `[/bin/sh,-c,echo a > /x]` (recorded: cache-r5-json-spacing, 127).
      // Its unquoted brackets make it a glob too, which a one-character file name in the working
      // directory would match: then it is left opaque.
      if (SINGLE_QUOTED_WORD.test(node.text)) {
        const name = node.text.replace(/'/g, '');
        if (name.endsWith(']') && (this.fs.readdir(this.cwd) ?? []).some((n) => n.length === 1)) {
          this.taint(`${open} word that may match a file name`);
          return this.setStatus(0);
        }
        return this.runGluedName(name, node.text, io);
      }
      this.taint(`${open} glued to its first argument`);
      return this.setStatus(0);
    }
    let closeGlued = false;
    if (close && before && before !== openNode && close.startIndex === before.endIndex) {
      // `[ -n x]`: the last argument is `x]` and the closing bracket is missing (checked: "sh: missing ]", exit 2).
      let last: Node | null = before;
      while (last && !WORD_TYPES.has(last.type)) last = last.lastChild;
      if (!last || !['word', 'number'].includes(last.type) || !/^[\w,.:/=+@%-]+$/.test(last.text)) {
        this.taint(`${open} ] glued to its last argument`);
        return this.setStatus(0);
      }
      closeGlued = true;
    }
    const argv: string[] = [open];
    const flatten = (n: Node): boolean => {
      if (WORD_TYPES.has(n.type) && n.type !== 'regex') {
        const f = this.expandFields(n, { glob: false });
        if (f === null) return false;
        argv.push(...f);
        return true;
      }
      if (n.childCount === 0 || n.type === 'regex' || n.type === 'test_operator') {
        argv.push(n.text);
        return true;
      }
      return n.children.every(flatten);
    };
    const inner = node.children.slice(1, -1);
    if (!inner.every(flatten)) {
      this.opaque(`${open} ] on an unknown value`);
      return this.setStatus(0);
    }
    if (closeGlued) argv[argv.length - 1] += close?.text ?? '';
    else argv.push(open === '[[' ? ']]' : ']');
    return this.execArgv(argv, io, new Map(), node.text);
  }

  /**
   * A command whose name is a bracket glued to more text (`[-n`, `[test,`): ash looks it up like any
   * other command, and a name no file has fails with 127. If something could answer to it, opaque.
   */
  private runGluedName(name: string, text: string, io: Io): number {
    if (this.funcs.has(name) || this.findExecutable(name, this.env()) !== 'missing') {
      this.taint(`a command named ${name}`);
      return this.setStatus(0);
    }
    return this.execArgv([name], io, this.env(), text);
  }

  /**
   * A script tree-sitter-bash could not parse. It also fails on some scripts ash runs, so only a mistake
   * whose outcome is certain is simulated: a whole script like `['cmd', 'arg']` (an exec-form array in
   * single quotes, which the Dockerfile reads as shell form), whose first word ash takes for a command
   * named `[cmd,` (recorded: exec-r2-exec-form-vars, "sh: [test,: not found", exit 127). Anything else
   * is opaque.
   */
  runUnparsed(root: Node, io: Io): number {
    const statements = root.namedChildren.filter((c) => c.type !== 'comment');
    const only = statements.length === 1 ? statements[0] : undefined;
    const [open, cmd] = only?.type === 'ERROR' && only.childCount === 2 ? only.children : [];
    const nameNode = cmd?.type === 'command' ? (cmd.childForFieldName('name')?.namedChildren[0] ?? null) : null;
    const simple = cmd?.namedChildren.every((c) => c.type === 'command_name' || WORD_TYPES.has(c.type));
    if (open && cmd && nameNode && simple && !cmd.hasError && (open.type === '[' || open.type === '[[') && cmd.startIndex === open.endIndex && !/[\]*?[]/.test(nameNode.text)) {
      const rest = this.expandWord(nameNode);
      if (rest !== null) return this.runGluedName(open.type + rest, only?.text ?? '', io);
    }
    this.taint('unparseable shell');
    return this.setStatus(0);
  }

  private runDeclaration(node: Node, io: Io): number {
    const kw = node.children[0]?.type ?? 'export';
    for (const c of node.namedChildren) {
      if (c.type === 'variable_assignment') {
        const r = this.assignment(c);
        if (!r) return this.setStatus(0);
        this.setVar(r.name, r.value);
        if (kw === 'export') this.exported.add(r.name);
      } else if (c.type === 'variable_name' || c.type === 'word') {
        if (kw === 'export') this.exported.add(c.text);
      } else {
        this.opaque(`${kw} ${c.text}`);
      }
    }
    return this.setStatus(0);
  }

  private runUnset(node: Node): number {
    for (const c of node.namedChildren) {
      const f = this.expandFields(c);
      for (const name of f ?? []) {
        if (name.startsWith('-')) continue;
        this.vars.delete(name);
        this.unknownVars.delete(name);
        this.exported.delete(name);
        this.funcs.delete(name);
      }
    }
    return this.setStatus(0);
  }

  private runRedirected(node: Node, io: Io): number {
    const body = node.childForFieldName('body');
    if (body && (body.type === 'list' || body.type === 'pipeline')) return this.runChain(node, io);
    const redirects = node.children.filter((c) => c.type.endsWith('_redirect'));
    return this.runWithRedirects(body ?? undefined, redirects, io);
  }

  /** Runs a node with redirections; simple commands take them as their own (after their inline ones). */
  runWithRedirects(body: Node | undefined, redirects: Node[], io: Io, headOfHeredocPipe = false): number {
    if (redirects.length === 0) return body ? this.run(body, io) : this.setStatus(0);
    // tree-sitter-bash nests what follows a heredoc start (`cat <<EOF > f | wc`) inside the heredoc node.
    const heredoc = redirects.find((r) => r.type === 'heredoc_redirect');
    let pipeTail: Node | undefined;
    const all = [...redirects];
    if (heredoc && !headOfHeredocPipe) {
      for (const c of heredoc.namedChildren) {
        if (c.type === 'file_redirect') all.push(c);
        else if (c.type === 'pipeline' || c.type === 'redirected_statement' || c.type === 'command') pipeTail = c;
        else if (!['heredoc_start', 'heredoc_body', 'heredoc_end'].includes(c.type)) this.taint(`${c.type} after a heredoc`);
      }
    }
    if (pipeTail) {
      // `cat <<EOF | next...`: the redirected head feeds the tail's first command.
      const items: ChainItem[] = [{ kind: 'item', node: body as Node, redirects: all, heredocHead: true }];
      const flat: ChainPart[] = [];
      flattenChain(pipeTail, flat);
      for (const p of flat) if (p.kind === 'item') items.push(p);
      return this.runPipelineItems(items, io, false);
    }
    if (body && body.type === 'command') return this.runCommand(body, io, all);
    const newIo = this.applyRedirects(all, io);
    if (!newIo) {
      this.setStatus(1);
      this.maybeErrexit();
      return 1;
    }
    if (!body) return this.setStatus(0);
    return this.run(body, newIo);
  }

  /** Opens redirections in order. Returns undefined (after printing ash's message) when one fails. */
  applyRedirects(redirects: Node[], io: Io): Io | undefined {
    const fds: { 0: Input; 1: Sink; 2: Sink } = { 0: io.stdin, 1: io.out, 2: io.err };
    const errIo: Io = io;
    for (const r of redirects) {
      if (r.type === 'heredoc_redirect') {
        fds[0] = textInput(this.heredocText(r));
        continue;
      }
      if (r.type === 'herestring_redirect') {
        const word = r.namedChildren[r.namedChildren.length - 1];
        const text = word ? this.expandWord(word) : '';
        fds[0] = textInput(text === null ? null : `${text}\n`);
        continue;
      }
      const kids = r.children;
      const fdNode = r.childForFieldName('descriptor');
      const opNode = kids.find((k) => !k.isNamed);
      const dest = r.childForFieldName('destination') ?? kids.find((k) => k.isNamed && k !== fdNode);
      const op = opNode?.type ?? '>';
      const fd = fdNode ? Number(fdNode.text) : op.startsWith('<') ? 0 : 1;
      const target = dest ? this.expandWord(dest) : '';
      if (target === null) {
        this.taint('redirection to an unknown path');
        return { stdin: fds[0], out: { kind: 'null' }, err: fds[2] };
      }
      if (op === '>&' || op === '<&') {
        if (/^\d+$/.test(target)) {
          const src = Number(target);
          if (fd === 1 || fd === 2) {
            const sink = src === 1 ? fds[1] : src === 2 ? fds[2] : undefined;
            if (sink) fds[fd] = sink;
          }
          continue;
        }
        if (target === '-') {
          if (fd === 1 || fd === 2) fds[fd] = { kind: 'null' };
          continue;
        }
        if (op === '<&') continue;
        // `>&file` is `>file 2>&1` in bash; fall through to a file open for both.
      }
      if (op === '<' || op === '<>') {
        if (target === '/dev/null') {
          fds[0] = emptyInput();
          continue;
        }
        const path = this.abs(target);
        const t = this.readText(path);
        if (t === 'ENOENT') {
          if (this.missing(errIo, 'redirection', `sh: can't open ${target}: no such file`) !== 0) return undefined;
          fds[0] = textInput(null);
          continue;
        }
        fds[0] = textInput(t === 'EISDIR' ? '' : t);
        continue;
      }
      // Output: >, >>, >|, &>, &>>, >&file
      const sink = this.openForWrite(target, op.includes('>>'), errIo);
      if (!sink) return undefined;
      if (op.startsWith('&') || op === '>&') {
        fds[1] = sink;
        fds[2] = sink;
      } else if (fd === 1 || fd === 2) {
        fds[fd] = sink;
      }
    }
    return { stdin: fds[0], out: fds[1], err: fds[2] };
  }

  private openForWrite(target: string, append: boolean, io: Io): Sink | undefined {
    if (target === '/dev/null') return { kind: 'null' };
    if (target === '/dev/stdout') return io.out;
    if (target === '/dev/stderr') return io.err;
    const path = this.abs(target);
    const st = this.fs.stat(path);
    if (st?.type === 'dir') {
      this.err(io, `sh: can't create ${target}: Is a directory`);
      return undefined;
    }
    const parent = this.fs.stat(dirname(path));
    if (!parent || parent.type !== 'dir') {
      if (this.shared.tainted) {
        this.opaque('redirection into a directory an earlier opaque command may have created');
        return { kind: 'null' };
      }
      this.err(io, `sh: can't create ${target}: nonexistent directory`);
      return undefined;
    }
    if (st ? !this.mayWrite(path, st) : !this.canWriteIn(dirname(path))) {
      this.err(io, `sh: can't create ${target}: Permission denied`);
      return undefined;
    }
    try {
      if (!append || !st) this.writeText(path, '');
    } catch (e) {
      this.err(io, `sh: can't create ${target}: ${e instanceof FsError ? strerror(e.code) : 'error'}`);
      return undefined;
    }
    return { kind: 'file', path };
  }

  /**
   * Whether the RUN's user has the permission `bits` (4 read, 2 write, 1 execute/search) on a node, as
   * the kernel decides: root reads and writes anything and executes a file with any x bit; otherwise
   * the owner's bits apply to the owner, the group's to its members, the others' to the rest. null when
   * the answer hangs on a group the user may or may not be in.
   */
  permits(st: FsNodeInfo, bits: number): boolean | null {
    const { uid } = this.shared.user;
    if (uid === 0) return (bits & 1) === 0 || st.type === 'dir' || (st.mode & 0o111) !== 0;
    if (st.uid === uid) return ((st.mode >> 6) & bits) === bits;
    const group = ((st.mode >> 3) & bits) === bits;
    const other = (st.mode & bits) === bits;
    const groups = userGroups(this);
    if (groups.certain.has(st.gid)) return group;
    if (groups.possible.has(st.gid) && group !== other) return null;
    return other;
  }

  /** Whether the RUN's user may create or remove entries in a directory (w and x on it). */
  canWriteIn(dir: string): boolean {
    const st = this.fs.stat(dir);
    if (!st) return true;
    const ok = this.permits(st, 3);
    if (ok === null) this.opaque('write permission of a group the user may not be in');
    return ok !== false;
  }

  /**
   * Whether the RUN's user may write an existing file. Only a certain no is false: after an opaque
   * command the file may have been replaced by one the user owns, so the denial is noted, not predicted.
   */
  mayWrite(path: string, st: FsNodeInfo): boolean {
    const ok = this.permits(st, 2);
    if (ok === true) return true;
    if (ok === null) this.opaque('write permission of a group the user may not be in');
    else if (this.shared.tainted) this.opaque(`writing ${path}, which an earlier opaque command may have replaced`);
    else return false;
    return true;
  }

  heredocText(r: Node): Text {
    const start = r.children.find((c) => c.type === 'heredoc_start');
    const bodyNode = r.children.find((c) => c.type === 'heredoc_body');
    const stripTabs = r.children.some((c) => c.type === '<<-');
    const quoted = start ? /['"\\]/.test(start.text) : false;
    if (!bodyNode) return '';
    let text: Text;
    if (quoted) {
      text = bodyNode.text;
    } else {
      let acc = '';
      let unknown = false;
      let pos = bodyNode.startIndex;
      const src = bodyNode.text;
      const base = bodyNode.startIndex;
      const literal = (s: string) => {
        if (s.includes('`')) unknown = true;
        acc += s.replace(/\\([$`\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c));
      };
      for (const c of bodyNode.namedChildren) {
        if (c.type === 'heredoc_content') continue;
        literal(src.slice(pos - base, c.startIndex - base));
        const pieces = this.expandNode(c, true);
        for (const p of pieces) {
          if (p.unknown) unknown = true;
          acc += p.text;
        }
        pos = c.endIndex;
      }
      literal(src.slice(pos - base));
      if (unknown) this.opaque('` command substitution in a heredoc');
      text = unknown ? null : acc;
    }
    if (text !== null && stripTabs) text = text.replace(/^\t+/gm, '');
    return text;
  }

  // ---------------------------------------------------------------- simple commands

  private assignment(node: Node): { name: string; value: string } | undefined {
    const name = node.childForFieldName('name')?.text ?? node.children[0]?.text ?? '';
    const valueNode = node.childForFieldName('value');
    const append = node.children.some((c) => c.type === '+=');
    let value: Text = '';
    if (valueNode) value = this.expandWord(valueNode, { tilde: true });
    if (value === null) {
      this.unknownVars.add(name);
      this.vars.set(name, '');
      return undefined;
    }
    if (append) value = (this.vars.get(name) ?? '') + value;
    return { name, value };
  }

  setVar(name: string, value: string): void {
    this.vars.set(name, value);
    this.unknownVars.delete(name);
  }

  runCommand(node: Node, io: Io, extra: Node[]): number {
    const assigns: Node[] = [];
    const words: Node[] = [];
    const redirects: Node[] = [];
    const collect = (n: Node) => {
      for (let i = 0; i < n.childCount; i++) {
        const c = n.child(i);
        if (!c) continue;
        if (c.type === 'variable_assignment') assigns.push(c);
        else if (c.type === 'variable_assignments') collect(c);
        else if (c.type === 'command_name') words.push(c.namedChildren[0] ?? c);
        else if (c.type.endsWith('_redirect')) redirects.push(c);
        else if (c.isNamed && c.type !== 'comment') words.push(c);
      }
    };
    if (node.type === 'variable_assignment') assigns.push(node);
    else collect(node);
    redirects.push(...extra);
    // tree-sitter-bash hangs the words that follow a redirection's target on the redirection
    // (`echo x > /a y` has destinations /a and y); they are the command's arguments, as busybox sh
    // runs `echo x y > /a` (recorded in ash-oracle.json).
    for (const r of redirects) if (r.type === 'file_redirect') words.push(...r.childrenForFieldName('destination').slice(1));

    this.lastSubstitutionStatus = undefined;
    const argv: string[] = [];
    let unknownArgs = false;
    for (const w of words) {
      const f = this.expandFields(w);
      if (f === null) unknownArgs = true;
      else argv.push(...f);
    }
    const temp = new Map<string, string>();
    for (const a of assigns) {
      // An assignment whose value is unknown was reported as opaque by assignment().
      const r = this.assignment(a);
      if (r) temp.set(r.name, r.value);
    }

    if (argv.length === 0 && !unknownArgs) {
      for (const [k, v] of temp) this.setVar(k, v);
      let code = this.lastSubstitutionStatus ?? 0;
      if (redirects.length > 0 && !this.applyRedirects(redirects, io)) code = 1;
      this.setStatus(code);
      if (code !== 0) this.recordFailure(node.text, code);
      this.maybeErrexit();
      return code;
    }
    const cmdIo = this.applyRedirects(redirects, io);
    if (!cmdIo) {
      this.setStatus(1);
      this.recordFailure(node.text, 1);
      this.maybeErrexit();
      return 1;
    }
    if (unknownArgs) {
      // Already reported as opaque by the expansion; the command's effects are unknown.
      this.shared.tainted = true;
      this.unknownOutput(cmdIo);
      return this.setStatus(0);
    }
    const env = this.env();
    for (const [k, v] of temp) env.set(k, v);
    return this.execArgv(argv, cmdIo, env, node.text, temp);
  }

  private lastSubstitutionStatus: number | undefined;

  private recordFailure(text: string, code: number): void {
    const command = text.replace(/\\\r?\n\s*/g, ' ').replace(/\s+/g, ' ').trim();
    const message = this.shared.currentStderr || `exit code ${code}`;
    this.shared.lastFailure = { command, message };
  }

  /** Runs an expanded command line (function, builtin, simulated tool or opaque program). */
  execArgv(argv: string[], io: Io, env: Map<string, string>, text: string, temp = new Map<string, string>()): number {
    this.shared.currentStderr = '';
    this.shared.currentCommand = argv[0] ?? '';
    let code: number;
    try {
      code = this.dispatch(argv, io, env, temp);
    } catch (e) {
      if (e instanceof ExitSignal && e.code !== 0 && !this.shared.lastFailure) this.recordFailure(text, e.code);
      throw e;
    }
    this.setStatus(code);
    if (code !== 0) this.recordFailure(text, code);
    this.maybeErrexit();
    return code;
  }

  private dispatch(argv: string[], io: Io, env: Map<string, string>, temp: Map<string, string>): number {
    const name = argv[0] ?? '';
    const fn = this.funcs.get(name);
    if (fn) {
      const saved = this.positional;
      this.positional = argv.slice(1);
      try {
        return this.run(fn, io);
      } catch (e) {
        if (e instanceof ReturnSignal) return e.code;
        throw e;
      } finally {
        this.positional = saved;
      }
    }
    const builtin = this.builtin(name);
    if (builtin) return builtin(argv, io, temp);
    // echo, printf, test, true, false are ash builtins: no file lookup.
    const builtinTool = ASH_BUILTINS.has(name) ? this.commands.get(name) : undefined;
    if (builtinTool) return builtinTool(this, argv, io, env);
    const located = this.findExecutable(name, env);
    if (located === 'missing') {
      if (this.shared.tainted) {
        this.opaque(`${name} (not in the image, perhaps installed by an earlier command)`);
        this.unknownOutput(io);
        return 0;
      }
      this.err(io, `sh: ${name}: not found`);
      return 127;
    }
    if (located === 'denied') {
      if (this.shared.tainted) {
        this.opaque(`${name} (not executable, perhaps made so by an earlier command)`);
        this.unknownOutput(io);
        return 0;
      }
      this.err(io, `sh: ${name}: Permission denied`);
      return 126;
    }
    const base = name.slice(name.lastIndexOf('/') + 1);
    const impl = this.commands.get(base);
    if (impl) return impl(this, argv, io, env);
    return this.runScriptFile(name, located, argv, io, env);
  }

  /**
   * Finds a command along PATH: the first file `accept` takes (by default any regular file, as ash's
   * `command -v` and `type` do). 'unknown' when the image's files are not known well enough to tell.
   */
  locate(name: string, env: Map<string, string>, accept: (st: FsNodeInfo) => boolean = (st) => st.type === 'file'): string | 'missing' | 'unknown' {
    const ok = (p: string) => {
      const st = this.fs.stat(p);
      return st !== undefined && accept(st);
    };
    if (name.includes('/')) {
      const p = this.abs(name);
      return ok(p) ? p : 'missing';
    }
    const candidates = this.pathCandidates(name, env);
    if (candidates === 'unknown') return 'unknown';
    return candidates.find(ok) ?? 'missing';
  }

  /** `dir/name` for each PATH entry; 'unknown' for an image without /bin (an unknown or unloaded base), which tells us nothing. */
  private pathCandidates(name: string, env: Map<string, string>): string[] | 'unknown' {
    if (this.fs.stat('/bin') === undefined) return 'unknown';
    const path = env.get('PATH') ?? this.vars.get('PATH') ?? DEFAULT_PATH;
    return path.split(':').filter(Boolean).map((dir) => normalizePath(`${dir}/${name}`, '/'));
  }

  /**
   * The file ash runs for a command, as its shellexec does: a name with a slash is that path; otherwise
   * the PATH search starts at the first regular file of that name and execs the first candidate the
   * user may execute. 'denied' (exit 126, "Permission denied") when there were candidates but none may
   * be executed: no x bit for the user (root needs any x bit), or a directory.
   */
  findExecutable(name: string, env: Map<string, string>): string | 'missing' | 'denied' | 'unknown' {
    const exec = (st: FsNodeInfo) => {
      if (st.type !== 'file') return false;
      const ok = this.permits(st, 1);
      if (ok === null) this.opaque('exec permission of a group the user may not be in');
      return ok !== false;
    };
    if (name.includes('/')) {
      const p = this.abs(name);
      const st = this.fs.stat(p);
      if (!st) return 'missing';
      return exec(st) ? p : 'denied';
    }
    const candidates = this.pathCandidates(name, env);
    if (candidates === 'unknown') return 'unknown';
    const first = candidates.findIndex((p) => this.fs.stat(p)?.type === 'file');
    if (first === -1) return 'missing';
    for (const p of candidates.slice(first)) {
      const st = this.fs.stat(p);
      if (st && exec(st)) return p;
    }
    return 'denied';
  }

  /** A program we do not simulate: if it is a shell script we can read, interpret it; else opaque. */
  private runScriptFile(name: string, located: string, argv: string[], io: Io, env: Map<string, string>): number {
    if (located !== 'unknown') {
      const text = this.readText(located);
      const nested = this.runNestedScript;
      if (typeof text === 'string' && /^#!\s*\/bin\/(ba)?sh\b/.test(text) && nested) {
        const child = this.childProcess(env);
        return child.runIsolatedWith(() => nested(child, text, argv.slice(1), io));
      }
    }
    this.taint(describeOpaque(argv));
    this.unknownOutput(io);
    return 0;
  }

  /** Set by the entry point: parses and runs a script in a given shell (for sh -c, eval, ., scripts). */
  runNestedScript?: (sh: Shell, script: string, args: string[], io: Io) => number;

  // ---------------------------------------------------------------- builtins needing shell state

  private builtin(name: string): ((argv: string[], io: Io, temp: Map<string, string>) => number) | undefined {
    switch (name) {
      case 'cd':
      case 'chdir':
        return (argv, io) => {
          const target = argv.find((a, i) => i > 0 && a !== '-P' && a !== '-L') ?? this.vars.get('HOME') ?? '/';
          const path = this.abs(target);
          const st = this.fs.stat(path);
          if (!st || st.type !== 'dir') {
            if (!st && this.shared.tainted) {
              this.opaque('cd into a directory an earlier opaque command may have created');
              this.cwd = path;
              return 0;
            }
            this.err(io, `sh: cd: line 0: can't cd to ${target}: ${st ? 'Not a directory' : 'No such file or directory'}`);
            return 2;
          }
          this.cwd = path;
          this.setVar('PWD', path);
          return 0;
        };
      case 'pwd':
        return (_argv, io) => {
          this.out(io, `${this.cwd}\n`);
          return 0;
        };
      case 'exit':
        return (argv) => {
          const code = argv[1] === undefined ? this.status : Number(argv[1]) & 255;
          if (code !== 0) this.shared.lastFailure = { command: argv.join(' '), message: `exit status ${code}` };
          throw new ExitSignal(Number.isNaN(code) ? 2 : code);
        };
      case 'return':
        return (argv) => {
          throw new ReturnSignal(argv[1] === undefined ? this.status : Number(argv[1]) & 255);
        };
      case 'break':
      case 'continue':
        return (argv) => {
          throw new LoopSignal(name, Math.max(1, Number(argv[1] ?? 1) || 1));
        };
      case 'export':
      case 'readonly':
      case 'local':
        return (argv) => {
          for (const a of argv.slice(1)) {
            if (a.startsWith('-')) continue;
            const eq = a.indexOf('=');
            const n = eq === -1 ? a : a.slice(0, eq);
            if (eq !== -1) this.setVar(n, a.slice(eq + 1));
            if (name === 'export') this.exported.add(n);
          }
          return 0;
        };
      case 'unset':
        return (argv) => {
          for (const a of argv.slice(1)) {
            if (a.startsWith('-')) continue;
            this.vars.delete(a);
            this.exported.delete(a);
            this.funcs.delete(a);
          }
          return 0;
        };
      case 'set':
        return (argv, io) => {
          for (let i = 1; i < argv.length; i++) {
            const a = argv[i] as string;
            if (a === '--') {
              this.positional = argv.slice(i + 1);
              break;
            }
            if (/^[-+][a-zA-Z]+$/.test(a)) {
              const on = a[0] === '-';
              for (const f of a.slice(1)) {
                if (f !== 'o') {
                  this.setFlag(f, on);
                  continue;
                }
                // Grouped flags too (`set -euo pipefail`): each `o` takes the next argument.
                const opt = argv[++i];
                if (opt !== undefined && !this.setOption(opt, on)) {
                  this.err(io, `sh: set: line 0: illegal option ${a[0]}o ${opt}`);
                  return 1;
                }
              }
              continue;
            }
            this.positional = argv.slice(i);
            break;
          }
          return 0;
        };
      case 'shift':
        return (argv) => {
          const n = Number(argv[1] ?? 1);
          if (n > this.positional.length) return 1;
          this.positional = this.positional.slice(n);
          return 0;
        };
      case 'read':
        return (argv, io) => {
          const names = argv.slice(1).filter((a) => !a.startsWith('-'));
          const line = readLine(io.stdin);
          if (line === null) {
            this.opaque('read from unknown input');
            for (const n of names) {
              this.unknownVars.add(n);
              this.vars.set(n, '');
            }
            return 1;
          }
          if (line === undefined) {
            for (const n of names.length ? names : ['REPLY']) this.setVar(n, '');
            return 1;
          }
          const raw = argv.includes('-r') ? line : line.replace(/\\(.)/g, '$1');
          const targets = names.length ? names : ['REPLY'];
          let rest = raw.replace(/^[ \t]+/, '');
          for (const [i, n] of targets.entries()) {
            if (i === targets.length - 1) {
              this.setVar(n, rest.replace(/[ \t]+$/, ''));
            } else {
              const m = /^(\S*)[ \t]*/.exec(rest);
              this.setVar(n, m?.[1] ?? '');
              rest = rest.slice(m?.[0].length ?? rest.length);
            }
          }
          return 0;
        };
      case 'eval':
        return (argv, io) => (this.runNestedScript ? this.runNestedScript(this, argv.slice(1).join(' '), this.positional, io) : 0);
      case '.':
      case 'source':
        return (argv, io) => {
          const file = argv[1];
          if (!file) return 2;
          const p = file.includes('/') ? this.abs(file) : this.locate(file, this.env());
          const text = typeof p === 'string' && p !== 'missing' && p !== 'unknown' ? this.readText(p) : 'ENOENT';
          if (text === 'ENOENT' || text === 'EISDIR') return this.missing(io, '.', `sh: .: line 0: can't open '${file}': No such file or directory`, 2);
          if (text === null || !this.runNestedScript) {
            this.taint(`. ${file}`);
            return 0;
          }
          return this.runNestedScript(this, text, this.positional, io);
        };
      case 'exec':
        return (argv, io, temp) => {
          if (argv.length < 2) return 0;
          const env = this.env();
          for (const [k, v] of temp) env.set(k, v);
          const code = this.dispatch(argv.slice(1), io, env, temp);
          throw new ExitSignal(code);
        };
      case 'command':
        return (argv, io, temp) => {
          const rest = argv.slice(1);
          if (rest[0] === '-v' || rest[0] === '-V') {
            const n = rest[1];
            if (!n) return 1;
            if (ASH_BUILTINS.has(n) || this.funcs.has(n)) {
              this.out(io, `${n}\n`);
              return 0;
            }
            const loc = this.locate(n, this.env());
            if (loc === 'missing') return this.shared.tainted ? (this.opaque(`command -v ${n}`), 0) : 1;
            if (loc === 'unknown') {
              this.opaque(`command -v ${n}`);
              this.out(io, null);
              return 0;
            }
            this.out(io, `${loc}\n`);
            return 0;
          }
          const env = this.env();
          for (const [k, v] of temp) env.set(k, v);
          return rest.length ? this.dispatch(rest, io, env, temp) : 0;
        };
      case 'umask':
        return (argv, io) => {
          if (argv.length === 1) {
            this.out(io, '0022\n');
            return 0;
          }
          if (argv[1] !== '0022' && argv[1] !== '022') this.opaque('umask');
          return 0;
        };
      case 'type':
        return (argv, io) => {
          let code = 0;
          for (const n of argv.slice(1)) {
            if (this.funcs.has(n)) this.out(io, `${n} is a function\n`);
            else if (ASH_BUILTINS.has(n)) this.out(io, `${n} is a shell builtin\n`);
            else {
              const loc = this.locate(n, this.env());
              if (loc === 'missing') {
                this.out(io, `${n}: not found\n`);
                code = 127;
              } else if (loc === 'unknown') {
                this.opaque(`type ${n}`);
                this.out(io, null);
              } else this.out(io, `${n} is ${loc}\n`);
            }
          }
          return code;
        };
      case 'hash':
      case 'alias':
      case 'unalias':
      case 'trap':
      case 'ulimit':
      case 'times':
      case 'wait':
      case 'getopts':
      case 'let':
      case 'kill':
        return (argv) => {
          if (name === 'let' || name === 'getopts') this.opaque(name);
          return 0;
        };
      default:
        return undefined;
    }
  }

  // ---------------------------------------------------------------- expansion

  /** Expands a word to fields (splitting and pathname expansion applied); null when unknown. */
  expandFields(node: Node, opts: { glob?: boolean } = {}): Fields {
    const pieces = this.expandNode(node, false, true);
    if (pieces.some((p) => p.unknown)) return null;
    if (node.type === 'string' && pieces.length === 1 && pieces[0]?.text === '' && isQuotedAtAll(node)) {
      // "$@" with no positional parameters yields no field at all.
      if (node.namedChildren.length === 1 && node.namedChildren[0]?.text === '$@') return [];
    }
    const fields: Array<{ text: string; pattern: string; glob: boolean }> = [];
    let cur: { text: string; pattern: string; glob: boolean } | undefined;
    const append = (text: string, quoted: boolean) => {
      cur ??= { text: '', pattern: '', glob: false };
      cur.text += text;
      if (quoted) cur.pattern += text.replace(/[*?[\]\\]/g, '\\$&');
      else {
        cur.pattern += text;
        if (/[*?[]/.test(text)) cur.glob = true;
      }
    };
    const finish = () => {
      if (cur) fields.push(cur);
      cur = undefined;
    };
    for (const p of pieces) {
      if (p.split && !p.quoted) {
        const parts = p.text.split(/[ \t\n]+/);
        parts.forEach((part, i) => {
          if (i > 0) finish();
          if (part !== '') append(part, false);
        });
      } else {
        append(p.text, p.quoted);
      }
    }
    finish();
    const out: string[] = [];
    for (const f of fields) {
      if (f.glob && opts.glob !== false && hasGlobChars(f.pattern)) {
        const matches = expandGlob(this.fs, f.pattern, this.cwd);
        if (matches.length > 0) {
          out.push(...matches);
          continue;
        }
      }
      out.push(f.text);
    }
    return out;
  }

  /** Expands a word without field splitting or globbing (assignments, redirection targets, case). */
  expandWord(node: Node, _opts: { tilde?: boolean } = {}): Text {
    const pieces = this.expandNode(node, false, true);
    if (pieces.some((p) => p.unknown)) return null;
    return pieces.map((p) => p.text).join('');
  }

  /** Expands a pattern word: quoted parts become literal (escaped), unquoted keep their glob meaning. */
  expandPattern(node: Node): Text {
    const pieces = this.expandNode(node, false, true);
    if (pieces.some((p) => p.unknown)) return null;
    return pieces.map((p) => (p.quoted ? p.text.replace(/[*?[\]\\]/g, '\\$&') : p.text)).join('');
  }

  expandNode(node: Node, quoted: boolean, first = false): Piece[] {
    switch (node.type) {
      case 'word':
      case 'number':
      case 'extglob_pattern':
      case 'regex':
      case 'variable_name':
      case 'test_operator':
      case 'brace_expression': {
        let text = node.text;
        const out: Piece[] = [];
        if (first && !quoted && (text === '~' || text.startsWith('~/'))) {
          const home = this.vars.get('HOME');
          if (home !== undefined) {
            out.push({ text: home, quoted: true, split: false });
            text = text.slice(1);
          }
        }
        if (quoted) return [{ text, quoted: true, split: false }];
        // Unquoted backslash quotes the next character; backslash-newline disappears.
        let lit = '';
        for (let i = 0; i < text.length; i++) {
          const c = text[i] as string;
          if (c === '\\' && i + 1 < text.length) {
            const n = text[++i] as string;
            if (lit) out.push({ text: lit, quoted: false, split: false });
            lit = '';
            if (n !== '\n') out.push({ text: n, quoted: true, split: false });
          } else {
            lit += c;
          }
        }
        if (lit) out.push({ text: lit, quoted: false, split: false });
        return out.length ? out : [{ text: '', quoted: false, split: false }];
      }
      case 'raw_string':
        return [{ text: node.text.slice(1, -1), quoted: true, split: false }];
      case 'ansi_c_string':
        return [{ text: unescapeC(node.text.slice(2, -1)), quoted: true, split: false }];
      case 'string':
      case 'translated_string': {
        const out: Piece[] = [{ text: '', quoted: true, split: false }];
        const src = node.text;
        const base = node.startIndex;
        const open = node.type === 'translated_string' ? 2 : 1;
        let pos = base + open;
        const literal = (s: string) => {
          if (s) out.push({ text: s.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c)), quoted: true, split: false });
        };
        for (const c of node.namedChildren) {
          literal(src.slice(pos - base, c.startIndex - base));
          if (c.type === 'string_content') literal(c.text);
          else out.push(...this.expandNode(c, true));
          pos = c.endIndex;
        }
        literal(src.slice(pos - base, src.length - 1));
        return out;
      }
      case 'concatenation': {
        // Inside a ${...} operand the parts may be separated by blanks no child holds (`${A:-x $B}`).
        const out: Piece[] = [];
        let pos = node.startIndex;
        for (const [i, c] of node.children.entries()) {
          if (c.startIndex > pos) out.push({ text: node.text.slice(pos - node.startIndex, c.startIndex - node.startIndex), quoted, split: !quoted });
          out.push(...this.expandNode(c, quoted, first && i === 0));
          pos = c.endIndex;
        }
        return out;
      }
      case 'simple_expansion':
      case 'expansion':
      case 'command_substitution':
      case 'arithmetic_expansion': {
        // tree-sitter-bash puts the blanks before a `$` inside double quotes into the expansion's first
        // token (`"$A $B"` has the child `" $B"`): they are literal text of the word, not of the expansion.
        const lead = expansionLead(node);
        const pieces = this.expandExpansion(node, node.text.slice(lead.length), quoted);
        if (!lead) return pieces;
        const text = quoted ? lead.replace(/\\([$`"\\\n])/g, (_m, c: string) => (c === '\n' ? '' : c)) : lead;
        return [{ text, quoted, split: !quoted }, ...pieces];
      }
      default:
        if (!node.isNamed) return [{ text: node.text, quoted: true, split: false }];
        this.opaque(`${node.type} in a word`);
        return [{ text: '', quoted, split: false, unknown: true }];
    }
  }

  /** An expansion without the blanks tree-sitter may have put before its `$`; `text` is its own text. */
  private expandExpansion(node: Node, text: string, quoted: boolean): Piece[] {
    switch (node.type) {
      case 'command_substitution':
        return [this.commandSubstitution(node, quoted)];
      case 'arithmetic_expansion': {
        const v = this.arithmetic(text.slice(3, -2));
        if (v === null) {
          this.opaque('$((...)) arithmetic');
          return [{ text: '', quoted, split: !quoted, unknown: true }];
        }
        return [{ text: String(v), quoted, split: !quoted }];
      }
      default:
        return this.expandParameter(node, text, quoted);
    }
  }

  private paramValue(name: string): Text | undefined {
    switch (name) {
      case '?':
        return String(this.status);
      case '#':
        return String(this.positional.length);
      case '@':
      case '*':
        return this.positional.join(' ');
      case '$':
        return '1';
      case '0':
        return '/bin/sh';
      case '-':
        return (this.errexit ? 'e' : '') + (this.xtrace ? 'x' : '');
      case '!':
      case 'RANDOM':
        return null;
      case 'PWD':
        return this.vars.get('PWD') ?? this.cwd;
    }
    if (/^\d+$/.test(name)) return this.positional[Number(name) - 1];
    if (this.unknownVars.has(name)) return null;
    return this.vars.get(name);
  }

  private expandParameter(node: Node, text: string, quoted: boolean): Piece[] {
    const unknown = (what: string): Piece[] => {
      this.opaque(what);
      return [{ text: '', quoted, split: !quoted, unknown: true }];
    };
    // A variable is unknown only because of something already noted ($(curl …)), except these.
    const unknownValue = (name: string): Piece[] => {
      if (name === '!' || name === 'RANDOM') this.opaque(`$${name}`);
      return [{ text: '', quoted, split: !quoted, unknown: true }];
    };
    if (node.type === 'simple_expansion') {
      const name = text.slice(1);
      const v = this.paramValue(name);
      if (v === null) return unknownValue(name);
      return [{ text: v ?? '', quoted, split: !quoted }];
    }
    // ${...}: parse the head ourselves, take the operand from the child nodes.
    const m = /^\$\{(#?)([A-Za-z_][A-Za-z0-9_]*|\d+|[@*#?$!-])(:?[-=+?]|%%?|##?|\/\/?)?/s.exec(text);
    if (!m) return unknown('${...} expansion');
    const [, lengthOp, name = '', op] = m;
    if (lengthOp && !op) {
      const v = this.paramValue(name);
      if (v === null) return unknownValue(name);
      return [{ text: String((v ?? '').length), quoted, split: !quoted }];
    }
    const v = this.paramValue(name);
    if (v === null) return unknownValue(name);
    if (!op) return [{ text: v ?? '', quoted, split: !quoted }];
    // The operand: children after the operator token, before the closing brace.
    const kids = node.children;
    const opIdx = kids.findIndex((k) => !k.isNamed && k.type === op);
    const operandNodes = opIdx === -1 ? [] : kids.slice(opIdx + 1, -1);
    const operand = (): Text => {
      // Blanks between the operand's parts belong to no child (`${A:- $B}`): take them from the source.
      let s = '';
      let pos = kids[opIdx]?.endIndex ?? 0;
      for (const k of operandNodes) {
        if (k.startIndex > pos) s += node.text.slice(pos - node.startIndex, k.startIndex - node.startIndex);
        const ps = this.expandNode(k, quoted || k.type === 'string' || k.type === 'raw_string');
        if (ps.some((p) => p.unknown)) return null;
        s += ps.map((p) => p.text).join('');
        pos = k.endIndex;
      }
      return s;
    };
    const colon = op.startsWith(':');
    const isSet = v !== undefined && (!colon || v !== '');
    switch (op.replace(':', '')) {
      case '-':
        if (isSet) return [{ text: v ?? '', quoted, split: !quoted }];
        return this.operandPieces(operand(), quoted);
      case '=': {
        if (isSet) return [{ text: v ?? '', quoted, split: !quoted }];
        const o = operand();
        if (o !== null) this.setVar(name, o);
        return this.operandPieces(o, quoted);
      }
      case '+':
        if (!isSet) return [{ text: '', quoted, split: !quoted }];
        return this.operandPieces(operand(), quoted);
      case '?':
        if (isSet) return [{ text: v ?? '', quoted, split: !quoted }];
        this.shared.lastFailure = { command: text, message: `sh: ${name}: ${operand() || 'parameter not set'}` };
        throw new ExitSignal(2);
      case '%':
      case '%%':
      case '#':
      case '##': {
        const pat = operandNodes.length === 1 && operandNodes[0]?.type === 'regex' ? operandNodes[0].text : operand();
        if (pat === null) return unknown('${...} pattern with an unknown value');
        return [{ text: trimPattern(v ?? '', pat, op), quoted, split: !quoted }];
      }
      default:
        return unknown(`\${${name}${op}...} expansion`);
    }
  }

  private operandPieces(text: Text, quoted: boolean): Piece[] {
    if (text === null) return [{ text: '', quoted, split: false, unknown: true }];
    return [{ text, quoted, split: !quoted }];
  }

  private commandSubstitution(node: Node, quoted: boolean): Piece {
    const sink = captureSink();
    const sub = this.clone();
    sub.condDepth = 0;
    const inner = node.namedChildren.filter((c) => c.type !== 'comment');
    const failureBefore = this.shared.lastFailure;
    const code = sub.runIsolated(inner, { stdin: emptyInput(), out: sink, err: { kind: 'log' } });
    this.lastSubstitutionStatus = code;
    this.status = code;
    // A failing substitution inside an otherwise successful command is not the build's failure.
    if (code === 0) this.shared.lastFailure = failureBefore;
    if (sink.unknown) {
      this.opaque('$(...) command substitution');
      return { text: '', quoted, split: !quoted, unknown: true };
    }
    return { text: sink.text.replace(/\n+$/, ''), quoted, split: !quoted };
  }

  /** $((...)) with integers, variables and + - * / % ( ) comparisons; null when not computable. */
  arithmetic(expr: string): number | null {
    let unknown = false;
    const substituted = expr
      .replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?|\b([A-Za-z_][A-Za-z0-9_]*)\b/g, (_m, a?: string, b?: string) => {
        const name = (a ?? b) as string;
        const v = this.paramValue(name);
        if (v === null) unknown = true;
        const n = Number((v ?? '0') || '0');
        if (!Number.isInteger(n)) unknown = true;
        return `(${n})`;
      })
      .trim();
    if (unknown || !/^[\d\s+\-*/%()<>=!&|]*$/.test(substituted) || substituted === '') return null;
    const v = evalArith(substituted);
    if (v === 'divzero') {
      // ash aborts the script on an arithmetic error (checked on bb:latest: exit 2).
      this.shared.lastFailure = { command: `$((${expr}))`, message: 'sh: divide by zero' };
      throw new ExitSignal(2);
    }
    return v;
  }
}

interface ChainItem {
  kind: 'item';
  node: Node;
  redirects: Node[];
  /** The command before `<<EOF | ...`: its heredoc's nested pipeline was already split off. */
  heredocHead?: boolean;
}
type ChainPart = ChainItem | { kind: 'op'; op: string };

function flattenChain(node: Node, out: ChainPart[]): void {
  if (node.type === 'list' || node.type === 'pipeline') {
    for (const c of node.children) {
      if (c.type === 'comment') continue;
      if (!c.isNamed && ['&&', '||', '|', '|&'].includes(c.type)) out.push({ kind: 'op', op: c.type });
      else if (c.isNamed) flattenChain(c, out);
    }
    return;
  }
  if (node.type === 'redirected_statement') {
    const body = node.childForFieldName('body');
    const redirects = node.children.filter((c) => c.type.endsWith('_redirect'));
    if (body && (body.type === 'list' || body.type === 'pipeline')) {
      flattenChain(body, out);
      const last = out[out.length - 1];
      if (last?.kind === 'item') last.redirects.push(...redirects);
      return;
    }
    if (body) {
      out.push({ kind: 'item', node: body, redirects });
      return;
    }
  }
  out.push({ kind: 'item', node, redirects: [] });
}

/** Text before the `$` (or backquote) that starts an expansion node: blanks tree-sitter attached to it. */
function expansionLead(node: Node): string {
  const first = node.child(0);
  if (!first || first.isNamed) return '';
  const m = /^[^$`]*/.exec(first.text);
  return m ? m[0] : '';
}

function isQuotedAtAll(node: Node): boolean {
  return node.type === 'string';
}

/** A bracket glued to plain characters (`[-n`, `[[-f`): a literal command name, no quoting, expansion or glob. */
const PLAIN_BRACKET_WORD = /^\[\[?[\w,.:/=+@%!-]+$/;
/** A whole test text that is one shell word: plain characters and single-quoted runs, no blank outside quotes. */
const SINGLE_QUOTED_WORD = /^\[(?:[\w,.:/=+@%!\]-]|'[^']*')+$/;

const WORD_TYPES = new Set([
  'word', 'string', 'raw_string', 'concatenation', 'simple_expansion', 'expansion', 'command_substitution',
  'number', 'ansi_c_string', 'arithmetic_expansion', 'translated_string', 'regex', 'extglob_pattern',
]);

/** Groups children by the keyword that precedes them (e.g. if/then/fi). */
function splitKeywords(children: Node[], keywords: string[]): Map<string, Node[]> {
  const groups = new Map<string, Node[]>();
  let current: string | undefined;
  for (const c of children) {
    if (!c.isNamed && keywords.includes(c.type)) {
      current = c.type;
      groups.set(current, []);
      continue;
    }
    if (c.type === 'elif_clause' || c.type === 'else_clause') {
      current = undefined;
      continue;
    }
    if (current && c.isNamed) groups.get(current)?.push(c);
  }
  return groups;
}

function trimPattern(value: string, pattern: string, op: string): string {
  const longest = op.length === 2;
  const re = globToRegExp(pattern);
  if (op.startsWith('%')) {
    const starts = [...Array(value.length + 1).keys()];
    if (!longest) starts.reverse();
    for (const i of starts) if (re.test(value.slice(i))) return value.slice(0, i);
    return value;
  }
  const ends = [...Array(value.length + 1).keys()];
  if (longest) ends.reverse();
  for (const i of ends) if (re.test(value.slice(0, i))) return value.slice(i);
  return value;
}

export function unescapeC(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/gs, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'a':
        return '\x07';
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'v':
        return '\v';
      case 'e':
      case 'E':
        return '\x1b';
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      default:
        if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
        return e;
    }
  });
}

/** A tiny precedence-climbing evaluator for already-substituted integer expressions. */
function evalArith(src: string): number | null | 'divzero' {
  let divzero = false;
  const tokens = src.match(/\d+|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%()<>!]/g);
  if (!tokens || tokens.join('') !== src.replace(/\s+/g, '')) return null;
  let i = 0;
  const prec: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '>': 4, '<=': 4, '>=': 4, '+': 5, '-': 5, '*': 6, '/': 6, '%': 6 };
  const unary = (): number | null => {
    const t = tokens[i++];
    if (t === undefined) return null;
    if (t === '(') {
      const v = binary(0);
      if (tokens[i++] !== ')') return null;
      return v;
    }
    if (t === '-') {
      const v = unary();
      return v === null ? null : -v;
    }
    if (t === '+') return unary();
    if (t === '!') {
      const v = unary();
      return v === null ? null : v === 0 ? 1 : 0;
    }
    return /^\d+$/.test(t) ? Number(t) : null;
  };
  const binary = (min: number): number | null => {
    let left = unary();
    while (left !== null) {
      const op = tokens[i];
      const p = op === undefined ? undefined : prec[op];
      if (p === undefined || p <= min - 1 || p < min) break;
      i++;
      const right = binary(p + 1);
      if (right === null) return null;
      switch (op) {
        case '+': left = left + right; break;
        case '-': left = left - right; break;
        case '*': left = left * right; break;
        case '/': if (right === 0) { divzero = true; return null; } left = Math.trunc(left / right); break;
        case '%': if (right === 0) { divzero = true; return null; } left = left % right; break;
        case '<': left = Number(left < right); break;
        case '>': left = Number(left > right); break;
        case '<=': left = Number(left <= right); break;
        case '>=': left = Number(left >= right); break;
        case '==': left = Number(left === right); break;
        case '!=': left = Number(left !== right); break;
        case '&&': left = Number(left !== 0 && right !== 0); break;
        case '||': left = Number(left !== 0 || right !== 0); break;
      }
    }
    return left;
  };
  const v = binary(0);
  if (divzero) return 'divzero';
  return i === tokens.length ? v : null;
}

const SUBCOMMAND_TOOLS = new Set([
  'apt-get', 'apt', 'apk', 'dnf', 'yum', 'microdnf', 'zypper', 'pip', 'pip3', 'npm', 'yarn', 'pnpm', 'go', 'cargo',
  'git', 'gem', 'bundle', 'composer', 'poetry', 'conda', 'dotnet', 'rustup', 'mvn', 'gradle', 'pacman', 'dpkg', 'rpm',
  'systemctl', 'update-alternatives', 'python', 'python3', 'node',
]);

/** A short name for an opaque command: "apt-get install", "curl", "git clone". */
export function describeOpaque(argv: string[]): string {
  const name = (argv[0] ?? '').slice((argv[0] ?? '').lastIndexOf('/') + 1);
  if (SUBCOMMAND_TOOLS.has(name)) {
    const sub = argv.slice(1).find((a) => !a.startsWith('-'));
    if (sub && /^[a-z][a-z0-9-]*$/.test(sub) && !['python', 'python3', 'node'].includes(name)) return `${name} ${sub}`;
  }
  return name;
}
