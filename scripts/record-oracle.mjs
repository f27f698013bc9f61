#!/usr/bin/env node
// Records ground truth from a real Docker 20.10 daemon for every scenario in
// __tests__/fixtures/oracle/scenarios/*.json, once with BuildKit and once with
// the classic builder, into __tests__/fixtures/oracle/{buildkit,classic}/.
//
//   node scripts/record-oracle.mjs                 # every scenario
//   node scripts/record-oracle.mjs name1 name2     # only these
//   node scripts/record-oracle.mjs --buildkit-only|--classic-only [names]
//
// Run by hand only (needs the daemon from /work/shared/oracle/start-dockerd.sh;
// DOCKER_HOST overrides the socket). Each scenario starts from an empty build
// cache, so nothing else may use the same daemon meanwhile.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { layOut, applyEdits } from '/work/shared/oracle/scenario.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIX = path.join(ROOT, '__tests__/fixtures/oracle');
const DOCKER = '/usr/bin/docker';
const HOST = process.env.DOCKER_HOST || 'unix:///tmp/oracle-dockerd/docker.sock';
const TAG = 'oracle-scenario:latest';

function dock(classic, args, opts = {}) {
  const env = { ...process.env, DOCKER_HOST: HOST, DOCKER_BUILDKIT: classic ? '0' : '1' };
  return spawnSync(DOCKER, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

// Stage labels in Dockerfile order ("name" or "stage-N", as BuildKit prints
// them) and how many stages use each base, from a deliberately small parse:
// good enough to order steps, not a Dockerfile parser.
function stagesOf(dockerfile) {
  const labels = []; const bases = new Map();
  const lines = dockerfile.replace(/\r/g, '').split('\n');
  for (const line of lines) {
    const m = line.match(/^\s*from\s+(?:--\S+\s+)*(\S+)(?:\s+as\s+(\S+))?/i);
    if (!m) continue;
    labels.push(m[2] ? m[2].toLowerCase() : `stage-${labels.length}`);
    const base = m[1].toLowerCase().replace(/^docker\.io\/library\//, '');
    bases.set(base, (bases.get(base) ?? 0) + 1);
  }
  return { labels, bases };
}

function parseBuildkit(out, dockerfile) {
  const names = new Map(); const cached = new Set(); const order = []; let errorId = null;
  for (const line of out.split('\n')) {
    let m = line.match(/^#(\d+) \[([^\]]+)\] (.*)$/);
    if (m) { if (!names.has(m[1])) { names.set(m[1], [m[2], m[3]]); order.push(m[1]); } continue; }
    m = line.match(/^#(\d+) CACHED$/); if (m) { cached.add(m[1]); continue; }
    m = line.match(/^#(\d+) ERROR:/); if (m && errorId === null) errorId = m[1];
  }
  const { labels, bases } = stagesOf(dockerfile);
  const steps = [];
  for (const id of order) {
    const [label, instruction] = names.get(id);
    // BuildKit pads the step number when a stage has 10 or more steps: `[build  1/12]`, `[ 1/12]`.
    const lm = label.trim().match(/^(?:(\S+)\s+)?(\d+)\/(\d+)$/);
    if (!lm) continue;
    const step = { stage: lm[1] ?? null, index: +lm[2], total: +lm[3], instruction, cached: cached.has(id) };
    // BuildKit merges identical FROM vertices of several stages into one and
    // labels it with whichever stage it saw first (varies run to run).
    const fm = instruction.match(/^FROM (\S+)/);
    if (fm && (bases.get(fm[1].replace(/^docker\.io\/library\//, '')) ?? 0) > 1) { step.stage = null; step.total = null; step.shared = true; }
    steps.push(step);
  }
  const rank = (s) => (s.stage === null ? -1 : labels.indexOf(s.stage));
  steps.sort((a, b) => rank(a) - rank(b) || a.index - b.index || a.instruction.localeCompare(b.instruction));
  let failedStep = null;
  if (errorId !== null) {
    const [label, instruction] = names.get(errorId) ?? ['internal', ''];
    if (label !== 'internal') failedStep = instruction;
  }
  return { steps, failedStep };
}

function parseClassic(out) {
  const steps = []; let cur = null;
  for (const line of out.split('\n')) {
    const m = line.match(/^Step (\d+)\/(\d+) : (.*)$/);
    if (m) { cur = { stage: null, index: +m[1], total: +m[2], instruction: m[3], cached: false }; steps.push(cur); continue; }
    if (cur && /^ ---> Using cache$/.test(line)) cur.cached = true;
  }
  return { steps, failedStep: cur ? cur.instruction : null };
}

// The last meaningful line of the client's output, without this machine's
// paths, random IDs or colour codes.
function cleanError(out, ctxDir) {
  const lines = out.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
  let msg = lines[lines.length - 1] ?? '';
  msg = msg.split(ctxDir).join('<context>')
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\/(?:tmp|var\/lib\/docker|run)\/[^\s:"']*/g, '<path>')
    .replace(/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, '<ip>')
    .replace(/\b[0-9a-f]{12,64}\b/g, '<id>')
    .replace(/\b\d+(?:\.\d+)?(?:ms|s)\b/g, '<t>');
  return msg.length > 300 ? `${msg.slice(0, 297)}...` : msg;
}

function cleanHistory(line) {
  return line.replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>');
}

function runScenario(scen, classic) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'oracle-rec-'));
  layOut(dir, scen);
  dock(classic, ['builder', 'prune', '-af']);
  dock(classic, ['rmi', '-f', TAG]);
  const dangling = () => dock(classic, ['images', '-aq', '--filter', 'dangling=true']).stdout.trim().split(/\s+/).filter(Boolean);
  // The classic builder's cache is the set of images on the daemon.
  for (let i = 0; i < 3; i++) { const ids = dangling(); if (!ids.length) break; dock(classic, ['rmi', '-f', ...ids]); }
  const builds = [];
  for (const [bi, b] of scen.builds.entries()) {
    // scenario.mjs makes its temp dir next to the archive before creating
    // the archive's parent directory, so create it first.
    for (const rel of Object.keys(b.tar || {})) fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    applyEdits(dir, b, bi);
    const a = ['build', '--network=none', '-t', TAG];
    if (!classic) a.push('--progress=plain');
    for (const [k, v] of Object.entries(b.buildArgs || {})) a.push('--build-arg', `${k}=${v}`);
    if (b.target) a.push('--target', b.target);
    if (b.noCache) a.push('--no-cache');
    if (b.dockerfile) a.push('-f', b.dockerfile);
    a.push('.');
    const r = dock(classic, a, { cwd: dir });
    const out = (r.stdout || '') + (r.stderr || '');
    const dfPath = path.join(dir, b.dockerfile || 'Dockerfile');
    const dockerfile = fs.existsSync(dfPath) && fs.statSync(dfPath).isFile() ? fs.readFileSync(dfPath, 'utf8') : '';
    const { steps, failedStep } = classic ? parseClassic(out) : parseBuildkit(out, dockerfile);
    const res = { label: b.label ?? `build ${bi + 1}`, ok: r.status === 0 };
    if (r.status !== 0) { res.error = cleanError(r.stderr || out, dir); res.failedStep = failedStep; }
    res.steps = steps;
    if (r.status === 0) {
      res.layers = +dock(classic, ['image', 'inspect', TAG, '--format', '{{len .RootFS.Layers}}']).stdout.trim();
      const h = dock(classic, ['history', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', TAG]);
      res.history = h.stdout.replace(/\n+$/, '').split('\n').reverse().map(cleanHistory);
    }
    builds.push(res);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { name: scen.name, builder: classic ? 'classic' : 'buildkit', builds };
}

const argv = process.argv.slice(2);
const only = argv.filter((x) => !x.startsWith('--'));
const builders = argv.includes('--buildkit-only') ? [false] : argv.includes('--classic-only') ? [true] : [false, true];
const scenDir = path.join(FIX, 'scenarios');
const names = (only.length ? only : fs.readdirSync(scenDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))).sort();
for (const name of names) {
  const scen = JSON.parse(fs.readFileSync(path.join(scenDir, `${name}.json`), 'utf8'));
  if (scen.name !== name) throw new Error(`${name}.json: name is ${scen.name}`);
  for (const classic of builders) {
    let res;
    try { res = runScenario(scen, classic); } catch (e) { console.error(`${name}: ${e.message}`); process.exitCode = 1; continue; }
    const outDir = path.join(FIX, classic ? 'classic' : 'buildkit');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, `${name}.json`), `${JSON.stringify(res, null, 2)}\n`);
    const summary = res.builds.map((b) => (b.ok ? b.steps.map((s) => (s.cached ? 'C' : '.')).join('') : `ERR(${b.failedStep ?? '-'})`)).join(' ');
    console.log(`${classic ? 'classic ' : 'buildkit'} ${name}: ${summary}`);
  }
}
