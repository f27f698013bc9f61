// An independent check of instruction boundaries: dockerfile-ast (the parser the design names, used
// here only as a cross-check; src/syntax/parse.ts explains why it is not the front end) must find the
// same instructions, with the same keywords, starting on the same lines, in every sample Dockerfile.
import { describe, expect, it } from '@jest/globals';
import { DockerfileParser } from 'dockerfile-ast';
import fs from 'node:fs';
import path from 'node:path';
import { parseDockerfile } from '../../src/syntax/parse.js';

const SAMPLES = path.join(import.meta.dirname, '..', '..', 'samples');
const samples = fs.readdirSync(SAMPLES).filter((n) => fs.existsSync(path.join(SAMPLES, n, 'Dockerfile'))).sort();

function ours(text: string): string[] {
  const parsed = parseDockerfile(text, 'Dockerfile');
  const all = [...parsed.metaArgs, ...parsed.stages.flatMap((s) => [s.from, ...s.instructions])];
  return all.map((i) => `${i.kind}@${i.range.start.line}`).sort();
}

function theirs(text: string): string[] {
  return DockerfileParser.parse(text)
    .getInstructions()
    .map((i) => `${i.getKeyword()}@${i.getRange().start.line + 1}`)
    .sort();
}

describe('instruction boundaries agree with dockerfile-ast', () => {
  it.each(samples)('%s', (name) => {
    const text = fs.readFileSync(path.join(SAMPLES, name, 'Dockerfile'), 'utf8');
    expect(ours(text)).toEqual(theirs(text));
  });
});
