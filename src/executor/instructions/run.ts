import { posix } from 'node:path';
import type { RunInstruction } from '../../instructions/types.js';
import { initRunSimulator, simulateExec, simulateShell, type RunOutcome } from '../run/index.js';
import { resolveUser, type StageState } from '../state.js';
import { expandWord, stepError, type StepContext, type StepOutput } from '../step.js';
import { copyBetweenStages, copyFromContext } from '../copy-core.js';
import type { ContextEntry } from '../context/index.js';
import { normalizePath, type StageFs } from '../stage-fs.js';
import type { ShellFs } from '../fs-types.js';
import { forwardStageCheck } from './copy.js';

/**
 * RUN: the key is the exact command (shell prefix included, whitespace significant), the ordered env
 * (ENV and every ARG with a value), USER, WORKDIR, network, security and mounts (buildkit-cache-semantics
 * rule 4). Effects are simulated; a failure is predicted only where the filesystem is fully known.
 */
export async function applyRun(state: StageState, instruction: RunInstruction, ctx: StepContext): Promise<StepOutput> {
  await initRunSimulator(); // loads the shell grammar once, only for builds that have a RUN
  if (ctx.builder === 'classic' && (instruction.mounts.length || instruction.network !== null || instruction.security !== null)) {
    const flag = instruction.mounts.length ? '--mount' : instruction.network !== null ? '--network' : '--security';
    throw stepError(ctx, instruction, 'DF3303', `the RUN ${flag} option requires BuildKit; the classic builder rejects it`, 'Build with BuildKit (the default of docker build), or drop the option.');
  }
  const argv = instruction.form === 'exec' ? [...instruction.args] : [...state.shell, runScript(instruction)];
  const mounts = instruction.mounts.map((m) => mountPart(state, instruction, ctx, m.options));
  const parts: Record<string, unknown> = {
    kind: 'RUN',
    args: argv,
    env: state.env.toArray(),
    // As WORKDIR wrote it (`/opt/app/` is not `/opt/app` here; see workdir.ts).
    cwd: state.config.WorkingDir || '/',
    user: state.user,
    network: instruction.network,
    security: instruction.security,
    // BuildKit sorts an exec's mounts by their destination: the order they are written in does not
    // count (recorded: cache-r7-run-mount-cache-options).
    mounts: [...mounts].sort((a, b) => {
      const [x, y] = [mountDest(state, a), mountDest(state, b)];
      return x < y ? -1 : x > y ? 1 : 0;
    }),
    platform: state.platform,
  };
  const resolved = resolveUser(state.fs, state.user || 'root', true);
  if (!resolved && state.user && state.exact && !/^\d+(:\d+)?$/.test(state.user)) {
    throw stepError(ctx, instruction, 'DF3210', `unable to find user ${state.user}: no matching entries in the image's /etc/passwd`, 'Create the user in an earlier RUN (adduser), or use a numeric uid.');
  }
  const user = resolved ?? { uid: 0, gid: 0, name: state.user || 'root' };
  const missing = state.exact ? missingProgram(state, argv) : null;
  if (missing) {
    throw stepError(ctx, instruction, 'DF3301', `RUN would fail: ${missing}`, 'The image has no such program (FROM scratch has no shell); use a base image that has it, or the exec form with a binary you copied in.');
  }
  // Proxy build-args need no ARG: both builders put them in the command's environment (never in
  // BuildKit's key; recorded: cache-r2-proxy-with-args, where `echo $HTTPS_PROXY` writes the value).
  const proxyEnv = [...ctx.buildArgs].filter(([k]) => PROXY_ARGS.has(k) && !state.env.has(k));
  const volumes = ctx.builder === 'classic' && state.config.Volumes.length > 0 ? mountVolumes(state) : null;
  const runCtx = { fs: volumes?.fs ?? state.fs, env: [...state.env.pairs(), ...proxyEnv], cwd: state.workdir || '/', user };
  const unmount = ctx.builder === 'buildkit' ? mountAll(state, instruction, ctx) : () => {};
  let outcome: RunOutcome;
  try {
    outcome =
      instruction.form === 'exec' || state.shell.join(' ') !== '/bin/sh -c'
        ? simulateExec(argv, runCtx)
        : simulateShell(argv[argv.length - 1]!, runCtx);
  } finally {
    unmount();
    volumes?.unmount();
  }
  const notUnderstood = [...outcome.notUnderstood];
  if (outcome.status === 'failed') {
    const certain = state.exact && mounts.length === 0;
    if (certain) {
      const what = outcome.failure ? `${outcome.failure.message}` : `exit code ${outcome.exitCode}`;
      throw stepError(ctx, instruction, 'DF3301', `RUN would fail: ${what} (exit code ${outcome.exitCode})`, 'Fix the command; the real build stops at this step too.');
    }
    notUnderstood.push(`a command that fails here but may not in the real image (${outcome.failure?.message ?? `exit ${outcome.exitCode}`})`);
  }
  const history = historyArgs(state, argv, ctx);
  const out: StepOutput = {
    vertex: true,
    parts,
    layer: null,
    createsLayer: true,
    createdBy: ctx.builder === 'classic' ? history : `RUN ${history} # buildkit`,
  };
  if (volumes && !volumes.wroteOutside()) out.onlyVolumesWritten = true;
  if (outcome.status !== 'ok' || notUnderstood.length) {
    const filesUnknown = notUnderstood.some((what) => !READ_ONLY_PROGRAMS.has(what) && !READ_ONLY_UNKNOWNS.some((prefix) => what.startsWith(prefix)));
    if (filesUnknown) state.exact = false;
    out.opaque = { notUnderstood, filesUnknown };
  }
  return out;
}

