import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { run, setup } from './helpers.js';

/**
 * Failing scripts recorded with the real busybox sh of bb:latest (fixtures/ash-failures.json):
 * the exit code and the last stderr line are what a failed RUN shows in the build log.
 */
interface FailCase {
  script: string;
  rc: number;
  stderr: string;
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/ash-failures.json', import.meta.url)), 'utf8')) as { cases: FailCase[] };

// Here the last stderr line comes from an earlier command than the one whose status ends the script.
const MESSAGE_FROM_EARLIER = new Set(['cat /missing || false']);

beforeAll(setup);

describe('failures agree with busybox sh on bb:latest', () => {
  it.each(fixture.cases.map((c) => [c.script, c] as const))('%s', (_name, c) => {
    const { out } = run(c.script);
    expect(out.status).toBe('failed');
    expect(out.exitCode).toBe(c.rc);
    expect(out.failure).toBeDefined();
    if (c.stderr && !MESSAGE_FROM_EARLIER.has(c.script)) expect(out.failure?.message).toBe(c.stderr);
  });

  it('names the command that failed, continuation lines joined', () => {
    const { out } = run('mkdir -p /app && \\\n  cat /app/missing.txt \\\n   /etc/passwd');
    expect(out.failure).toEqual({
      command: 'cat /app/missing.txt /etc/passwd',
      message: "cat: can't open '/app/missing.txt': No such file or directory",
    });
  });

  it('an earlier failure does not fail the RUN when the script ends well', () => {
    expect(run('cat /missing; true').out).toEqual({ status: 'ok', exitCode: 0, notUnderstood: [] });
    expect(run('cd /missing; echo after > /f').out.status).toBe('ok');
  });

  it('exit with a status reports it', () => {
    expect(run('echo x; exit 3').out).toMatchObject({ status: 'failed', exitCode: 3, failure: { command: 'exit 3' } });
    expect(run('false; exit').out).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(run('exit 300').out.exitCode).toBe(44);
  });

  it('set -e stops at the first failing command, not inside conditions', () => {
    const { fs, out } = run('set -e; mkdir /a; cat /nope; mkdir /b');
    expect(out).toMatchObject({ status: 'failed', exitCode: 1, failure: { command: 'cat /nope' } });
    expect(fs.stat('/a')?.type).toBe('dir');
    expect(fs.stat('/b')).toBeUndefined();
    expect(run('set -e; if cat /nope; then :; fi; ! true; false && true; mkdir /c').out.status).toBe('ok');
  });
});
