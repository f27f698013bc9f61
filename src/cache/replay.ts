/**
 * Replaying a run that changed nothing.
 *
 * A simulation is deterministic: run again with the same command line, in the same directory, on the
 * same inputs, it prints the same bytes. So when a `dfsim build` or `dfsim plan` finds everything it
 * would record already in the store, its output is kept, and the next run of the same command prints
 * it once it has checked, input by input, that nothing changed:
 * - dfsim itself: this module's file and Node's version;
 * - the Dockerfile's path and bytes, and the --base-image files;
 * - the context: a fresh walk (as a real build sends the context), fingerprinted with every entry's
 *   stat and the ignore rules (walkFingerprint);
 * - the store: its generation token, which every run that writes and every prune replaces, and the
 *   stat of every store file the run read, so a hand-edited or deleted entry is noticed too.
 * The check skips hashing, executing, predicting and rendering, which is most of a rebuild's time.
 * Runs that fail, write --html or changed the store are not kept.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHasher } from '../executor/context/digest.js';
import { walkFingerprint, walkForLoad, type ContextWalk } from '../executor/context/index.js';
import { hash64, hashJson, initHasher } from '../executor/hash.js';
import type { Builder } from '../executor/types.js';
import { statSignature, writeAtomic, type CacheStore } from './store.js';

export const REPLAY_FORMAT = 'dfsim-replay/1';

export interface ReplayInputs {
  tool: string;
  dockerfile: string;
  baseImages: string;
  context: string;
  generation: string;
  /** Store files the run read, relative to the store, with their stat signatures; sorted. */
  reads: Array<[string, string]>;
}

export interface Replay {
  format: typeof REPLAY_FORMAT;
  inputs: ReplayInputs;
  out: string;
  err: string;
  code: number;
}

/** The first line of a replay file; stdout's then stderr's bytes follow it. */
interface ReplayHeader {
  format: typeof REPLAY_FORMAT;
  inputs: ReplayInputs;
  code: number;
  outBytes: number;
  errBytes: number;
}

/** What identifies one command: everything that shapes its output besides the files it reads. */
export interface ReplayCommand {
  storeDir: string;
  /** The command line, the working directory and the environment the output depends on. */
  command: unknown;
  context: string;
  dockerfile: string;
  builder: Builder;
  baseImages: Map<string, string>;
}

export class ReplaySlot {
  private readonly file: string;
  /** The store's generation when this run started: a replay is kept only if it is still the same. */
  private readonly generation: string;

  /** Opens the slot of a command (hashing needs the hasher loaded first). */
  static async open(cmd: ReplayCommand): Promise<ReplaySlot> {
    await initHasher();
    return new ReplaySlot(cmd);
  }

  private constructor(private readonly cmd: ReplayCommand) {
    const key = hashJson(cmd.command);
    this.file = path.join(cmd.storeDir, 'replay', key.slice(0, 2), `${key}.json`);
    this.generation = readGeneration(cmd.storeDir);
  }

  /**
   * The kept output if every input is unchanged. Otherwise the context walk it made, if it got that
   * far, for the run to reuse. Never throws: anything unexpected means a normal run, which reports it.
   */
  async lookup(): Promise<{ hit?: Replay; walk?: ContextWalk }> {
    try {
      // The header first; the output only once it is known to be wanted (megabytes for a big context).
      const kept = readReplayHeader(this.file);
      if (!kept) return {};
      const want = kept.header.inputs;
      if (want.generation !== this.generation || want.tool !== toolIdentity()) return {};
      if (want.dockerfile !== dockerfileIdentity(this.cmd.dockerfile) || want.baseImages !== baseImagesIdentity(this.cmd.baseImages)) return {};
      for (const [rel, sig] of want.reads) if (statSignature(path.join(this.cmd.storeDir, rel)) !== sig) return {};
      const walk = walkForLoad(this.cmd.context, { builder: this.cmd.builder, dockerfile: this.cmd.dockerfile });
      if (walkFingerprint(await getHasher(), walk) !== want.context) return { walk };
      const body = readBody(this.file, kept);
      return body ? { hit: { format: REPLAY_FORMAT, inputs: want, code: kept.header.code, ...body } } : { walk };
    } catch {
      return {};
    }
  }

