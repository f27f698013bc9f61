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
  /** Bytes of regular files added or modified: what BuildKit's `docker history` reports as the layer size. */
  size: number;
  /** Bytes of the targets of symlinks added or modified, which the classic builder's layer size counts too. */
  linkBytes: number;
  /** Some file added or modified has content dfsim could not compute: `size` is then only a lower bound. */
  unknownContent: boolean;
  /**
   * Entries were added to or removed from a directory during the step, even if it ended as it began
   * (mkdir /tmp/x && rmdir /tmp/x): overlayfs has copied that directory up, so the classic builder's
   * diff is not empty (recorded: exec-r7-noop-runs-layers).
   */
  dirsTouched: boolean;
}

interface Snapshot {
  info: FsNodeInfo;
  digest: string | null;
}

const MAX_SYMLINK_HOPS = 40;

/** Numbers steps across every StageFs, so an inode cloned from another stage never looks born in this step. */
let stepSerial = 0;

export function normalizePath(p: string, cwd = '/'): string {
  const abs = posix.isAbsolute(p) ? p : posix.join(cwd, p);
  const n = posix.normalize(abs);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/**
 * One filesystem object. Hard links share an inode, so content, mode and owner follow every name.
 * A file holds its bytes (`data`) or describes content kept outside memory (`external`).
 */
interface Inode {
  type: Exclude<NodeType, 'other'>;
  /** Permission bits (mode & 0o7777). Builds run as root, who ignores them, so nothing enforces them. */
  mode: number;
  uid: number;
  gid: number;
  children?: Map<string, Inode>;
  data?: Buffer;
  external?: ExternalContent;
  target?: string;
  /** The step that created (or copied up) this inode: see StageFs.copyUp. */
  born?: number;
}

const EMPTY = Buffer.alloc(0);

function newFile(mode: number, uid: number, gid: number, content: { data: Buffer } | { external: ExternalContent }): Inode {
  return { type: 'file', mode: mode & 0o7777, uid, gid, ...content };
}

/**
 * A stage's root filesystem: an in-memory inode tree with a journal that turns each instruction's
 * effects into a layer diff. Modes, owners, hard links and symlinks are kept; file bytes are kept
 * only when small or produced by the simulation (big copied files are ExternalContent).
 *
 * The tree is our own rather than memfs: memfs builds four Dates and asks the OS for the process's
 * uid and gid four times for every node it creates, which no option turns off (measured on a
 * 30,000-file COPY: 0.36 s in memfs of a 1.3 s build, against 0.03 s here), and it enforces
 * permission bits that root ignores.
 */
export class StageFs implements ShellFs {
  private root: Inode = { type: 'dir', mode: 0o755, uid: 0, gid: 0, children: new Map() };
  private journal: Map<string, Snapshot | null> | null = null;
  private readonly touched = new Set<string>();
  /** Whether a directory's entries changed during the current step (see LayerDiff.dirsTouched). */
  private dirsTouched = false;
  /** The state a bulk-added file was left in (see directory()), so endStep need not look it up again. */
  private readonly knownAfter = new Map<string, Snapshot>();
  /** The current step's number (0 between steps): inodes born in it belong to its layer. */
  private step = 0;
  /** Whether the current step made a hard link, so two changed paths may share one inode. */
  private linked = false;

  // ---- steps -------------------------------------------------------------------------

  /** Starts recording changes for one instruction. */
  beginStep(): void {
    this.journal = new Map();
    this.touched.clear();
    this.knownAfter.clear();
    this.dirsTouched = false;
    this.step = ++stepSerial;
    this.linked = false;
  }

  /** Ends the step and returns what it changed, sorted by path. */
  endStep(): LayerDiff {
    const journal = this.journal ?? new Map<string, Snapshot | null>();
    this.journal = null;
    const changes: LayerChange[] = [];
    let size = 0;
    let linkBytes = 0;
    let unknownContent = false;
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
      if (change !== 'removed' && info.type === 'symlink') linkBytes += Buffer.byteLength(info.linkTarget ?? '');
      if (change !== 'removed' && info.type === 'file' && now?.digest === null) unknownContent = true;
      changes.push(entry);
    }
    changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    // A layer carries a hard-linked file's bytes once, under its first name; the other names are
    // links in its tar (recorded: cache-r13-stage-hardlinks, 6B for /o/a and /o/b holding "hello\n").
    // Only a step that made a link can have two changed names on one inode: any other write copies up.
    const counted = this.linked ? new Set<Inode>() : null;
    for (const entry of changes) {
      if (counted && entry.size > 0) {
        const node = this.node(entry.path)!;
        if (counted.has(node)) entry.size = 0;
        else counted.add(node);
      }
      size += entry.size;
    }
    this.touched.clear();
    this.knownAfter.clear();
    const dirsTouched = this.dirsTouched;
    this.dirsTouched = false;
    this.step = 0;
    this.linked = false;
    return { changes, size, linkBytes, unknownContent, dirsTouched };
  }

  private note(path: string): void {
    // Any operation on a path makes what the bulk add knew about it stale.
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
    const node = this.node(path);
    if (!node) return null;
    return { info: infoOf(node), digest: node.type === 'file' ? digestOf(node) : null };
  }

  // ---- reading -----------------------------------------------------------------------

  lstat(path: string): FsNodeInfo | undefined {
    const node = this.node(path);
    return node ? infoOf(node) : undefined;
  }

  stat(path: string): FsNodeInfo | undefined {
    const real = this.realpath(path);
    return real === undefined ? undefined : this.lstat(real);
  }

  realpath(path: string): string | undefined {
    return this.resolve(normalizePath(path), true);
  }

  /** Resolves symlinks component by component, keeping absolute targets inside the image root. */
  resolve(path: string, followFinal: boolean): string | undefined {
    return this.walkLinks(path, followFinal, (next, rest) => (rest.length === 0 && !followFinal ? next : undefined));
  }

  /**
   * The path a write to `path` lands on when missing directories may be created: every symlink on
   * the way is followed inside the image root, the last one included, and names that do not exist
   * are kept as they are (a dangling link's target is where the write goes). undefined for a loop or
   * a non-directory in the middle.
   */
  resolveCreating(path: string): string | undefined {
    return this.walkLinks(normalizePath(path), true, (next, rest) => (rest.length === 0 ? next : normalizePath(rest.join('/'), next)));
  }

  /** Walks `path` following links (the last one when followFinal); `missing` decides what a missing name gives. */
  private walkLinks(path: string, followFinal: boolean, missing: (next: string, rest: string[]) => string | undefined): string | undefined {
    const parts = path.split('/').filter(Boolean);
    let current = '/';
    let dir = this.root;
    let hops = 0;
    while (parts.length > 0) {
      const name = parts.shift()!;
      const next = join(current, name);
      const node = dir.children?.get(name);
      if (!node) return missing(next, parts);
      if (node.type === 'symlink' && (parts.length > 0 || followFinal)) {
        if (++hops > MAX_SYMLINK_HOPS) return undefined;
        const target = node.target!;
        const base = target.startsWith('/') ? '/' : current;
        parts.unshift(...normalizePath(target, base).split('/').filter(Boolean));
        current = '/';
        dir = this.root;
        continue;
      }
      if (parts.length > 0 && node.type !== 'dir') return undefined;
      current = next;
      dir = node;
    }
    return current;
  }

  readdir(path: string): string[] | undefined {
    const real = this.realpath(path);
    const node = real === undefined ? undefined : this.node(real);
    return node?.children ? [...node.children.keys()].sort() : undefined;
  }

  readFile(path: string): Buffer | undefined {
    const real = this.realpath(path);
    const node = real === undefined ? undefined : this.node(real);
    if (node?.type !== 'file') return undefined;
    if (node.external) return node.external.load ? node.external.load() : undefined;
    return Buffer.from(node.data ?? EMPTY);
  }

  /** A file's bytes, or its external description when they are not held (for copying between stages). */
  contentOf(path: string): { data: Buffer } | { external: ExternalContent } | undefined {
    const real = this.realpath(path);
    const node = real === undefined ? undefined : this.node(real);
    if (node?.type !== 'file') return undefined;
    return node.external ? { external: node.external } : { data: Buffer.from(node.data ?? EMPTY) };
  }

  /** Content digest of a file (16 hex), or null when its content is unknown. */
  fileDigest(path: string): string | null {
    const node = this.node(path);
    if (node?.type !== 'file') throw new FsError(node ? 'EISDIR' : 'ENOENT', path);
    return digestOf(node);
  }

  /** Every path under `root` (included), depth-first, sorted. */
  walk(root = '/'): string[] {
    const out: string[] = [];
    const visit = (p: string, node: Inode): void => {
      out.push(p);
      if (node.children) for (const name of [...node.children.keys()].sort()) visit(join(p, name), node.children.get(name)!);
    };
    const start = this.node(root);
    if (start) visit(root, start);
    return out;
  }

  /**
   * A digest of a subtree like a builder's content checksum: headers (type, mode, size, link target,
   * and uid/gid when `owners`) and contents, children by name; null inside means unknown content.
   * BuildKit's checksum of a stage's files has no owners: a `chown` alone keeps COPY --from and bind
   * mounts cached (recorded: cache-r7-stage-owner-only-change); the classic builder's has them.
   */
  treeDigest(path: string, owners = true): string | null {
    const info = this.lstat(path);
    if (!info) return null;
    const owner = owners ? `${info.uid}:${info.gid}` : '';
    const header = `${info.type}:${info.mode.toString(8)}:${owner}:${info.size}:${info.linkTarget ?? ''}`;
    if (info.type === 'file') {
      const d = this.fileDigest(path);
      return d === null ? null : hash64(`${header}:${d}`);
    }
    if (info.type !== 'dir') return hash64(header);
    const parts = [header];
    for (const name of this.readdir(path) ?? []) {
      const d = this.treeDigest(join(path, name), owners);
      if (d === null) return null;
      parts.push(`${name}\0${d}`);
    }
    return hash64(parts.join('\n'));
  }

  // ---- writing -----------------------------------------------------------------------

  writeFile(path: string, data: Buffer | string, opts: { mode?: number; uid?: number; gid?: number; append?: boolean } = {}): void {
    const target = this.writableTarget(path);
    const existing = this.node(target);
    if (existing?.type === 'dir') throw new FsError('EISDIR', target);
    if (existing?.type === 'symlink') {
      // A dangling symlink: open(2) creates the file it points to.
      const dest = this.danglingTarget(target, existing);
      return this.writeFile(dest, data, opts);
    }
    this.note(target);
    this.touched.add(target);
    const bytes = Buffer.from(data);
    if (!existing) {
      this.attach(target, this.born(newFile(opts.mode ?? 0o644, opts.uid ?? 0, opts.gid ?? 0, { data: bytes })));
      return;
    }
    const file = this.copyUp(target, existing);
    if (opts.append) {
      const ext = file.external;
      const prefix = ext ? ext.load?.() : file.data ?? EMPTY;
      if (!prefix) {
        // Appending to unknown content leaves unknown content.
        file.external = { size: ext!.size + bytes.length, digest: null };
      } else {
        file.data = Buffer.concat([prefix, bytes]);
        delete file.external;
      }
    } else {
      file.data = bytes;
      delete file.external;
    }
    if (opts.mode !== undefined) file.mode = opts.mode & 0o7777;
  }

  /** Creates or replaces a file whose bytes stay outside memory. */
  writeExternalFile(path: string, content: ExternalContent, opts: { mode: number; uid: number; gid: number }): void {
    const target = this.writableTarget(path);
    const existing = this.node(target);
    if (existing?.type === 'dir') throw new FsError('EISDIR', target);
    if (existing?.type === 'symlink') return this.writeExternalFile(this.danglingTarget(target, existing), content, opts);
    this.note(target);
    this.touched.add(target);
    if (!existing) {
      this.attach(target, this.born(newFile(opts.mode, opts.uid, opts.gid, { external: content })));
      return;
    }
    const file = this.copyUp(target, existing);
    delete file.data;
    file.external = content;
    file.mode = opts.mode & 0o7777;
    file.uid = opts.uid;
    file.gid = opts.gid;
  }

  /**
   * A real directory (no symlink on its path) for adding many new files: the bulk path of a COPY,
   * which looks the directory up once instead of once per file. undefined when it is not a directory.
   */
  directory(path: string): { has(name: string): boolean; addExternalFile(name: string, content: ExternalContent, opts: { mode: number; uid: number; gid: number }): void } | undefined {
    const dir = this.node(path);
    if (!dir?.children) return undefined;
    const children = dir.children;
    return {
      has: (name) => children.has(name),
      addExternalFile: (name, content, opts) => {
        if (children.has(name)) throw new FsError('EEXIST', join(path, name));
        const node = this.born(newFile(opts.mode, opts.uid, opts.gid, { external: content }));
        children.set(name, node);
        if (this.journal) {
          this.dirsTouched = true;
          const full = join(path, name);
          if (!this.journal.has(full)) this.journal.set(full, null);
          this.knownAfter.set(full, { info: infoOf(node), digest: content.digest });
        }
      },
    };
  }

  /** Marks a file's content as unknown (an opaque command may have rewritten it). */
  forgetContent(path: string): void {
    const found = this.node(path);
    if (found?.type !== 'file') return;
    this.note(path);
    this.touched.add(path);
    const node = this.copyUp(path, found);
    node.external = { size: infoOf(node).size, digest: null };
    delete node.data;
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
    this.attach(real, { type: 'dir', mode: (opts.mode ?? 0o755) & 0o7777, uid: opts.uid ?? 0, gid: opts.gid ?? 0, children: new Map() });
  }

  remove(path: string, opts: { recursive?: boolean } = {}): void {
    const p = this.parentResolved(path);
    const node = this.node(p);
    if (!node || p === '/') throw new FsError(node ? 'EINVAL' : 'ENOENT', p);
    if (node.type === 'dir') {
      if (!opts.recursive && node.children!.size > 0) throw new FsError('ENOTEMPTY', p);
      this.noteTree(p);
    } else {
      this.note(p);
    }
    this.detach(p);
  }

  /** Like rename(2): replaces a file, or an empty directory with a directory. */
  rename(from: string, to: string): void {
    const src = this.parentResolved(from);
    const dst = this.parentResolved(to);
    const node = this.node(src);
    if (!node) throw new FsError('ENOENT', src);
    const parent = this.stat(posix.dirname(dst));
    if (!parent) throw new FsError('ENOENT', posix.dirname(dst));
    if (parent.type !== 'dir') throw new FsError('ENOTDIR', posix.dirname(dst));
    if (src === dst) return;
    if (src === '/' || dst.startsWith(`${src}/`)) throw new FsError('EINVAL', dst);
    const replaced = this.node(dst);
    if (replaced?.type === 'dir') {
      if (node.type !== 'dir') throw new FsError('EISDIR', dst);
      if (replaced.children!.size > 0) throw new FsError('ENOTEMPTY', dst);
    } else if (replaced && node.type === 'dir') {
      throw new FsError('ENOTDIR', dst);
    }
    this.noteTree(src);
    if (replaced) {
      this.noteTree(dst);
      this.detach(dst);
    }
    this.detach(src);
    this.attach(dst, node);
    this.noteTree(dst);
  }

  symlink(target: string, path: string): void {
    const p = this.parentResolved(path);
    if (this.node(p)) throw new FsError('EEXIST', p);
    this.requireParentDir(p);
    this.note(p);
    this.attach(p, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target });
  }

  link(existing: string, path: string): void {
    const src = this.realpath(existing);
    const found = src === undefined ? undefined : this.node(src);
    if (!found) throw new FsError('ENOENT', normalizePath(existing));
    if (found.type === 'dir') throw new FsError('EPERM', src!); // link(2) refuses directories
    const p = this.parentResolved(path);
    if (this.node(p)) throw new FsError('EEXIST', p);
    this.requireParentDir(p);
    // overlayfs copies a lower file up before linking it, so the new name shares the upper copy only.
    this.note(src!);
    const node = this.copyUp(src!, found);
    this.note(p);
    this.attach(p, node);
    if (this.journal) this.linked = true;
  }

  chmod(path: string, mode: number): void {
    const p = this.realpath(path);
    const node = p === undefined ? undefined : this.node(p);
    if (!node) throw new FsError('ENOENT', normalizePath(path));
    this.note(p!);
    this.touched.add(p!); // overlayfs copies the file up: it lands in the layer even when unchanged
    this.copyUp(p!, node).mode = mode & 0o7777;
  }

  chown(path: string, uid: number, gid: number): void {
    const p = this.realpath(path);
    const node = p === undefined ? undefined : this.node(p);
    if (!node) throw new FsError('ENOENT', normalizePath(path));
    this.note(p!);
    this.touched.add(p!);
    const owned = this.copyUp(p!, node);
    owned.uid = uid;
    owned.gid = gid;
  }

  /** Like lchown: changes a symlink itself. */
  lchown(path: string, uid: number, gid: number): void {
    const p = this.parentResolved(path);
    const node = this.node(p);
    if (!node) throw new FsError('ENOENT', p);
    this.note(p);
    const owned = this.copyUp(p, node);
    owned.uid = uid;
    owned.gid = gid;
  }

  touch(path: string): void {
    const p = this.realpath(path);
    const node = p === undefined ? undefined : this.node(p);
    if (!node) throw new FsError('ENOENT', normalizePath(path));
    this.note(p!);
    this.touched.add(p!);
    this.copyUp(p!, node);
  }

  /** A deep copy, for `FROM <stage>` (the child must not change its parent's filesystem). Hard links stay shared. */
  clone(): StageFs {
    const fs = new StageFs();
    fs.root = deepCopy(this.root);
    return fs;
  }

  /** A detached copy of the directory at `path`, to put back with restoreDirectory; undefined when there is none. */
  saveDirectory(path: string): SavedDirectory | undefined {
    const node = this.node(path);
    return node?.type === 'dir' ? { path, node: deepCopy(node) } : undefined;
  }

  /**
   * Puts a saved directory back as if the current step had not touched it: what the step wrote there
   * leaves no trace in its layer (the classic builder discards RUN writes under a VOLUME).
   */
  restoreDirectory(saved: SavedDirectory): void {
    const { dir, name } = this.parentOf(saved.path);
    if (dir.children?.get(name)?.type === 'symlink') return; // replaced by a link: leave it
    dir.children!.set(name, deepCopy(saved.node));
    const inside = (p: string): boolean => p === saved.path || p.startsWith(`${saved.path}/`);
    for (const p of [...(this.journal?.keys() ?? [])]) if (inside(p)) this.journal!.delete(p);
    for (const p of [...this.touched]) if (inside(p)) this.touched.delete(p);
    for (const p of [...this.knownAfter.keys()]) if (inside(p)) this.knownAfter.delete(p);
  }

  /** An identity for the inode at `path` (no symlink followed): names of one hard-linked file share it. */
  inodeOf(path: string): object | undefined {
    return this.node(normalizePath(path));
  }

  // ---- helpers -----------------------------------------------------------------------

  /** Marks a new inode as the current step's own (see copyUp). */
  private born(node: Inode): Inode {
    if (this.step) node.born = this.step;
    return node;
  }

  /**
   * The inode a step may change at `path`: a file from an earlier layer is first copied up, as
   * overlayfs does, so the change leaves its other hard-linked names as they were; a file the step
   * itself made (or already copied up) is changed in place. (Recorded: cache-r13-stage-hardlinks,
   * where `echo more >> /o/a` after a COPY that kept /o/a and /o/b linked leaves /o/b at 6 bytes.)
   */
  private copyUp(path: string, node: Inode): Inode {
    if (!this.step || node.type !== 'file' || node.born === this.step) return node;
    const copy: Inode = { ...node, born: this.step };
    const { dir, name } = this.parentOf(path);
    dir.children!.set(name, copy);
    return copy;
  }

  /** The inode at an absolute path, following no symlink. */
  private node(path: string): Inode | undefined {
    let node: Inode | undefined = this.root;
    let start = 1;
    while (node && start < path.length) {
      const slash = path.indexOf('/', start);
      const end = slash < 0 ? path.length : slash;
      if (end > start) node = node.children?.get(path.slice(start, end));
      start = end + 1;
    }
    return node;
  }

  /** The directory a new entry at `path` goes into, and its name. */
  private parentOf(path: string): { dir: Inode; name: string } {
    const parent = posix.dirname(path);
    const dir = this.node(parent);
    if (!dir) throw new FsError('ENOENT', parent);
    if (dir.type !== 'dir') throw new FsError('ENOTDIR', parent);
    return { dir, name: posix.basename(path) };
  }

  private attach(path: string, node: Inode): void {
    const { dir, name } = this.parentOf(path);
    if (dir.children!.has(name)) throw new FsError('EEXIST', path);
    dir.children!.set(name, node);
    if (this.journal) this.dirsTouched = true;
  }

  private detach(path: string): void {
    const { dir, name } = this.parentOf(path);
    dir.children!.delete(name);
    if (this.journal) this.dirsTouched = true;
  }

  /** Where a write through a dangling symlink lands. */
  private danglingTarget(path: string, link: Inode, hops = 0): string {
    if (hops > MAX_SYMLINK_HOPS) throw new FsError('ELOOP', path);
    const dest = normalizePath(link.target!, posix.dirname(path));
    const next = this.node(dest);
    return next?.type === 'symlink' ? this.danglingTarget(dest, next, hops + 1) : dest;
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

/** A directory saved by StageFs.saveDirectory. */
export interface SavedDirectory {
  path: string;
  node: Inode;
}

/** A deep copy of an inode tree; hard links inside it stay shared, buffers and external descriptions (never changed in place) are shared. */
function deepCopy(root: Inode): Inode {
  const copies = new Map<Inode, Inode>();
  const copyOf = (node: Inode): Inode => {
    let copy = copies.get(node);
    if (copy) return copy;
    copy = { ...node };
    copies.set(node, copy);
    if (node.children) copy.children = new Map([...node.children].map(([name, child]) => [name, copyOf(child)]));
    return copy;
  };
  return copyOf(root);
}

function infoOf(node: Inode): FsNodeInfo {
  const size = node.type !== 'file' ? 0 : node.external ? node.external.size : (node.data?.length ?? 0);
  const info: FsNodeInfo = { type: node.type, mode: node.type === 'symlink' ? 0o777 : node.mode, uid: node.uid, gid: node.gid, size };
  if (node.type === 'symlink') info.linkTarget = node.target!;
  return info;
}

function digestOf(file: Inode): string | null {
  return file.external ? file.external.digest : hash64(file.data ?? EMPTY);
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
