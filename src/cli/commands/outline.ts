import { buildOptions, simulateOptions } from '../main.js';
import type { RegisterCommand } from './index.js';

export const registerOutline: RegisterCommand = (y, env) =>
  y.command(
    'outline [context]',
    'stages, their dependencies and targets, every ARG, and which steps a change of each ARG or copied file would invalidate',
    (c) =>
      buildOptions(c)
        .option('format', { choices: ['text', 'json', 'mermaid', 'dot'] as const, describe: 'output format (default text; --json is --format json)' })
        .option('impacts', { type: 'boolean', default: true, describe: 'simulate each ARG and copied file change (--no-impacts: structure only)' }),
    async (a) => {
      const args = a as Record<string, unknown>;
      const format = typeof args.format === 'string' ? args.format : args.json ? 'json' : 'text';
      // Loaded when the command runs, so that start-up stays small (see scripts/bundle.mjs).
      const { buildOutline, outlineDot, outlineMermaid, outlineText } = await import('../../reports/outline.js');
      const outline = await buildOutline(simulateOptions(args, false, env.io), { impacts: format === 'mermaid' || format === 'dot' ? false : args.impacts !== false });
      if (format === 'json') env.io.out(`${JSON.stringify(outline, null, 2)}\n`);
      else if (format === 'mermaid') env.io.out(outlineMermaid(outline));
      else if (format === 'dot') env.io.out(outlineDot(outline));
      else env.io.out(outlineText(outline));
    },
  );
