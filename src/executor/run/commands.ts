/**
 * The tools a RUN line commonly calls, simulated with busybox semantics (the reference base image is
 * busybox): messages and exit codes below were checked against `bb:latest` unless a comment says otherwise.
 */
import { FsError } from '../fs-types.js';
import type { FsNodeInfo } from '../fs-types.js';
import { lines, readAll } from './io.js';
import type { Io, Text } from './io.js';
import { basename, dirname, strerror } from './paths.js';
import type { CommandImpl, Shell } from './shell.js';
import { parseOpts } from './opts.js';
import type { Parsed } from './opts.js';
import { readAccounts, USER_COMMANDS } from './users.js';
export { readAccounts } from './users.js';

const UMASK = 0o022;

function errCode(e: unknown): string {
  return e instanceof FsError ? strerror(e.code) : 'I/O error';
}

// ------------------------------------------------------------------ output tools

const echo: CommandImpl = (sh, argv, io) => {
  // busybox ash echo: -n, -e, -E (combinable); anything else is printed; no escapes unless -e.
  let i = 1;
  let newline = true;
  let escapes = false;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!/^-[neE]+$/.test(a)) break;
    for (const f of a.slice(1)) {
      if (f === 'n') newline = false;
      else if (f === 'e') escapes = true;
      else escapes = false;
    }
  }
  let text = argv.slice(i).join(' ');
  if (escapes) {
    const cut = text.indexOf('\\c');
    if (cut !== -1) {
      text = text.slice(0, cut);
      newline = false;
    }
    text = text.replace(/\\(0[0-7]{0,3}|[\\abfnrtv])/g, (_m, e: string) => {
      if (e.startsWith('0')) return String.fromCharCode(parseInt(e.slice(1) || '0', 8));
      return ({ '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' } as Record<string, string>)[e] ?? e;
    });
  }
  sh.out(io, newline ? `${text}\n` : text);
  return 0;
};

