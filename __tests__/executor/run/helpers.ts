import { fileURLToPath } from 'node:url';
import { loadBaseImage } from '../../../src/executor/base-image.js';
import type { BaseImage } from '../../../src/executor/base-image.js';
import { StageFs } from '../../../src/executor/stage-fs.js';
import { initRunSimulator, simulateShell } from '../../../src/executor/run/index.js';
import type { RunOutcome, RunUser } from '../../../src/executor/run/index.js';

const BB_JSON = fileURLToPath(new URL('../../fixtures/images/bb-latest.json', import.meta.url));

/** The environment BuildKit gives a RUN on bb:latest (the image sets no ENV). */
export const DEFAULT_ENV: Array<[string, string]> = [['PATH', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']];
export const ROOT: RunUser = { uid: 0, gid: 0, name: 'root' };

let bb: BaseImage | undefined;

/** Loads the shell grammar and the committed bb:latest image (the real builder's busybox base). */
export async function setup(): Promise<void> {
  await initRunSimulator();
  bb ??= await loadBaseImage('bb:latest', BB_JSON);
}

/** A fresh stage filesystem holding bb:latest's files. */
export function bbFs(): StageFs {
  if (!bb) throw new Error('call setup() in beforeAll');
  const fs = new StageFs();
  bb.populate(fs);
  return fs;
}

export interface RunOpts {
  fs?: StageFs;
  env?: Array<[string, string]>;
  cwd?: string;
  user?: RunUser;
}

export function run(script: string, opts: RunOpts = {}): { fs: StageFs; out: RunOutcome } {
  const fs = opts.fs ?? bbFs();
  const out = simulateShell(script, { fs, env: opts.env ?? DEFAULT_ENV, cwd: opts.cwd ?? '/', user: opts.user ?? ROOT });
  return { fs, out };
}

export function text(fs: StageFs, path: string): string | undefined {
  return fs.readFile(path)?.toString('utf8');
}
