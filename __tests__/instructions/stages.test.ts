import { isDfsimError } from '../../src/diagnostics/diagnostic.js';
import { planBuild, type PlanOptions } from '../../src/instructions/stages.js';
import { parse } from './helpers.js';

const opts = (o: Partial<PlanOptions> = {}): PlanOptions => ({ buildArgs: new Map(), builder: 'buildkit', ...o });
const plan = (text: string, o: Partial<PlanOptions> = {}) => planBuild(parse(text), opts(o));
const planError = (text: string, o: Partial<PlanOptions> = {}): string => {
  try {
    plan(text, o);
  } catch (e) {
    if (!isDfsimError(e)) throw e;
    const d = e.diagnostics[0]!;
    return `${d.code}${d.range ? ` ${d.range.start.line}:${d.range.start.column}` : ''} ${d.message}${d.hint ? ` | ${d.hint}` : ''}`;
  }
  return 'no error';
};

// Mirrors the stage layout of samples/bb-cross-stage (checked with the real builder: the unused stage is not built).
const CROSS = `FROM bb:latest AS config
RUN echo c
FROM bb:v2
RUN echo v2
FROM bb:latest AS unused
RUN echo u
FROM config AS runtime
COPY --from=1 /a /a
COPY --from=bb:v2 /etc/version /v
FROM runtime
CMD ["x"]
`;

describe('planBuild: which stages, in which order', () => {
  test('BuildKit builds only what the default (last) target needs, dependencies first', () => {
    const p = plan(CROSS);
    expect(p.target.index).toBe(4);
    expect(p.stages.map((s) => s.stage.index)).toEqual([0, 1, 3, 4]);
    expect(p.stages.map((s) => s.dependsOn)).toEqual([[], [], [0, 1], [3]]);
    expect(p.stages.map((s) => s.base)).toEqual([
      { kind: 'image', ref: 'bb:latest' },
      { kind: 'image', ref: 'bb:v2' },
      { kind: 'stage', index: 0 },
      { kind: 'stage', index: 3 },
    ]);
  });

  test('classic builds every stage up to the target', () => {
    expect(plan(CROSS, { builder: 'classic' }).stages.map((s) => s.stage.index)).toEqual([0, 1, 2, 3, 4]);
    expect(plan(CROSS, { builder: 'classic', target: 'UNUSED' }).stages.map((s) => s.stage.index)).toEqual([0, 1, 2]);
  });

  test('--target is case-insensitive', () => {
    const p = plan(CROSS, { target: 'Runtime' });
    expect([p.target.index, p.stages.map((s) => s.stage.index)]).toEqual([3, [0, 1, 3]]);
  });

  test('a stage defined later is no dependency with BuildKit (the COPY fails when run, DF3212); the classic builder builds every stage', () => {
    const text = 'FROM bb AS a\nCOPY --from=b /b /x\nFROM bb AS b\nRUN echo b > /b\n';
    expect(plan(text, { target: 'a' }).stages.map((s) => [s.stage.index, s.dependsOn])).toEqual([[0, []]]);
    expect(plan(text, { target: 'b' }).stages.map((s) => [s.stage.index, s.dependsOn])).toEqual([[1, []]]);
  });

  test('FROM <later stage name> is an image reference (real builder tried to pull it)', () => {
    const p = plan('FROM later AS first\nFROM bb AS later\n', { target: 'first' });
    expect(p.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'later' }]);
  });

  // Recorded: exec-r13-stage-name-rules (BuildKit took the last stage of the name for COPY --from and
  // FROM; the classic builder fails at the second FROM of a name, so only the first can be used).
  test('two stages of one name: BuildKit --from and --target take the last, FROM the last before it; classic the first', () => {
    const text = 'FROM bb AS a\nFROM bb AS a\nFROM a AS b\nCOPY --from=a /v /v\nFROM bb AS a\n';
    const bk = plan(text, { target: 'b' });
    expect(bk.stages.map((s) => [s.stage.index, s.base, s.dependsOn])).toEqual([[1, { kind: 'image', ref: 'bb' }, []], [2, { kind: 'stage', index: 1 }, [1]]]);
    expect(plan(text, { target: 'a' }).target.index).toBe(3);
    expect(plan(text, { builder: 'classic', target: 'a' }).target.index).toBe(0);
    expect(plan('FROM bb AS a\nFROM bb AS out\nCOPY --from=a /v /v\nFROM bb AS a\n', { builder: 'classic', target: 'out' }).stages.map((s) => s.dependsOn)).toEqual([[], [0]]);
  });

  test('FROM scratch', () => {
    expect(plan('FROM scratch\n').stages[0]!.base).toEqual({ kind: 'scratch' });
  });

  test('RUN --mount from=<stage> is a dependency; from=<image> is not', () => {
    const p = plan('FROM bb AS tools\nFROM bb\nRUN --mount=type=bind,from=tools,target=/t --mount=type=bind,from=alpine,target=/a ls\n');
    expect(p.stages.map((s) => [s.stage.index, s.dependsOn])).toEqual([[0, []], [1, [0]]]);
  });

  test('ONBUILD triggers of the base stage add their dependencies', () => {
    const p = plan('FROM bb AS assets\nFROM bb AS base\nONBUILD COPY --from=assets /a /a\nFROM base\n');
    expect(p.stages.map((s) => [s.stage.index, s.dependsOn])).toEqual([[0, []], [1, []], [2, [1, 0]]]);
  });
});

