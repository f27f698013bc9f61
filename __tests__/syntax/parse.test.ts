import { DfsimError } from '../../src/diagnostics/diagnostic.js';
import { errors, one, parse } from '../instructions/helpers.js';

describe('lines, comments and continuations (BuildKit parser.go rules)', () => {
  test.each([
    // [name, Dockerfile after FROM, expected RUN command]
    ['next line keeps its leading whitespace', 'RUN echo a \\\n    b', 'echo a     b'],
    ['comment line inside a continuation is dropped', 'RUN echo a \\\n  # note\n  b', 'echo a   b'],
    ['blank line inside a continuation is dropped', 'RUN echo a \\\n\n  b', 'echo a   b'],
    ['trailing blanks after the escape still continue', 'RUN echo a \\  \t\nb', 'echo a b'],
    ['comment line at column 1 inside a continuation', 'RUN echo a \\\n# x \\\nb', 'echo a b'],
    ['escaped escape at end is not a continuation', 'RUN echo a\\\\', 'echo a\\\\'],
    ['backslash inside the line stays', 'RUN echo a\\ b', 'echo a\\ b'],
    ['# after the keyword is an argument', 'RUN echo # not a comment', 'echo # not a comment'],
    ['internal whitespace is kept verbatim', 'RUN  echo   a    b  ', 'echo   a    b'],
    ['continuation at end of file (trailing space trimmed)', 'RUN echo a \\', 'echo a'],
  ])('%s', (_name, body, command) => {
    const ins = one(body);
    expect(ins.kind).toBe('RUN');
    expect(ins.kind === 'RUN' && ins.form === 'shell' && ins.command).toBe(command);
  });

  test('a continuation made of a lone escape line joins with the next line', () => {
    const p = parse('FROM bb\nRUN echo a \\\n\\\n b\n');
    const ins = p.stages[0]!.instructions[0]!;
    expect(ins.kind === 'RUN' && ins.form === 'shell' && ins.command).toBe('echo a  b');
  });

  test('an empty continuation line is a warning with its instruction range', () => {
    const p = parse('FROM bb\nRUN echo a \\\n\n  b\n');
    expect(p.warnings.map((w) => [w.code, w.range?.start.line, w.range?.end.line])).toEqual([['DF1008', 2, 4]]);
  });

  test('keywords in any case; leading whitespace before instructions is ignored', () => {
    const p = parse('  from bb AS x\n\trUn echo hi\n');
    expect(p.stages[0]!.from.image).toBe('bb');
    const ins = p.stages[0]!.instructions[0]!;
    expect(ins.kind).toBe('RUN');
    expect(ins.range.start).toEqual({ line: 2, column: 2 });
  });

  test('CRLF line endings are removed and continuations still work', () => {
    const p = parse('FROM bb\r\nRUN echo a \\\r\n  b\r\nENV A=1\r\n');
    const [run, env] = p.stages[0]!.instructions;
    expect(run!.kind === 'RUN' && run!.form === 'shell' && run!.command).toBe('echo a   b');
    expect(env!.kind === 'ENV' && env!.pairs).toEqual([{ key: 'A', value: '1' }]);
  });

  test('a UTF-8 BOM is dropped (string and Buffer input)', () => {
    expect(parse('\ufeffFROM bb\n').stages[0]!.from.image).toBe('bb');
    expect(parse(Buffer.from('\ufeff# escape=`\nFROM bb\n', 'utf8')).escapeToken).toBe('`');
  });

  test('instruction range runs from the keyword to the end of the last line', () => {
    const p = parse('FROM bb\n  RUN echo a \\\n  bcd\n');
    expect(p.stages[0]!.instructions[0]!.range).toEqual({ start: { line: 2, column: 3 }, end: { line: 3, column: 6 } });
  });

  test('original is the joined line (BuildKit node.Original)', () => {
    const ins = one('RUN --network=none echo a \\\n  b');
    expect(ins.original).toBe('RUN --network=none echo a   b');
  });
});

