// Running the CLI in-process on throw-away projects, for the command tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';

const dirs: string[] = [];

/** A temporary directory holding `files` (path → content); removed by removeTempProjects(). */
export function tempProject(files: Record<string, string | Buffer>, prefix = 'dfsim-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
  return dir;
}

export function removeTempProjects(): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** `dfsim ARGV` with stdout and stderr captured, not a terminal, empty environment. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} });
  return { code, out, err };
}
