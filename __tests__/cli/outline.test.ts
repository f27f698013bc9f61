import path from 'node:path';
import { main } from '../../src/cli/main.js';

const images = path.join(process.cwd(), '__tests__/fixtures/images');
const base = ['--base-image', `bb:latest=${path.join(images, 'bb-latest.json')}`, '--base-image', `bb:v2=${path.join(images, 'bb-v2.json')}`];

async function cli(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(['outline', ...args, ...base], { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} });
  return { code, out, err };
}

test('--format mermaid: a node per stage, edges labelled FROM and COPY --from', async () => {
  const r = await cli('samples/bb-cross-stage', '--format', 'mermaid');
  expect(r.code).toBe(0);
  expect(r.out.split('\n')).toEqual([
    'graph TD',
    '  s0["0: config<br/>FROM bb:latest"]',
    '  s1["1: stage-1<br/>FROM bb:v2"]',
    '  s2["2: runtime<br/>FROM stage config"]',
    '  s3["3: unused<br/>FROM bb:latest"]',
    '  s4["4: stage-4<br/>FROM stage runtime"]',
    '  s0 -->|FROM| s2',
    '  s2 -->|FROM| s4',
    '  s1 -->|COPY --from| s2',
    '  s0 -->|COPY --from| s2',
    '',
  ]);
});

test('--format dot', async () => {
  const r = await cli('samples/bb-cross-stage', '--format', 'dot');
  expect(r.out.startsWith('digraph stages {\n')).toBe(true);
  expect(r.out).toContain('  s2 -> s4 [label="FROM"];');
});

test('--json: deterministic, no absolute paths, ARG impacts', async () => {
  const a = await cli('samples/bb-args', '--json');
  const b = await cli('samples/bb-args', '--format', 'json');
  expect(a.code).toBe(0);
  expect(a.out).toBe(b.out);
  expect(a.out).not.toContain(process.cwd());
  const j = JSON.parse(a.out);
  expect(j.args.map((x: { name: string }) => x.name)).toEqual(['BASE_TAG', 'GREETING', 'TARGET_USER', 'MODE']);
  expect(j.file).toBe('samples/bb-args/Dockerfile');
});

test('text, --no-impacts, and a bad --format', async () => {
  const r = await cli('samples/bb-args', '--no-impacts');
  expect(r.code).toBe(0);
  expect(r.out).toContain('targets: base; default stage-1; building stage-1');
  expect(r.out).not.toContain('invalidates');
  expect((await cli('samples/bb-args', '--format', 'yaml')).code).toBe(2);
});
