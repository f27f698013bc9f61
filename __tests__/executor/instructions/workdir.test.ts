// WORKDIR's BuildKit key: the mkdir owner is the USER as LLB parses it (recorded:
// cache-r12-workdir-user-root-spellings, where `root` hit `0`, `root:root` and `0:root` hit `0:0`,
// and `app`, `1000`, `1000:1000`, `app:app` and `1000:app` all missed one another).
import { afterAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simulate } from '../../../src/simulate.js';
import { buildkitOwnerKey } from '../../../src/executor/state.js';

const IMAGE = path.join(import.meta.dirname, '..', '..', 'fixtures', 'images', 'bb-latest.json');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => fs.rmSync(r, { recursive: true, force: true })));

const ADD_APP = "RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1000:' >> /etc/group\n";

async function workdirKey(user: string, builder: 'buildkit' | 'classic' = 'buildkit'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfsim-workdir-'));
  roots.push(dir);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM bb:latest\n${ADD_APP}USER ${user}\nWORKDIR /work\n`);
  const sim = await simulate({ context: dir, builder, cacheDir: path.join(dir, '.cache'), baseImages: new Map([['bb:latest', IMAGE]]), record: false });
  return sim.result.steps.find((s) => s.kind === 'WORKDIR')!.key!.digest;
}

describe('buildkitOwnerKey', () => {
  it('writes root and decimal numbers as ids, keeps names, and keeps a missing group missing', () => {
    expect(buildkitOwnerKey('root')).toBe('0');
    expect(buildkitOwnerKey('root:root')).toBe('0:0');
    expect(buildkitOwnerKey('0:root')).toBe('0:0');
    expect(buildkitOwnerKey('007')).toBe('7');
    expect(buildkitOwnerKey('+5:-1')).toBe('5:-1');
    expect(buildkitOwnerKey('app')).toBe('app');
    expect(buildkitOwnerKey('app:')).toBe('app:');
    expect(buildkitOwnerKey('1000')).not.toBe(buildkitOwnerKey('1000:1000'));
  });

  it('keeps a number out of int32 range as a name, as Go\'s ParseInt(v, 10, 32) fails on it', () => {
    expect(buildkitOwnerKey('2147483647')).toBe('2147483647');
    expect(buildkitOwnerKey('2147483648')).toBe('2147483648');
    expect(buildkitOwnerKey('02147483648')).toBe('02147483648');
  });
});

describe('WORKDIR key under BuildKit', () => {
  it('is one key for root and 0, and one for root:root, 0:root and 0:0', async () => {
    expect(await workdirKey('root')).toBe(await workdirKey('0'));
    const withGroup = await workdirKey('0:0');
    expect(await workdirKey('root:root')).toBe(withGroup);
    expect(await workdirKey('0:root')).toBe(withGroup);
    expect(withGroup).not.toBe(await workdirKey('0'));
  });

  it('does not look names up: app, 1000, 1000:1000, app:app and 1000:app are five keys', async () => {
    const keys = await Promise.all(['app', '1000', '1000:1000', 'app:app', '1000:app'].map((u) => workdirKey(u)));
    expect(new Set(keys).size).toBe(5);
  });

  it('is keyed by the config as written under the classic builder, so root and 0 differ', async () => {
    expect(await workdirKey('root', 'classic')).not.toBe(await workdirKey('0', 'classic'));
  });
});
