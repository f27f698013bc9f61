import fs from 'node:fs';
import fsp from 'node:fs/promises';
import xxhash from 'xxhash-wasm';

/**
 * BuildKit-style content checksums, with XXH64 instead of sha256 (the digests are internal cache keys,
 * never shown as Docker digests).
 *
 * - A file record = header (type, mode, uid=0, gid=0, size, link target) + content. The Docker client
 *   resets uid/gid to 0, so host ownership never counts; mtime never counts (tarsum v1 drops it); the
 *   file's own name does not count at file level (names enter through directory listings).
 * - A directory = its own header + the sorted (child name, child digest) pairs, so empty dirs count.
 * - To let the stat cache skip reading unchanged files, a file digest hashes the header with the
 *   content's own XXH64 instead of the raw bytes: the same properties, one extra tiny hash.
 */

export type Hasher = Awaited<ReturnType<typeof xxhash>>;

let hasherPromise: Promise<Hasher> | undefined;

/** The xxhash-wasm instance, compiled once per process. */
export function getHasher(): Promise<Hasher> {
  hasherPromise ??= xxhash();
  return hasherPromise;
}

/** Never one-shot a big buffer: WASM memory grows to the largest input and never shrinks. */
export const CHUNK_SIZE = 1 << 20;

export function hex64(v: bigint): string {
  return v.toString(16).padStart(16, '0');
}

export type RecordType = 'file' | 'dir' | 'symlink' | 'other';

export interface RecordHeader {
  type: RecordType;
  /** Permission bits (st_mode & 0o7777). */
  mode: number;
  size: number;
  linkTarget?: string;
  /** Device number of 'other' records (devices), 0 otherwise. */
  rdev?: number;
}

const TYPE_FLAG: Record<RecordType, string> = { file: '0', symlink: '2', dir: '5', other: 'o' };

export function headerString(h: RecordHeader): string {
  // Symlink permissions never count (BuildKit forces 0777 for them).
  const mode = h.type === 'symlink' ? 0o777 : h.mode;
  const size = h.type === 'file' ? h.size : 0;
  return `${TYPE_FLAG[h.type]}\0${mode.toString(8)}\0uid=0\0gid=0\0${size}\0${h.linkTarget ?? ''}\0${h.rdev ?? 0}\0`;
}

/** Minimal file-handle surface, so tests can inject read failures. */
export interface ReadableHandle {
  read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
}
export type OpenForRead = (absPath: string) => Promise<ReadableHandle>;

export const defaultOpen: OpenForRead = (p) => fsp.open(p, 'r');

/**
 * XXH64 of a file's bytes, read in chunks of at most 1 MiB into `buf` (one buffer per worker).
 * Returns the digest and the number of bytes read (a file may change size while we read it).
 */
export async function hashFileContent(
  h: Hasher,
  absPath: string,
  buf: Buffer,
  open: OpenForRead = defaultOpen,
): Promise<{ digest: string; bytes: number }> {
  const fh = await open(absPath);
  try {
    const state = h.create64();
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, CHUNK_SIZE), null);
      if (bytesRead === 0) break;
      state.update(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return { digest: hex64(state.digest()), bytes: total };
  } finally {
    await fh.close();
  }
}

/**
 * hashFileContent with synchronous reads. For thousands of small files it is ~5x faster than
 * file handles on libuv's thread pool (measured: 30,000 files / 261 MB in 0.35-0.6 s vs 2.7 s).
 */
export function hashFileContentSync(h: Hasher, absPath: string, buf: Buffer): { digest: string; bytes: number } {
  return hashFileWith(fs, h, absPath, buf, CHUNK_SIZE);
}

/**
 * The body of hashFileContentSync. It uses nothing but its arguments because the hashing worker
 * (hash-worker.ts) runs it too, from its source text.
 */
export function hashFileWith(
  files: Pick<typeof fs, 'openSync' | 'readSync' | 'closeSync'>,
  h: Pick<Hasher, 'create64' | 'h64Raw'>,
  absPath: string,
  buf: Buffer,
  chunkSize: number,
): { digest: string; bytes: number } {
  const fd = files.openSync(absPath, 'r');
  try {
    const size = Math.min(buf.length, chunkSize);
    const first = files.readSync(fd, buf, 0, size, null);
    // A short read of a regular file is its end: most files fit one chunk and are hashed in one call,
    // without the read that would return 0.
    if (first < size) return { digest: h.h64Raw(buf.subarray(0, first)).toString(16).padStart(16, '0'), bytes: first };
    const state = h.create64();
    state.update(buf.subarray(0, first));
    let total = first;
    for (;;) {
      const bytesRead = files.readSync(fd, buf, 0, size, null);
      if (bytesRead === 0) break;
      state.update(buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return { digest: state.digest().toString(16).padStart(16, '0'), bytes: total };
  } finally {
    files.closeSync(fd);
  }
}

/** Content digest of a file with no bytes (sockets/devices that BuildKit turns into empty files). */
export function emptyContentDigest(h: Hasher): string {
  return h.h64ToString('');
}

/** Record digest of a regular file from its header and content digest. */
export function fileDigest(h: Hasher, header: RecordHeader, contentDigest: string): string {
  return h.h64ToString(headerString(header) + contentDigest);
}

/** Record digest of a symlink or special file: header only. */
export function leafDigest(h: Hasher, header: RecordHeader): string {
  return h.h64ToString(headerString(header));
}

/**
 * Record digest of a directory from its sorted (byte order) child names and their digests.
 * `includeOwnMode` false reproduces Docker 20.10's BuildKit, whose COPY checksum ignores directory
 * permissions (checked with the real builder: chmod 700 on a copied subdirectory still hit the cache,
 * with a fresh context sync too); the classic builder counts them (same check missed the cache).
 */
export function dirDigest(
  h: Hasher,
  mode: number,
  names: readonly string[],
  digestOf: (name: string) => string,
  includeOwnMode: boolean,
): string {
  let s = headerString({ type: 'dir', mode: includeOwnMode ? mode : 0, size: 0 });
  for (const name of names) s += name + '\0' + digestOf(name) + '\n';
  return h.h64ToString(s);
}
