import { copyBeforeInstall } from './rules/df5001-copy-before-install.js';
import { dockerfileInContext } from './rules/df5002-dockerfile-in-context.js';
import { argBeforeExpensiveRun } from './rules/df5003-arg-before-expensive-run.js';
import { runWhitespace } from './rules/df5004-run-whitespace.js';
import { aptUpdateAlone } from './rules/df5005-apt-update-alone.js';
import { gitModeDrift } from './rules/df5006-git-mode-drift.js';
import { linkWithChmod } from './rules/df5007-link-with-chmod.js';
import { addLocalFile } from './rules/df5008-add-local-file.js';
import { layerCount } from './rules/df5009-layer-count.js';
import type { AdviceRule } from './types.js';

/** Every advice rule, by code. Codes are stable: never renumber, only add. */
export const RULES: readonly AdviceRule[] = [
  copyBeforeInstall,
  dockerfileInContext,
  argBeforeExpensiveRun,
  runWhitespace,
  aptUpdateAlone,
  gitModeDrift,
  linkWithChmod,
  addLocalFile,
  layerCount,
];

export function ruleByCode(code: string): AdviceRule | undefined {
  return RULES.find((r) => r.code === code);
}
