// Cache predictions and their explanations. Build 1 is recorded in a private store, build 2 is
// predicted against it, and each miss must carry the reason Docker's rules give
// (/work/shared/research/buildkit-cache-semantics.md §(c)). Where a recorded real-builder scenario
// exists (__tests__/fixtures/oracle), the CACHED flags are checked against it as well, so the
// explanations are attached to the misses the real builder had.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Change, MissReason } from '../../src/cache/predict.js';
import { main } from '../../src/cli/main.js';
import { initHasher } from '../../src/executor/hash.js';
import { summaryLine } from '../../src/reports/build-report.js';
import { reasonText } from '../../src/reports/reason-text.js';
import { simulate, type SimulateOptions, type Simulation } from '../../src/simulate.js';
import { applyEdits, layOut, type Scenario } from '../helpers/scenario.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const ORACLE = path.join(FIXTURES, 'oracle');
const BASE_IMAGES = new Map([
  ['bb:latest', path.join(FIXTURES, 'images', 'bb-latest.json')],
  ['bb:v1', path.join(FIXTURES, 'images', 'bb-latest.json')],
  ['bb:v2', path.join(FIXTURES, 'images', 'bb-v2.json')],
]);

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) fs.rmSync(d, { recursive: true, force: true });
});
beforeAll(async () => {
  await initHasher();
});

function tempDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmp.push(d);
  return d;
}

// ---- A hand-made project: two stages, every kind of input -------------------------------------

const DOCKERFILE = `FROM bb:latest AS builder
COPY gen.txt /gen.txt
RUN mkdir /out && cat /gen.txt > /out/gen

FROM bb:latest
ARG VERSION=1
ENV MODE=dev
WORKDIR /app
COPY src/ ./src/
COPY run.sh /run.sh
RUN echo $VERSION > /v
COPY --from=builder /out /out
RUN ls
`;

const TWINS = `FROM bb:latest AS one
RUN echo w > /shared
WORKDIR /work
COPY a.txt ./

FROM bb:v1 AS two
RUN echo w > /shared
WORKDIR /work
COPY b.txt ./

FROM bb:latest
COPY --from=one /shared /one
COPY --from=two /shared /two
`;

interface Project {
  ctx: string;
  cache: string;
  write(rel: string, content: string): void;
  build(opts?: Partial<SimulateOptions>): Promise<Simulation>;
}

function project(dockerfile = DOCKERFILE): Project {
  const ctx = tempDir('dfsim-predict-ctx-');
  const cache = tempDir('dfsim-predict-cache-');
  const write = (rel: string, content: string): void => {
    fs.mkdirSync(path.dirname(path.join(ctx, rel)), { recursive: true });
    fs.writeFileSync(path.join(ctx, rel), content);
  };
  write('Dockerfile', dockerfile);
  write('gen.txt', 'generated\n');
  write('src/util.ts', 'export const util = 1;\n');
  write('src/main.ts', 'import { util } from "./util";\n');
  write('run.sh', '#!/bin/sh\necho run\n');
  fs.chmodSync(path.join(ctx, 'run.sh'), 0o644);
  return {
    ctx,
    cache,
    write,
    build: (opts = {}) => simulate({ context: ctx, cacheDir: cache, baseImages: BASE_IMAGES, record: true, ...opts }),
  };
}

interface Verdict {
  instruction: string;
  cached: boolean | null;
  cause?: MissReason['cause'];
  text?: string;
  changes?: Change[];
  follows?: string | null;
}

/** One line per step: the verdict, and for a miss its cause, its words, its changes and the step it follows. */
function verdicts(sim: Simulation): Verdict[] {
  return sim.result.steps.map((s, i) => {
    const p = sim.prediction.steps[i]!;
    const v: Verdict = { instruction: s.instruction, cached: p.cached };
    if (p.reason) Object.assign(v, { cause: p.reason.cause, text: reasonText(p.reason), changes: p.reason.changes, follows: p.reason.follows?.instruction ?? null });
    return v;
  });
}

const verdictOf = (sim: Simulation, instruction: string): Verdict => {
  const v = verdicts(sim).find((x) => x.instruction === instruction);
  if (!v) throw new Error(`no step ${instruction}`);
  return v;
};

const hit = (instruction: string): Verdict => ({ instruction, cached: true });
const none = (instruction: string): Verdict => ({ instruction, cached: null });
const knockOn = (instruction: string, follows: string, changes: Change[] = []): Verdict => ({
  instruction,
  cached: false,
  cause: 'knock-on',
  text: expect.stringContaining(`\`${follows}\``) as unknown as string,
  changes,
  follows,
});

