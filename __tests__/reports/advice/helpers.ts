import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { advise, type Advice } from '../../../src/reports/advice/index.js';
import type { SimulateOptions } from '../../../src/simulate.js';

export const BB_LATEST = path.resolve('__tests__/fixtures/images/bb-latest.json');

/** A temporary directory with the given files; removed by cleanup(). */
export function tempContext(files: Record<string, string>, modes: Record<string, number> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-advice-'));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
    fs.chmodSync(p, modes[rel] ?? 0o644);
  }
  dirs.push(dir);
  return dir;
}

const dirs: string[] = [];

export function cleanup(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** Advice for a context with a private, empty (or given) cache store. */
export async function adviceFor(context: string, opts: Partial<SimulateOptions> = {}): Promise<Advice> {
  const cacheDir = opts.cacheDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-advice-cache-'));
  if (!opts.cacheDir) dirs.push(cacheDir);
  return advise({ context, baseImages: new Map([['bb:latest', BB_LATEST]]), ...opts, cacheDir, record: false });
}

export function codes(advice: Advice): string[] {
  return advice.findings.map((f) => f.code);
}

export function only(advice: Advice, code: string) {
  return advice.findings.filter((f) => f.code === code);
}
