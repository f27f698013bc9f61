// COPY/ADD path rules (Docker's reference, and the recorded real builds where noted).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate, type Simulation } from '../../../src/simulate.js';

const IMAGE = path.join(import.meta.dirname, '..', '..', 'fixtures', 'images', 'bb-latest.json');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

async function run(dockerfile: string, files: Record<string, string>, builder: 'buildkit' | 'classic' = 'buildkit'): Promise<Simulation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-copy-'));
  roots.push(dir);
  for (const [rel, content] of Object.entries({ ...files, Dockerfile: dockerfile })) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return simulate({ context: dir, builder, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
}

/** Paths the COPY step added, as "path:type". */
function added(sim: Simulation, kind = 'COPY'): string[] {
  const step = sim.result.steps.find((s) => s.kind === kind)!;
  return step.layer!.changes.filter((c) => c.change === 'added').map((c) => `${c.path}:${c.type}`);
}

describe('COPY', () => {
  it('copies a directory source by its contents, creating the destination', async () => {
    const sim = await run('FROM bb:latest\nCOPY src /app\n', { 'src/a.txt': 'a', 'src/sub/b.txt': 'b' });
    expect(added(sim)).toEqual(['/app:dir', '/app/a.txt:file', '/app/sub:dir', '/app/sub/b.txt:file']);
  });

  it('puts a file into a destination that ends with / or already is a directory', async () => {
    expect(added(await run('FROM bb:latest\nCOPY a.txt /opt/\n', { 'a.txt': 'a' }))).toEqual(['/opt:dir', '/opt/a.txt:file']);
    expect(added(await run('FROM bb:latest\nCOPY a.txt /etc\n', { 'a.txt': 'a' }))).toEqual(['/etc/a.txt:file']);
    expect(added(await run('FROM bb:latest\nCOPY a.txt /b.txt\n', { 'a.txt': 'a' }))).toEqual(['/b.txt:file']);
  });

  it('resolves a relative destination against WORKDIR', async () => {
    expect(added(await run('FROM bb:latest\nWORKDIR /w\nCOPY a.txt sub/\n', { 'a.txt': 'a' }))).toEqual(['/w/sub:dir', '/w/sub/a.txt:file']);
  });

  it('matches wildcards with Go filepath.Match (dot files included, * not crossing /)', async () => {
    const sim = await run('FROM bb:latest\nCOPY *.txt /d/\n', { 'a.txt': 'a', '.h.txt': 'h', 'sub/c.txt': 'c' });
    expect(added(sim)).toEqual(['/d:dir', '/d/.h.txt:file', '/d/a.txt:file']);
  });

  it('several sources need a directory destination with the classic builder, not with BuildKit (recorded: exec-copy-multi-src-dest)', async () => {
    const files = { 'a.txt': 'a', 'b.txt': 'b' };
    expect((await run('FROM bb:latest\nCOPY a.txt b.txt /dest\n', files, 'classic')).result.error?.code).toBe('DF3208');
    expect((await run('FROM bb:latest\nCOPY a.txt b.txt /dest\n', files)).result.error).toBeNull();
  });

  it('--chown resolves names in the image /etc/passwd; --chmod sets the mode', async () => {
    const sim = await run('FROM bb:latest\nCOPY --chown=root:root --chmod=0750 a.txt /a\n', { 'a.txt': 'a' });
    const change = sim.result.steps.find((s) => s.kind === 'COPY')!.layer!.changes[0]!;
    expect(change).toMatchObject({ path: '/a', mode: 0o750 });
  });

  it('--exclude leaves matching paths out of the copy and out of the key', async () => {
    const sim = await run('FROM bb:latest\nCOPY --exclude=*.md --exclude=tmp src /app\n', { 'src/a.txt': 'a', 'src/README.md': 'r', 'src/tmp/x': 'x' });
    expect(added(sim)).toEqual(['/app:dir', '/app/a.txt:file']);
    const manifest = Object.keys(Object.values(sim.result.steps.find((s) => s.kind === 'COPY')!.key!.manifests!)[0]!);
    expect(manifest.sort()).toEqual(['.', 'a.txt']);
  });

  it('--parents keeps the source path below the destination', async () => {
    const sim = await run('FROM bb:latest\nCOPY --parents a/b/c.txt x/y.txt /d/\n', { 'a/b/c.txt': 'c', 'x/y.txt': 'y' });
    expect(added(sim)).toEqual(['/d:dir', '/d/a:dir', '/d/a/b:dir', '/d/a/b/c.txt:file', '/d/x:dir', '/d/x/y.txt:file']);
  });

  it('follows a symlink named as the source, copies links inside directories as links (recorded: exec-symlink-in-context)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-copy-'));
    roots.push(dir);
    fs.mkdirSync(path.join(dir, 'd'));
    fs.writeFileSync(path.join(dir, 'd/target.txt'), 't');
    fs.symlinkSync('target.txt', path.join(dir, 'd/link'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nCOPY d /d\nCOPY d/link /direct\n');
    const sim = await simulate({ context: dir, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
    const [first, second] = sim.result.steps.filter((s) => s.kind === 'COPY');
    expect(first!.layer!.changes.map((c) => `${c.path}:${c.type}`)).toContain('/d/link:symlink');
    expect(second!.layer!.changes.map((c) => `${c.path}:${c.type}`)).toEqual(['/direct:file']);
  });
});

describe('COPY onto a symlink the image already has (recorded: exec-r13-copy-dest-symlink)', () => {
  const copyChanges = (sim: Simulation) => sim.result.steps.find((s) => s.kind === 'COPY')!.layer!.changes.map((c) => `${c.change} ${c.path}:${c.type} ${c.size}`);

  it.each(['buildkit', 'classic'] as const)('%s writes through a link to a file: the link stays, its target gets the bytes', async (builder) => {
    const sim = await run('FROM bb:latest\nRUN echo old > /tf && ln -s /tf /fl\nCOPY a.txt /fl\nRUN test -L /fl\nRUN test "$(cat /tf)" = new\n', { 'a.txt': 'new\n' }, builder);
    expect(sim.result.error).toBeNull();
    expect(copyChanges(sim)).toEqual(['modified /tf:file 4']);
  });

  it.each(['buildkit', 'classic'] as const)('%s creates the target of a dangling link, parents included', async (builder) => {
    const sim = await run('FROM bb:latest\nRUN ln -s /nowhere/f /dang\nCOPY a.txt /dang\nRUN test -L /dang\nRUN test -f /nowhere/f\n', { 'a.txt': 'new\n' }, builder);
    expect(sim.result.error).toBeNull();
    expect(copyChanges(sim)).toEqual(['added /nowhere:dir 0', 'added /nowhere/f:file 4']);
  });

  it('resolves a link target inside the image root: a relative one from the link\'s directory, `..` stopping at the root', async () => {
    const sim = await run('FROM bb:latest\nRUN mkdir /d && echo old > /tf && ln -s ../../../tf /d/up\nCOPY a.txt /d/up\n', { 'a.txt': 'new\n' });
    expect(copyChanges(sim)).toEqual(['modified /tf:file 4']);
  });

  it.each(['buildkit', 'classic'] as const)('%s COPY --from writes through the link as well', async (builder) => {
    const sim = await run('FROM bb:latest AS s\nRUN echo from-stage > /f\nFROM bb:latest\nRUN echo old > /tf && ln -s /tf /fl\nCOPY --from=s /f /fl\nRUN test -L /fl\nRUN test "$(cat /tf)" = from-stage\n', {}, builder);
    expect(sim.result.error).toBeNull();
    expect(copyChanges(sim)).toEqual(['modified /tf:file 11']);
  });
});

describe('a wildcard matching a context symlink follows it like a named source (recorded: exec-r13-add-symlink-sources)', () => {
  /** The context of the last withLink call. */
  let dir = '';
  async function withLink(dockerfile: string, builder: 'buildkit' | 'classic'): Promise<Simulation> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-copy-'));
    roots.push(dir);
    fs.mkdirSync(path.join(dir, 'src'));
    fs.writeFileSync(path.join(dir, 'src/m.txt'), 'member\n');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-C', path.join(dir, 'src'), '-cf', path.join(dir, 'real.tar'), 'm.txt']);
    fs.rmSync(path.join(dir, 'src'), { recursive: true });
    fs.symlinkSync('real.tar', path.join(dir, 'link.tar'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), dockerfile);
    return simulate({ context: dir, builder, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
  }

  it.each(['buildkit', 'classic'] as const)('%s: ADD l*.tar unpacks the archive the link points to', async (builder) => {
    const sim = await withLink('FROM bb:latest\nADD l*.tar /w/\nRUN test ! -L /w/link.tar && test ! -e /w/link.tar\nRUN test -f /w/m.txt\n', builder);
    expect(sim.result.error).toBeNull();
    expect(added(sim, 'ADD')).toEqual(['/w:dir', '/w/m.txt:file']);
  });

  it.each(['buildkit', 'classic'] as const)('%s: COPY l*.tar lands a regular file under the link\'s name, with the target\'s bytes', async (builder) => {
    const sim = await withLink('FROM bb:latest\nCOPY l*.tar /w/\nRUN test -f /w/link.tar && test ! -L /w/link.tar\n', builder);
    expect(sim.result.error).toBeNull();
    const change = sim.result.steps.find((s) => s.kind === 'COPY')!.layer!.changes.find((c) => c.path === '/w/link.tar')!;
    expect(change).toMatchObject({ change: 'added', type: 'file', size: fs.statSync(path.join(dir, 'real.tar')).size });
  });

  it.each(['buildkit', 'classic'] as const)('%s: a named link lands under its own name too (recorded: exec-r15-named-link-dest-name)', async (builder) => {
    const sim = await withLink('FROM bb:latest\nCOPY link.tar /w/\nRUN test -f /w/link.tar && test ! -e /w/real.tar\n', builder);
    expect(sim.result.error).toBeNull();
  });

  it.each(['buildkit', 'classic'] as const)('%s: a matched link that dangles fails the COPY (recorded: exec-r15-context-wildcard-dangling-link)', async (builder) => {
    const sim = await withLink('FROM bb:latest\nCOPY *.tar /w/\n', builder);
    expect(sim.result.error).toBeNull();
    fs.symlinkSync('missing', path.join(dir, 'dang.tar'));
    const failed = await simulate({ context: dir, builder, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
    expect(failed.result.error).toMatchObject({ code: 'DF3201', message: expect.stringContaining('dang.tar') });
    expect(failed.result.failedStep?.kind).toBe('COPY');
  });

  it('the classic builder keys the followed match as it keys the named link', async () => {
    const key = async (dockerfile: string) => (await withLink(dockerfile, 'classic')).result.steps.find((s) => s.kind === 'COPY')!.key!.parts.content;
    expect(await key('FROM bb:latest\nCOPY l*.tar /w/\n')).toEqual(await key('FROM bb:latest\nCOPY link.tar /w/\n'));
  });
});

describe('COPY --from keeps the hard links of the source stage (recorded: cache-r13-stage-hardlinks)', () => {
  const sizes = (sim: Simulation) => sim.result.image!.history.slice(-3).map((h) => h.size);

  it.each(['buildkit', 'classic'] as const)('%s: the layer holds the shared bytes once; a later append copies one name up and leaves the other', async (builder) => {
    const sim = await run('FROM bb:latest AS s\nRUN mkdir /o && echo hello > /o/a && ln /o/a /o/b\nFROM bb:latest\nCOPY --from=s /o /o\nRUN echo more >> /o/a\nRUN cat /o/b > /b.txt\n', {}, builder);
    expect(sim.result.error).toBeNull();
    const copy = sim.result.steps.find((s) => s.kind === 'COPY')!.layer!.changes.map((c) => `${c.path} ${c.size}`);
    expect(copy).toEqual(['/o 0', '/o/a 6', '/o/b 0']);
    expect(sizes(sim)).toEqual([6, 11, 6]);
  });

  it('files that are copies, not links, count twice', async () => {
    const sim = await run('FROM bb:latest AS s\nRUN mkdir /o && echo hello > /o/a && cp /o/a /o/b\nFROM bb:latest\nCOPY --from=s /o /o\n', {});
    expect(sim.result.steps.find((s) => s.kind === 'COPY')!.layer!.size).toBe(12);
  });
});

describe('COPY --from a wildcard that matches symlinks (recorded: exec-r15-stage-wildcard-links)', () => {
  const stage = 'FROM bb:latest AS s\nRUN mkdir -p /o/sub && echo a > /o/a.txt && ln -s a.txt /o/la.txt && ln -s /o/sub /o/lsub && ln -s /nowhere /o/dangling.txt\nFROM bb:latest\n';

  it.each(['buildkit', 'classic'] as const)('%s follows a matched link to a file and lands it under the link\'s name', async (builder) => {
    const sim = await run(`${stage}COPY --from=s /o/l*.txt /w/\nRUN test -f /w/la.txt && test ! -L /w/la.txt\n`, {}, builder);
    expect(sim.result.error).toBeNull();
  });

  it.each(['buildkit', 'classic'] as const)('%s fails when a match dangles', async (builder) => {
    const sim = await run(`${stage}COPY --from=s /o/*.txt /w/\n`, {}, builder);
    expect(sim.result.error).toMatchObject({ code: 'DF3201', message: expect.stringContaining('/o/dangling.txt') });
  });
});

describe('COPY --from a wildcard below a symlinked directory (recorded: cache-r6-stage-symlink-wildcard)', () => {
  const dockerfile = (target: string) =>
    `FROM bb:latest AS build\nRUN mkdir -p /real/d1 /real/d2 && echo a > /real/d1/a.txt && echo z > /real/d2/a.txt && ln -s /real/${target} /abs\nFROM bb:latest\nCOPY --from=build /abs/*.txt /w/\n`;
  const copyStep = (sim: Simulation) => sim.result.steps.find((s) => s.kind === 'COPY')!;

  it('BuildKit copies what matches below the link target', async () => {
    expect(added(await run(dockerfile('d1'), {}))).toEqual(['/w:dir', '/w/a.txt:file']);
  });

  it('but its key matches without following the link: another target with other content keys the same', async () => {
    const [d1, d2] = [await run(dockerfile('d1'), {}), await run(dockerfile('d2'), {})];
    expect(copyStep(d1).key!.digest).toBe(copyStep(d2).key!.digest);
    expect(copyStep(d1).key!.parts.content).toEqual({});
  });
});

describe('classic COPY of a directory holding symlinks: keyed by what each link resolves to (recorded: cache-r6-symlink-dir-inside-copied)', () => {
  /** The classic key digest of `COPY d /d` with these files and links (link → target). */
  async function classicKey(files: Record<string, string>, links: Record<string, string>): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-copy-'));
    roots.push(dir);
    for (const [rel, content] of Object.entries({ ...files, 'd/x': 'x', Dockerfile: 'FROM bb:latest\nCOPY d /d\n' })) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), content);
    }
    for (const [link, target] of Object.entries(links)) fs.symlinkSync(target, path.join(dir, link));
    const sim = await simulate({ context: dir, builder: 'classic', cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
    return sim.result.steps.find((s) => s.kind === 'COPY')!.key!.digest;
  }

  it('a link spelled differently but resolving to the same directory keys the same', async () => {
    const o = { 'o/f': 'f' };
    const plain = await classicKey(o, { 'd/sub': '../o' });
    expect(await classicKey(o, { 'd/sub': '../o/' })).toBe(plain);
    expect(await classicKey(o, { 'd/sub': '/o' })).toBe(plain); // absolute: from the context root
    expect(await classicKey(o, { 'd/sub': '../../../o' })).toBe(plain); // `..` stops at the root
  });

  it('a linked directory counts by its header only; a linked file by its bytes', async () => {
    expect(await classicKey({ 'o/f': 'g' }, { 'd/sub': '../o' })).toBe(await classicKey({ 'o/f': 'f' }, { 'd/sub': '../o' }));
    expect(await classicKey({ 'o/f': 'g' }, { 'd/l': '../o/f' })).not.toBe(await classicKey({ 'o/f': 'f' }, { 'd/l': '../o/f' }));
  });

  it('a link counts under its target\'s path, not its own: renaming it keeps the key (recorded: cache-links-resolved)', async () => {
    expect(await classicKey({ 'o2/g': 'g' }, { 'd/m': '../o2/g' })).toBe(await classicKey({ 'o2/g': 'g' }, { 'd/l': '../o2/g' }));
  });

  it('a dangling link counts by the path it resolves to (recorded: cache-links-resolved)', async () => {
    const gone = await classicKey({}, { 'd/gone': '../nowhere' });
    expect(gone).not.toBe(await classicKey({}, {}));
    expect(await classicKey({}, { 'd/other': '/nowhere' })).toBe(gone);
    expect(await classicKey({}, { 'd/gone': '../elsewhere' })).not.toBe(gone);
  });

  it('the context root itself does not count, unlike a copied subdirectory (recorded: cache-r7-context-root-mode)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-copy-'));
    roots.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nCOPY . /ctx\n');
    fs.mkdirSync(path.join(dir, 'sub'));
    const key = async () =>
      (await simulate({ context: dir, builder: 'classic', cacheDir: path.join(os.tmpdir(), 'dfsim-none'), baseImages: new Map([['bb:latest', IMAGE]]), record: false })).result.steps.find((s) => s.kind === 'COPY')!.key!.digest;
    const before = await key();
    fs.chmodSync(dir, 0o700);
    expect(await key()).toBe(before);
    fs.chmodSync(path.join(dir, 'sub'), 0o700);
    expect(await key()).not.toBe(before);
  });
});