describe('explanations on a two-stage project (BuildKit)', () => {
  it('the first build: every vertex misses as cold, metadata steps have no verdict', async () => {
    const p = project();
    const sim = await p.build({ record: false });
    expect(verdicts(sim).map((v) => [v.instruction, v.cached, v.cause ?? null, v.text ?? null])).toEqual([
      ['FROM bb:latest AS builder', false, 'cold', 'not built before'],
      ['COPY gen.txt /gen.txt', false, 'cold', 'not built before'],
      ['RUN mkdir /out && cat /gen.txt > /out/gen', false, 'cold', 'not built before'],
      ['FROM bb:latest', null, null, null] /* merged with the builder stage's identical FROM */,
      ['ARG VERSION=1', null, null, null],
      ['ENV MODE=dev', null, null, null],
      ['WORKDIR /app', false, 'cold', 'not built before'],
      ['COPY src/ ./src/', false, 'cold', 'not built before'],
      ['COPY run.sh /run.sh', false, 'cold', 'not built before'],
      ['RUN echo $VERSION > /v', false, 'cold', 'not built before'],
      ['COPY --from=builder /out /out', false, 'cold', 'not built before'],
      ['RUN ls', false, 'cold', 'not built before'],
    ]);
    expect(sim.prediction).toMatchObject({ reused: 0, rebuilt: 9, firstMiss: 0 });
    expect(summaryLine(sim)).toBe('cache: 0/9 steps reused, 9 rebuilt (first miss: FROM bb:latest AS builder at line 1: not built before)');
  });

  it('no change: everything is reused', async () => {
    const p = project();
    await p.build();
    const sim = await p.build({ record: false });
    expect(sim.prediction).toMatchObject({ reused: 9, rebuilt: 0, firstMiss: null });
    expect(summaryLine(sim)).toBe('cache: 9/9 steps reused, 0 rebuilt');
  });

  it('a copied file edited: that COPY misses with the file named, later steps follow it', async () => {
    const p = project();
    await p.build();
    p.write('src/util.ts', 'export const util = 2; // edited\n');
    const sim = await p.build({ record: false });
    expect(verdicts(sim)).toEqual([
      hit('FROM bb:latest AS builder'),
      hit('COPY gen.txt /gen.txt'),
      hit('RUN mkdir /out && cat /gen.txt > /out/gen'),
      none('FROM bb:latest'),
      none('ARG VERSION=1'),
      none('ENV MODE=dev'),
      hit('WORKDIR /app'),
      { instruction: 'COPY src/ ./src/', cached: false, cause: 'inputs', text: 'src/util.ts changed', changes: [{ part: 'file', source: 'src', path: 'src/util.ts', change: 'modified' }], follows: null },
      knockOn('COPY run.sh /run.sh', 'COPY src/ ./src/'),
      knockOn('RUN echo $VERSION > /v', 'COPY src/ ./src/'),
      knockOn('COPY --from=builder /out /out', 'COPY src/ ./src/'),
      knockOn('RUN ls', 'COPY src/ ./src/'),
    ]);
    expect(reasonText(sim.prediction.steps[8]!.reason!)).toBe('follows the miss at stage-1 step 5 `COPY src/ ./src/` (line 9)');
    expect(summaryLine(sim)).toBe('cache: 4/9 steps reused, 5 rebuilt (first miss: COPY src/ ./src/ at line 9: src/util.ts changed)');
  });

  it('a new file under a copied directory: "new file src/new.ts"', async () => {
    const p = project();
    await p.build();
    p.write('src/new.ts', 'export {};\n');
    const v = verdictOf(await p.build({ record: false }), 'COPY src/ ./src/');
    expect(v).toMatchObject({ cached: false, cause: 'inputs', text: 'new file src/new.ts', changes: [{ part: 'file', path: 'src/new.ts', change: 'added' }] });
  });

  it('a removed file under a copied directory is named', async () => {
    const p = project();
    await p.build();
    fs.rmSync(path.join(p.ctx, 'src', 'main.ts'));
    const v = verdictOf(await p.build({ record: false }), 'COPY src/ ./src/');
    expect(v).toMatchObject({ cause: 'inputs', text: 'src/main.ts removed', changes: [{ part: 'file', path: 'src/main.ts', change: 'removed' }] });
  });

  it('chmod 644→755 of a copied file: "mode 0644→0755 on run.sh" (the mode is in the content checksum)', async () => {
    const p = project();
    await p.build();
    fs.chmodSync(path.join(p.ctx, 'run.sh'), 0o755);
    const sim = await p.build({ record: false });
    expect(verdictOf(sim, 'COPY src/ ./src/').cached).toBe(true);
    expect(verdictOf(sim, 'COPY run.sh /run.sh')).toMatchObject({
      cached: false,
      cause: 'inputs',
      text: 'mode 0644→0755 on run.sh',
      changes: [{ part: 'file', path: 'run.sh', change: 'mode', oldMode: 0o644, newMode: 0o755 }],
    });
  });

  it('an mtime-only change hits (mtime is not in the checksum)', async () => {
    const p = project();
    await p.build();
    const t = new Date(Date.UTC(2031, 0, 1));
    fs.utimesSync(path.join(p.ctx, 'src', 'util.ts'), t, t);
    expect((await p.build({ record: false })).prediction.rebuilt).toBe(0);
  });

  it('--build-arg VERSION 1→2: COPY and WORKDIR hit, the next RUN misses with "ARG VERSION 1→2"', async () => {
    const p = project();
    await p.build();
    const sim = await p.build({ record: false, buildArgs: new Map([['VERSION', '2']]) });
    expect(verdictOf(sim, 'WORKDIR /app').cached).toBe(true);
    expect(verdictOf(sim, 'COPY src/ ./src/').cached).toBe(true);
    expect(verdictOf(sim, 'COPY run.sh /run.sh').cached).toBe(true);
    expect(verdictOf(sim, 'RUN echo $VERSION > /v')).toEqual({
      instruction: 'RUN echo $VERSION > /v',
      cached: false,
      cause: 'inputs',
      text: 'ARG VERSION 1→2',
      changes: [{ part: 'env', name: 'VERSION', old: '1', new: '2', arg: true }],
      follows: null,
    });
    expect(verdictOf(sim, 'COPY --from=builder /out /out')).toEqual(knockOn('COPY --from=builder /out /out', 'RUN echo $VERSION > /v'));
    // An ARG with a value is in the env of every later RUN (rule 6), so RUN ls has that change of its own too.
    expect(verdictOf(sim, 'RUN ls')).toEqual(knockOn('RUN ls', 'RUN echo $VERSION > /v', [{ part: 'env', name: 'VERSION', old: '1', new: '2', arg: true }]));
    expect(summaryLine(sim)).toBe('cache: 6/9 steps reused, 3 rebuilt (first miss: RUN echo $VERSION > /v at line 11: ARG VERSION 1→2)');
  });

  it('--build-arg equal to the default changes nothing', async () => {
    const p = project();
    await p.build();
    expect((await p.build({ record: false, buildArgs: new Map([['VERSION', '1']]) })).prediction.rebuilt).toBe(0);
  });

  it('ENV edited in the Dockerfile: "ENV MODE changed" on the next RUN, COPY and WORKDIR still hit', async () => {
    const p = project();
    await p.build();
    p.write('Dockerfile', DOCKERFILE.replace('ENV MODE=dev', 'ENV MODE=prod'));
    const sim = await p.build({ record: false });
    expect(verdictOf(sim, 'WORKDIR /app').cached).toBe(true);
    expect(verdictOf(sim, 'COPY src/ ./src/').cached).toBe(true);
    expect(verdictOf(sim, 'RUN echo $VERSION > /v')).toMatchObject({ cause: 'inputs', text: 'ENV MODE changed', changes: [{ part: 'env', name: 'MODE', old: 'dev', new: 'prod', arg: false }] });
  });

  it('an ENV added and one removed are told apart', async () => {
    const p = project();
    await p.build();
    p.write('Dockerfile', DOCKERFILE.replace('ENV MODE=dev', 'ENV LEVEL=3'));
    const v = verdictOf(await p.build({ record: false }), 'RUN echo $VERSION > /v');
    expect(v).toMatchObject({ cause: 'inputs', text: 'ENV LEVEL added, ENV MODE removed' });
  });

  it('the base image changed (bb:latest → bb:v2): FROM misses, the whole stage follows it, the other stage hits', async () => {
    const p = project();
    await p.build();
    p.write('Dockerfile', DOCKERFILE.replace('FROM bb:latest\n', 'FROM bb:v2\n'));
    const sim = await p.build({ record: false });
    expect(verdicts(sim).slice(0, 3).map((v) => v.cached)).toEqual([true, true, true]);
    expect(verdictOf(sim, 'FROM bb:v2')).toEqual({
      instruction: 'FROM bb:v2',
      cached: false,
      cause: 'inputs',
      text: 'the base image changed (bb:latest → bb:v2)',
      changes: [{ part: 'base', old: 'bb:latest', new: 'bb:v2' }],
      follows: null,
    });
    for (const i of ['WORKDIR /app', 'COPY src/ ./src/', 'COPY run.sh /run.sh', 'RUN echo $VERSION > /v', 'COPY --from=builder /out /out', 'RUN ls']) {
      expect(verdictOf(sim, i)).toEqual(knockOn(i, 'FROM bb:v2'));
    }
  });

  it("a source stage's output changed: COPY --from misses with \"stage builder's /out changed\"", async () => {
    const p = project();
    await p.build();
    p.write('gen.txt', 'generated again\n');
    const sim = await p.build({ record: false });
    expect(verdictOf(sim, 'COPY gen.txt /gen.txt')).toMatchObject({ cause: 'inputs', text: 'gen.txt changed' });
    expect(verdictOf(sim, 'RUN mkdir /out && cat /gen.txt > /out/gen')).toEqual(knockOn('RUN mkdir /out && cat /gen.txt > /out/gen', 'COPY gen.txt /gen.txt'));
    expect(verdictOf(sim, 'COPY run.sh /run.sh').cached).toBe(true);
    expect(verdictOf(sim, 'RUN echo $VERSION > /v').cached).toBe(true);
    expect(verdictOf(sim, 'COPY --from=builder /out /out')).toEqual({
      instruction: 'COPY --from=builder /out /out',
      cached: false,
      cause: 'inputs',
      text: "stage builder's /out changed",
      changes: [{ part: 'stage-output', stage: 'builder', path: '/out' }],
      follows: null,
    });
    expect(verdictOf(sim, 'RUN ls')).toEqual(knockOn('RUN ls', 'COPY --from=builder /out /out'));
    // The first miss in build order is the root cause in the builder stage.
    expect(summaryLine(sim)).toBe('cache: 5/9 steps reused, 4 rebuilt (first miss: COPY gen.txt /gen.txt at line 2: gen.txt changed)');
  });

  it('a knock-on miss still lists its own changes, and follows the first root cause', async () => {
    const p = project();
    await p.build();
    p.write('src/util.ts', 'export const util = 3; // edited\n');
    fs.chmodSync(path.join(p.ctx, 'run.sh'), 0o755);
    const sim = await p.build({ record: false, buildArgs: new Map([['VERSION', '2']]) });
    expect(verdictOf(sim, 'COPY run.sh /run.sh')).toEqual(knockOn('COPY run.sh /run.sh', 'COPY src/ ./src/', [{ part: 'file', source: 'run.sh', path: 'run.sh', change: 'mode', oldMode: 0o644, newMode: 0o755 }]));
    expect(verdictOf(sim, 'RUN echo $VERSION > /v')).toEqual(knockOn('RUN echo $VERSION > /v', 'COPY src/ ./src/', [{ part: 'env', name: 'VERSION', old: '1', new: '2', arg: true }]));
  });

  it('--no-cache: RUN/COPY/ADD miss as no-cache, FROM and WORKDIR are still looked up', async () => {
    const p = project();
    await p.build();
    const sim = await p.build({ record: false, noCache: true });
    const byKind = verdicts(sim).map((v) => [v.instruction.split(' ')[0], v.cached, v.cause ?? null, v.text ?? null]);
    expect(byKind).toEqual([
      ['FROM', true, null, null],
      ['COPY', false, 'no-cache', '--no-cache'],
      ['RUN', false, 'no-cache', '--no-cache'],
      ['FROM', null, null, null], // merged with the first stage's identical FROM
      ['ARG', null, null, null],
      ['ENV', null, null, null],
      ['WORKDIR', true, null, null],
      ['COPY', false, 'no-cache', '--no-cache'],
      ['COPY', false, 'no-cache', '--no-cache'],
      ['RUN', false, 'no-cache', '--no-cache'],
      ['COPY', false, 'no-cache', '--no-cache'],
      ['RUN', false, 'no-cache', '--no-cache'],
    ]);
  });

  it('--no-cache: a WORKDIR chained on a step that ran without a lookup misses too (recorded: cache-r24-random-meta-08, cache-r25-random-stages-00)', async () => {
    const p = project(`FROM bb:latest AS other
WORKDIR /app

FROM bb:latest AS base
RUN echo base > /base

FROM base AS build
WORKDIR /build
COPY --from=other /app /other
COPY gen.txt ./
WORKDIR /build/sub
`);
    await p.build();
    const sim = await p.build({ record: false, noCache: true });
    expect(verdicts(sim).map((v) => [v.instruction, v.cached, v.cause ?? null, v.follows ?? null])).toEqual([
      ['FROM bb:latest AS other', true, null, null],
      ['WORKDIR /app', true, null, null], // right after the image: looked up as usual
      ['FROM bb:latest AS base', null, null, null], // merged with the first stage's identical FROM
      ['RUN echo base > /base', false, 'no-cache', null],
      ['FROM base AS build', null, null, null],
      ['WORKDIR /build', false, 'knock-on', 'RUN echo base > /base'],
      ['COPY --from=other /app /other', false, 'no-cache', null],
      ['COPY gen.txt ./', false, 'no-cache', null],
      ['WORKDIR /build/sub', false, 'knock-on', 'COPY gen.txt ./'], // follows the nearest step that ran without a lookup
    ]);
  });

  it('--no-cache: of two steps with one key in this build, one runs and the other shares its result (recorded: cache-r33-random-dedup-07, cache-r34-random-twins-01)', async () => {
    const p = project(`FROM bb:latest AS one
RUN echo shared > /shared
WORKDIR /work

FROM bb:v1 AS two
RUN echo shared > /shared
WORKDIR /work

FROM bb:latest
COPY --from=one /shared /one
COPY --from=two /shared /two
`);
    await p.build();
    const sim = await p.build({ record: false, noCache: true });
    expect(verdicts(sim).filter((v) => /^(RUN|WORKDIR)/.test(v.instruction)).map((v) => [v.instruction, v.cached, v.cause ?? null])).toEqual([
      ['RUN echo shared > /shared', false, 'no-cache'],
      ['WORKDIR /work', false, 'knock-on'],
      ['RUN echo shared > /shared', true, null],
      ['WORKDIR /work', true, null], // its twin computed this key in this build
    ]);
  });

  it('--no-cache-filter: steps chained on the bypassed stage miss; a COPY --from of its unchanged output hits by content', async () => {
    const p = project(`FROM bb:latest AS builder
RUN mkdir /out && echo same > /out/gen

FROM builder AS child
WORKDIR /child

FROM bb:latest
COPY --from=builder /out /out
`);
    await p.build();
    await p.build({ target: 'child' });
    const sim = await p.build({ record: false, noCacheFilter: ['builder'] });
    expect(verdictOf(sim, 'RUN mkdir /out && echo same > /out/gen')).toMatchObject({ cached: false, cause: 'no-cache' });
    expect(verdictOf(sim, 'COPY --from=builder /out /out').cached).toBe(true);
    const child = await p.build({ record: false, noCacheFilter: ['builder'], target: 'child' });
    expect(verdictOf(child, 'WORKDIR /child')).toMatchObject({ cached: false, cause: 'knock-on', follows: 'RUN mkdir /out && echo same > /out/gen' });
  });

  it('--no-cache-filter bypasses only the named stage (case-insensitive); the rest is looked up', async () => {
    const p = project();
    await p.build();
    const sim = await p.build({ record: false, noCacheFilter: ['BUILDER'] });
    expect(verdictOf(sim, 'COPY gen.txt /gen.txt')).toMatchObject({ cached: false, cause: 'no-cache' });
    expect(verdictOf(sim, 'RUN mkdir /out && cat /gen.txt > /out/gen')).toMatchObject({ cached: false, cause: 'no-cache' });
    expect(verdictOf(sim, 'COPY src/ ./src/').cached).toBe(true);
  });

  it('after an edit and its revert the third build hits again (the store keeps every result)', async () => {
    const p = project();
    await p.build();
    const original = fs.readFileSync(path.join(p.ctx, 'src', 'util.ts'), 'utf8');
    p.write('src/util.ts', 'export const util = "edited";\n');
    expect((await p.build()).prediction.rebuilt).toBe(5);
    p.write('src/util.ts', original);
    const third = await p.build({ record: false });
    expect(third.prediction).toMatchObject({ reused: 9, rebuilt: 0, firstMiss: null });
  });

  it('the explanation compares with the previous build, not the oldest', async () => {
    const p = project();
    await p.build({ buildArgs: new Map([['VERSION', 'a']]) });
    await p.build({ buildArgs: new Map([['VERSION', 'b']]) });
    const v = verdictOf(await p.build({ record: false, buildArgs: new Map([['VERSION', 'c']]) }), 'RUN echo $VERSION > /v');
    expect(v.text).toBe('ARG VERSION b→c');
  });

  it('a step built only on top of other earlier results is "not built before", not a change with no named cause', async () => {
    // Build 1: a.txt=1 without the second RUN; build 2: a.txt=2 with it; build 3: a.txt=1 with it.
    // In build 3 COPY and the first RUN hit (build 1's results); the second RUN was only ever built on
    // build 2's chain, so it misses, and nothing of its own differs.
    const df = 'FROM bb:latest\nCOPY a.txt /a.txt\nRUN cat /a.txt > /b\n';
    const p = project(df);
    p.write('a.txt', 'one\n');
    await p.build();
    p.write('a.txt', 'two two\n');
    p.write('Dockerfile', `${df}RUN wc -c /b > /n\n`);
    await p.build();
    p.write('a.txt', 'one\n');
    const sim = await p.build({ record: false });
    expect(verdicts(sim).map((v) => [v.instruction, v.cached, v.cause ?? null, v.text ?? null])).toEqual([
      ['FROM bb:latest', true, null, null],
      ['COPY a.txt /a.txt', true, null, null],
      ['RUN cat /a.txt > /b', true, null, null],
      ['RUN wc -c /b > /n', false, 'cold', 'not built before'],
    ]);
  });

  it('a WORKDIR that misses on a new spelling of USER names the USER as written, not as the ids it is keyed by', async () => {
    // Recorded: cache-r12-workdir-user-root-spellings (USER 0 hit the WORKDIR built after USER root;
    // root:root missed it, and RUN missed on both, as it keys the text).
    const df = (user: string): string => `FROM bb:latest\nUSER ${user}\nWORKDIR /work\nRUN id > /id\n`;
    const p = project(df('root'));
    await p.build();
    p.write('Dockerfile', df('0'));
    expect(verdicts(await p.build()).map((v) => [v.instruction, v.cached, v.text ?? null])).toEqual([
      ['FROM bb:latest', true, null],
      ['USER 0', null, null],
      ['WORKDIR /work', true, null],
      ['RUN id > /id', false, 'USER changed (root → 0)'],
    ]);
    p.write('Dockerfile', df('root:root'));
    expect(verdictOf(await p.build({ record: false }), 'WORKDIR /work').text).toMatch(/^USER changed \((root|0) → root:root\)$/);
  });

  it.each(['buildkit', 'classic'] as const)('%s: a COPY --from that hits keeps the size of the layer it reuses (recorded: cache-r13-stage-hardlinks, build 2)', async (builder) => {
    const df = (make: string): string => `FROM bb:latest AS s\nRUN mkdir /o && echo hello > /o/a && ${make} /o/a /o/b\nFROM bb:latest\nCOPY --from=s /o /o\n`;
    const copySize = (sim: Simulation): number | null => sim.result.steps.find((x) => x.kind === 'COPY')!.history!.size;
    const p = project(df('ln'));
    expect(copySize(await p.build({ builder }))).toBe(6);
    p.write('Dockerfile', df('cp'));
    const rebuilt = await p.build({ builder, record: false });
    expect(verdictOf(rebuilt, 'COPY --from=s /o /o').cached).toBe(true);
    expect(copySize(rebuilt)).toBe(6);
    // Built fresh (nothing stored), the copy of two separate files holds the bytes twice.
    expect(copySize(await project(df('cp')).build({ builder, record: false }))).toBe(12);
  });

  it('a last line ending in a continuation is the same step, printed without the space it leaves', async () => {
    // Recorded: cache-r13-continuation-odd-lines, build 6 (both builders print `RUN cat /x > /y` and hit).
    const p = project('FROM bb:latest\nRUN echo a > /x\nRUN cat /x > /y\n');
    await p.build();
    p.write('Dockerfile', 'FROM bb:latest\nRUN echo a > /x\nRUN cat /x > /y \\\n');
    expect(verdicts(await p.build({ record: false })).map((v) => [v.instruction, v.cached])).toEqual([
      ['FROM bb:latest', true],
      ['RUN echo a > /x', true],
      ['RUN cat /x > /y', true],
    ]);
  });
});

