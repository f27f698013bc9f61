import type { RunInstruction } from '../../instructions/types.js';
import { simulateExec, simulateShell, type RunOutcome } from '../run/index.js';
import { resolveUser, type StageState } from '../state.js';
import { expandWord, stepError, type StepContext, type StepOutput } from '../step.js';

/**
 * RUN: the key is the exact command (shell prefix included, whitespace significant), the ordered env
 * (ENV and every ARG with a value), USER, WORKDIR, network, security and mounts (buildkit-cache-semantics
 * rule 4). Effects are simulated; a failure is predicted only where the filesystem is fully known.
 */
export function applyRun(state: StageState, instruction: RunInstruction, ctx: StepContext): StepOutput {
  const argv = instruction.form === 'exec' ? [...instruction.args] : [...state.shell, runScript(instruction)];
  const mounts = instruction.mounts.map((m) => mountPart(state, instruction, ctx, m.options));
  const parts = {
    kind: 'RUN',
    args: argv,
    env: state.env.toArray(),
    cwd: state.workdir || '/',
    user: state.user,
    network: instruction.network,
    security: instruction.security,
    mounts,
    platform: state.platform,
  };
  const user = resolveUser(state.fs, state.user || 'root') ?? { uid: 0, gid: 0, name: state.user || 'root' };
  const runCtx = { fs: state.fs, env: state.env.pairs(), cwd: state.workdir || '/', user };
  const outcome: RunOutcome =
    instruction.form === 'exec' || state.shell.join(' ') !== '/bin/sh -c'
      ? simulateExec(argv, runCtx)
      : simulateShell(argv[argv.length - 1]!, runCtx);
  const notUnderstood = [...outcome.notUnderstood];
  if (outcome.status === 'failed') {
    const certain = state.exact && mounts.length === 0;
    if (certain) {
      const what = outcome.failure ? `${outcome.failure.message}` : `exit code ${outcome.exitCode}`;
      throw stepError(ctx, instruction, 'DF3301', `RUN would fail: ${what} (exit code ${outcome.exitCode})`, 'Fix the command; the real build stops at this step too.');
    }
    notUnderstood.push(`a command that fails here but may not in the real image (${outcome.failure?.message ?? `exit ${outcome.exitCode}`})`);
  }
  const history = `RUN ${historyArgs(state, argv)}`;
  const out: StepOutput = {
    vertex: true,
    parts,
    layer: null,
    createsLayer: true,
    createdBy: ctx.builder === 'classic' ? history : `${history} # buildkit`,
  };
  if (outcome.status !== 'ok' || notUnderstood.length) {
    state.exact = false;
    out.opaque = { notUnderstood };
  }
  return out;
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

/** `|N k=v ... cmd`, as both builders prefix RUN history when the stage has build args. */
function historyArgs(state: StageState, argv: string[]): string {
  const args = state.buildArgs.toArray();
  const prefix = args.length ? `|${args.length} ${args.join(' ')} ` : '';
  return `${prefix}${argv.join(' ')}`;
}

function mountPart(state: StageState, instruction: RunInstruction, ctx: StepContext, options: Record<string, string>): Record<string, unknown> {
  const opts: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) opts[k] = v === '' ? v : expandWord(v, state, ctx, instruction);
  const type = opts.type ?? 'bind';
  const target = opts.target ?? opts.dst ?? opts.destination ?? '';
  if (type === 'cache') return { type, target, id: opts.id ?? target, sharing: opts.sharing ?? 'shared' };
  if (type === 'secret' || type === 'ssh') return { type, id: opts.id ?? '', target, required: opts.required ?? '' };
  if (type === 'tmpfs') return { type, target, size: opts.size ?? '' };
  // A read-only bind mount is keyed by the content it selects (early cut-off).
  const source = opts.source ?? opts.src ?? '/';
  const from = opts.from;
  let content: string | null = null;
  if (from !== undefined) {
    const stage = ctx.stage(from);
    if (!stage) throw stepError(ctx, instruction, 'DF3207', `--mount from=${from} names no earlier stage and no image dfsim knows`, 'Use the name or index of an earlier stage.');
    content = stage.fs.treeDigest(stage.fs.resolve(`/${source}`.replace(/\/+/g, '/'), true) ?? '/') ?? `chain:${stage.lastKey}`;
  } else {
    const entry = ctx.context.get(source.replace(/^\/+/, '').replace(/\/$/, ''));
    content = entry?.digest ?? null;
  }
  return { type, target, from: from ?? 'context', source, rw: 'rw' in opts || 'readwrite' in opts, content };
}
