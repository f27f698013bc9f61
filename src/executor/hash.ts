import xxhash from 'xxhash-wasm';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | undefined;

/** Compiles the xxhash wasm module once; every other function here needs it. */
export async function initHasher(): Promise<Hasher> {
  hasher ??= await xxhash();
  return hasher;
}

function ready(): Hasher {
  if (!hasher) throw new Error('initHasher() must be awaited before hashing');
  return hasher;
}

/** XXH64 as 16 zero-padded hex digits (BigInt keys would not survive JSON). */
export function hash64(data: string | Uint8Array): string {
  const h = ready();
  return typeof data === 'string' ? h.h64ToString(data) : h.h64Raw(data).toString(16).padStart(16, '0');
}

/** A streaming XXH64; feed chunks of at most 1 MiB (one-shot hashing grows WASM memory for good). */
export function createHash64(): { update(chunk: string | Uint8Array): void; digest(): string } {
  const s = ready().create64();
  return {
    update(chunk) {
      s.update(chunk);
    },
    digest() {
      return s.digest().toString(16).padStart(16, '0');
    },
  };
}

/** Hash of a canonical JSON rendering: object keys sorted, so equal values give equal digests. */
export function hashJson(value: unknown): string {
  return hash64(canonicalJson(value));
}

const objectDigests = new WeakMap<object, string>();

/** hashJson of an object that is not changed afterwards, computed once (a 30,000-file manifest is hashed by COPY and again by the store). */
export function hashJsonOnce(value: object): string {
  let d = objectDigests.get(value);
  if (d === undefined) {
    d = hashJson(value);
    objectDigests.set(value, d);
  }
  return d;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}
