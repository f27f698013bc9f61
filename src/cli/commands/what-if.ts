import type { WhatIfOptions } from '../../reports/what-if.js';
import { buildOptions, renderDiagnostic, simulateOptions } from '../main.js';
import type { RegisterCommand } from './index.js';

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** dfsim what-if [CONTEXT] [build options] --touch GLOB… --edit PATH… --build-arg-change K=V… --base REF=NEWREF… --base-changed REF… --stage-changed NAME… */
export const registerWhatIf: RegisterCommand = (y, env) =>
  y.command(
    'what-if [context]',
    'if I change this, what rebuilds? Records the current build privately, then predicts the rebuild with the change applied (nothing is edited)',
    (c) =>
      buildOptions(c)
        .option('touch', { type: 'string', array: true, default: [] as string[], describe: 'PATH_OR_GLOB: the content of these context files changes (a directory: every file below it)' })
        .option('edit', { type: 'string', array: true, default: [] as string[], describe: 'PATH: this context file changes (a missing path: a new file appears)' })
        .option('build-arg-change', { type: 'string', array: true, default: [] as string[], describe: 'K=V: the rebuild passes --build-arg K=V (a bare K: any other value)' })
        .option('base', { type: 'string', array: true, default: [] as string[], describe: 'REF=NEWREF: FROM REF becomes NEWREF (a --base-image ref or an image file gives its real files)' })
        .option('base-changed', { type: 'string', array: true, default: [] as string[], describe: 'REF: the base image REF gets a new image ID (same tag, re-pushed)' })
        .option('stage-changed', { type: 'string', array: true, default: [] as string[], describe: 'NAME: this stage changes from its first step on, and so does its output' })
        .example('$0 what-if . --touch "src/*.go"', 'which steps and stages rebuild when Go sources change')
        .example('$0 what-if --build-arg-change VERSION=2', 'the effect of a new build-arg value'),
    async (a) => {
      const args = a as unknown as Record<string, unknown>;
      // Loaded when the command runs, so that start-up stays small (see scripts/bundle.mjs).
      const { whatIf, whatIfJson, whatIfText } = await import('../../reports/what-if.js');
      const base = simulateOptions(args, false, env.io);
      const opts: WhatIfOptions = {
        context: base.context,
        builder: base.builder ?? 'buildkit',
        buildArgs: base.buildArgs ?? new Map(),
        baseImages: base.baseImages ?? new Map(),
        noCache: base.noCache ?? false,
        noCacheFilter: base.noCacheFilter ?? [],
        touch: list(a.touch),
        edit: list(a.edit),
        buildArgChanges: list(a['build-arg-change']),
        base: list(a.base),
        baseChanged: list(a['base-changed']),
        stageChanged: list(a['stage-changed']),
      };
      if (base.dockerfile !== undefined) opts.dockerfile = base.dockerfile;
      if (base.target !== undefined) opts.target = base.target;
      if (base.platform !== undefined) opts.platform = base.platform;
      const w = await whatIf(opts);
      if (a.json) env.io.out(`${JSON.stringify(whatIfJson(w), null, 2)}\n`);
      else {
        env.io.out(whatIfText(w, env.style));
        for (const d of w.after.warnings) env.io.err(renderDiagnostic(d));
      }
      if (w.current.result.error || w.after.result.error) env.setExitCode(1);
    },
  );
