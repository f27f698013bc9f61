/** Keyword → parser. Typed over every Keyword so that a missing kind fails to compile. */
import type { ParseContext, RawInstruction } from './raw.js';
import type { InstructionOf, Keyword } from './types.js';
import { parseAdd } from './add.js';
import { parseArg } from './arg.js';
import { parseCmd } from './cmd.js';
import { parseCopy } from './copy.js';
import { parseEntrypoint } from './entrypoint.js';
import { parseEnv } from './env.js';
import { parseExpose } from './expose.js';
import { parseFrom } from './from.js';
import { parseHealthcheck } from './healthcheck.js';
import { parseLabel } from './label.js';
import { parseMaintainer } from './maintainer.js';
import { parseOnbuild } from './onbuild.js';
import { parseRun } from './run.js';
import { parseShell } from './shell.js';
import { parseStopsignal } from './stopsignal.js';
import { parseUser } from './user.js';
import { parseVolume } from './volume.js';
import { parseWorkdir } from './workdir.js';

export type InstructionParser<K extends Keyword> = (raw: RawInstruction, ctx: ParseContext) => InstructionOf<K> | null;

export const REGISTRY: { [K in Keyword]: InstructionParser<K> } = {
  FROM: parseFrom,
  RUN: parseRun,
  CMD: parseCmd,
  LABEL: parseLabel,
  MAINTAINER: parseMaintainer,
  EXPOSE: parseExpose,
  ENV: parseEnv,
  ADD: parseAdd,
  COPY: parseCopy,
  ENTRYPOINT: parseEntrypoint,
  VOLUME: parseVolume,
  USER: parseUser,
  WORKDIR: parseWorkdir,
  ARG: parseArg,
  ONBUILD: parseOnbuild,
  STOPSIGNAL: parseStopsignal,
  HEALTHCHECK: parseHealthcheck,
  SHELL: parseShell,
};

export function isKeyword(s: string): s is Keyword {
  return Object.prototype.hasOwnProperty.call(REGISTRY, s);
}
