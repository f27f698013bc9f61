import { expandWord, metadataOnly, type InstructionExecutor } from '../step.js';

/** ENV k=v...: values are expanded with the env as it was before this instruction (`ENV a=1 b=$a` sees the old a). */
export const applyEnv: InstructionExecutor<'ENV'> = (state, instruction, ctx) => {
  const values = instruction.pairs.map((p) => [p.key, expandWord(p.value, state, ctx, instruction)] as const);
  for (const [k, v] of values) {
    state.env.set(k, v);
    setConfigEnv(state.config.Env, k, v);
  }
  return metadataOnly(`ENV ${values.map(([k, v]) => `${k}=${v}`).join(' ')}`);
};

function setConfigEnv(env: string[], key: string, value: string): void {
  const i = env.findIndex((e) => e.split('=', 1)[0] === key);
  if (i >= 0) env[i] = `${key}=${value}`;
  else env.push(`${key}=${value}`);
}
