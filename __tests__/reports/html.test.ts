// The HTML report, opened in a real headless Chromium (Debian's, driven by playwright-core) from a
// file:// URL. The DOM is read back and checked against what the real builder did with the same
// inputs: samples/bb-*/real-build.json (a first build and an unchanged rebuild) and the recorded
// oracle scenario cache-edit-copied-file (an edit of a late-copied file). Every page must load with
// no console error and no request for anything but itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { formatBytes } from '../../src/reports/build-report.js';
import { compareBuilds } from '../../src/reports/compare.js';
import { esc, renderBuildHtml, renderCompareHtml } from '../../src/reports/html.js';
import { simulate, type Simulation } from '../../src/simulate.js';
import { applyEdits, layOut, type Scenario } from '../helpers/scenario.js';
import { BASE_IMAGES } from '../helpers/replay.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const SAMPLES = path.join(ROOT, 'samples');
const ORACLE = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');
const CHROMIUM = '/usr/bin/chromium';
// Screenshots stay after the run so that a person (or CI, as artifacts) can look at the pages.
const SHOTS = path.join(os.tmpdir(), 'dfsim-html-screenshots');
// The flags this machine needs (dependencies.md §9): without the background-networking ones Chromium
// keeps trying to reach Google through a closed network.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface RealStep { stage: string | null; instruction: string; cached: boolean }
interface RealBuild { label: string; ok: boolean; steps: RealStep[]; layers?: number; history?: string[] }

const tmp: string[] = [];
const mkTmp = (prefix: string): string => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmp.push(d);
  return d;
};
let browser: BrowserContext | null = null;
let outDir = '';

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`The HTML report tests need Chromium at ${CHROMIUM}, and it is not installed: run scripts/install-browser.sh (as root, or with sudo).`);
  }
  outDir = mkTmp('dfsim-html-');
  fs.mkdirSync(SHOTS, { recursive: true });
  // A fresh, empty profile for every run.
  browser = await chromium.launchPersistentContext(mkTmp('dfsim-chromium-profile-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
}, 60000);

afterAll(async () => {
  await browser?.close();
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  /** Console errors and uncaught exceptions seen while loading and using the page. */
  errors: string[];
  /** Requests for anything other than the page itself (the report must be self-contained). */
  foreign: string[];
  file: string;
}

async function open(html: string, name: string): Promise<Opened> {
  if (!browser) throw new Error(`Chromium did not start; run scripts/install-browser.sh`);
  const file = path.join(outDir, `${name}.html`);
  fs.writeFileSync(file, html);
  const page = await browser.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  const url = `file://${file}`;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => {
    if (r.url() !== url) foreign.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, errors, foreign, file };
}

async function finish(o: Opened): Promise<void> {
  expect(o.errors).toEqual([]);
  expect(o.foreign).toEqual([]);
  await o.page.close();
}

/** Takes a full-page screenshot and checks it is a real PNG of a real page (not a blank few bytes). */
async function screenshot(page: Page, name: string): Promise<string> {
  const png = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: png, fullPage: true });
  const bytes = fs.readFileSync(png);
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  // Width and height from the IHDR chunk: the page is laid out wide and tall, not collapsed.
  expect(bytes.readUInt32BE(16)).toBeGreaterThanOrEqual(1000);
  expect(bytes.readUInt32BE(20)).toBeGreaterThan(900);
  expect(bytes.length).toBeGreaterThan(40_000);
  return png;
}

const attrs = (page: Page, selector: string, name: string): Promise<Array<string | null>> =>
  page.$$eval(selector, (els, n) => els.map((e) => e.getAttribute(n)), name);
const texts = (page: Page, selector: string): Promise<string[]> => page.$$eval(selector, (els) => els.map((e) => (e.textContent ?? '').trim()));

