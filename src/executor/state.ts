import { posix } from 'node:path';
import type { ImageConfig } from './base-image.js';
import type { StageFs } from './stage-fs.js';
import type { HistoryEntry, StageRef } from './types.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/**
 * BuildKit's env list: unique keys ordered by the position of their latest definition
 * (re-setting a key moves it to the end), last value wins. The order is part of RUN keys.
 */
export class EnvList {
  private entries: Array<[string, string]> = [];

  static from(pairs: Iterable<[string, string]>): EnvList {
    const list = new EnvList();
    for (const [k, v] of pairs) list.set(k, v);
    return list;
  }

  delete(key: string): void {
    this.entries = this.entries.filter(([k]) => k !== key);
  }

  set(key: string, value: string): void {
    const i = this.entries.findIndex(([k]) => k === key);
    if (i >= 0) this.entries.splice(i, 1);
    this.entries.push([key, value]);
  }

  get(key: string): string | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }

  has(key: string): boolean {
    return this.entries.some(([k]) => k === key);
  }

  pairs(): Array<[string, string]> {
    return this.entries.map(([k, v]) => [k, v]);
  }

  toArray(): string[] {
    return this.entries.map(([k, v]) => `${k}=${v}`);
  }

  clone(): EnvList {
    return EnvList.from(this.entries);
  }
}

export function parseEnvArray(env: string[]): Array<[string, string]> {
  return env.map((e) => {
    const i = e.indexOf('=');
    return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
  });
}

/** Everything a stage carries from one instruction to the next. Mutated in place by the instruction modules. */
export interface StageState {
  ref: StageRef;
  fs: StageFs;
  /** ENV and ARG-with-value, in BuildKit's order: what a RUN sees and what its key covers. */
  env: EnvList;
  /** ARGs with a value declared in this stage (and inherited from its parent stage), in order: history's `|N k=v` prefix. */
  buildArgs: EnvList;
  /** Names declared by ARG in this stage so far (a declared-but-valueless ARG expands to ""). */
  declaredArgs: Set<string>;
  /** Every ARG declaration of this stage in order, a name declared twice listed twice (BuildKit's `|N`). */
  argDeclarations: string[];
  user: string;
  workdir: string;
  shell: string[];
  config: ImageConfig;
  history: HistoryEntry[];
  layers: number;
  /** Key digest of the last vertex: the parent of the next one. */
  lastKey: string | null;
  /**
   * BuildKit: the previous vertex's definition, what identical steps are merged by. It differs from
   * the key where the key leaves something out: the image name as written (`bb:v1` and `bb:latest`
   * are one image), a COPY source's directory.
   */
  lastDefinition: string | null;
  platform: string;
  /** Whether the filesystem still holds exactly known content (false after an opaque step). */
  exact: boolean;
}

export function resolveWorkdir(current: string, path: string): string {
  const joined = posix.isAbsolute(path) ? path : posix.join(current || '/', path);
  const n = posix.normalize(joined);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  name: string;
}

/**
 * Resolves `user[:group]` through the stage's /etc/passwd and /etc/group, as the builder does for
 * USER. Returns undefined for a name it cannot find. A uid with no passwd entry runs a RUN with
 * group 0 (`uid=1000 gid=0(root)`, recorded with both builders); elsewhere (`runtime` false) the
 * group is taken to be the uid.
 */
export function resolveUser(fs: StageFs, spec: string, runtime = false): ResolvedUser | undefined {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd = readTable(fs, '/etc/passwd');
  const groups = readTable(fs, '/etc/group');
  let uid: number;
  let gid: number;
  let name = userPart;
  if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const row = passwd.find((r) => r[2] === userPart);
    gid = row ? Number(row[3]) : uid === 0 || runtime ? 0 : uid;
    name = row?.[0] ?? userPart;
  } else {
    const row = passwd.find((r) => r[0] === userPart);
    if (!row) return undefined;
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((r) => r[0] === groupPart);
      if (!g) return undefined;
      gid = Number(g[2]);
    }
  }
  return { uid, gid, name };
}

/**
 * A `user[:group]` as BuildKit's LLB keys it (COPY --chown, the WORKDIR mkdir owner), before any
 * lookup: each part that is `root` or a decimal number is an id, written as the number; anything
 * else stays a name, and a missing group stays missing. So `root` hits `0` and `root:root` hits
 * `0:0`, while `app` misses `1000` and `1000` misses `1000:1000` (recorded: cache-copy-chown,
 * cache-r2-chown-spellings, cache-r12-workdir-user-root-spellings).
 */
export function buildkitOwnerKey(spec: string): string {
  const part = (v: string): string => {
    if (v === 'root') return '0';
    // Go's strconv.ParseInt(v, 10, 32): a sign is allowed, and a number out of range stays a name.
    if (!/^[+-]?\d+$/.test(v)) return v;
    const n = Number(v);
    return n >= -(2 ** 31) && n < 2 ** 31 ? String(n) : v;
  };
  const colon = spec.indexOf(':');
  return colon < 0 ? part(spec) : `${part(spec.slice(0, colon))}:${part(spec.slice(colon + 1))}`;
}

/** The rows of a colon-separated table such as /etc/passwd; none when the file is missing or its content unknown. */
export function readTable(fs: StageFs, path: string): string[][] {
  const data = fs.readFile(path);
  if (!data) return [];
  return data
    .toString('utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split(':'));
}
