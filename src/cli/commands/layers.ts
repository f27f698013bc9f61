import { DfsimError } from '../../diagnostics/diagnostic.js';
import { parseByteSize, type GateThresholds } from '../../reports/efficiency.js';
import { buildOptions, renderDiagnostic, simulateOptions } from '../main.js';
import type { RegisterCommand } from './index.js';

function usage(message: string, hint: string): DfsimError {
  return new DfsimError({ code: 'DF9005', severity: 'error', message, hint }, 2);
}

function fraction(flag: string, key: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'number' && (typeof v !== 'string' || v.trim() === '')) throw usage(`invalid --${flag} ${JSON.stringify(v)}`, `Give a fraction from 0 to 1 (dive's ${key}), e.g. 0.9.`);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw usage(`--${flag} ${String(v)} is outside 0..1`, `Give a fraction from 0 to 1 (dive's ${key}), e.g. 0.9.`);
  return n;
}

/** Reads the gate flags; dive's `.dive-ci` keys name the rules. */
export function gateThresholds(a: Record<string, unknown>): GateThresholds {
  const t: GateThresholds = {};
  const eff = fraction('min-efficiency', 'lowestEfficiency', a['min-efficiency']);
  if (eff !== undefined) t.lowestEfficiency = eff;
  const raw = a['max-wasted-bytes'];
  if (raw !== undefined) {
    const n = parseByteSize(String(raw));
    if (n === null) throw usage(`invalid --max-wasted-bytes ${JSON.stringify(raw)}`, 'Give bytes, e.g. 1048576, 20MB or 1.5MiB.');
    t.highestWastedBytes = n;
  }
  const user = fraction('max-user-wasted-percent', 'highestUserWastedPercent', a['max-user-wasted-percent']);
  if (user !== undefined) t.highestUserWastedPercent = user;
  return t;
}

export const registerLayers: RegisterCommand = (y, env) =>
  y.command(
    'layers [context]',
    "list the final image's layers with the files each adds, changes or removes, and dive's efficiency measures (a CI gate with the threshold flags)",
    (c) =>
      buildOptions(c)
        .option('min-efficiency', { type: 'string', describe: "fail when efficiency is below this fraction (dive's lowestEfficiency, 0..1)" })
        .option('max-wasted-bytes', { type: 'string', describe: "fail when wasted bytes exceed this (dive's highestWastedBytes; 1048576, 20MB, 1.5MiB)" })
        .option('max-user-wasted-percent', { type: 'string', describe: "fail when wasted/user bytes exceed this fraction (dive's highestUserWastedPercent, 0..1)" })
        .option('max-files', { type: 'number', default: 20, describe: 'paths listed per layer in the text output' }),
    async (a) => {
      const args = a as Record<string, unknown>;
      const thresholds = gateThresholds(args);
      // Loaded when the command runs, so that start-up stays small (see scripts/bundle.mjs).
      const { evaluateGate, layerReport, layersJson, layersText } = await import('../../reports/layers.js');
      const { simulate } = await import('../../simulate.js');
      const opts = simulateOptions(args, false, env.io);
      const sim = await simulate(opts);
      const report = await layerReport(sim, opts.baseImages);
      const rules = evaluateGate(report.efficiency, thresholds);
      if (args.json) env.io.out(`${JSON.stringify(layersJson(sim, report, rules, thresholds), null, 2)}\n`);
      else {
        env.io.out(layersText(sim, report, rules, env.style, { maxFiles: Number(args['max-files'] ?? 20), files: args.files !== false }));
        for (const w of sim.warnings) env.io.err(renderDiagnostic(w));
      }
      if (sim.result.error || rules.some((r) => r.status === 'fail')) env.setExitCode(1);
    },
  );
