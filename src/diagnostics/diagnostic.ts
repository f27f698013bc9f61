import type { Range } from '../syntax/position.js';

export type Severity = 'error' | 'warning' | 'info';

/**
 * A problem found in the user's input, as data. The code is stable (never renumbered);
 * the message is one English sentence; `hint` says how to fix it. Rendering
 * (`file:line:col: error DF2001: ...`) happens only at the edge (src/cli).
 *
 * Code ranges by pipeline stage: DF1xxx syntax, DF2xxx instructions and stages,
 * DF3xxx context and executor, DF4xxx cache, DF5xxx advice, DF9xxx usage.
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** Path of the file the range points into, relative to the working directory when possible. */
  file?: string;
  range?: Range;
  hint?: string;
}

/** A user-input failure that stops the command. Carries the diagnostics that explain it. */
export class DfsimError extends Error {
  readonly diagnostics: Diagnostic[];
  /** 1 for a build/input error, 2 for a usage error (see README "Exit codes"). */
  readonly exitCode: number;

  constructor(diagnostics: Diagnostic | Diagnostic[], exitCode = 1) {
    const list = Array.isArray(diagnostics) ? diagnostics : [diagnostics];
    super(list[0]?.message ?? 'dfsim error');
    this.name = 'DfsimError';
    this.diagnostics = list;
    this.exitCode = exitCode;
  }
}

export function isDfsimError(e: unknown): e is DfsimError {
  return e instanceof DfsimError;
}

export function error(code: string, message: string, range?: Range, hint?: string): Diagnostic {
  return withOptional({ code, severity: 'error', message }, range, hint);
}

export function warning(code: string, message: string, range?: Range, hint?: string): Diagnostic {
  return withOptional({ code, severity: 'warning', message }, range, hint);
}

function withOptional(d: Diagnostic, range?: Range, hint?: string): Diagnostic {
  if (range) d.range = range;
  if (hint) d.hint = hint;
  return d;
}
