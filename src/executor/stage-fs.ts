import { Superblock } from '@jsonjoy.com/fs-core';
import { Volume } from 'memfs';
import { posix } from 'node:path';
import { FsError, type FsNodeInfo, type NodeType, type ShellFs } from './fs-types.js';
import { hash64 } from './hash.js';

/**
 * Content we do not hold in memory: a big copied file (read lazily from the build context
 * when a simulated RUN needs it) or a file whose bytes cannot be known (an opaque RUN's output,
 * a base image we only know the metadata of).
 */
export interface ExternalContent {
  size: number;
  /** Content digest (16 hex) when known; null when the content is unknown. */
  digest: string | null;
  load?: () => Buffer;
}

export type ChangeKind = 'added' | 'modified' | 'removed';

export interface LayerChange {
  path: string;
  change: ChangeKind;
  type: NodeType;
  /** Bytes this entry carries in the layer (regular files; 0 for others and for removals). */
  size: number;
  mode?: number;
  /** For modified entries whose mode changed. */
  oldMode?: number;
}

export interface LayerDiff {
  changes: LayerChange[];
  /** Bytes of regular files added or modified: what `docker history` reports as the layer size. */
  size: number;
}

interface Snapshot {
  info: FsNodeInfo;
  digest: string | null;
}

const MAX_SYMLINK_HOPS = 40;
const ROOT_PROCESS = { getuid: () => 0, getgid: () => 0, cwd: () => '/', platform: 'linux', env: {}, emitWarning: () => {} };

