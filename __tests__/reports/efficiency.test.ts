import { analyzeLayers, evaluateGate, parseByteSize, type LayerTree } from '../../src/reports/efficiency.js';

// Expected values are worked out by hand from dive's rules (dive/filetree/efficiency.go,
// dive/image/analysis.go): per path, cumulative = Σ leaf sizes, min = smallest; efficiency =
// Σmin / Σcumulative; wasted = Σ cumulative of paths in 2+ layers; user % = wasted / (all but layer 0).

const base: LayerTree = { entries: [{ path: '/etc', type: 'dir', size: 0 }, { path: '/etc/x', type: 'file', size: 100 }], size: 100 };

test('a file written then removed: wasted at its written size, the whiteout counts 0', () => {
  const r = analyzeLayers([
    base,
    { entries: [{ path: '/big', type: 'file', size: 1000 }], size: 1000 },
    { entries: [{ path: '/big', type: 'file', size: 0, whiteout: true }], size: 0 },
  ]);
  // /etc/x: 100/100; /big: min 0, cumulative 1000 + 0
  expect(r.efficiency).toBeCloseTo(100 / 1100, 12);
  expect(r.wastedBytes).toBe(1000);
  expect(r.userSizeBytes).toBe(1000);
  expect(r.userWastedPercent).toBe(1);
  expect(r.sizeBytes).toBe(1100);
  expect(r.inefficiencies).toEqual([{ path: '/big', layers: [1, 2], cumulativeSize: 1000 }]);
});

test('a file overwritten with a bigger one: both copies are waste, the smaller is the minimum', () => {
  const r = analyzeLayers([{ entries: [{ path: '/f', type: 'file', size: 10 }], size: 10 }, { entries: [{ path: '/f', type: 'file', size: 30 }], size: 30 }]);
  expect(r.efficiency).toBe(0.25);
  expect(r.wastedBytes).toBe(40);
  expect(r.userWastedPercent).toBeCloseTo(40 / 30, 12);
});

test('a chmod that copies a file up doubles it', () => {
  const r = analyzeLayers([base, { entries: [{ path: '/etc/x', type: 'file', size: 100 }], size: 100 }]);
  expect(r.efficiency).toBe(0.5);
  expect(r.wastedBytes).toBe(200);
  expect(r.userWastedPercent).toBe(2);
});

test('a directory whiteout counts the bytes under it but is one node: no waste (dive quirk)', () => {
  const r = analyzeLayers([
    { entries: [{ path: '/d', type: 'dir', size: 0 }, { path: '/d/a', type: 'file', size: 10 }, { path: '/d/b', type: 'file', size: 20 }], size: 30 },
    { entries: [{ path: '/d', type: 'dir', size: 0, whiteout: true }], size: 0 },
  ]);
  // leaves: /d/a 10, /d/b 20 (layer 0), /d whiteout sized 30 (layer 1); every path once
  expect(r.efficiency).toBe(1);
  expect(r.wastedBytes).toBe(0);
  expect(r.inefficiencies).toEqual([]);
});

test('only leaves count: a directory with entries below it in the same layer is not a node', () => {
  const r = analyzeLayers([
    { entries: [{ path: '/e', type: 'dir', size: 0 }, { path: '/app', type: 'dir', size: 0 }, { path: '/app/a', type: 'file', size: 5 }], size: 5 },
    { entries: [{ path: '/e', type: 'dir', size: 0 }, { path: '/app', type: 'dir', size: 0 }, { path: '/app/b', type: 'file', size: 7 }], size: 7 },
  ]);
  // /e is a leaf twice (a zero-byte inefficiency); /app is never a leaf
  expect(r.inefficiencies).toEqual([{ path: '/e', layers: [0, 1], cumulativeSize: 0 }]);
  expect(r.wastedBytes).toBe(0);
  expect(r.efficiency).toBe(1);
});

test('a file whiteout after the file was re-added as a directory sizes the directory', () => {
  const r = analyzeLayers([
    { entries: [{ path: '/p', type: 'file', size: 4 }], size: 4 },
    { entries: [{ path: '/p', type: 'dir', size: 0 }, { path: '/p/q', type: 'file', size: 6 }], size: 6 },
    { entries: [{ path: '/p', type: 'dir', size: 0, whiteout: true }], size: 0 },
  ]);
  // /p: 4 (layer 0) + 6 (whiteout of the directory, layer 2) → min 4, cumulative 10; /p/q: 6
  expect(r.wastedBytes).toBe(10);
  expect(r.efficiency).toBeCloseTo((4 + 6) / (10 + 6), 12);
});

test('no sizes at all: efficiency 1; no user bytes: user wasted 0', () => {
  const r = analyzeLayers([{ entries: [{ path: '/x', type: 'symlink', size: 0 }], size: 0 }]);
  expect(r.efficiency).toBe(1);
  expect(r.userWastedPercent).toBe(0);
  expect(analyzeLayers([]).efficiency).toBe(1);
});

test('inefficiencies are sorted largest first, then by path', () => {
  const r = analyzeLayers([
    { entries: [{ path: '/b', type: 'file', size: 1 }, { path: '/a', type: 'file', size: 1 }, { path: '/c', type: 'file', size: 5 }], size: 7 },
    { entries: [{ path: '/b', type: 'file', size: 1 }, { path: '/a', type: 'file', size: 1 }, { path: '/c', type: 'file', size: 5 }], size: 7 },
  ]);
  expect(r.inefficiencies.map((i) => i.path)).toEqual(['/c', '/a', '/b']);
});

describe('gate', () => {
  const result = analyzeLayers([{ entries: [{ path: '/f', type: 'file', size: 10 }], size: 10 }, { entries: [{ path: '/f', type: 'file', size: 30 }], size: 30 }]);
  // efficiency 0.25, wasted 40, user % 40/30

  test('dive semantics: efficiency below, wasted above, user percent above the threshold fail; equal passes', () => {
    expect(evaluateGate(result, { lowestEfficiency: 0.25, highestWastedBytes: 40, highestUserWastedPercent: 1 }).map((r) => r.status)).toEqual(['pass', 'pass', 'fail']);
    expect(evaluateGate(result, { lowestEfficiency: 0.26 }).map((r) => [r.rule, r.status, r.actual])).toEqual([['lowestEfficiency', 'fail', 0.25]]);
    expect(evaluateGate(result, { highestWastedBytes: 39 })[0]!.status).toBe('fail');
  });

  test('no thresholds, no rules', () => {
    expect(evaluateGate(result, {})).toEqual([]);
  });
});

test('byte sizes as go-humanize ParseBytes reads them', () => {
  expect(parseByteSize('2048')).toBe(2048);
  expect(parseByteSize('20MB')).toBe(20_000_000);
  expect(parseByteSize('1 mb')).toBe(1_000_000);
  expect(parseByteSize('1.5MiB')).toBe(1_572_864);
  expect(parseByteSize('1k')).toBe(1000);
  expect(parseByteSize('3KiB')).toBe(3072);
  expect(parseByteSize('ten')).toBeNull();
  expect(parseByteSize('5 parsecs')).toBeNull();
  expect(parseByteSize('-1')).toBeNull();
});