/**
 * The classic builder runs each RUN in a container with the declared volumes mounted: what the
 * command writes there goes to the volume, not to the container's layer, so later steps see the
 * image's own content (recorded: exec-r2-volume-then-run), and a RUN that only deleted, wrote or
 * chmodded there commits no layer (recorded: exec-r13-volume-rm-chmod-child, build 1). A volume
 * whose directory is missing gets its mount point made in the container (0755, root), so the
 * command can write there and the image keeps the directory, empty, in this RUN's layer (same
 * scenario, builds 4 and 5); on an image whose files dfsim does not know, it may be there already,
 * so none is made. Returns the filesystem the command sees, which notes whether any write landed
 * outside the volumes, and what takes the mounts away again.
 */
function mountVolumes(state: StageState): { fs: ShellFs; unmount: () => void; wroteOutside: () => boolean } {
  const fs = state.fs;
  const created: string[] = [];
  for (const v of state.config.Volumes) {
    const path = posix.join('/', v);
    if (!state.exact || fs.lstat(fs.realpath(path) ?? path)) continue;
    try {
      fs.mkdir(path, { parents: true, mode: 0o755 });
      created.push(fs.realpath(path) ?? path);
    } catch {
      // A path through a dangling link or a file: no mount point (the real daemon fails such a RUN).
    }
  }
  const roots = state.config.Volumes.map((v) => fs.realpath(posix.join('/', v)) ?? posix.join('/', v));
  const saved = roots.filter((r) => !created.includes(r)).flatMap((r) => fs.saveDirectory(r) ?? []);
  let outside = false;
  const inVolume = (p: string): boolean => roots.some((r) => p === r || p.startsWith(r === '/' ? '/' : `${r}/`));
  /** Where an operation on `path` lands: the entry itself (a final link not followed) or, with `follow`, what it points to. */
  const landing = (path: string, follow: boolean): string => {
    const p = normalizePath(path);
    return (follow ? fs.resolveCreating(p) : fs.resolve(p, false)) ?? p;
  };
  const write = (path: string, follow: boolean): void => {
    if (!outside && !inVolume(landing(path, follow))) outside = true;
  };
  const view: ShellFs = {
    lstat: (p) => fs.lstat(p),
    stat: (p) => fs.stat(p),
    realpath: (p) => fs.realpath(p),
    readdir: (p) => fs.readdir(p),
    readFile: (p) => fs.readFile(p),
    writeFile: (p, data, opts) => (write(p, true), fs.writeFile(p, data, opts)),
    mkdir: (p, opts) => (write(p, false), fs.mkdir(p, opts)),
    remove: (p, opts) => (write(p, false), fs.remove(p, opts)),
    rename: (from, to) => (write(from, false), write(to, false), fs.rename(from, to)),
    symlink: (target, p) => (write(p, false), fs.symlink(target, p)),
    link: (existing, p) => (write(p, false), fs.link(existing, p)),
    chmod: (p, mode) => (write(p, true), fs.chmod(p, mode)),
    chown: (p, uid, gid) => (write(p, true), fs.chown(p, uid, gid)),
    forgetContent: (p) => (write(p, true), fs.forgetContent(p)),
    touch: (p) => (write(p, true), fs.touch(p)),
  };
  const unmount = (): void => {
    for (const s of saved) fs.restoreDirectory(s);
    // A mount point made for this RUN stays as it was made: empty, 0755, root's.
    for (const dir of created) {
      if (fs.lstat(dir)?.type !== 'dir') continue;
      for (const name of fs.readdir(dir) ?? []) fs.remove(posix.join(dir, name), { recursive: true });
      fs.chmod(dir, 0o755);
      fs.chown(dir, 0, 0);
    }
  };
  return { fs: view, unmount, wroteOutside: () => outside };
}