function printfEscapes(s: string): string {
  return s.replace(/\\(0?[0-7]{1,3}|[\\abfnrtv"]|.)/g, (_m, e: string) => {
    if (/^[0-7]+$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return ({ '\\': '\\', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

const printf: CommandImpl = (sh, argv, io) => {
  const format = argv[1];
  if (format === undefined) {
    sh.err(io, 'printf: usage: printf FORMAT [ARGUMENT...]');
    return 1;
  }
  const args = argv.slice(2);
  let out = '';
  let used = 0;
  let status = 0;
  // The format is reused while arguments remain (POSIX), at least once.
  do {
    const before = used;
    out += format.replace(/%([-+ #0]*)(\d*)(?:\.(\d+))?([sdiouxXcbfeEgG%])|\\(0?[0-7]{1,3}|[\\abfnrtv"]|.)/g, (m, flagsS: string, width: string, prec: string | undefined, conv: string | undefined, esc: string | undefined) => {
      if (esc !== undefined) return printfEscapes(m);
      if (conv === '%') return '%';
      const arg = args[used++];
      let s: string;
      switch (conv) {
        case 's':
          s = arg ?? '';
          if (prec !== undefined) s = s.slice(0, Number(prec));
          break;
        case 'b':
          s = printfEscapes(arg ?? '');
          break;
        case 'c':
          s = (arg ?? '').slice(0, 1);
          break;
        case 'd':
        case 'i':
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
          const n = arg === undefined || arg === '' ? 0 : /^'/.test(arg) ? arg.charCodeAt(1) : Number(arg);
          if (!Number.isFinite(n)) {
            sh.err(io, `printf: invalid number '${arg ?? ''}'`);
            status = 1;
          }
          const v = Math.trunc(Number.isFinite(n) ? n : 0);
          s = conv === 'o' ? v.toString(8) : conv === 'x' ? v.toString(16) : conv === 'X' ? v.toString(16).toUpperCase() : String(v);
          if (flagsS.includes('+') && v >= 0 && (conv === 'd' || conv === 'i')) s = `+${s}`;
          break;
        }
        default: {
          const n = Number(arg ?? 0);
          const p = prec === undefined ? 6 : Number(prec);
          s = conv === 'f' ? n.toFixed(p) : conv === 'e' || conv === 'E' ? n.toExponential(p) : String(n);
        }
      }
      const w = Number(width || 0);
      if (s.length < w) {
        if (flagsS.includes('-')) s = s.padEnd(w);
        else if (flagsS.includes('0') && conv !== 's') s = s.startsWith('-') ? `-${s.slice(1).padStart(w - 1, '0')}` : s.padStart(w, '0');
        else s = s.padStart(w);
      }
      return s;
    });
    if (used === before) break;
  } while (used < args.length);
  sh.out(io, out);
  return status;
};

// ------------------------------------------------------------------ test / [

function testPath(sh: Shell, op: string, path: string): boolean | null {
  const p = sh.abs(path);
  const st = op === '-h' || op === '-L' ? sh.fs.lstat(p) : sh.fs.stat(p);
  if (!st) return sh.shared.tainted ? null : false;
  const canExec = (s: FsNodeInfo) => (sh.shared.user.uid === 0 ? (s.mode & 0o111) !== 0 || s.type === 'dir' : (s.mode & 0o111) !== 0);
  switch (op) {
    case '-e':
    case '-a':
      return true;
    case '-f':
      return st.type === 'file';
    case '-d':
      return st.type === 'dir';
    case '-h':
    case '-L':
      return st.type === 'symlink';
    case '-x':
      return canExec(st);
    case '-s':
      return st.size > 0 || st.type === 'dir';
    case '-r':
    case '-w':
      return true;
    default:
      return null;
  }
}

const UNARY_FILE = new Set(['-e', '-f', '-d', '-h', '-L', '-x', '-s', '-r', '-w', '-a']);

const BINARY_OPS = ['=', '==', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>'];

function evalTestWith(sh: Shell, args: string[], err: { message: string }): boolean | null | 'error' {
  const pos = { i: 0 };
  const primary = (): boolean | null | 'error' => {
    const a = args[pos.i];
    if (a === undefined) {
      err.message = `${args[pos.i - 1] ?? 'test'}: argument expected`;
      return 'error';
    }
    if (a === '!') {
      pos.i++;
      const v = primary();
      return v === null || v === 'error' ? v : !v;
    }
    if (a === '(' ) {
      pos.i++;
      const v = orExpr();
      if (args[pos.i] !== ')') return 'error';
      pos.i++;
      return v;
    }
    const next = args[pos.i + 1];
    const third = args[pos.i + 2];
    if (next !== undefined && third === undefined && BINARY_OPS.includes(next)) {
      err.message = `${next}: argument expected`;
      return 'error';
    }
    if (next !== undefined && third !== undefined && ['=', '==', '!=', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '<', '>'].includes(next)) {
      pos.i += 3;
      switch (next) {
        case '=':
        case '==':
          return a === third;
        case '!=':
          return a !== third;
        case '<':
          return a < third;
        case '>':
          return a > third;
        default: {
          const x = Number(a);
          const y = Number(third);
          if (!/^\s*-?\d+\s*$/.test(a) || !/^\s*-?\d+\s*$/.test(third)) {
            err.message = `invalid number '${/^\s*-?\d+\s*$/.test(a) ? third : a}'`;
            return 'error';
          }
          return { '-eq': x === y, '-ne': x !== y, '-lt': x < y, '-le': x <= y, '-gt': x > y, '-ge': x >= y }[next] ?? null;
        }
      }
    }
    if (a === '-n' && next !== undefined) {
      pos.i += 2;
      return next !== '';
    }
    if (a === '-z' && next !== undefined) {
      pos.i += 2;
      return next === '';
    }
    if (UNARY_FILE.has(a) && next !== undefined) {
      pos.i += 2;
      return testPath(sh, a, next);
    }
    if (/^-[a-zA-Z]$/.test(a) && next !== undefined && !['-a', '-o'].includes(next)) {
      pos.i += 2;
      return null;
    }
    pos.i++;
    return a !== '';
  };
  const andExpr = (): boolean | null | 'error' => {
    let v = primary();
    while (args[pos.i] === '-a' && v !== 'error') {
      pos.i++;
      const r = primary();
      if (r === 'error') return r;
      v = v === false || r === false ? false : v === null || r === null ? null : true;
    }
    return v;
  };
  const orExpr = (): boolean | null | 'error' => {
    let v = andExpr();
    while (args[pos.i] === '-o' && v !== 'error') {
      pos.i++;
      const r = andExpr();
      if (r === 'error') return r;
      v = v === true || r === true ? true : v === null || r === null ? null : false;
    }
    return v;
  };
  if (args.length === 0) return false;
  // POSIX rules for few arguments take precedence over operator parsing.
  if (args.length === 1) return (args[0] as string) !== '';
  if (args.length === 2 && args[0] === '!') return args[1] === '';
  const v = orExpr();
  if (v === 'error') return v;
  if (pos.i !== args.length) {
    err.message = `${args[pos.i] ?? ''}: unknown operand`;
    return 'error';
  }
  return v;
}

const test: CommandImpl = (sh, argv, io) => {
  const name = argv[0] ?? 'test';
  let args = argv.slice(1);
  if (name === '[' || name === '[[') {
    const close = name === '[' ? ']' : ']]';
    if (args[args.length - 1] !== close) {
      sh.err(io, `sh: missing ${close}`);
      return 2;
    }
    args = args.slice(0, -1);
    if (name === '[[') args = args.map((a) => (a === '&&' ? '-a' : a === '||' ? '-o' : a));
  }
  const err = { message: '' };
  const v = evalTestWith(sh, args, err);
  if (v === 'error') {
    sh.err(io, `sh: ${err.message || `${name}: syntax error`}`);
    return 2;
  }
  if (v === null) {
    sh.opaque(`test ${args.join(' ')}`.slice(0, 60));
    return 0;
  }
  return v ? 0 : 1;
};

// ------------------------------------------------------------------ text tools

/** Reads the operands (or stdin) as one text; reports missing files like busybox. */
function gather(sh: Shell, io: Io, tool: string, files: string[], plainMessage = false): { text: Text; status: number } {
  if (files.length === 0) return { text: readAll(io.stdin), status: 0 };
  let text: Text = '';
  let status = 0;
  for (const f of files) {
    if (f === '-') {
      const t = readAll(io.stdin);
      text = text === null || t === null ? null : text + t;
      continue;
    }
    const t = sh.readText(sh.abs(f));
    if (t === 'ENOENT') {
      const msg = plainMessage ? `${tool}: ${f}: No such file or directory` : `${tool}: can't open '${f}': No such file or directory`;
      status = Math.max(status, sh.missing(io, tool, msg));
      if (status === 0) text = null;
      continue;
    }
    if (t === 'EISDIR') {
      sh.err(io, `${tool}: read error: Is a directory`);
      status = 1;
      continue;
    }
    text = text === null || t === null ? null : text + t;
  }
  return { text, status };
}

const cat: CommandImpl = (sh, argv, io) => {
  const { operands } = parseOpts(argv.slice(1));
  const { text, status } = gather(sh, io, 'cat', operands);
  sh.out(io, text);
  return status;
};

function lineTool(name: string, fn: (text: string, o: Parsed) => string | null, withValue = ''): CommandImpl {
  return (sh, argv, io) => {
    const args = argv.slice(1).map((a) => (/^-\d+$/.test(a) && (name === 'head' || name === 'tail') ? `-n${a.slice(1)}` : a));
    const o = parseOpts(args, withValue);
    const { text, status } = gather(sh, io, name, o.operands);
    if (text === null) {
      sh.out(io, null);
      return status;
    }
    const r = fn(text, o);
    if (r === null) {
      sh.opaque(`${name} ${[...o.flags].map((f) => `-${f}`).join(' ')}`.trim());
      sh.out(io, null);
      return status;
    }
    sh.out(io, r);
    return status;
  };
}

const joinLines = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

const head = lineTool('head', (t, o) => {
  if (o.values.has('c')) return t.slice(0, Number(o.values.get('c')));
  const n = Number(o.values.get('n') ?? 10);
  return joinLines(lines(t).slice(0, n));
}, 'nc');

const tail = lineTool('tail', (t, o) => {
  const spec = o.values.get('n') ?? '10';
  const ls = lines(t);
  if (spec.startsWith('+')) return joinLines(ls.slice(Number(spec.slice(1)) - 1));
  const n = Number(spec);
  return joinLines(n === 0 ? [] : ls.slice(-n));
}, 'nc');

const sort = lineTool('sort', (t, o) => {
  if ([...o.flags].some((f) => !'rnu'.includes(f)) || o.values.size) return null;
  let ls = lines(t);
  ls = o.flags.has('n') ? ls.sort((a, b) => parseFloat(a) - parseFloat(b) || (a < b ? -1 : a > b ? 1 : 0)) : ls.sort();
  if (o.flags.has('r')) ls.reverse();
  if (o.flags.has('u')) ls = ls.filter((l, i) => i === 0 || l !== ls[i - 1]);
  return joinLines(ls);
});

const uniq = lineTool('uniq', (t, o) => {
  if (o.flags.size) return null;
  const ls = lines(t);
  return joinLines(ls.filter((l, i) => i === 0 || l !== ls[i - 1]));
});

const wc: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  if ([...o.flags].some((f) => !'lwcm'.includes(f))) {
    sh.opaque('wc');
    sh.out(io, null);
    return 0;
  }
  const files = o.operands.length ? o.operands : [undefined];
  let status = 0;
  for (const f of files) {
    const { text, status: s } = gather(sh, io, 'wc', f === undefined ? [] : [f]);
    status = Math.max(status, s);
    if (s !== 0) continue;
    if (text === null) {
      sh.out(io, null);
      continue;
    }
    const counts: number[] = [];
    const all = o.flags.size === 0;
    if (all || o.flags.has('l')) counts.push((text.match(/\n/g) ?? []).length);
    if (all || o.flags.has('w')) counts.push(text.split(/\s+/).filter((w) => w !== '').length);
    if (all || o.flags.has('c') || o.flags.has('m')) counts.push(Buffer.byteLength(text));
    // busybox pads columns to width 9 only when more than one count is printed (checked on bb:latest).
    const cols = counts.length > 1 ? counts.map((c) => String(c).padStart(9)) : counts.map(String);
    sh.out(io, `${cols.join(' ')}${f === undefined ? '' : ` ${f}`}\n`);
  }
  return status;
};

function bre(pattern: string, extended: boolean, fixed: boolean, icase: boolean): RegExp | null {
  try {
    if (fixed) return new RegExp(pattern.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'), icase ? 'i' : '');
    let src = pattern;
    if (!extended) {
      // BRE: \( \) \{ \} \| are operators, bare ( ) { } | + ? are literal.
      src = src.replace(/\\([(){}|+?])|([(){}|+?])/g, (_m, esc: string | undefined, lit: string | undefined) => (esc ? esc : `\\${lit}`));
    }
    return new RegExp(src, icase ? 'i' : '');
  } catch {
    return null;
  }
}

const grep: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1), 'e');
  if ([...o.flags].some((f) => !'qvicnEFsxw'.includes(f))) {
    sh.opaque(`grep ${[...o.flags].map((f) => `-${f}`).join(' ')}`);
    sh.out(io, null);
    return 0;
  }
  const operands = [...o.operands];
  const pattern = o.values.get('e') ?? operands.shift();
  if (pattern === undefined) {
    sh.err(io, 'grep: no pattern');
    return 2;
  }
  let re = bre(pattern, o.flags.has('E'), o.flags.has('F'), o.flags.has('i'));
  if (re && o.flags.has('x')) re = new RegExp(`^(?:${re.source})$`, re.flags);
  if (re && o.flags.has('w')) re = new RegExp(`(?:^|\\W)(?:${re.source})(?:\\W|$)`, re.flags);
  if (!re) {
    sh.opaque('grep with an unsupported pattern');
    sh.out(io, null);
    return 0;
  }
  const files = operands.length ? operands : [undefined];
  let matched = false;
  let out: Text = '';
  let status = 0;
  for (const f of files) {
    const { text, status: s } = gather(sh, io, 'grep', f === undefined ? [] : [f], true);
    if (s !== 0) {
      status = o.flags.has('s') ? 2 : s === 1 ? 2 : s;
      continue;
    }
    if (text === null) {
      sh.opaque('grep on unknown input');
      out = null;
      continue;
    }
    const prefix = files.length > 1 ? `${f}:` : '';
    let count = 0;
    for (const [n, l] of lines(text).entries()) {
      if (re.test(l) === o.flags.has('v')) continue;
      count++;
      matched = true;
      if (out !== null && !o.flags.has('c')) out += `${prefix}${o.flags.has('n') ? `${n + 1}:` : ''}${l}\n`;
    }
    if (o.flags.has('c') && out !== null) out += `${prefix}${count}\n`;
  }
  if (out === null) return 0;
  if (!o.flags.has('q')) sh.out(io, out);
  if (status === 2 && !(o.flags.has('q') && matched)) return 2;
  return matched ? 0 : 1;
};

const tee: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const text = readAll(io.stdin);
  let status = 0;
  for (const f of o.operands) {
    const p = sh.abs(f);
    const parent = sh.fs.stat(dirname(p));
    if (!parent || parent.type !== 'dir') {
      status = Math.max(status, sh.missing(io, 'tee', `tee: ${f}: No such file or directory`));
      continue;
    }
    const st = sh.fs.stat(p);
    if (st ? st.type !== 'dir' && !sh.mayWrite(p, st) : !sh.canWriteIn(dirname(p))) {
      sh.err(io, `tee: ${f}: Permission denied`);
      status = 1;
      continue;
    }
    if (o.flags.has('a')) {
      if (!sh.fs.stat(p)) sh.writeText(p, '');
      sh.appendFile(p, text);
    } else {
      sh.writeText(p, text);
    }
  }
  sh.out(io, text);
  return status;
};

const tr: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const text = readAll(io.stdin);
  const expand = (set: string) =>
    set.replace(/\\n/g, '\n').replace(/\\t/g, '\t').replace(/\[:(lower|upper|digit|space):\]/g, (_m, c: string) =>
      c === 'lower' ? 'abcdefghijklmnopqrstuvwxyz' : c === 'upper' ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' : c === 'digit' ? '0123456789' : ' \t\n\r\f\v',
    ).replace(/(.)-(.)/g, (_m, a: string, b: string) => {
      let s = '';
      for (let c = a.charCodeAt(0); c <= b.charCodeAt(0); c++) s += String.fromCharCode(c);
      return s;
    });
  if (text === null || [...o.flags].some((f) => f !== 'd')) {
    if (text !== null) sh.opaque('tr');
    sh.out(io, null);
    return 0;
  }
  const from = expand(o.operands[0] ?? '');
  if (o.flags.has('d')) {
    sh.out(io, [...text].filter((c) => !from.includes(c)).join(''));
    return 0;
  }
  const to = expand(o.operands[1] ?? '');
  sh.out(io, [...text].map((c) => {
    const i = from.lastIndexOf(c);
    return i === -1 ? c : (to[Math.min(i, to.length - 1)] ?? c);
  }).join(''));
  return 0;
};

// ------------------------------------------------------------------ filesystem tools

const mkdir: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1), 'm');
  const mode = o.values.has('m') ? parseMode(o.values.get('m') ?? '', 0o777 & ~UMASK, true) : 0o777 & ~UMASK;
  if (mode === null) {
    sh.err(io, `mkdir: invalid mode '${o.values.get('m') ?? ''}'`);
    return 1;
  }
  const { uid, gid } = sh.shared.user;
  let status = 0;
  for (const d of o.operands) {
    const p = sh.abs(d);
    const fail = (why: string, shown = d) => {
      sh.err(io, `mkdir: can't create directory '${shown}': ${why}`);
      status = 1;
    };
    const st = sh.fs.stat(p);
    if (o.flags.has('p')) {
      if (st?.type === 'dir') continue;
      if (st) {
        fail('File exists');
        continue;
      }
      // Find the first missing component: a file in the way is "Not a directory".
      const parts = p.split('/').filter(Boolean);
      let cur = '';
      let blocked = false;
      for (const part of parts) {
        cur += `/${part}`;
        const s = sh.fs.stat(cur);
        if (!s) break;
        if (s.type !== 'dir') {
          fail('Not a directory', `${cur}/`);
          blocked = true;
          break;
        }
      }
      if (blocked) continue;
      if (!sh.canWriteIn(dirname(p))) {
        fail('Permission denied');
        continue;
      }
      sh.fs.mkdir(p, { parents: true, uid, gid });
      // Only the last component gets -m; parents get the default mode.
      sh.fs.chmod(p, mode);
      continue;
    }
    if (st || sh.fs.lstat(p)) {
      fail('File exists');
      continue;
    }
    const parent = sh.fs.stat(dirname(p));
    if (!parent) {
      if (sh.missing(io, 'mkdir', `mkdir: can't create directory '${d}': No such file or directory`) !== 0) status = 1;
      continue;
    }
    if (parent.type !== 'dir') {
      fail('Not a directory');
      continue;
    }
    if (!sh.canWriteIn(dirname(p))) {
      fail('Permission denied');
      continue;
    }
    sh.fs.mkdir(p, { mode, uid, gid });
  }
  return status;
};

