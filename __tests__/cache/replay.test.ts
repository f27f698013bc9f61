// Replaying a run that changed nothing (src/cache/replay.ts): an identical rerun prints the kept output,
// and any change to an input (context, Dockerfile, base image, store, command line) runs the pipeline.
// A replay is told apart from a run by planting a marker in the kept output.
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { removeTempProjects, runCli, tempProject } from '../helpers/cli.js';

afterAll(removeTempProjects);

const IMAGE = path.join(import.meta.dirname, '..', 'fixtures', 'images', 'bb-latest.json');
const MARKER = 'REPLAYED\n';
const DOCKERFILE = 'FROM bb:latest\nCOPY src /src\nRUN cat /src/a.txt\n';

function listReplays(cache: string): string[] {
  const dir = path.join(cache, 'replay');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).flatMap((sub) => fs.readdirSync(path.join(dir, sub)).map((f) => path.join(dir, sub, f)));
}

/** Puts MARKER in front of the kept stdout, so that a replay shows itself. */
function plantMarker(cache: string): void {
  const [file, ...more] = listReplays(cache);
  expect(more).toEqual([]);
  const bytes = fs.readFileSync(file!);
  const start = bytes.indexOf(10) + 1;
  const header = JSON.parse(bytes.toString('utf8', 0, start)) as { outBytes: number };
  header.outBytes += MARKER.length;
  fs.writeFileSync(file!, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n${MARKER}`), bytes.subarray(start)]));
}

/** A project built twice (the first run records, the second finds everything stored and keeps its output), marker planted. */
async function primed(files: Record<string, string> = {}, extra: string[] = []) {
  const dir = tempProject({ Dockerfile: DOCKERFILE, 'src/a.txt': 'a\n', 'src/b.txt': 'b\n', ...files }, 'dfsim-replay-');
  // Outside the context: a store inside it changes the context with every write.
  const cache = tempProject({}, 'dfsim-replay-cache-');
  const args = ['build', dir, '--cache-dir', cache, '--base-image', `bb:latest=${IMAGE}`, ...extra];
  const first = await runCli(args);
  expect(first.code).toBe(0);
  expect(listReplays(cache)).toEqual([]); // it wrote records: its output would not be the next run's
  const second = await runCli(args);
  expect(second.code).toBe(0);
  expect(second.out).not.toBe(first.out); // now every step is CACHED
  plantMarker(cache);
  return { dir, cache, args, second };
}

/** primed, and one replay already seen: the edits below are what stops the next one. */
async function replaying(files: Record<string, string> = {}, extra: string[] = []) {
  const p = await primed(files, extra);
  expect((await runCli(p.args)).out).toBe(MARKER + p.second.out);
  return p;
}

describe('replay of a run that changed nothing', () => {
  it('an identical rerun prints the kept output', async () => {
    const { args, second } = await primed();
    const third = await runCli(args);
    expect(third).toEqual({ code: 0, out: MARKER + second.out, err: second.err });
  });

  it('keeps --json output and stderr warnings byte for byte', async () => {
    const { args, second } = await primed({ Dockerfile: 'FROM unknown:1\nCOPY src /src\n' }, ['--json']);
    expect(second.out).toContain('DF3106'); // the warning about an unknown base image
    const third = await runCli(args);
    expect(third.out).toBe(MARKER + second.out);
  });

  const contextEdits: Array<[string, (dir: string) => void]> = [
    ['a file edited to the same size, its mtime put back', (dir) => {
      const f = path.join(dir, 'src/a.txt');
      const st = fs.statSync(f);
      fs.writeFileSync(f, 'z\n');
      fs.utimesSync(f, st.atime, st.mtime);
    }],
    ['a file touched', (dir) => fs.utimesSync(path.join(dir, 'src/b.txt'), new Date(), new Date(Date.now() + 5000))],
    ['a mode changed', (dir) => fs.chmodSync(path.join(dir, 'src/b.txt'), 0o755)],
    ['a file added', (dir) => fs.writeFileSync(path.join(dir, 'src/new.txt'), 'n\n')],
    ['a file removed', (dir) => fs.rmSync(path.join(dir, 'src/b.txt'))],
    ['a file renamed', (dir) => fs.renameSync(path.join(dir, 'src/b.txt'), path.join(dir, 'src/c.txt'))],
    ['a symlink added', (dir) => fs.symlinkSync('a.txt', path.join(dir, 'src/l'))],
    ['an empty directory added', (dir) => fs.mkdirSync(path.join(dir, 'src/empty'))],
    ['.dockerignore written', (dir) => fs.writeFileSync(path.join(dir, '.dockerignore'), 'src/b.txt\n')],
    ['the Dockerfile edited', (dir) => fs.writeFileSync(path.join(dir, 'Dockerfile'), `${DOCKERFILE}RUN true\n`)],
  ];
  it.each(contextEdits)('%s: runs the pipeline again', async (_name, edit) => {
    const { dir, args } = await replaying();
    edit(dir);
    const after = await runCli(args);
    expect(after.code).toBe(0);
    expect(after.out).not.toContain('REPLAYED');
  });

  it('a change only .dockerignore hides still runs the pipeline when the ignore file itself is excluded', async () => {
    const { dir, args } = await replaying({ '.dockerignore': '.dockerignore\n' });
    fs.writeFileSync(path.join(dir, '.dockerignore'), '.dockerignore\nsrc/b.txt\n');
    expect((await runCli(args)).out).not.toContain('REPLAYED');
  });

  it('a Dockerfile outside the context (-f) edited: runs again', async () => {
    const outside = tempProject({ 'build.Dockerfile': DOCKERFILE }, 'dfsim-replay-f-');
    const file = path.join(outside, 'build.Dockerfile');
    const { args } = await replaying({}, ['-f', file]);
    fs.writeFileSync(file, `${DOCKERFILE}RUN true\n`);
    expect((await runCli(args)).out).not.toContain('REPLAYED');
  });

  it('a base image file rewritten: runs again', async () => {
    const images = tempProject({ 'bb.json': fs.readFileSync(IMAGE, 'utf8') }, 'dfsim-replay-img-');
    const image = path.join(images, 'bb.json');
    const { args } = await replaying({}, ['--base-image', `bb:latest=${image}`]);
    fs.writeFileSync(image, fs.readFileSync(IMAGE, 'utf8'));
    expect((await runCli(args)).out).not.toContain('REPLAYED');
  });

  it('another command line (a build arg, --no-files, plan) is another slot', async () => {
    const { args } = await primed();
    for (const other of [[...args, '--build-arg', 'X=1'], [...args, '--no-files'], ['plan', ...args.slice(1)]]) {
      expect((await runCli(other)).out).not.toContain('REPLAYED');
    }
    expect((await runCli(args)).out).toContain('REPLAYED'); // and the first slot still replays
  });

  it('the store changed by another build, by a prune, or by hand: runs again', async () => {
    const other = tempProject({ Dockerfile: 'FROM bb:latest\nRUN echo other\n' }, 'dfsim-replay-other-');
    let { cache, args } = await replaying();
    expect((await runCli(['build', other, '--cache-dir', cache, '--base-image', `bb:latest=${IMAGE}`])).code).toBe(0);
    expect((await runCli(args)).out).not.toContain('REPLAYED');

    ({ cache, args } = await replaying());
    expect((await runCli(['cache', 'prune', '--cache-dir', cache])).code).toBe(0);
    const afterPrune = await runCli(args);
    expect(afterPrune.out).not.toContain('REPLAYED');
    expect(afterPrune.out).toMatch(/0\/\d+ steps reused/);

    ({ cache, args } = await replaying());
    const records = fs.readdirSync(path.join(cache, 'records')).flatMap((sub) => fs.readdirSync(path.join(cache, 'records', sub)).map((f) => path.join(cache, 'records', sub, f)));
    fs.writeFileSync(records[0]!, '{ not json');
    const afterDamage = await runCli(args);
    expect(afterDamage.out).not.toContain('REPLAYED');
    expect(afterDamage.err).toContain('DF4001'); // the damaged entry is reported, as without replays
  });

  it('keeps nothing for a failed build or an --html report', async () => {
    const failing = tempProject({ Dockerfile: 'FROM bb:latest\nCOPY missing /m\n' }, 'dfsim-replay-fail-');
    const cache = tempProject({}, 'dfsim-replay-cache-');
    for (let i = 0; i < 3; i++) expect((await runCli(['build', failing, '--cache-dir', cache, '--base-image', `bb:latest=${IMAGE}`])).code).toBe(1);
    expect(listReplays(cache)).toEqual([]);

    const ok = tempProject({ Dockerfile: 'FROM bb:latest\nRUN true\n' }, 'dfsim-replay-html-');
    const html = path.join(ok, 'report.html');
    const okCache = tempProject({}, 'dfsim-replay-cache-');
    for (let i = 0; i < 3; i++) expect((await runCli(['build', ok, '--cache-dir', okCache, '--base-image', `bb:latest=${IMAGE}`, '--html', html])).code).toBe(0);
    expect(listReplays(okCache)).toEqual([]);
  });

  it('a damaged replay file is ignored and replaced', async () => {
    const { cache, args, second } = await primed();
    const [file] = listReplays(cache);
    fs.writeFileSync(file!, '{"format":"dfsim-replay/1"}\ngarbage');
    const again = await runCli(args);
    expect(again).toEqual({ code: 0, out: second.out, err: second.err });
    plantMarker(cache);
    expect((await runCli(args)).out).toBe(MARKER + second.out);
  });
});
