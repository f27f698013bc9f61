// The bb-* samples double as golden tests: each holds what the real builder did with it
// (real-build.json, both builders, a first build and an unchanged rebuild), and dfsim must agree.
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { replay, tmpRoots, type RealBuild } from '../helpers/replay.js';
import type { Scenario } from '../helpers/scenario.js';

const SAMPLES = path.join(import.meta.dirname, '..', '..', 'samples');
// Files added to the sample folders after the recording: not part of the context the real builder saw.
const NOT_CONTEXT = new Set(['real-build.json', 'outline.txt']);

afterAll(() => {
  for (const d of tmpRoots) fs.rmSync(d, { recursive: true, force: true });
});

function contextFiles(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (!prefix && NOT_CONTEXT.has(name)) continue;
    const abs = path.join(dir, name);
    if (fs.statSync(abs).isDirectory()) Object.assign(out, contextFiles(abs, rel));
    else out[rel] = fs.readFileSync(abs, 'utf8');
  }
  return out;
}

const samples = fs.readdirSync(SAMPLES).filter((n) => fs.existsSync(path.join(SAMPLES, n, 'real-build.json'))).sort();

describe('samples built by the real builder', () => {
  it('has buildable samples', () => {
    expect(samples.length).toBeGreaterThanOrEqual(8);
  });
  for (const builder of ['buildkit', 'classic'] as const) {
    it.each(samples)(`%s (${builder})`, async (name) => {
      const recorded: Record<string, { builds: RealBuild[] }> = JSON.parse(fs.readFileSync(path.join(SAMPLES, name, 'real-build.json'), 'utf8'));
      const real = recorded[builder]!.builds;
      const scenario: Scenario = { name, files: contextFiles(path.join(SAMPLES, name)), builds: real.map((b) => ({ label: b.label })) };
      expect(await replay(scenario, builder, real)).toEqual([]);
    });
  }
});