/** The shell-form command string; for heredocs, BuildKit hands the body to the shell (it never expands it itself). */
function runScript(instruction: RunInstruction & { form: 'shell' }): string {
  if (instruction.heredocs.length === 1) {
    const h = instruction.heredocs[0]!;
    const line = instruction.command.trim();
    if (line === `<<${h.name}` || line === `<<-${h.name}`) return h.content;
  }
  if (instruction.heredocs.length === 0) return instruction.command;
  return [instruction.command, ...instruction.heredocs.map((h) => `${h.content}${h.name}`)].join('\n');
}

const PROXY_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

/** Unknowns that can change only a command's output or status, never a file (their writes to files are flagged separately). */
const READ_ONLY_UNKNOWNS = [
  'stat', '$(...) command substitution', 'read from unknown input', 'command -v', 'type ', '$((...)) arithmetic', '(( )) arithmetic',
  '$RANDOM', '[ ] on an unknown value', '[[ ] on an unknown value', 'test ] on an unknown value', 'env output',
];
/** Programs that only print (their output reaches a file only through a redirection, which is flagged on its own). */
const READ_ONLY_PROGRAMS = new Set(['id', 'uname', 'date', 'printenv', 'hostname', 'whoami', 'pwd', 'grep', 'wc', 'head', 'tail', 'sort', 'uniq', 'cut', 'tr', 'which', 'nproc', 'df', 'du', 'free', 'ps', 'md5sum', 'sha1sum', 'sha256sum', 'cksum', 'basename', 'dirname', 'seq', 'expr', 'sleep', 'true', 'false']);

/** The program the builder execs: a missing one fails the step before any command runs. */
function missingProgram(state: StageState, argv: string[]): string | null {
  const program = argv[0];
  if (program === undefined) return null;
  if (program.includes('/')) return state.fs.stat(program) ? null : `exec ${program}: no such file or directory`;
  const path = state.env.get('PATH') ?? '';
  for (const dir of path.split(':')) if (dir && state.fs.stat(`${dir}/${program}`)?.type === 'file') return null;
  return `exec ${program}: executable file not found in $PATH`;
}