interface StepRow { stage: string; kind: string; vertex: boolean; verdict: string; label: string; instruction: string; reason: string | null; failed: boolean }
const stepRows = (page: Page, scope = ''): Promise<StepRow[]> =>
  page.$$eval(`${scope} tr[data-testid="step"]`, (rows) =>
    rows.map((r) => ({
      stage: r.getAttribute('data-stage') ?? '',
      kind: r.getAttribute('data-kind') ?? '',
      vertex: r.getAttribute('data-vertex') === 'true',
      verdict: r.getAttribute('data-verdict') ?? '',
      label: (r.querySelector('[data-testid="verdict"]')?.textContent ?? '').trim(),
      instruction: r.querySelector('[data-testid="instruction"]')?.textContent ?? '',
      reason: r.querySelector('[data-testid="miss-reason"]')?.textContent ?? null,
      failed: r.getAttribute('data-failed') === 'true',
    })),
  );

/** The steps the real builder printed, FROM excluded (BuildKit merges and reorders FROM lines). */
const realNonFrom = (b: RealBuild): RealStep[] => b.steps.filter((s) => !/^FROM /i.test(s.instruction));
const simNonFrom = (rows: StepRow[]): StepRow[] => rows.filter((r) => r.vertex && r.kind !== 'FROM');
/** "55B\tCOPY ..." → "55B". */
const realSize = (h: string): string => h.split('\t')[0]!;

function realBuilds(sample: string, builder: 'buildkit' | 'classic'): RealBuild[] {
  return JSON.parse(fs.readFileSync(path.join(SAMPLES, sample, 'real-build.json'), 'utf8'))[builder].builds;
}

/** The sample's first build (empty store) and its unchanged rebuild (store holding the first). */
async function firstAndRebuild(sample: string, builder: 'buildkit' | 'classic' = 'buildkit'): Promise<{ first: Simulation; again: Simulation }> {
  const cacheDir = mkTmp('dfsim-html-cache-');
  const opts = { context: path.relative(process.cwd(), path.join(SAMPLES, sample)), cacheDir, baseImages: BASE_IMAGES, builder };
  const first = await simulate({ ...opts, record: true });
  const again = await simulate({ ...opts, record: false });
  return { first, again };
}

