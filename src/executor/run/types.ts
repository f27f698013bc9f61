import type { ShellFs } from '../fs-types.js';

export interface RunUser {
  uid: number;
  gid: number;
  name: string;
}

export interface RunContext {
  fs: ShellFs;
  /** The RUN's environment in order (ENV + ARGs with values). */
  env: Array<[string, string]>;
  /** WORKDIR (absolute). */
  cwd: string;
  user: RunUser;
}

export interface RunOutcome {
  /**
   * 'ok': every effect known. 'opaque': succeeded as far as we can tell, but some effects are unknown
   * (package installs, downloads, unknown commands). 'failed': the real build would fail here.
   */
  status: 'ok' | 'opaque' | 'failed';
  exitCode: number;
  /** For 'failed': which command failed and why, in one sentence (e.g. "cat: can't open '/missing': No such file or directory"). */
  failure?: { command: string; message: string };
  /** For 'opaque': each construct not understood, deduplicated, in order (e.g. "apt-get install", "curl", "$(...) command substitution"). */
  notUnderstood: string[];
}
