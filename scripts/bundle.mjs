// Bundles the CLI into one ESM file, dist/dfsim.mjs, which bin/dfsim.js loads. Node 20 has no compile
// cache, and resolving and compiling the separate modules (ours, yargs's, tar-stream's) was 0.15 s
// of every command's start-up; one file takes 0.06 s (`npm run bench` shows `dfsim --help`).
import { build } from 'esbuild';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
await build({
  entryPoints: [path.join(root, 'src', 'cli', 'main.ts')],
  outfile: path.join(root, 'dist', 'dfsim.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // web-tree-sitter finds its own .wasm next to its module file, so it stays in node_modules.
  external: ['web-tree-sitter'],
  // Bundled CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __dfsimCreateRequire } from 'node:module'; const require = __dfsimCreateRequire(import.meta.url);" },
  logLevel: 'error',
});
