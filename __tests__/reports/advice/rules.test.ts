import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../../../src/simulate.js';
import { adviceFor, BB_LATEST, cleanup, codes, only, tempContext } from './helpers.js';
import { applyEdits, layOut, type Scenario } from '../../helpers/scenario.js';

const ORACLE = path.resolve('__tests__/fixtures/oracle');
const scenario = (name: string): Scenario => JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', `${name}.json`), 'utf8')) as Scenario;
const recorded = (name: string) =>
  JSON.parse(fs.readFileSync(path.join(ORACLE, 'buildkit', `${name}.json`), 'utf8')) as { builds: Array<{ steps: Array<{ instruction: string; cached: boolean }> }> };

afterEach(cleanup);

describe('DF5001 COPY of a whole directory before a dependency install', () => {
  test('COPY . . before npm ci names package.json and the lockfile in the fix', async () => {
    const dir = tempContext({
      Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]\n',
      'package.json': '{}\n',
      'package-lock.json': '{}\n',
      'index.js': 'console.log(1)\n',
      '.dockerignore': 'Dockerfile\n.dockerignore\n',
    });
    const f = only(await adviceFor(dir), 'DF5001');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start).toEqual({ line: 3, column: 1 });
    expect(f[0]!.message).toContain('`npm ci` (line 4)');
    expect(f[0]!.fix).toContain('`COPY package.json package-lock.json ./`');
  });

  test('manifests first, install, then the rest: no finding (samples/bb-deps-first pattern)', async () => {
    const dir = tempContext({
      Dockerfile: 'FROM node:20\nWORKDIR /app\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\n',
      'package.json': '{}\n',
      'package-lock.json': '{}\n',
    });
    expect(only(await adviceFor(dir), 'DF5001')).toEqual([]);
  });

  test('pip install -r names the requirements file; a COPY of one file is not broad', async () => {
    const dir = tempContext({
      Dockerfile: 'FROM python:3.12\nCOPY app/ /src/\nRUN pip install --no-cache-dir -r /src/requirements.txt\n',
      'app/requirements.txt': 'flask\n',
      'app/main.py': 'print(1)\n',
    });
    const f = only(await adviceFor(dir), 'DF5001');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('`pip install -r` (line 3)');
    const narrow = tempContext({ Dockerfile: 'FROM python:3.12\nCOPY requirements.txt /src/\nRUN pip install -r /src/requirements.txt\n', 'requirements.txt': 'flask\n' });
    expect(only(await adviceFor(narrow), 'DF5001')).toEqual([]);
  });

  test('an install in a stage built FROM a stage that copied everything is reported at that COPY', async () => {
    const dir = tempContext({
      Dockerfile: 'FROM golang:1.22 AS src\nWORKDIR /w\nCOPY . .\nFROM src AS deps\nRUN go mod download\n',
      'go.mod': 'module x\n',
      'go.sum': '',
      'main.go': 'package main\n',
    });
    const f = only(await adviceFor(dir), 'DF5001');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start.line).toBe(3);
    expect(f[0]!.fix).toContain('`COPY go.mod go.sum ./`');
  });
});

describe('DF5002 Dockerfile or .dockerignore copied by COPY', () => {
  test('oracle cache-dockerfile-in-context: the real builder missed COPY . /ctx after a comment edit; we flag that COPY', async () => {
    const s = scenario('cache-dockerfile-in-context');
    const real = recorded('cache-dockerfile-in-context').builds[1]!.steps.find((x) => x.instruction === 'COPY . /ctx')!;
    expect(real.cached).toBe(false);
    const dir = tempContext({});
    layOut(dir, s);
    const f = only(await adviceFor(dir), 'DF5002');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start.line).toBe(4);
    expect(f[0]!.fix).toContain('`Dockerfile` and `.dockerignore` to .dockerignore');
    expect(f[0]!.message).toContain('copies the Dockerfile:');
  });

  test('oracle cache-dockerfile-ignored: the real builder kept COPY . /ctx cached; no finding', async () => {
    const s = scenario('cache-dockerfile-ignored');
    expect(recorded('cache-dockerfile-ignored').builds[1]!.steps.find((x) => x.instruction === 'COPY . /ctx')!.cached).toBe(true);
    const dir = tempContext({});
    layOut(dir, s);
    expect(only(await adviceFor(dir), 'DF5002')).toEqual([]);
  });

  test('a .dockerignore that does not list itself is flagged too', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nCOPY . /ctx\n', '.dockerignore': 'Dockerfile\n', 'a.txt': 'a\n' });
    const f = only(await adviceFor(dir), 'DF5002');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('.dockerignore');
    expect(f[0]!.message).not.toContain('the Dockerfile');
  });
});

