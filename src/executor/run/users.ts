/**
 * Account tools: busybox adduser/addgroup (Alpine-style bases) and shadow-utils useradd/groupadd
 * (Debian/RHEL bases). The reference busybox image has neither, so these follow the tools' sources and
 * documented defaults (busybox loginutils/adduser.c and addgroup.c; shadow-utils with Debian's
 * login.defs), not the real builder; the commands are only reached when the image has the binary.
 */
import { lines } from './io.js';
import type { Io } from './io.js';
import { parseOpts } from './opts.js';
import type { CommandImpl, Shell } from './shell.js';

export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface Group {
  name: string;
  gid: number;
  members: string[];
}

export interface Accounts {
  users: Map<string, Account>;
  groups: Map<string, Group>;
}

export function readAccounts(sh: Shell): Accounts {
  const users = new Map<string, Account>();
  const groups = new Map<string, Group>();
  const passwd = sh.readText('/etc/passwd');
  if (typeof passwd === 'string') {
    for (const l of lines(passwd)) {
      const [name, , uid, gid, , home, shell] = l.split(':');
      if (name && uid !== undefined && gid !== undefined) {
        users.set(name, { name, uid: Number(uid), gid: Number(gid), home: home ?? '/', shell: shell ?? '' });
      }
    }
  }
  const group = sh.readText('/etc/group');
  if (typeof group === 'string') {
    for (const l of lines(group)) {
      const [name, , gid, members] = l.split(':');
      if (name && gid !== undefined) groups.set(name, { name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) });
    }
  }
  return { users, groups };
}

/**
 * The groups whose permission bits apply to the RUN's user: its primary group and the /etc/group entries
 * that list its name (what runc gives the process). `possible` holds groups it may or may not be in: a
 * USER uid without a passwd entry runs with gid 0 (checked with docker build on bb:latest, both builders:
 * `uid=1000 gid=0(root)`), unless USER named a group, which the RunUser does not tell apart from gid = uid.
 */
export function userGroups(sh: Shell): { certain: Set<number>; possible: Set<number> } {
  const { uid, gid, name } = sh.shared.user;
  const acc = readAccounts(sh);
  const account = acc.users.get(name)?.uid === uid ? acc.users.get(name) : [...acc.users.values()].find((u) => u.uid === uid);
  if (!account && gid === uid) return { certain: new Set(), possible: new Set([gid, 0]) };
  const certain = new Set([gid]);
  if (account) for (const g of acc.groups.values()) if (g.members.includes(account.name)) certain.add(g.gid);
  return { certain, possible: new Set() };
}

/** Whether /etc/passwd and /etc/group can be read; if not, account edits are opaque. */
function accountsKnown(sh: Shell, tool: string): boolean {
  const p = sh.readText('/etc/passwd');
  const g = sh.readText('/etc/group');
  if (p === null || g === null) {
    sh.taint(`${tool} (account files unknown)`);
    return false;
  }
  return true;
}

function appendLine(sh: Shell, path: string, line: string): void {
  const cur = sh.readText(path);
  if (cur === 'ENOENT' || cur === 'EISDIR') {
    sh.writeText(path, `${line}\n`);
    return;
  }
  if (cur === null) {
    sh.markUnknown(path);
    return;
  }
  sh.writeText(path, `${cur}${cur === '' || cur.endsWith('\n') ? '' : '\n'}${line}\n`);
}

/** Lines of /etc/shadow carry the day of the change: the content is not reproducible, so unknown. */
function touchShadow(sh: Shell, path: string): void {
  if (sh.fs.stat(path)) sh.markUnknown(path);
}

function addMember(sh: Shell, user: string, group: string): void {
  const text = sh.readText('/etc/group');
  if (typeof text !== 'string') return;
  const out = lines(text).map((l) => {
    const f = l.split(':');
    if (f[0] !== group) return l;
    const members = (f[3] ?? '').split(',').filter(Boolean);
    if (!members.includes(user)) members.push(user);
    f[3] = members.join(',');
    return f.join(':');
  });
  sh.writeText('/etc/group', out.map((l) => `${l}\n`).join(''));
}

function copySkel(sh: Shell, skel: string, home: string, uid: number, gid: number): void {
  const walk = (from: string, to: string) => {
    for (const name of sh.fs.readdir(from) ?? []) {
      const src = `${from}/${name}`;
      const dst = `${to}/${name}`;
      const st = sh.fs.lstat(src);
      if (!st || sh.fs.lstat(dst)) continue;
      if (st.type === 'dir') {
        sh.fs.mkdir(dst, { mode: st.mode, uid, gid });
        walk(src, dst);
      } else if (st.type === 'symlink' && st.linkTarget !== undefined) {
        sh.fs.symlink(st.linkTarget, dst);
      } else {
        const t = sh.readText(src);
        sh.writeText(dst, typeof t === 'string' ? t : null, st.mode);
        sh.fs.chmod(dst, st.mode);
        sh.fs.chown(dst, uid, gid);
      }
    }
  };
  if (sh.fs.stat(skel)?.type === 'dir') walk(skel, home);
}