describe('parser directives', () => {
  test('syntax, escape and check at the top, keys case-insensitive', () => {
    const p = parse('# syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\nFROM bb\n');
    expect(p.directives.map((d) => [d.name, d.value])).toEqual([['syntax', 'docker/dockerfile:1'], ['escape', '`'], ['check', 'skip=all']]);
    expect(p.escapeToken).toBe('`');
  });

  test.each([
    ['after a comment', '# hello\n# escape=`\nFROM bb\n'],
    ['after an empty line', '\n# escape=`\nFROM bb\n'],
    ['after an instruction', 'FROM bb\n# escape=`\n'],
    ['after an unknown directive', '# foo=bar\n# escape=`\nFROM bb\n'],
  ])('a directive %s is a plain comment', (_n, text) => {
    const p = parse(text);
    expect(p.escapeToken).toBe('\\');
    expect(p.directives.filter((d) => d.name === 'escape')).toEqual([]);
  });

  test('backtick escape: backslash is literal, backtick continues', () => {
    const p = parse('# escape=`\nFROM bb\nRUN dir c:\\ `\n  /w\nCOPY src\\ c:\\app\\\n');
    const [run, copy] = p.stages[0]!.instructions;
    expect(run!.kind === 'RUN' && run!.form === 'shell' && run!.command).toBe('dir c:\\   /w');
    expect(copy!.kind === 'COPY' && [copy!.sources, copy!.dest]).toEqual([['src\\'], 'c:\\app\\']);
  });

  test.each([
    ['invalid escape token', '# escape=x\nFROM bb\n', ["DF1005 1:1 invalid escape token 'x' does not match ` or \\"]],
    ['repeated directive', '# escape=`\n# escape=\\\nFROM bb\n', ['DF1006 2:1 only one escape parser directive can be used']],
  ])('%s', (_n, text, expected) => {
    expect(errors(text)).toEqual(expected);
  });
});

describe('exec (JSON) form', () => {
  test.each([
    ['JSON array of strings', 'CMD ["a b", "c"]', { form: 'exec', args: ['a b', 'c'] }],
    ['JSON escapes are decoded', 'CMD ["a\\"b", "\\u00e9"]', { form: 'exec', args: ['a"b', 'é'] }],
    ['empty array', 'CMD []', { form: 'exec', args: [] }],
    ['trailing comma is invalid JSON → shell form', 'CMD ["a",]', { form: 'shell', command: '["a",]' }],
    ['single quotes → shell form', "CMD ['a']", { form: 'shell', command: "['a']" }],
    ['unescaped backslash → shell form', 'CMD ["c:\\windows"]', { form: 'shell', command: '["c:\\windows"]' }],
    ['JSON object → shell form', 'CMD {"a": 1}', { form: 'shell', command: '{"a": 1}' }],
    ['no arguments', 'CMD', { form: 'shell', command: '' }],
  ])('%s', (_n, line, expected) => {
    const ins = one(line);
    expect(ins.kind === 'CMD' && (ins.form === 'exec' ? { form: ins.form, args: ins.args } : { form: ins.form, command: ins.command })).toEqual(expected);
  });

  test('a JSON array with a non-string is an error, not shell form', () => {
    expect(errors('FROM bb\nCMD ["a", 1]\n')).toEqual(['DF1010 2:5 when using JSON array syntax, arrays must be comprised of strings only']);
  });
});

