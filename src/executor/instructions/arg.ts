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
    state.argDeclarations.push(arg.name);
    // History shows the default as written, expanded and unquoted, whatever --build-arg says.
    const defaultValue = arg.defaultValue === null ? null : expandWord(arg.defaultValue, state, ctx, instruction);
    shown.push(defaultValue === null ? arg.name : `${arg.name}=${defaultValue}`);
    let value: string | undefined;
    if (ctx.buildArgs.has(arg.name)) value = ctx.buildArgs.get(arg.name);
    else if (defaultValue !== null) value = defaultValue;
    else if (ctx.globalDeclared.has(arg.name)) value = ctx.globalArgs.get(arg.name);
    if (value === undefined) {
      // The classic builder forgets an earlier value: `ARG V=2` then `ARG V` leaves V unset without a
      // --build-arg or global value; BuildKit keeps 2 (recorded: exec-r7-arg-redeclared-no-default).
      if (ctx.builder === 'classic' && state.buildArgs.has(arg.name)) {
        state.buildArgs.delete(arg.name);
        if (!state.config.Env.some((e) => e.split('=', 1)[0] === arg.name)) state.env.delete(arg.name);
      }
      continue;
    }
    // The classic builder lets an ENV of the same name win over the ARG; BuildKit lets the later one win.
    const shadowed = ctx.builder === 'classic' && state.config.Env.some((e) => e.split('=', 1)[0] === arg.name);
    if (!shadowed) state.env.set(arg.name, value);
    state.buildArgs.set(arg.name, value);
  }
  // The classic builder keys ARG by this text: a new --build-arg value for this ARG does not miss it,
  // a new value of a variable its default uses does, and quoting or spacing does not count (recorded:
  // cache-arg-default-chain, cache-arg-env-quoting).
  return metadataOnly(`ARG ${shown.join(' ')}`);
};
