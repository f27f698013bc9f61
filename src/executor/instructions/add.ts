import { posix } from 'node:path';
import type { AddInstruction } from '../../instructions/types.js';
import { ensureParents } from '../copy-core.js';
import { hashJson } from '../hash.js';
import type { StageState } from '../state.js';
import { stepError, type StepContext, type StepOutput } from '../step.js';
import { looksLikeTar, readTar } from '../tar-read.js';
import { copyLike } from './copy.js';

const REMOTE = /^(https?:\/\/|git@|git:\/\/)/;

/**
 * ADD: COPY plus local archive unpacking and remote sources. A URL or git source's content cannot be
 * known offline: the file is created with unknown content and the key takes the URL (we predict the
 * remote unchanged; BuildKit re-checks it on every build).
 */
export function applyAdd(state: StageState, instruction: AddInstruction, ctx: StepContext): StepOutput {
  return copyLike(state, instruction, ctx, null, {
    remote(spec, dest, opts) {
      if (!REMOTE.test(spec)) return null;
      if (spec.startsWith('git') || spec.endsWith('.git')) {
        if (!state.fs.stat(dest.path)) {
          ensureParents(state.fs, dest.path);
          state.fs.mkdir(dest.path, { mode: 0o755, uid: opts.uid, gid: opts.gid });
        }
      } else {
        const name = posix.basename(new URL(spec).pathname) || 'index.html';
        const target = dest.isDir || state.fs.stat(dest.path)?.type === 'dir' ? posix.join(dest.path, name) : dest.path;
        ensureParents(state.fs, target);
        state.fs.writeExternalFile(target, { size: 0, digest: null }, { mode: opts.mode ?? 0o600, uid: opts.uid, gid: opts.gid });
      }
      return hashJson({ remote: spec, checksum: instruction.checksum });
    },
    // Unpacked files keep the owners and modes the archive gives them.
    unpack(contextPath, dest) {
      const bytes = ctx.context.readFile(contextPath);
      if (!looksLikeTar(bytes)) return false;
      let entries;
      try {
        entries = readTar(bytes);
      } catch (e) {
        throw stepError(ctx, instruction, 'DF3209', `cannot unpack ${contextPath}: ${(e as Error).message}`, 'Check that the archive is not corrupt.');
      }
      const fs = state.fs;
      if (!fs.stat(dest)) {
        ensureParents(fs, dest);
        fs.mkdir(dest, { mode: 0o755 });
      }
      for (const e of entries) {
        const target = posix.join(dest, posix.normalize(`/${e.path}`));
        if (target === dest) continue;
        ensureParents(fs, target);
        const existing = fs.lstat(target);
        if (e.type === 'dir') {
          if (existing?.type !== 'dir') {
            if (existing) fs.remove(target, { recursive: true });
            fs.mkdir(target, { mode: e.mode, uid: e.uid, gid: e.gid });
          } else fs.chmod(target, e.mode);
        } else {
          if (existing) fs.remove(target, { recursive: true });
          if (e.type === 'symlink') fs.symlink(e.linkTarget, target);
          else if (e.type === 'hardlink') fs.link(posix.join(dest, posix.normalize(`/${e.linkTarget}`)), target);
          else if (e.type === 'file') fs.writeFile(target, e.data, { mode: e.mode, uid: e.uid, gid: e.gid });
        }
      }
      return true;
    },
  });
}