describe('build report in Chromium', () => {
  it('bb-multistage, first build: graph, every step a MISS as the real builder did, layer bars of the real sizes', async () => {
    const { first } = await firstAndRebuild('bb-multistage');
    const real = realBuilds('bb-multistage', 'buildkit')[0]!;
    const html = renderBuildHtml(first);
    // Self-contained and free of this machine's paths.
    expect(html).not.toContain(ROOT);
    expect(html).not.toMatch(/<(link|img|iframe)\b|\bsrc=|https?:\/\//i);
    const o = await open(html, 'bb-multistage-first');
    const { page } = o;

    // Stage graph: bb:latest → build, scratch → stage-1, build → stage-1 by COPY --from (see its Dockerfile).
    expect((await attrs(page, '[data-testid="stage-graph"] [data-testid="stage-node"]', 'data-stage')).sort()).toEqual(['bb:latest', 'build', 'scratch', 'stage-1']);
    const edges = await page.$$eval('[data-testid="stage-edge"]', (els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}:${e.getAttribute('data-kind')}`));
    expect(edges.sort()).toEqual(['bb:latest>build:from', 'build>stage-1:copy', 'scratch>stage-1:from']);
    expect(await attrs(page, '[data-testid="stage-node"][data-target="true"]', 'data-stage')).toEqual(['stage-1']);
    expect(await page.locator('[data-testid="stage-graph"]').isVisible()).toBe(true);

    // Steps: one row per instruction; the build steps are the real builder's, all missing on a cold cache.
    const rows = await stepRows(page);
    expect(rows).toHaveLength(first.result.steps.length);
    expect(rows.map((r) => r.instruction)).toEqual(first.result.steps.map((s) => s.instruction));
    const steps = simNonFrom(rows);
    expect(steps.map((r) => r.instruction)).toEqual(realNonFrom(real).map((s) => s.instruction));
    expect(steps.map((r) => `${r.stage} ${r.label}`)).toEqual(realNonFrom(real).map((s) => `${s.stage} ${s.cached ? 'CACHED' : 'MISS'}`));
    expect(steps.map((r) => r.reason)).toEqual(steps.map(() => 'not built before'));
    // ENTRYPOINT is no step of its own: no verdict, labelled as config.
    expect(rows.filter((r) => r.kind === 'ENTRYPOINT').map((r) => [r.vertex, r.verdict, r.label])).toEqual([[false, 'none', 'config']]);

    // Layer chart: the real image has 2 layers of 55B and 1.98MB.
    const bars = await attrs(page, '[data-testid="layer-chart"] [data-testid="layer-bar"]', 'data-size');
    expect(bars).toHaveLength(real.layers!);
    expect(bars.map((b) => formatBytes(Number(b)))).toEqual(real.history!.filter((h) => !h.includes('ENTRYPOINT')).map(realSize));
    expect(await attrs(page, '[data-testid="layer-bar"]', 'data-verdict')).toEqual(['miss', 'miss']);
    // The bars are drawn to scale: the 1.98MB layer's bar is the longer one.
    const widths = await page.$$eval('[data-testid="layer-bar"] rect', (els) => els.map((e) => Number(e.getAttribute('width'))));
    expect(widths[1]!).toBeGreaterThan(widths[0]! * 10);

    // Image summary: the real image's layer and history counts.
    expect(await texts(page, '[data-testid="image-layers"]')).toEqual([String(real.layers)]);
    expect(await texts(page, '[data-testid="image-history"]')).toEqual([String(real.history!.length)]);
    expect(await attrs(page, '[data-testid="cache-summary"]', 'data-rebuilt')).toEqual([String(first.prediction.rebuilt)]);

    // The files of a step are listed, collapsed until asked for.
    const copySrc = page.locator('tr[data-testid="step"]', { hasText: 'COPY src/ ./' });
    const files = copySrc.locator('[data-testid="file-change"]');
    expect(await files.count()).toBeGreaterThanOrEqual(2);
    expect(await files.first().isVisible()).toBe(false);
    await page.click('button[data-action="expand"]');
    expect(await files.first().isVisible()).toBe(true);
    expect(await copySrc.locator('[data-testid="file-change"] code').allTextContents()).toEqual(expect.arrayContaining(['/src/body.txt', '/src/header.txt']));

    const png = await screenshot(page, 'bb-multistage-first');
    expect(fs.existsSync(png)).toBe(true);
    await finish(o);
  });

  it('bb-cross-stage, unchanged rebuild: every step CACHED as the real builder did; the unused stage is drawn as not built', async () => {
    const { again } = await firstAndRebuild('bb-cross-stage');
    const real = realBuilds('bb-cross-stage', 'buildkit')[1]!;
    expect(real.label).toBe('nothing changed');
    const o = await open(renderBuildHtml(again), 'bb-cross-stage-again');
    const { page } = o;

    const nodes = await page.$$eval('[data-testid="stage-node"]', (els) => els.map((e) => `${e.getAttribute('data-stage')}:${e.getAttribute('data-kind')}:${e.getAttribute('data-built')}`));
    expect(nodes.sort()).toEqual(['bb:latest:image:true', 'bb:v2:image:true', 'config:stage:true', 'runtime:stage:true', 'stage-1:stage:true', 'stage-4:stage:true', 'unused:stage:false']);
    const edges = await page.$$eval('[data-testid="stage-edge"]', (els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}:${e.getAttribute('data-kind')}`));
    // FROM config + COPY --from=config; COPY --from=1; COPY --from=bb:v2 (an image, not a stage); FROM runtime.
    expect(edges.sort()).toEqual(['bb:latest>config:from', 'bb:v2>runtime:copy', 'bb:v2>stage-1:from', 'config>runtime:from copy', 'runtime>stage-4:from', 'stage-1>runtime:copy']);

    const steps = simNonFrom(await stepRows(page));
    // BuildKit prints steps in the order they finish; compare as sets of "stage instruction verdict".
    expect(steps.map((r) => `${r.stage} | ${r.instruction} | ${r.label}`).sort()).toEqual(realNonFrom(real).map((s) => `${s.stage} | ${s.instruction} | ${s.cached ? 'CACHED' : 'MISS'}`).sort());
    expect(steps.every((r) => r.reason === null)).toBe(true);
    expect(await texts(page, '[data-testid="reused"]')).toEqual([String(steps.length + 2)]); // + the two FROM image steps
    expect(await texts(page, '[data-testid="first-miss"]')).toEqual(['none']);

    const bars = await attrs(page, '[data-testid="layer-bar"]', 'data-verdict');
    expect(bars).toHaveLength(real.layers!);
    expect(bars).toEqual(['base', 'hit', 'hit', 'hit', 'hit', 'hit', 'hit']);
    expect(await texts(page, '[data-testid="image-history"]')).toEqual([String(real.history!.length)]);

    // "Misses only" hides the hits.
    await page.check('input[data-action="misses"]');
    expect(await page.locator('tr[data-testid="step"]').first().isVisible()).toBe(false);
    await page.uncheck('input[data-action="misses"]');
    expect(await page.locator('tr[data-testid="step"]').first().isVisible()).toBe(true);

    await screenshot(page, 'bb-cross-stage-again');
    await finish(o);
  });

  it('bb-cross-stage under the classic builder: the unused stage is built, as the real classic build shows', async () => {
    const { first } = await firstAndRebuild('bb-cross-stage', 'classic');
    const real = realBuilds('bb-cross-stage', 'classic')[0]!;
    expect(real.steps.some((s) => s.instruction === 'FROM bb:latest AS unused')).toBe(true);
    const o = await open(renderBuildHtml(first), 'bb-cross-stage-classic');
    expect(await attrs(o.page, '[data-testid="stage-node"][data-stage="unused"]', 'data-built')).toEqual(['true']);
    // Classic prints every instruction as a step, FROM included.
    const rows = await stepRows(o.page);
    expect(rows.filter((r) => r.vertex).map((r) => r.instruction)).toEqual(real.steps.map((s) => s.instruction));
    expect(await texts(o.page, '[data-testid="build-meta"]')).toEqual([expect.stringContaining('classic builder')]);
    await finish(o);
  });
});