function needRoot(sh: Shell, io: Io, message: string): boolean {
  if (sh.shared.user.uid === 0) return true;
  sh.err(io, message);
  return false;
}

function firstFree(start: number, max: number, used: (n: number) => boolean): number | undefined {
  for (let n = start; n <= max; n++) if (!used(n)) return n;
  return undefined;
}

const usedUid = (a: Accounts) => (n: number) => [...a.users.values()].some((u) => u.uid === n);
const usedGid = (a: Accounts) => (n: number) => [...a.groups.values()].some((g) => g.gid === n);

// ------------------------------------------------------------------ busybox

/** Debian's adduser/addgroup are Perl scripts with other options: only busybox's are simulated. */
function isBusyboxTool(sh: Shell, argv: string[], env: Map<string, string>): boolean {
  const loc = sh.locate(argv[0] ?? '', env);
  if (loc === 'missing') return false;
  if (loc === 'unknown') return !argv.some((a) => a.startsWith('--') && a.length > 2);
  const real = sh.fs.realpath(loc) ?? loc;
  return real.endsWith('/busybox');
}

const bbAddgroup: CommandImpl = (sh, argv, io, env) => {
  if (!isBusyboxTool(sh, argv, env)) {
    sh.taint(argv[0] ?? 'addgroup');
    return 0;
  }
  if (!needRoot(sh, io, 'addgroup: Permission denied (are you root?)')) return 1;
  if (!accountsKnown(sh, 'addgroup')) return 0;
  const o = parseOpts(argv.slice(1), 'g');
  const acc = readAccounts(sh);
  if (o.operands.length === 2) {
    const [user = '', group = ''] = o.operands;
    if (!acc.users.has(user)) {
      sh.err(io, `addgroup: unknown user ${user}`);
      return 1;
    }
    if (!acc.groups.has(group)) {
      sh.err(io, `addgroup: unknown group ${group}`);
      return 1;
    }
    addMember(sh, user, group);
    return 0;
  }
  const name = o.operands[0];
  if (!name || o.operands.length > 2) {
    sh.err(io, 'addgroup: usage: addgroup [-g GID] [-S] [USER] GROUP');
    return 1;
  }
  if (acc.groups.has(name)) {
    sh.err(io, `addgroup: group '${name}' in use`);
    return 1;
  }
  let gid: number | undefined;
  if (o.values.has('g')) {
    gid = Number(o.values.get('g'));
    if (usedGid(acc)(gid)) {
      sh.err(io, `addgroup: gid '${gid}' in use`);
      return 1;
    }
  } else {
    gid = o.flags.has('S') ? firstFree(100, 999, usedGid(acc)) : firstFree(1000, 60000, usedGid(acc));
  }
  if (gid === undefined) {
    sh.err(io, 'addgroup: no gids left');
    return 1;
  }
  appendLine(sh, '/etc/group', `${name}:x:${gid}:`);
  return 0;
};