describe('COPY --from a stage defined later', () => {
  it('fails with BuildKit, as current BuildKit does (moby/buildkit#4568), without running that stage', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-copy-'));
    roots.push(dir);
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest AS a\nCOPY --from=b /etc/passwd /v\nFROM bb:latest AS b\nRUN echo b > /x\n');
    const sim = await simulate({ context: dir, target: 'a', cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
    expect(sim.result.error).toMatchObject({ code: 'DF3212', message: 'cannot copy from stage "b", it needs to be defined before current stage "a"' });
    expect(sim.result.steps.map((s) => s.instruction)).toEqual(['FROM bb:latest AS a', 'COPY --from=b /etc/passwd /v']);
  });
});

describe('ADD', () => {
  it('unpacks a local tar archive into the destination, copies other files as they are (recorded: exec-add-tar)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-add-'));
    roots.push(dir);
    fs.mkdirSync(path.join(dir, 'src/inner'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'src/inner/f.txt'), 'f');
    const { execFileSync } = await import('node:child_process');
    execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '-C', path.join(dir, 'src'), '-cf', path.join(dir, 'x.tar'), 'inner']);
    fs.writeFileSync(path.join(dir, 'plain.txt'), 'p');
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM bb:latest\nADD x.tar /opt/\nADD plain.txt /opt/\n');
    const sim = await simulate({ context: dir, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
    const [unpack, plain] = sim.result.steps.filter((s) => s.kind === 'ADD');
    expect(unpack!.layer!.changes.filter((c) => c.change === 'added').map((c) => c.path)).toEqual(['/opt', '/opt/inner', '/opt/inner/f.txt']);
    expect(plain!.layer!.changes.map((c) => c.path)).toEqual(['/opt/plain.txt']);
  });

  it('a URL source is remote: its content is unknown and the step says so', async () => {
    const sim = await run('FROM bb:latest\nADD https://example.com/tool.tgz /opt/\n', {});
    const step = sim.result.steps.find((s) => s.kind === 'ADD')!;
    expect(step.opaque?.notUnderstood).toEqual(['remote source https://example.com/tool.tgz']);
    expect(step.layer!.changes.map((c) => c.path)).toEqual(['/opt', '/opt/tool.tgz']);
  });

  it('a COPY heredoc is expanded like a shell heredoc: variables replaced, quotes kept; a quoted delimiter keeps $', async () => {
    const sim = await run('FROM bb:latest\nENV NAME=world\nCOPY <<EOF /hello.txt\n"hi" $NAME\nEOF\nCOPY <<\'EOF\' /raw.txt\n$NAME\nEOF\n', {});
    const [expanded, raw] = sim.result.steps.filter((s) => s.kind === 'COPY');
    expect(expanded!.layer!.changes).toEqual([{ path: '/hello.txt', change: 'added', type: 'file', size: '"hi" world\n'.length, mode: 0o644 }]);
    expect(raw!.layer!.changes[0]!.size).toBe('$NAME\n'.length);
  });
});

