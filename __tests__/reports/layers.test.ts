import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { layerFiles, layerReport, layersJson, layersText, ruleLine } from '../../src/reports/layers.js';
import { evaluateGate } from '../../src/reports/efficiency.js';
import { simulate } from '../../src/simulate.js';

const images = path.join(process.cwd(), '__tests__/fixtures/images');
const baseImages = new Map([['bb:latest', path.join(images, 'bb-latest.json')], ['bb:v2', path.join(images, 'bb-v2.json')]]);
/** Bytes of regular files in bb:latest's layer tar (`docker save`, counted by hand). */
const BB_FILE_BYTES = 1982296;

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-layers-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function context(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  for (const [rel, body] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), body);
  }
  return dir;
}

async function run(dir: string, extra: { target?: string; baseImages?: Map<string, string> } = {}) {
  const bi = extra.baseImages ?? baseImages;
  const sim = await simulate({ context: dir, record: false, cacheDir: path.join(tmp, 'cache'), baseImages: bi, ...(extra.target ? { target: extra.target } : {}) });
  return { sim, report: await layerReport(sim, bi) };
}

// Built with the real Docker 20.10 BuildKit (`docker save`, `tar -tv` of each layer):
//   COPY big.bin       big.bin 5000
//   RUN rm /big.bin    .wh.big.bin (+ dev/ etc/ proc/ sys/, empty dirs of the RUN mounts)
//   COPY small.txt /f  f 300
//   COPY bigger.txt /f f 900
//   RUN chmod 755 /f   f 900 (mode 755) (+ etc/)
//   RUN mkdir -p /d …  d/ d/a 6 d/b 7 (+ etc/)
//   RUN rm -rf /d      .wh.d (+ etc/)
// docker history: 5kB 0B 300B 900B 900B 13B 0B on the 1.98MB base.
const wasteDockerfile = `FROM bb:latest
COPY big.bin /big.bin
RUN rm /big.bin
COPY small.txt /f
COPY bigger.txt /f
RUN chmod 755 /f
RUN mkdir -p /d && echo hello > /d/a && echo world! > /d/b
RUN rm -rf /d
`;

describe('a Dockerfile that wastes bytes, checked against the real build', () => {
  let out: Awaited<ReturnType<typeof run>>;
  beforeAll(async () => {
    out = await run(context('waste', { Dockerfile: wasteDockerfile, 'big.bin': 'a'.repeat(5000), 'small.txt': 'b'.repeat(300), 'bigger.txt': 'c'.repeat(900) }));
  });

  test('one row per layer-creating step, after the base layer, with docker history sizes', () => {
    expect(out.report.base).toEqual({ ref: 'bb:latest', layers: 1, size: 1984172, known: true });
    expect(out.report.layers.map((l) => [l.index, l.instruction, l.size])).toEqual([
      [1, 'COPY big.bin /big.bin', 5000],
      [2, 'RUN rm /big.bin', 0],
      [3, 'COPY small.txt /f', 300],
      [4, 'COPY bigger.txt /f', 900],
      [5, 'RUN chmod 755 /f', 900],
      [6, 'RUN mkdir -p /d && echo hello > /d/a && echo world! > /d/b', 13],
      [7, 'RUN rm -rf /d', 0],
    ]);
    expect(out.report.image?.layers).toBe(8);
  });

  test('layer entries as the real layer tars hold them (ignoring empty RUN mount-point dirs)', () => {
    const listing = out.report.layers.map((l) => l.files.map((f) => (f.whiteout ?? `${f.path}${f.type === 'dir' ? '/' : ''} ${f.size}`)));
    expect(listing).toEqual([
      ['/big.bin 5000'],
      ['/.wh.big.bin'],
      ['/f 300'],
      ['/f 900'],
      ['/f 900'],
      ['/d/ 0', '/d/a 6', '/d/b 7'],
      ['/.wh.d'],
    ]);
  });

  test("dive's measures: wasted = big.bin 5000 + /f 300+900+900; the /d whiteout is one node", () => {
    const e = out.report.efficiency;
    expect(e.wastedBytes).toBe(7100);
    expect(e.userSizeBytes).toBe(5000 + 300 + 900 + 900 + 13);
    expect(e.userWastedPercent).toBeCloseTo(7100 / 7113, 12);
    // Σmin: base files once, big.bin 0, /f 300, /d/a 6, /d/b 7, /d (whiteout) 13
    // Σcumulative: base, big.bin 5000, /f 2100, /d/a 6, /d/b 7, /d 13
    expect(e.efficiency).toBeCloseTo((BB_FILE_BYTES + 326) / (BB_FILE_BYTES + 7126), 12);
    expect(e.inefficiencies.map((i) => [i.path, i.layers, i.cumulativeSize])).toEqual([
      ['/big.bin', [1, 2], 5000],
      ['/f', [3, 4, 5], 2100],
    ]);
  });

  test('text report lists whiteouts and the measures; gate lines', () => {
    const rules = evaluateGate(out.report.efficiency, { highestWastedBytes: 1000, lowestEfficiency: 0.9 });
    const text = layersText(out.sim, out.report, rules);
    expect(text).toContain('base: bb:latest, 1 layer, 1.98MB');
    expect(text).toContain('- /big.bin  (whiteout /.wh.big.bin)');
    expect(text).toContain('wasted bytes:        7.10kB (7100 B)');
    expect(text).toContain('FAIL highestWastedBytes: 7.10kB > 1.00kB');
    expect(text).toContain('PASS lowestEfficiency: 0.9966 >= 0.9');
    const json = layersJson(out.sim, out.report, rules, { highestWastedBytes: 1000, lowestEfficiency: 0.9 });
    expect(json.pass).toBe(false);
    expect(json.rules).toEqual({
      lowestEfficiency: { threshold: 0.9, actual: out.report.efficiency.efficiency, status: 'pass' },
      highestWastedBytes: { threshold: 1000, actual: 7100, status: 'fail' },
    });
    expect(JSON.stringify(json)).not.toContain(tmp);
  });
});