describe('explanations under the classic builder', () => {
  it('everything after the first miss misses as knock-on, even steps BuildKit would reuse', async () => {
    const p = project();
    await p.build({ builder: 'classic' });
    p.write('Dockerfile', DOCKERFILE.replace('ENV MODE=dev', 'ENV MODE=prod'));
    const sim = await p.build({ builder: 'classic', record: false });
    const v = verdicts(sim);
    const env = v.findIndex((x) => x.instruction === 'ENV MODE=prod');
    expect(v.slice(0, env).every((x) => x.cached === true)).toBe(true);
    expect(v[env]).toEqual({ instruction: 'ENV MODE=prod', cached: false, cause: 'inputs', text: 'ENV MODE changed', changes: [{ part: 'env', name: 'MODE', old: 'dev', new: 'prod', arg: false }], follows: null });
    for (const x of v.slice(env + 1)) expect(x).toMatchObject({ cached: false, cause: 'knock-on', follows: 'ENV MODE=prod' });
    expect(v.slice(env + 1).map((x) => x.instruction)).toEqual(['WORKDIR /app', 'COPY src/ ./src/', 'COPY run.sh /run.sh', 'RUN echo $VERSION > /v', 'COPY --from=builder /out /out', 'RUN ls']);
  });

  it('a --build-arg change names the ARG (classic keys RUN by `|1 VERSION=2 …`), not "the command text changed"', async () => {
    const p = project();
    await p.build({ builder: 'classic' });
    const sim = await p.build({ builder: 'classic', record: false, buildArgs: new Map([['VERSION', '2']]) });
    expect(verdictOf(sim, 'RUN echo $VERSION > /v')).toMatchObject({ cached: false, cause: 'inputs', text: 'ARG VERSION 1→2', changes: [{ part: 'env', name: 'VERSION', old: '1', new: '2', arg: true }] });
  });

  it('an edited RUN line is "the command text changed"', async () => {
    const p = project();
    await p.build({ builder: 'classic' });
    p.write('Dockerfile', DOCKERFILE.replace('RUN ls', 'RUN ls -l'));
    const sim = await p.build({ builder: 'classic', record: false });
    expect(verdictOf(sim, 'RUN ls -l')).toMatchObject({ cached: false, cause: 'inputs', text: 'the command text changed' });
  });

  it('--no-cache: every step but FROM misses as no-cache (the classic builder does no lookups)', async () => {
    const p = project();
    await p.build({ builder: 'classic' });
    const sim = await p.build({ builder: 'classic', record: false, noCache: true });
    for (const x of verdicts(sim)) {
      if (x.instruction.startsWith('FROM')) expect(x.cached).toBe(true);
      else expect(x).toMatchObject({ cached: false, cause: 'no-cache' });
    }
  });

  it('twin stages under --no-cache commit two images each; the next lookup takes the later twin\'s chain (recorded: cache-r35-random-twins-29)', async () => {
    const p = project(TWINS);
    p.write('a.txt', 'a\n');
    p.write('b.txt', 'b\n');
    await p.build({ builder: 'classic' });
    await p.build({ builder: 'classic', noCache: true });
    const sim = await p.build({ builder: 'classic' });
    // Stage one's RUN and WORKDIR hit stage two's newer images, on which only COPY b.txt was built.
    expect(verdicts(sim).map((v) => [v.instruction, v.cached, v.cause ?? null])).toEqual([
      ['FROM bb:latest AS one', true, null],
      ['RUN echo w > /shared', true, null],
      ['WORKDIR /work', true, null],
      ['COPY a.txt ./', false, 'inputs'],
      ['FROM bb:v1 AS two', true, null],
      ['RUN echo w > /shared', true, null],
      ['WORKDIR /work', true, null],
      ['COPY b.txt ./', true, null],
      ['FROM bb:latest', true, null],
      ['COPY --from=one /shared /one', true, null],
      ['COPY --from=two /shared /two', true, null],
    ]);
    expect(verdictOf(sim, 'COPY a.txt ./')).toMatchObject({
      changes: [{ part: 'parent-image' }],
      text: 'built before only on other images of the steps above (a --no-cache build or a twin stage made newer ones)',
    });
  });

  it('ONBUILD triggers run inside FROM but are looked up: on a parent rebuilt --no-cache they miss and bust the stage (recorded: cache-r38-random-meta-34)', async () => {
    const p = project(`FROM bb:latest AS parent
ONBUILD COPY gen.txt /onbuild/
LABEL parent=yes

FROM parent
ENV MODE=prod
COPY run.sh /run.sh
`);
    await p.build({ builder: 'classic' });
    await p.build({ builder: 'classic', noCache: true, target: 'parent' });
    const sim = await p.build({ builder: 'classic' });
    expect(verdicts(sim).map((v) => [v.instruction, v.cached, v.cause ?? null, v.follows ?? null])).toEqual([
      ['FROM bb:latest AS parent', true, null, null],
      ['ONBUILD COPY gen.txt /onbuild/', true, null, null],
      ['LABEL parent=yes', true, null, null],
      ['FROM parent', null, null, null],
      // The trigger, run by FROM parent: built before, but only on the parent's older images.
      ['COPY gen.txt /onbuild/', false, 'inputs', null],
      ['ENV MODE=prod', false, 'knock-on', 'COPY gen.txt /onbuild/'],
      ['COPY run.sh /run.sh', false, 'knock-on', 'COPY gen.txt /onbuild/'],
    ]);
  });

  it('the first build is cold throughout', async () => {
    const sim = await project().build({ builder: 'classic', record: false });
    expect(new Set(verdicts(sim).map((x) => x.cause))).toEqual(new Set(['cold']));
  });
});

