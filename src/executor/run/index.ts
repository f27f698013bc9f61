/**
 * Simulates a RUN instruction on a stage filesystem: `/bin/sh -c script` (shell form) or an exec-form
 * argv. Scripts are parsed with tree-sitter-bash and interpreted with busybox ash semantics.
 */
import { parseShell } from './parser.js';
import { defaultCommands } from './commands.js';
import { ExitSignal, Shell, StepLimit } from './shell.js';
import type { Shared } from './shell.js';
import type { Io } from './io.js';
import type { RunContext, RunOutcome } from './types.js';

export { initRunSimulator } from './parser.js';
export type { RunContext, RunOutcome, RunUser } from './types.js';

const commands = defaultCommands();

function newShell(ctx: RunContext): Shell {
  const shared: Shared = {
    fs: ctx.fs,
    user: ctx.user,
    notUnderstood: [],
    tainted: false,
    unknownFiles: new Set(),
    steps: 0,
    currentStderr: '',
    currentCommand: '',
  };
  const sh = new Shell(shared, commands);
  for (const [k, v] of ctx.env) {
    sh.vars.set(k, v);
    sh.exported.add(k);
  }
  if (!sh.vars.has('HOME')) {
    // The runtime sets HOME from the user's passwd entry when the image's ENV has none (checked on bb:latest: /root).
    sh.vars.set('HOME', homeOf(sh, ctx.user.uid));
    sh.exported.add('HOME');
  }
  sh.cwd = sh.abs(ctx.cwd || '/');
  sh.vars.set('PWD', sh.cwd);
  sh.exported.add('PWD');
  sh.runNestedScript = runNested;
  return sh;
}

function homeOf(sh: Shell, uid: number): string {
  const passwd = sh.readText('/etc/passwd');
  if (typeof passwd !== 'string') return uid === 0 ? '/root' : '/';
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[2] !== undefined && Number(f[2]) === uid && f[5]) return f[5];
  }
  return '/';
}

/** Parses and runs a script inside a given shell (sh -c, eval, `.`, shell scripts in the image). */
function runNested(sh: Shell, script: string, args: string[], io: Io): number {
  sh.runNestedScript = runNested;
  const tree = parseShell(script);
  if (!tree) {
    sh.taint('unparseable shell');
    return 0;
  }
  try {
    const saved = sh.positional;
    sh.positional = args;
    try {
      return tree.rootNode.hasError ? sh.runUnparsed(tree.rootNode, io) : sh.run(tree.rootNode, io);
    } finally {
      sh.positional = saved;
    }
  } finally {
    tree.delete();
  }
}

function outcome(sh: Shell, code: number): RunOutcome {
  const notUnderstood = [...sh.shared.notUnderstood];
  if (code !== 0) {
    return {
      status: 'failed',
      exitCode: code,
      failure: sh.shared.lastFailure ?? { command: '', message: `exit code ${code}` },
      notUnderstood,
    };
  }
  return { status: notUnderstood.length > 0 ? 'opaque' : 'ok', exitCode: 0, notUnderstood };
}

function execute(ctx: RunContext, body: (sh: Shell, io: Io) => number): RunOutcome {
  const sh = newShell(ctx);
  const io: Io = { stdin: { data: '', pos: 0 }, out: { kind: 'log' }, err: { kind: 'log' } };
  let code: number;
  try {
    code = body(sh, io);
  } catch (e) {
    if (e instanceof ExitSignal) code = e.code;
    else if (e instanceof StepLimit) {
      sh.opaque('script too long to simulate (loop?)');
      code = 0;
    } else {
      // An interpreter bug must not crash a build simulation: report it as not understood.
      sh.opaque(`internal error: ${e instanceof Error ? e.message : String(e)}`);
      code = 0;
    }
  }
  return outcome(sh, code);
}

/** The image has files but no /bin/sh: the runtime cannot start the shell at all. */
function missingShell(ctx: RunContext, program: string): RunOutcome | undefined {
  if (ctx.fs.stat('/bin') === undefined) return undefined;
  if (ctx.fs.stat(program)?.type === 'file') return undefined;
  return {
    status: 'failed',
    exitCode: 127,
    failure: { command: program, message: `exec: "${program}": stat ${program}: no such file or directory` },
    notUnderstood: [],
  };
}

/** Simulates `/bin/sh -c script` (the shell form of RUN). Never throws. */
export function simulateShell(script: string, ctx: RunContext): RunOutcome {
  const noShell = missingShell(ctx, '/bin/sh');
  if (noShell) return noShell;
  return execute(ctx, (sh, io) => runNested(sh, script, [], io));
}

/** Simulates the exec form: argv[0] is the program, run without a shell. Never throws. */
export function simulateExec(argv: string[], ctx: RunContext): RunOutcome {
  if (argv.length === 0) {
    return { status: 'failed', exitCode: 1, failure: { command: '', message: 'no command specified' }, notUnderstood: [] };
  }
  return execute(ctx, (sh, io) => {
    const program = argv[0] as string;
    // runc looks the program up as Go's exec.LookPath does: along PATH, a regular file with an x bit.
    const loc = program.includes('/') ? sh.locate(program, sh.env(), () => true) : sh.locate(program, sh.env(), (st) => st.type === 'file' && (st.mode & 0o111) !== 0);
    if (loc === 'missing') {
      // runc reports this before anything runs; the build fails with this message.
      sh.shared.lastFailure = {
        command: argv.join(' '),
        message: `exec: "${program}": ${program.includes('/') ? 'stat ' + program + ': no such file or directory' : 'executable file not found in $PATH'}`,
      };
      return 127;
    }
    const st = loc === 'unknown' ? undefined : sh.fs.stat(loc);
    if (st && (st.type !== 'file' || sh.permits(st, 1) === false)) {
      // Recorded with docker build (both builders) for a 644 script: exec: "/opt/bin/hello": permission denied.
      sh.shared.lastFailure = { command: argv.join(' '), message: `exec: "${program}": permission denied` };
      return 126;
    }
    return sh.execArgv(argv, io, sh.env(), argv.join(' '));
  });
}