describe('heredocs (BuildKit parser.go heredoc rules)', () => {
  test('RUN <<EOF: body lines end with newline, command is the line', () => {
    const ins = one('RUN <<EOF\necho a\n  echo b \\\nEOF');
    expect(ins.kind === 'RUN' && ins.form === 'shell' && ins.command).toBe('<<EOF');
    expect(ins.kind === 'RUN' && ins.heredocs.map((h) => [h.name, h.expand, h.stripTabs, h.content])).toEqual([['EOF', true, false, 'echo a\n  echo b \\\n']]);
    expect(ins.range).toEqual({ start: { line: 2, column: 1 }, end: { line: 5, column: 4 } });
  });

  test.each([
    ['<<"EOF"', 'EOF', false],
    ["<<'EOF'", 'EOF', false],
    ['<<E"O"F', 'EOF', false],
    ['<<EOF', 'EOF', true],
    ['3<<EOF', 'EOF', true],
  ])('delimiter %s → name %s, expand %s', (word, name, expand) => {
    const ins = one(`RUN cat ${word}\nx\n${name}`);
    expect(ins.kind === 'RUN' && ins.heredocs.map((h) => [h.name, h.expand])).toEqual([[name, expand]]);
  });

  test('<<- strips leading tabs from the body and the terminator', () => {
    const ins = one('RUN <<-EOT\n\t\tline\n\tEOT');
    expect(ins.kind === 'RUN' && ins.heredocs[0]!.content).toBe('line\n');
  });

  test('several heredocs on one line are read in order', () => {
    const ins = one('RUN <<A cat && <<B cat\na1\nA\nb1\nB\nENV X=1');
    expect(ins.kind === 'RUN' && ins.heredocs.map((h) => [h.name, h.content])).toEqual([['A', 'a1\n'], ['B', 'b1\n']]);
  });

  test('COPY and ADD heredoc sources; the next instruction follows the terminator', () => {
    const p = parse('FROM bb\nCOPY <<a.txt <<b.txt /dst/\nA\na.txt\nB\nb.txt\nADD <<EOF /x\nhi\nEOF\nRUN echo\n');
    const [copy, add, run] = p.stages[0]!.instructions;
    expect(copy!.kind === 'COPY' && [copy!.sources, copy!.heredocs.map((h) => h.content)]).toEqual([['<<a.txt', '<<b.txt'], ['A\n', 'B\n']]);
    expect(add!.kind === 'ADD' && add!.heredocs.map((h) => h.content)).toEqual(['hi\n']);
    expect(run!.kind).toBe('RUN');
  });

  test('ONBUILD RUN heredoc belongs to the trigger', () => {
    const ins = one('ONBUILD RUN <<EOF\necho\nEOF');
    expect(ins.kind === 'ONBUILD' && ins.trigger.kind === 'RUN' && ins.trigger.heredocs.map((h) => h.content)).toEqual(['echo\n']);
  });

  test.each([
    ['exec form RUN', 'RUN ["cat", "<<EOF"]'],
    ['quoted marker', 'RUN echo "<<EOF"'],
    ['space after <<', 'RUN cat << EOF'],
    ['marker glued to a word', 'RUN cat<<EOF'],
    ['ENV is never a heredoc', 'ENV A=<<EOF'],
  ])('no heredoc: %s', (_n, line) => {
    const p = parse(`FROM bb\n${line}\nRUN echo next\n`);
    expect(p.stages[0]!.instructions).toHaveLength(2);
  });

  test('unterminated heredoc is an error at its marker', () => {
    expect(errors('FROM bb\nRUN cat <<EOF\nhello\n')).toEqual(['DF1007 2:9 unterminated heredoc EOF']);
  });

  test('COPY cannot use a heredoc as destination', () => {
    expect(errors('FROM bb\nCOPY a <<EOF\nx\nEOF\n')).toEqual(['DF2012 2:8 COPY cannot accept a heredoc as a destination']);
  });
});