const touch: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1), 'drt');
  let status = 0;
  for (const f of o.operands) {
    const p = sh.abs(f);
    const st = sh.fs.stat(p);
    if (st) {
      // Setting the times to now needs write permission, or owning the file (even with -c).
      if (st.uid !== sh.shared.user.uid && !sh.mayWrite(p, st)) {
        sh.err(io, `touch: ${f}: Permission denied`);
        status = 1;
        continue;
      }
      sh.fs.touch(p);
      continue;
    }
    if (o.flags.has('c')) continue;
    const parent = sh.fs.stat(dirname(p));
    if (!parent || parent.type !== 'dir') {
      status = Math.max(status, sh.missing(io, 'touch', `touch: ${f}: ${parent ? 'Not a directory' : 'No such file or directory'}`));
      continue;
    }
    if (!sh.canWriteIn(dirname(p))) {
      sh.err(io, `touch: ${f}: Permission denied`);
      status = 1;
      continue;
    }
    sh.writeText(p, '');
  }
  return status;
};

const rm: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const force = o.flags.has('f');
  const recursive = o.flags.has('r') || o.flags.has('R');
  let status = 0;
  for (const f of o.operands) {
    const p = sh.abs(f);
    const st = sh.fs.lstat(p);
    if (!st) {
      if (!force) status = Math.max(status, sh.missing(io, 'rm', `rm: can't remove '${f}': No such file or directory`));
      continue;
    }
    if (st.type === 'dir' && !recursive) {
      sh.err(io, `rm: '${f}' is a directory`);
      status = 1;
      continue;
    }
    if (p === '/') {
      sh.err(io, "rm: can't remove '/'");
      status = 1;
      continue;
    }
    sh.fs.remove(p, { recursive });
    forgetUnknown(sh, p);
  }
  return status;
};