describe('DF5003 ARG with a value before expensive RUNs', () => {
  test('ARG V=1 before an unrelated install RUN is flagged, with its first use as the new place', async () => {
    // The premise, checked with the real builder (cache-arg-default-change): changing the default misses an unrelated RUN.
    const real = recorded('cache-arg-default-change').builds[1]!.steps;
    expect(real.find((x) => x.instruction.startsWith('RUN'))!.cached).toBe(false);
    const dir = tempContext({ Dockerfile: 'FROM node:20\nARG VERSION=1.2\nCOPY package.json ./\nRUN npm ci\nRUN echo $VERSION > /version\n', 'package.json': '{}\n' });
    const f = only(await adviceFor(dir), 'DF5003');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start.line).toBe(2);
    expect(f[0]!.message).toContain('line 4');
    expect(f[0]!.fix).toContain('first use (line 5)');
  });

  test('no finding when the ARG has no value, when the expensive RUN uses it, or when the RUN is cheap', async () => {
    const noValue = tempContext({ Dockerfile: 'FROM node:20\nARG VERSION\nRUN npm ci\n' });
    expect(only(await adviceFor(noValue), 'DF5003')).toEqual([]);
    const used = tempContext({ Dockerfile: 'FROM node:20\nARG VERSION=1\nRUN npm ci && echo ${VERSION}\n' });
    expect(only(await adviceFor(used), 'DF5003')).toEqual([]);
    const cheap = tempContext({ Dockerfile: 'FROM bb:latest\nARG V=1\nRUN echo unrelated > /u\n' });
    expect(only(await adviceFor(cheap), 'DF5003')).toEqual([]);
  });

  test('a --build-arg value for an ARG without default counts (it joins the env)', async () => {
    const dir = tempContext({ Dockerfile: 'FROM debian:12\nARG BUILD_ID\nRUN apt-get update && apt-get install -y curl\n' });
    expect(only(await adviceFor(dir), 'DF5003')).toEqual([]);
    const f = only(await adviceFor(dir, { buildArgs: new Map([['BUILD_ID', '42']]) }), 'DF5003');
    expect(f).toHaveLength(1);
    expect(f[0]!.fix).toContain('Nothing in this stage mentions $BUILD_ID');
  });
});

describe('DF5004 RUN whitespace-only change', () => {
  test('oracle cache-run-continuation: re-indenting the continuation missed in the real builder; flagged against the store', async () => {
    const s = scenario('cache-run-continuation');
    // builds: 0 initial (2 spaces), 1 comment line (hit), 2 four-space indent (miss)
    const real = recorded('cache-run-continuation').builds;
    expect(real[1]!.steps.find((x) => x.instruction.startsWith('RUN'))!.cached).toBe(true);
    expect(real[2]!.steps.find((x) => x.instruction.startsWith('RUN'))!.cached).toBe(false);
    const dir = tempContext({});
    layOut(dir, s);
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-advice-store-'));
    try {
      await simulate({ context: dir, cacheDir, record: true, baseImages: new Map([['bb:latest', BB_LATEST]]) });
      applyEdits(dir, s.builds[1]!, 1);
      expect(only(await adviceFor(dir, { cacheDir }), 'DF5004')).toEqual([]);
      applyEdits(dir, s.builds[2]!, 2);
      const f = only(await adviceFor(dir, { cacheDir }), 'DF5004');
      expect(f).toHaveLength(1);
      expect(f[0]!.range!.start.line).toBe(2);
      expect(f[0]!.message).toContain('recorded build');
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('a real command change is not a whitespace change', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nRUN echo a > /x\n' });
    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-advice-store-'));
    try {
      await simulate({ context: dir, cacheDir, record: true, baseImages: new Map([['bb:latest', BB_LATEST]]) });
      fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nRUN echo b > /x\n');
      expect(only(await adviceFor(dir, { cacheDir }), 'DF5004')).toEqual([]);
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });

  test('against git HEAD: a re-indented continuation line is flagged, an unchanged file is not', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nRUN echo a \\\n  b > /x\n' });
    gitInit(dir);
    expect(only(await adviceFor(dir), 'DF5004')).toEqual([]);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nRUN echo a \\\n    b > /x\n');
    const f = only(await adviceFor(dir), 'DF5004');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('git HEAD');
  });
});

describe('DF5005 apt-get update alone', () => {
  test('flagged alone, with the later install named; not flagged when chained', async () => {
    const alone = tempContext({ Dockerfile: 'FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\n' });
    const f = only(await adviceFor(alone), 'DF5005');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start.line).toBe(2);
    expect(f[0]!.message).toContain('line 3');
    const chained = tempContext({ Dockerfile: 'FROM debian:12\nRUN apt-get update && \\\n    apt-get install -y curl\n' });
    expect(only(await adviceFor(chained), 'DF5005')).toEqual([]);
  });
});

function gitInit(dir: string): void {
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, stdio: 'ignore' });
  git('init', '-q');
  git('config', 'core.fileMode', 'true');
  git('add', '-A');
  git('commit', '-q', '-m', 'init');
}

