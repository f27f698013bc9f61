import type { FsErrorCode, ShellFs } from '../fs-types.js';

/** Lexical normalisation to the absolute form the ShellFs expects (no '.', '..', '//'). */
export function normalizePath(path: string, cwd: string): string {
  const full = path.startsWith('/') ? path : `${cwd}/${path}`;
  const out: string[] = [];
  for (const part of full.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return path.startsWith('/') ? '/' : '';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** strerror(3) texts as glibc prints them (busybox-static on the reference base is glibc-linked). */
export function strerror(code: FsErrorCode | 'EACCES'): string {
  switch (code) {
    case 'ENOENT':
      return 'No such file or directory';
    case 'EEXIST':
      return 'File exists';
    case 'ENOTDIR':
      return 'Not a directory';
    case 'EISDIR':
      return 'Is a directory';
    case 'ENOTEMPTY':
      return 'Directory not empty';
    case 'ELOOP':
      return 'Too many levels of symbolic links';
    case 'EPERM':
      return 'Operation not permitted';
    case 'EACCES':
      return 'Permission denied';
    case 'EINVAL':
      return 'Invalid argument';
  }
}

/** Converts a shell glob to an anchored RegExp. Backslash-escaped characters are literal. */
export function globToRegExp(pattern: string, opts: { pathname?: boolean } = {}): RegExp {
  const anyChar = opts.pathname ? '[^/]' : '[\\s\\S]';
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\' && i + 1 < pattern.length) {
      re += escapeRe(pattern[++i] as string);
    } else if (c === '*') {
      re += `${anyChar}*`;
    } else if (c === '?') {
      re += anyChar;
    } else if (c === '[') {
      const close = findClass(pattern, i);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const cls = body.replace(/\\/g, '\\\\').replace(/\[:(\w+):\]/g, (_m, name: string) => posixClass(name)).replace(/\]/g, '\\]');
      re += `[${negate ? '^' : ''}${cls}]`;
      i = close;
    } else {
      re += escapeRe(c);
    }
  }
  return new RegExp(`^${re}$`);
}

function findClass(pattern: string, open: number): number {
  let j = open + 1;
  if (pattern[j] === '!' || pattern[j] === '^') j++;
  if (pattern[j] === ']') j++;
  while (j < pattern.length) {
    if (pattern.startsWith('[:', j)) {
      const end = pattern.indexOf(':]', j + 2);
      if (end !== -1) {
        j = end + 2;
        continue;
      }
    }
    if (pattern[j] === ']') return j;
    j++;
  }
  return -1;
}

function posixClass(name: string): string {
  switch (name) {
    case 'alpha':
      return 'A-Za-z';
    case 'digit':
      return '0-9';
    case 'alnum':
      return 'A-Za-z0-9';
    case 'upper':
      return 'A-Z';
    case 'lower':
      return 'a-z';
    case 'space':
      return ' \\t\\n\\r\\f\\v';
    default:
      return '';
  }
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function hasGlobChars(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?' || c === '[') return true;
  }
  return false;
}

/**
 * Pathname expansion against the stage filesystem. Returns sorted matches, or [] when none match
 * (the shell then keeps the word as written). Hidden names match only an explicit leading dot.
 */
export function expandGlob(fs: ShellFs, pattern: string, cwd: string): string[] {
  const absolute = pattern.startsWith('/');
  const parts = pattern.split('/').filter((p) => p !== '');
  let current: Array<{ shown: string; real: string }> = [{ shown: absolute ? '/' : '', real: absolute ? '/' : cwd }];
  for (const [idx, part] of parts.entries()) {
    const last = idx === parts.length - 1;
    const next: Array<{ shown: string; real: string }> = [];
    for (const base of current) {
      const join = (name: string) => ({
        shown: base.shown === '' ? name : base.shown.endsWith('/') ? base.shown + name : `${base.shown}/${name}`,
        real: base.real === '/' ? `/${name}` : `${base.real}/${name}`,
      });
      if (!hasGlobChars(part)) {
        const literal = part.replace(/\\(.)/g, '$1');
        const candidate = join(literal);
        if (literal === '.' || literal === '..' ? true : fs.lstat(candidate.real) !== undefined) {
          if (last || fs.stat(candidate.real)?.type === 'dir') next.push(candidate);
        }
        continue;
      }
      const names = fs.readdir(base.real);
      if (!names) continue;
      const re = globToRegExp(part, { pathname: true });
      for (const name of names) {
        if (name.startsWith('.') && !part.startsWith('.')) continue;
        if (!re.test(name)) continue;
        const candidate = join(name);
        if (last || fs.stat(candidate.real)?.type === 'dir') next.push(candidate);
      }
    }
    current = next;
    if (current.length === 0) return [];
  }
  const shown = current.map((c) => c.shown + (pattern.endsWith('/') && !c.shown.endsWith('/') ? '/' : ''));
  return shown.sort();
}
