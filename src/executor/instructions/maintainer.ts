import { metadataOnly, type InstructionExecutor } from '../step.js';

/** MAINTAINER is deprecated but still accepted: it sets the image author. */
export const applyMaintainer: InstructionExecutor<'MAINTAINER'> = (_state, instruction) => metadataOnly(`MAINTAINER ${instruction.name}`);