const bbAdduser: CommandImpl = (sh, argv, io, env) => {
  if (!isBusyboxTool(sh, argv, env)) {
    sh.taint(argv[0] ?? 'adduser');
    return 0;
  }
  if (!needRoot(sh, io, 'adduser: Permission denied (are you root?)')) return 1;
  if (!accountsKnown(sh, 'adduser')) return 0;
  const o = parseOpts(argv.slice(1), 'hgsGuk');
  const acc = readAccounts(sh);
  const [name, group] = o.operands;
  if (!name) {
    sh.err(io, 'adduser: usage: adduser [OPTIONS] USER [GROUP]');
    return 1;
  }
  if (o.flags.size === 0 && o.values.size === 0 && group !== undefined) {
    return bbAddgroup(sh, [argv[0] ?? 'adduser', name, group], io, env);
  }
  const system = o.flags.has('S');
  const usegroup = o.values.get('G') ?? (system ? 'nogroup' : undefined);
  let gid: number | undefined;
  if (usegroup !== undefined) {
    gid = /^\d+$/.test(usegroup) ? Number(usegroup) : acc.groups.get(usegroup)?.gid;
    if (gid === undefined) {
      sh.err(io, `adduser: unknown group ${usegroup}`);
      return 1;
    }
  }
  if (acc.users.has(name)) {
    sh.err(io, `adduser: user '${name}' in use`);
    return 1;
  }
  let uid: number;
  if (o.values.has('u')) {
    uid = Number(o.values.get('u'));
    if (usedUid(acc)(uid) || (gid === undefined && usedGid(acc)(uid))) {
      sh.err(io, `adduser: uid '${uid}' in use`);
      return 1;
    }
  } else {
    const free = firstFree(system ? 100 : 1000, system ? 999 : 60000, (n) => usedUid(acc)(n) || (gid === undefined && usedGid(acc)(n)));
    if (free === undefined) {
      sh.err(io, 'adduser: no uids left');
      return 1;
    }
    uid = free;
  }
  const createGroup = gid === undefined;
  if (createGroup && acc.groups.has(name)) {
    sh.err(io, `adduser: group '${name}' in use`);
    return 1;
  }
  gid ??= uid;
  const home = o.values.get('h') ?? `/home/${name}`;
  // New users inherit $SHELL or root's shell; system accounts get /bin/false.
  const rootShell = [...acc.users.values()].find((u) => u.uid === 0)?.shell;
  const shell = o.values.get('s') ?? (system ? '/bin/false' : env.get('SHELL') || rootShell || '/bin/sh');
  const gecos = o.values.get('g') ?? 'Linux User,,,';
  appendLine(sh, '/etc/passwd', `${name}:x:${uid}:${gid}:${gecos}:${home}:${shell}`);
  touchShadow(sh, '/etc/shadow');
  if (createGroup) appendLine(sh, '/etc/group', `${name}:x:${gid}:`);
  else if (usegroup !== undefined) addMember(sh, name, usegroup);
  if (!o.flags.has('H')) {
    const p = sh.abs(home);
    if (!sh.fs.stat(p)) {
      if (sh.fs.stat(sh.abs(`${home}/..`))?.type === 'dir') {
        sh.fs.mkdir(p, { mode: 0o755, uid, gid });
        copySkel(sh, o.values.get('k') ?? '/etc/skel', p, uid, gid);
      } else {
        sh.err(io, `adduser: ${home}: No such file or directory`);
      }
    }
    if (sh.fs.stat(p)?.type === 'dir') {
      sh.fs.chown(p, uid, gid);
      sh.fs.chmod(p, 0o2755);
    }
  }
  if (!o.flags.has('D') && !system) {
    // adduser then runs passwd interactively, which a build cannot answer.
    sh.opaque('adduser without -D (interactive passwd)');
  }
  return 0;
};

// ------------------------------------------------------------------ shadow-utils

function loginDefs(sh: Shell): Map<string, string> {
  const m = new Map<string, string>();
  const t = sh.readText('/etc/login.defs');
  if (typeof t !== 'string') return m;
  for (const l of lines(t)) {
    const mm = /^\s*([A-Z_]+)\s+(\S+)/.exec(l);
    if (mm?.[1] && mm[2]) m.set(mm[1], mm[2]);
  }
  return m;
}

const groupadd: CommandImpl = (sh, argv, io) => {
  if (!needRoot(sh, io, 'groupadd: Permission denied.')) return 10;
  if (!accountsKnown(sh, 'groupadd')) return 0;
  const o = parseOpts(argv.slice(1), 'gKp');
  const acc = readAccounts(sh);
  const name = o.operands[0];
  if (!name) {
    sh.err(io, 'Usage: groupadd [options] GROUP');
    return 2;
  }
  if (acc.groups.has(name)) {
    if (o.flags.has('f')) return 0;
    sh.err(io, `groupadd: group '${name}' already exists`);
    return 9;
  }
  const defs = loginDefs(sh);
  let gid: number | undefined;
  if (o.values.has('g')) {
    gid = Number(o.values.get('g'));
    if (usedGid(acc)(gid) && !o.flags.has('o')) {
      if (o.flags.has('f')) gid = undefined;
      else {
        sh.err(io, `groupadd: GID '${gid}' already exists`);
        return 4;
      }
    }
  }
  if (gid === undefined) {
    if (o.flags.has('r')) {
      // System groups are allocated downwards from SYS_GID_MAX.
      const max = Number(defs.get('SYS_GID_MAX') ?? 999);
      const min = Number(defs.get('SYS_GID_MIN') ?? 100);
      for (let n = max; n >= min; n--) if (!usedGid(acc)(n)) { gid = n; break; }
    } else {
      const used = [...acc.groups.values()].map((g) => g.gid).filter((g) => g >= Number(defs.get('GID_MIN') ?? 1000) && g <= Number(defs.get('GID_MAX') ?? 60000));
      gid = used.length ? Math.max(...used) + 1 : Number(defs.get('GID_MIN') ?? 1000);
    }
  }
  if (gid === undefined) {
    sh.err(io, "groupadd: Can't get unique GID (no more available GIDs)");
    return 4;
  }
  appendLine(sh, '/etc/group', `${name}:x:${gid}:`);
  if (sh.fs.stat('/etc/gshadow')) appendLine(sh, '/etc/gshadow', `${name}:!::`);
  return 0;
};

