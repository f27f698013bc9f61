import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { imageToJson, loadBaseImage, normalizeRef, unknownImage, type BaseImage } from '../../src/executor/base-image.js';
import { hash64, initHasher } from '../../src/executor/hash.js';
import { StageFs } from '../../src/executor/stage-fs.js';
import { DfsimError } from '../../src/diagnostics/diagnostic.js';

const IMAGES = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/images');
let tmp = '';

beforeAll(async () => {
  await initHasher();
  tmp = mkdtempSync(join(tmpdir(), 'dfsim-base-image-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

// ---- helpers that build small images with tar-stream ---------------------------------------

interface Member {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  data?: string | Buffer;
}

async function tarOf(members: Member[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    p.on('data', (c: unknown) => chunks.push(c as Buffer));
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  const mtime = new Date(0);
  for (const m of members) {
    const type = m.type ?? 'file';
    const header = { name: m.name, type, mode: m.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644), uid: m.uid ?? 0, gid: m.gid ?? 0, mtime, linkname: m.linkname ?? '' };
    await new Promise<void>((resolve, reject) => {
      p.entry(header, type === 'file' ? (m.data ?? '') : '', (e) => (e ? reject(e) : resolve()));
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

interface SaveOptions {
  layers: Buffer[];
  gzip?: boolean[];
  config?: Record<string, unknown>;
  history?: unknown[];
  repoTags?: string[];
}

/** A `docker save` archive: <layer>/layer.tar members, the config, manifest.json. */
async function dockerSave(o: SaveOptions): Promise<{ tar: Buffer; configDigest: string; members: Member[] }> {
  const diffIds = o.layers.map((l) => `sha256:${sha(l)}`);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: o.config ?? {}, history: o.history ?? o.layers.map(() => ({ created_by: 'test' })), rootfs: { type: 'layers', diff_ids: diffIds } }));
  const configDigest = sha(config);
  const members: Member[] = [];
  const layerNames: string[] = [];
  o.layers.forEach((l, i) => {
    const dir = sha(`layer${i}`);
    members.push({ name: `${dir}/`, type: 'directory' }, { name: `${dir}/layer.tar`, data: o.gzip?.[i] ? gzipSync(l) : l });
    layerNames.push(`${dir}/layer.tar`);
  });
  members.push({ name: `${configDigest}.json`, data: config });
  members.push({ name: 'manifest.json', data: JSON.stringify([{ Config: `${configDigest}.json`, RepoTags: o.repoTags ?? ['test:latest'], Layers: layerNames }]) });
  return { tar: await tarOf(members), configDigest, members };
}

function write(name: string, data: Buffer | string): string {
  const p = join(tmp, name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
  return p;
}

function populated(image: BaseImage): StageFs {
  const fs = new StageFs();
  image.populate(fs);
  return fs;
}

async function loadError(ref: string, path: string): Promise<DfsimError> {
  try {
    await loadBaseImage(ref, path);
  } catch (e) {
    if (e instanceof DfsimError) return e;
    throw e;
  }
  throw new Error(`expected ${path} to be rejected`);
}

const twoLayers = async (): Promise<Buffer[]> => [
  await tarOf([
    { name: './', type: 'directory', mode: 0o700 },
    { name: 'app/', type: 'directory' },
    { name: 'app/a.txt', data: 'a' },
    { name: 'app/b.txt', data: 'bb', mode: 0o664, uid: 1000, gid: 1000 },
    { name: 'usr/', type: 'directory', mode: 0o555 },
    { name: 'usr/lib/', type: 'directory', mode: 0o555 },
    { name: 'usr/lib/os.conf', data: 'umask 022\n', mode: 0o444, uid: 1000, gid: 1000 },
    { name: 'app/dir/', type: 'directory' },
    { name: 'app/dir/old.txt', data: 'old' },
    { name: 'keep.bin', data: Buffer.alloc(70 * 1024, 7), mode: 0o755 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/os-release', data: 'ID=test\n' },
  ]),
  await tarOf([
    { name: 'app/', type: 'directory', mode: 0o775 },
    { name: 'app/.wh.a.txt', data: '' },
    { name: 'app/dir/', type: 'directory' },
    { name: 'app/dir/.wh..wh..opq', data: '' },
    { name: 'app/dir/new.txt', data: 'new' },
    { name: 'app/c.txt', data: 'ccc', mode: 0o640 },
    { name: 'app/c-link', type: 'link', linkname: 'app/c.txt' },
    { name: 'app/c-sym', type: 'symlink', linkname: 'c.txt' },
  ]),
];

// ---- the real base images (fixtures exported from the oracle daemon) -----------------------

describe('bb fixtures from the real daemon', () => {
  // Expected values come from the oracle daemon (Docker 20.10.24):
  //   docker image inspect bb:latest bb:v1 bb:v2 -> Id, Size, RootFS.Layers
  //   docker history --no-trunc bb:latest|bb:v2 -> one entry, CREATED BY empty, COMMENT "Imported from -"
  //   RUN stat -c "%n %a %u %g %F %s" ... in a real build FROM bb:v2
  it('bb:latest has the image ID, one layer and the history the daemon reports', async () => {
    const img = await loadBaseImage('bb:latest', join(IMAGES, 'bb-latest.json'));
    expect(img.known).toBe(true);
    expect(img.ref).toBe('bb:latest');
    // bb:latest and bb:v1 share this ID, so they share cache in the real builder.
    expect(img.id).toBe('sha256:634207e826a2bf9b61cb28f000f016b225f4677c106cccb8407e3138459616e3');
    expect(img.layers).toBe(1);
    expect(img.history).toEqual([{ createdBy: '', emptyLayer: false, size: 1984172, comment: 'Imported from -' }]);
    expect([img.os, img.architecture, img.variant]).toEqual(['linux', 'amd64', undefined]);
    expect(img.config).toEqual({ Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', User: '', Labels: {}, ExposedPorts: [], Volumes: [], StopSignal: null, Shell: null, OnBuild: [], Healthcheck: null });
  });

  it('bb:v2 is a different image, one file larger', async () => {
    const img = await loadBaseImage('bb:v2', join(IMAGES, 'bb-v2.json'));
    expect(img.id).toBe('sha256:1b5936aa9bb63fb0ce3cc1d920e21c935a85ac6cbf0fce61e37cf5ff5cb5e9e2');
    expect(img.layers).toBe(1);
    // docker history: 1.98MB; docker image inspect Size: 1984175 (3 bytes more than bb:latest: /etc/version).
    expect(img.history.map((h) => h.size)).toEqual([1984175]);
  });

  it('populates bb:v2 as a real build sees it', async () => {
    const fs = populated(await loadBaseImage('bb:v2', join(IMAGES, 'bb-v2.json')));
    // The layer tar's "./" entry is 0700, yet RUN stat / says 755: the root entry is not applied.
    expect(fs.lstat('/')).toMatchObject({ type: 'dir', mode: 0o755 });
    expect(fs.lstat('/tmp')).toMatchObject({ type: 'dir', mode: 0o1777, uid: 0, gid: 0 });
    for (const d of ['/etc', '/root', '/usr/bin', '/var', '/bin']) expect(fs.lstat(d)).toMatchObject({ type: 'dir', mode: 0o755 });
    expect(fs.lstat('/etc/passwd')).toMatchObject({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 30 });
    expect(fs.readFile('/etc/passwd')?.toString()).toBe('root:x:0:0:root:/root:/bin/sh\n');
    expect(fs.readFile('/etc/group')?.toString()).toBe('root:x:0:\n');
    expect(fs.readFile('/etc/version')?.toString()).toBe('v2\n');
    expect(fs.lstat('/bin/sh')).toEqual({ type: 'symlink', mode: 0o777, linkTarget: 'busybox', uid: 0, gid: 0, size: 0 });
    expect(fs.realpath('/bin/sh')).toBe('/bin/busybox');
    expect(fs.stat('/bin/sh')).toMatchObject({ type: 'file', mode: 0o755, size: 1982256 });
    // The binary's bytes are not in the fixture: known size and digest, unknown content.
    expect(fs.readFile('/bin/busybox')).toBeUndefined();
    expect(fs.fileDigest('/bin/busybox')).toMatch(/^[0-9a-f]{16}$/);
    expect(fs.fileDigest('/etc/passwd')).toBe(hash64('root:x:0:0:root:/root:/bin/sh\n'));
    expect(fs.readdir('/')).toEqual(['bin', 'etc', 'root', 'tmp', 'usr', 'var']);
    expect(fs.readdir('/usr/bin')).toEqual([]);
    // 268 applets link to busybox (tar tvf of the saved layer).
    expect(fs.readdir('/bin')!.filter((n) => fs.lstat(`/bin/${n}`)?.linkTarget === 'busybox')).toHaveLength(268);
  });

  it('bb:latest has no /etc/version and the same busybox', async () => {
    const latest = populated(await loadBaseImage('bb:latest', join(IMAGES, 'bb-latest.json')));
    const v2 = populated(await loadBaseImage('bb:v2', join(IMAGES, 'bb-v2.json')));
    expect(latest.lstat('/etc/version')).toBeUndefined();
    expect(latest.fileDigest('/bin/busybox')).toBe(v2.fileDigest('/bin/busybox'));
    expect(latest.treeDigest('/bin')).toBe(v2.treeDigest('/bin'));
    expect(latest.treeDigest('/etc')).not.toBe(v2.treeDigest('/etc'));
  });

  it('a BuildKit-built image FROM bb:v2 (whiteouts, opaque dir, hard link) merges as the real builder sees it', async () => {
    // bb-built.json: `docker save` of this Dockerfile, built and then `docker load`ed on the oracle:
    //   FROM bb:v2
    //   RUN mkdir -p /d/sub && echo x > /d/x && echo y > /d/sub/y && ln /d/x /d/xh && ln -s x /d/xs
    //   ENV A=1
    //   RUN rm /d/x && rm -rf /d/sub && rm /etc/version && mkdir /d/sub && echo z > /d/sub/z \
    //       && chmod 700 /root && echo hi > /root/.hi && chown 33:44 /d/sub/z
    //   WORKDIR /w
    //   EXPOSE 8080
    //   LABEL k=v
    //   CMD ["sh"]
    // The second RUN's layer holds .wh.x, .wh.version and d/sub/.wh..wh..opq.
    const img = await loadBaseImage('dfsim-pg-test:1', join(IMAGES, 'bb-built.json'));
    // docker image inspect: Id, 4 RootFS layers; docker history (after docker load), oldest first:
    // 1.98MB (1984175), 5B, 0B ENV, 5B, 0B WORKDIR, 0B EXPOSE, 0B LABEL, 0B CMD; Size 1984185.
    expect(img.id).toBe('sha256:3b07da5ff2eaee283d075aae3d9855735a73dadcf0908b938eb626a2d149896e');
    expect(img.layers).toBe(4);
    expect(img.history.map((h) => [h.createdBy.split(' ')[0], h.emptyLayer, h.size])).toEqual([
      ['', false, 1984175],
      ['RUN', false, 5],
      ['ENV', true, 0],
      ['RUN', false, 5],
      ['WORKDIR', false, 0],
      ['EXPOSE', true, 0],
      ['LABEL', true, 0],
      ['CMD', true, 0],
    ]);
    expect(img.history[1]).toMatchObject({ comment: 'buildkit.dockerfile.v0' });
    expect(img.history[5]!.createdBy).toBe('EXPOSE map[8080/tcp:{}]');
    expect(img.config).toMatchObject({ Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'A=1'], Cmd: ['sh'], WorkingDir: '/w', ExposedPorts: ['8080/tcp'], Labels: { k: 'v' } });
    // From `RUN find / -xdev ... | xargs stat -c "%n %a %u %g %F %s"` in a real build FROM this image.
    const fs = populated(img);
    expect(fs.readdir('/d')).toEqual(['sub', 'xh', 'xs']);
    expect(fs.readdir('/d/sub')).toEqual(['z']);
    expect(fs.lstat('/d/sub/z')).toMatchObject({ type: 'file', mode: 0o644, uid: 33, gid: 44, size: 2 });
    expect(fs.lstat('/d/xh')).toMatchObject({ type: 'file', mode: 0o644, size: 2 });
    // The hard link outlives its removed target and keeps its bytes ("x\n"); z holds "z\n".
    expect(fs.fileDigest('/d/xh')).toBe(hash64('x\n'));
    expect(fs.fileDigest('/d/sub/z')).toBe(hash64('z\n'));
    expect(fs.lstat('/d/xs')).toMatchObject({ type: 'symlink', linkTarget: 'x' });
    expect(fs.stat('/d/xs')).toBeUndefined(); // dangling: /d/x was removed
    expect(fs.lstat('/etc/version')).toBeUndefined();
    expect(fs.readdir('/etc')).toEqual(['group', 'passwd']);
    expect(fs.lstat('/root')).toMatchObject({ type: 'dir', mode: 0o700 });
    expect(fs.lstat('/root/.hi')).toMatchObject({ type: 'file', mode: 0o644, size: 3 });
    expect(fs.lstat('/w')).toMatchObject({ type: 'dir', mode: 0o755 });
    // BuildKit 20.10 left the RUN mount points in the first RUN's layer.
    expect(fs.readdir('/')).toEqual(['bin', 'd', 'dev', 'etc', 'proc', 'root', 'sys', 'tmp', 'usr', 'var', 'w']);
  });

  it('populating inside a step records the whole image as added', async () => {
    const fs = new StageFs();
    fs.beginStep();
    (await loadBaseImage('bb:v2', join(IMAGES, 'bb-v2.json'))).populate(fs);
    const diff = fs.endStep();
    expect(diff.changes.find((c) => c.path === '/etc/version')).toMatchObject({ change: 'added', type: 'file', size: 3 });
    expect(diff.changes).toHaveLength(279); // 280 tar members minus the root entry
  });
});

// ---- docker save archives ------------------------------------------------------------------

describe('loadBaseImage on docker save archives', () => {
  it('applies two layers with a whiteout, an opaque directory and a hard link', async () => {
    const { tar, configDigest } = await dockerSave({ layers: await twoLayers() });
    const img = await loadBaseImage('test', write('two.tar', tar));
    expect(img.id).toBe(`sha256:${configDigest}`);
    expect(img.layers).toBe(2);
    const fs = populated(img);
    expect(fs.lstat('/')).toMatchObject({ mode: 0o755 });
    expect(fs.lstat('/app/a.txt')).toBeUndefined(); // .wh.a.txt
    expect(fs.readFile('/app/b.txt')?.toString()).toBe('bb');
    expect(fs.lstat('/app/b.txt')).toMatchObject({ mode: 0o664, uid: 1000, gid: 1000 });
    // Read-only directories (Fedora ships /usr as 0555) still receive their children.
    expect(fs.lstat('/usr')).toMatchObject({ type: 'dir', mode: 0o555 });
    expect(fs.lstat('/usr/lib')).toMatchObject({ type: 'dir', mode: 0o555 });
    expect(fs.lstat('/usr/lib/os.conf')).toMatchObject({ type: 'file', size: 10, mode: 0o444, uid: 1000, gid: 1000 });
    expect(fs.readFile('/usr/lib/os.conf')?.toString()).toBe('umask 022\n');
    expect(fs.lstat('/app')).toMatchObject({ mode: 0o775 }); // the upper layer's header wins
    expect(fs.readdir('/app/dir')).toEqual(['new.txt']); // opaque: lower contents hidden, own kept
    expect(fs.readFile('/app/c-link')?.toString()).toBe('ccc');
    expect(fs.lstat('/app/c-link')).toMatchObject({ type: 'file', mode: 0o640 });
    expect(fs.lstat('/app/c-sym')).toMatchObject({ type: 'symlink', linkTarget: 'c.txt' });
    // 70 KiB outside /etc: size and digest only.
    expect(fs.readFile('/keep.bin')).toBeUndefined();
    expect(fs.lstat('/keep.bin')).toMatchObject({ type: 'file', size: 70 * 1024, mode: 0o755 });
    expect(fs.fileDigest('/keep.bin')).toBe(hash64(Buffer.alloc(70 * 1024, 7)));
    expect(fs.readFile('/etc/os-release')?.toString()).toBe('ID=test\n');
  });

  it('counts layer sizes as docker history does and maps history to layers', async () => {
    const layers = await twoLayers();
    const history = [{ created_by: 'ADD rootfs' }, { created_by: 'ENV A=1', empty_layer: true }, { created_by: 'RUN change', comment: 'buildkit.dockerfile.v0' }];
    const { tar } = await dockerSave({ layers, history, config: { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], ExposedPorts: { '80/tcp': {}, '443/tcp': {} }, Labels: { b: '2', a: '1' }, WorkingDir: '/app', User: 'app', Volumes: { '/data': {} }, StopSignal: 'SIGTERM' } });
    const img = await loadBaseImage('test', write('hist.tar', tar));
    // Regular file bytes plus symlink target lengths, hard links once (1984172 for bb:latest = files + 268 × "busybox").
    expect(img.history).toEqual([
      { createdBy: 'ADD rootfs', emptyLayer: false, size: 1 + 2 + 10 + 3 + 70 * 1024 + 8 },
      { createdBy: 'ENV A=1', emptyLayer: true, size: 0 },
      { createdBy: 'RUN change', emptyLayer: false, size: 3 + 3 + 'c.txt'.length, comment: 'buildkit.dockerfile.v0' },
    ]);
    expect(img.config).toMatchObject({ Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], Entrypoint: null, ExposedPorts: ['443/tcp', '80/tcp'], Labels: { a: '1', b: '2' }, WorkingDir: '/app', User: 'app', Volumes: ['/data'], StopSignal: 'SIGTERM' });
  });

  it('reads gzip-compressed layers and a gzip-compressed archive', async () => {
    const layers = await twoLayers();
    const { tar } = await dockerSave({ layers, gzip: [true, false] });
    const a = await loadBaseImage('test', write('gz-layer.tar', tar));
    expect(populated(a).readdir('/app')).toEqual(['b.txt', 'c-link', 'c-sym', 'c.txt', 'dir']);
    const b = await loadBaseImage('test', write('whole.tar.gz', gzipSync(tar)));
    expect(b.id).toBe(a.id);
  });

  it('follows layer.tar members that are symlinks to a shared layer', async () => {
    const layer = await tarOf([{ name: 'x', data: 'x' }]);
    const diff = `sha256:${sha(layer)}`;
    const config = Buffer.from(JSON.stringify({ os: 'linux', architecture: 'arm64', variant: 'v8', rootfs: { diff_ids: [diff, diff] }, history: [{}, {}] }));
    const tar = await tarOf([
      { name: 'l1/layer.tar', data: layer },
      { name: 'l2/layer.tar', type: 'symlink', linkname: '../l1/layer.tar' },
      { name: 'c.json', data: config },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', Layers: ['l1/layer.tar', 'l2/layer.tar'] }]) },
    ]);
    const img = await loadBaseImage('x', write('alias.tar', tar));
    expect(img.layers).toBe(2);
    expect([img.os, img.architecture, img.variant]).toEqual(['linux', 'arm64', 'v8']);
    expect(populated(img).readFile('/x')?.toString()).toBe('x');
  });

  it('keeps member names inside the root and creates missing parents as 0755', async () => {
    const layer = await tarOf([
      { name: '../../escape.txt', data: 'e' },
      { name: '/abs/file', data: 'a', mode: 0o600 },
      { name: 'deep/er/file', data: 'd' },
    ]);
    const { tar } = await dockerSave({ layers: [layer] });
    const fs = populated(await loadBaseImage('x', write('names.tar', tar)));
    expect(fs.readdir('/')).toEqual(['abs', 'deep', 'escape.txt']);
    expect(fs.lstat('/deep/er')).toMatchObject({ type: 'dir', mode: 0o755, uid: 0 });
    expect(fs.lstat('/abs/file')).toMatchObject({ type: 'file', mode: 0o600 });
  });

  it('picks the image named by the ref from a multi-image archive', async () => {
    const one = await tarOf([{ name: 'one', data: '1' }]);
    const two = await tarOf([{ name: 'two', data: '2' }]);
    const cfg = (l: Buffer): Buffer => Buffer.from(JSON.stringify({ os: 'linux', architecture: 'amd64', rootfs: { diff_ids: [`sha256:${sha(l)}`] } }));
    const tar = await tarOf([
      { name: '1/layer.tar', data: one },
      { name: '2/layer.tar', data: two },
      { name: 'c1.json', data: cfg(one) },
      { name: 'c2.json', data: cfg(two) },
      { name: 'manifest.json', data: JSON.stringify([{ Config: 'c1.json', RepoTags: ['app:1'], Layers: ['1/layer.tar'] }, { Config: 'c2.json', RepoTags: ['docker.io/library/app:2'], Layers: ['2/layer.tar'] }]) },
    ]);
    const path = write('multi.tar', tar);
    expect(populated(await loadBaseImage('app:2', path)).readdir('/')).toEqual(['two']);
    expect(populated(await loadBaseImage('docker.io/library/app:1', path)).readdir('/')).toEqual(['one']);
    const e = await loadError('app:3', path);
    expect(e.diagnostics[0]).toMatchObject({ code: 'DF3105', file: path });
    expect(e.message).toContain('app:1, docker.io/library/app:2');
  });
});

// ---- OCI layouts ---------------------------------------------------------------------------

async function ociLayout(platforms: Array<{ arch: string; file: string }>): Promise<Member[]> {
  const members: Member[] = [{ name: 'oci-layout', data: '{"imageLayoutVersion":"1.0.0"}' }];
  const blob = (data: Buffer | string): { digest: string; size: number } => {
    const b = Buffer.from(data);
    const d = sha(b);
    members.push({ name: `blobs/sha256/${d}`, data: b });
    return { digest: `sha256:${d}`, size: b.length };
  };
  const manifests = [];
  for (const p of platforms) {
    const layer = await tarOf([{ name: p.file, data: p.arch }, { name: 'etc/', type: 'directory' }, { name: 'etc/hostname', data: 'oci\n' }]);
    const layerBlob = blob(gzipSync(layer));
    const config = blob(JSON.stringify({ os: 'linux', architecture: p.arch, config: { Entrypoint: ['/bin/app'] }, rootfs: { type: 'layers', diff_ids: [`sha256:${sha(layer)}`] }, history: [{ created_by: 'COPY app' }] }));
    const manifest = blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerBlob }] }));
    manifests.push({ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, platform: { os: 'linux', architecture: p.arch }, configDigest: config.digest });
  }
  if (manifests.length === 1) {
    const { configDigest: _c, ...m } = manifests[0]!;
    members.push({ name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }) });
  } else {
    const inner = blob(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: manifests.map(({ configDigest: _c, ...m }) => m) }));
    members.push({ name: 'index.json', data: JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...inner }] }) });
  }
  return members;
}

