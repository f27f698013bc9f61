import type { Argv } from 'yargs';
import type { CommandEnv } from '../main.js';
import { registerAdvice } from './advice.js';
import { registerCompare } from './compare.js';
import { registerLayers } from './layers.js';
import { registerOutline } from './outline.js';
import { registerWhatIf } from './what-if.js';

/** A command module adds itself to the parser. Keep this list sorted by command name. */
export type RegisterCommand = (y: Argv, env: CommandEnv) => Argv;

export const extraCommands: RegisterCommand[] = [registerAdvice, registerCompare, registerLayers, registerOutline, registerWhatIf];
