/**
 * Streams of the simulated shell. Text is `null` when its content cannot be computed (the output of
 * an unknown command, a file whose bytes are not loaded): such text still flows, it just stays unknown.
 */
export type Text = string | null;

export type Sink =
  | { kind: 'log' }
  | { kind: 'null' }
  | { kind: 'file'; path: string }
  | { kind: 'capture'; text: string; unknown: boolean };

/** stdin is shared by the commands of one redirection scope, so `read` consumes lines in order. */
export interface Input {
  data: Text;
  pos: number;
}

export interface Io {
  stdin: Input;
  out: Sink;
  err: Sink;
}

export function emptyInput(): Input {
  return { data: '', pos: 0 };
}

export function textInput(data: Text): Input {
  return { data, pos: 0 };
}

export function captureSink(): { kind: 'capture'; text: string; unknown: boolean } {
  return { kind: 'capture', text: '', unknown: false };
}

/** What remains of stdin for a command that reads all of it. */
export function readAll(input: Input): Text {
  if (input.data === null) return null;
  const rest = input.data.slice(input.pos);
  input.pos = input.data.length;
  return rest;
}

/** One line for `read`, without its newline; undefined at end of input, null when unknown. */
export function readLine(input: Input): string | null | undefined {
  if (input.data === null) return null;
  if (input.pos >= input.data.length) return undefined;
  const nl = input.data.indexOf('\n', input.pos);
  const end = nl === -1 ? input.data.length : nl;
  const line = input.data.slice(input.pos, end);
  input.pos = nl === -1 ? input.data.length : nl + 1;
  return line;
}

/** Splits text into lines the way line-oriented tools see them (a final newline ends the last line). */
export function lines(text: string): string[] {
  if (text === '') return [];
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
