import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHUNK_SIZE, hashFileWith } from './digest.js';

export type HashResult = { digest: string; bytes: number } | { error: { code: string } };

// Slots of the shared Int32Array.
const NEXT = 0; // the next file index to claim
const WORKER_BUSY = 1; // 1 while the worker may be claiming or hashing a file
const WORKER_CLAIMED = 2; // 1 once the worker has claimed a file

/** Paths are sent to the worker in batches of this many while the walk finds them. */
const BATCH = 256;

/**
 * Hashes files on this thread and a worker thread at once, so a cold load uses both cores. Files are
 * numbered as they are added (during the walk, for a first load: the worker starts hashing before
 * the walk ends); both threads claim the next unclaimed number from a shared counter, so neither
 * waits for the other whatever their speeds. The worker's code is hashFileWith's own source text
 * (no separate file to locate from the bundle, the compiled tree or the tests).
 */
export class HashPipeline {
  private readonly shared = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  private readonly paths: string[] = [];
  private sent = 0;
  private readonly answer: Promise<Array<[number, HashResult]>>;

  constructor() {
    const xxhash = createRequire(import.meta.url).resolve('xxhash-wasm');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { chunkSize: CHUNK_SIZE, xxhash, shared: this.shared } });
    this.answer = new Promise((resolve, reject) => {
      this.worker.once('message', (flat: Array<number | string | null>) => {
        const out: Array<[number, HashResult]> = [];
        for (let k = 0; k < flat.length; k += 3) {
          const [i, digest, third] = [flat[k] as number, flat[k + 1] as string | null, flat[k + 2]!];
          out.push([i, digest === null ? { error: { code: String(third) } } : { digest, bytes: third as number }]);
        }
        resolve(out);
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`hashing worker exited with code ${code}`)));
    });
    this.answer.catch(() => undefined); // a pipeline closed early never answers
  }

  /** How many files were added. */
  get size(): number {
    return this.paths.length;
  }

  /** Adds a file; returns its number. */
  add(absPath: string): number {
    this.paths.push(absPath);
    if (this.paths.length - this.sent >= BATCH) this.flush();
    return this.paths.length - 1;
  }

  /**
   * Hashes what is left, on this thread through `hashHere` and on the worker, and returns the
   * worker's results by file number. A file is hashed by exactly one of them.
   */
  async finish(hashHere: (index: number) => void): Promise<Array<[number, HashResult]>> {
    this.flush();
    this.worker.postMessage({ done: true });
    for (let i = this.claim(); i >= 0; i = this.claim()) hashHere(i);
    // Every number is claimed now. If the worker is not inside a claim and never won one, it has
    // nothing to report (a small list, or a worker still starting): do not wait for it.
    if (Atomics.load(this.shared, WORKER_BUSY) === 0 && Atomics.load(this.shared, WORKER_CLAIMED) === 0) return [];
    return this.answer;
  }

  close(): void {
    void this.worker.terminate();
  }

  private flush(): void {
    if (this.sent === this.paths.length) return;
    this.worker.postMessage({ paths: this.paths.slice(this.sent) });
    this.sent = this.paths.length;
  }

  private claim(): number {
    for (;;) {
      const i = Atomics.load(this.shared, NEXT);
      if (i >= this.paths.length) return -1;
      if (Atomics.compareExchange(this.shared, NEXT, i, i + 1) === i) return i;
    }
  }
}

const WORKER_SOURCE = `
  const { parentPort, workerData } = require('node:worker_threads');
  const fs = require('node:fs');
  const hashFileWith = ${hashFileWith.toString()};
  const shared = workerData.shared;
  const paths = [];
  const results = [];
  let failed = false;
  require(workerData.xxhash)().then((h) => {
    const buf = Buffer.allocUnsafe(workerData.chunkSize);
    const drain = () => {
      while (!failed) {
        Atomics.store(shared, ${WORKER_BUSY}, 1);
        const i = Atomics.load(shared, ${NEXT});
        if (i >= paths.length) break;
        if (Atomics.compareExchange(shared, ${NEXT}, i, i + 1) !== i) continue;
        Atomics.store(shared, ${WORKER_CLAIMED}, 1);
        try {
          const r = hashFileWith(fs, h, paths[i], buf, workerData.chunkSize);
          results.push(i, r.digest, r.bytes);
        } catch (e) {
          results.push(i, null, String((e && e.code) || 'EIO'));
          failed = true; // the load fails anyway
        }
      }
      Atomics.store(shared, ${WORKER_BUSY}, 0);
    };
    parentPort.on('message', (m) => {
      if (m.paths) for (const p of m.paths) paths.push(p);
      drain();
      if (m.done) {
        parentPort.postMessage(results);
        parentPort.close();
      }
    });
  });
`;
