import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import { RULES } from '../../src/reports/advice/registry.js';

const BB = path.resolve('__tests__/fixtures/images/bb-latest.json');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function context(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-advice-cli-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-advice-cli-cache-'));
  dirs.push(cacheDir);
  let out = '';
  let err = '';
  const code = await main(['advice', ...args, '--cache-dir', cacheDir, '--base-image', `bb:latest=${BB}`], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} });
  return { code, out, err };
}

// DF5001 (COPY . . before npm ci), DF5002 (Dockerfile copied), DF5005 (apt-get update alone), DF5008 (ADD of a plain file)
const FOOTGUNS = {
  Dockerfile: 'FROM node:20\nWORKDIR /app\nRUN apt-get update\nCOPY . .\nRUN npm ci\nADD conf.txt /etc/conf.txt\n',
  'package.json': '{}\n',
  'package-lock.json': '{}\n',
  'conf.txt': 'c\n',
};

describe('dfsim advice', () => {
  test('text: file:line:col, severity, code, message and fix per finding, sorted by line, and a count', async () => {
    const dir = context(FOOTGUNS);
    const r = await run([dir]);
    expect(r.code).toBe(0);
    const heads = r.out.split('\n').filter((l) => /^\S+:\d+:\d+: /.test(l));
    const rel = path.relative(process.cwd(), path.join(dir, 'Dockerfile'));
    expect(heads.map((l) => l.replace(/: [^:]*$/, '').split(': ').slice(0, 2).join(': '))).toEqual([
      `${rel}:3:1: warning DF5005`,
      `${rel}:4:1: warning DF5001`,
      `${rel}:4:1: warning DF5002`,
      `${rel}:6:1: info DF5008`,
    ]);
    expect(r.out.match(/^ {2}fix: /gm)).toHaveLength(4);
    expect(r.out).toContain('4 findings: 3 warnings, 1 info');
  });

  test('--json and --format json: stable records, summary by severity', async () => {
    const dir = context(FOOTGUNS);
    const a = await run([dir, '--json']);
    const b = await run([dir, '--format', 'json']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    const j = JSON.parse(a.out) as { ok: boolean; findings: Array<Record<string, unknown>>; summary: Record<string, number> };
    expect(j.ok).toBe(true);
    expect(j.summary).toEqual({ error: 0, warning: 3, info: 1 });
    expect(j.findings[1]).toMatchObject({ code: 'DF5001', rule: 'copy-before-install', severity: 'warning', line: 4, column: 1 });
    expect(typeof j.findings[1]!.fix).toBe('string');
    expect(a.out).not.toContain(`"${dir}`); // paths are relative to the working directory, never absolute
  });

  test('--format sarif: a valid SARIF 2.1.0 log with rules and located results', async () => {
    const dir = context(FOOTGUNS);
    const r = await run([dir, '--format', 'sarif']);
    expect(r.code).toBe(0);
    const log = JSON.parse(r.out);
    expect(log.version).toBe('2.1.0');
    expect(typeof log.$schema).toBe('string');
    expect(log.runs).toHaveLength(1);
    const runObj = log.runs[0];
    expect(runObj.tool.driver.name).toBe('dfsim');
    const ids = runObj.tool.driver.rules.map((x: { id: string }) => x.id);
    expect(ids).toEqual(RULES.map((x) => x.code));
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of runObj.tool.driver.rules) {
      expect(rule.id).toMatch(/^DF50\d\d$/);
      expect(typeof rule.shortDescription.text).toBe('string');
      expect(['error', 'warning', 'note']).toContain(rule.defaultConfiguration.level);
    }
    expect(runObj.results).toHaveLength(4);
    const rel = path.relative(process.cwd(), path.join(dir, 'Dockerfile')).split(path.sep).join('/');
    for (const res of runObj.results) {
      expect(ids).toContain(res.ruleId);
      expect(ids[res.ruleIndex]).toBe(res.ruleId);
      expect(['error', 'warning', 'note']).toContain(res.level);
      expect(typeof res.message.text).toBe('string');
      expect(res.message.text.length).toBeGreaterThan(0);
      const loc = res.locations[0].physicalLocation;
      expect(loc.artifactLocation.uri).toBe(rel);
      expect(Number.isInteger(loc.region.startLine) && loc.region.startLine >= 1).toBe(true);
      expect(Number.isInteger(loc.region.startColumn) && loc.region.startColumn >= 1).toBe(true);
    }
    expect(runObj.results.find((x: { ruleId: string }) => x.ruleId === 'DF5008').level).toBe('note');
  });

  test('--fail-on: exit 1 when a finding reaches the threshold, 0 otherwise', async () => {
    const info = context({ Dockerfile: 'FROM bb:latest\nADD conf.txt /c\n', 'conf.txt': 'c\n', '.dockerignore': 'Dockerfile\n.dockerignore\n' });
    expect((await run([info, '--fail-on', 'warning'])).code).toBe(0);
    expect((await run([info, '--fail-on', 'info'])).code).toBe(1);
  });

  test('a clean Dockerfile: no findings, exit 0', async () => {
    const dir = context({ Dockerfile: 'FROM bb:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b\n', 'a.txt': 'a\n' });
    const r = await run([dir, '--fail-on', 'info']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('no cache advice');
  });

  test('a failing simulated build exits 1 and says where it stopped', async () => {
    const dir = context({ Dockerfile: 'FROM bb:latest\nCOPY missing.txt /m\n' });
    const r = await run([dir]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/:2:1: error DF\d{4}/);
  });

  test('usage errors exit 2', async () => {
    const dir = context({ Dockerfile: 'FROM bb:latest\n' });
    expect((await run([dir, '--format', 'xml'])).code).toBe(2);
  });
});
