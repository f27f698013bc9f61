// Every diagnostic code the source emits is documented in the one code table, and vice versa.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { CODES } from '../../src/diagnostics/codes.js';

const SRC = path.join(import.meta.dirname, '..', '..', 'src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));
}

describe('diagnostic codes', () => {
  const emitted = new Set(sources(SRC).filter((f) => !f.endsWith(path.join('diagnostics', 'codes.ts'))).flatMap((f) => fs.readFileSync(f, 'utf8').match(/'DF\d{4}'/g) ?? []).map((c) => c.slice(1, -1)));
  it('every emitted code is in the table', () => {
    expect([...emitted].filter((c) => !(c in CODES)).sort()).toEqual([]);
  });
  it('every code in the table is emitted somewhere', () => {
    expect(Object.keys(CODES).filter((c) => !emitted.has(c)).sort()).toEqual([]);
  });
});