describe('DF5006 mode drift against git', () => {
  test('a file committed 644 and chmod 755 on disk is flagged at its COPY', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nCOPY run.sh /run.sh\nCOPY data.txt /data.txt\n', 'run.sh': 'echo hi\n', 'data.txt': 'd\n' });
    gitInit(dir);
    expect(only(await adviceFor(dir), 'DF5006')).toEqual([]);
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    const f = only(await adviceFor(dir), 'DF5006');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start.line).toBe(2);
    expect(f[0]!.message).toContain('run.sh (0755 on disk, a checkout gives 0644)');
    expect(f[0]!.fix).toContain('git update-index --chmod=+x run.sh');
  });

  test('group-writable files from a umask 002 checkout are flagged', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nCOPY . /src\n', 'a.txt': 'a\n', '.dockerignore': 'Dockerfile\n.dockerignore\n' });
    gitInit(dir);
    fs.chmodSync(path.join(dir, 'a.txt'), 0o664);
    const f = only(await adviceFor(dir), 'DF5006');
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain('a.txt (0664 on disk, a checkout gives 0644)');
  });

  test('outside a git work tree the rule is silent', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nCOPY run.sh /run.sh\n', 'run.sh': 'echo hi\n' }, { 'run.sh': 0o775 });
    // os.tmpdir() is not inside a work tree on this machine; make sure of it
    let inside = true;
    try {
      execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, stdio: 'ignore' });
    } catch {
      inside = false;
    }
    expect(inside).toBe(false);
    expect(only(await adviceFor(dir), 'DF5006')).toEqual([]);
  });
});

describe('DF5007 COPY --link with --chmod', () => {
  test('flagged with --chmod; plain --link is fine', async () => {
    const dir = tempContext({ Dockerfile: '# syntax=docker/dockerfile:1\nFROM bb:latest\nCOPY --link --chmod=755 a.sh /a.sh\nCOPY --link b.txt /b.txt\n', 'a.sh': 'x\n', 'b.txt': 'y\n' });
    const f = only(await adviceFor(dir), 'DF5007');
    expect(f).toHaveLength(1);
    expect(f[0]!.range!.start.line).toBe(3);
  });
});

describe('DF5008 ADD of a local non-archive file', () => {
  test('info for a plain file; nothing for a tarball, a URL or a COPY', async () => {
    const dir = tempContext({ Dockerfile: 'FROM bb:latest\nADD conf.txt /etc/conf.txt\nADD https://example.com/x.txt /x.txt\nCOPY conf.txt /c\n', 'conf.txt': 'c\n' });
    const f = only(await adviceFor(dir), 'DF5008');
    expect(f).toHaveLength(1);
    expect(f[0]!.severity).toBe('info');
    expect(f[0]!.range!.start.line).toBe(2);
    expect(f[0]!.fix).toContain('`COPY conf.txt /etc/conf.txt`');
    const tarDir = tempContext({ Dockerfile: 'FROM bb:latest\nADD files.tar /opt/\n' });
    execFileSync('tar', ['-cf', path.join(tarDir, 'files.tar'), '-C', tarDir, 'Dockerfile']);
    expect(only(await adviceFor(tarDir), 'DF5008')).toEqual([]);
  });
});

describe('DF5009 layer count', () => {
  // bb:latest has 1 layer; each RUN adds one (research: layer-count corollary)
  const runs = (n: number) => `FROM bb:latest\n${'RUN true\n'.repeat(n)}`;
  test('101 layers warn, 100 do not', async () => {
    const over = await adviceFor(tempContext({ Dockerfile: runs(100) }));
    expect(over.sim.result.image!.layers).toBe(101);
    expect(codes(over)).toContain('DF5009');
    const at = await adviceFor(tempContext({ Dockerfile: runs(99) }));
    expect(at.sim.result.image!.layers).toBe(100);
    expect(codes(at)).not.toContain('DF5009');
  });
});

describe('whole-sample sanity', () => {
  test('samples/bb-deps-first: the deps-first pattern gets no DF5001', async () => {
    const advice = await adviceFor(path.resolve('samples/bb-deps-first'));
    expect(only(advice, 'DF5001')).toEqual([]);
  });

  test('samples/rust-cargo: the real `cargo build` after a stub dependency build is not DF5001', async () => {
    expect(only(await adviceFor(path.resolve('samples/rust-cargo')), 'DF5001')).toEqual([]);
    const noStub = tempContext({ Dockerfile: 'FROM rust:1\nWORKDIR /w\nCOPY . .\nRUN cargo build --release\n', 'Cargo.toml': '[package]\n', 'Cargo.lock': '' });
    expect(only(await adviceFor(noStub), 'DF5001')).toHaveLength(1);
  });
});