// ---- Recorded real-builder scenarios: flags from the real builder, reasons from the rules ----------

interface RealBuild { ok: boolean; steps: Array<{ instruction: string; cached: boolean }>; layers?: number; history?: string[] }

/** Replays a scenario's builds in order on one context and one private store, recording each build. */
async function replayScenario(name: string, builder: 'buildkit' | 'classic'): Promise<{ sims: Simulation[]; real: RealBuild[] }> {
  const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', `${name}.json`), 'utf8'));
  const real = (JSON.parse(fs.readFileSync(path.join(ORACLE, builder, `${name}.json`), 'utf8')) as { builds: RealBuild[] }).builds;
  const ctx = tempDir('dfsim-predict-oracle-');
  const cache = tempDir('dfsim-predict-oracle-cache-');
  layOut(ctx, scenario);
  const sims: Simulation[] = [];
  for (const [i, b] of scenario.builds.entries()) {
    applyEdits(ctx, b, i);
    const opts: SimulateOptions = { context: ctx, cacheDir: cache, baseImages: BASE_IMAGES, builder, record: true, buildArgs: new Map(Object.entries(b.buildArgs ?? {})), noCache: b.noCache ?? false };
    if (b.target) opts.target = b.target;
    if (b.dockerfile) opts.dockerfile = path.join(ctx, b.dockerfile);
    sims.push(await simulate(opts));
  }
  return { sims, real };
}

