import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { DfsimError, error } from '../diagnostics/diagnostic.js';
import { FsError } from './fs-types.js';
import { createHash64, hash64, initHasher } from './hash.js';
import type { StageFs } from './stage-fs.js';

/** The parts of an OCI/Docker image config the builder uses. */
export interface ImageConfig {
  Env: string[];
  Cmd: string[] | null;
  Entrypoint: string[] | null;
  WorkingDir: string;
  User: string;
  Labels: Record<string, string>;
  ExposedPorts: string[];
  Volumes: string[];
  StopSignal: string | null;
  Shell: string[] | null;
  OnBuild: string[];
  Healthcheck: unknown | null;
}

export interface HistoryEntry {
  createdBy: string;
  emptyLayer: boolean;
  /** Bytes of the layer as `docker history` counts them; 0 for empty layers; null when unknown. */
  size: number | null;
  comment?: string;
}

export interface BaseImage {
  /** As the user named it. */
  ref: string;
  /** Identity for the cache key: the image ID (config digest) when known; else derived from the ref. */
  id: string;
  /** false: an unknown image, modelled as an empty root filesystem. */
  known: boolean;
  /** Number of rootfs layers (diff_ids). */
  layers: number;
  history: HistoryEntry[];
  config: ImageConfig;
  os: string;
  architecture: string;
  variant?: string;
  /** Lays the image's files into an empty StageFs. */
  populate(fs: StageFs): void;
}

/** One path of the image's merged root filesystem (all layers applied). */
export interface ImageFile {
  path: string;
  /** 'link' is a hard link to `linkTarget` (an absolute path of the same image). */
  type: 'file' | 'dir' | 'symlink' | 'link';
  mode: number;
  uid: number;
  gid: number;
  /** Regular files and hard links: content bytes; others 0. */
  size: number;
  /** XXH64 of the content (16 hex), as StageFs digests files. */
  digest?: string;
  linkTarget?: string;
  /** Bytes kept in memory: small files and text files under /etc. */
  content?: Buffer;
}

/** The committed, compact form of a real image (see scripts/export-base-image.mjs). */
export interface DfsimImageJson {
  format: 'dfsim-image/1';
  id: string;
  os: string;
  architecture: string;
  variant?: string;
  layers: number;
  history: HistoryEntry[];
  config: ImageConfig;
  files: Array<{
    path: string;
    type: ImageFile['type'];
    /** Octal string, e.g. "0755" (a number is accepted on input). */
    mode: string;
    uid: number;
    gid: number;
    size: number;
    digest?: string;
    linkTarget?: string;
    /** UTF-8 text, only for text files under /etc. */
    content?: string;
  }>;
}

const SMALL_FILE = 64 * 1024;
/** Text under /etc is kept whole (CA bundles, passwd databases) up to this size. */
const ETC_TEXT_MAX = 4 * 1024 * 1024;
/** Metadata entries of an archive (configs, manifests) are read into memory up to this size. */
const METADATA_MAX = 4 * 1024 * 1024;
const DEFAULT_PLATFORM = 'linux/amd64';

// ---- references and unknown images --------------------------------------------------------

