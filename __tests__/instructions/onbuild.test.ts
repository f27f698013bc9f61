import { one, errorsOf } from './helpers.js';

describe('ONBUILD', () => {
  test('the trigger is parsed like a top-level instruction', () => {
    const i = one('ONBUILD COPY --chown=app . /app');
    expect(i.kind === 'ONBUILD' && i.trigger.kind === 'COPY' && [i.trigger.sources, i.trigger.dest, i.trigger.chown]).toEqual([['.'], '/app', 'app']);
  });

  test('trigger keyword in any case', () => {
    const i = one('onbuild run echo hi');
    expect(i.kind === 'ONBUILD' && i.trigger.kind === 'RUN' && i.trigger.form === 'shell' && i.trigger.command).toBe('echo hi');
  });

  test.each([
    // Messages as Docker 20.10 prints them.
    ['ONBUILD', 'DF2001 2:1 ONBUILD requires at least one argument'],
    ['ONBUILD FROM bb', "DF2011 2:9 FROM isn't allowed as an ONBUILD trigger"],
    ['ONBUILD maintainer me', "DF2011 2:9 MAINTAINER isn't allowed as an ONBUILD trigger"],
    ['ONBUILD onbuild RUN x', 'DF2011 2:9 Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed'],
    ['ONBUILD FOO x', 'DF1009 2:9 unknown instruction: FOO'],
    ['ONBUILD COPY a', 'DF2001 2:14 COPY requires at least two arguments, but only one was provided. Destination could not be determined'],
  ])('%s', (line, expected) => {
    expect(errorsOf(line)).toEqual([expected]);
  });
});
