import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { run, setup, text } from './helpers.js';

/**
 * Scripts run by the real busybox sh of bb:latest (recorded in fixtures/ash-oracle.json with
 * `docker run bb:latest sh -c`, the same binary a RUN uses): the simulator must reproduce the exit
 * code and what each script leaves in /out.
 */
interface OracleCase {
  script: string;
  rc: number;
  out: string | null;
}
const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/ash-oracle.json', import.meta.url)), 'utf8')) as { cases: OracleCase[] };

beforeAll(setup);

describe('scripts agree with busybox sh on bb:latest', () => {
  it.each(fixture.cases.map((c) => [c.script, c] as const))('%s', (_name, c) => {
    const { fs, out } = run(c.script);
    expect(out.exitCode).toBe(c.rc);
    expect(out.status).toBe(c.rc === 0 ? 'ok' : 'failed');
    // An empty /out and a missing one both read as null in the fixture.
    const got = text(fs, '/out');
    expect(got === '' || got === undefined ? null : got).toBe(c.out);
  });
});
