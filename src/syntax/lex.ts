// Placeholder: the Docker-exact word processor (BuildKit frontend/dockerfile/shell/lex.go semantics) lands here.
export type EnvLookup = (name: string) => string | undefined;
export interface LexOptions {
  escapeToken?: '\\' | '`';
}
export class ExpansionError extends Error {}
export interface ProcessResult {
  value: string;
  /** Variables referenced that had a value. */
  matched: Set<string>;
  /** Variables referenced that were unset. */
  unmatched: Set<string>;
}
export declare function processWord(word: string, env: EnvLookup, opts?: LexOptions): string;
export declare function processWordWithMatches(word: string, env: EnvLookup, opts?: LexOptions): ProcessResult;
export declare function processWords(word: string, env: EnvLookup, opts?: LexOptions): string[];
