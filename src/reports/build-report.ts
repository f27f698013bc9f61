import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Simulation } from '../simulate.js';
import { reasonText, stageLabel } from './reason-text.js';

/** The documented `--json` shape of `dfsim build` / `dfsim plan` (README "JSON output"). */
export function buildJson(sim: Simulation): Record<string, unknown> {
  const { result, prediction } = sim;
  const firstMiss = prediction.firstMiss === null ? null : result.steps[prediction.firstMiss]!;
  return {
    ok: result.error === null,
    error: result.error ? errorJson(result.error) : null,
    builder: result.builder,
    target: result.target,
    steps: result.steps.map((s, i) => {
      const p = prediction.steps[i]!;
      return {
        stage: s.stage,
        instruction: s.instruction,
        kind: s.kind,
        line: s.line,
        vertex: s.vertex,
        cached: p.cached,
        reason: p.reason ? { cause: p.reason.cause, text: reasonText(p.reason), changes: p.reason.changes, follows: p.reason.follows } : null,
        trigger: s.trigger,
        failed: s === result.failedStep,
        layer: s.layer ? { size: s.layer.size, changes: s.layer.changes } : null,
        opaque: s.opaque,
      };
    }),
    summary: {
      reused: prediction.reused,
      rebuilt: prediction.rebuilt,
      firstMiss: firstMiss ? { stage: firstMiss.stage, instruction: firstMiss.instruction, line: firstMiss.line, reason: reasonText(prediction.steps[prediction.firstMiss!]!.reason!) } : null,
    },
    image: result.image ? { layers: result.image.layers, size: result.image.size, history: result.image.history } : null,
    warnings: sim.warnings.map(errorJson),
  };
}

export function errorJson(d: Diagnostic): Record<string, unknown> {
  return { code: d.code, severity: d.severity, message: d.message, file: d.file ?? null, line: d.range?.start.line ?? null, column: d.range?.start.column ?? null, hint: d.hint ?? null };
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ['kB', 'MB', 'GB'];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)}${units[u]}`;
}

export interface TextStyle {
  hit(s: string): string;
  miss(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plainStyle: TextStyle = { hit: (s) => s, miss: (s) => s, dim: (s) => s, bold: (s) => s };

/** The text report: one line per step with its cache verdict and reason, the files it changed, then a summary. */
export function buildText(sim: Simulation, style: TextStyle = plainStyle, opts: { files?: boolean } = {}): string {
  const { result, prediction } = sim;
  const lines: string[] = [];
  const target = stageLabel(result.target);
  lines.push(style.bold(`dfsim ${result.builder}: target ${target}, ${new Set(result.steps.map((s) => s.stage.index)).size} stage(s)`));
  const perStage = new Map<number, number>();
  for (const s of result.steps) perStage.set(s.stage.index, (perStage.get(s.stage.index) ?? 0) + 1);
  result.steps.forEach((s, i) => {
    const p = prediction.steps[i]!;
    const stage = `${stageLabel(s.stage)} ${s.position + 1}/${perStage.get(s.stage.index)}`;
    const verdict = p.cached === true ? style.hit('CACHED') : p.cached === false ? style.miss('MISS  ') : style.dim('      ');
    const reason = p.reason ? `  (${reasonText(p.reason)})` : '';
    const failed = s === result.failedStep ? style.miss('  FAILED') : '';
    lines.push(`${verdict} [${stage}] ${s.instruction}${reason}${failed}`);
    if (s.opaque && s.opaque.notUnderstood.length) lines.push(style.dim(`         opaque: ${s.opaque.notUnderstood.join(', ')}`));
    if (opts.files !== false && s.layer) {
      const shown = s.layer.changes.slice(0, 8);
      for (const c of shown) lines.push(style.dim(`         ${c.change === 'added' ? '+' : c.change === 'removed' ? '-' : '~'} ${c.path}${c.type === 'dir' ? '/' : ''}${c.type === 'file' ? ` ${formatBytes(c.size)}` : ''}`));
      if (s.layer.changes.length > shown.length) lines.push(style.dim(`         … ${s.layer.changes.length - shown.length} more`));
    }
  });
  if (result.image) {
    const hist = result.image.history;
    lines.push(`image: ${result.image.layers} layers, ${hist.length} history entries, ${formatBytes(result.image.size)}`);
  }
  lines.push(summaryLine(sim));
  return `${lines.join('\n')}\n`;
}

/** One grep-able line for CI logs. */
export function summaryLine(sim: Simulation): string {
  const { prediction, result } = sim;
  const total = prediction.reused + prediction.rebuilt;
  let line = `cache: ${prediction.reused}/${total} steps reused, ${prediction.rebuilt} rebuilt`;
  if (prediction.firstMiss !== null) {
    const s = result.steps[prediction.firstMiss]!;
    line += ` (first miss: ${s.instruction} at line ${s.line}: ${reasonText(prediction.steps[prediction.firstMiss]!.reason!)})`;
  }
  return line;
}