describe('compare report in Chromium', () => {
  /** The context as it was for build `index` of a scenario (initial files plus every edit up to it). */
  function contextAt(scenario: Scenario, index: number): string {
    const dir = mkTmp('dfsim-html-ctx-');
    layOut(dir, scenario);
    for (let i = 0; i <= index; i++) applyEdits(dir, scenario.builds[i]!, i);
    return dir;
  }

  it('cache-edit-copied-file, edit b.txt: two sides with the real layer/history counts and the real CACHED flags of the rebuild', async () => {
    const name = 'cache-edit-copied-file';
    const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', `${name}.json`), 'utf8'));
    const real: RealBuild[] = JSON.parse(fs.readFileSync(path.join(ORACLE, 'buildkit', `${name}.json`), 'utf8')).builds;
    const a = contextAt(scenario, 2);
    const b = contextAt(scenario, 3);
    expect(real[3]!.label).toBe('edit b.txt (copied late)');
    const cmp = await compareBuilds({ before: { context: a, dockerfile: path.join(a, 'Dockerfile') }, after: { context: b, dockerfile: path.join(b, 'Dockerfile') }, builder: 'buildkit', baseImages: BASE_IMAGES });
    const html = renderCompareHtml(cmp.before, cmp.after, 'edit b.txt');
    expect(renderCompareHtml(cmp.before, cmp.after, 'edit b.txt')).toBe(html);
    const o = await open(html, 'compare-edit-b');
    const { page } = o;

    expect(await page.title()).toBe('edit b.txt');
    const fact = async (key: string): Promise<[string | null, string | null]> => {
      const row = page.locator(`[data-testid="compare-facts"] [data-testid="fact-${key}"]`);
      return [await row.getAttribute('data-before'), await row.getAttribute('data-after')];
    };
    expect(await fact('layers')).toEqual([String(real[2]!.layers), String(real[3]!.layers)]);
    expect(await fact('history')).toEqual([String(real[2]!.history!.length), String(real[3]!.history!.length)]);
    // b.txt grew from "bee\n" to "bee 2\n": the image grows by 2 bytes.
    const [sb, sa] = await fact('size');
    expect(Number(sa) - Number(sb)).toBe(2);

    // Both sides, next to each other, each with its image facts, layer chart and stage graph.
    for (const side of ['before', 'after']) {
      const s = page.locator(`[data-testid="side-${side}"]`);
      expect(await s.locator('[data-testid="layer-bar"]').count()).toBe(real[3]!.layers!);
      expect(await s.locator('[data-testid="stage-graph"]').count()).toBe(1);
      expect(await s.locator(`[data-testid="image-summary-${side}"] [data-testid="image-layers"]`).textContent()).toBe(String(real[3]!.layers));
    }
    const boxes = await Promise.all(['before', 'after'].map((s) => page.locator(`[data-testid="side-${s}"]`).boundingBox()));
    expect(boxes[0]!.x).toBeLessThan(boxes[1]!.x);
    expect(Math.abs(boxes[0]!.y - boxes[1]!.y)).toBeLessThan(2);
    // The real history: the COPY b.txt layer is 4B before, 6B after.
    const sizes = async (side: string): Promise<string[]> => (await attrs(page, `[data-testid="side-${side}"] [data-testid="layer-bar"]`, 'data-size')).map((x) => formatBytes(Number(x)));
    expect(await sizes('before')).toEqual(real[2]!.history!.map(realSize));
    expect(await sizes('after')).toEqual(real[3]!.history!.map(realSize));
    expect(await attrs(page, '[data-testid="side-after"] [data-testid="layer-bar"]', 'data-verdict')).toEqual(['base', 'hit', 'hit', 'miss', 'miss']);

    // The rebuild's verdicts are the real builder's: COPY a, RUN cached; COPY b.txt misses on its content, RUN ls / follows.
    const steps = simNonFrom(await stepRows(page));
    expect(steps.map((r) => `${r.instruction} ${r.label}`)).toEqual(realNonFrom(real[3]!).map((s) => `${s.instruction} ${s.cached ? 'CACHED' : 'MISS'}`));
    expect(steps.map((r) => r.reason)).toEqual([null, null, 'b.txt changed', expect.stringMatching(/^follows the miss at .*COPY b\.txt \/b\.txt/)]);
    expect(await texts(page, '[data-testid="first-miss"]')).toEqual([expect.stringContaining('COPY b.txt /b.txt')]);
    expect(await page.locator('[data-testid="history-diff"] tr[data-op="added"]').count()).toBeGreaterThanOrEqual(1);

    // "Misses only" leaves exactly the two misses.
    await page.check('input[data-action="misses"]');
    const visible = await page.locator('tr[data-testid="step"]:visible').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
    expect(visible).toEqual(['miss', 'miss']);
    await page.uncheck('input[data-action="misses"]');

    await screenshot(page, 'compare-edit-b');
    await finish(o);
  });
});

