import { one, errorsOf } from './helpers.js';
import type { RunInstruction } from '../../src/instructions/types.js';

const run = (line: string): RunInstruction => {
  const i = one(line);
  if (i.kind !== 'RUN') throw new Error(i.kind);
  return i;
};

describe('RUN', () => {
  test('shell form keeps the command text verbatim', () => {
    const r = run('RUN  echo "$HOME"  &&  ls');
    expect(r.form === 'shell' && r.command).toBe('echo "$HOME"  &&  ls');
  });

  test('exec form', () => {
    const r = run('RUN ["/bin/sh", "-c", "echo hi > /x"]');
    expect(r.form === 'exec' && r.args).toEqual(['/bin/sh', '-c', 'echo hi > /x']);
  });

  test('empty RUN is accepted (Docker 20.10 runs it)', () => {
    const r = run('RUN');
    expect(r.form === 'shell' && r.command).toBe('');
  });

  test('flags: mounts (repeatable), network, security', () => {
    const r = run('RUN --mount=type=cache,target=/root/.cache,sharing=locked --mount=type=secret,id=tok,required --network=none --security=insecure make');
    expect(r.mounts).toEqual([
      { raw: 'type=cache,target=/root/.cache,sharing=locked', options: { type: 'cache', target: '/root/.cache', sharing: 'locked' } },
      { raw: 'type=secret,id=tok,required', options: { type: 'secret', id: 'tok', required: '' } },
    ]);
    expect([r.network, r.security, r.form === 'shell' && r.command]).toEqual(['none', 'insecure', 'make']);
  });

  test('a flag value may be quoted; the quotes are removed (extractBuilderFlags)', () => {
    const r = run('RUN --mount="type=bind,source=a b,target=/x" ls');
    expect(r.mounts[0]!.options['source']).toBe('a b');
  });

  test('words after the command that look like flags are arguments', () => {
    const r = run('RUN ls --network=none');
    expect([r.network, r.form === 'shell' && r.command]).toEqual([null, 'ls --network=none']);
  });

  test('`--` ends the flags', () => {
    const r = run('RUN --network=host -- --weird');
    expect(r.form === 'shell' && r.command).toBe('--weird');
  });

  test.each([
    ['RUN --mount=type=foo,target=/x ls', 'DF2013 2:5 unsupported mount type "foo"'],
    ['RUN --mount=type=cache ls', 'DF2013 2:5 mount type "cache" requires a target'],
    ['RUN --mount=type=bind,target=/x,bogus=1 ls', "DF2013 2:5 unexpected key 'bogus' in 'bogus=1'"],
    ['RUN --mount=type=cache,target=/x,sharing=maybe ls', 'DF2013 2:5 unsupported sharing value "maybe"'],
    ['RUN --network=bridge ls', 'DF2013 2:5 unsupported network mode "bridge"'],
    ['RUN --security=privileged ls', 'DF2013 2:5 unsupported security mode "privileged"'],
    ['RUN --mount ls', 'DF2003 2:5 Missing a value on flag: mount'],
    ['RUN --netwrok=none ls', 'DF2002 2:5 Unknown flag: netwrok (RUN accepts --mount, --network, --security)'],
    ['RUN --network=none --network=host ls', 'DF2003 2:20 Duplicate flag specified: network'],
    ['RUN ["a", true]', 'DF1010 2:5 when using JSON array syntax, arrays must be comprised of strings only'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