/** CACHED/MISS per step, FROM left out (the builders print FROM's flag as a display effect, oracle README). */
const realFlags = (b: RealBuild): boolean[] => b.steps.filter((s) => !/^FROM /i.test(s.instruction)).map((s) => s.cached);
const simFlags = (sim: Simulation): boolean[] => sim.result.steps.flatMap((s, i) => (s.vertex && s.kind !== 'FROM' ? [sim.prediction.steps[i]!.cached === true] : []));
/** [instruction, cause, text] of each miss that is not FROM. */
const misses = (sim: Simulation): Array<[string, string, string]> =>
  sim.result.steps.flatMap((s, i) => {
    const r = sim.prediction.steps[i]!.reason;
    return r && s.kind !== 'FROM' ? [[s.instruction, r.cause, reasonText(r)] as [string, string, string]] : [];
  });

describe('explanations of the misses the real builder had', () => {
  it('cache-edit-copied-file (BuildKit): b.txt edited, then a.txt edited', async () => {
    const { sims, real } = await replayScenario('cache-edit-copied-file', 'buildkit');
    sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(real[i]!)));
    expect(misses(sims[3]!)).toEqual([
      ['COPY b.txt /b.txt', 'inputs', 'b.txt changed'],
      ['RUN ls /', 'knock-on', 'follows the miss at stage-0 step 4 `COPY b.txt /b.txt` (line 4)'],
    ]);
    expect(misses(sims[4]!)).toEqual([
      ['COPY a.txt /a.txt', 'inputs', 'a.txt changed'],
      ['RUN cat /a.txt > /out', 'knock-on', 'follows the miss at stage-0 step 2 `COPY a.txt /a.txt` (line 2)'],
      ['COPY b.txt /b.txt', 'knock-on', 'follows the miss at stage-0 step 2 `COPY a.txt /a.txt` (line 2)'],
      ['RUN ls /', 'knock-on', 'follows the miss at stage-0 step 2 `COPY a.txt /a.txt` (line 2)'],
    ]);
    expect(summaryLine(sims[3]!)).toBe('cache: 3/5 steps reused, 2 rebuilt (first miss: COPY b.txt /b.txt at line 4: b.txt changed)');
  });

  it('cache-chmod-copied-file (both builders): chmod 755 misses with the mode change, chmod back hits', async () => {
    for (const builder of ['buildkit', 'classic'] as const) {
      const { sims, real } = await replayScenario('cache-chmod-copied-file', builder);
      sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(real[i]!)));
      expect(misses(sims[1]!)[0]).toEqual(['COPY run.sh /run.sh', 'inputs', 'mode 0644→0755 on run.sh']);
      expect(misses(sims[2]!)).toEqual([]);
    }
  });

  it('cache-arg-buildarg-change (both builders): unset→x, x→y, then earlier values hit', async () => {
    for (const builder of ['buildkit', 'classic'] as const) {
      const { sims, real } = await replayScenario('cache-arg-buildarg-change', builder);
      sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(real[i]!)));
      expect(misses(sims[1]!)).toEqual([['RUN echo "v=$V" > /v', 'inputs', 'ARG V now set to x']]);
      expect(misses(sims[2]!)).toEqual([['RUN echo "v=$V" > /v', 'inputs', 'ARG V x→y']]);
      expect(misses(sims[3]!)).toEqual([]);
      expect(misses(sims[4]!)).toEqual([]);
    }
  });

  it('cache-env-change: BuildKit misses only the RUN; classic misses the ENV step and everything after it', async () => {
    const bk = await replayScenario('cache-env-change', 'buildkit');
    bk.sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(bk.real[i]!)));
    expect(misses(bk.sims[1]!)).toEqual([['RUN echo ok > /ok', 'inputs', 'ENV A changed']]);
    const classic = await replayScenario('cache-env-change', 'classic');
    classic.sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(classic.real[i]!)));
    expect(misses(classic.sims[1]!)).toEqual([
      ['ENV A=2', 'inputs', 'ENV A changed'],
      ['COPY a.txt /a.txt', 'knock-on', 'follows the miss at stage-0 step 2 `ENV A=2` (line 2)'],
      ['RUN echo ok > /ok', 'knock-on', 'follows the miss at stage-0 step 2 `ENV A=2` (line 2)'],
    ]);
  });

  it('cache-base-image-change: bb:v1 → bb:v2 misses at FROM; back to bb:v1 and bb:latest (same image) hit', async () => {
    const { sims, real } = await replayScenario('cache-base-image-change', 'buildkit');
    sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(real[i]!)));
    const from = sims[1]!.prediction.steps[0]!.reason!;
    expect(reasonText(from)).toBe('the base image changed (bb:v1 → bb:v2)');
    expect(misses(sims[1]!)).toEqual([
      ['COPY a.txt /a', 'knock-on', 'follows the miss at stage-0 step 1 `FROM bb:v2` (line 1)'],
      ['RUN cat /a > /b', 'knock-on', 'follows the miss at stage-0 step 1 `FROM bb:v2` (line 1)'],
    ]);
    expect(sims[3]!.prediction.rebuilt).toBe(0);
  });

  it('cache-stage-output-changes and cache-early-cutoff-copy-from: COPY --from names the stage output, and hits when it is byte-identical', async () => {
    const so = await replayScenario('cache-stage-output-changes', 'buildkit');
    so.sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(so.real[i]!)));
    expect(misses(so.sims[2]!)).toEqual([
      ['COPY a.txt /a.txt', 'inputs', 'a.txt changed'],
      ['RUN cat /a.txt > /c', 'knock-on', 'follows the miss at base step 2 `COPY a.txt /a.txt` (line 2)'],
      ['COPY --from=child /c /c', 'inputs', "stage child's /c changed"],
      ['RUN true', 'knock-on', 'follows the miss at stage-2 step 2 `COPY --from=child /c /c` (line 8)'],
    ]);
    const ec = await replayScenario('cache-early-cutoff-copy-from', 'buildkit');
    ec.sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(ec.real[i]!)));
    // Same /out: the gen stage re-runs, the final stage is reused (early cut-off).
    expect(misses(ec.sims[1]!).map((m) => m[0])).toEqual(['COPY in.txt /in.txt', 'RUN wc -c < /in.txt > /out']);
    expect(misses(ec.sims[2]!)).toContainEqual(['COPY --from=gen /out /out', 'inputs', "stage gen's /out changed"]);
  });

  it('cache-no-cache (both builders): --no-cache misses as no-cache, the next normal build hits', async () => {
    const bk = await replayScenario('cache-no-cache', 'buildkit');
    bk.sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(bk.real[i]!)));
    expect(misses(bk.sims[1]!)).toEqual([
      ['COPY a.txt ./', 'no-cache', '--no-cache'],
      ['RUN cat a.txt > b', 'no-cache', '--no-cache'],
    ]);
    const classic = await replayScenario('cache-no-cache', 'classic');
    classic.sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(classic.real[i]!)));
    expect(misses(classic.sims[1]!).map((m) => m[1])).toEqual(['no-cache', 'no-cache', 'no-cache']);
    expect(misses(classic.sims[2]!)).toEqual([]);
  });

  it('cache-revert-edit (both builders): the revert and the repeated edit hit', async () => {
    for (const builder of ['buildkit', 'classic'] as const) {
      const { sims, real } = await replayScenario('cache-revert-edit', builder);
      sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(real[i]!)));
      expect(misses(sims[1]!)[0]).toEqual(['COPY a.txt /a.txt', 'inputs', 'a.txt changed']);
      expect([sims[2]!.prediction.rebuilt, sims[3]!.prediction.rebuilt]).toEqual([0, 0]);
    }
  });

  it('cache-wildcard-new-match: a new file matching COPY *.txt is named', async () => {
    const { sims, real } = await replayScenario('cache-wildcard-new-match', 'buildkit');
    sims.forEach((sim, i) => expect(simFlags(sim)).toEqual(realFlags(real[i]!)));
    expect(misses(sims[2]!)[0]).toEqual(['COPY *.txt /d/', 'inputs', 'new file new.txt']);
  });
});

