import path from 'node:path';
import pc from 'picocolors';
import yargs, { type Argv } from 'yargs';
import { ReplaySlot } from '../cache/replay.js';
import { CacheStore, defaultCacheDir } from '../cache/store.js';
import { DfsimError, isDfsimError, type Diagnostic } from '../diagnostics/diagnostic.js';
import { initHasher } from '../executor/hash.js';
import { defaultDockerfile } from '../executor/context/default-dockerfile.js';
import { buildJson, buildText, errorJson, formatBytes, plainStyle, type TextStyle } from '../reports/build-report.js';
import type { SimulateOptions } from '../simulate.js';
import { extraCommands } from './commands/index.js';
import { writeHtml } from './html-file.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** stderr is a terminal: show a progress bar while a large context is hashed. */
  progress?: boolean;
}

const defaultIo = (): Io => {
  stopQuietlyOnBrokenPipe();
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    progress: Boolean(process.stderr.isTTY),
  };
};

/**
 * `dfsim build --json | head`: the reader goes away and the next write fails with EPIPE, which Node
 * throws as an unhandled 'error' event with a stack trace. Stop quietly instead, as a Unix tool killed
 * by SIGPIPE would; the reader has all it asked for. The cache store is written before output starts.
 */
export function stopQuietlyOnBrokenPipe(
  streams: NodeJS.EventEmitter[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  for (const stream of streams) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
  }
}

export class UsageError extends Error {}

/** What a command module gets: the IO to print to and a way to set the exit code. */
export interface CommandEnv {
  io: Io;
  style: TextStyle;
  setExitCode(code: number): void;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 build error or gate breached, 2 usage (README "Exit codes"). */
export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  let exitCode = 0;
  let json = argv.includes('--json');
  const style: TextStyle = io.isTTY && !io.env.NO_COLOR ? { hit: pc.green, miss: pc.red, dim: pc.dim, bold: pc.bold } : plainStyle;

  const runBuild = async (args: Record<string, unknown>, record: boolean): Promise<void> => {
    const opts = simulateOptions(args, record, io);
    json = Boolean(args.json);
    // An --html report is a file to write, not output to replay.
    const replay = typeof args.html === 'string' ? null : await replaySlot(opts, argv, io);
    const found = replay ? await replay.lookup() : {};
    if (found.hit) {
      io.out(found.hit.out);
      io.err(found.hit.err);
      return;
    }
    if (found.walk) opts.walk = found.walk;
    // Loaded here, not at start-up: a replayed run never needs the pipeline (see scripts/bundle.mjs).
    const { simulateWithStore } = await import('../simulate.js');
    const { sim, store, context } = await simulateWithStore(opts);
    let out = '';
    let err = '';
    if (typeof args.html === 'string') writeHtml(args.html, (await import('../reports/html.js')).renderBuildHtml(sim));
    if (json) out += `${JSON.stringify(buildJson(sim), null, 2)}\n`;
    else {
      out += buildText(sim, style, { files: Boolean(args.files) });
      for (const w of sim.warnings) err += renderDiagnostic(w);
      if (sim.result.error) err += renderDiagnostic(sim.result.error);
    }
    io.out(out);
    if (err) io.err(err);
    const code = sim.result.error ? 1 : 0;
    exitCode = code;
    replay?.save({ code, out, err, store, contextFingerprint: context.fingerprint?.() });
  };

