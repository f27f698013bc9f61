import { base, type ParseContext, type RawInstruction } from './raw.js';
import { wholeRest } from './single-arg.js';
import type { StopsignalInstruction } from './types.js';

/** BuildKit's parseStopSignal never parses flags, so flags here are ignored, not errors. */
export function parseStopsignal(raw: RawInstruction, ctx: ParseContext): StopsignalInstruction | null {
  const signal = wholeRest(raw, ctx, 'SIGTERM');
  if (signal === null) return null;
  return { ...base('STOPSIGNAL', raw), signal };
}
