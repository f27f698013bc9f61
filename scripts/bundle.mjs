// Bundles the CLI into dist/dfsim.mjs, which bin/dfsim.js loads, plus chunks it loads on demand.
// Node 20 has no compile cache, and resolving and compiling the separate modules (ours, yargs's,
// tar-stream's) was 0.15 s of every command's start-up; a bundle takes 0.05 s. The commands import
// the build pipeline and the reports only when they run (dynamic import()), so these land in chunks,
// and a replayed rebuild (src/cache/replay.ts), which needs neither, starts in 0.035 s.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const out = path.join(root, 'dist');
// Chunk names carry a content hash: old ones would pile up.
fs.rmSync(path.join(out, 'chunks'), { recursive: true, force: true });
await build({
  entryPoints: { dfsim: path.join(root, 'src', 'cli', 'main.ts') },
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
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