const rmdir: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  let status = 0;
  for (const f of o.operands) {
    const p = sh.abs(f);
    const st = sh.fs.lstat(p);
    if (!st) {
      status = Math.max(status, sh.missing(io, 'rmdir', `rmdir: '${f}': No such file or directory`));
      continue;
    }
    if (st.type !== 'dir') {
      sh.err(io, `rmdir: '${f}': Not a directory`);
      status = 1;
      continue;
    }
    if ((sh.fs.readdir(p) ?? []).length > 0) {
      sh.err(io, `rmdir: '${f}': Directory not empty`);
      status = 1;
      continue;
    }
    sh.fs.remove(p);
  }
  return status;
};

function forgetUnknown(sh: Shell, p: string): void {
  for (const u of [...sh.shared.unknownFiles]) if (u === p || u.startsWith(`${p}/`)) sh.shared.unknownFiles.delete(u);
}

/** Copies one node (recursively for directories) the way busybox cp does. */
function copyNode(sh: Shell, from: string, to: string, o: { preserve: boolean; noDeref: boolean }): void {
  const st = o.noDeref ? sh.fs.lstat(from) : sh.fs.stat(from);
  if (!st) return;
  const { uid, gid } = sh.shared.user;
  if (st.type === 'symlink' && st.linkTarget !== undefined) {
    if (sh.fs.lstat(to)) sh.fs.remove(to, { recursive: true });
    sh.fs.symlink(st.linkTarget, to);
    return;
  }
  if (st.type === 'dir') {
    const existing = sh.fs.stat(to);
    if (!existing) sh.fs.mkdir(to, { mode: o.preserve ? st.mode : st.mode & ~UMASK, uid, gid });
    for (const name of sh.fs.readdir(from) ?? []) copyNode(sh, `${from === '/' ? '' : from}/${name}`, `${to}/${name}`, o);
    if (o.preserve) {
      sh.fs.chmod(to, st.mode);
      sh.fs.chown(to, st.uid, st.gid);
    }
    return;
  }
  const text = sh.readText(from);
  const content = text === 'ENOENT' || text === 'EISDIR' ? null : text;
  const existed = sh.fs.stat(to);
  sh.writeText(to, content, st.mode & ~UMASK);
  if (o.preserve) {
    sh.fs.chmod(to, st.mode);
    sh.fs.chown(to, st.uid, st.gid);
  } else if (!existed) {
    sh.fs.chmod(to, st.mode & ~UMASK);
  }
}

const cp: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const archive = o.flags.has('a');
  const recursive = archive || o.flags.has('r') || o.flags.has('R');
  const preserve = archive || o.flags.has('p');
  const noDeref = archive || o.flags.has('d') || o.flags.has('P');
  const ops = o.operands;
  if (ops.length < 2) {
    sh.err(io, 'cp: missing file operand');
    return 1;
  }
  const dest = ops[ops.length - 1] as string;
  const destPath = sh.abs(dest);
  const destIsDir = sh.fs.stat(destPath)?.type === 'dir';
  if (ops.length > 2 && !destIsDir) {
    sh.err(io, `cp: '${dest}' is not a directory`);
    return 1;
  }
  let status = 0;
  for (const src of ops.slice(0, -1)) {
    const sp = sh.abs(src);
    const st = noDeref ? sh.fs.lstat(sp) : sh.fs.stat(sp);
    if (!st) {
      status = Math.max(status, sh.missing(io, 'cp', `cp: can't stat '${src}': No such file or directory`));
      continue;
    }
    if (st.type === 'dir' && !recursive) {
      sh.err(io, `cp: omitting directory '${src}'`);
      status = 1;
      continue;
    }
    const target = destIsDir ? `${destPath === '/' ? '' : destPath}/${basename(sp)}` : destPath;
    const tparent = sh.fs.stat(dirname(target));
    if (!tparent || tparent.type !== 'dir') {
      status = Math.max(status, sh.missing(io, 'cp', `cp: can't create '${dest}': No such file or directory`));
      continue;
    }
    if (st.type === 'dir' && (target === sp || target.startsWith(`${sp}/`))) {
      sh.err(io, `cp: can't copy a directory into itself`);
      status = 1;
      continue;
    }
    if (st.type !== 'dir') {
      const tst = sh.fs.stat(target);
      if (tst ? tst.type !== 'dir' && !sh.mayWrite(target, tst) : !sh.canWriteIn(dirname(target))) {
        sh.err(io, `cp: can't create '${destIsDir ? `${dest.replace(/\/+$/, '')}/${basename(sp)}` : dest}': Permission denied`);
        status = 1;
        continue;
      }
    }
    try {
      copyNode(sh, sp, target, { preserve, noDeref });
    } catch (e) {
      sh.err(io, `cp: can't create '${target}': ${errCode(e)}`);
      status = 1;
    }
  }
  return status;
};

