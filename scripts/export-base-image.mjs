#!/usr/bin/env node
// Turns a real image (a `docker save` tarball, or an OCI layout) into a compact dfsim image JSON
// (format "dfsim-image/1": config, history, layer count and the merged file list with modes,
// owners, sizes and XXH64 digests; text files under /etc inline), so tests and --base-image can
// use real images without committing their binaries.
//
//   npm run build
//   node scripts/export-base-image.mjs <docker-save.tar | oci-layout> <out.json> [ref]
//
// It uses the simulator's own loader from dist/, so the JSON holds exactly what
// loadBaseImage() sees in the tarball.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [input, output, ref = 'image'] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: node scripts/export-base-image.mjs <docker-save.tar | oci-layout> <out.json> [ref]');
  process.exit(2);
}
const compiled = path.join(ROOT, 'dist/executor/base-image.js');
if (!fs.existsSync(compiled)) {
  console.error(`${path.relative(process.cwd(), compiled)} is missing: run \`npm run build\` first.`);
  process.exit(2);
}
const { loadBaseImage, imageToJson } = await import(pathToFileURL(compiled).href);
try {
  const image = await loadBaseImage(ref, input);
  const json = imageToJson(image);
  // One file per line keeps fixture diffs readable.
  const { files, ...head } = json;
  const body = JSON.stringify(head, null, 2).replace(/\n}$/, '');
  const lines = files.map((f) => `    ${JSON.stringify(f)}`).join(',\n');
  fs.writeFileSync(output, `${body},\n  "files": [\n${lines}\n  ]\n}\n`);
  console.log(`${output}: ${json.id}, ${json.layers} layer(s), ${files.length} paths`);
} catch (e) {
  const diags = e && Array.isArray(e.diagnostics) ? e.diagnostics : null;
  if (!diags) throw e;
  for (const d of diags) console.error(`${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`);
  process.exit(1);
}
