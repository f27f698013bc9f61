import { describe, expect, it } from '@jest/globals';
import type { Change, MissReason } from '../../src/cache/predict.js';
import { changeText, reasonText } from '../../src/reports/reason-text.js';

describe('changeText: one change in plain words', () => {
  it.each<[Change, string]>([
    [{ part: 'file', source: 'src', path: 'src/util.ts', change: 'modified' }, 'src/util.ts changed'],
    [{ part: 'file', source: 'src', path: 'src/new.ts', change: 'added' }, 'new file src/new.ts'],
    [{ part: 'file', source: '.', path: 'old.txt', change: 'removed' }, 'old.txt removed'],
    [{ part: 'file', source: '.', path: 'run.sh', change: 'mode', oldMode: 0o644, newMode: 0o755 }, 'mode 0644→0755 on run.sh'],
    [{ part: 'env', name: 'VERSION', old: '1', new: '2', arg: true }, 'ARG VERSION 1→2'],
    [{ part: 'env', name: 'MODE', old: 'a', new: 'b', arg: false }, 'ENV MODE changed'],
    [{ part: 'base', old: 'bb:latest', new: 'bb:v2' }, 'the base image changed (bb:latest → bb:v2)'],
    [{ part: 'stage-output', stage: 'builder', path: '/out' }, "stage builder's /out changed"],
    [{ part: 'user', old: 'root', new: 'app' }, 'USER changed (root → app)'],
  ])('%j', (change, text) => {
    expect(changeText(change)).toBe(text);
  });
});

describe('reasonText', () => {
  const follows = { stage: { index: 0, name: 'builder' }, position: 2, instruction: 'COPY src /app', line: 3 };
  it('lists at most four changes', () => {
    const changes: Change[] = ['a', 'b', 'c', 'd', 'e'].map((p) => ({ part: 'file', source: '.', path: p, change: 'modified' }));
    expect(reasonText({ cause: 'inputs', changes, follows: null })).toBe('a changed, b changed, c changed, d changed, and 1 more');
  });
  it('a knock-on names its root cause, and its own file changes', () => {
    const r: MissReason = { cause: 'knock-on', changes: [{ part: 'env', name: 'A', old: '1', new: '2', arg: true }], follows };
    expect(reasonText(r)).toBe('follows the miss at builder step 3 `COPY src /app` (line 3)');
    r.changes.push({ part: 'file', source: '.', path: 'run.sh', change: 'mode', oldMode: 0o644, newMode: 0o755 });
    expect(reasonText(r)).toBe('follows the miss at builder step 3 `COPY src /app` (line 3); also mode 0644→0755 on run.sh');
  });
  it.each<[MissReason['cause'], string]>([
    ['cold', 'not built before'],
    ['no-cache', '--no-cache'],
    ['uncacheable', 'the classic builder never caches an ARG before the first FROM'],
  ])('%s', (cause, text) => {
    expect(reasonText({ cause, changes: [], follows: null })).toBe(text);
  });
});