const mv: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const ops = o.operands;
  if (ops.length < 2) {
    sh.err(io, 'mv: missing file operand');
    return 1;
  }
  const dest = ops[ops.length - 1] as string;
  const destPath = sh.abs(dest);
  const destIsDir = sh.fs.stat(destPath)?.type === 'dir';
  let status = 0;
  for (const src of ops.slice(0, -1)) {
    const sp = sh.abs(src);
    if (!sh.fs.lstat(sp)) {
      status = Math.max(status, sh.missing(io, 'mv', `mv: can't rename '${src}': No such file or directory`));
      continue;
    }
    const target = destIsDir ? `${destPath === '/' ? '' : destPath}/${basename(sp)}` : destPath;
    try {
      const tst = sh.fs.lstat(target);
      if (tst && tst.type !== 'dir') sh.fs.remove(target);
      const wasUnknown = [...sh.shared.unknownFiles].filter((u) => u === sp || u.startsWith(`${sp}/`));
      sh.fs.rename(sp, target);
      for (const u of wasUnknown) {
        sh.shared.unknownFiles.delete(u);
        sh.shared.unknownFiles.add(target + u.slice(sp.length));
      }
    } catch (e) {
      if (e instanceof FsError && e.code === 'ENOENT') {
        status = Math.max(status, sh.missing(io, 'mv', `mv: can't rename '${src}': No such file or directory`));
      } else {
        sh.err(io, `mv: can't rename '${src}': ${errCode(e)}`);
        status = 1;
      }
    }
  }
  return status;
};

const ln: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const symbolic = o.flags.has('s');
  const force = o.flags.has('f');
  const noDeref = o.flags.has('n');
  const ops = o.operands;
  if (ops.length === 0) {
    sh.err(io, 'ln: missing operand');
    return 1;
  }
  // `ln -s target` links into the current directory under the target's name.
  const pairs: Array<[string, string]> = [];
  if (ops.length === 1) {
    pairs.push([ops[0] as string, basename(ops[0] as string)]);
  } else {
    const dest = ops[ops.length - 1] as string;
    const destSt = noDeref ? sh.fs.lstat(sh.abs(dest)) : sh.fs.stat(sh.abs(dest));
    for (const t of ops.slice(0, -1)) pairs.push([t, destSt?.type === 'dir' ? `${dest}/${basename(t)}` : dest]);
  }
  let status = 0;
  for (const [target, link] of pairs) {
    const lp = sh.abs(link);
    if (sh.fs.lstat(lp)) {
      if (!force) {
        sh.err(io, `ln: ${link}: File exists`);
        status = 1;
        continue;
      }
      sh.fs.remove(lp, { recursive: false });
    }
    const parent = sh.fs.stat(dirname(lp));
    if (!parent || parent.type !== 'dir') {
      status = Math.max(status, sh.missing(io, 'ln', `ln: ${link}: No such file or directory`));
      continue;
    }
    if (symbolic) {
      sh.fs.symlink(target, lp);
      continue;
    }
    const tp = sh.abs(target);
    if (!sh.fs.stat(tp)) {
      status = Math.max(status, sh.missing(io, 'ln', `ln: ${target}: No such file or directory`));
      continue;
    }
    try {
      sh.fs.link(tp, lp);
    } catch (e) {
      sh.err(io, `ln: ${link}: ${errCode(e)}`);
      status = 1;
    }
  }
  return status;
};

/**
 * Parses an octal or symbolic mode against a current mode. `dirX` says whether X applies (directory or
 * already executable). Returns null when invalid.
 */
export function parseMode(spec: string, current: number, isDir: boolean): number | null {
  if (/^[0-7]+$/.test(spec)) return parseInt(spec, 8) & 0o7777;
  let mode = current;
  for (const clause of spec.split(',')) {
    const m = /^([ugoa]*)((?:[-+=][rwxXst]*)+)$/.exec(clause);
    if (!m) return null;
    const who = m[1] || '';
    const whoMask = who === '' ? 0o7777 & ~UMASK : [...who].reduce((acc, w) => acc | (w === 'u' ? 0o4700 : w === 'g' ? 0o2070 : w === 'o' ? 0o1007 : 0o7777), 0);
    for (const action of (m[2] ?? '').match(/[-+=][rwxXst]*/g) ?? []) {
      const op = action[0];
      let bits = 0;
      for (const p of action.slice(1)) {
        if (p === 'r') bits |= 0o444;
        else if (p === 'w') bits |= 0o222;
        else if (p === 'x') bits |= 0o111;
        else if (p === 'X') bits |= isDir || (mode & 0o111) !== 0 ? 0o111 : 0;
        else if (p === 's') bits |= 0o6000;
        else if (p === 't') bits |= 0o1000;
      }
      const affect = who === '' ? (op === '=' ? 0o7777 : whoMask) : whoMask;
      bits &= who === '' && op !== '=' ? whoMask | 0o7000 : affect;
      if (op === '+') mode |= bits;
      else if (op === '-') mode &= ~bits;
      else mode = (mode & ~(who === '' ? 0o7777 : whoMask & 0o0777 | (who.includes('u') || who.includes('a') ? 0o4000 : 0) | (who.includes('g') || who.includes('a') ? 0o2000 : 0))) | bits;
    }
  }
  return mode & 0o7777;
}

function walk(sh: Shell, p: string, fn: (path: string, st: FsNodeInfo) => void): void {
  const st = sh.fs.lstat(p);
  if (!st) return;
  fn(p, st);
  if (st.type === 'dir') for (const n of sh.fs.readdir(p) ?? []) walk(sh, `${p === '/' ? '' : p}/${n}`, fn);
}

