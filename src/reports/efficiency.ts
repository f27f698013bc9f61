/**
 * dive's image measures (wagoodman/dive: dive/filetree/efficiency.go, dive/image/analysis.go and
 * the CI rules of cmd/dive/cli/internal/command/ci/rules.go), computed on simulated layers.
 *
 * The rules, as dive applies them to the layer tarballs:
 * - Each layer is a tree of its tar entries; only leaves count (a path with no entry below it in
 *   the same layer: files, symlinks, empty or childless dirs, whiteouts).
 * - A leaf's size is its tar size; a whiteout of a directory counts the bytes the directory held in
 *   the layers below; a whiteout of a file counts 0.
 * - Per path: cumulative = sum of its leaf sizes over all layers, min = the smallest one.
 *   efficiency = Σmin / Σcumulative (1 when nothing has a size).
 * - A path seen as a leaf in two or more layers is an inefficiency; wasted bytes = Σ their cumulative sizes.
 * - user wasted percent = wasted / (size of every layer except layer 0), a fraction as dive prints it.
 */

export interface LayerEntry {
  /** Absolute path in the image, no trailing slash. */
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Bytes the tar entry carries (regular files); 0 otherwise. */
  size: number;
  /** A `.wh.` entry: the path is removed by this layer. */
  whiteout?: boolean;
}

export interface LayerTree {
  entries: LayerEntry[];
  /** The layer's size as the image reports it (docker history). */
  size: number;
}

export interface Inefficiency {
  path: string;
  /** Layers (0-based, in image order) where the path is a leaf. */
  layers: number[];
  cumulativeSize: number;
}

export interface EfficiencyResult {
  /** 0..1 */
  efficiency: number;
  wastedBytes: number;
  /** wasted / userSize, 0..n (a fraction, like dive's highestUserWastedPercent); 0 when there are no user bytes. */
  userWastedPercent: number;
  sizeBytes: number;
  /** Bytes of all layers but the first. */
  userSizeBytes: number;
  /** Largest first, then by path. */
  inefficiencies: Inefficiency[];
}

interface PathData {
  cumulative: number;
  min: number;
  layers: number[];
}

