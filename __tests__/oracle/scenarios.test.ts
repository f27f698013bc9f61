// Replays every scenario recorded from the real builder (__tests__/fixtures/oracle) through dfsim and
// compares, build by build: success or failure, the failing step, the image's layer count, and for
// every step the builder ran whether it was CACHED. Disagreements that are understood but not yet
// fixed are listed, with a reason, in known-disagreements.json; the test fails on any other
// disagreement, and also when a listed one starts agreeing (so the list cannot go stale).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { replay, tmpRoots, type RealBuild } from '../helpers/replay.js';
import type { Scenario } from '../helpers/scenario.js';

const ROOT = path.join(import.meta.dirname, '..', 'fixtures', 'oracle');
const known: Record<string, string> = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, 'known-disagreements.json'), 'utf8'));

afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

const scenarios = fs.readdirSync(path.join(ROOT, 'scenarios')).filter((f) => f.endsWith('.json')).sort();

for (const builder of ['buildkit', 'classic'] as const) {
  describe(`real builder agreement (${builder})`, () => {
    it.each(scenarios)('%s', async (file) => {
      const scenario: Scenario = JSON.parse(fs.readFileSync(path.join(ROOT, 'scenarios', file), 'utf8'));
      const real: { builds: RealBuild[] } = JSON.parse(fs.readFileSync(path.join(ROOT, builder, file), 'utf8'));
      const problems = await replay(scenario, builder, real.builds);
      const id = `${builder}/${file.replace(/\.json$/, '')}`;
      if (known[id]) expect({ id, agrees: problems.length === 0 }).toEqual({ id, agrees: false });
      else expect(problems).toEqual([]);
    });
  });
}