const chmod: CommandImpl = (sh, argv, io) => {
  // A leading "-x"-style symbolic mode is not an option for chmod.
  const args = argv.slice(1);
  const recursive = args[0] === '-R';
  const rest = recursive ? args.slice(1) : args;
  const [spec, ...files] = rest;
  if (spec === undefined || files.length === 0) {
    sh.err(io, 'chmod: missing operand');
    return 1;
  }
  let status = 0;
  for (const f of files) {
    const p = sh.abs(f);
    const st = sh.fs.stat(p);
    if (!st) {
      status = Math.max(status, sh.missing(io, 'chmod', `chmod: ${f}: No such file or directory`));
      continue;
    }
    const apply = (path: string, s: FsNodeInfo) => {
      if (s.type === 'symlink') return;
      const mode = parseMode(spec, s.mode, s.type === 'dir');
      if (mode === null) throw new Error('bad mode');
      sh.fs.chmod(path, mode);
    };
    try {
      if (recursive) walk(sh, p, apply);
      else apply(p, st);
    } catch {
      sh.err(io, `chmod: invalid mode '${spec}'`);
      return 1;
    }
  }
  return status;
};

function chownLike(tool: 'chown' | 'chgrp'): CommandImpl {
  return (sh, argv, io) => {
    const o = parseOpts(argv.slice(1));
    const [spec, ...files] = o.operands;
    if (spec === undefined || files.length === 0) {
      sh.err(io, `${tool}: missing operand`);
      return 1;
    }
    const db = readAccounts(sh);
    let uid: number | undefined;
    let gid: number | undefined;
    const lookupUser = (u: string) => (/^\d+$/.test(u) ? Number(u) : db.users.get(u)?.uid);
    const lookupGroup = (g: string) => (/^\d+$/.test(g) ? Number(g) : db.groups.get(g)?.gid);
    if (tool === 'chgrp') {
      gid = lookupGroup(spec);
      if (gid === undefined) return unknownAccount(sh, io, `chgrp: unknown group ${spec}`);
    } else {
      const [u = '', g] = spec.split(/[:.]/, 2) as [string, string | undefined];
      if (u !== '') {
        uid = lookupUser(u);
        if (uid === undefined) return unknownAccount(sh, io, g === undefined ? `chown: unknown user ${u}` : `chown: unknown user/group ${spec}`);
      }
      if (g !== undefined && g !== '') {
        gid = lookupGroup(g);
        if (gid === undefined) return unknownAccount(sh, io, `chown: unknown user/group ${spec}`);
      } else if (g === '' && uid !== undefined) {
        gid = db.users.get(u)?.gid ?? gid;
      }
    }
    let status = 0;
    for (const f of files) {
      const p = sh.abs(f);
      if (!sh.fs.lstat(p)) {
        status = Math.max(status, sh.missing(io, tool, `${tool}: ${f}: No such file or directory`));
        continue;
      }
      const apply = (path: string, s: FsNodeInfo) => {
        sh.fs.chown(path, uid ?? s.uid, gid ?? s.gid);
        // Linux clears setuid (and setgid with group exec) when a file's owner changes, root's chown
        // included (busybox: chmod 4755 then chown 1:2 leaves 755).
        const now = sh.fs.lstat(path);
        if (now?.type === 'file' && now.mode & 0o6000) sh.fs.chmod(path, now.mode & ~(0o4000 | (now.mode & 0o010 ? 0o2000 : 0)));
      };
      if (o.flags.has('R')) walk(sh, p, apply);
      else {
        const s = sh.fs.stat(p) ?? sh.fs.lstat(p);
        if (s) apply(p, s);
      }
    }
    return status;
  };
}

function unknownAccount(sh: Shell, io: Io, message: string): number {
  // A user added by an opaque command (a package's postinst) would be missing from our /etc/passwd.
  if (sh.shared.tainted) {
    sh.opaque('chown to an account an earlier opaque command may have created');
    return 0;
  }
  sh.err(io, message);
  return 1;
}

// ------------------------------------------------------------------ listing and info

const ls: CommandImpl = (sh, argv, io) => {
  const o = parseOpts(argv.slice(1));
  const computable = [...o.flags].every((f) => '1aAd'.includes(f));
  const targets = o.operands.length ? o.operands : ['.'];
  let status = 0;
  let out: Text = '';
  const files: string[] = [];
  const dirs: string[] = [];
  for (const t of targets) {
    const st = sh.fs.stat(sh.abs(t));
    if (!st) {
      status = Math.max(status, sh.missing(io, 'ls', `ls: ${t}: No such file or directory`));
      if (status === 0) out = null;
      continue;
    }
    if (st.type === 'dir' && !o.flags.has('d')) dirs.push(t);
    else files.push(t);
  }
  // The runtime mounts /dev, /proc, /sys and bind-mounts /etc/hosts, resolv.conf and hostname
  // during a RUN, so listings there show entries the image does not have (seen with docker run on bb:latest).
  const runtimeDirs = ['/', '/etc', '/dev', '/proc', '/sys', '/run'];
  if (!computable || dirs.some((d) => runtimeDirs.includes(sh.abs(d)))) {
    // Unknown output is only opaque where it lands in a file (the shell flags that); on stdout it changes nothing.
    sh.out(io, null);
    return status;
  }
  if (out !== null) {
    const sorted = (xs: string[]) => [...xs].sort();
    for (const f of sorted(files)) out += `${f}\n`;
    for (const [i, d] of sorted(dirs).entries()) {
      let names = sh.fs.readdir(sh.abs(d)) ?? [];
      if (!o.flags.has('a') && !o.flags.has('A')) names = names.filter((n) => !n.startsWith('.'));
      if (o.flags.has('a')) names = ['.', '..', ...names];
      if (targets.length > 1) out += `${i > 0 || files.length ? '\n' : ''}${d}:\n`;
      out += names.map((n) => `${n}\n`).join('');
    }
  }
  sh.out(io, out);
  return status;
};

/**
 * `find PATH... [-name GLOB] [-type f|d|l] [-mindepth N] [-maxdepth N] [-print]`: the paths below
 * each start, the start first, in the directory order the stage holds. A plain search writes nothing
 * (the classic builder commits no layer for it), and its output is known, so a stage whose files did
 * not change gives the same output again and the steps after it keep their cache (recorded:
 * exec-r7-noop-runs-layers, cache-r10-find-output-cutoff). Other tests and operators give unknown
 * output; actions that write or run something (-exec, -delete, ...) make the step opaque.
 */