  let parser = yargs(argv)
    .scriptName('dfsim')
    .usage('$0 <command> [CONTEXT] [options]\n\nSimulates `docker build`: steps, layers and which steps the build cache would reuse, and why.')
    .command('build [context]', 'simulate a build and record it in the cache store, like a real build', (y) => htmlOption(buildOptions(y)), async (a) => runBuild(a, true))
    .command('plan [context]', 'predict the same output as build without recording anything', (y) => htmlOption(buildOptions(y)), async (a) => runBuild(a, false))
    .command(
      'cache <action>',
      'inspect the cache store: ls, du, prune',
      (y) =>
        y
          .positional('action', { choices: ['ls', 'du', 'prune'] as const, demandOption: true })
          .option('cache-dir', { type: 'string', describe: 'cache store directory (default $XDG_CACHE_HOME/dfsim or ~/.cache/dfsim)' })
          .option('corrupt', { type: 'boolean', default: false, describe: 'prune: remove only entries that fail validation' })
          .option('json', { type: 'boolean', default: false }),
      async (a) => {
        await initHasher(); // validating records re-hashes them
        const store = new CacheStore(a['cache-dir'] ?? defaultCacheDir(io.env));
        if (a.action === 'prune') {
          const removed = store.prune({ corruptOnly: a.corrupt });
          io.out(a.json ? `${JSON.stringify({ removed })}\n` : `removed ${removed} entries\n`);
          return;
        }
        const info = store.list();
        if (a.json) io.out(`${JSON.stringify(info, null, 2)}\n`);
        else if (a.action === 'du') io.out(`${formatBytes(info.bytes)}\t${store.dir}\n`);
        else io.out(`records: ${info.records}\nmanifests: ${info.manifests}\nsteps: ${info.steps}\nreplays: ${info.replays}\nsize: ${formatBytes(info.bytes)}\ncorrupt: ${info.corrupt.length ? info.corrupt.join(', ') : 'none'}\n`);
      },
    )
    ;
  const env: CommandEnv = { io, style, setExitCode: (c) => (exitCode = c) };
  for (const register of extraCommands) parser = register(parser, env);
  parser = parser
    .demandCommand(1, 'Name a command (see --help).')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg);
    });

  skipHelpCaching(parser);
  try {
    // With a parse callback, yargs hands over what it would print (--help) instead of writing to the console.
    await parser.parseAsync(argv, {}, (_err, _args, output) => {
      if (output) io.out(`${output}\n`);
    });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`dfsim: ${e.message}\nRun \`dfsim --help\` for usage.\n`);
      return 2;
    }
    if (isDfsimError(e)) {
      if (json) io.out(`${JSON.stringify({ ok: false, error: errorJson(e.diagnostics[0]!), errors: e.diagnostics.map(errorJson) }, null, 2)}\n`);
      else for (const d of e.diagnostics) io.err(renderDiagnostic(d));
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`dfsim: internal error: ${message}\nThis is a bug in dfsim; please report it with the Dockerfile that caused it.\n`);
    if (io.env.DFSIM_DEBUG && e instanceof Error) io.err(`${e.stack}\n`);
    return 70;
  }
  return exitCode;
}

/**
 * yargs renders the whole help text after every command handler, in case a later failure wants to
 * show it (yargs 18, command.js). dfsim prints its own usage errors and never shows help on failure,
 * so the rendering (15-30 ms of column wrapping per run) is skipped. `--help` still renders on demand.
 */
function skipHelpCaching(parser: Argv): void {
  const internal = (parser as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } }).getInternalMethods?.();
  const usage = internal?.getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => {};
}

/** The options `docker build` users expect, shared by every command that simulates a build. */
export function buildOptions(y: Argv) {
  return y
    .positional('context', { type: 'string', default: '.', describe: 'build context directory' })
    .option('file', { alias: 'f', type: 'string', describe: 'Dockerfile (default CONTEXT/Dockerfile)' })
    .option('target', { type: 'string', describe: 'build stage to stop at (default: the last)' })
    .option('build-arg', { type: 'string', array: true, default: [] as string[], describe: 'KEY=VALUE (a bare KEY takes its value from the environment, as docker build does)' })
    .option('platform', { type: 'string', describe: 'target platform (default linux/amd64)' })
    .option('cache', { type: 'boolean', default: true, describe: 'use the cache (--no-cache: every RUN/COPY/ADD misses)' })
    .option('no-cache-filter', { type: 'string', array: true, default: [] as string[], describe: 'stages whose RUN/COPY/ADD skip the cache' })
    .option('builder', { choices: ['buildkit', 'classic'] as const, default: 'buildkit' as const, describe: 'which builder to predict' })
    .option('cache-dir', { type: 'string', describe: 'cache store directory (default $XDG_CACHE_HOME/dfsim or ~/.cache/dfsim)' })
    .option('base-image', { type: 'string', array: true, default: [] as string[], describe: 'REF=PATH: a docker save tarball, OCI layout or dfsim image JSON for FROM REF' })
    .option('files', { type: 'boolean', default: true, describe: 'list the files each step changes (--no-files to hide)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object (README "JSON output")' });
}