describe('loadBaseImage on OCI layouts', () => {
  it('reads an OCI layout tarball with a gzip layer', async () => {
    const members = await ociLayout([{ arch: 'amd64', file: 'app' }]);
    const img = await loadBaseImage('oci', write('oci.tar', await tarOf(members)));
    const configBlob = members.find((m) => m.name.startsWith('blobs/') && String(m.data).includes('"Entrypoint"'))!;
    expect(img.id).toBe(`sha256:${sha(Buffer.from(configBlob.data!))}`);
    expect(img.config.Entrypoint).toEqual(['/bin/app']);
    expect(img.history).toEqual([{ createdBy: 'COPY app', emptyLayer: false, size: 'amd64'.length + 'oci\n'.length }]);
    const fs = populated(img);
    expect(fs.readFile('/app')?.toString()).toBe('amd64');
    expect(fs.readFile('/etc/hostname')?.toString()).toBe('oci\n');
  });

  it('reads an OCI layout directory and picks the platform from a nested index', async () => {
    const members = await ociLayout([{ arch: 'arm64', file: 'arm' }, { arch: 'amd64', file: 'x86' }]);
    const dir = join(tmp, 'oci-dir');
    for (const m of members) write(join('oci-dir', m.name), m.data ?? '');
    const amd = await loadBaseImage('multi', dir);
    expect(amd.architecture).toBe('amd64');
    expect(populated(amd).readdir('/')).toEqual(['etc', 'x86']);
    const arm = await loadBaseImage('multi', dir, 'linux/arm64');
    expect(arm.architecture).toBe('arm64');
    expect(arm.id).not.toBe(amd.id);
    const e = await loadBaseImage('multi', dir, 'linux/s390x').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DfsimError);
    expect((e as DfsimError).diagnostics[0]!.code).toBe('DF3105');
  });
});

