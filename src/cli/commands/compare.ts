import path from 'node:path';
import { defaultDockerfile } from '../../executor/context/default-dockerfile.js';
import type { CompareOptions } from '../../reports/compare.js';
import { writeHtml } from '../html-file.js';
import { buildOptions, htmlOption, renderDiagnostic, simulateOptions, UsageError } from '../main.js';
import type { RegisterCommand } from './index.js';

/**
 * dfsim compare BEFORE_DOCKERFILE AFTER_DOCKERFILE [--context DIR]
 * dfsim compare --contexts BEFORE_DIR AFTER_DIR [-f NAME]
 * dfsim compare --git REV [CONTEXT] [-f FILE]
 */
export const registerCompare: RegisterCommand = (y, env) =>
  y.command(
    'compare [before] [after]',
    'what an edit does: build BEFORE into an empty private cache, then predict the rebuild of AFTER against it',
    (c) =>
      htmlOption(buildOptions(c))
        .positional('before', { type: 'string', describe: 'the Dockerfile before the edit (with --contexts: the context before; with --git: the context)' })
        .positional('after', { type: 'string', describe: 'the Dockerfile after the edit (with --contexts: the context after)' })
        .option('context', { type: 'string', default: undefined, describe: 'context directory for both Dockerfiles (default .)' })
        .option('contexts', { type: 'boolean', default: false, describe: 'BEFORE and AFTER are context directories; -f NAME is read inside each (default Dockerfile)' })
        .option('git', { type: 'string', describe: 'REV: compare the working tree with the Dockerfile and context at this git revision' })
        .example('$0 compare Dockerfile.old Dockerfile', 'the same context, two versions of the Dockerfile')
        .example('$0 compare --git HEAD .', 'uncommitted changes vs the last commit')
        .example('$0 compare --contexts v1/ v2/', 'two copies of a project'),
    async (a) => {
      const args = a as unknown as Record<string, unknown>;
      // Loaded when the command runs, so that start-up stays small (see scripts/bundle.mjs).
      const { checkoutRevision, compareBuilds, compareJson, compareText } = await import('../../reports/compare.js');
      const { renderCompareHtml } = await import('../../reports/html.js');
      const base = simulateOptions(args, false, env.io);
      const opts: Omit<CompareOptions, 'before' | 'after'> = { builder: base.builder ?? 'buildkit', buildArgs: base.buildArgs ?? new Map(), baseImages: base.baseImages ?? new Map(), noCache: base.noCache ?? false, noCacheFilter: base.noCacheFilter ?? [] };
      if (base.target !== undefined) opts.target = base.target;
      if (base.platform !== undefined) opts.platform = base.platform;
      const before = typeof a.before === 'string' ? a.before : undefined;
      const after = typeof a.after === 'string' ? a.after : undefined;
      const file = typeof a.file === 'string' ? a.file : undefined;
      let dispose = (): void => {};
      let full: CompareOptions;
      if (a.git !== undefined) {
        if (a.contexts || a.context !== undefined || after !== undefined) throw new UsageError('compare --git takes one CONTEXT (default .) and no --contexts/--context or second path.');
        if (!a.git) throw new UsageError('compare --git needs a revision, e.g. --git HEAD.');
        const contextDir = before ?? '.';
        const dockerfile = file ?? defaultDockerfile(contextDir);
        const snap = checkoutRevision(a.git, contextDir, dockerfile);
        dispose = snap.dispose;
        full = { ...opts, before: { context: snap.context, dockerfile: snap.dockerfile, displayName: snap.displayName }, after: { context: contextDir, dockerfile } };
      } else if (a.contexts) {
        if (before === undefined || after === undefined || a.context !== undefined) throw new UsageError('compare --contexts takes two context directories: BEFORE_DIR AFTER_DIR.');
        const name = file ?? 'Dockerfile';
        full = { ...opts, before: { context: before, dockerfile: path.resolve(before, name) }, after: { context: after, dockerfile: path.resolve(after, name) } };
      } else {
        if (before === undefined || after === undefined) throw new UsageError('compare needs BEFORE_DOCKERFILE AFTER_DOCKERFILE (or --git REV, or --contexts BEFORE_DIR AFTER_DIR).');
        if (file !== undefined) throw new UsageError('compare BEFORE AFTER takes the Dockerfiles as arguments; -f is for --git and --contexts.');
        const contextDir = typeof a.context === 'string' ? a.context : '.';
        // The edited Dockerfile is the one that lives at AFTER's path: both look up the same <name>.dockerignore.
        full = { ...opts, before: { context: contextDir, dockerfile: before, dockerfileLocation: after }, after: { context: contextDir, dockerfile: after } };
      }
      try {
        const cmp = await compareBuilds(full);
        if (typeof a.html === 'string') writeHtml(a.html, renderCompareHtml(cmp.before, cmp.after));
        if (a.json) env.io.out(`${JSON.stringify(compareJson(cmp), null, 2)}\n`);
        else {
          env.io.out(compareText(cmp, env.style));
          for (const w of [...cmp.before.warnings, ...cmp.after.warnings]) env.io.err(renderDiagnostic(w));
        }
        if (cmp.before.result.error || cmp.after.result.error) env.setExitCode(1);
      } finally {
        dispose();
      }
    },
  );
