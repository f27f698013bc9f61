import type { Severity } from '../../diagnostics/diagnostic.js';
import { buildOptions, renderDiagnostic, simulateOptions } from '../main.js';
import type { RegisterCommand } from './index.js';

/**
 * `dfsim advice [CONTEXT]`: cache foot-guns (DF5xxx) found in the simulated build, as text, JSON
 * or SARIF 2.1.0. Exit 1 when the simulated build fails or a finding reaches --fail-on.
 */
export const registerAdvice: RegisterCommand = (y, env) =>
  y.command(
    'advice [context]',
    'cache advice: steps that would miss more often than they need to, and how to fix them',
    (a) =>
      buildOptions(a)
        .option('format', { choices: ['text', 'json', 'sarif'] as const, describe: 'output format (--json = --format json)' })
        .option('fail-on', { choices: ['error', 'warning', 'info', 'none'] as const, default: 'none' as const, describe: 'exit 1 when a finding is at least this severe' }),
    async (args) => {
      const { io, style } = env;
      // Loaded when the command runs, so that start-up stays small (see scripts/bundle.mjs).
      const { advise, breaches } = await import('../../reports/advice/index.js');
      const { adviceJson, adviceSarif, adviceText } = await import('../../reports/advice/render.js');
      const advice = await advise(simulateOptions(args, false, io));
      const format = args.format ?? (args.json ? 'json' : 'text');
      if (format === 'json') io.out(`${JSON.stringify(adviceJson(advice), null, 2)}\n`);
      else if (format === 'sarif') io.out(`${JSON.stringify(adviceSarif(advice), null, 2)}\n`);
      else io.out(adviceText(advice, style));
      if (format === 'text') for (const w of advice.sim.warnings) io.err(renderDiagnostic(w));
      if (advice.sim.result.error) {
        // the rules saw only the steps before the failure
        if (format !== 'json') io.err(renderDiagnostic(advice.sim.result.error));
        env.setExitCode(1);
      }
      if (args['fail-on'] !== 'none' && breaches(advice.findings, args['fail-on'] as Severity)) env.setExitCode(1);
    },
  );
