/**
 * The filesystem contract between the executor's stage filesystem (src/executor/stage-fs.ts, an in-memory inode tree)
 * and the code that simulates instructions on it (COPY/ADD, WORKDIR, the RUN shell interpreter).
 * Paths are absolute POSIX paths inside the image root, already normalised (no '.', '..', '//').
 */
export type NodeType = 'file' | 'dir' | 'symlink' | 'other';

export interface FsNodeInfo {
  type: NodeType;
  /** Permission bits including setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  linkTarget?: string;
}

export type FsErrorCode = 'ENOENT' | 'EEXIST' | 'ENOTDIR' | 'EISDIR' | 'ENOTEMPTY' | 'ELOOP' | 'EINVAL' | 'EPERM';

/** A failed filesystem operation, with the errno-style code a real tool would report. */
export class FsError extends Error {
  constructor(readonly code: FsErrorCode, readonly path: string, message?: string) {
    super(message ?? `${code}: ${path}`);
    this.name = 'FsError';
  }
}

export interface ShellFs {
  /** Like lstat(2): does not follow a final symlink. undefined when missing. */
  lstat(path: string): FsNodeInfo | undefined;
  /** Like stat(2): follows symlinks (within the image root). */
  stat(path: string): FsNodeInfo | undefined;
  /** Resolves symlinks in every component; undefined when a component is missing or loops. */
  realpath(path: string): string | undefined;
  /** Sorted child names, or undefined when not a directory. */
  readdir(path: string): string[] | undefined;
  /** File bytes, or undefined when the content is not known (e.g. a base-image file not loaded, or an opaque layer's output). */
  readFile(path: string): Buffer | undefined;
  /** Creates or replaces a file (following a final symlink as open(2) does). Parent must exist. */
  writeFile(path: string, data: Buffer | string, opts?: { mode?: number; uid?: number; gid?: number; append?: boolean }): void;
  /** Creates a directory; with parents, missing parents too (mode 0755) and no error when it exists. */
  mkdir(path: string, opts?: { mode?: number; parents?: boolean; uid?: number; gid?: number }): void;
  /** Removes a file, symlink or (with recursive) a directory tree. Missing paths throw ENOENT. */
  remove(path: string, opts?: { recursive?: boolean }): void;
  rename(from: string, to: string): void;
  symlink(target: string, path: string): void;
  /** Hard link: the new path gets the same content and metadata. */
  link(existing: string, path: string): void;
  chmod(path: string, mode: number): void;
  chown(path: string, uid: number, gid: number): void;
  /** Marks a file's content as unknown (a command whose output cannot be computed rewrote it). */
  forgetContent(path: string): void;
  /** Marks an existing file as touched (mtime changes are not content; real layers still carry the file). */
  touch(path: string): void;
}
