import { isDfsimError } from '../../src/diagnostics/diagnostic.js';
import type { Instruction, ParsedDockerfile } from '../../src/instructions/types.js';
import { parseDockerfile } from '../../src/syntax/parse.js';

export function parse(text: string | Buffer): ParsedDockerfile {
  return parseDockerfile(text, 'Dockerfile');
}

/** The first instruction after a leading `FROM bb`. */
export function one(line: string): Instruction {
  const ins = parse(`FROM bb\n${line}\n`).stages[0]?.instructions[0];
  if (!ins) throw new Error('no instruction');
  return ins;
}

/** Errors as `CODE line:col message`, or [] when the text parses. */
export function errors(text: string | Buffer): string[] {
  try {
    parse(text);
    return [];
  } catch (e) {
    if (!isDfsimError(e)) throw e;
    return e.diagnostics.map((d) => `${d.code} ${d.range?.start.line}:${d.range?.start.column} ${d.message}`);
  }
}

/** Errors of a single instruction placed on line 2 after `FROM bb`. */
export function errorsOf(line: string): string[] {
  return errors(`FROM bb\n${line}\n`);
}