export function normalizePath(p: string, cwd = '/'): string {
  const abs = posix.isAbsolute(p) ? p : posix.join(cwd, p);
  const n = posix.normalize(abs);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * A stage's root filesystem in memfs, with a journal that turns each instruction's effects
 * into a layer diff. Modes, owners and symlinks are kept; file bytes are kept only when small
 * or produced by the simulation (big copied files are ExternalContent).
 */
export class StageFs implements ShellFs {
  // memfs asks the process for its uid on every path walk; a fixed root identity avoids ~1M syscalls
  // on a 30,000-file COPY (measured: 2.1 s of a 5.4 s build).
  private readonly core = new Superblock({ process: ROOT_PROCESS as never });
  private readonly vol = new Volume(this.core);
  /** Side data for files whose bytes memfs does not hold, keyed by inode so hard links and renames follow. */
  private readonly external = new Map<number, ExternalContent>();
  /**
   * Real permission bits by inode. memfs enforces permission bits with no exception for root, but
   * builds run as root, who ignores them: memfs nodes keep their permissive defaults and the modes live here.
   */
  private readonly modes = new Map<number, number>();
  private journal: Map<string, Snapshot | null> | null = null;
  private readonly touched = new Set<string>();
  /** The state addExternalFile left a path in, so endStep need not look it up again. */
  private readonly knownAfter = new Map<string, Snapshot>();

  constructor() {
    this.setMode('/', 0o755);
  }

  // ---- steps -------------------------------------------------------------------------

  /** Starts recording changes for one instruction. */
  beginStep(): void {
    this.journal = new Map();
    this.touched.clear();
    this.knownAfter.clear();
  }

  /** Ends the step and returns what it changed, sorted by path. */
  endStep(): LayerDiff {
    const journal = this.journal ?? new Map<string, Snapshot | null>();
    this.journal = null;
    const changes: LayerChange[] = [];
    let size = 0;
    for (const [path, before] of journal) {
      const now = this.knownAfter.get(path) ?? this.snapshot(path);
      let change: ChangeKind | null = null;
      if (!before && now) change = 'added';
      else if (before && !now) change = 'removed';
      else if (before && now && (this.touched.has(path) || !sameSnapshot(before, now))) change = 'modified';
      if (!change) continue;
      const info = (now ?? before)!.info;
      const entry: LayerChange = { path, change, type: info.type, size: change !== 'removed' && info.type === 'file' ? info.size : 0 };
      if (change !== 'removed') entry.mode = info.mode;
      if (change === 'modified' && before!.info.mode !== info.mode) entry.oldMode = before!.info.mode;
      size += entry.size;
      changes.push(entry);
    }
    changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    this.touched.clear();
    this.knownAfter.clear();
    return { changes, size };
  }

  private note(path: string): void {
    // Any operation on a path makes what addExternalFile knew about it stale.
    this.knownAfter.delete(path);
    if (!this.journal || this.journal.has(path)) return;
    this.journal.set(path, this.snapshot(path));
  }

  private noteTree(path: string): void {
    if (!this.journal) return;
    this.note(path);
    const info = this.lstat(path);
    if (info?.type === 'dir') for (const name of this.readdir(path) ?? []) this.noteTree(join(path, name));
  }

  private snapshot(path: string): Snapshot | null {
    const info = this.lstat(path);
    if (!info) return null;
    return { info, digest: info.type === 'file' ? this.fileDigest(path) : null };
  }

  // ---- reading -----------------------------------------------------------------------

  lstat(path: string): FsNodeInfo | undefined {
    // A miss is common here, and memfs's lstat builds an Error with a stack for each one even when
    // told not to throw: ask its path walk first, which reports a missing path as data.
    const found = this.core.walk(path, false, false, false);
    if (!found.ok || !found.value) return undefined;
    const st = this.vol.lstatSync(path, { throwIfNoEntry: false });
    return st ? this.infoOf(path, st) : undefined;
  }

  stat(path: string): FsNodeInfo | undefined {
    const real = this.realpath(path);
    return real === undefined ? undefined : this.lstat(real);
  }

  private infoOf(path: string, st: { mode: number | bigint; uid: number | bigint; gid: number | bigint; size: number | bigint; ino: number | bigint; isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FsNodeInfo {
    const type: NodeType = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
    const ext = type === 'file' ? this.external.get(Number(st.ino)) : undefined;
    const mode = type === 'symlink' ? 0o777 : this.modes.get(Number(st.ino)) ?? Number(st.mode) & 0o7777;
    const info: FsNodeInfo = { type, mode, uid: Number(st.uid), gid: Number(st.gid), size: ext ? ext.size : type === 'file' ? Number(st.size) : 0 };
    if (type === 'symlink') info.linkTarget = String(this.vol.readlinkSync(path));
    return info;
  }

  realpath(path: string): string | undefined {
    return this.resolve(normalizePath(path), true);
  }

  /** Resolves symlinks component by component, keeping absolute targets inside the image root. */
  resolve(path: string, followFinal: boolean): string | undefined {
    const parts = path.split('/').filter(Boolean);
    let current = '/';
    let hops = 0;
    while (parts.length > 0) {
      const name = parts.shift()!;
      const next = join(current, name);
      const info = this.lstat(next);
      if (!info) return parts.length === 0 && !followFinal ? next : undefined;
      if (info.type === 'symlink' && (parts.length > 0 || followFinal)) {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = info.linkTarget!;
        const base = target.startsWith('/') ? '/' : current;
        parts.unshift(...normalizePath(target, base).split('/').filter(Boolean));
        current = '/';
        continue;
      }
      if (parts.length > 0 && info.type !== 'dir') return undefined;
      current = next;
    }
    return current;
  }

  readdir(path: string): string[] | undefined {
    const real = this.realpath(path);
    if (real === undefined || this.lstat(real)?.type !== 'dir') return undefined;
    return (this.vol.readdirSync(real) as string[]).map(String).sort();
  }

  readFile(path: string): Buffer | undefined {
    const real = this.realpath(path);
    if (real === undefined) return undefined;
    const st = this.vol.lstatSync(real);
    if (!st.isFile()) return undefined;
    const ext = this.external.get(Number(st.ino));
    if (ext) return ext.load ? ext.load() : undefined;
    return Buffer.from(this.vol.readFileSync(real) as Buffer);
  }

  /** A file's bytes, or its external description when memfs does not hold them (for copying between stages). */
  contentOf(path: string): { data: Buffer } | { external: ExternalContent } | undefined {
    const real = this.realpath(path);
    if (real === undefined || this.lstat(real)?.type !== 'file') return undefined;
    const ext = this.external.get(this.ino(real));
    return ext ? { external: ext } : { data: Buffer.from(this.vol.readFileSync(real) as Buffer) };
  }

  /** Content digest of a file (16 hex), or null when its content is unknown. */
  fileDigest(path: string): string | null {
    const st = this.vol.lstatSync(path);
    const ext = this.external.get(Number(st.ino));
    if (ext) return ext.digest;
    return hash64(this.vol.readFileSync(path) as Buffer);
  }

  /** Every path under `root` (included), depth-first, sorted. */
  walk(root = '/'): string[] {
    const out: string[] = [];
    const visit = (p: string): void => {
      out.push(p);
      if (this.lstat(p)?.type === 'dir') for (const n of (this.vol.readdirSync(p) as string[]).map(String).sort()) visit(join(p, n));
    };
    if (this.lstat(root)) visit(root);
    return out;
  }

  /**
   * A digest of a subtree like BuildKit's content checksum: headers (type, mode, uid, gid, size,
   * link target) and contents, children by name; null inside means unknown content.
   */
  treeDigest(path: string): string | null {
    const info = this.lstat(path);
    if (!info) return null;
    const header = `${info.type}:${info.mode.toString(8)}:${info.uid}:${info.gid}:${info.size}:${info.linkTarget ?? ''}`;
    if (info.type === 'file') {
      const d = this.fileDigest(path);
      return d === null ? null : hash64(`${header}:${d}`);
    }
    if (info.type !== 'dir') return hash64(header);
    const parts = [header];
    for (const name of this.readdir(path) ?? []) {
      const d = this.treeDigest(join(path, name));
      if (d === null) return null;
      parts.push(`${name}\0${d}`);
    }
    return hash64(parts.join('\n'));
  }

  // ---- writing -----------------------------------------------------------------------

  writeFile(path: string, data: Buffer | string, opts: { mode?: number; uid?: number; gid?: number; append?: boolean } = {}): void {
    const target = this.writableTarget(path);
    const existing = this.lstat(target);
    if (existing?.type === 'dir') throw new FsError('EISDIR', target);
    this.note(target);
    this.touched.add(target);
    const wasExternal = existing ? this.dropExternal(target) : undefined;
    if (opts.append && existing) {
      const prefix = wasExternal ? (wasExternal.load ? wasExternal.load() : undefined) : undefined;
      if (wasExternal && !prefix) {
        // Appending to unknown content leaves unknown content.
        this.vol.writeFileSync(target, '');
        this.external.set(this.ino(target), { size: wasExternal.size + Buffer.byteLength(data), digest: null });
        return;
      }
      if (prefix) this.vol.writeFileSync(target, Buffer.concat([prefix, Buffer.from(data)]));
      else this.vol.appendFileSync(target, data);
    } else {
      this.vol.writeFileSync(target, data);
    }
    if (!existing) {
      this.setMode(target, opts.mode ?? 0o644);
      this.vol.lchownSync(target, opts.uid ?? 0, opts.gid ?? 0);
    } else if (opts.mode !== undefined) {
      this.setMode(target, opts.mode);
    }
  }

  /** Creates or replaces a file whose bytes stay outside memory. */
  writeExternalFile(path: string, content: ExternalContent, opts: { mode: number; uid: number; gid: number }): void {
    const target = this.writableTarget(path);
    const existing = this.lstat(target);
    if (existing?.type === 'dir') throw new FsError('EISDIR', target);
    this.note(target);
    this.touched.add(target);
    if (existing) this.dropExternal(target);
    this.vol.writeFileSync(target, '');
    this.setMode(target, opts.mode);
    this.vol.lchownSync(target, opts.uid, opts.gid);
    this.external.set(this.ino(target), content);
  }

  /**
   * writeExternalFile for a new path in a directory known to be real (no symlink to resolve, nothing
   * there yet): the bulk path of a COPY, which would otherwise walk memfs a dozen times per file.
   */
  addExternalFile(path: string, content: ExternalContent, opts: { mode: number; uid: number; gid: number }): void {
    if (this.journal && !this.journal.has(path)) this.journal.set(path, null);
    this.vol.writeFileSync(path, '', { flag: 'wx' });
    if (opts.uid !== 0 || opts.gid !== 0) this.vol.lchownSync(path, opts.uid, opts.gid); // new nodes are root's
    const ino = this.ino(path);
    this.modes.set(ino, opts.mode & 0o7777);
    this.external.set(ino, content);
    if (this.journal) this.knownAfter.set(path, { info: { type: 'file', mode: opts.mode & 0o7777, uid: opts.uid, gid: opts.gid, size: content.size }, digest: content.digest });
  }

  /** Marks a file's content as unknown (an opaque command may have rewritten it). */
  forgetContent(path: string): void {
    const info = this.lstat(path);
    if (info?.type !== 'file') return;
    this.note(path);
    this.touched.add(path);
    this.dropExternal(path);
    this.vol.writeFileSync(path, '');
    this.external.set(this.ino(path), { size: info.size, digest: null });
  }

  mkdir(path: string, opts: { mode?: number; parents?: boolean; uid?: number; gid?: number } = {}): void {
    const p = normalizePath(path);
    const existing = this.stat(p);
    if (existing) {
      if (opts.parents && existing.type === 'dir') return;
      throw new FsError('EEXIST', p);
    }
    const parent = posix.dirname(p);
    const parentInfo = this.stat(parent);
    if (!parentInfo) {
      if (!opts.parents) throw new FsError('ENOENT', parent);
      this.mkdir(parent, { ...opts, mode: 0o755 });
    } else if (parentInfo.type !== 'dir') {
      throw new FsError('ENOTDIR', parent);
    }
    const real = join(this.realpath(parent)!, posix.basename(p));
    this.note(real);
    this.vol.mkdirSync(real);
    this.setMode(real, opts.mode ?? 0o755);
    this.vol.lchownSync(real, opts.uid ?? 0, opts.gid ?? 0);
  }

  remove(path: string, opts: { recursive?: boolean } = {}): void {
    const p = this.parentResolved(path);
    const info = this.lstat(p);
    if (!info) throw new FsError('ENOENT', p);
    if (info.type === 'dir') {
      if (!opts.recursive && (this.readdir(p) ?? []).length > 0) throw new FsError('ENOTEMPTY', p);
      this.noteTree(p);
      this.forgetExternalTree(p);
      this.vol.rmSync(p, { recursive: true, force: true });
    } else {
      this.note(p);
      if (info.type === 'file') this.dropExternalIfLastLink(p);
      this.vol.unlinkSync(p);
    }
  }

  rename(from: string, to: string): void {
    const src = this.parentResolved(from);
    const dst = this.parentResolved(to);
    if (!this.lstat(src)) throw new FsError('ENOENT', src);
    const parent = this.stat(posix.dirname(dst));
    if (!parent) throw new FsError('ENOENT', posix.dirname(dst));
    if (parent.type !== 'dir') throw new FsError('ENOTDIR', posix.dirname(dst));
    this.noteTree(src);
    if (this.lstat(dst)) this.noteTree(dst);
    this.vol.renameSync(src, dst);
    this.noteTree(dst);
  }

  symlink(target: string, path: string): void {
    const p = this.parentResolved(path);
    if (this.lstat(p)) throw new FsError('EEXIST', p);
    this.requireParentDir(p);
    this.note(p);
    this.vol.symlinkSync(target, p);
  }

  link(existing: string, path: string): void {
    const src = this.realpath(existing);
    if (src === undefined || !this.lstat(src)) throw new FsError('ENOENT', normalizePath(existing));
    const p = this.parentResolved(path);
    if (this.lstat(p)) throw new FsError('EEXIST', p);
    this.requireParentDir(p);
    this.note(p);
    this.vol.linkSync(src, p);
  }

  chmod(path: string, mode: number): void {
    const p = this.realpath(path);
    if (p === undefined || !this.lstat(p)) throw new FsError('ENOENT', normalizePath(path));
    this.note(p);
    this.touched.add(p); // overlayfs copies the file up: it lands in the layer even when unchanged
    this.setMode(p, mode & 0o7777);
  }

  chown(path: string, uid: number, gid: number): void {
    const p = this.realpath(path);
    if (p === undefined || !this.lstat(p)) throw new FsError('ENOENT', normalizePath(path));
    this.note(p);
    this.touched.add(p);
    this.vol.lchownSync(p, uid, gid);
  }

  /** Like lchown: changes a symlink itself. */
  lchown(path: string, uid: number, gid: number): void {
    const p = this.parentResolved(path);
    if (!this.lstat(p)) throw new FsError('ENOENT', p);
    this.note(p);
    this.vol.lchownSync(p, uid, gid);
  }

  touch(path: string): void {
    const p = this.realpath(path);
    if (p === undefined || !this.lstat(p)) throw new FsError('ENOENT', normalizePath(path));
    this.note(p);
    this.touched.add(p);
  }

  /** A deep copy, for `FROM <stage>` (the child must not change its parent's filesystem). */
  clone(): StageFs {
    const copy = new StageFs();
    for (const p of this.walk('/')) {
      if (p === '/') continue;
      const info = this.lstat(p)!;
      if (info.type === 'dir') {
        copy.vol.mkdirSync(p);
      } else if (info.type === 'symlink') {
        copy.vol.symlinkSync(info.linkTarget!, p);
      } else if (info.type === 'file') {
        const ext = this.external.get(this.ino(p));
        copy.vol.writeFileSync(p, ext ? '' : (this.vol.readFileSync(p) as Buffer));
        if (ext) copy.external.set(copy.ino(p), ext);
      } else {
        continue;
      }
      if (info.type !== 'symlink') copy.setMode(p, info.mode);
      copy.vol.lchownSync(p, info.uid, info.gid);
    }
    copy.setMode('/', this.lstat('/')!.mode);
    return copy;
  }

  // ---- helpers -----------------------------------------------------------------------

  private setMode(path: string, mode: number): void {
    this.modes.set(this.ino(path), mode & 0o7777);
  }

  private ino(path: string): number {
    // The path walk gives the inode without building a Stats object (a hot path on big COPYs).
    const found = this.core.walk(path, false, false, false);
    if (found.ok && found.value) return found.value.getNode().ino;
    return Number(this.vol.lstatSync(path).ino);
  }

  private dropExternal(path: string): ExternalContent | undefined {
    const ino = this.ino(path);
    const ext = this.external.get(ino);
    this.external.delete(ino);
    return ext;
  }

  private dropExternalIfLastLink(path: string): void {
    const st = this.vol.lstatSync(path);
    if (Number(st.nlink) <= 1) this.external.delete(Number(st.ino));
  }

  private forgetExternalTree(path: string): void {
    for (const p of this.walk(path)) if (this.lstat(p)?.type === 'file') this.dropExternalIfLastLink(p);
  }

  /** Resolves the parent directory through symlinks but not the final component. */
  private parentResolved(path: string): string {
    const p = normalizePath(path);
    if (p === '/') return p;
    const parent = this.realpath(posix.dirname(p));
    return parent === undefined ? p : join(parent, posix.basename(p));
  }

  /** The path a write lands on: a final symlink is followed as open(2) follows it. */
  private writableTarget(path: string): string {
    const p = normalizePath(path);
    const resolved = this.resolve(p, true) ?? this.resolve(p, false);
    if (resolved === undefined) throw new FsError('ENOENT', posix.dirname(p));
    this.requireParentDir(resolved);
    return resolved;
  }

  private requireParentDir(path: string): void {
    const parent = posix.dirname(path);
    const info = this.stat(parent);
    if (!info) throw new FsError('ENOENT', parent);
    if (info.type !== 'dir') throw new FsError('ENOTDIR', parent);
  }
}

function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  return (
    a.info.type === b.info.type &&
    a.info.mode === b.info.mode &&
    a.info.uid === b.info.uid &&
    a.info.gid === b.info.gid &&
    a.info.size === b.info.size &&
    a.info.linkTarget === b.info.linkTarget &&
    (a.info.type !== 'file' || (a.digest !== null && a.digest === b.digest))
  );
}
