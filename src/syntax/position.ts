/** 1-based line and column, as editors and `file:line:col` messages count them. */
export interface Position {
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export function range(startLine: number, startColumn: number, endLine: number, endColumn: number): Range {
  return { start: { line: startLine, column: startColumn }, end: { line: endLine, column: endColumn } };
}

/** A range covering a whole file's first character, for errors that have no better place. */
export const FILE_START: Range = range(1, 1, 1, 1);
