import type { Keyword } from '../../instructions/types.js';
import type { InstructionExecutor } from '../step.js';
import { applyAdd } from './add.js';
import { applyArg } from './arg.js';
import { applyCmd } from './cmd.js';
import { applyCopy } from './copy.js';
import { applyEntrypoint } from './entrypoint.js';
import { applyEnv } from './env.js';
import { applyExpose } from './expose.js';
import { applyHealthcheck } from './healthcheck.js';
import { applyLabel } from './label.js';
import { applyMaintainer } from './maintainer.js';
import { applyOnbuild } from './onbuild.js';
import { applyRun } from './run.js';
import { applyShell } from './shell.js';
import { applyStopsignal } from './stopsignal.js';
import { applyUser } from './user.js';
import { applyVolume } from './volume.js';
import { applyWorkdir } from './workdir.js';

/** One executor per instruction kind; FROM starts a stage and is handled by the build loop. */
export const executors: { [K in Exclude<Keyword, 'FROM'>]: InstructionExecutor<K> } = {
  RUN: applyRun,
  CMD: applyCmd,
  LABEL: applyLabel,
  MAINTAINER: applyMaintainer,
  EXPOSE: applyExpose,
  ENV: applyEnv,
  ADD: applyAdd,
  COPY: applyCopy,
  ENTRYPOINT: applyEntrypoint,
  VOLUME: applyVolume,
  USER: applyUser,
  WORKDIR: applyWorkdir,
  ARG: applyArg,
  ONBUILD: applyOnbuild,
  STOPSIGNAL: applyStopsignal,
  HEALTHCHECK: applyHealthcheck,
  SHELL: applyShell,
};