test('ruleLine wording', () => {
  expect(ruleLine({ rule: 'highestWastedBytes', status: 'fail', threshold: 1_000_000, actual: 1_200_000 })).toBe('FAIL highestWastedBytes: 1.20MB > 1.00MB');
  expect(ruleLine({ rule: 'highestUserWastedPercent', status: 'pass', threshold: 0.1, actual: 0.05 })).toBe('PASS highestUserWastedPercent: 0.0500 <= 0.1');
});

test('removals under a removed directory fold into its whiteout', () => {
  const files = layerFiles({
    layer: {
      size: 0,
      linkBytes: 0,
      unknownContent: false,
      dirsTouched: true,
      changes: [
        { path: '/a', change: 'removed', type: 'dir', size: 0 },
        { path: '/a/b', change: 'removed', type: 'file', size: 0 },
        { path: '/a/c', change: 'removed', type: 'dir', size: 0 },
        { path: '/a/c/d', change: 'removed', type: 'file', size: 0 },
        { path: '/ab', change: 'removed', type: 'file', size: 0 },
      ],
    },
  });
  expect(files.map((f) => f.whiteout)).toEqual(['/.wh.a', '/.wh.ab']);
});

// samples/bb-cross-stage: real BuildKit made 7 layers (real-build.json); the final stage is
// FROM runtime FROM config FROM bb:latest, so config's and runtime's layers are in the image.
test('a FROM <stage> chain: the layers of every stage in the chain, base-most first', async () => {
  const real = JSON.parse(fs.readFileSync('samples/bb-cross-stage/real-build.json', 'utf8'));
  const { report } = await run(path.join(process.cwd(), 'samples/bb-cross-stage'));
  expect(report.chain.map((s) => s.name ?? s.index)).toEqual(['config', 'runtime', 4]);
  expect(report.layers.map((l) => `${l.stage.name}:${l.position}`)).toEqual(['config:1', 'config:2', 'runtime:1', 'runtime:2', 'runtime:3', 'runtime:4']);
  expect(report.base.layers + report.layers.length).toBe(real.buildkit.builds[0].layers);
  expect(report.image?.layers).toBe(real.buildkit.builds[0].layers);
});

test('scratch: no base layers, the first layer is layer 0 and not user bytes (dive)', async () => {
  const { report } = await run(context('scratch', { Dockerfile: 'FROM scratch\nCOPY a /a\nCOPY b /b\n', a: 'x'.repeat(10), b: 'y'.repeat(20) }));
  expect(report.base).toEqual({ ref: 'scratch', layers: 0, size: 0, known: true });
  expect(report.layers.map((l) => l.index)).toEqual([0, 1]);
  expect(report.efficiency.userSizeBytes).toBe(20);
  expect(report.efficiency.sizeBytes).toBe(30);
});

test('a base image not given: files unknown, noted, still one row per step', async () => {
  const { report } = await run(context('unknown', { Dockerfile: 'FROM alpine:3\nCOPY a /a\n', a: 'x' }), { baseImages: new Map() });
  expect(report.base.known).toBe(false);
  expect(report.notes.join('\n')).toContain('alpine:3 was not given with --base-image');
  expect(report.layers.map((l) => l.instruction)).toEqual(['COPY a /a']);
});
