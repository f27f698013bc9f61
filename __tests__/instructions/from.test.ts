import { errors, parse } from './helpers.js';

describe('FROM', () => {
  test.each([
    ['FROM bb', { image: 'bb', platform: null, stageName: null }],
    ['FROM bb:v2 AS Build', { image: 'bb:v2', platform: null, stageName: 'Build' }],
    ['from bb as x', { image: 'bb', platform: null, stageName: 'x' }],
    ['FROM --platform=$BUILDPLATFORM ${IMG}:1 AS b', { image: '${IMG}:1', platform: '$BUILDPLATFORM', stageName: 'b' }],
    ['FROM --platform="linux/arm64" bb', { image: 'bb', platform: 'linux/arm64', stageName: null }],
  ])('%s', (line, expected) => {
    const f = parse(line + '\n').stages[0]!.from;
    expect({ image: f.image, platform: f.platform, stageName: f.stageName }).toEqual(expected);
  });

  test.each([
    ['FROM --plattform=linux/amd64 bb', 'DF2002 1:6 Unknown flag: plattform (FROM accepts --platform)'],
    ['FROM --platform bb', 'DF2003 1:6 Missing a value on flag: platform'],
    ['FROM bb AS a.b-c_d', null],
    ['FROM bb AS -a', 'DF2005 1:12 invalid name for build stage: "-a", name can\'t start with a number or contain symbols'],
    ['FROM bb AS a$b', 'DF2005 1:12 invalid name for build stage: "a$b", name can\'t start with a number or contain symbols'],
    ['FROM bb TO x', 'DF2001 1:6 FROM requires either one or three arguments'],
  ])('%s', (line, expected) => {
    expect(errors(line + '\n')).toEqual(expected === null ? [] : [expected]);
  });

  test('stage name casing and AS casing warnings', () => {
    expect(parse('FROM bb AS Build\n').warnings.map((w) => w.code)).toEqual(['DF2102']);
    expect(parse('FROM bb as b\n').warnings.map((w) => w.code)).toEqual(['DF2103']);
    expect(parse('from bb as b\nFROM bb AS c\n').warnings).toEqual([]);
  });
});