/** Normalises a reference the way the Docker CLI does: docker.io/library/bb:latest for "bb". */
export function normalizeRef(ref: string): string {
  let rest = ref.trim();
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  const hasDomain = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let domain = hasDomain ? first : 'docker.io';
  let path = hasDomain ? rest.slice(slash + 1) : rest;
  if (domain === 'index.docker.io') domain = 'docker.io';
  let tag = '';
  const colon = path.lastIndexOf(':');
  if (colon >= 0) {
    tag = path.slice(colon);
    path = path.slice(0, colon);
  }
  if (domain === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  if (!tag && !digest) tag = ':latest';
  return `${domain}/${path}${tag}${digest}`;
}

/**
 * Loads --base-image REF=PATH pairs, keyed by normalizeRef: a FROM finds its image under any spelling
 * of the reference, as both builders do (recorded: cache-r13-from-ref-spellings).
 */
export async function loadBaseImages(paths: Iterable<[string, string]>): Promise<Map<string, BaseImage>> {
  await initHasher();
  const out = new Map<string, BaseImage>();
  for (const [ref, file] of paths) out.set(normalizeRef(ref), await loadBaseImage(ref, file));
  return out;
}

function refDigest(ref: string): string | undefined {
  const m = /@(sha256:[0-9a-f]{64})$/i.exec(ref.trim());
  return m ? m[1]!.toLowerCase() : undefined;
}

function parsePlatform(platform: string): { os: string; architecture: string; variant?: string } {
  const [os = 'linux', architecture = 'amd64', variant] = platform.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function emptyConfig(): ImageConfig {
  return { Env: [], Cmd: null, Entrypoint: null, WorkingDir: '', User: '', Labels: {}, ExposedPorts: [], Volumes: [], StopSignal: null, Shell: null, OnBuild: [], Healthcheck: null };
}

/** An image we have no description of: an empty root filesystem, identified by its ref. */
export function unknownImage(ref: string, platform: string): BaseImage {
  const id = refDigest(ref) ?? `unknown:${normalizeRef(ref)}`;
  return { ref, id, known: false, layers: 0, history: [], config: emptyConfig(), ...parsePlatform(platform), populate: () => {} };
}

// ---- the loaded image ---------------------------------------------------------------------

class LoadedImage implements BaseImage {
  readonly known = true;
  variant?: string;

  constructor(
    readonly ref: string,
    readonly id: string,
    readonly layers: number,
    readonly history: HistoryEntry[],
    readonly config: ImageConfig,
    readonly os: string,
    readonly architecture: string,
    variant: string | undefined,
    /** Sorted by path, so parents come before children. */
    readonly files: ImageFile[],
  ) {
    if (variant) this.variant = variant;
  }

  populate(fs: StageFs): void {
    for (const f of this.files) {
      try {
        placeFile(fs, f);
      } catch (e) {
        // A path the merged view cannot hold (e.g. under a symlink that loops) is left out, as
        // the real applier would fail on it too; the rest of the image stays usable.
        if (!(e instanceof FsError)) throw e;
      }
    }
  }
}

function placeFile(fs: StageFs, f: ImageFile): void {
  const parent = posix.dirname(f.path);
  if (!fs.lstat(parent)) fs.mkdir(parent, { parents: true, mode: 0o755 });
  const opts = { mode: f.mode, uid: f.uid, gid: f.gid };
  const existing = fs.lstat(f.path);
  if (f.type === 'dir') {
    if (existing?.type === 'dir') {
      fs.chmod(f.path, f.mode);
      fs.chown(f.path, f.uid, f.gid);
    } else {
      if (existing) fs.remove(f.path, { recursive: true });
      fs.mkdir(f.path, opts);
    }
    return;
  }
  if (existing) fs.remove(f.path, { recursive: true });
  if (f.type === 'symlink') {
    fs.symlink(f.linkTarget ?? '', f.path);
    fs.lchown(f.path, f.uid, f.gid);
  } else if (f.type === 'link' && f.linkTarget && fs.lstat(f.linkTarget)?.type === 'file') {
    fs.link(f.linkTarget, f.path);
  } else if (f.content) {
    fs.writeFile(f.path, f.content, opts);
  } else {
    fs.writeExternalFile(f.path, { size: f.size, digest: f.digest ?? null }, opts);
  }
}

/** The committed JSON form of a loaded image (only images read from an archive or JSON have files). */
export function imageToJson(image: BaseImage): DfsimImageJson {
  if (!(image instanceof LoadedImage)) throw new Error('only a loaded image can be exported');
  const out: DfsimImageJson = { format: 'dfsim-image/1', id: image.id, os: image.os, architecture: image.architecture, layers: image.layers, history: image.history, config: image.config, files: [] };
  if (image.variant) out.variant = image.variant;
  for (const f of image.files) {
    const e: DfsimImageJson['files'][number] = { path: f.path, type: f.type, mode: f.mode.toString(8).padStart(4, '0'), uid: f.uid, gid: f.gid, size: f.size };
    if (f.digest) e.digest = f.digest;
    if (f.linkTarget !== undefined) e.linkTarget = f.linkTarget;
    if (f.content && f.path.startsWith('/etc/') && isText(f.content)) e.content = f.content.toString('utf8');
    out.files.push(e);
  }
  if (image.variant === undefined) delete out.variant;
  return out;
}

// ---- errors --------------------------------------------------------------------------------

// DF3101 missing/unreadable, DF3102 not an image, DF3103 corrupt archive or layer,
// DF3104 bad or inconsistent metadata, DF3105 unsupported or ambiguous content.
function fail(code: string, file: string, what: string, hint?: string): DfsimError {
  const d = error(code, `base image ${file}: ${what}`, undefined, hint);
  d.file = file;
  return new DfsimError(d);
}

// ---- loading -------------------------------------------------------------------------------

/**
 * Loads a `docker save` tarball (manifest.json + config + layer tars, possibly gzip), an OCI
 * image layout (directory or tar with index.json/oci-layout), or a dfsim image JSON.
 * Bad input becomes a DfsimError naming the file; `platform` picks from multi-platform indexes.
 */
export async function loadBaseImage(ref: string, path: string, platform = DEFAULT_PLATFORM): Promise<BaseImage> {
  await initHasher();
  let st;
  try {
    st = await fsp.stat(path);
  } catch (e) {
    throw fail('DF3101', path, `cannot read the file (${(e as NodeJS.ErrnoException).code ?? String(e)}).`, 'Pass --base-image REF=PATH with the path of a `docker save` tarball, an OCI layout or a dfsim image JSON.');
  }
  let source: Source;
  if (st.isDirectory()) {
    source = new DirSource(path);
  } else {
    const head = await readHead(path, 512);
    const text = head.toString('utf8').trimStart();
    if (text.startsWith('{') || text.startsWith('[')) return loadJson(ref, path);
    source = await TarSource.open(path, head);
  }
  return loadFromSource(ref, path, source, platform);
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** An archive or directory: small metadata in memory, big blobs streamed on demand. */
interface Source {
  has(name: string): boolean;
  small(name: string): Buffer | undefined;
  /** Streams the named members, calling `visit` for each (in archive order). */
  stream(names: Set<string>, visit: (name: string, data: Readable) => Promise<void>): Promise<void>;
}

function cleanName(name: string): string {
  return posix.normalize(name.replace(/^\.?\/+/, '')).replace(/\/+$/, '');
}

class DirSource implements Source {
  private readonly cache = new Map<string, Buffer | undefined>();
  constructor(private readonly dir: string) {}

  private stat(name: string): ReturnType<typeof statSync> | undefined {
    try {
      return statSync(posix.join(this.dir, cleanName(name)));
    } catch {
      return undefined;
    }
  }

  has(name: string): boolean {
    return this.stat(name)?.isFile() ?? false;
  }

  small(name: string): Buffer | undefined {
    const key = cleanName(name);
    if (!this.cache.has(key)) {
      const st = this.stat(key);
      this.cache.set(key, st?.isFile() && st.size <= METADATA_MAX ? readFileSync(posix.join(this.dir, key)) : undefined);
    }
    return this.cache.get(key);
  }

  async stream(names: Set<string>, visit: (name: string, data: Readable) => Promise<void>): Promise<void> {
    for (const name of [...names].sort()) await visit(name, createReadStream(posix.join(this.dir, cleanName(name))));
  }
}

class TarSource implements Source {
  private readonly names = new Set<string>();
  private readonly smalls = new Map<string, Buffer>();
  /** Members that are symlinks to other members (docker save links shared layer.tar files). */
  private readonly aliases = new Map<string, string>();

  private constructor(private readonly path: string, private readonly gzipped: boolean) {}

  static async open(path: string, head: Buffer): Promise<TarSource> {
    const src = new TarSource(path, isGzip(head));
    await src.walk(async (name, header, data) => {
      src.names.add(name);
      if (header.type === 'symlink' || header.type === 'link') {
        src.aliases.set(name, header.type === 'symlink' ? cleanName(posix.join(posix.dirname(name), header.linkname)) : cleanName(header.linkname));
      } else if (header.type === 'file' && header.size <= METADATA_MAX && isMetadataName(name)) {
        src.smalls.set(name, await collect(data));
      }
    });
    if (src.names.size === 0) throw fail('DF3102', path, 'the file is not a tar archive (no members).', 'Use `docker save IMAGE -o FILE.tar` to produce one.');
    return src;
  }

  private resolve(name: string): string {
    let n = cleanName(name);
    for (let i = 0; i < 16 && this.aliases.has(n); i++) n = this.aliases.get(n)!;
    return n;
  }

  has(name: string): boolean {
    return this.names.has(this.resolve(name));
  }

  small(name: string): Buffer | undefined {
    return this.smalls.get(this.resolve(name));
  }

  async stream(names: Set<string>, visit: (name: string, data: Readable) => Promise<void>): Promise<void> {
    const wanted = new Map<string, string[]>();
    for (const n of names) {
      const real = this.resolve(n);
      wanted.set(real, [...(wanted.get(real) ?? []), n]);
    }
    await this.walk(async (name, header, data) => {
      const asked = wanted.get(name);
      if (!asked || header.type !== 'file') return;
      if (asked.length === 1) {
        await visit(asked[0]!, data);
        return;
      }
      // The same blob under several names: read it once per name from memory.
      const buf = await collect(data);
      for (const a of asked) await visit(a, Readable.from([buf]));
    });
  }

  /** Reads the archive once, member by member; `onEntry` must consume or ignore `data`. */
  private async walk(onEntry: (name: string, header: { type: string; size: number; linkname: string }, data: Readable) => Promise<void>): Promise<void> {
    const file = createReadStream(this.path);
    const input: Readable = this.gzipped ? file.pipe(createGunzip()) : file;
    file.on('error', (e: Error) => input.destroy(e));
    const ex = tarExtract();
    input.on('error', (e: Error) => ex.destroy(e));
    input.pipe(ex);
    try {
      for await (const entry of ex) {
        const h = entry.header;
        const stream = entry as unknown as Readable;
        await onEntry(cleanName(h.name), { type: h.type, size: h.size ?? 0, linkname: h.linkname ?? '' }, stream);
        await drain(stream);
      }
    } catch (e) {
      if (e instanceof DfsimError) throw e;
      throw fail('DF3103', this.path, `the archive is corrupt or truncated (${errorText(e)}).`, 'Save the image again with `docker save`.');
    } finally {
      file.destroy();
    }
  }
}

function isMetadataName(name: string): boolean {
  // Configs and manifests: *.json members, OCI layout markers, and blobs (checked by size).
  return name.endsWith('.json') || name === 'oci-layout' || name === 'repositories' || name.startsWith('blobs/');
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function isZstd(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd;
}

/** Reads whatever is left of a member so the archive can move on (a no-op once consumed). */
async function drain(stream: Readable): Promise<void> {
  for await (const _ of stream) void _;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function parseJson(source: Source, name: string, file: string, what: string): unknown {
  const buf = source.small(name);
  if (!buf) throw fail('DF3104', file, `${what} "${name}" is missing from the image.`);
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw fail('DF3104', file, `${what} "${name}" is not valid JSON (${errorText(e)}).`);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Plan {
  configName: string;
  configBytes: Buffer;
  layerNames: string[];
}

async function loadFromSource(ref: string, file: string, source: Source, platform: string): Promise<BaseImage> {
  let plan: Plan;
  if (source.has('manifest.json')) plan = dockerSavePlan(ref, file, source);
  else if (source.has('index.json') || source.has('oci-layout')) plan = ociPlan(ref, file, source, platform);
  else throw fail('DF3102', file, 'this is not an image: it has neither manifest.json (`docker save`) nor index.json (OCI layout).', 'Use `docker save IMAGE -o FILE.tar`, an OCI layout, or a dfsim image JSON.');

  let cfg: unknown;
  try {
    cfg = JSON.parse(plan.configBytes.toString('utf8'));
  } catch (e) {
    throw fail('DF3104', file, `the image config "${plan.configName}" is not valid JSON (${errorText(e)}).`);
  }
  if (!isRecord(cfg)) throw fail('DF3104', file, `the image config "${plan.configName}" is not a JSON object.`);
  const rootfs = isRecord(cfg.rootfs) ? cfg.rootfs : {};
  const diffIds = Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids.map(String) : [];
  if (diffIds.length !== plan.layerNames.length) {
    throw fail('DF3104', file, `the config lists ${diffIds.length} layer(s) (rootfs.diff_ids) but the manifest lists ${plan.layerNames.length}.`);
  }
  for (const name of plan.layerNames) if (!source.has(name)) throw fail('DF3104', file, `layer "${name}" is missing from the image.`);

  // Layers may appear in any order in the archive (and one blob may serve twice): parse each by name.
  const parsed = new Map<string, ParsedLayer>();
  const wanted = new Set(plan.layerNames);
  await source.stream(wanted, async (name, data) => {
    parsed.set(name, await parseLayer(file, name, data));
  });
  const layers = plan.layerNames.map((n, i) => {
    const l = parsed.get(n);
    if (!l) throw fail('DF3104', file, `layer "${n}" is missing from the image.`);
    if (diffIds[i] !== l.diffId) throw fail('DF3103', file, `layer ${i + 1} ("${n}") does not match its diff_id ${diffIds[i]} (the content hashes to ${l.diffId}).`, 'The archive is corrupt; save the image again.');
    return l;
  });

  const history = imageHistory(cfg, layers.map((l) => l.size));
  const files = mergeLayers(layers);
  const id = `sha256:${createHash('sha256').update(plan.configBytes).digest('hex')}`;
  const os = typeof cfg.os === 'string' ? cfg.os : 'linux';
  const arch = typeof cfg.architecture === 'string' ? cfg.architecture : 'amd64';
  const variant = typeof cfg.variant === 'string' && cfg.variant ? cfg.variant : undefined;
  return new LoadedImage(ref, id, layers.length, history, imageConfig(cfg.config), os, arch, variant, files);
}

function dockerSavePlan(ref: string, file: string, source: Source): Plan {
  const manifest = parseJson(source, 'manifest.json', file, 'the manifest');
  if (!Array.isArray(manifest) || manifest.length === 0 || !manifest.every(isRecord)) throw fail('DF3104', file, 'manifest.json is not a list of images.');
  let entry = manifest[0] as Record<string, unknown>;
  if (manifest.length > 1) {
    const want = normalizeRef(ref);
    const match = manifest.filter((m) => Array.isArray(m.RepoTags) && m.RepoTags.some((t) => typeof t === 'string' && normalizeRef(t) === want));
    if (match.length !== 1) {
      const tags = manifest.flatMap((m) => (Array.isArray(m.RepoTags) ? m.RepoTags.map(String) : [])).sort();
      throw fail('DF3105', file, `the archive holds ${manifest.length} images and none is tagged "${ref}" (tags: ${tags.join(', ') || 'none'}).`, 'Name one of its tags in --base-image, or save only that image.');
    }
    entry = match[0] as Record<string, unknown>;
  }
  const configName = typeof entry.Config === 'string' ? entry.Config : '';
  const layerNames = Array.isArray(entry.Layers) ? entry.Layers.map(String) : null;
  if (!configName || !layerNames) throw fail('DF3104', file, 'manifest.json lacks "Config" or "Layers".');
  const configBytes = source.small(configName);
  if (!configBytes) throw fail('DF3104', file, `the image config "${configName}" is missing from the image.`);
  return { configName, configBytes, layerNames };
}

const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

function blobName(digest: unknown): string {
  const m = typeof digest === 'string' ? /^([a-z0-9]+):([a-f0-9]+)$/.exec(digest) : null;
  return m ? `blobs/${m[1]}/${m[2]}` : '';
}

function ociPlan(ref: string, file: string, source: Source, platform: string): Plan {
  let doc = parseJson(source, 'index.json', file, 'the OCI index');
  let where = 'index.json';
  const want = parsePlatform(platform);
  for (let depth = 0; depth < 8; depth++) {
    if (!isRecord(doc)) throw fail('DF3104', file, `${where} is not a JSON object.`);
    if (Array.isArray(doc.manifests) && !isRecord(doc.config)) {
      const desc = chooseManifest(ref, file, doc.manifests.filter(isRecord), want, depth === 0, where);
      where = blobName(desc.digest);
      if (!where) throw fail('DF3104', file, `a descriptor in the index has no valid digest.`);
      doc = parseJson(source, where, file, 'the manifest');
      if (INDEX_TYPES.has(String(desc.mediaType)) && !Array.isArray((doc as Record<string, unknown>).manifests)) throw fail('DF3104', file, `${where} should be an index.`);
      continue;
    }
    if (isRecord(doc.config) && Array.isArray(doc.layers)) {
      const configName = blobName(doc.config.digest);
      const configBytes = source.small(configName);
      if (!configBytes) throw fail('DF3104', file, `the image config "${configName || String(doc.config.digest)}" is missing from the image.`);
      const layerNames = doc.layers.map((l) => blobName(isRecord(l) ? l.digest : undefined));
      if (layerNames.some((n) => !n)) throw fail('DF3104', file, `a layer descriptor in ${where} has no valid digest.`);
      return { configName, configBytes, layerNames };
    }
    throw fail('DF3104', file, `${where} is neither an image index nor an image manifest.`);
  }
  throw fail('DF3104', file, 'the OCI indexes nest too deep.');
}

function chooseManifest(ref: string, file: string, descs: Record<string, unknown>[], want: { os: string; architecture: string; variant?: string }, top: boolean, where: string): Record<string, unknown> {
  let cands = descs.filter((d) => {
    const ann = isRecord(d.annotations) ? d.annotations : {};
    return ann['vnd.docker.reference.type'] !== 'attestation-manifest';
  });
  if (top && cands.length > 1) {
    const wantRef = normalizeRef(ref);
    const named = cands.filter((d) => {
      const ann = isRecord(d.annotations) ? d.annotations : {};
      const names = [ann['io.containerd.image.name'], ann['org.opencontainers.image.ref.name']].filter((n): n is string => typeof n === 'string');
      return names.some((n) => normalizeRef(n) === wantRef || n === ref || `${wantRef}`.endsWith(`:${n}`));
    });
    if (named.length > 0) cands = named;
  }
  if (cands.length > 1) {
    const plat = cands.filter((d) => {
      const p = isRecord(d.platform) ? d.platform : null;
      return p && p.os === want.os && p.architecture === want.architecture && (!want.variant || p.variant === want.variant);
    });
    if (plat.length > 0) cands = plat;
  }
  if (cands.length === 1) return cands[0]!;
  if (cands.length === 0) throw fail('DF3104', file, `${where} lists no image.`);
  throw fail('DF3105', file, `${where} lists ${cands.length} images and none is the one for "${ref}" on ${want.os}/${want.architecture}${want.variant ? `/${want.variant}` : ''}.`, 'Export only the image you want, or name it as it is tagged in the layout.');
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

function stringsOrNull(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map(String) : null;
}

/** Docker configs hold ports and volumes as object keys; our JSON holds them as a list. */
function keyList(v: unknown): string[] {
  return (Array.isArray(v) ? v.map(String) : isRecord(v) ? Object.keys(v) : []).sort();
}

/** Reads a Docker/OCI `config` object, or our own ImageConfig shape from a dfsim image JSON. */
function imageConfig(raw: unknown): ImageConfig {
  const c = isRecord(raw) ? raw : {};
  const labels: Record<string, string> = {};
  if (isRecord(c.Labels)) for (const k of Object.keys(c.Labels).sort()) labels[k] = String(c.Labels[k]);
  return {
    Env: strings(c.Env),
    Cmd: stringsOrNull(c.Cmd),
    Entrypoint: stringsOrNull(c.Entrypoint),
    WorkingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
    User: typeof c.User === 'string' ? c.User : '',
    Labels: labels,
    ExposedPorts: keyList(c.ExposedPorts),
    Volumes: keyList(c.Volumes),
    StopSignal: typeof c.StopSignal === 'string' && c.StopSignal ? c.StopSignal : null,
    Shell: stringsOrNull(c.Shell),
    OnBuild: strings(c.OnBuild),
    Healthcheck: c.Healthcheck ?? null,
  };
}

function imageHistory(cfg: Record<string, unknown>, layerSizes: number[]): HistoryEntry[] {
  const raw = Array.isArray(cfg.history) ? cfg.history.filter(isRecord) : [];
  let layer = 0;
  return raw.map((h) => {
    const emptyLayer = h.empty_layer === true;
    const size = emptyLayer ? 0 : (layerSizes[layer++] ?? null);
    const e: HistoryEntry = { createdBy: typeof h.created_by === 'string' ? h.created_by : '', emptyLayer, size };
    if (typeof h.comment === 'string' && h.comment) e.comment = h.comment;
    return e;
  });
}

// ---- layers --------------------------------------------------------------------------------

type LayerEntry =
  | { kind: 'whiteout'; path: string }
  | { kind: 'opaque'; dir: string }
  | { kind: 'node'; file: ImageFile; hardTarget?: string };

interface ParsedLayer {
  entries: LayerEntry[];
  /** As `docker history` reports it: regular file bytes plus symlink target lengths, hard links once. */
  size: number;
  /** sha256 of the uncompressed tar. */
  diffId: string;
}

function isText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

async function decompressed(file: string, name: string, data: Readable): Promise<Readable> {
  const it = data[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first: Buffer[] = [];
  let have = 0;
  while (have < 4) {
    const r = await it.next();
    if (r.done) break;
    const b = Buffer.from(r.value);
    first.push(b);
    have += b.length;
  }
  const head = Buffer.concat(first);
  if (isZstd(head)) throw fail('DF3105', file, `layer "${name}" is zstd-compressed, which dfsim cannot read.`, 'Save the image with gzip or uncompressed layers (e.g. `docker save`).');
  const all = Readable.from(
    (async function* () {
      if (head.length) yield head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.from(r.value);
      }
    })(),
  );
  if (!isGzip(head)) return all;
  const gunzip = createGunzip();
  all.on('error', (e) => gunzip.destroy(e));
  return all.pipe(gunzip);
}

/** A member name as an absolute path inside the image; `..` cannot climb above the root. */
function rootedName(name: string): string {
  const p = posix.normalize(`/${name}`);
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

async function parseLayer(file: string, name: string, data: Readable): Promise<ParsedLayer> {
  const input = await decompressed(file, name, data);
  const sha = createHash('sha256');
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      sha.update(chunk);
      cb(null, chunk);
    },
  });
  input.on('error', (e) => hasher.destroy(e));
  const ex = tarExtract();
  hasher.on('error', (e) => ex.destroy(e));
  input.pipe(hasher).pipe(ex);
  const entries: LayerEntry[] = [];
  let size = 0;
  const seenHard = new Set<string>();
  try {
    for await (const entry of ex) {
      const h = entry.header;
      const stream = entry as unknown as Readable;
      const path = rootedName(h.name);
      const base = posix.basename(path);
      const dir = posix.dirname(path);
      if (base === '.wh..wh..opq') {
        entries.push({ kind: 'opaque', dir });
      } else if (base.startsWith('.wh.')) {
        entries.push({ kind: 'whiteout', path: posix.join(dir, base.slice(4)) });
      } else if (path !== '/' && path !== '/.') {
        const mode = (h.mode ?? 0) & 0o7777;
        const meta = { path, mode, uid: h.uid ?? 0, gid: h.gid ?? 0 };
        if (h.type === 'directory') {
          entries.push({ kind: 'node', file: { ...meta, type: 'dir', size: 0 } });
        } else if (h.type === 'symlink') {
          entries.push({ kind: 'node', file: { ...meta, type: 'symlink', size: 0, linkTarget: h.linkname ?? '' } });
          size += Buffer.byteLength(h.linkname ?? '');
        } else if (h.type === 'link') {
          const target = rootedName(h.linkname ?? '');
          entries.push({ kind: 'node', file: { ...meta, type: 'link', size: 0, linkTarget: target }, hardTarget: target });
          seenHard.add(target);
        } else if (h.type === 'file' || h.type === 'contiguous-file') {
          const f = await readFileEntry(stream, path, h.size ?? 0);
          entries.push({ kind: 'node', file: { ...meta, type: 'file', ...f } });
          size += f.size;
        }
        // Devices and FIFOs cannot live in a StageFs; images rarely ship them (/dev is a mount).
      }
      await drain(stream);
    }
  } catch (e) {
    if (e instanceof DfsimError) throw e;
    throw fail('DF3103', file, `layer "${name}" is not a readable tar archive (${errorText(e)}).`, 'The archive is corrupt; save the image again.');
  }
  return { entries, size, diffId: `sha256:${sha.digest('hex')}` };
}

async function readFileEntry(stream: Readable, path: string, declared: number): Promise<{ size: number; digest: string; content?: Buffer }> {
  const keep = declared <= SMALL_FILE || (path.startsWith('/etc/') && declared <= ETC_TEXT_MAX);
  if (keep) {
    const buf = await collect(stream);
    const f: { size: number; digest: string; content?: Buffer } = { size: buf.length, digest: hash64(buf) };
    if (buf.length <= SMALL_FILE || isText(buf)) f.content = buf;
    return f;
  }
  const h = createHash64();
  let size = 0;
  for await (const c of stream) {
    const b = c as Buffer;
    // Chunks stay ≤ 1 MiB so the wasm hasher's memory does not grow for good.
    for (let i = 0; i < b.length; i += 1 << 20) h.update(b.subarray(i, i + (1 << 20)));
    size += b.length;
  }
  return { size, digest: h.digest() };
}

/** Applies layers bottom-up into one merged view: whiteouts remove lower paths, then entries land. */
function mergeLayers(layers: ParsedLayer[]): ImageFile[] {
  const view = new Map<string, ImageFile>();
  /** Hard link path -> the target record it shares an inode with. */
  const links = new Map<string, ImageFile>();
  const removeTree = (path: string, keepSelf: boolean): void => {
    if (!keepSelf) view.delete(path);
    const prefix = path === '/' ? '/' : `${path}/`;
    for (const k of [...view.keys()]) if (k.startsWith(prefix)) view.delete(k);
  };
  for (const layer of layers) {
    // Whiteouts hide lower layers only, so they apply before this layer's own entries.
    for (const e of layer.entries) {
      if (e.kind === 'whiteout') removeTree(e.path, false);
      else if (e.kind === 'opaque') removeTree(e.dir, true);
    }
    for (const e of layer.entries) {
      if (e.kind !== 'node') continue;
      const f = e.file;
      const old = view.get(f.path);
      if (old && (old.type === 'dir') !== (f.type === 'dir')) removeTree(f.path, false);
      if (e.hardTarget) {
        const target = view.get(e.hardTarget);
        if (!target || target.type === 'dir') continue;
        const copy: ImageFile = { ...target, path: f.path, type: 'link', linkTarget: e.hardTarget };
        if (target.type === 'symlink' || target.type === 'link') Object.assign(copy, { type: target.type, linkTarget: target.linkTarget });
        view.set(f.path, copy);
        if (target.type === 'file') links.set(f.path, target);
        continue;
      }
      view.set(f.path, f);
    }
  }
  const out = [...view.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of out) {
    // A link whose target was later replaced or removed keeps its own bytes: write it as a file.
    if (f.type === 'link' && links.get(f.path) !== view.get(f.linkTarget!)) {
      f.type = 'file';
      delete f.linkTarget;
    }
  }
  return out;
}

// ---- dfsim image JSON ----------------------------------------------------------------------

async function loadJson(ref: string, file: string): Promise<BaseImage> {
  let doc: unknown;
  try {
    doc = JSON.parse(await fsp.readFile(file, 'utf8'));
  } catch (e) {
    throw fail('DF3104', file, `the file is not valid JSON (${errorText(e)}).`);
  }
  if (!isRecord(doc) || doc.format !== 'dfsim-image/1') {
    const fmt = isRecord(doc) && typeof doc.format === 'string' ? ` (format "${doc.format}")` : '';
    throw fail('DF3102', file, `this JSON is not a dfsim image description${fmt}; expected "format": "dfsim-image/1".`, 'Produce one with scripts/export-base-image.mjs.');
  }
  if (typeof doc.id !== 'string' || !Array.isArray(doc.files) || typeof doc.layers !== 'number') {
    throw fail('DF3104', file, 'the dfsim image lacks "id", "layers" or "files".');
  }
  const files: ImageFile[] = [];
  for (const [i, raw] of doc.files.entries()) {
    if (!isRecord(raw) || typeof raw.path !== 'string' || !['file', 'dir', 'symlink', 'link'].includes(String(raw.type))) {
      throw fail('DF3104', file, `files[${i}] needs a "path" and a "type" (file, dir, symlink or link).`);
    }
    const mode = typeof raw.mode === 'number' ? raw.mode : typeof raw.mode === 'string' && /^[0-7]+$/.test(raw.mode) ? parseInt(raw.mode, 8) : NaN;
    if (Number.isNaN(mode)) throw fail('DF3104', file, `files[${i}] (${raw.path}) has no valid "mode".`);
    const f: ImageFile = { path: raw.path, type: raw.type as ImageFile['type'], mode: mode & 0o7777, uid: Number(raw.uid ?? 0), gid: Number(raw.gid ?? 0), size: Number(raw.size ?? 0) };
    if (typeof raw.linkTarget === 'string') f.linkTarget = raw.linkTarget;
    if (typeof raw.content === 'string') {
      f.content = Buffer.from(raw.content, 'utf8');
      f.digest = hash64(f.content);
      f.size = f.content.length;
    } else if (typeof raw.digest === 'string') {
      f.digest = raw.digest;
    }
    files.push(f);
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const history: HistoryEntry[] = (Array.isArray(doc.history) ? doc.history.filter(isRecord) : []).map((h) => {
    const e: HistoryEntry = { createdBy: String(h.createdBy ?? ''), emptyLayer: h.emptyLayer === true, size: typeof h.size === 'number' ? h.size : null };
    if (typeof h.comment === 'string') e.comment = h.comment;
    return e;
  });
  const variant = typeof doc.variant === 'string' ? doc.variant : undefined;
  return new LoadedImage(ref, doc.id, doc.layers, history, imageConfig(doc.config), String(doc.os ?? 'linux'), String(doc.architecture ?? 'amd64'), variant, files);
}