const useradd: CommandImpl = (sh, argv, io) => {
  if (!needRoot(sh, io, 'useradd: Permission denied.')) return 1;
  if (!accountsKnown(sh, 'useradd')) return 0;
  const o = parseOpts(argv.slice(1), 'cdefgGkKpsuUbRZ');
  const acc = readAccounts(sh);
  const name = o.operands[0];
  if (!name) {
    sh.err(io, 'Usage: useradd [options] LOGIN');
    return 2;
  }
  if (acc.users.has(name)) {
    sh.err(io, `useradd: user '${name}' already exists`);
    return 9;
  }
  const defs = loginDefs(sh);
  const system = o.flags.has('r') || o.flags.has('system');
  let gid: number | undefined;
  const g = o.values.get('g');
  if (g !== undefined) {
    gid = /^\d+$/.test(g) ? Number(g) : acc.groups.get(g)?.gid;
    if (gid === undefined || (/^\d+$/.test(g) && !usedGid(acc)(gid))) {
      sh.err(io, `useradd: group '${g}' does not exist`);
      return 6;
    }
  }
  for (const extra of (o.values.get('G') ?? '').split(',').filter(Boolean)) {
    if (!acc.groups.has(extra) && !(/^\d+$/.test(extra) && usedGid(acc)(Number(extra)))) {
      sh.err(io, `useradd: group '${extra}' does not exist`);
      return 6;
    }
  }
  const userGroup = gid === undefined && !o.flags.has('N') && (defs.get('USERGROUPS_ENAB') ?? 'yes') === 'yes';
  if (userGroup && acc.groups.has(name)) {
    sh.err(io, `useradd: group ${name} exists - if you want to add this user to that group, use -g.`);
    return 9;
  }
  let uid: number | undefined;
  if (o.values.has('u')) {
    uid = Number(o.values.get('u'));
    if (usedUid(acc)(uid) && !o.flags.has('o')) {
      sh.err(io, `useradd: UID ${uid} is not unique`);
      return 4;
    }
  } else if (system) {
    const max = Number(defs.get('SYS_UID_MAX') ?? 999);
    const min = Number(defs.get('SYS_UID_MIN') ?? 100);
    for (let n = max; n >= min; n--) if (!usedUid(acc)(n)) { uid = n; break; }
  } else {
    const lo = Number(defs.get('UID_MIN') ?? 1000);
    const hi = Number(defs.get('UID_MAX') ?? 60000);
    const used = [...acc.users.values()].map((u) => u.uid).filter((n) => n >= lo && n <= hi);
    uid = used.length ? Math.max(...used) + 1 : lo;
  }
  if (uid === undefined) {
    sh.err(io, "useradd: can't create user");
    return 4;
  }
  if (userGroup) {
    // The user's own group takes the uid as gid when that gid is free.
    if (!usedGid(acc)(uid)) gid = uid;
    else {
      const used = [...acc.groups.values()].map((x) => x.gid).filter((n) => n >= 1000 && n <= 60000);
      gid = used.length ? Math.max(...used) + 1 : 1000;
    }
    appendLine(sh, '/etc/group', `${name}:x:${gid}:`);
    if (sh.fs.stat('/etc/gshadow')) appendLine(sh, '/etc/gshadow', `${name}:!::`);
  }
  gid ??= 100;
  for (const extra of (o.values.get('G') ?? '').split(',').filter(Boolean)) addMember(sh, name, extra);
  const home = o.values.get('d') ?? `/home/${name}`;
  const shell = o.values.get('s') ?? '/bin/sh';
  appendLine(sh, '/etc/passwd', `${name}:x:${uid}:${gid}:${o.values.get('c') ?? ''}:${home}:${shell}`);
  touchShadow(sh, '/etc/shadow');
  const createHome = o.flags.has('m') || (!o.flags.has('M') && !system && defs.get('CREATE_HOME') === 'yes');
  if (createHome) {
    const p = sh.abs(home);
    if (!sh.fs.stat(sh.abs(`${home}/..`))) sh.fs.mkdir(sh.abs(`${home}/..`), { parents: true });
    if (!sh.fs.stat(p)) {
      const umask = parseInt(defs.get('UMASK') ?? '022', 8);
      const mode = defs.has('HOME_MODE') ? parseInt(defs.get('HOME_MODE') ?? '755', 8) : 0o777 & ~umask;
      sh.fs.mkdir(p, { mode, uid, gid });
      copySkel(sh, o.values.get('k') ?? '/etc/skel', p, uid, gid);
    }
  }
  return 0;
};

export const USER_COMMANDS = new Map<string, CommandImpl>([
  ['adduser', bbAdduser],
  ['addgroup', bbAddgroup],
  ['useradd', useradd],
  ['groupadd', groupadd],
]);
