import { parseGoDuration } from '../../instructions/healthcheck.js';
import type { HealthcheckOptions } from '../../instructions/types.js';
import { goDuration, goQuoteList, goQuoteRune } from '../go-format.js';
import { metadataOnly, type InstructionExecutor } from '../step.js';

export const applyHealthcheck: InstructionExecutor<'HEALTHCHECK'> = (state, instruction) => {
  const test = instruction.none ? ['NONE'] : instruction.form === 'exec' ? ['CMD', ...instruction.args] : ['CMD-SHELL', instruction.command];
  const options = Object.fromEntries(Object.entries(instruction.options).filter(([, v]) => v !== null));
  state.config.Healthcheck = { Test: test, ...options };
  return metadataOnly(`HEALTHCHECK ${healthConfigText(test, instruction.options)}`);
};

/**
 * Both builders print the health config with Go's %q: `&{["CMD-SHELL" "curl -f x"] "30s" "0s" "0s" '\x03'}`
 * (test, interval, timeout, start period as durations, retries as a rune; recorded:
 * cache-metadata-added-removed). Docker 20.10 has no start interval; when one is given it is printed
 * where later versions put it.
 */
export function healthConfigText(test: string[], options: HealthcheckOptions): string {
  const duration = (v: string | null): string => {
    const ns = v === null ? 0 : parseGoDuration(v);
    return JSON.stringify(goDuration(typeof ns === 'number' ? ns : 0));
  };
  const fields = [goQuoteList(test), duration(options.interval), duration(options.timeout), duration(options.startPeriod)];
  if (options.startInterval !== null) fields.push(duration(options.startInterval));
  fields.push(goQuoteRune(options.retries === null ? 0 : Number(options.retries)));
  return `&{${fields.join(' ')}}`;
}