// ---- The CLI: `dfsim build --json` and the summary line ---------------------------------------------

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} });
  return { code, out, err };
}

describe('dfsim build --json', () => {
  it('has the documented shape, and agrees with the real builder on cache-edit-copied-file (b.txt edited)', async () => {
    const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ORACLE, 'scenarios', 'cache-edit-copied-file.json'), 'utf8'));
    const real = (JSON.parse(fs.readFileSync(path.join(ORACLE, 'buildkit', 'cache-edit-copied-file.json'), 'utf8')) as { builds: RealBuild[] }).builds;
    const ctx = tempDir('dfsim-predict-cli-');
    const cache = tempDir('dfsim-predict-cli-cache-');
    layOut(ctx, scenario);
    const args = ['--cache-dir', cache, '--base-image', `bb:latest=${BASE_IMAGES.get('bb:latest')}`, '--json'];
    const first = await run(['build', ctx, ...args]);
    expect(first.code).toBe(0);
    for (let i = 1; i <= 3; i++) applyEdits(ctx, scenario.builds[i]!, i);
    const second = await run(['plan', ctx, ...args]);
    expect(second.code).toBe(0);
    const json = JSON.parse(second.out) as Record<string, unknown> & {
      steps: Array<Record<string, unknown> & { cached: boolean | null; kind: string; reason: { cause: string; text: string; changes: Change[]; follows: { instruction: string; line: number } | null } | null }>;
      image: { layers: number; history: Array<{ createdBy: string; emptyLayer: boolean }> };
      summary: unknown;
    };
    expect(Object.keys(json)).toEqual(expect.arrayContaining(['ok', 'error', 'builder', 'target', 'steps', 'summary', 'image', 'warnings']));
    expect(json).toMatchObject({ ok: true, error: null, builder: 'buildkit', target: { index: 0, name: null }, warnings: [] });
    for (const s of json.steps) expect(Object.keys(s)).toEqual(expect.arrayContaining(['stage', 'instruction', 'kind', 'line', 'vertex', 'cached', 'reason']));
    expect(json.steps.map((s) => [s.instruction, s.kind, s.line, s.vertex, s.cached])).toEqual([
      ['FROM bb:latest', 'FROM', 1, true, true],
      ['COPY a.txt /a.txt', 'COPY', 2, true, true],
      ['RUN cat /a.txt > /out', 'RUN', 3, true, true],
      ['COPY b.txt /b.txt', 'COPY', 4, true, false],
      ['RUN ls /', 'RUN', 5, true, false],
    ]);
    expect(json.steps.filter((s) => s.kind !== 'FROM').map((s) => s.cached)).toEqual(realFlags(real[3]!));
    expect(json.steps[3]!.reason).toEqual({ cause: 'inputs', text: 'b.txt changed', changes: [{ part: 'file', source: 'b.txt', path: 'b.txt', change: 'modified' }], follows: null });
    expect(json.steps[4]!.reason).toMatchObject({ cause: 'knock-on', changes: [], follows: { instruction: 'COPY b.txt /b.txt', line: 4 } });
    expect(json.summary).toEqual({ reused: 3, rebuilt: 2, firstMiss: { stage: { index: 0, name: null }, instruction: 'COPY b.txt /b.txt', line: 4, reason: 'b.txt changed' } });
    // The image: the real builder's layer count and history created-by texts (`docker history`: size TAB created-by).
    expect(json.image.layers).toBe(real[3]!.layers);
    expect(json.image.history.map((h) => h.createdBy)).toEqual(real[3]!.history!.map((h) => h.split('\t')[1]!));
    // Deterministic: the same plan twice prints the same bytes, with no absolute path of the context.
    expect((await run(['plan', ctx, ...args])).out).toBe(second.out);
    expect(second.out).not.toContain(ctx);
  });

  it('the text report ends with the summary line', async () => {
    const p = project();
    await p.build();
    p.write('src/util.ts', 'export const util = 4; // edited\n');
    const res = await run(['plan', p.ctx, '--cache-dir', p.cache, '--base-image', `bb:latest=${BASE_IMAGES.get('bb:latest')}`, '--no-files']);
    expect(res.code).toBe(0);
    const lines = res.out.trimEnd().split('\n');
    expect(lines.at(-1)).toBe('cache: 4/9 steps reused, 5 rebuilt (first miss: COPY src/ ./src/ at line 9: src/util.ts changed)');
    expect(lines.filter((l) => /^MISS +\[stage-1 [^\]]+\] COPY src\/ \.\/src\/  \(src\/util\.ts changed\)$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^CACHED \[builder [^\]]+\] COPY gen\.txt \/gen\.txt$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('RUN ls') && l.includes('follows the miss at stage-1 step 5 `COPY src/ ./src/` (line 9)'))).toHaveLength(1);
  });
});