// ---- bad input -----------------------------------------------------------------------------

describe('loadBaseImage rejects bad input with a diagnostic', () => {
  it('a missing file', async () => {
    const path = join(tmp, 'nope.tar');
    const e = await loadError('x', path);
    expect(e.diagnostics[0]).toMatchObject({ code: 'DF3101', severity: 'error', file: path });
    expect(e.message).toContain('ENOENT');
  });

  it('a tar that is not an image', async () => {
    const path = write('plain.tar', await tarOf([{ name: 'README', data: 'hello' }]));
    const e = await loadError('x', path);
    expect(e.diagnostics[0]).toMatchObject({ code: 'DF3102', file: path });
    expect(e.message).toMatch(/neither manifest\.json .* nor index\.json/);
  });

  it('a truncated archive', async () => {
    const { tar } = await dockerSave({ layers: await twoLayers() });
    const path = write('cut.tar', tar.subarray(0, 3000));
    const e = await loadError('x', path);
    expect(e.diagnostics[0]!.code).toMatch(/^DF310[34]$/);
    expect(e.message).toContain(path);
  });

  it('an empty file', async () => {
    const e = await loadError('x', write('empty.tar', ''));
    expect(e.diagnostics[0]!.code).toBe('DF3102');
    expect(e.message).toContain('not a tar archive');
  });

  it('garbage bytes', async () => {
    const path = write('garbage.tar', Buffer.from('this is not a tar archive at all '.repeat(40)));
    const e = await loadError('x', path);
    expect(e.diagnostics[0]!.code).toBe('DF3103');
  });

  it('a layer whose content does not match its diff_id', async () => {
    const layers = await twoLayers();
    const { members } = await dockerSave({ layers });
    const other = await tarOf([{ name: 'evil', data: 'x' }]);
    const swapped = members.map((m) => (m.data === layers[1] ? { ...m, data: other } : m));
    const e = await loadError('x', write('swapped.tar', await tarOf(swapped)));
    expect(e.diagnostics[0]!.code).toBe('DF3103');
    expect(e.message).toContain('diff_id');
  });

  it('a layer that is not a tar', async () => {
    const layer = Buffer.from('x'.repeat(1024));
    const config = JSON.stringify({ rootfs: { diff_ids: [`sha256:${sha(layer)}`] } });
    const tar = await tarOf([{ name: 'l/layer.tar', data: layer }, { name: 'c.json', data: config }, { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) }]);
    const e = await loadError('x', write('badlayer.tar', tar));
    expect(e.diagnostics[0]!.code).toBe('DF3103');
    expect(e.message).toContain('l/layer.tar');
  });

  it('a zstd layer', async () => {
    const layer = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(60)]);
    const config = JSON.stringify({ rootfs: { diff_ids: ['sha256:00'] } });
    const tar = await tarOf([{ name: 'l/layer.tar', data: layer }, { name: 'c.json', data: config }, { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) }]);
    const e = await loadError('x', write('zstd.tar', tar));
    expect(e.diagnostics[0]!.code).toBe('DF3105');
    expect(e.message).toContain('zstd');
  });

  it('manifest.json that is not JSON, or names missing members', async () => {
    const bad = await loadError('x', write('badjson.tar', await tarOf([{ name: 'manifest.json', data: '[{' }])));
    expect(bad.diagnostics[0]!.code).toBe('DF3104');
    expect(bad.message).toContain('not valid JSON');
    const missing = await loadError('x', write('nocfg.tar', await tarOf([{ name: 'manifest.json', data: JSON.stringify([{ Config: 'gone.json', Layers: [] }]) }])));
    expect(missing.diagnostics[0]!.code).toBe('DF3104');
    expect(missing.message).toContain('gone.json');
  });

  it('a layer count that disagrees with rootfs.diff_ids', async () => {
    const layer = await tarOf([{ name: 'x', data: 'x' }]);
    const tar = await tarOf([{ name: 'l/layer.tar', data: layer }, { name: 'c.json', data: JSON.stringify({ rootfs: { diff_ids: [] } }) }, { name: 'manifest.json', data: JSON.stringify([{ Config: 'c.json', Layers: ['l/layer.tar'] }]) }]);
    const e = await loadError('x', write('count.tar', tar));
    expect(e.diagnostics[0]!.code).toBe('DF3104');
    expect(e.message).toContain('0 layer(s)');
  });

  it('JSON that is not a dfsim image, or is broken', async () => {
    const foreign = await loadError('x', write('foreign.json', '{"format":"something/2"}'));
    expect(foreign.diagnostics[0]!.code).toBe('DF3102');
    expect(foreign.message).toContain('something/2');
    // A bare docker-save manifest.json is JSON too, but not an image.
    expect((await loadError('x', write('manifest-only.json', '[{"Config":"c.json","Layers":[]}]'))).diagnostics[0]!.code).toBe('DF3102');
    const broken = await loadError('x', write('broken.json', '{"format": "dfsim-image/1",'));
    expect(broken.diagnostics[0]!.code).toBe('DF3104');
    const badFile = await loadError('x', write('badfile.json', JSON.stringify({ format: 'dfsim-image/1', id: 'sha256:1', layers: 1, files: [{ path: '/x', type: 'fifo', mode: '0644' }] })));
    expect(badFile.message).toContain('files[0]');
  });
});

