import type { Severity } from '../../diagnostics/diagnostic.js';
import { errorJson, plainStyle, type TextStyle } from '../build-report.js';
import type { Advice } from './index.js';
import { RULES, ruleByCode } from './registry.js';
import type { Finding } from './types.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

function counts(findings: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) c[f.severity]++;
  return c;
}

function where(f: Finding): string {
  return f.range ? `${f.file}:${f.range.start.line}:${f.range.start.column}` : f.file;
}

/** `file:line:col: warning DF5001: message` + the fix, the way compilers print; then a count. */
export function adviceText(advice: Advice, style: TextStyle = plainStyle): string {
  const lines: string[] = [];
  for (const f of advice.findings) {
    const sev = f.severity === 'info' ? style.dim(f.severity) : style.miss(f.severity);
    lines.push(`${where(f)}: ${sev} ${style.bold(f.code)}: ${f.message}`, `  fix: ${f.fix}`, '');
  }
  const c = counts(advice.findings);
  const parts = (['error', 'warning', 'info'] as const).filter((s) => c[s] > 0).map((s) => `${c[s]} ${s}${s === 'info' || c[s] === 1 ? '' : 's'}`);
  lines.push(advice.findings.length === 0 ? 'no cache advice: none of the rules found anything' : `${advice.findings.length} finding${advice.findings.length === 1 ? '' : 's'}: ${parts.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The stable `--format json` shape. */
export function adviceJson(advice: Advice): Record<string, unknown> {
  return {
    ok: advice.sim.result.error === null,
    error: advice.sim.result.error ? errorJson(advice.sim.result.error) : null,
    dockerfile: advice.sim.dockerfile,
    findings: advice.findings.map((f) => ({
      code: f.code,
      rule: ruleByCode(f.code)?.name ?? null,
      severity: f.severity,
      message: f.message,
      fix: f.fix,
      file: f.file,
      line: f.range?.start.line ?? null,
      column: f.range?.start.column ?? null,
      endLine: f.range?.end.line ?? null,
      endColumn: f.range?.end.column ?? null,
    })),
    summary: counts(advice.findings),
  };
}

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };

/** SARIF 2.1.0: one run, every rule in the driver, one result per finding. */
export function adviceSarif(advice: Advice): Record<string, unknown> {
  const ruleIndex = new Map(RULES.map((r, i) => [r.code, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'dfsim',
            rules: RULES.map((r) => ({
              id: r.code,
              name: r.name,
              shortDescription: { text: r.summary },
              defaultConfiguration: { level: LEVEL[r.severity] },
            })),
          },
        },
        results: advice.findings.map((f) => {
          const region: Record<string, number> = {};
          if (f.range) Object.assign(region, { startLine: f.range.start.line, startColumn: f.range.start.column, endLine: f.range.end.line, endColumn: f.range.end.column });
          const physicalLocation: Record<string, unknown> = { artifactLocation: { uri: toUri(f.file) } };
          if (f.range) physicalLocation.region = region;
          return {
            ruleId: f.code,
            ruleIndex: ruleIndex.get(f.code) ?? -1,
            level: LEVEL[f.severity],
            message: { text: `${f.message} Fix: ${f.fix}` },
            locations: [{ physicalLocation }],
            properties: { fix: f.fix },
          };
        }),
      },
    ],
  };
}

/** A relative URI reference (POSIX separators, percent-encoded) for a path relative to the working directory. */
function toUri(file: string): string {
  return file.split(/[\\/]/).map(encodeURIComponent).join('/');
}
