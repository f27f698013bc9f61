import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BASE_IMAGES } from '../helpers/replay.js';
import { layOut, type Scenario } from '../helpers/scenario.js';
import { buildOutline, outlineDot, outlineMermaid, outlineText, type Outline } from '../../src/reports/outline.js';
import { simulate } from '../../src/simulate.js';

const ROOT = path.join(process.cwd(), '__tests__/fixtures/oracle');
const known: Record<string, string> = JSON.parse(fs.readFileSync(path.join(process.cwd(), '__tests__/oracle/known-disagreements.json'), 'utf8'));
let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-outline-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface RealBuild { label: string; steps: { instruction: string; cached: boolean }[] }

/**
 * Scenario pairs where the real builder's second build differs from a clean first build by one
 * change: a --build-arg of a declared ARG (to a value other than its default), or an edit of one
 * context file. The outline's impact of that ARG / file must give the real CACHED/MISS flags.
 */
const cases: { file: string; kind: 'arg' | 'path'; name: string }[] = [];
/** Pairs whose change is not the one the outline simulates (it appends to a file, or sets an ARG to a new value). */
const notComparable: Record<string, string> = {
  'cache-early-cutoff-copy-from.json': 'the real edit keeps the length, so `wc -c` makes the same /out (early cut-off); the outline appends bytes, a different /out',
  'cache-env-arg-same-name.json': 'the real --build-arg equals the ENV value (a hit); the outline sets a new value',
  'cache-arg-scope-stages.json': "the real --build-arg equals one stage's default (a hit there) and gives a value to another stage's ARG; the outline sets a new value for both",
  'cache-chmod-stage-dir.json': 'the ARG is a file mode: the outline appends "-changed", which chmod rejects, so the simulated build fails (reported as such)',
  'cache-r2-env-arg-expansion.json': 'the ARG picks a COPY source (conf/${FLAVOR:-default}.conf): the outline\'s new value names a file that does not exist, so the simulated build fails (reported as such)',
  'cache-r4-arg-base-tag.json': 'the ARG picks the base image and the real new value (v1) names the same image as before (a hit for the COPY); the outline\'s value names another image',
  'exec-r7-arg-redeclared-no-default.json': 'the ARG is declared three times (1, 2, none): the real --build-arg V=2 equals the second default, not the first, so the first RUN misses; this test takes a value equal to any default as no change',
  'cache-r8-recreate-and-mode.json': 'the real edit rewrites run.sh with the same bytes (every step hits); the outline appends to it',
  'cache-r9-args-env-user-workdir.json': 'the real --build-arg LOG_LEVEL=info equals the ENV fallback the ARG feeds (every step hits); the outline sets a new value',
  'cache-r10-arg-chown-user-workdir.json': 'the ARG names the user of --chown and USER: the outline\'s new value names no user, so its simulated build fails at that COPY (reported as such)',
  'cache-r11-env-path-stages.json': 'the real edit changes what the copied script prints, so the stage output changes; the outline appends a line that leaves the output as it was (early cut-off keeps the later COPY --from cached)',
  'cache-early-cutoff-dir-output.json': 'the real edit changes only a line the RUN filters out, so the stage output is the same (early cut-off); the outline appends an empty line (which passes the filter) and a comment',
  'cache-r34-random-twins-09.json': 'two stages on bb:latest and bb:v1 (one image) have steps with one key: which twin runs and which is CACHED is a race (oracle finding 72), and the recording ran the other twin; the flags agree as a set',
};
for (const file of fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json')).sort()) {
  const s = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', file), 'utf8'));
  const [b0, b1] = s.builds;
  if (!b1 || notComparable[file] || Object.keys(b0).some((k) => k !== 'label') || known[`buildkit/${file.replace(/\.json$/, '')}`]) continue;
  // The outline's baseline is a build that succeeds: a pair whose first real build failed is not one change away.
  if (!JSON.parse(fs.readFileSync(path.join(ROOT, 'buildkit', file), 'utf8')).builds[0].ok) continue;
  // RUN --mount binds of context files are not "copied" paths (a limitation of the outline).
  if (/--mount/.test(s.files.Dockerfile)) continue;
  const keys = Object.keys(b1).filter((k) => k !== 'label');
  if (keys.length === 1 && keys[0] === 'buildArgs' && Object.keys(b1.buildArgs).length === 1) cases.push({ file, kind: 'arg', name: Object.keys(b1.buildArgs)[0]! });
  if (keys.length === 1 && keys[0] === 'write' && Object.keys(b1.write).length === 1) {
    const p = Object.keys(b1.write)[0]!;
    if (p in s.files && p !== 'Dockerfile' && !p.endsWith('.dockerignore')) cases.push({ file, kind: 'path', name: p });
  }
}

test('there are scenario pairs to check', () => {
  expect(cases.filter((c) => c.kind === 'arg').length).toBeGreaterThanOrEqual(4);
  expect(cases.filter((c) => c.kind === 'path').length).toBeGreaterThanOrEqual(4);
});