// ---- JSON round trip, unknown images, refs --------------------------------------------------

describe('dfsim image JSON', () => {
  it('round-trips a loaded archive: same ID, history and tree digests outside unknown content', async () => {
    const img = await loadBaseImage('test', write('rt.tar', (await dockerSave({ layers: await twoLayers() })).tar));
    const json = imageToJson(img);
    expect(json.files.find((f) => f.path === '/etc/os-release')).toMatchObject({ content: 'ID=test\n', mode: '0644' });
    // Small files outside /etc keep only their digest in the JSON.
    expect(json.files.find((f) => f.path === '/app/b.txt')).toEqual({ path: '/app/b.txt', type: 'file', mode: '0664', uid: 1000, gid: 1000, size: 2, digest: hash64('bb') });
    const back = await loadBaseImage('test', write('rt.json', JSON.stringify(json)));
    expect([back.id, back.layers, back.history]).toEqual([img.id, img.layers, img.history]);
    const a = populated(img);
    const b = populated(back);
    expect(b.walk('/')).toEqual(a.walk('/'));
    for (const p of a.walk('/')) {
      expect(b.lstat(p)).toEqual(a.lstat(p));
      if (a.lstat(p)?.type === 'file') expect(b.fileDigest(p)).toBe(a.fileDigest(p));
    }
    expect(b.readFile('/app/b.txt')).toBeUndefined();
  });

  it('the committed fixtures are what the exporter writes for them', async () => {
    const img = await loadBaseImage('bb:v2', join(IMAGES, 'bb-v2.json'));
    const json = imageToJson(img);
    expect(json.files.filter((f) => f.content !== undefined).map((f) => f.path)).toEqual(['/etc/group', '/etc/passwd', '/etc/version']);
    expect(json.files.find((f) => f.path === '/bin/busybox')).toMatchObject({ size: 1982256, mode: '0755' });
  });
});

