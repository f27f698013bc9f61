// The second hashing thread of a cold context load: same digests as one thread, and its failures
// reported like the caller's own.
import fs from 'node:fs';
import path from 'node:path';
import { isDfsimError } from '../../../src/diagnostics/diagnostic.js';
import { CHUNK_SIZE, getHasher, hashFileContentSync } from '../../../src/executor/context/digest.js';
import { startHashWorker } from '../../../src/executor/context/hash-worker.js';
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

const digests = (ctx: BuildContext): Array<[string, string]> => [...ctx.entries()].map((e) => [e.path, e.digest]);

describe('hashing on a second thread', () => {
  test('gives the same digests as hashing on one thread, with the worker started before or after the walk', async () => {
    const root = tree();
    const one = await loadContext(root, { parallelHashMin: Number.MAX_SAFE_INTEGER });
    const after = await loadContext(root, { parallelHashMin: 1 });
    expect(after.stats).toEqual(one.stats);
    expect(digests(after)).toEqual(digests(one));
    // No stat cache yet: a first load starts the worker before walking.
    const statCachePath = path.join(makeTree({}), 'stat.json');
    const before = await loadContext(root, { parallelHashMin: 1, statCachePath });
    expect(before.stats).toEqual(one.stats);
    expect(digests(before)).toEqual(digests(one));
    expect(fs.existsSync(statCachePath)).toBe(true);
  });

  test('the worker hashes a file exactly as the caller does, and reports a missing one by its code', async () => {
    const root = tree();
    const h = await getHasher();
    const file = path.join(root, 'big.bin');
    const worker = startHashWorker();
    const out = await worker.hash([file, path.join(root, 'gone.txt'), file]);
    worker.close();
    expect(out[0]).toEqual(hashFileContentSync(h, file, Buffer.alloc(CHUNK_SIZE)));
    // It stops at the first failure: the load fails anyway.
    expect(out.slice(1)).toEqual([{ error: { code: 'ENOENT' } }]);
  });

  test('a file that vanishes from the worker\'s part is DF3001 naming it', async () => {
    const root = tree();
    let removed = false;
    let caught: unknown;
    try {
      await loadContext(root, {
        parallelHashMin: 1,
        onProgress: () => {
          // Called once before hashing starts. big.bin comes first in walk order and is most of the
          // work, so the caller takes only it and the worker everything after, deep.txt included.
          if (removed) return;
          removed = true;
          fs.rmSync(path.join(root, 'sub/dir/deep.txt'));
        },
      });
    } catch (e) {
      caught = e;
    }
    expect(isDfsimError(caught)).toBe(true);
    if (isDfsimError(caught)) expect(caught.message).toContain('cannot read "sub/dir/deep.txt" in the build context: ENOENT');
  });
});
