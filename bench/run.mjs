// `npm run bench`: speed and memory of dfsim on a 30,000-file / ~260 MB context, side by side with
// xxhsum reading the same files. Numbers go to stdout; nothing here asserts (this VM is noisy).
import { execSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FILES = Number(process.env.BENCH_FILES ?? 30000);
const TOTAL_MB = Number(process.env.BENCH_MB ?? 260);
const root = path.join(os.tmpdir(), `dfsim-bench-${FILES}-${TOTAL_MB}`);
const ctx = path.join(root, 'ctx');

function makeContext() {
  if (fs.existsSync(path.join(root, '.done'))) return;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(ctx, { recursive: true });
  const avg = Math.floor((TOTAL_MB * 1e6) / FILES);
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const block = Buffer.alloc(avg * 2);
  for (let i = 0; i < block.length; i++) block[i] = Math.floor(rand() * 256);
  for (let i = 0; i < FILES; i++) {
    const dir = path.join(ctx, `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) fs.mkdirSync(dir, { recursive: true });
    const size = Math.floor(avg * (0.5 + rand()));
    const off = Math.floor(rand() * (block.length - size));
    const buf = Buffer.from(block.subarray(off, off + size));
    buf.writeUInt32LE(i, 0); // every file distinct
    fs.writeFileSync(path.join(dir, `f${i}.bin`), buf);
  }
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY . /app\n');
  fs.writeFileSync(path.join(root, '.done'), '');
}

function run(label, args) {
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'child.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const line = r.stderr.trim().split('\n').pop();
  const res = JSON.parse(line);
  console.log(`${label.padEnd(34)} ${String(res.ms).padStart(6)} ms   peak RSS ${String(res.maxRssMB).padStart(4)} MB   exit ${res.code}`);
  return res;
}

function xxhsum() {
  if (spawnSync('which', ['xxhsum']).status !== 0) return null;
  const t = performance.now();
  execSync(`find . -type f -print0 | xargs -0 xxhsum -H1 > /dev/null`, { cwd: ctx });
  return Math.round(performance.now() - t);
}

makeContext();
const sizeMB = Math.round(Number(execSync(`du -sb ${ctx}`).toString().split('\t')[0]) / 1e6);
console.log(`context: ${FILES} files, ${sizeMB} MB (${ctx}); node ${process.version}, ${os.cpus().length} cores`);
execSync(`cat $(find ${ctx} -type f | head -1) > /dev/null; find ${ctx} -type f -print0 | xargs -0 cat > /dev/null`); // warm the page cache for a fair comparison
const xx = xxhsum();
console.log(`${'xxhsum -H1 over the same files'.padEnd(34)} ${xx === null ? '  n/a (apt-get install xxhash)' : `${String(xx).padStart(6)} ms`}`);
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-bench-cache-'));
const cold = run('dfsim build (cold: empty cache)', ['build', ctx, '--cache-dir', cache, '--json']);
const warm = run('dfsim build (warm: nothing changed)', ['build', ctx, '--cache-dir', cache, '--json']);
if (xx) console.log(`cold / xxhsum = ${(cold.ms / xx).toFixed(2)}x (goal ≤ 3x); warm goal < 300 ms; peak RSS goal < 256 MB`);
else console.log(`warm goal < 300 ms; peak RSS goal < 256 MB`);
void warm;
fs.rmSync(cache, { recursive: true, force: true });
