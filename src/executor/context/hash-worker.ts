import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHUNK_SIZE, hashFileWith } from './digest.js';

export type WorkerResult = { digest: string; bytes: number } | { error: { code: string } };

/**
 * Hashes files on a second thread, so a cold load uses both cores: the caller hashes one part of the
 * list while the worker hashes the other. The worker's code is hashFileWith's own source text (no
 * separate file to locate from the bundle, the compiled tree or the tests), and it loads xxhash-wasm
 * from the path this module resolves. `cancel` stops it when the caller's part has failed.
 */
export function hashInWorker(absPaths: string[]): { results: Promise<WorkerResult[]>; cancel(): void } {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const fs = require('node:fs');
    const hashFileWith = ${hashFileWith.toString()};
    require(workerData.xxhash)().then((h) => {
      const buf = Buffer.allocUnsafe(workerData.chunkSize);
      const out = [];
      for (const p of workerData.paths) {
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
  const worker = new Worker(source, { eval: true, workerData: { paths: absPaths, chunkSize: CHUNK_SIZE, xxhash } });
  const results = new Promise<WorkerResult[]>((resolve, reject) => {
    worker.once('message', (out: WorkerResult[]) => resolve(out));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`hashing worker exited with code ${code}`)));
  });
  return {
    results,
    cancel() {
      results.catch(() => undefined);
      void worker.terminate();
    },
  };
}
