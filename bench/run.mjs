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

const bin = path.join(import.meta.dirname, '..', 'bin', 'dfsim.js');

/**
 * One command as a user runs it: wall time of the whole process (Node's start-up and module loading
 * included), and, from a second run through child.mjs, the time inside main() and the peak RSS.
 */
function runOnce(args) {
  return timed([bin, ...args]);
}

/** Wall time of `node ARGS`, its output taken in as a caller of the CLI would. */
function timed(nodeArgs) {
  const t = performance.now();
  const r = spawnSync(process.execPath, nodeArgs, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Math.round(performance.now() - t);
  if (r.status !== 0) throw new Error(`node ${nodeArgs.join(' ')} exited ${r.status}: ${r.stderr}`);
  return wall;
}

function inProcess(args) {
  const r = spawnSync(process.execPath, [path.join(import.meta.dirname, 'child.mjs'), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  return JSON.parse(r.stderr.trim().split('\n').pop());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function report(label, walls, detail) {
  const inside = detail ? `; inside main() ${detail.ms} ms; peak RSS ${detail.maxRssMB} MB` : '';
  console.log(`${label.padEnd(36)} ${String(median(walls)).padStart(6)} ms  (runs: ${walls.join(', ')}${inside})`);
  return median(walls);
}

function xxhsum() {
  if (spawnSync('which', ['xxhsum']).status !== 0) return null;
  const t = performance.now();
  execSync(`find . -type f -print0 | xargs -0 xxhsum -H1 > /dev/null`, { cwd: ctx, stdio: 'ignore' }); // it draws progress on stderr
  return Math.round(performance.now() - t);
}

makeContext();
const sizeMB = Math.round(Number(execSync(`du -sb ${ctx}`).toString().split('\t')[0]) / 1e6);
console.log(`context: ${FILES} files, ${sizeMB} MB (${ctx}); node ${process.version}, ${os.cpus().length} cores`);
execSync(`cat $(find ${ctx} -type f | head -1) > /dev/null; find ${ctx} -type f -print0 | xargs -0 cat > /dev/null`); // warm the page cache for a fair comparison
const xxRuns = [xxhsum(), xxhsum(), xxhsum()];
const xx = xxRuns[0] === null ? null : median(xxRuns);
console.log(`${'xxhsum -H1 over the same files'.padEnd(36)} ${xx === null ? '  n/a (apt-get install xxhash)' : `${String(xx).padStart(6)} ms  (runs: ${xxRuns.join(', ')})`}`);
const RUNS = 5;
const caches = [];
const fresh = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-bench-cache-'));
  caches.push(dir);
  return dir;
};
const coldArgs = () => ['build', ctx, '--cache-dir', fresh(), '--json'];
const cold = report('dfsim build, cold (empty cache)', Array.from({ length: RUNS }, () => runOnce(coldArgs())), inProcess(coldArgs()));
const warmCache = fresh();
const warmArgs = ['build', ctx, '--cache-dir', warmCache, '--json'];
runOnce(warmArgs);
// Without its kept output, a rerun goes through the whole pipeline (digests from the stat cache).
const noReplay = () => {
  fs.rmSync(path.join(warmCache, 'replay'), { recursive: true, force: true });
  return warmArgs;
};
const rerun = report('dfsim build, warm, whole pipeline', Array.from({ length: RUNS }, () => runOnce(noReplay())), inProcess(noReplay()));
// The run above found everything stored and kept its output: these check every input and replay it.
const warm = report('dfsim build, warm (nothing changed)', Array.from({ length: RUNS }, () => runOnce(warmArgs)), inProcess(warmArgs));
const help = report('dfsim --help (start-up alone)', Array.from({ length: RUNS }, () => runOnce(['--help'])));
// The yardstick for the warm figure: a bare Node program that only lists and lstats the context and
// prints output of the same size (bench/floor.mjs). A Node program that notices edits by stat does no less.
const outputFile = path.join(fresh(), 'output.json');
fs.writeFileSync(outputFile, spawnSync(process.execPath, [bin, ...warmArgs], { maxBuffer: 1 << 28 }).stdout);
const floor = report('floor: bare Node lstat walk + print', Array.from({ length: RUNS }, () => timed([path.join(import.meta.dirname, 'floor.mjs'), ctx, outputFile])));
const nodeAlone = report('node -e 0 (Node start-up alone)', Array.from({ length: RUNS }, () => timed(['-e', '0'])));
console.log(`medians of ${RUNS} runs, whole command wall time. cold / xxhsum = ${xx ? (cold / xx).toFixed(2) : 'n/a'}x (goal ≤ 3x); warm ${warm} ms (goal < 300 ms; floor ${floor} ms, Node alone ${nodeAlone} ms; the whole pipeline ${rerun} ms, dfsim start-up alone ${help} ms); peak RSS goal < 256 MB`);
for (const dir of caches) fs.rmSync(dir, { recursive: true, force: true });
