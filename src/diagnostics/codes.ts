/**
 * Every DF1xxx (syntax) and DF2xxx (instructions and stages) code the front end emits.
 * Codes are stable: never renumber, only add.
 */
export const CODES = {
  // Syntax: the file as a whole, lines, directives, heredocs.
  DF1001: 'The Dockerfile is empty.',
  DF1002: 'The Dockerfile has no instructions (only comments or blank lines).',
  DF1003: 'The Dockerfile is not text (it has NUL bytes or invalid UTF-8).',
  DF1004: 'A line is longer than the builder accepts (65535 bytes).',
  DF1005: 'The escape parser directive names a character other than \\ or `.',
  DF1006: 'A parser directive is given more than once.',
  DF1007: 'A heredoc is not terminated before the end of the file.',
  DF1008: 'An empty line inside a line continuation (warning; BuildKit will make it an error).',
  DF1009: 'Unknown instruction keyword.',
  DF1010: 'A JSON (exec form) array contains something other than strings.',
  // Instructions: arguments and flags.
  DF2001: 'Wrong number of arguments for the instruction.',
  DF2002: 'Unknown flag for the instruction.',
  DF2003: 'A flag is given a value it cannot take (missing, not a boolean, repeated, invalid).',
  DF2004: 'An instruction other than ARG comes before the first FROM.',
  DF2005: 'Invalid build stage name.',
  DF2006: 'Two stages have the same name (names compare case-insensitively).',
  DF2007: 'Variables are not supported in COPY --from.',
  DF2008: 'Malformed ENV, LABEL or ARG (missing `=`, blank name, missing value).',
  DF2009: 'SHELL arguments are not a JSON array.',
  DF2010: 'Invalid HEALTHCHECK (unknown type, arguments after NONE, missing command, bad duration or retries).',
  DF2011: 'Invalid ONBUILD trigger (FROM, MAINTAINER and ONBUILD are not allowed).',
  DF2012: 'A heredoc is used as the destination of COPY or ADD.',
  DF2013: 'Invalid RUN --mount, --network or --security value.',
  DF2014: 'An empty VOLUME path.',
  DF2015: 'The requested --target stage does not exist.',
  DF2016: 'Invalid stage reference: a stage index out of range, or a circular dependency between stages.',
  DF2017: 'The FROM image reference or --platform cannot be expanded, or expands to nothing.',
  DF2018: 'Invalid platform string.',
  DF2019: 'FROM names a stage in the wrong case (BuildKit reads it as an invalid image reference).',
  // Warnings about instructions.
  DF2101: 'MAINTAINER is deprecated; use a LABEL instead (warning).',
  DF2102: 'Stage name is not lower-case; stage names are case-insensitive (warning).',
  DF2103: 'The case of AS does not match the case of FROM (warning).',
} as const;

export type Code = keyof typeof CODES;
