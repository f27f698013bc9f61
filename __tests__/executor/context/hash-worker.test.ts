// The second hashing thread of a cold context load: same digests as one thread, and its failures
// reported like the caller's own.
import fs from 'node:fs';
import path from 'node:path';
import { isDfsimError } from '../../../src/diagnostics/diagnostic.js';
import { CHUNK_SIZE, getHasher, hashFileContentSync } from '../../../src/executor/context/digest.js';
import { HashPipeline, type HashResult } from '../../../src/executor/context/hash-worker.js';
import { loadContext, type BuildContext } from '../../../src/executor/context/index.js';
import { cleanupTrees, makeTree } from './helpers.js';

afterAll(cleanupTrees);

function tree(): string {
  const files: Record<string, string | null> = { 'empty.txt': '', 'sub/dir/deep.txt': 'deep', 'nested/': null };
  for (let i = 0; i < 40; i++) files[`many/f${i}.txt`] = `file ${i}\n`.repeat(i);
  const root = makeTree(files);
  // Bigger than one read chunk, so the worker streams it in pieces.
  const big = Buffer.alloc(CHUNK_SIZE * 2 + 123);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  fs.writeFileSync(path.join(root, 'big.bin'), big);
  return root;
}

/** More files than one batch, so the walk sends the worker some before it ends. */
function bigTree(): string {
  const root = tree();
  for (let i = 0; i < 700; i++) fs.writeFileSync(path.join(root, 'many', `g${i}.txt`), `g${i}`);
  return root;
}

/** A pipeline that gives its worker time to start and take what it was sent before this thread joins in. */
class SlowFinish extends HashPipeline {
  byWorker = 0;
  override async finish(hashHere: (i: number) => void): Promise<Array<[number, HashResult]>> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const out = await super.finish(hashHere);
    this.byWorker = out.length;
    return out;
  }
}

const digests = (ctx: BuildContext): Array<[string, string]> => [...ctx.entries()].map((e) => [e.path, e.digest]);

describe('hashing on a second thread', () => {
  test('gives the same digests as hashing on one thread, with the worker started during the walk or after it', async () => {
    const root = bigTree();
    const one = await loadContext(root, { parallelHashMin: Number.MAX_SAFE_INTEGER });
    // A first load (no stat cache yet) starts the worker during the walk; a later one with many
    // changed files starts it after. A worker given time to start takes a share either way.
    const statCachePath = path.join(makeTree({}), 'stat.json');
    for (const opts of [{ statCachePath }, {}]) {
      const pipelines: SlowFinish[] = [];
      const two = await loadContext(root, { ...opts, parallelHashMin: 1, hashPipeline: () => pipelines[pipelines.push(new SlowFinish()) - 1]! });
      expect(two.stats).toEqual(one.stats);
      expect(digests(two)).toEqual(digests(one));
      expect(pipelines).toHaveLength(1);
      expect(pipelines[0]!.byWorker).toBeGreaterThan(0);
    }
    expect(fs.existsSync(statCachePath)).toBe(true);
  });

  test('each file is hashed once, by this thread or the worker, exactly as the caller hashes it', async () => {
    const root = tree();
    const h = await getHasher();
    // More files than one batch, so the worker is sent some before finish().
    const files = Array.from({ length: 600 }, (_, i) => path.join(root, 'many', `f${i % 40}.txt`));
    const pipeline = new HashPipeline();
    for (const f of files) pipeline.add(f);
    // Give the worker time to start and take a share.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const here: number[] = [];
    const fromWorker = await pipeline.finish((i) => {
      here.push(i);
    });
    pipeline.close();
    const seen = [...here, ...fromWorker.map(([i]) => i)].sort((a, b) => a - b);
    expect(seen).toEqual(files.map((_, i) => i));
    expect(fromWorker.length).toBeGreaterThan(0);
    for (const [i, r] of fromWorker) expect(r).toEqual(hashFileContentSync(h, files[i]!, Buffer.alloc(CHUNK_SIZE)));
  });

  test('the worker reports a file it cannot read by its code, and stops there', async () => {
    const root = tree();
    const pipeline = new HashPipeline();
    pipeline.add(path.join(root, 'gone.txt'));
    for (let i = 0; i < 300; i++) pipeline.add(path.join(root, 'empty.txt'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const here: number[] = [];
    const fromWorker = await pipeline.finish((i) => {
      here.push(i);
    });
    pipeline.close();
    expect(fromWorker).toEqual([[0, { error: { code: 'ENOENT' } }]]);
    expect(here).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
  });

  test('a file the worker cannot read is DF3001 naming it', async () => {
    const root = bigTree();
    class WorkerFails extends HashPipeline {
      override async finish(hashHere: (i: number) => void): Promise<Array<[number, HashResult]>> {
        // The worker takes the first file and fails on it; this thread does the rest.
        for (let i = 1; i < this.size; i++) hashHere(i);
        return [[0, { error: { code: 'EACCES' } }]];
      }
    }
    let caught: unknown;
    try {
      await loadContext(root, { parallelHashMin: 1, hashPipeline: () => new WorkerFails() });
    } catch (e) {
      caught = e;
    }
    expect(isDfsimError(caught)).toBe(true);
    if (isDfsimError(caught)) expect(caught.message).toContain('cannot read "big.bin" in the build context: EACCES');
  });

  test('a worker that cannot run leaves its files to this thread', async () => {
    const root = bigTree();
    const one = await loadContext(root, { parallelHashMin: Number.MAX_SAFE_INTEGER });
    class NoThreads extends HashPipeline {
      override async finish(hashHere: (i: number) => void): Promise<Array<[number, HashResult]>> {
        for (let i = 0; i < this.size; i += 2) hashHere(i);
        throw new Error('no threads');
      }
    }
    const two = await loadContext(root, { parallelHashMin: 1, hashPipeline: () => new NoThreads() });
    expect(digests(two)).toEqual(digests(one));
  });
});
