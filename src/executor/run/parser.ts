import { createRequire } from 'node:module';
import type { Parser, Tree } from 'web-tree-sitter';

let parser: Parser | undefined;
let loading: Promise<void> | undefined;

/** Loads web-tree-sitter and the bash grammar once; later calls reuse the same promise. */
export function initRunSimulator(): Promise<void> {
  loading ??= (async () => {
    // Loaded on the first RUN only: a build without one need not evaluate the Emscripten runtime.
    const { Language, Parser } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const wasmPath = require.resolve('tree-sitter-bash/tree-sitter-bash.wasm');
    const language = await Language.load(wasmPath);
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
  })();
  return loading;
}

/** Parses a script; the caller must `delete()` the tree. Throws only when init was never awaited. */
export function parseShell(script: string): Tree | undefined {
  if (!parser) throw new Error('initRunSimulator() must be awaited before simulating RUN');
  return parser.parse(script) ?? undefined;
}