describe('stage graph edges', () => {
  it('RUN --mount from=<stage|image>, COPY --from=<image> and a stage pulled in by its base\'s ONBUILD trigger', async () => {
    const dir = mkTmp('dfsim-html-graph-');
    fs.writeFileSync(
      path.join(dir, 'Dockerfile'),
      [
        'FROM bb:latest AS tools',
        'RUN echo hi > /tool',
        'FROM bb:latest AS base',
        'ONBUILD COPY --from=tools /tool /tool',
        'FROM base AS child',
        'RUN --mount=type=bind,from=tools,source=/tool,target=/t cat /t > /copied',
        'RUN --mount=type=bind,from=bb:v2,source=/etc/version,target=/v cat /v > /version',
        'FROM bb:latest AS lonely',
        'RUN true',
        'FROM child',
        'COPY --from=bb:v2 /etc/version /v2',
        '',
      ].join('\n'),
    );
    const sim = await simulate({ context: dir, cacheDir: mkTmp('dfsim-html-cache-'), baseImages: BASE_IMAGES, record: false });
    const o = await open(renderBuildHtml(sim), 'graph-edges');
    const edges = await o.page.$$eval('[data-testid="stage-edge"]', (els) => els.map((e) => `${e.getAttribute('data-from')}>${e.getAttribute('data-to')}:${e.getAttribute('data-kind')}`));
    // child needs tools twice: through base's ONBUILD COPY --from=tools and through its own mount.
    expect(edges.sort()).toEqual(['base>child:from', 'bb:latest>base:from', 'bb:latest>tools:from', 'bb:v2>child:mount', 'bb:v2>stage-4:copy', 'child>stage-4:from', 'tools>child:onbuild mount']);
    const nodes = await o.page.$$eval('[data-testid="stage-node"]', (els) => els.map((e) => `${e.getAttribute('data-stage')}:${e.getAttribute('data-built')}`));
    expect(nodes.sort()).toEqual(['base:true', 'bb:latest:true', 'bb:v2:true', 'child:true', 'lonely:false', 'stage-4:true', 'tools:true']);
    // Columns follow dependencies: every edge points rightwards.
    const xs = await o.page.$$eval('[data-testid="stage-edge"] path', (els) => els.map((e) => (e.getAttribute('d') ?? '').match(/^M([\d.]+),[\d.]+ C.* ([\d.]+),[\d.]+$/)!.slice(1).map(Number)));
    for (const [x1, x2] of xs) expect(x2!).toBeGreaterThan(x1!);
    await screenshot(o.page, 'graph-edges');
    await finish(o);
  });
});

