// Micro-benchmark of loadContext on a generated 30,000-file / ~260 MB context:
// a cold load (every file read and hashed), then warm loads reusing the stat cache.
// Usage: npm run build && node bench/context.mjs [--files N] [--keep]
// Each load runs in a child process so its peak RSS (maxRSS) is its own.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const distIndex = process.env.DFSIM_CONTEXT_MODULE ?? path.join(here, '..', 'dist', 'executor', 'context', 'index.js');

async function loadPhase(dir, cache) {
  const { loadContext } = await import(pathToFileURL(distIndex).href);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const ctx = await loadContext(dir, { statCachePath: cache });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // CPU time too: on a shared, loaded VM wall time alone is noisy.
  const cpu = process.cpuUsage(c0);
  let n = 0;
  for (const _ of ctx.entries()) n++;
  const maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ms: Math.round(ms), cpuMs: Math.round((cpu.user + cpu.system) / 1000), entries: n, ...ctx.stats, maxRssMiB: Math.round(maxRssMiB) }) + '\n');
}

function generate(dir, files) {
  // 99.75% small files (1–4 KiB) in 2,100 directories, 0.25% of 2.5 MiB files: about 260 MB for 30,000 files.
  const big = Math.max(1, Math.floor(files / 400));
  const chunk = Buffer.alloc(2.5 * 1024 * 1024);
  let seed = 12345;
  for (let i = 0; i < chunk.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    chunk[i] = seed & 0xff;
  }
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const sub = path.join(dir, `d${i % 300}`, `e${i % 7}`);
    fs.mkdirSync(sub, { recursive: true });
    const size = i < big ? chunk.length : 1024 + ((i * 37) % 3072);
    // Vary the first bytes so files differ.
    chunk.writeUInt32LE(i, 0);
    fs.writeFileSync(path.join(sub, `f${i}.bin`), chunk.subarray(0, size));
    bytes += size;
  }
  return bytes;
}

if (process.argv[2] === '--phase') {
  await loadPhase(process.argv[3], process.argv[4]);
} else {
  const filesArg = process.argv.indexOf('--files');
  const files = filesArg > 0 ? Number(process.argv[filesArg + 1]) : 30000;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-bench-ctx-'));
  const dir = path.join(work, 'ctx');
  const cache = path.join(work, 'stat-cache.json');
  const bytes = generate(dir, files);
  console.log(`context: ${files} files, ${(bytes / 1e6).toFixed(0)} MB`);
  const run = (label) => {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--phase', dir, cache], { encoding: 'utf8' });
    console.log(label.padEnd(6), out.trim());
  };
  run('cold');
  run('warm');
  run('warm');
  run('warm');
  if (!process.argv.includes('--keep')) fs.rmSync(work, { recursive: true, force: true });
}