// ---- The two-stage project, recorded from the real builders -------------------------------------
// fixtures/predict-two-stage.*: the project above, one edit per build, cumulative, run through Docker
// 20.10 (BuildKit and classic) with /work/shared/oracle/real-build.mjs. BuildKit prints steps in the
// order they ran, with ARG values expanded, so steps are matched by stage and instruction.

const FIX = path.join(import.meta.dirname, 'fixtures');
const twoStage = (kind: string): unknown => JSON.parse(fs.readFileSync(path.join(FIX, `predict-two-stage.${kind}.json`), 'utf8'));

interface TwoStageBuild { ok: boolean; layers?: number; steps: Array<{ stage: string | null; instruction: string; cached: boolean }> }

async function replayTwoStage(builder: 'buildkit' | 'classic'): Promise<{ sims: Simulation[]; real: TwoStageBuild[]; scenario: Scenario }> {
  const scenario = twoStage('scenario') as Scenario;
  const real = (twoStage(builder) as { builds: TwoStageBuild[] }).builds;
  const ctx = tempDir('dfsim-predict-two-stage-');
  const cache = tempDir('dfsim-predict-two-stage-cache-');
  layOut(ctx, scenario);
  const sims: Simulation[] = [];
  for (const [i, b] of scenario.builds.entries()) {
    applyEdits(ctx, b, i);
    sims.push(await simulate({ context: ctx, cacheDir: cache, baseImages: BASE_IMAGES, builder, record: true, buildArgs: new Map(Object.entries(b.buildArgs ?? {})), noCache: b.noCache ?? false }));
  }
  return { sims, real, scenario };
}