describe('user text is escaped', () => {
  it('markup in instructions, file names and stage names shows as text and runs nothing', async () => {
    const dir = mkTmp('dfsim-html-esc-');
    const evil = `<img src=x onerror="document.title='pwned'">`;
    fs.writeFileSync(path.join(dir, 'a<b>&c.txt'), 'x\n');
    fs.writeFileSync(
      path.join(dir, 'Dockerfile'),
      `FROM bb:latest AS x_script\nCOPY ["a<b>&c.txt", "/in/"]\nRUN echo '${evil}</td></script>' > /out.txt\nLABEL note="</style><b>bold</b>"\n`,
    );
    const sim = await simulate({ context: dir, cacheDir: mkTmp('dfsim-html-cache-'), baseImages: BASE_IMAGES, record: false });
    expect(sim.result.error).toBeNull();
    const html = renderBuildHtml(sim);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>bold');
    const o = await open(html, 'escape');
    const { page } = o;
    expect(await page.title()).not.toBe('pwned');
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.$$eval('body *', (els) => els.filter((e) => e.textContent === 'bold').length)).toBe(0);
    const rows = await stepRows(page);
    expect(rows.map((r) => r.instruction)).toEqual(sim.result.steps.map((s) => s.instruction));
    expect(rows.some((r) => r.instruction.includes(`${evil}</td></script>`))).toBe(true);
    await page.click('button[data-action="expand"]');
    expect(await texts(page, '[data-testid="file-change"] code')).toContain('/in/a<b>&c.txt');
    expect(await page.locator('[data-testid="image-summary"]').textContent()).toContain('</style><b>bold</b>');
    await finish(o);
  });

  it('esc covers the five HTML metacharacters', () => {
    expect(esc(`<a href="x" title='y'>&amp;</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  });
});

describe('a failing build', () => {
  it('shows the error and marks the failed step', async () => {
    const dir = mkTmp('dfsim-html-fail-');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nRUN echo ok > /ok\nCOPY missing.txt /m\nRUN echo never\n');
    const sim = await simulate({ context: dir, cacheDir: mkTmp('dfsim-html-cache-'), baseImages: BASE_IMAGES, record: false });
    expect(sim.result.error).not.toBeNull();
    const o = await open(renderBuildHtml(sim), 'failing');
    const { page } = o;
    expect(await page.locator('[data-testid="build-error"]').textContent()).toContain(sim.result.error!.message);
    const failed = (await stepRows(page)).filter((r) => r.failed);
    expect(failed.map((r) => r.instruction)).toEqual(['COPY missing.txt /m']);
    expect(await page.locator('[data-testid="layer-chart"]').textContent()).toContain('no image');
    expect(await page.locator('[data-testid="image-summary"]').textContent()).toContain('no image');
    await finish(o);
  });
});
