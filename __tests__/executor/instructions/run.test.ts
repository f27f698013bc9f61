// RUN with the classic builder's volumes (recorded: exec-r13-volume-rm-chmod-child).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate, type Simulation } from '../../../src/simulate.js';

const IMAGE = path.join(import.meta.dirname, '..', '..', 'fixtures', 'images', 'bb-latest.json');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

async function build(dockerfile: string, builder: 'buildkit' | 'classic' = 'classic', files: Record<string, string> = {}): Promise<Simulation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-run-'));
  roots.push(dir);
  for (const [rel, content] of Object.entries({ ...files, Dockerfile: dockerfile })) fs.writeFileSync(path.join(dir, rel), content);
  return simulate({ context: dir, builder, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
}

const runSteps = (sim: Simulation) => sim.result.steps.filter((s) => s.kind === 'RUN');
const addedPaths = (sim: Simulation, i: number) => runSteps(sim)[i]!.layer?.changes.map((c) => `${c.change} ${c.path}`) ?? [];

describe('RUN under a VOLUME (classic builder)', () => {
  const base = 'FROM bb:latest AS base\nCOPY a.txt /data/a.txt\nVOLUME /data\nFROM base\n';

  it('a RUN that only deletes and writes under a volume commits no layer', async () => {
    const sim = await build(`${base}RUN rm /data/a.txt && echo x > /data/new-file.txt\nRUN ls /data > /listing\n`, 'classic', { 'a.txt': 'a\n' });
    expect(sim.result.error).toBeNull();
    expect(runSteps(sim).map((s) => [s.createsLayer, s.history?.emptyLayer])).toEqual([[false, true], [true, false]]);
    // base layer + COPY + the second RUN
    expect(sim.result.image?.layers).toBe(3);
  });

  it('a chmod under a volume is discarded, and commits no layer', async () => {
    const sim = await build(`${base}RUN chmod 600 /data/a.txt\nRUN test "$(stat -c %a /data/a.txt)" = 600\n`, 'classic', { 'a.txt': 'a\n' });
    expect(runSteps(sim)[0]!.createsLayer).toBe(false);
    expect(sim.result.error).toMatchObject({ code: 'DF3301' });
  });

  it('a write outside the volumes still commits one', async () => {
    const sim = await build(`${base}RUN rm /data/a.txt && echo y > /y\n`, 'classic', { 'a.txt': 'a\n' });
    expect(addedPaths(sim, 0)).toEqual(['added /y']);
    expect(runSteps(sim)[0]!.createsLayer).toBe(true);
  });

  it('makes the mount point of a missing volume directory in the RUN\'s layer, empty, and discards what is written there', async () => {
    const sim = await build('FROM bb:latest\nVOLUME ["/data"]\nRUN mkdir /data2 && echo y > /data2/y && echo x > /data/x\nRUN ls /data /data2 > /listing\n');
    expect(sim.result.error).toBeNull();
    expect(addedPaths(sim, 0)).toEqual(['added /data', 'added /data2', 'added /data2/y']);
    expect(addedPaths(sim, 1)).toEqual(['added /listing']);
    expect(sim.result.image?.history.slice(1).map((h) => h.size)).toEqual([0, 2, 18]);
  });

  it('the mount point stays in the image: COPY --from of it copies an empty directory', async () => {
    const sim = await build('FROM bb:latest AS v\nVOLUME ["/data"]\nRUN echo x > /data/x || echo y > /y\nFROM bb:latest\nCOPY --from=v /data /d\nRUN ls -A /d > /listing\n');
    expect(sim.result.error).toBeNull();
    expect(sim.result.image?.layers).toBe(3);
    expect(sim.result.image?.history.slice(1).map((h) => h.size)).toEqual([0, 0]);
  });

  it('BuildKit mounts no volume: the directory stays missing', async () => {
    const sim = await build('FROM bb:latest\nVOLUME ["/data"]\nRUN echo x > /data/x\n', 'buildkit');
    expect(sim.result.error).toMatchObject({ code: 'DF3301' });
  });
});