describe('planBuild: global ARGs and FROM expansion', () => {
  const text = 'ARG REG=docker.io\nARG TAG=1\nARG IMG=${REG}/app:${TAG}\nARG NOVAL\nFROM ${IMG} AS app\nFROM --platform=$BUILDPLATFORM bb:${NOVAL:-x}\n';

  test('defaults expand with earlier meta ARGs', () => {
    const p = plan(text);
    expect(p.stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'bb:x' }]);
    expect(plan(text, { target: 'app' }).stages.map((s) => s.base)).toEqual([{ kind: 'image', ref: 'docker.io/app:1' }]);
    expect([...p.globalArgs].filter(([k]) => !k.startsWith('TARGET') && !k.startsWith('BUILD'))).toEqual([
      ['REG', 'docker.io'], ['TAG', '1'], ['IMG', 'docker.io/app:1'],
    ]);
  });

  test('--build-arg overrides a default, and later defaults see it', () => {
    const p = plan(text, { buildArgs: new Map([['TAG', '2'], ['UNDECLARED', 'z']]), target: 'app' });
    expect(p.stages[0]!.base).toEqual({ kind: 'image', ref: 'docker.io/app:2' });
    expect(p.globalArgs.has('UNDECLARED')).toBe(false);
  });

  test('a declared meta ARG without a value is set-but-empty for FROM, absent from globalArgs', () => {
    const p = plan('ARG V\nFROM bb:${V-unset}${V:-empty}\n');
    expect(p.stages[0]!.base).toEqual({ kind: 'image', ref: 'bb:empty' });
    expect(p.globalArgs.has('V')).toBe(false);
  });

  test('BuildKit predefines platform ARGs (real builder: TARGETARCH=amd64, BUILDPLATFORM=linux/amd64, TARGETVARIANT empty)', () => {
    const p = plan('FROM bb\n');
    expect(Object.fromEntries(p.globalArgs)).toEqual({
      TARGETPLATFORM: 'linux/amd64', TARGETOS: 'linux', TARGETARCH: 'amd64', TARGETVARIANT: '',
      BUILDPLATFORM: 'linux/amd64', BUILDOS: 'linux', BUILDARCH: 'amd64', BUILDVARIANT: '',
    });
  });

  test('the classic builder has no predefined platform ARGs (real builder printed them empty)', () => {
    expect(plan('FROM bb\n', { builder: 'classic' }).globalArgs.size).toBe(0);
  });

  test('target platform with a variant; --platform on FROM is expanded', () => {
    const p = plan('FROM --platform=$BUILDPLATFORM bb AS b\nFROM bb\nCOPY --from=b /x /x\n', { platform: 'linux/arm/v7' });
    expect(p.globalArgs.get('TARGETVARIANT')).toBe('v7');
    expect(p.stages.map((s) => s.platform)).toEqual(['linux/amd64', 'linux/arm/v7']);
  });
});

describe('planBuild errors', () => {
  test.each([
    ['unknown target with suggestion', 'FROM bb AS build\nFROM bb AS test\n', { target: 'biuld' }, 'DF2015 target stage "biuld" could not be found | did you mean build?'],
    ['stage index out of range', 'FROM bb\nCOPY --from=3 /a /b\n', {}, 'DF2016 2:6 invalid stage index 3 | stage indices run from 0 to 0'],
    // Real builder: "circular dependency detected on stage: a".
    ['copy from itself by index', 'FROM bb AS a\nCOPY --from=0 /a /b\n', {}, 'DF2016 2:6 circular dependency detected on stage: a | a stage cannot copy from itself'],
    ['copy from itself by name', 'FROM bb AS a\nCOPY --from=A /a /b\n', {}, 'DF2016 2:6 circular dependency detected on stage: a | a stage cannot copy from itself'],
    ['copy cycle between stages (classic)', 'FROM bb AS a\nCOPY --from=b /a /b\nFROM bb AS b\nCOPY --from=a /a /b\n', { builder: 'classic' }, 'DF2016 1:1 circular dependency detected on stage: a | stages must not copy from each other in a loop'],
    // Real BuildKit: 'failed to parse stage name "${SRC}": invalid reference format' before any step (exec-r2-copy-from-arg).
    ['BuildKit and a $ in COPY --from', 'FROM bb\nCOPY --from=${SRC} /a /b\n', {}, 'DF2007 2:6 variable expansion is not supported for --from (got "${SRC}"): BuildKit fails to parse it as a stage or image name | define a stage with `FROM ${VAR} AS src` (a global ARG) and use COPY --from=src'],
    ['FROM expands to nothing', 'ARG IMG\nFROM ${IMG}\n', {}, 'DF2017 2:1 base name (${IMG}) should not be blank | give the ARG used in FROM a default, or pass it with --build-arg'],
    // Real classic builder: 'failed to parse platform : "" is an invalid component ...' (no BUILDPLATFORM there).
    ['classic builder and $BUILDPLATFORM', 'FROM --platform=$BUILDPLATFORM bb\n', { builder: 'classic' }, 'DF2018 1:6 failed to parse platform  | use os/arch[/variant]'],
    ['bad platform option', 'FROM bb\n', { platform: 'amd64' }, 'DF2018 invalid platform "amd64" | use os/arch[/variant], e.g. linux/amd64 or linux/arm/v7'],
  ] as [string, string, Partial<PlanOptions>, string][])('%s', (_n, text, o, expected) => {
    expect(planError(text, o)).toBe(expected);
  });
});