/** `stage instruction => CACHED|MISS`, sorted, FROM left out; `$VERSION` as the builder printed it. */
function flagSet(entries: Array<{ stage: string; instruction: string; cached: boolean }>): string[] {
  return entries.filter((e) => !/^FROM /i.test(e.instruction)).map((e) => `${e.stage} ${e.instruction} => ${e.cached ? 'CACHED' : 'MISS'}`).sort();
}

function simFlagSet(sim: Simulation, version: string | null): string[] {
  return flagSet(
    sim.result.steps.flatMap((s, i) => {
      if (!s.vertex) return [];
      const instruction = version === null ? s.instruction : s.instruction.replace('$VERSION', version);
      return [{ stage: s.stage.name ?? `stage-${s.stage.index}`, instruction, cached: sim.prediction.steps[i]!.cached === true }];
    }),
  );
}

/** Each miss as `instruction: cause: text`, FROM included (its reason is the interesting one when the base changes). */
const explained = (sim: Simulation): string[] =>
  sim.result.steps.flatMap((s, i) => {
    const r = sim.prediction.steps[i]!.reason;
    return r ? [`${s.instruction}: ${r.cause}: ${reasonText(r)}`] : [];
  });

describe('the two-stage project against the real builders', () => {
  it('BuildKit: the real CACHED flags of every build, and the reason of each miss', async () => {
    const { sims, real, scenario } = await replayTwoStage('buildkit');
    sims.forEach((sim, i) => {
      const version = scenario.builds[i]!.buildArgs?.VERSION ?? '1';
      expect({ build: i, flags: simFlagSet(sim, version) }).toEqual({ build: i, flags: flagSet(real[i]!.steps.map((s) => ({ ...s, stage: s.stage ?? 'stage-0' }))) });
      expect(sim.result.image?.layers).toBe(real[i]!.layers);
    });
    const follows = (instruction: string, root: string): string => `${instruction}: knock-on: follows the miss at ${root}`;
    const afterSrc = 'stage-1 step 5 `COPY src/ ./src/` (line 9)';
    expect(explained(sims[1]!)).toEqual([
      'COPY src/ ./src/: inputs: src/util.ts changed',
      follows('COPY run.sh /run.sh', afterSrc),
      follows('RUN echo $VERSION > /v', afterSrc),
      follows('COPY --from=builder /out /out', afterSrc),
      follows('RUN ls', afterSrc),
    ]);
    expect(explained(sims[2]!)[0]).toBe('COPY src/ ./src/: inputs: new file src/new.ts');
    expect(explained(sims[3]!)[0]).toBe('COPY run.sh /run.sh: inputs: mode 0644→0755 on run.sh');
    expect(explained(sims[4]!)[0]).toBe('RUN echo $VERSION > /v: inputs: ARG VERSION 1→2');
    // VERSION is back to 1 and MODE is new: build 3's record (VERSION=1, MODE=dev) is the closest, so only the ENV is named.
    expect(explained(sims[5]!)[0]).toBe('RUN echo $VERSION > /v: inputs: ENV MODE changed');
    expect(explained(sims[6]!)).toEqual([
      'FROM bb:v2: inputs: the base image changed (bb:latest → bb:v2)',
      ...['WORKDIR /app', 'COPY src/ ./src/', 'COPY run.sh /run.sh', 'RUN echo $VERSION > /v', 'COPY --from=builder /out /out', 'RUN ls'].map((i) => follows(i, 'stage-1 step 1 `FROM bb:v2` (line 5)')),
    ]);
    expect(explained(sims[7]!)).toEqual([
      'COPY gen.txt /gen.txt: inputs: gen.txt changed',
      follows('RUN mkdir /out && cat /gen.txt > /out/gen', 'builder step 2 `COPY gen.txt /gen.txt` (line 2)'),
      "COPY --from=builder /out /out: inputs: stage builder's /out changed",
      follows('RUN ls', 'stage-1 step 8 `COPY --from=builder /out /out` (line 12)'),
    ]);
    expect(new Set(explained(sims[8]!).map((e) => e.split(': ')[1]))).toEqual(new Set(['no-cache']));
    expect(explained(sims[9]!)).toEqual([]);
  });

  it('classic: the real CACHED flags of every build, and everything after the first miss of a stage is knock-on', async () => {
    const { sims, real } = await replayTwoStage('classic');
    sims.forEach((sim, i) => {
      expect({ build: i, flags: simFlagSet(sim, null) }).toEqual({ build: i, flags: flagSet(real[i]!.steps.map((s, j) => ({ ...s, stage: sim.result.steps[j]!.stage.name ?? `stage-${sim.result.steps[j]!.stage.index}` }))) });
      expect(sim.result.image?.layers).toBe(real[i]!.layers);
    });
    const envRoot = 'stage-1 step 3 `ENV MODE=prod` (line 7)';
    expect(explained(sims[5]!)).toEqual([
      'ENV MODE=prod: inputs: ENV MODE changed',
      ...['WORKDIR /app', 'COPY src/ ./src/', 'COPY run.sh /run.sh', 'RUN echo $VERSION > /v', 'COPY --from=builder /out /out', 'RUN ls'].map((i) => `${i}: knock-on: follows the miss at ${envRoot}`),
    ]);
    expect(explained(sims[4]!)[0]).toBe('RUN echo $VERSION > /v: inputs: ARG VERSION 1→2');
    expect(new Set(explained(sims[8]!).map((e) => e.split(': ')[1]))).toEqual(new Set(['no-cache']));
  });
});