/** Runs dive's efficiency analysis over layers in image order (layer 0 first). */
export function analyzeLayers(layers: LayerTree[]): EfficiencyResult {
  const byPath = new Map<string, PathData>();
  // The stacked filesystem of the layers seen so far (path → type and size), for whiteout sizes.
  const stacked = new Map<string, { type: LayerEntry['type']; size: number }>();

  layers.forEach((layer, index) => {
    const leaves = leafEntries(layer.entries);
    for (const e of leaves) {
      const size = e.whiteout ? removedBytes(stacked, e.path) : e.size;
      let d = byPath.get(e.path);
      if (!d) byPath.set(e.path, (d = { cumulative: 0, min: size, layers: [] }));
      d.cumulative += size;
      if (size < d.min) d.min = size;
      d.layers.push(index);
    }
    applyLayer(stacked, layer.entries);
  });

  let minimum = 0;
  let discovered = 0;
  const inefficiencies: Inefficiency[] = [];
  for (const [path, d] of byPath) {
    minimum += d.min;
    discovered += d.cumulative;
    if (d.layers.length >= 2) inefficiencies.push({ path, layers: d.layers, cumulativeSize: d.cumulative });
  }
  inefficiencies.sort((a, b) => b.cumulativeSize - a.cumulativeSize || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const wastedBytes = inefficiencies.reduce((n, i) => n + i.cumulativeSize, 0);
  const sizeBytes = layers.reduce((n, l) => n + l.size, 0);
  const userSizeBytes = layers.slice(1).reduce((n, l) => n + l.size, 0);
  return {
    efficiency: discovered === 0 ? 1 : minimum / discovered,
    wastedBytes,
    // dive divides by zero here (NaN/Inf); a report needs a number, and no user bytes wastes nothing of them.
    userWastedPercent: userSizeBytes === 0 ? 0 : wastedBytes / userSizeBytes,
    sizeBytes,
    userSizeBytes,
    inefficiencies,
  };
}

/** Entries with no other entry of the same layer below them. */
function leafEntries(entries: LayerEntry[]): LayerEntry[] {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parents = new Set<string>();
  for (const e of sorted) {
    for (let p = parentOf(e.path); p !== null; p = parentOf(p)) {
      if (parents.has(p)) break;
      parents.add(p);
    }
  }
  const seen = new Set<string>();
  return sorted.filter((e) => {
    if (parents.has(e.path) || seen.has(e.path)) return false;
    seen.add(e.path);
    return true;
  });
}

function parentOf(p: string): string | null {
  if (p === '/' || p === '') return null;
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

/** What a whiteout of `path` removes, as dive sizes it: the bytes under a directory, 0 for anything else. */
function removedBytes(stacked: Map<string, { type: LayerEntry['type']; size: number }>, path: string): number {
  const node = stacked.get(path);
  if (!node || node.type !== 'dir') return 0;
  const prefix = `${path}/`;
  let n = 0;
  for (const [p, v] of stacked) if (p.startsWith(prefix)) n += v.size;
  return n;
}

function applyLayer(stacked: Map<string, { type: LayerEntry['type']; size: number }>, entries: LayerEntry[]): void {
  for (const e of entries) {
    if (e.whiteout) {
      stacked.delete(e.path);
      const prefix = `${e.path}/`;
      for (const p of [...stacked.keys()]) if (p.startsWith(prefix)) stacked.delete(p);
    } else {
      const old = stacked.get(e.path);
      // A non-directory replacing a directory drops what was under it.
      if (old?.type === 'dir' && e.type !== 'dir') {
        const prefix = `${e.path}/`;
        for (const p of [...stacked.keys()]) if (p.startsWith(prefix)) stacked.delete(p);
      }
      stacked.set(e.path, { type: e.type, size: e.size });
      for (let p = parentOf(e.path); p !== null && !stacked.has(p); p = parentOf(p)) stacked.set(p, { type: 'dir', size: 0 });
    }
  }
}

// ---- the CI gate -------------------------------------------------------------------------

export type RuleKey = 'lowestEfficiency' | 'highestWastedBytes' | 'highestUserWastedPercent';

export interface GateThresholds {
  lowestEfficiency?: number;
  highestWastedBytes?: number;
  highestUserWastedPercent?: number;
}

export interface RuleResult {
  rule: RuleKey;
  status: 'pass' | 'fail';
  threshold: number;
  actual: number;
}

/** dive's CI rules: efficiency below, wasted bytes above, or user wasted percent above the threshold fails. */
export function evaluateGate(result: EfficiencyResult, t: GateThresholds): RuleResult[] {
  const out: RuleResult[] = [];
  if (t.lowestEfficiency !== undefined) {
    out.push({ rule: 'lowestEfficiency', status: result.efficiency < t.lowestEfficiency ? 'fail' : 'pass', threshold: t.lowestEfficiency, actual: result.efficiency });
  }
  if (t.highestWastedBytes !== undefined) {
    out.push({ rule: 'highestWastedBytes', status: result.wastedBytes > t.highestWastedBytes ? 'fail' : 'pass', threshold: t.highestWastedBytes, actual: result.wastedBytes });
  }
  if (t.highestUserWastedPercent !== undefined) {
    out.push({ rule: 'highestUserWastedPercent', status: result.userWastedPercent > t.highestUserWastedPercent ? 'fail' : 'pass', threshold: t.highestUserWastedPercent, actual: result.userWastedPercent });
  }
  return out;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9, t: 1e12, tb: 1e12,
  ki: 1024, kib: 1024, mi: 1024 ** 2, mib: 1024 ** 2, gi: 1024 ** 3, gib: 1024 ** 3, ti: 1024 ** 4, tib: 1024 ** 4,
};

/** A byte count as dive's highestWastedBytes takes it (go-humanize ParseBytes): `2048`, `20MB` (SI), `1.5MiB` (binary). Null when malformed. */
export function parseByteSize(s: string): number | null {
  const m = /^\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]*)\s*$/.exec(s);
  if (!m) return null;
  const unit = BYTE_UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return null;
  return Math.floor(Number(m[1]) * unit);
}
