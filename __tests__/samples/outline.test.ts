import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDfsimError } from '../../src/diagnostics/diagnostic.js';
import { parseDockerfile } from '../../src/syntax/parse.js';
import { formatOutline } from '../../src/syntax/outline.js';

const root = join(process.cwd(), 'samples');
const samples = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'Dockerfile')))
  .map((d) => d.name)
  .sort();

/** A sample that fails to parse gets its diagnostics as the golden instead. */
function outlineOf(name: string): string {
  const file = `samples/${name}/Dockerfile`;
  try {
    return formatOutline(parseDockerfile(readFileSync(join(root, name, 'Dockerfile')), file));
  } catch (e) {
    if (!isDfsimError(e)) throw e;
    return e.diagnostics.map((d) => `error ${d.code} L${d.range?.start.line ?? 0}:${d.range?.start.column ?? 0}: ${d.message}`).join('\n') + '\n';
  }
}

test('there are samples to check', () => {
  expect(samples.length).toBeGreaterThan(0);
});

test.each(samples)('outline of samples/%s matches outline.txt', (name) => {
  const golden = join(root, name, 'outline.txt');
  const actual = outlineOf(name);
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, actual);
  expect(existsSync(golden)).toBe(true);
  expect(actual).toBe(readFileSync(golden, 'utf8'));
});