describe('whole-file errors', () => {
  test.each([
    // Messages checked against Docker 20.10's builder where it has them.
    ['empty file', '', ['DF1001 1:1 the Dockerfile cannot be empty']],
    ['only comments', '# a\n\n# b\n', ['DF1002 3:1 file with no instructions']],
    ['instruction before FROM', 'RUN echo\nFROM bb\n', ['DF2004 1:1 no build stage in current context']],
    ['only ARGs', 'ARG A=1\n', ['DF2004 1:1 the Dockerfile has no FROM instruction, so there is no stage to build']],
    ['unknown instruction with suggestion', 'FROM bb\nCOPPY a b\n', ['DF1009 2:1 unknown instruction: COPPY']],
    ['unknown instruction, lower-case', 'FROM bb\n  foo bar\n', ['DF1009 2:3 unknown instruction: FOO']],
    ['invalid stage name', 'FROM bb AS 1abc\n', ['DF2005 1:12 invalid name for build stage: "1abc", name can\'t start with a number or contain symbols']],
    ['FROM with two arguments', 'FROM bb AS\n', ['DF2001 1:6 FROM requires either one or three arguments']],
    ['FROM with four arguments', 'FROM bb AS a b\n', ['DF2001 1:6 FROM requires either one or three arguments']],
    ['FROM with no argument', 'FROM\n', ['DF2001 1:1 FROM requires either one or three arguments']],
  ])('%s', (_n, text, expected) => {
    expect(errors(text)).toEqual(expected);
  });

  test('a stage name used twice (case-insensitively) is a warning, as current BuildKit lints it (DuplicateStageName)', () => {
    const p = parse('FROM bb AS a\nFROM bb AS A\n');
    expect(p.stages.map((s) => s.name)).toEqual(['a', 'A']);
    expect(p.warnings.filter((w) => w.code === 'DF2104').map((w) => `${w.range!.start.line}:${w.range!.start.column} ${w.message}`))
      .toEqual(['2:1 Duplicate stage name "a", stage names should be unique']);
  });

  test('unknown instruction hint says did you mean', () => {
    try {
      parse('FROM bb\nCOPPY a b\n');
      throw new Error('no error');
    } catch (e) {
      expect((e as DfsimError).diagnostics[0]!.hint).toBe('did you mean COPY?');
    }
  });

  test('all errors are collected, in source order', () => {
    expect(errors('FROM bb\nWORKDIR\nFOO x\nCOPY a\n')).toEqual([
      'DF2001 2:1 WORKDIR requires exactly one argument',
      'DF1009 3:1 unknown instruction: FOO',
      'DF2001 4:6 COPY requires at least two arguments, but only one was provided. Destination could not be determined',
    ]);
  });

  test('NUL bytes and invalid UTF-8 are rejected as not text', () => {
    expect(errors(Buffer.from('FROM bb\nRUN a\0b\n'))).toEqual(['DF1003 2:6 the Dockerfile is not a text file (a NUL byte at line 2, column 6)']);
    expect(errors(Buffer.from([0x46, 0x52, 0x4f, 0x4d, 0x20, 0xff, 0x0a]))).toEqual(['DF1003 1:6 the Dockerfile is not a text file (invalid UTF-8 at line 1, column 6)']);
  });

  test('a line longer than 65535 bytes is rejected (as Docker 20.10 does)', () => {
    expect(errors(`FROM bb\nRUN echo ${'a'.repeat(70000)}\n`)).toEqual(['DF1004 2:1 dockerfile line greater than max allowed size of 65535']);
    expect(errors(`FROM bb\nRUN echo ${'a'.repeat(65520)}\n`)).toEqual([]);
  });

  test('a 10 MB Dockerfile parses without hanging', () => {
    const body = 'RUN echo some reasonably long command line here && true \\\n    && more\n'.repeat(150000);
    const p = parse(`FROM bb\n${body}`);
    expect(p.stages[0]!.instructions).toHaveLength(150000);
  });
});