const find: CommandImpl = (sh, argv, io) => {
  const args = argv.slice(1);
  if (args.some((a) => /^-(exec|execdir|ok|okdir|delete|fprint0?|fprintf|fls)$/.test(a))) {
    sh.taint(`find ${args.join(' ')}`);
    sh.unknownOutput(io);
    return 0;
  }
  const starts: string[] = [];
  let i = 0;
  for (; i < args.length && !args[i]!.startsWith('-') && args[i] !== '(' && args[i] !== '!'; i++) starts.push(args[i]!);
  if (starts.length === 0) starts.push('.');
  let name: RegExp | null = null;
  let type: string | null = null;
  let minDepth = 0;
  let maxDepth = Infinity;
  let known = true;
  for (; i < args.length; i++) {
    const a = args[i]!;
    const v = args[i + 1];
    if (a === '-print') continue;
    if (a === '-name' && v !== undefined) name = globRegExp(v);
    else if (a === '-type' && v !== undefined && /^[fdl]$/.test(v)) type = v;
    else if (a === '-mindepth' && v !== undefined && /^\d+$/.test(v)) minDepth = Number(v);
    else if (a === '-maxdepth' && v !== undefined && /^\d+$/.test(v)) maxDepth = Number(v);
    else {
      known = false;
      break;
    }
    i++;
  }
  let status = 0;
  let out: Text = '';
  for (const start of starts) {
    const root = sh.abs(start);
    if (!sh.fs.lstat(root)) {
      status = Math.max(status, sh.missing(io, 'find', `find: ${start}: No such file or directory`));
      continue;
    }
    const visit = (abs: string, shown: string, depth: number): void => {
      const st = sh.fs.lstat(abs);
      if (!st) return;
      const kind = st.type === 'dir' ? 'd' : st.type === 'symlink' ? 'l' : 'f';
      if (depth >= minDepth && (type === null || type === kind) && (name === null || name.test(basename(shown)))) out += `${shown}\n`;
      if (st.type === 'dir' && depth < maxDepth) {
        for (const n of sh.fs.readdir(abs) ?? []) visit(`${abs === '/' ? '' : abs}/${n}`, `${shown.endsWith('/') ? shown : `${shown}/`}${n}`, depth + 1);
      }
    };
    visit(root, start, 0);
  }
  // The runtime's mounts (/proc, /sys, /dev) hold entries the image does not have.
  const runtime = starts.some((st) => ['/', '/proc', '/sys', '/dev', '/run'].some((r) => sh.abs(st) === r || sh.abs(st).startsWith(`${r}/`)));
  sh.out(io, known && !runtime && !sh.shared.tainted ? out : null);
  return status;
};

/** A find -name pattern (fnmatch: *, ?, [...]) as a regular expression over a whole name. */
function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = close;
      }
    } else if (c === '\\' && i + 1 < glob.length) re += glob[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/**
 * busybox `stat -c FORMAT` (or -cFORMAT; -L follows links) with the directives that
 * depend only on what dfsim knows of a file: %a %A %F %g %G %n %s %u %U %%. Anything else (inodes,
 * times, the default multi-line output) is unknown output.
 */
const stat: CommandImpl = (sh, argv, io) => {
  let format: string | null = null;
  let follow = false;
  const files: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c') format = argv[++i] ?? null;
    else if (a.startsWith('-c')) format = a.slice(2);
    else if (a === '-L') follow = true;
    else if (a.startsWith('--')) {
      // busybox has no long options here.
      sh.err(io, `stat: unrecognized option '${a}'`);
      return 1;
    } else if (a.startsWith('-') && a !== '-') format = null;
    else files.push(a);
  }
  const known = format !== null && /^(?:[^%]|%[aAFgGnsuU%])*$/.test(format);
  if (!known || files.length === 0) {
    sh.out(io, null);
    return files.length === 0 && format !== null ? 1 : 0;
  }
  const db = readAccounts(sh);
  let status = 0;
  let out: Text = '';
  for (const f of files) {
    const p = sh.abs(f);
    const st = follow ? sh.fs.stat(p) : sh.fs.lstat(p);
    if (!st) {
      const code = sh.missing(io, 'stat', `stat: can't stat '${f}': No such file or directory`);
      if (code === 0) out = null; // an earlier opaque command may have made it: its line is unknown
      status = Math.max(status, code);
      continue;
    }
    const user = [...db.users.values()].find((u) => u.uid === st.uid)?.name ?? 'UNKNOWN';
    const group = [...db.groups.values()].find((g) => g.gid === st.gid)?.name ?? 'UNKNOWN';
    const typeName = st.type === 'dir' ? 'directory' : st.type === 'symlink' ? 'symbolic link' : st.size === 0 ? 'regular empty file' : 'regular file';
    let unknown = false;
    const line = `${format!.replace(/%([aAFgGnsuU%])/g, (_m, d: string) => {
      switch (d) {
        case 'a': return (st.mode & 0o7777).toString(8);
        case 'A': return modeText(st.type, st.mode);
        case 'F': return typeName;
        case 'g': return String(st.gid);
        case 'G': return group;
        case 'n': return f;
        case 's':
          // A directory's size is the filesystem's (4096 on the builder's overlayfs, more for big ones).
          if (st.type === 'dir') unknown = true;
          return st.type === 'symlink' ? String(Buffer.byteLength(st.linkTarget ?? '')) : String(st.size);
        case 'u': return String(st.uid);
        case 'U': return user;
        default: return '%';
      }
    })}\n`;
    out = unknown || out === null ? null : out + line;
  }
  sh.out(io, out);
  return status;
};

/** `ls -l` style permissions: `-rwxr-xr-x`, with s/S, t/T for setuid, setgid and sticky bits. */
function modeText(type: string, mode: number): string {
  const bit = (b: number, c: string) => (mode & b ? c : '-');
  const special = (x: number, s: number, lower: string, upper: string) => (mode & s ? (mode & x ? lower : upper) : mode & x ? 'x' : '-');
  return (
    (type === 'dir' ? 'd' : type === 'symlink' ? 'l' : '-') +
    bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S') +
    bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's', 'S') +
    bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't', 'T')
  );
}

const id: CommandImpl = (sh, argv, io) => {
  const { uid, gid, name } = sh.shared.user;
  const o = parseOpts(argv.slice(1));
  if (o.operands.length) {
    sh.opaque('id USER');
    sh.out(io, null);
    return 0;
  }
  const db = readAccounts(sh);
  const gname = [...db.groups.values()].find((g) => g.gid === gid)?.name;
  if (o.flags.has('u')) sh.out(io, `${o.flags.has('n') ? name : uid}\n`);
  else if (o.flags.has('g')) sh.out(io, `${o.flags.has('n') ? (gname ?? gid) : gid}\n`);
  else {
    sh.opaque('id');
    sh.out(io, null);
  }
  return 0;
};

const whoami: CommandImpl = (sh, _argv, io) => {
  const { uid } = sh.shared.user;
  const db = readAccounts(sh);
  const u = [...db.users.values()].find((x) => x.uid === uid);
  if (!u) {
    sh.err(io, `whoami: unknown uid ${uid}`);
    return 1;
  }
  sh.out(io, `${u.name}\n`);
  return 0;
};

