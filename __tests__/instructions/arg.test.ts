import { one, errorsOf, parse } from './helpers.js';

describe('ARG', () => {
  test.each([
    ['ARG A', [['A', null]]],
    ['ARG A=1', [['A', '1']]],
    ['ARG A=', [['A', '']]],
    // Several per line (accepted by Docker 20.10's builder, checked).
    ['ARG A=1 B C="x y"', [['A', '1'], ['B', null], ['C', '"x y"']]],
  ])('%s', (line, expected) => {
    const i = one(line);
    expect(i.kind === 'ARG' && i.args.map((a) => [a.name, a.defaultValue])).toEqual(expected);
  });

  test('ARGs before the first FROM are meta ARGs', () => {
    const p = parse('ARG V=1\nARG W\nFROM bb:$V\nARG V\n');
    expect(p.metaArgs.map((a) => a.args[0]!.name)).toEqual(['V', 'W']);
    expect(p.stages[0]!.instructions.map((i) => i.kind)).toEqual(['ARG']);
  });

  test.each([
    ['ARG', 'DF2001 2:1 ARG requires at least one argument'],
    ['ARG =x', 'DF2008 2:5 ARG names can not be blank'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });

  test('flags on ARG are ignored, not errors (Docker 20.10 accepted `ARG --foo X=1`)', () => {
    expect(errorsOf('ARG --foo X=1')).toEqual([]);
  });
});