/** --html FILE, for the commands that render a page (build, plan, compare). */
export function htmlOption(y: Argv) {
  return y.option('html', { type: 'string', describe: 'also write a self-contained HTML report to this file' });
}

/** Where this command's output is kept for replay: keyed by everything besides files that shapes it. */
function replaySlot(opts: SimulateOptions, argv: string[], io: Io): Promise<ReplaySlot> {
  const storeDir = path.resolve(opts.cacheDir ?? defaultCacheDir(io.env));
  // Bare --build-arg names take their values from the environment: the values are part of the command.
  const command = { argv, cwd: process.cwd(), color: io.isTTY && !io.env.NO_COLOR, buildArgs: [...(opts.buildArgs ?? [])], storeDir };
  const dockerfile = opts.dockerfile ?? defaultDockerfile(opts.context);
  return ReplaySlot.open({ storeDir, command, context: opts.context, dockerfile, builder: opts.builder ?? 'buildkit', baseImages: opts.baseImages ?? new Map() });
}

export function simulateOptions(a: Record<string, unknown>, record: boolean, io: Io): SimulateOptions {
  const buildArgs = new Map<string, string>();
  for (const kv of (a['build-arg'] as string[]) ?? []) {
    const i = kv.indexOf('=');
    if (i === 0) throw new DfsimError({ code: 'DF9003', severity: 'error', message: `invalid --build-arg "${kv}"`, hint: 'Write --build-arg NAME=VALUE.' }, 2);
    if (i < 0) {
      // docker build: a bare name takes the value from the environment, and is skipped when unset
      const v = io.env[kv];
      if (v !== undefined) buildArgs.set(kv, v);
    } else buildArgs.set(kv.slice(0, i), kv.slice(i + 1));
  }
  const baseImages = new Map<string, string>();
  for (const kv of (a['base-image'] as string[]) ?? []) {
    const i = kv.lastIndexOf('=');
    if (i <= 0) throw new DfsimError({ code: 'DF9004', severity: 'error', message: `invalid --base-image "${kv}"`, hint: 'Write --base-image REF=PATH, e.g. --base-image node:20=node.tar.' }, 2);
    baseImages.set(kv.slice(0, i), kv.slice(i + 1));
  }
  const opts: SimulateOptions = {
    context: String(a.context ?? '.'),
    buildArgs,
    builder: a.builder === 'classic' ? 'classic' : 'buildkit',
    noCache: a.cache === false,
    noCacheFilter: ((a['no-cache-filter'] as string[]) ?? []).flatMap((s) => s.split(',')).filter(Boolean),
    baseImages,
    record,
    cacheDir: typeof a['cache-dir'] === 'string' ? a['cache-dir'] : defaultCacheDir(io.env),
  };
  if (typeof a.file === 'string') opts.dockerfile = a.file;
  if (typeof a.target === 'string') opts.target = a.target;
  if (typeof a.platform === 'string') opts.platform = a.platform;
  if (io.progress) opts.onProgress = progressBar(io);
  return opts;
}

/** A one-line bar on stderr for contexts big enough to take a moment; erased when done. */
function progressBar(io: Io): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    if (total < 2000) return;
    const now = Date.now();
    if (done < total && now - last < 100) return;
    last = now;
    if (done >= total) {
      io.err('\r\x1b[2K');
      return;
    }
    const width = 30;
    const filled = Math.round((done / total) * width);
    io.err(`\rhashing context [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${done}/${total} files`);
  };
}

/** `file:line:col: error DF2001: message` + hint, the way compilers print. */
export function renderDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.range ? `:${d.range.start.line}:${d.range.start.column}` : ''}: ` : '';
  return `${where}${d.severity} ${d.code}: ${d.message}\n${d.hint ? `  hint: ${d.hint}\n` : ''}`;
}
