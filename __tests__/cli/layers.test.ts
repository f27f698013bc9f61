import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';

const images = path.join(process.cwd(), '__tests__/fixtures/images');
let tmp: string;
let ctx: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-cli-layers-'));
  ctx = path.join(tmp, 'ctx');
  fs.mkdirSync(ctx);
  // 5000 bytes copied then removed: wasted 5000, user bytes 5000 (checked against the real build
  // in __tests__/reports/layers.test.ts).
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), 'FROM bb:latest\nCOPY big.bin /big.bin\nRUN rm /big.bin\n');
  fs.writeFileSync(path.join(ctx, 'big.bin'), 'a'.repeat(5000));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['layers', ctx, '--base-image', `bb:latest=${path.join(images, 'bb-latest.json')}`, '--cache-dir', path.join(tmp, 'cache'), ...args], {
    out: (s) => (out += s),
    err: (s) => (err += s),
    isTTY: false,
    env: {},
  });
  return { code, out, err };
}

test('no thresholds: exit 0, the layers and measures', async () => {
  const r = await cli();
  expect(r.code).toBe(0);
  expect(r.out).toContain('- /big.bin  (whiteout /.wh.big.bin)');
  expect(r.out).toContain('wasted bytes:        5.00kB (5000 B)');
  expect(r.out).not.toMatch(/PASS|FAIL/);
});

test('a breached gate exits 1 with a FAIL line per breached rule', async () => {
  const r = await cli('--max-wasted-bytes', '1kB', '--min-efficiency', '0.5', '--max-user-wasted-percent', '0.5');
  expect(r.code).toBe(1);
  expect(r.out).toContain('FAIL highestWastedBytes: 5.00kB > 1.00kB');
  expect(r.out).toContain('FAIL highestUserWastedPercent: 1.0000 > 0.5');
  expect(r.out).toMatch(/PASS lowestEfficiency: 0\.99\d\d >= 0\.5/);
});

test('thresholds met: exit 0 with PASS lines', async () => {
  const r = await cli('--max-wasted-bytes', '5000', '--max-user-wasted-percent', '1');
  expect(r.code).toBe(0);
  expect(r.out).toContain('PASS highestWastedBytes: 5.00kB <= 5.00kB');
  expect(r.out).toContain('PASS highestUserWastedPercent: 1.0000 <= 1');
});

test('--json names the rules with .dive-ci keys', async () => {
  const r = await cli('--json', '--max-wasted-bytes', '4KiB');
  expect(r.code).toBe(1);
  const j = JSON.parse(r.out);
  expect(j.wastedBytes).toBe(5000);
  expect(j.userWastedPercent).toBe(1);
  expect(j.rules).toEqual({ highestWastedBytes: { threshold: 4096, actual: 5000, status: 'fail' } });
  expect(j.pass).toBe(false);
  expect(j.layers.map((l: { instruction: string }) => l.instruction)).toEqual(['COPY big.bin /big.bin', 'RUN rm /big.bin']);
  expect(r.out).not.toContain(tmp);
});

test('bad thresholds are usage errors (exit 2)', async () => {
  expect((await cli('--min-efficiency', '1.5')).code).toBe(2);
  expect((await cli('--max-user-wasted-percent', 'lots')).code).toBe(2);
  const r = await cli('--max-wasted-bytes', 'huge');
  expect(r.code).toBe(2);
  expect(r.err).toContain('invalid --max-wasted-bytes');
});

test('a failing build exits 1 and still lists the layers before it', async () => {
  const bad = path.join(tmp, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'Dockerfile'), 'FROM bb:latest\nRUN echo hi > /hi\nCOPY missing.txt /m\n');
  let out = '';
  const code = await main(['layers', bad, '--base-image', `bb:latest=${path.join(images, 'bb-latest.json')}`, '--cache-dir', path.join(tmp, 'cache')], { out: (s) => (out += s), err: () => {}, isTTY: false, env: {} });
  expect(code).toBe(1);
  expect(out).toContain('RUN echo hi > /hi');
  expect(out).toContain('error:');
});