/**
 * `|N k=v ... cmd`, as both builders prefix RUN history when the stage has build args. BuildKit lists
 * every ARG the stage declared, in order, a valueless one as `NAME=` and each with the value the
 * command sees. The classic builder lists the args with a value that no ENV shadows, sorted, and this
 * text is its cache key (recorded: cache-arg-default-chain). A proxy build-arg (HTTP_PROXY...) needs
 * no ARG and is never listed unless declared, but its presence alone turns an empty list into `|0`:
 * setting one misses RUNs that had no args, and no others (recorded: cache-arg-proxy-predefined,
 * cache-r2-proxy-with-args).
 */
function historyArgs(state: StageState, argv: string[], ctx: StepContext): string {
  let args: string[];
  if (ctx.builder === 'classic') {
    const envNames = new Set(state.config.Env.map((e) => e.split('=', 1)[0]));
    args = state.buildArgs.pairs().filter(([k]) => !envNames.has(k)).map(([k, v]) => `${k}=${v}`).sort();
    const proxies = [...ctx.buildArgs.keys()].some((k) => PROXY_ARGS.has(k) && !state.declaredArgs.has(k));
    if (args.length === 0 && proxies) return `|0 ${argv.join(' ')}`;
  } else {
    // Every declaration counts, a name declared twice twice, each with the value the command sees
    // (`ARG V=1`, `ARG V=2`, `ARG V` give `|3 V=2 V=2 V=2`; recorded: exec-r7-arg-redeclared-no-default).
    args = state.argDeclarations.map((k) => `${k}=${state.env.get(k) ?? state.buildArgs.get(k) ?? ''}`);
  }
  const prefix = args.length ? `|${args.length} ${args.join(' ')} ` : '';
  return `${prefix}${argv.join(' ')}`;
}

function mountPart(state: StageState, instruction: RunInstruction, ctx: StepContext, options: Record<string, string>): Record<string, unknown> {
  const opts: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) opts[k] = v === '' ? v : expandWord(v, state, ctx, instruction);
  const type = opts.type ?? 'bind';
  let target = opts.target ?? opts.dst ?? opts.destination ?? '';
  if (type === 'cache') {
    const part: Record<string, unknown> = { type, target, id: opts.id ?? target, sharing: opts.sharing ?? 'shared' };
    // Any of these, even at its default, gives the cache directory a source of its own (a mkdir):
    // another key (recorded: cache-r7-run-mount-cache-options, mode=0700 and uid=1000 miss).
    for (const k of ['mode', 'uid', 'gid'] as const) if (opts[k] !== undefined) part[k] = opts[k];
    return part;
  }
  if (type === 'secret') {
    // The id defaults to the target's base name, the target to /run/secrets/<id>: written out or
    // not, the same mount (recorded: cache-r7-mount-secret).
    const id = opts.id ?? (target ? posix.basename(target) : '');
    target ||= `/run/secrets/${id}`;
    const required = opts.required !== undefined && opts.required !== 'false';
    // dfsim passes no secrets to a build, as `docker build` without --secret: a required one fails.
    if (required) throw stepError(ctx, instruction, 'DF3304', `secret ${id} not found: not found`, `Pass it to the real build with --secret id=${id},src=FILE, or drop required=true.`);
    return { type, id, target, required };
  }
  if (type === 'ssh') return { type, id: opts.id ?? '', target, required: opts.required ?? '' };
  if (type === 'tmpfs') return { type, target, size: opts.size ?? '' };
  // A read-only bind mount is keyed by the content it selects (early cut-off).
  const source = opts.source ?? opts.src ?? '/';
  const from = opts.from;
  let content: string | null = null;
  if (from !== undefined) {
    forwardStageCheck(state, instruction, ctx, from);
    const stage = ctx.stage(from);
    if (!stage) throw stepError(ctx, instruction, 'DF3207', `--mount from=${from} names no earlier stage and no image dfsim knows`, 'Use the name or index of an earlier stage.');
    content = stage.fs.treeDigest(stage.fs.resolve(`/${source}`.replace(/\/+/g, '/'), true) ?? '/', ctx.builder === 'classic') ?? `chain:${stage.lastKey}`;
  } else {
    const entry = ctx.context.get(source.replace(/^\/+/, '').replace(/\/$/, ''));
    content = entry?.digest ?? null;
  }
  return { type, target, from: from ?? 'context', source, rw: 'rw' in opts || 'readwrite' in opts, content };
}

