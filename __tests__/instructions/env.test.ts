import { one, errorsOf } from './helpers.js';

const pairs = (line: string): [string, string][] => {
  const i = one(line);
  if (i.kind !== 'ENV' && i.kind !== 'LABEL') throw new Error(i.kind);
  return i.pairs.map((p) => [p.key, p.value]);
};

describe('ENV (BuildKit parseNameVal)', () => {
  test.each([
    ['ENV A=1', [['A', '1']]],
    ['ENV A=1 B=2', [['A', '1'], ['B', '2']]],
    ['ENV A="x y" B=\'$z\'', [['A', '"x y"'], ['B', "'$z'"]]],
    ['ENV A=a\\ b', [['A', 'a\\ b']]],
    ['ENV A=', [['A', '']]],
    ['ENV A==b', [['A', '=b']]],
    // Legacy form: first word has no "=", the value is the rest of the line verbatim.
    ['ENV A  x   y', [['A', 'x   y']]],
    ['ENV A "quoted" rest', [['A', '"quoted" rest']]],
    ['ENV A b=c', [['A', 'b=c']]],
  ])('%s', (line, expected) => {
    expect(pairs(line)).toEqual(expected);
  });

  test.each([
    // Messages as Docker 20.10 prints them.
    ['ENV', 'DF2001 2:1 ENV requires at least one argument'],
    ['ENV A', 'DF2008 2:5 ENV must have two arguments'],
    ['ENV A=1 B', 'DF2008 2:9 Syntax error - can\'t find = in "B". Must be of the form: name=value'],
    ['ENV =1', 'DF2008 2:5 ENV names can not be blank'],
    ['ENV --x=1 A=1', 'DF2002 2:5 Unknown flag: x (ENV accepts no flags)'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
