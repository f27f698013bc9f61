import { expandWord, metadataOnly, type InstructionExecutor } from '../step.js';

/**
 * ARG name[=default]: the value is --build-arg, else the default (expanded with the current env),
 * else the global ARG of the same name. Only an ARG with a value joins the env, and then every later
 * RUN's key, used or not (buildkit-cache-semantics §1.3).
 */
export const applyArg: InstructionExecutor<'ARG'> = (state, instruction, ctx) => {
  const shown: string[] = [];
  for (const arg of instruction.args) {
    state.declaredArgs.add(arg.name);
    let value: string | undefined;
    if (ctx.buildArgs.has(arg.name)) value = ctx.buildArgs.get(arg.name);
    else if (arg.defaultValue !== null) value = expandWord(arg.defaultValue, state, ctx, instruction);
    else if (ctx.globalDeclared.has(arg.name)) value = ctx.globalArgs.get(arg.name);
    if (value === undefined) {
      shown.push(arg.name);
      continue;
    }
    // The classic builder lets an ENV of the same name win over the ARG; BuildKit lets the later one win.
    const shadowed = ctx.builder === 'classic' && state.config.Env.some((e) => e.split('=', 1)[0] === arg.name);
    if (!shadowed) state.env.set(arg.name, value);
    state.buildArgs.set(arg.name, value);
    shown.push(`${arg.name}=${value}`);
  }
  // The classic builder keys ARG by its text as written (a new --build-arg value does not miss it).
  return metadataOnly(ctx.builder === 'classic' ? `ARG ${instruction.original.replace(/^\s*arg\s+/i, '')}` : `ARG ${shown.join(' ')}`);
};