/** Where a mount lands: its target, relative ones below the working directory. */
function mountDest(state: StageState, mount: Record<string, unknown>): string {
  const target = typeof mount.target === 'string' ? mount.target : '';
  return posix.resolve(state.config.WorkingDir || '/', target);
}

/**
 * Lays out a RUN's mounts for the simulated command and returns what takes them away again. A bind
 * mount shows its source (context files, or a stage's) at the target; a cache or tmpfs mount starts
 * empty here (a cache's content from earlier builds is not known). Nothing written under a mount
 * lands in the layer, but the mount point itself does, as an empty directory when the step made it
 * (recorded: cache-r11-bind-mount-output-copy-from, exec-r11-mount-writes-not-committed,
 * exec-r11-mount-layer-sizes). Secret and ssh mounts are left alone.
 */
function mountAll(state: StageState, instruction: RunInstruction, ctx: StepContext): () => void {
  const undo: Array<() => void> = [];
  const fs = state.fs;
  for (const m of instruction.mounts) {
    const opts: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.options)) opts[k] = v === '' ? v : expandWord(v, state, ctx, instruction);
    const type = opts.type ?? 'bind';
    if (type !== 'bind' && type !== 'cache' && type !== 'tmpfs') continue;
    const rawTarget = opts.target ?? opts.dst ?? opts.destination;
    if (!rawTarget) continue;
    const target = posix.resolve(state.workdir || '/', rawTarget);
    let source: { kind: 'context'; entry: ContextEntry } | { kind: 'stage'; fs: StageFs; path: string } | null = null;
    if (type === 'bind') {
      const src = (opts.source ?? opts.src ?? '/').replace(/^\/+|\/+$/g, '');
      if (opts.from !== undefined) {
        const stage = ctx.stage(opts.from);
        const path = stage?.fs.resolve(`/${src}`, true);
        if (!stage?.fs || !path || !stage.exact) continue; // unknown content: the command runs without it
        source = { kind: 'stage', fs: stage.fs, path };
      } else {
        const entry = ctx.context.get(src);
        if (!entry) continue;
        source = { kind: 'context', entry };
      }
      const isDir = source.kind === 'context' ? source.entry.type === 'dir' : source.fs.stat(source.path)?.type === 'dir';
      if (!isDir) {
        // A file bound onto a path the image does not have: its mount point stays, an empty file.
        if (fs.lstat(target)) continue;
        if (source.kind === 'context') copyFromContext(source.entry, target, { uid: 0, gid: 0, mode: null }, ctx, fs);
        else copyBetweenStages(source.fs, source.path, target, { uid: 0, gid: 0, mode: null, keepOwners: true }, fs);
        undo.push(() => fs.writeFile(target, ''));
        continue;
      }
    }
    const existing = fs.stat(target);
    if (existing && existing.type !== 'dir') continue;
    if (!existing) {
      fs.mkdir(target, { parents: true, mode: 0o755 });
      // A mount point the step made stays in the layer, empty.
      undo.push(() => {
        for (const name of fs.readdir(target) ?? []) fs.remove(posix.join(target, name), { recursive: true });
      });
    } else {
      const saved = fs.saveDirectory(fs.realpath(target) ?? target);
      if (saved) undo.push(() => fs.restoreDirectory(saved));
      for (const name of fs.readdir(target) ?? []) fs.remove(posix.join(target, name), { recursive: true });
    }
    if (source?.kind === 'context') copyFromContext(source.entry, target, { uid: 0, gid: 0, mode: null }, ctx, fs);
    else if (source?.kind === 'stage') copyBetweenStages(source.fs, source.path, target, { uid: 0, gid: 0, mode: null, keepOwners: true }, fs);
  }
  return () => {
    for (const u of undo.reverse()) u();
  };
}