const envCmd: CommandImpl = (sh, argv, io, env) => {
  const e = new Map(env);
  let i = 1;
  if (argv[i] === '-i' || argv[i] === '-') {
    e.clear();
    i++;
  }
  for (; i < argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[i] as string); i++) {
    const a = argv[i] as string;
    e.set(a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1));
  }
  if (i < argv.length) return sh.execArgv(argv.slice(i), io, e, argv.slice(i).join(' '), e);
  // HOSTNAME and friends the runtime adds are unknown to us.
  sh.opaque('env output');
  sh.out(io, null);
  return 0;
};

const printenv: CommandImpl = (sh, argv, io, env) => {
  const names = argv.slice(1);
  if (names.length === 0) return envCmd(sh, ['env'], io, env);
  let status = 0;
  for (const n of names) {
    const v = env.get(n) ?? (n === 'PWD' ? sh.cwd : undefined);
    if (v === undefined) status = 1;
    else sh.out(io, `${v}\n`);
  }
  return status;
};

const shellCmd: CommandImpl = (sh, argv, io, env) => {
  const name = argv[0] ?? 'sh';
  const child = sh.childProcess(env);
  // ash's option parsing: flags may be grouped (-euo pipefail), each `o` takes the next argument as an
  // option name, and -c is a flag: the script is the first operand after the options (checked on bb:latest).
  let minusC = false;
  let fromStdin = false;
  let i = 1;
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a.startsWith('--')) continue; // bash's long options (--login, --norc): nothing we simulate
    if (!/^[-+][a-zA-Z]+$/.test(a)) break;
    const on = a[0] === '-';
    for (const f of a.slice(1)) {
      if (f === 'o') {
        const opt = argv[++i];
        // Without a name ash lists the options; with an unknown one it says so and runs nothing, exit 0.
        if (opt === undefined) return 0;
        if (!child.setOption(opt, on)) {
          // bash and dash know other options (posix, braceexpand...): only ash's refusal is certain.
          if (!['sh', 'ash'].includes(basename(name))) {
            sh.opaque(`${name} -o ${opt}`);
            continue;
          }
          sh.err(io, `${name}: illegal option ${a[0]}o ${opt}`);
          return 0;
        }
      } else if (f === 'c') minusC = true;
      else if (f === 's') fromStdin = true;
      else child.setFlag(f, on);
    }
  }
  if (minusC) {
    const script = argv[i];
    if (script === undefined) {
      sh.err(io, `${name}: -c requires an argument`);
      return 2;
    }
    const nested = sh.runNestedScript;
    if (!nested) return 0;
    // A child process: its `exit` ends only the child. The operand after the script is $0.
    return child.runIsolatedWith(() => nested(child, script, argv.slice(i + 2), io));
  }
  const file = argv[i];
  if (file === undefined || fromStdin) {
    sh.opaque(`${name} reading commands from stdin`);
    const text = readAll(io.stdin);
    const nested = sh.runNestedScript;
    if (text === null || !nested) return 0;
    return child.runIsolatedWith(() => nested(child, text, argv.slice(i), io));
  }
  const text = sh.readText(sh.abs(file));
  if (text === 'ENOENT' || text === 'EISDIR') {
    return sh.missing(io, name, `${name}: can't open '${file}': No such file or directory`, 2);
  }
  const nested = sh.runNestedScript;
  if (text === null || !nested) {
    sh.taint(`${name} ${file}`);
    return 0;
  }
  return child.runIsolatedWith(() => nested(child, text, argv.slice(i + 1), io));
};

const sleep: CommandImpl = () => 0;
const trueCmd: CommandImpl = () => 0;
const falseCmd: CommandImpl = () => 1;

const basenameCmd: CommandImpl = (sh, argv, io) => {
  const p = argv[1] ?? '';
  let b = basename(p);
  const suffix = argv[2];
  if (suffix && b.endsWith(suffix) && b !== suffix) b = b.slice(0, -suffix.length);
  sh.out(io, `${b}\n`);
  return 0;
};

const dirnameCmd: CommandImpl = (sh, argv, io) => {
  const p = (argv[1] ?? '').replace(/\/+$/, '');
  sh.out(io, `${p.includes('/') ? dirname(p) || '/' : '.'}\n`);
  return 0;
};

const which: CommandImpl = (sh, argv, io, env) => {
  let status = 0;
  for (const n of argv.slice(1)) {
    // busybox which lists only files the user may execute.
    const loc = sh.locate(n, env, (st) => st.type === 'file' && sh.permits(st, 1) !== false);
    if (loc === 'missing') status = sh.shared.tainted ? (sh.opaque(`which ${n}`), status) : 1;
    else if (loc === 'unknown') {
      sh.opaque(`which ${n}`);
      sh.out(io, null);
    } else sh.out(io, `${loc}\n`);
  }
  return status;
};

const seq: CommandImpl = (sh, argv, io) => {
  const nums = argv.slice(1).map(Number);
  if (nums.some((n) => !Number.isInteger(n)) || nums.length === 0 || nums.length > 3) {
    sh.opaque('seq');
    sh.out(io, null);
    return 0;
  }
  const [first, step, last] = nums.length === 1 ? [1, 1, nums[0] as number] : nums.length === 2 ? [nums[0] as number, 1, nums[1] as number] : (nums as [number, number, number]);
  let out = '';
  for (let n = first, k = 0; step > 0 ? n <= last : n >= last; n += step, k++) {
    if (k > 100_000 || step === 0) break;
    out += `${n}\n`;
  }
  sh.out(io, out);
  return 0;
};

export function defaultCommands(): Map<string, CommandImpl> {
  const m = new Map<string, CommandImpl>([
    ['true', trueCmd], [':', trueCmd], ['false', falseCmd], ['echo', echo], ['printf', printf],
    ['test', test], ['[', test], ['[[', test], ['cat', cat], ['head', head], ['tail', tail], ['sort', sort],
    ['uniq', uniq], ['wc', wc], ['grep', grep], ['egrep', (sh, a, io, e) => grep(sh, ['grep', '-E', ...a.slice(1)], io, e)],
    ['fgrep', (sh, a, io, e) => grep(sh, ['grep', '-F', ...a.slice(1)], io, e)], ['tee', tee], ['tr', tr],
    ['mkdir', mkdir], ['touch', touch], ['rm', rm], ['rmdir', rmdir], ['cp', cp], ['mv', mv], ['ln', ln],
    ['chmod', chmod], ['stat', stat], ['find', find], ['chown', chownLike('chown')], ['chgrp', chownLike('chgrp')], ['ls', ls], ['id', id],
    ['whoami', whoami], ['env', envCmd], ['printenv', printenv], ['sh', shellCmd], ['ash', shellCmd],
    ['bash', shellCmd], ['dash', shellCmd], ['sleep', sleep], ['usleep', sleep], ['sync', trueCmd],
    ['basename', basenameCmd], ['dirname', dirnameCmd], ['which', which], ['seq', seq],
  ]);
  for (const [k, v] of USER_COMMANDS) m.set(k, v);
  return m;
}