  /** Keeps a finished run's output when replaying it later would be right. */
  save(run: { code: number; out: string; err: string; store: CacheStore; contextFingerprint: string | undefined }): void {
    if (run.code !== 0 || run.store.wrote || run.contextFingerprint === undefined) return;
    if (readGeneration(this.cmd.storeDir) !== this.generation) return; // another run changed the store meanwhile
    try {
      this.write({ ...run, contextFingerprint: run.contextFingerprint });
    } catch {
      // Only a speed-up: a store that cannot take it costs a full run next time.
    }
  }

  private write(run: { code: number; out: string; err: string; store: CacheStore; contextFingerprint: string }): void {
    const inputs: ReplayInputs = {
      tool: toolIdentity(),
      dockerfile: dockerfileIdentity(this.cmd.dockerfile),
      baseImages: baseImagesIdentity(this.cmd.baseImages),
      context: run.contextFingerprint,
      generation: this.generation,
      reads: [...run.store.reads].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    };
    const out = Buffer.from(run.out);
    const err = Buffer.from(run.err);
    // A JSON header line, then the output's bytes as they are: JSON-escaping megabytes of output cost
    // more to read back than the rest of a replay.
    const header = { format: REPLAY_FORMAT, inputs, code: run.code, outBytes: out.length, errBytes: err.length };
    // No fsync: a replay torn by a crash fails its length check and is only a full run's worth of time.
    writeAtomic(this.file, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), out, err]), { durable: false });
  }
}

function readGeneration(storeDir: string): string {
  try {
    return fs.readFileSync(path.join(storeDir, 'generation'), 'utf8');
  } catch {
    return '';
  }
}

/** The header line of a replay file and where the output starts; undefined unless it is well formed. */
function readReplayHeader(file: string): { header: ReplayHeader; text: string; start: number } | undefined {
  let v: unknown;
  let start = 0;
  let size: number;
  let text = '';
  const fd = fs.openSync(file, 'r');
  try {
    size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(64 << 10);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, start);
      if (n === 0) return undefined;
      const nl = buf.subarray(0, n).indexOf(10);
      text += buf.toString('utf8', 0, nl < 0 ? n : nl);
      start += nl < 0 ? n : nl + 1;
      if (nl >= 0) break;
    }
    v = JSON.parse(text);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
  const r = v as Partial<ReplayHeader> | null;
  const i = r?.inputs as Partial<ReplayInputs> | undefined;
  const valid =
    r?.format === REPLAY_FORMAT &&
    r.code === 0 &&
    Number.isSafeInteger(r.outBytes) &&
    Number.isSafeInteger(r.errBytes) &&
    start + r.outBytes! + r.errBytes! === size &&
    !!i &&
    ['tool', 'dockerfile', 'baseImages', 'context', 'generation'].every((k) => typeof (i as Record<string, unknown>)[k] === 'string') &&
    Array.isArray(i.reads) &&
    i.reads.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string' && !path.isAbsolute(e[0]) && !e[0].split('/').includes('..'));
  return valid ? { header: r as ReplayHeader, text, start } : undefined;
}

function readBody(file: string, kept: { header: ReplayHeader; text: string; start: number }): { out: string; err: string } | undefined {
  const { header, start } = kept;
  try {
    const bytes = fs.readFileSync(file);
    // Replaced since the header was read: not the output that was checked.
    if (bytes.length !== start + header.outBytes + header.errBytes || bytes.toString('utf8', 0, start - 1) !== kept.text) return undefined;
    return { out: bytes.toString('utf8', start, start + header.outBytes), err: bytes.toString('utf8', start + header.outBytes) };
  } catch {
    return undefined;
  }
}

/** This dfsim: the file this module was loaded from (the bundle, once installed) and Node's version. */
function toolIdentity(): string {
  return `${process.version} ${statSignature(fileURLToPath(import.meta.url))}`;
}

function dockerfileIdentity(file: string): string {
  const abs = path.resolve(file);
  return `${abs} ${hash64(fs.readFileSync(abs))}`;
}

/** Each --base-image reference with the stat of its file, or of every file under its directory (OCI layouts). */
function baseImagesIdentity(images: Map<string, string>): string {
  const parts: string[] = [];
  for (const [ref, file] of [...images].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const abs = path.resolve(file);
    parts.push(`${ref}=${abs} ${treeSignature(abs)}`);
  }
  return parts.join('\n');
}

function treeSignature(abs: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    return '-';
  }
  if (!st.isDirectory()) return statSignature(abs);
  const names = fs.readdirSync(abs).sort();
  return `dir ${statSignature(abs)} [${names.map((n) => `${n}:${treeSignature(path.join(abs, n))}`).join(',')}]`;
}
