import { beforeAll, describe, expect, it } from '@jest/globals';
import { canonicalJson, hash64, hashJson, initHasher, manifestText } from '../../src/executor/hash.js';
import type { FileManifest } from '../../src/executor/types.js';

beforeAll(async () => {
  await initHasher();
});

/** The definition: JSON.stringify with every object's keys sorted. Stored keys depend on this exact text. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

describe('canonicalJson', () => {
  const values: unknown[] = [
    null,
    0,
    -0,
    1.5,
    1e21,
    -3e-7,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    true,
    false,
    '',
    'plain',
    'quote " backslash \\ newline \n tab \t nul \u0000 line-sep \u2028 emoji 🐳 lone \ud800',
    [],
    [1, 'a', null, undefined, () => 1, [2, [3]]],
    {},
    { b: 1, a: 2, A: 3, _: 4, '10': 5, '9': 6, 'é': 7, 'z/y': 8, 'z-y': 9 },
    // Integer-like keys come first in numeric order in any JS object; '007' and 2^32-1 are not integer-like.
    { '4294967295': 1, '4294967294': 2, '007': 3, '0': 4, '-1': 5, '1.5': 6, a: 7 },
    { skip: undefined, fn: () => 1, keep: null, nested: { y: [{ d: 1, c: 2 }], x: { } } },
    { when: new Date(0), buf: Buffer.from('hi'), typed: new Uint8Array([1, 2, 3]) },
    { 'a/b': { type: 'file', mode: 420, size: 3, digest: 'ef46db3751d8e999' }, a: { type: 'dir', mode: 493, size: 0, digest: null, linkTarget: undefined } },
  ];

  it.each(values.map((v, i) => [i, v]))('writes value %i exactly as the key-sorting JSON.stringify does', (_i, v) => {
    expect(canonicalJson(v)).toBe(reference(v));
  });

  it('gives equal digests to objects that differ only in key order', () => {
    expect(hashJson({ parent: null, parts: { kind: 'RUN', env: ['A=1'] } })).toBe(hashJson({ parts: { env: ['A=1'], kind: 'RUN' }, parent: null }));
    expect(hashJson({ a: 1 })).not.toBe(hashJson({ a: '1' }));
  });

  it('hashes the canonical text', () => {
    expect(hashJson({ b: [1], a: 'x' })).toBe(hash64('{"a":"x","b":[1]}'));
  });

  it('refuses BigInt like JSON.stringify', () => {
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });
});

describe('manifestText', () => {
  it('writes exactly the canonical JSON of a manifest, and hashes it', () => {
    const manifest: FileManifest = {
      'src/util.ts': { type: 'file', mode: 0o644, size: 12, digest: '0123456789abcdef' },
      '.': { type: 'dir', mode: 0o755, size: 0, digest: null },
      '10': { type: 'file', mode: 0o600, size: 0, digest: 'ffffffffffffffff' },
      '2': { type: 'dir', mode: 0o700, size: 0, digest: null },
      'link': { type: 'symlink', mode: 0o777, size: 0, digest: null, linkTarget: '../a "quoted" \\ target' },
      'nolink': { type: 'file', mode: 0o644, size: 1, digest: 'aaaaaaaaaaaaaaaa', linkTarget: undefined },
      'tab\tname\u0001': { type: 'other', mode: 0o644, size: 0, digest: null },
      'émoji 🐳 and lone \ud800': { type: 'file', mode: 0o4755, size: 3, digest: '1111111111111111' },
      'src': { type: 'dir', mode: 0o755, size: 0, digest: null },
      'src-x': { type: 'file', mode: 0o644, size: 1, digest: '2222222222222222' },
    };
    const { text, digest } = manifestText(manifest);
    expect(text).toBe(canonicalJson(manifest));
    expect(digest).toBe(hashJson(manifest));
    expect(manifestText({})).toEqual({ text: '{}', digest: hash64('{}') });
  });
});