describe('unknown images and references', () => {
  it('models an unknown image as an empty root identified by its normalised ref', () => {
    const img = unknownImage('node:18', 'linux/arm64/v8');
    expect(img).toMatchObject({ ref: 'node:18', id: 'unknown:docker.io/library/node:18', known: false, layers: 0, history: [], os: 'linux', architecture: 'arm64', variant: 'v8' });
    expect(img.config.Env).toEqual([]);
    const fs = new StageFs();
    img.populate(fs);
    expect(fs.walk('/')).toEqual(['/']);
  });

  it('uses the pinned digest as the identity', () => {
    const d = 'sha256:' + 'ab'.repeat(32);
    expect(unknownImage(`alpine:3.19@${d}`, 'linux/amd64').id).toBe(d);
    expect(unknownImage('alpine', 'linux/amd64')).toMatchObject({ id: 'unknown:docker.io/library/alpine:latest', architecture: 'amd64' });
    expect(unknownImage('alpine', 'linux/amd64').variant).toBeUndefined();
  });

  it('normalises references like the Docker CLI', () => {
    expect(normalizeRef('bb')).toBe('docker.io/library/bb:latest');
    expect(normalizeRef('bb:v1')).toBe('docker.io/library/bb:v1');
    expect(normalizeRef('user/app')).toBe('docker.io/user/app:latest');
    expect(normalizeRef('localhost/app')).toBe('localhost/app:latest');
    expect(normalizeRef('registry:5000/a/b:1')).toBe('registry:5000/a/b:1');
    expect(normalizeRef('ghcr.io/o/r')).toBe('ghcr.io/o/r:latest');
    expect(normalizeRef('index.docker.io/library/bb:v2')).toBe('docker.io/library/bb:v2');
    expect(normalizeRef('a@sha256:00')).toBe('docker.io/library/a@sha256:00');
  });

  it('finds a --base-image given under any spelling of the FROM reference, as the real builders do', async () => {
    // Recorded: cache-r13-from-ref-spellings (bb, bb:latest, docker.io/bb, docker.io/library/bb:latest
    // and index.docker.io/library/bb:latest are one image: every step stays cached).
    const { simulate } = await import('../../src/simulate.js');
    const dir = mkdtempSync(join(tmpdir(), 'dfsim-refs-'));
    try {
      const layers = async (from: string, given: string): Promise<[number, string]> => {
        writeFileSync(join(dir, 'Dockerfile'), `FROM ${from}\nRUN echo x > /x\n`);
        const sim = await simulate({ context: dir, cacheDir: join(dir, '.cache'), baseImages: new Map([[given, join(IMAGES, 'bb-latest.json')]]), record: false });
        return [sim.result.image!.layers, sim.result.steps[0]!.key!.digest];
      };
      const want = await layers('bb:latest', 'bb:latest');
      expect(want[0]).toBe(2);
      for (const from of ['bb', 'docker.io/bb', 'docker.io/library/bb:latest', 'index.docker.io/library/bb:latest']) expect(await layers(from, 'bb:latest')).toEqual(want);
      expect(await layers('bb', 'docker.io/library/bb:latest')).toEqual(want);
      expect((await layers('bb:v2', 'bb:latest'))[0]).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
