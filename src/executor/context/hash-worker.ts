import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHUNK_SIZE, hashFileWith } from './digest.js';

export type WorkerResult = { digest: string; bytes: number } | { error: { code: string } };

export interface HashWorker {
  /** Hashes these files (once per worker) and resolves with one result per path, stopping at the first failure. */
  hash(absPaths: string[]): Promise<WorkerResult[]>;
  /** Stops the worker: when it is not needed after all, or the caller's own part has failed. */
  close(): void;
}

/**
 * A second thread for hashing files, so a cold load uses both cores: the caller hashes one part of the
 * list while the worker hashes the other. It can be started before the list is known, to hide its
 * ~30 ms start-up behind the walk. The worker's code is hashFileWith's own source text (no separate
 * file to locate from the bundle, the compiled tree or the tests), and it loads xxhash-wasm from the
 * path this module resolves.
 */
export function startHashWorker(): HashWorker {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const hashFileWith = ${hashFileWith.toString()};
    const ready = require(workerData.xxhash)();
    parentPort.once('message', async (paths) => {
      const h = await ready;
      const buf = Buffer.allocUnsafe(workerData.chunkSize);
      const out = [];
      for (const p of paths) {
        try {
          out.push(hashFileWith(fs, h, p, buf, workerData.chunkSize));
        } catch (e) {
          out.push({ error: { code: String((e && e.code) || 'EIO') } });
          break;
        }
      }
      parentPort.postMessage(out);
    });
  `;
  const xxhash = createRequire(import.meta.url).resolve('xxhash-wasm');
  const worker = new Worker(source, { eval: true, workerData: { chunkSize: CHUNK_SIZE, xxhash } });
  const results = new Promise<WorkerResult[]>((resolve, reject) => {
    worker.once('message', (out: WorkerResult[]) => resolve(out));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`hashing worker exited with code ${code}`)));
  });
  results.catch(() => undefined); // a worker closed unused never answers
  return {
    hash(absPaths) {
      worker.postMessage(absPaths);
      return results;
    },
    close() {
      void worker.terminate();
    },
  };
}
