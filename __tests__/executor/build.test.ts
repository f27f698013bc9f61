// Stage names used twice (recorded: exec-r13-stage-name-rules).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate, type Simulation } from '../../src/simulate.js';

const IMAGE = path.join(import.meta.dirname, '..', 'fixtures', 'images', 'bb-latest.json');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

async function build(dockerfile: string, builder: 'buildkit' | 'classic', target?: string): Promise<Simulation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-build-'));
  roots.push(dir);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
  const opts: Parameters<typeof simulate>[0] = { context: dir, builder, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false };
  if (target !== undefined) opts.target = target;
  return simulate(opts);
}

const TWO_A = 'FROM bb:latest AS a\nRUN echo first > /v\nFROM bb:latest AS A\nRUN echo second-one > /v\nFROM bb:latest\nCOPY --from=a /v /v\n';

describe('two stages of one name', () => {
  it('the classic builder runs the stages before the second, then fails at its FROM, which it never prints', async () => {
    const sim = await build(TWO_A, 'classic');
    expect(sim.result.error).toMatchObject({ code: 'DF2006', message: 'a stage name already used', range: { start: { line: 3, column: 1 } } });
    expect(sim.result.failedStep).toMatchObject({ kind: 'FROM', line: 3, vertex: false });
    expect(sim.result.steps.map((s) => s.instruction)).toEqual(['FROM bb:latest AS a', 'RUN echo first > /v', 'FROM bb:latest AS A']);
    expect(sim.warnings.map((w) => w.code)).toContain('DF2104');
  });

  it('the classic builder never reaches a second stage of the name after the --target', async () => {
    const sim = await build('FROM bb:latest AS a\nRUN echo first > /v\nFROM bb:latest AS out\nCOPY --from=a /v /v\nFROM bb:latest AS a\nRUN echo second-one > /v\n', 'classic', 'out');
    expect(sim.result.error).toBeNull();
    expect(sim.result.image?.history.at(-1)?.size).toBe(6); // "first\n"
  });

  it('BuildKit builds it and COPY --from takes the last stage of the name', async () => {
    const sim = await build(TWO_A, 'buildkit');
    expect(sim.result.error).toBeNull();
    expect(sim.result.steps.filter((s) => s.kind !== 'FROM').map((s) => s.instruction)).toEqual(['RUN echo second-one > /v', 'COPY --from=a /v /v']);
    expect(sim.result.image?.history.at(-1)?.size).toBe(11); // "second-one\n"
  });

  it('BuildKit: a last stage of the name after the stage copying from it is a forward reference (DF3212)', async () => {
    const sim = await build('FROM bb:latest AS a\nRUN echo first > /v\nFROM bb:latest AS out\nCOPY --from=a /v /v\nFROM bb:latest AS a\nRUN echo second-one > /v\n', 'buildkit', 'out');
    expect(sim.result.error).toMatchObject({ code: 'DF3212', message: 'cannot copy from stage "a", it needs to be defined before current stage "out"' });
  });
});