test.each(cases)('$file: changing $kind $name misses what the real builder missed', async ({ file, kind, name }) => {
  const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', file), 'utf8'));
  const real: { builds: RealBuild[] } = JSON.parse(fs.readFileSync(path.join(ROOT, 'buildkit', file), 'utf8'));
  const ctx = path.join(tmp, file.replace(/\.json$/, ''));
  fs.mkdirSync(ctx);
  layOut(ctx, scenario);
  const opts = { context: ctx, record: false, cacheDir: path.join(tmp, 'cache'), baseImages: BASE_IMAGES };
  const outline = await buildOutline(opts);
  const expected = real.builds[1]!.steps.filter((s) => !/^FROM\s/i.test(s.instruction)).map((s) => (s.cached ? 'CACHED' : 'MISS'));

  const arg = outline.args.find((a) => a.name === name);
  const declaredDefaults = arg?.declarations.map((d) => d.default) ?? [];
  const value = scenario.builds[1]!.buildArgs?.[name];
  if (kind === 'arg' && (!arg || declaredDefaults.includes(value ?? null))) {
    // Undeclared, or equal to the default: a --build-arg that changes nothing; the real build reused every step.
    expect(expected.every((f) => f === 'CACHED')).toBe(true);
    return;
  }
  const impact = kind === 'arg' ? arg! : outline.paths.find((p) => p.path === name);
  const missed = new Set((impact?.invalidates ?? []).map((s) => `${s.stage.index}:${s.position}`));
  const sim = await simulate(opts);
  const flags = sim.result.steps.filter((s) => s.vertex && s.kind !== 'FROM').map((s) => (missed.has(`${s.stage.index}:${s.position}`) ? 'MISS' : 'CACHED'));
  expect(flags).toEqual(expected);
});

describe('structure of samples/bb-args', () => {
  let o: Outline;
  beforeAll(async () => {
    o = await buildOutline({ context: 'samples/bb-args', record: false, cacheDir: path.join(tmp, 'cache'), baseImages: BASE_IMAGES });
  });

  test('stages, bases, targets and the COPY --from edge', () => {
    expect(o.stages.map((s) => [s.index, s.name, s.base, s.line, s.built])).toEqual([
      [0, 'base', { kind: 'image', ref: 'bb:latest' }, 4, true],
      [1, null, { kind: 'image', ref: 'bb:v2' }, 14, true],
    ]);
    expect(o.targets).toEqual(['base']);
    expect(o.defaultTarget).toEqual({ index: 1, name: null });
    expect(o.edges).toEqual([{ from: 0, to: 1, kind: 'COPY --from', line: 17 }]);
  });

  test('every ARG with default and file:line:col, global and per stage', () => {
    expect(o.args.map((a) => [a.name, a.declarations.map((d) => [d.scope === 'global' ? 'global' : d.scope.name, d.default, d.location])])).toEqual([
      ['BASE_TAG', [['global', 'latest', 'samples/bb-args/Dockerfile:2:5']]],
      ['GREETING', [['global', 'hello', 'samples/bb-args/Dockerfile:3:5'], ['base', null, 'samples/bb-args/Dockerfile:6:5']]],
      ['TARGET_USER', [['base', null, 'samples/bb-args/Dockerfile:7:5']]],
      ['MODE', [['base', null, 'samples/bb-args/Dockerfile:11:5']]],
    ]);
  });

  test('BuildKit ARG rules: a redeclared global joins later RUNs of its stage only; one used only in FROM changes the base', () => {
    const inv = (n: string): string[] => o.args.find((a) => a.name === n)!.invalidates.map((s) => `${s.stage.name ?? s.stage.index}:${s.instruction.split(' ')[0]}:${s.line}`);
    // GREETING is redeclared in base (line 6): RUNs at 9 and 12 miss; stage 1 does not redeclare it,
    // so its RUN (line 16) stays cached; the COPY --from misses because /message.txt changes.
    expect(inv('GREETING')).toEqual(['base:RUN:9', 'base:RUN:12', '1:COPY:17']);
    // MODE is declared after the first RUN: only the RUN after it.
    expect(inv('MODE')).toEqual(['base:RUN:12', '1:COPY:17']);
    expect(inv('BASE_TAG')[0]).toBe('base:FROM:4');
    expect(inv('BASE_TAG')).not.toContain('1:RUN:16');
  });

  test('renderers', () => {
    expect(outlineMermaid(o)).toBe('graph TD\n  s0["0: base<br/>FROM bb:latest"]\n  s1["1: stage-1<br/>FROM bb:v2"]\n  s0 -->|COPY --from| s1\n');
    expect(outlineDot(o)).toContain('  s0 -> s1 [label="COPY --from"];');
    const text = outlineText(o);
    expect(text).toContain('GREETING: global="hello" at samples/bb-args/Dockerfile:3:5; base at samples/bb-args/Dockerfile:6:5');
    expect(text).toContain('stage-1 <- base  (COPY --from, line 17)');
  });
});

test('samples/bb-cross-stage: FROM <stage> and COPY --from edges, the unused stage, a copied file', async () => {
  const o = await buildOutline({ context: 'samples/bb-cross-stage', record: false, cacheDir: path.join(tmp, 'cache'), baseImages: BASE_IMAGES });
  expect(o.edges.map((e) => `${e.from}->${e.to} ${e.kind}`).sort()).toEqual(['0->2 COPY --from', '0->2 FROM', '1->2 COPY --from', '2->4 FROM']);
  expect(o.stages.filter((s) => !s.built).map((s) => s.name)).toEqual(['unused']);
  expect(o.stages[2]!.base).toEqual({ kind: 'stage', index: 0, name: 'config' });
  expect(o.paths.map((p) => [p.path, p.selectedBy.map((s) => s.line)])).toEqual([['settings.env', [2]]]);
  // settings.env feeds config's COPY and RUN; runtime starts FROM config, so all of runtime's steps follow.
  expect(o.paths[0]!.invalidates.map((s) => s.line)).toEqual([2, 3, 10, 11, 12, 13]);
});