describe('ported from BuildKit parser testfiles (expected values from their result files)', () => {
  // frontend/dockerfile/parser/testfiles/docker (excerpt): tab separators, tab-indented continuations, legacy ENV.
  const dockerfile = [
    '# This file describes the standard way to build Docker, using docker',
    '#',
    '',
    'FROM\tubuntu:14.04',
    'LABEL\tmaintainer\tTianon Gravi <admwiggin@gmail.com> (@tianon)',
    '',
    '# Packaged dependencies',
    'RUN\tapt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -yq \\',
    '\tapt-utils \\',
    '\taufs-tools \\',
    '\t--no-install-recommends',
    '',
    'ENV\tPATH\t/usr/local/go/bin:$PATH',
    '# Compile Go for cross compilation',
    'ENV\tDOCKER_CROSSPLATFORMS\t\\',
    '\tlinux/386 linux/arm \\',
    '\tdarwin/amd64 darwin/386 \\',
    '\tfreebsd/amd64 freebsd/386 freebsd/arm',
    "RUN\t/bin/echo -e '[default]\\naccess_key=$AWS_ACCESS_KEY\\nsecret_key=$AWS_SECRET_KEY' > /.s3cfg",
    'VOLUME\t/var/lib/docker',
    'ENTRYPOINT\t["hack/dind"]',
    'COPY\t.\t/go/src/github.com/docker/docker',
  ].join('\n');

  test('docker', () => {
    const p = parse(dockerfile);
    expect(p.stages[0]!.from.image).toBe('ubuntu:14.04');
    const got = p.stages[0]!.instructions.map((i) => {
      switch (i.kind) {
        case 'LABEL':
        case 'ENV':
          return [i.kind, i.pairs.map((kv) => [kv.key, kv.value])];
        case 'RUN':
          return [i.kind, i.form === 'shell' ? i.command : i.args];
        case 'VOLUME':
          return [i.kind, i.paths];
        case 'ENTRYPOINT':
          return [i.kind, i.form === 'exec' ? i.args : i.command];
        case 'COPY':
          return [i.kind, [...i.sources, i.dest]];
        default:
          return [i.kind];
      }
    });
    expect(got).toEqual([
      ['LABEL', [['maintainer', 'Tianon Gravi <admwiggin@gmail.com> (@tianon)']]],
      ['RUN', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -yq \tapt-utils \taufs-tools \t--no-install-recommends'],
      ['ENV', [['PATH', '/usr/local/go/bin:$PATH']]],
      ['ENV', [['DOCKER_CROSSPLATFORMS', 'linux/386 linux/arm \tdarwin/amd64 darwin/386 \tfreebsd/amd64 freebsd/386 freebsd/arm']]],
      ['RUN', "/bin/echo -e '[default]\\naccess_key=$AWS_ACCESS_KEY\\nsecret_key=$AWS_SECRET_KEY' > /.s3cfg"],
      ['VOLUME', ['/var/lib/docker']],
      ['ENTRYPOINT', ['hack/dind']],
      ['COPY', ['.', '/go/src/github.com/docker/docker']],
    ]);
  });

  // frontend/dockerfile/parser/testfiles/health: the parse-level forms that are also valid instructions.
  test('health', () => {
    const p = parse([
      'FROM debian',
      'ADD check.sh main.sh /app/',
      'CMD /app/main.sh',
      'HEALTHCHECK --interval=5s --timeout=3s --retries=3 \\',
      '  CMD /app/check.sh --quiet',
      'HEALTHCHECK   CMD   a b',
      'HEALTHCHECK --timeout=3s CMD ["foo"]',
      'HEALTHCHECK --start-period=0s --interval=5s --timeout=0s --retries=0 CMD ["foo"]',
    ].join('\n'));
    const hc = p.stages[0]!.instructions.filter((i) => i.kind === 'HEALTHCHECK');
    expect(hc.map((h) => (h.none ? 'NONE' : [h.form === 'shell' ? h.command : h.args, h.flags.map((f) => `--${f.name}=${f.value}`)]))).toEqual([
      ['/app/check.sh --quiet', ['--interval=5s', '--timeout=3s', '--retries=3']],
      ['a b', []],
      [['foo'], ['--timeout=3s']],
      [['foo'], ['--start-period=0s', '--interval=5s', '--timeout=0s', '--retries=0']],
    ]);
  });
});
