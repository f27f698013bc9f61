#!/usr/bin/env node
// Writes seeded random oracle scenarios of the held-back suite's kind into
// __tests__/fixtures/oracle/scenarios/ (record them with scripts/record-oracle.mjs).
//
//   node scripts/random-scenarios.mjs r21   # 24: single-stage deps-first and three-stage Dockerfiles
//   node scripts/random-scenarios.mjs r22   # 16: base/dev/prod with a global ARG, ADD of a tar, links
//   node scripts/random-scenarios.mjs r23   # 16: directory trees, wildcards, file and directory modes
//   node scripts/random-scenarios.mjs r24   # 16: metadata and ARG/ENV chains, ONBUILD (each a classic step)
//   node scripts/random-scenarios.mjs r25   # 16: stage graphs: FROM <stage>, COPY --from chains, --target
//   node scripts/random-scenarios.mjs r26   # 14: ADD of a tar, a directory, wildcards, --chown
//   node scripts/random-scenarios.mjs r27   # 14: .dockerignore patterns over nested trees
//   node scripts/random-scenarios.mjs r28   # 14: COPY --chown spellings, destinations, USER and WORKDIR
//   node scripts/random-scenarios.mjs r29   # 14: SHELL, exec and shell forms, ARG/ENV expansion
//   node scripts/random-scenarios.mjs r30   # 14: --no-cache and --target over WORKDIR chains and stages
//   node scripts/random-scenarios.mjs r31   # 12: RUN --mount (bind from context and stage, cache, tmpfs)
//   node scripts/random-scenarios.mjs r32   # 12: builds that fail and recover (missing, excluded, unknown stage)
//   node scripts/random-scenarios.mjs r33   # 12: identical steps in several stages (merged or deduplicated)
//   node scripts/random-scenarios.mjs r34   # 10: twin stages with WORKDIRs under frequent --no-cache
//   node scripts/random-scenarios.mjs r35   # 45: every family above in turn, three of each, new seeds
//   node scripts/random-scenarios.mjs r36   # 45: the same, other seeds
//   node scripts/random-scenarios.mjs r37   # 45: the same, other seeds
//   node scripts/random-scenarios.mjs r38   # 45: the same, other seeds
//   node scripts/random-scenarios.mjs r39   # 45: the same, other seeds
//   node scripts/random-scenarios.mjs r40   # 30: twins, dedup and nocache in turn (where --no-cache rules hid)
//   node scripts/random-scenarios.mjs r41   # 45: meta, stages, nocache, twins and dedup in turn
//   node scripts/random-scenarios.mjs r42   # 45: every family in turn, other seeds
//   node scripts/random-scenarios.mjs r43   # 45: every family in turn, other seeds
//   node scripts/random-scenarios.mjs r44   # 45: the multi-stage shapes in turn, five of each
//   node scripts/random-scenarios.mjs r45   # 45: every family in turn, other seeds
//   node scripts/random-scenarios.mjs r46   # 45: the multi-stage shapes in turn, other seeds
//   node scripts/random-scenarios.mjs r47   # 45: every family in turn, other seeds
//   node scripts/random-scenarios.mjs r48   # 45: the multi-stage shapes in turn, other seeds
//   node scripts/random-scenarios.mjs r21 OUT_DIR   # somewhere else
//
// Each build applies random edits to a model of the context (files, modes, empty directories,
// symlinks, a tar, the Dockerfile's parameters); its edit ops are the difference between the model
// before and after, so a revert restores exactly. The same round gives the same files every time.
import fs from 'node:fs';
import path from 'node:path';

const FAMILIES = ['single', 'multi', 'base-dev-prod', 'tree', 'meta', 'stages', 'add', 'ignore', 'copyflags', 'shell', 'nocache', 'mounts', 'errors', 'dedup', 'twins'];
// The shapes with more than one stage, where the --no-cache and image rules of both builders meet.
const MULTI_STAGE = ['meta', 'stages', 'nocache', 'twins', 'dedup', 'errors', 'multi', 'base-dev-prod', 'mounts'];
const ROUNDS = {
  r21: { count: 24, seed: 2100, family: (i) => (i % 2 === 0 ? 'single' : 'multi') },
  r22: { count: 16, seed: 2200, family: () => 'base-dev-prod' },
  r23: { count: 16, seed: 2300, family: () => 'tree' },
  r24: { count: 16, seed: 2400, family: () => 'meta' },
  r25: { count: 16, seed: 2500, family: () => 'stages' },
  r26: { count: 14, seed: 2600, family: () => 'add' },
  r27: { count: 14, seed: 2700, family: () => 'ignore' },
  r28: { count: 14, seed: 2800, family: () => 'copyflags' },
  r29: { count: 14, seed: 2900, family: () => 'shell' },
  r30: { count: 14, seed: 3000, family: () => 'nocache' },
  r31: { count: 12, seed: 3100, family: () => 'mounts' },
  r32: { count: 12, seed: 3200, family: () => 'errors' },
  r33: { count: 12, seed: 3300, family: () => 'dedup' },
  r34: { count: 10, seed: 3400, family: () => 'twins' },
  r35: { count: 45, seed: 3500, family: (i) => FAMILIES[i % FAMILIES.length] },
  r36: { count: 45, seed: 3600, family: (i) => FAMILIES[i % FAMILIES.length] },
  r37: { count: 45, seed: 3700, family: (i) => FAMILIES[i % FAMILIES.length] },
  r38: { count: 45, seed: 3800, family: (i) => FAMILIES[i % FAMILIES.length] },
  r39: { count: 45, seed: 3900, family: (i) => FAMILIES[i % FAMILIES.length] },
  r40: { count: 30, seed: 4000, family: (i) => ['twins', 'dedup', 'nocache'][i % 3] },
  r41: { count: 45, seed: 4100, family: (i) => ['meta', 'stages', 'nocache', 'twins', 'dedup'][i % 5] },
  r42: { count: 45, seed: 4200, family: (i) => FAMILIES[i % FAMILIES.length] },
  r43: { count: 45, seed: 4300, family: (i) => FAMILIES[i % FAMILIES.length] },
  r44: { count: 45, seed: 4400, family: (i) => MULTI_STAGE[i % MULTI_STAGE.length] },
  r45: { count: 45, seed: 4500, family: (i) => FAMILIES[i % FAMILIES.length] },
  r46: { count: 45, seed: 4600, family: (i) => MULTI_STAGE[i % MULTI_STAGE.length] },
  r47: { count: 45, seed: 4700, family: (i) => FAMILIES[i % FAMILIES.length] },
  r48: { count: 45, seed: 4800, family: (i) => MULTI_STAGE[i % MULTI_STAGE.length] },
};

/** mulberry32: small, seedable, the same sequence on every machine. */
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const argLine = (p) => (p.argDefault === null ? 'ARG VERSION' : `ARG VERSION=${p.argDefault}`);
const lines = (l) => l.join('\n') + '\n';

const DOCKERFILES = {
  single(p) {
    const l = p.globalArg ? [`ARG BASE=${p.base}`, 'FROM ${BASE}'] : [`FROM ${p.base}`];
    if (p.arg) l.push(argLine(p));
    l.push(`ENV MODE=${p.env}`);
    if (p.label) l.push(`LABEL stage=${p.label}`);
    if (p.shell) l.push('SHELL ["/bin/sh", "-ec"]');
    l.push(`WORKDIR ${p.workdir}`, 'COPY deps.txt ./');
    l.push(p.runForm === 'shell' ? 'RUN sort deps.txt > /deps.sorted && echo "v$VERSION $MODE" >> /deps.sorted' : 'RUN ["sh", "-c", "sort deps.txt > /deps.sorted"]');
    l.push(p.copyAll ? 'COPY . .' : 'COPY src/ ./src/');
    if (p.csv) l.push('COPY *.csv ./data/');
    l.push('RUN ls -R . > /listing && cat src/*.sh | wc -l > /lines');
    if (p.user) l.push(`USER ${p.user}`, 'RUN id -u > /tmp/uid');
    l.push(`CMD ["sh", "src/${p.cmd}.sh"]`);
    return lines(l);
  },
  multi(p) {
    const l = [`FROM ${p.depsBase} AS deps`, 'WORKDIR /deps', 'COPY deps.txt .', 'RUN sort deps.txt > /deps/sorted.txt', ''];
    l.push('FROM bb:latest AS builder');
    if (p.arg) l.push(argLine(p));
    l.push(`WORKDIR ${p.workdir}`, p.copyAll ? 'COPY . .' : 'COPY src/ ./');
    l.push(`RUN mkdir -p /out && cat ${p.copyAll ? 'src/' : ''}*.sh > /out/bundle.sh && echo "$VERSION" > /out/version`, '');
    l.push(`FROM ${p.base} AS final`, `ENV MODE=${p.env}`);
    if (p.shell) l.push('SHELL ["/bin/sh", "-ec"]');
    l.push('COPY --from=deps /deps/sorted.txt /etc/deps.txt', 'COPY --from=builder /out/ /opt/app/');
    if (p.csv) l.push('COPY *.csv /data/');
    l.push('COPY config/ /etc/app/');
    l.push(p.runForm === 'shell' ? 'RUN wc -l /opt/app/bundle.sh > /lines' : 'RUN ["wc", "-l", "/opt/app/bundle.sh"]');
    if (p.user) l.push(`USER ${p.user}`);
    l.push(`CMD ["sh", "/opt/app/bundle.sh", "${p.cmd}"]`);
    return lines(l);
  },
  'base-dev-prod'(p) {
    const l = ['ARG BASE=bb:latest', 'FROM ${BASE} AS base', `WORKDIR ${p.workdir}`, 'COPY pkg*.txt ./', 'RUN cat pkg*.txt | sort -u > /deps.lock', ''];
    l.push('FROM base AS dev', `ENV APP_ENV=${p.env}`, 'COPY . .');
    l.push(p.runForm === 'shell' ? 'RUN find . -type f | sort > /manifest' : 'RUN ["sh", "-c", "find . | sort > /manifest"]', '');
    l.push('FROM base AS prod');
    if (p.arg) l.push(argLine(p));
    l.push(p.chown ? 'COPY --chown=1000:1000 src/ ./src/' : 'COPY src/ ./src/', 'COPY run.sh /usr/local/bin/run');
    if (p.tar) l.push('ADD assets.tar /opt/');
    if (p.fromDev) l.push('COPY --from=dev /manifest /manifest');
    l.push('RUN cat src/*.sh > /bundle && echo "$VERSION" >> /bundle');
    if (p.user) l.push(`USER ${p.user}`);
    l.push('ENTRYPOINT ["/usr/local/bin/run"]', `CMD ["${p.cmd}"]`);
    return lines(l);
  },
  meta(p) {
    const l = [`ARG BASE_TAG=${p.baseTag}`, 'FROM bb:${BASE_TAG} AS parent'];
    if (p.onbuild) l.push(`ONBUILD COPY ${p.onbuildSrc} /onbuild/`, 'ONBUILD RUN ls /onbuild > /onbuild.list');
    l.push('LABEL org.example.parent=yes', '');
    l.push('FROM parent');
    l.push(p.argDefault === null ? 'ARG VERSION' : `ARG VERSION=${p.argDefault}`, 'ARG CHANNEL=stable', 'ARG TAG=v${VERSION}-${CHANNEL}');
    l.push(p.envMulti ? `ENV APP_HOME=${p.home} APP_TAG=\${TAG} MODE=${p.mode}` : `ENV APP_HOME=${p.home}\nENV APP_TAG=\${TAG}\nENV MODE=${p.mode}`);
    if (p.labels) l.push(`LABEL version="\${VERSION}" channel=\${CHANNEL}`);
    if (p.expose) l.push(`EXPOSE ${p.expose}`);
    l.push('WORKDIR ${APP_HOME}', 'COPY app.sh ./');
    if (p.user) l.push(`USER ${p.user}`);
    l.push(p.runUsesArgs ? 'RUN echo "$APP_TAG $MODE" > /tmp/tag' : 'RUN cat app.sh > /tmp/copy');
    if (p.health) l.push('HEALTHCHECK --interval=30s CMD ["sh", "-c", "true"]');
    if (p.stopsignal) l.push('STOPSIGNAL SIGTERM');
    l.push(`CMD ["sh", "app.sh"${p.cmdArg ? ', "--verbose"' : ''}]`);
    return lines(l);
  },
  stages(p) {
    const l = [`FROM bb:latest AS base`, `RUN mkdir -p /shared && echo ${p.baseWord} > /shared/word`, ''];
    l.push(`FROM base AS build`, 'WORKDIR /build', p.buildCopy, 'RUN mkdir -p /out && cat *.c | sort > /out/program && wc -l < /out/program > /out/lines', '');
    l.push(`FROM base AS test`, 'COPY --from=build /out/program /t/program', 'COPY tests/ /t/tests/', 'RUN cat /t/tests/* > /t/results', '');
    l.push(`FROM ${p.finalBase} AS final`, `COPY --from=${p.fromSpelling} /out/program /usr/bin/program`);
    if (p.copyResults) l.push('COPY --from=test /t/results /results');
    if (p.copyImage) l.push('COPY --from=bb:v2 /etc/version /etc/base-version');
    l.push('COPY --from=base /shared/word /word');
    l.push('CMD ["/usr/bin/program"]');
    return lines(l);
  },
  add(p) {
    const l = ['FROM bb:latest', `WORKDIR ${p.workdir}`, `ADD assets.tar ${p.tarDest}`];
    if (p.addDir) l.push('ADD files/ ./files/');
    if (p.addWild) l.push('ADD *.txt ./txt/');
    if (p.copyTar) l.push('COPY assets.tar ./raw.tar');
    l.push(p.chown ? `ADD --chown=${p.chown} conf.ini ./conf.ini` : 'ADD conf.ini ./conf.ini');
    l.push('RUN find . | sort > /listing');
    return lines(l);
  },
  ignore(p) {
    const l = ['FROM bb:latest', 'COPY src /src'];
    if (p.logs) l.push('COPY *.log /logs/');
    l.push(p.copyAll ? 'COPY . /app' : 'COPY docs /app/docs');
    l.push('RUN find /src /app | sort > /listing');
    return lines(l);
  },
  copyflags(p) {
    const l = ['FROM bb:latest'];
    if (p.workdir) l.push(`WORKDIR ${p.workdir}`);
    if (p.user) l.push(`USER ${p.user}`);
    l.push(p.chownA ? `COPY --chown=${p.chownA} a.txt b.txt ${p.multiDest}` : `COPY a.txt b.txt ${p.multiDest}`);
    l.push(`COPY a.txt ${p.singleDest}`);
    l.push(p.chownDir ? `COPY --chown=${p.chownDir} dir ${p.dirDest}` : `COPY dir ${p.dirDest}`);
    if (p.user) l.push('USER root');
    l.push('RUN for f in $(find /dest /d /d2 /rel /single.txt /w 2>/dev/null | sort); do stat -c "%u:%g %a %n" "$f"; done > /owners');
    return lines(l);
  },
  shell(p) {
    const l = ['FROM bb:latest', `ARG NAME=${p.name}`];
    if (p.envFromArg) l.push('ENV GREETING="hello ${NAME}"');
    else l.push('ENV GREETING="hello"');
    if (p.path) l.push('ENV PATH=/opt/bin:$PATH');
    if (p.shell) l.push(`SHELL ${p.shell}`);
    l.push(p.form === 'shell' ? 'RUN echo "$GREETING from $NAME" > /greet' : p.form === 'exec' ? 'RUN ["sh", "-c", "echo \\"$GREETING from $NAME\\" > /greet"]' : 'RUN echo "$GREETING" \\\n    "from $NAME" > /greet');
    l.push(p.second ? 'RUN cat /greet > /copy' : 'RUN ["cp", "/greet", "/copy"]');
    if (p.entrypoint) l.push(`ENTRYPOINT ${p.entrypoint}`);
    l.push(`CMD ${p.cmd}`);
    return lines(l);
  },
  nocache(p) {
    const l = ['FROM bb:latest AS base'];
    if (p.baseWorkdir) l.push('WORKDIR /base');
    l.push(`RUN echo ${p.word} > /word`);
    if (p.trailingWorkdir) l.push('WORKDIR /after');
    l.push('', `FROM ${p.childFrom} AS child`);
    l.push('WORKDIR /child', 'COPY a.txt ./');
    if (p.midWorkdir) l.push('WORKDIR /child/sub');
    l.push('RUN cat ../a.txt > out 2>/dev/null || cat a.txt > out', '');
    l.push('FROM child AS final');
    l.push('WORKDIR /final', `COPY --from=${p.fromStage} /word /word`, 'COPY b.txt ./');
    return lines(l);
  },
  mounts(p) {
    const l = ['FROM bb:latest AS gen', `RUN mkdir /out && echo ${p.word} > /out/data`, '', 'FROM bb:latest', 'WORKDIR /w'];
    l.push(p.bindContext ? 'RUN --mount=type=bind,source=src,target=/mnt/src cat /mnt/src/*.txt > /w/all' : 'COPY src/ /w/src/');
    l.push(`RUN --mount=type=bind,from=gen,source=/out,target=/mnt/gen${p.rw ? ',rw' : ''} cat /mnt/gen/data > /w/gen`);
    if (p.cache) l.push(`RUN --mount=type=cache,target=/var/cache/app${p.cacheId ? `,id=${p.cacheId}` : ''} ls /var/cache/app > /w/cache-list`);
    if (p.tmpfs) l.push('RUN --mount=type=tmpfs,target=/scratch echo hi > /scratch/x && ls /scratch > /w/scratch-list');
    l.push('RUN ls /w > /listing');
    return lines(l);
  },
  errors(p) {
    const l = ['FROM bb:latest AS tools', 'RUN mkdir /t && echo tool > /t/tool', '', 'FROM bb:latest', 'WORKDIR /app'];
    l.push(`COPY ${p.sources.join(' ')} ./`);
    l.push(`COPY --from=${p.from} /t/tool /usr/bin/tool`);
    if (p.failingRun) l.push('RUN test -f /app/required.txt');
    l.push('RUN ls /app > /listing');
    return lines(l);
  },
  dedup(p) {
    const stage = (name, base) => [`FROM ${base} AS ${name}`, p.sameRun ? 'RUN echo shared > /shared' : `RUN echo ${name} > /shared`, `COPY ${p.copy} /c/`, ''];
    const l = [...stage('one', 'bb:latest'), ...stage('two', p.twoBase)];
    l.push('FROM bb:latest', 'COPY --from=one /shared /one', 'COPY --from=two /shared /two');
    if (p.sameRunFinal) l.push('RUN echo shared > /shared');
    return lines(l);
  },
  twins(p) {
    const stage = (name, base) => {
      const l = [`FROM ${base} AS ${name}`, `RUN echo ${p.word} > /shared`];
      if (p.workdir) l.push('WORKDIR /work');
      l.push(`COPY ${name === 'one' || p.sameCopy ? 'a.txt' : 'b.txt'} ./`, '');
      return l;
    };
    const l = [...stage('one', 'bb:latest'), ...stage('two', p.twoBase)];
    l.push('FROM bb:latest', 'COPY --from=one /shared /one', 'COPY --from=two /shared /two');
    return lines(l);
  },
  tree(p) {
    const l = ['FROM bb:latest'];
    if (p.workdir) l.push(`WORKDIR ${p.workdir}`);
    l.push(p.srcSlash ? 'COPY src/ /app/src/' : 'COPY src /app/src', 'COPY conf* /app/');
    l.push(p.libWild ? 'COPY lib/*/*.sh /app/lib/' : 'COPY lib /app/lib');
    l.push(p.dataJson ? 'COPY ["data", "/data/"]' : 'COPY data /data');
    l.push("RUN find /app /data | sort > /tree && stat -c '%a %n' /app/src /data > /modes");
    if (p.tail) l.push('COPY . /ctx');
    return lines(l);
  },
};

function clone(s) {
  return { ...s, files: new Map(s.files), modes: new Map(s.modes), dirs: new Set(s.dirs), p: { ...s.p }, links: { ...s.links }, dirModes: { ...s.dirModes } };
}

/** Gives a build its --build-arg values (they stay until changed) and says so in its label. */
function useBuildArgs(build, labels, buildArgs) {
  if (!buildArgs) return;
  build.buildArgs = { ...buildArgs };
  labels.push(`--build-arg ${Object.entries(buildArgs).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}

/** A build's edit ops that turn context `from` into `to` (scenario.mjs applies write, tar, symlink, delete, mkdir, chmod). */
function diff(from, to) {
  const write = {};
  const del = [];
  for (const [k, v] of to.files) if (from.files.get(k) !== v) write[k] = v;
  for (const k of from.files.keys()) if (!to.files.has(k)) del.push(k);
  for (const d of from.dirs) if (!to.dirs.has(d)) del.push(d);
  const mkdir = [...to.dirs].filter((d) => !from.dirs.has(d));
  const chmod = {};
  for (const k of to.files.keys()) {
    // A write replaces the file: it comes back 0644.
    const want = to.modes.get(k) ?? '644';
    const have = k in write || !from.files.has(k) ? '644' : (from.modes.get(k) ?? '644');
    if (want !== have) chmod[k] = want;
  }
  const exists = (d) => to.dirs.has(d) || [...to.files.keys(), ...to.dirs].some((k) => k.startsWith(`${d}/`));
  for (const [d, m] of Object.entries(to.dirModes)) if (exists(d) && from.dirModes[d] !== m) chmod[d] = m;
  for (const d of Object.keys(from.dirModes)) if (!(d in to.dirModes) && exists(d)) chmod[d] = '755';
  const symlink = {};
  for (const [k, t] of Object.entries(to.links)) if (from.links[k] !== t) symlink[k] = t;
  for (const k of Object.keys(from.links)) if (!(k in to.links)) del.push(k);
  const b = {};
  if (Object.keys(write).length) b.write = write;
  if (to.tarBody && (to.tarSame || JSON.stringify(from.tarBody) !== JSON.stringify(to.tarBody))) b.tar = { 'assets.tar': to.tarBody };
  if (Object.keys(symlink).length) b.symlink = symlink;
  if (del.length) b.delete = del.sort();
  if (mkdir.length) b.mkdir = mkdir.sort();
  if (Object.keys(chmod).length) b.chmod = chmod;
  return b;
}

/** The three application-shaped families (single, multi, base-dev-prod): parameters, files and edits. */
function appFamily(family, r, pick) {
  const bdp = family === 'base-dev-prod';
  const p = {
    base: 'bb:latest', depsBase: 'bb:latest', globalArg: family === 'single' && r() < 0.3, arg: r() < 0.8, argDefault: pick(['1', null]), env: 'prod', label: null,
    shell: false, workdir: pick(['/app', '/src']), runForm: pick(['shell', 'shell', 'exec']), copyAll: r() < 0.4, csv: r() < 0.6,
  };
  if (bdp) Object.assign(p, { chown: r() < 0.5, tar: r() < 0.7, fromDev: r() < 0.5 });
  Object.assign(p, { user: pick([null, null, '1000']), cmd: 'app' });
  const files = new Map([
    ['deps.txt', 'zlib 1.2\nalpha 2.0\n'], ['src/app.sh', 'echo app\n'], ['src/util.sh', 'echo util\n'], ['src/notes.txt', 'notes\n'],
    ['README.md', '# demo\n'], ['docs/guide.md', 'guide\n'], ['config/app.conf', 'level=1\n'], ['run.sh', '#!/bin/sh\necho run\n'], ['a.csv', 'x,1\n'],
  ]);
  if (bdp) files.set('pkg.txt', 'b 1\na 1\n').set('pkg-lock.txt', 'a 1\n');
  let n = 0;
  const edits = [
    ['edit a copied source', (st) => st.files.set(pick(['src/app.sh', 'src/util.sh']), `echo ${pick(['a', 'b', 'c'])}${++n}\n`)],
    ['edit a copied file that only a RUN output ignores', (st) => st.files.set('src/notes.txt', `notes ${++n}\n`)],
    ['reorder deps.txt (same sorted output)', (st) => st.files.set('deps.txt', `${st.files.get('deps.txt').split('\n').filter(Boolean).reverse().join('\n')}\n`)],
    ['change deps.txt', (st) => st.files.set('deps.txt', `${st.files.get('deps.txt')}extra${++n} 1.0\n`)],
    ['edit an uncopied file', (st) => st.files.set(pick(['README.md', 'docs/guide.md']), `changed ${++n}\n`)],
    ['edit config', (st) => st.files.set('config/app.conf', `level=${++n}\n`)],
    ['chmod a copied script', (st) => { const f = pick(['src/app.sh', 'run.sh', 'config/app.conf']); st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['add a source file', (st) => st.files.set(`src/new${++n}.sh`, 'echo new\n')],
    ['remove a source file', (st) => { const xs = [...st.files.keys()].filter((k) => k.startsWith('src/') && k !== 'src/app.sh'); if (xs.length) { const f = pick(xs); st.files.delete(f); st.modes.delete(f); } }],
    ['add a csv', (st) => st.files.set(`b${++n}.csv`, 'y,2\n')],
    ['remove csvs but one', (st) => { for (const k of [...st.files.keys()]) if (k.endsWith('.csv') && k !== 'a.csv') st.files.delete(k); }],
    ['add an empty dir', (st) => st.dirs.add(pick(['src/empty', 'empty', 'config/conf.d']))],
    ['remove empty dirs', (st) => st.dirs.clear()],
    ['ignore notes and docs', (st) => { st.ignore = pick(['src/notes.txt\n', 'docs\n*.md\n', '**/*.txt\n!deps.txt\n', 'src/util.sh\n', 'run.sh\n*.csv\n!a.csv\n']); }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
    ['ENV MODE changed', (st) => { st.p.env = st.p.env === 'prod' ? 'dev' : 'prod'; }],
    ['USER changed', (st) => { st.p.user = pick([null, '1000', '0', 'root']); }],
    ['WORKDIR changed', (st) => { st.p.workdir = st.p.workdir === '/app' ? '/srv/app' : '/app'; }],
    ['SHELL toggled', (st) => { st.p.shell = !st.p.shell; }],
    ['RUN form switched', (st) => { st.p.runForm = st.p.runForm === 'shell' ? 'exec' : 'shell'; }],
    ['ARG default changed', (st) => { st.p.arg = true; st.p.argDefault = st.p.argDefault === '1' ? '2' : '1'; }],
    ['ARG removed', (st) => { st.p.arg = false; }],
    ['CMD changed', (st) => { st.p.cmd = st.p.cmd === 'app' ? 'util' : 'app'; }],
    ['LABEL toggled', (st) => { st.p.label = st.p.label ? null : 'v1'; }],
    ['base image changed', (st) => { if (family === 'multi' && r() < 0.5) st.p.depsBase = st.p.depsBase === 'bb:latest' ? 'bb:v2' : 'bb:latest'; else st.p.base = st.p.base === 'bb:latest' ? 'bb:v2' : 'bb:latest'; }],
    ['COPY scope switched', (st) => { st.p.copyAll = !st.p.copyAll; }],
    ['csv COPY toggled', (st) => { st.p.csv = !st.p.csv; }],
  ];
  if (bdp) {
    edits.push(
      ['link added in src', (st) => { st.links['src/link.sh'] = pick(['app.sh', 'util.sh', 'missing.sh']); }],
      ['tar rewritten', (st) => { st.tarv += 1; st.tarBody = { 'assets/a.txt': `a${st.tarv}\n`, 'assets/b.txt': 'b\n' }; }],
      ['tar members same', (st) => { st.tarBody = { 'assets/a.txt': st.tarBody['assets/a.txt'], 'assets/b.txt': 'b\n' }; st.tarSame = true; }],
      ['pkg edit', (st) => st.files.set('pkg.txt', `c ${++n}\n${st.files.get('pkg.txt')}`)],
      ['pkg-lock duplicate line (same sorted -u output)', (st) => st.files.set('pkg-lock.txt', `${st.files.get('pkg-lock.txt')}a 1\n`)],
      ['chown toggled', (st) => { st.p.chown = !st.p.chown; }],
      ['tar ADD toggled', (st) => { st.p.tar = !st.p.tar; }],
      ['COPY --from=dev toggled', (st) => { st.p.fromDev = !st.p.fromDev; }],
    );
  }
  return {
    p, files, dirs: [], edits, touchable: ['src/app.sh', 'deps.txt', 'README.md'],
    ...(bdp ? { tarBody: { 'assets/a.txt': 'a0\n', 'assets/b.txt': 'b\n' } } : {}),
    buildOptions(build, labels) {
      let buildArgs = this.buildArgs;
      const ba = r();
      if (ba < 0.15) buildArgs = { VERSION: pick(['2', '3']) };
      else if (ba < 0.22) buildArgs = { UNDECLARED: 'x' };
      else if (ba < 0.3) buildArgs = undefined;
      this.buildArgs = buildArgs;
      useBuildArgs(build, labels, buildArgs);
      if (bdp && ba >= 0.3 && ba < 0.36) {
        build.buildArgs = { ...(build.buildArgs ?? {}), BASE: 'bb:v2' };
        labels.push('--build-arg BASE=bb:v2');
      }
      const targets = { multi: ['builder', 'deps', 'final'], 'base-dev-prod': ['base', 'dev', 'prod'] }[family];
      if (targets && r() < (bdp ? 0.25 : 0.2)) {
        build.target = pick(targets);
        labels.push(`--target ${build.target}`);
      }
    },
  };
}

function treeFamily(r, pick) {
  const p = { workdir: pick([null, '/w']), srcSlash: r() < 0.5, libWild: r() < 0.6, dataJson: r() < 0.3, tail: r() < 0.4 };
  const files = new Map([
    ['src/main.sh', 'echo main\n'], ['src/sub/helper.sh', 'echo helper\n'], ['conf.ini', 'a=1\n'], ['lib/a/one.sh', 'echo one\n'],
    ['lib/b/two.sh', 'echo two\n'], ['lib/b/readme.txt', 'two\n'], ['data/keep.csv', 'k\n'], ['data/sub/x.csv', 'x\n'], ['notes.md', 'notes\n'],
  ]);
  const dirs = ['src', 'src/sub', 'lib/a', 'lib/b', 'data', 'data/sub', 'data/empty'];
  const own = (k) => k !== 'Dockerfile' && k !== '.dockerignore';
  let n = 0;
  const edits = [
    ['chmod a directory', (st) => { st.dirModes[pick(dirs)] = pick(['700', '755', '775', '750']); }],
    ['chmod a file', (st) => { const f = pick([...st.files.keys()].filter(own)); st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['edit a file', (st) => { const f = pick(['src/main.sh', 'src/sub/helper.sh', 'conf.ini', 'lib/a/one.sh', 'lib/b/readme.txt', 'data/keep.csv', 'notes.md']); if (st.files.has(f)) st.files.set(f, `v${++n}\n`); }],
    ['add a lib script', (st) => st.files.set(`lib/${pick(['a', 'b', 'c'])}/n${++n}.sh`, 'echo n\n')],
    ['add a non-matching lib file', (st) => st.files.set(`lib/a/n${++n}.txt`, 'n\n')],
    ['add a second conf', (st) => st.files.set(pick(['conf.d.ini', 'config.yml']), 'c\n')],
    ['remove a file', (st) => { const f = pick([...st.files.keys()].filter((k) => own(k) && k !== 'conf.ini')); st.files.delete(f); st.modes.delete(f); }],
    ['add a .tmp file', (st) => st.files.set(pick(['src/x.tmp', 'data/sub/y.tmp', 'lib/a/z.tmp']), 't\n')],
    ['add an empty dir', (st) => st.dirs.add(pick(['src/empty', 'lib/d', 'data/sub/e']))],
    ['remove empty dirs', (st) => st.dirs.clear()],
    ['.dockerignore set', (st) => { st.ignore = pick(['**/*.tmp\n', 'data/*\n!data/keep*\n', 'src/sub\n', 'lib/b\n*.md\n', 'data/empty\n', '*\n!src\n!conf*\n!lib\n!data\n', 'src/**/*.sh\n!src/main.sh\n']); }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
    ['WORKDIR toggled', (st) => { st.p.workdir = st.p.workdir ? null : '/w'; }],
    ['src spelling toggled', (st) => { st.p.srcSlash = !st.p.srcSlash; }],
    ['lib wildcard toggled', (st) => { st.p.libWild = !st.p.libWild; }],
    ['data JSON form toggled', (st) => { st.p.dataJson = !st.p.dataJson; }],
    ['COPY . toggled', (st) => { st.p.tail = !st.p.tail; }],
  ];
  return {
    p, files, dirs: ['data/empty'], edits, touchable: ['src/main.sh', 'lib/a/one.sh', 'notes.md'],
    buildOptions(build, labels) {
      let buildArgs = this.buildArgs;
      const ba = r();
      if (ba < 0.05) buildArgs = { UNDECLARED: 'x' };
      else if (ba < 0.1) buildArgs = undefined;
      this.buildArgs = buildArgs;
      useBuildArgs(build, labels, buildArgs);
    },
  };
}

function metaFamily(r, pick) {
  const p = {
    baseTag: 'latest', onbuild: r() < 0.4, onbuildSrc: pick(['app.sh', 'extra.txt']), argDefault: pick(['1', null]), envMulti: r() < 0.5, home: pick(['/app', '/opt/app']),
    mode: 'prod', labels: r() < 0.5, expose: pick([null, '8080', '80 443']), user: pick([null, '1000']), runUsesArgs: r() < 0.6, health: r() < 0.3, stopsignal: r() < 0.3, cmdArg: false,
  };
  const files = new Map([['app.sh', 'echo app\n'], ['extra.txt', 'extra\n'], ['README.md', 'readme\n']]);
  let n = 0;
  const edits = [
    ['edit app.sh', (st) => st.files.set('app.sh', `echo v${++n}\n`)],
    ['edit extra.txt', (st) => st.files.set('extra.txt', `extra ${++n}\n`)],
    ['edit an uncopied file', (st) => st.files.set('README.md', `readme ${++n}\n`)],
    ['chmod app.sh', (st) => st.modes.set('app.sh', (st.modes.get('app.sh') ?? '644') === '644' ? '755' : '644')],
    ['ONBUILD toggled', (st) => { st.p.onbuild = !st.p.onbuild; }],
    ['ONBUILD source switched', (st) => { st.p.onbuildSrc = st.p.onbuildSrc === 'app.sh' ? 'extra.txt' : 'app.sh'; }],
    ['ARG default changed', (st) => { st.p.argDefault = st.p.argDefault === '1' ? '2' : '1'; }],
    ['ARG default dropped', (st) => { st.p.argDefault = null; }],
    ['ENV split or joined', (st) => { st.p.envMulti = !st.p.envMulti; }],
    ['ENV APP_HOME changed', (st) => { st.p.home = st.p.home === '/app' ? '/opt/app' : '/app'; }],
    ['ENV MODE changed', (st) => { st.p.mode = st.p.mode === 'prod' ? 'dev' : 'prod'; }],
    ['LABEL toggled', (st) => { st.p.labels = !st.p.labels; }],
    ['EXPOSE changed', (st) => { st.p.expose = pick([null, '8080', '80 443', '443 80']); }],
    ['USER changed', (st) => { st.p.user = pick([null, '1000', '1000:1000', 'root']); }],
    ['RUN switched', (st) => { st.p.runUsesArgs = !st.p.runUsesArgs; }],
    ['HEALTHCHECK toggled', (st) => { st.p.health = !st.p.health; }],
    ['STOPSIGNAL toggled', (st) => { st.p.stopsignal = !st.p.stopsignal; }],
    ['CMD changed', (st) => { st.p.cmdArg = !st.p.cmdArg; }],
    ['base tag changed', (st) => { st.p.baseTag = st.p.baseTag === 'latest' ? 'v2' : 'latest'; }],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['app.sh', 'extra.txt'],
    buildOptions(build, labels) {
      let buildArgs = this.buildArgs;
      const ba = r();
      if (ba < 0.12) buildArgs = { VERSION: pick(['2', '3']) };
      else if (ba < 0.2) buildArgs = { CHANNEL: pick(['beta', 'stable']) };
      else if (ba < 0.25) buildArgs = { TAG: 'custom' };
      else if (ba < 0.3) buildArgs = { BASE_TAG: pick(['v2', 'v1']) };
      else if (ba < 0.35) buildArgs = { UNDECLARED: 'x' };
      else if (ba < 0.45) buildArgs = undefined;
      this.buildArgs = buildArgs;
      useBuildArgs(build, labels, buildArgs);
      if (r() < 0.1) {
        build.target = 'parent';
        labels.push('--target parent');
      }
    },
  };
}

function stagesFamily(r, pick) {
  const p = { baseWord: 'one', buildCopy: pick(['COPY src/ ./', 'COPY src/*.c ./']), finalBase: pick(['bb:latest', 'base']), fromSpelling: pick(['build', '1']), copyResults: r() < 0.5, copyImage: r() < 0.4 };
  const files = new Map([['src/a.c', 'int a;\n'], ['src/b.c', 'int b;\n'], ['src/notes.md', 'notes\n'], ['tests/t1.txt', 'ok 1\n'], ['README.md', 'readme\n']]);
  let n = 0;
  const edits = [
    ['edit a source', (st) => st.files.set(pick(['src/a.c', 'src/b.c']), `int v${++n};\n`)],
    ['swap source contents (same sorted output)', (st) => { const a = st.files.get('src/a.c'); const b = st.files.get('src/b.c'); if (a !== undefined && b !== undefined) st.files.set('src/a.c', b).set('src/b.c', a); }],
    ['edit notes (copied only by COPY src/)', (st) => st.files.set('src/notes.md', `notes ${++n}\n`)],
    ['add a source', (st) => st.files.set(`src/n${++n}.c`, 'int n;\n')],
    ['remove a source', (st) => { const xs = [...st.files.keys()].filter((k) => k.startsWith('src/') && k !== 'src/a.c'); if (xs.length) st.files.delete(pick(xs)); }],
    ['edit a test', (st) => st.files.set('tests/t1.txt', `ok ${++n}\n`)],
    ['add a test', (st) => st.files.set(`tests/new${++n}.txt`, 'ok\n')],
    ['edit an uncopied file', (st) => st.files.set('README.md', `readme ${++n}\n`)],
    ['chmod a source', (st) => { const f = pick(['src/a.c', 'src/b.c']); if (st.files.has(f)) st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['base stage output changed', (st) => { st.p.baseWord = st.p.baseWord === 'one' ? 'two' : 'one'; }],
    ['build COPY switched', (st) => { st.p.buildCopy = st.p.buildCopy === 'COPY src/ ./' ? 'COPY src/*.c ./' : 'COPY src/ ./'; }],
    ['final base switched', (st) => { st.p.finalBase = st.p.finalBase === 'base' ? 'bb:latest' : 'base'; }],
    ['--from spelling switched', (st) => { st.p.fromSpelling = st.p.fromSpelling === 'build' ? '1' : 'build'; }],
    ['test results COPY toggled', (st) => { st.p.copyResults = !st.p.copyResults; }],
    ['COPY --from=bb:v2 toggled', (st) => { st.p.copyImage = !st.p.copyImage; }],
    ['.dockerignore set', (st) => { st.ignore = pick(['src/*.md\n', 'tests/t1.txt\n', 'src/b.c\n', '**/*.md\n']); }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['src/a.c', 'tests/t1.txt'],
    buildOptions(build, labels) {
      if (r() < 0.3) {
        build.target = pick(['base', 'build', 'test', 'final']);
        labels.push(`--target ${build.target}`);
      }
    },
  };
}

function addFamily(r, pick) {
  const p = { workdir: pick(['/srv', '/opt/x']), tarDest: pick(['./assets/', '/srv/assets', '.']), addDir: r() < 0.5, addWild: r() < 0.5, copyTar: r() < 0.4, chown: pick([null, '1000:1000', '1000']) };
  const files = new Map([['conf.ini', 'a=1\n'], ['files/one.txt', 'one\n'], ['files/sub/two.txt', 'two\n'], ['x.txt', 'x\n'], ['y.txt', 'y\n'], ['README.md', 'readme\n']]);
  let n = 0;
  const edits = [
    ['tar member changed', (st) => { st.tarv += 1; st.tarBody = { ...st.tarBody, 'a.txt': `a${st.tarv}\n` }; }],
    ['tar rewritten, same members', (st) => { st.tarSame = true; }],
    ['tar member added', (st) => { st.tarBody = { ...st.tarBody, [`dir/m${++n}.txt`]: 'm\n' }; }],
    ['tar member removed', (st) => { const ks = Object.keys(st.tarBody).filter((k) => k !== 'a.txt'); if (ks.length) { const b = { ...st.tarBody }; delete b[pick(ks)]; st.tarBody = b; } }],
    ['edit a file under files/', (st) => st.files.set(pick(['files/one.txt', 'files/sub/two.txt']), `v${++n}\n`)],
    ['add a file under files/', (st) => st.files.set(`files/new${++n}.txt`, 'new\n')],
    ['remove a file under files/', (st) => { const xs = [...st.files.keys()].filter((k) => k.startsWith('files/')); if (xs.length > 1) st.files.delete(pick(xs)); }],
    ['add a .txt', (st) => st.files.set(`z${++n}.txt`, 'z\n')],
    ['edit a .txt', (st) => st.files.set(pick(['x.txt', 'y.txt']), `t${++n}\n`)],
    ['edit conf.ini', (st) => st.files.set('conf.ini', `a=${++n}\n`)],
    ['edit an uncopied file', (st) => st.files.set('README.md', `r${++n}\n`)],
    ['chmod a file', (st) => { const f = pick(['conf.ini', 'x.txt', 'files/one.txt']); if (st.files.has(f)) st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['chmod a directory', (st) => { st.dirModes.files = pick(['700', '755', '775']); }],
    ['ADD dir toggled', (st) => { st.p.addDir = !st.p.addDir; }],
    ['ADD wildcard toggled', (st) => { st.p.addWild = !st.p.addWild; }],
    ['COPY of the tar toggled', (st) => { st.p.copyTar = !st.p.copyTar; }],
    ['tar destination changed', (st) => { st.p.tarDest = pick(['./assets/', '/srv/assets', '.']); }],
    ['--chown changed', (st) => { st.p.chown = pick([null, '1000:1000', '1000', '0:0']); }],
    ['WORKDIR changed', (st) => { st.p.workdir = st.p.workdir === '/srv' ? '/opt/x' : '/srv'; }],
    ['.dockerignore set', (st) => { st.ignore = pick(['files/sub\n', '*.txt\n!x.txt\n', 'files/*.txt\n']); }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
  ];
  return { p, files, dirs: [], edits, touchable: ['conf.ini', 'x.txt'], tarBody: { 'a.txt': 'a0\n', 'dir/b.txt': 'b\n' }, buildOptions() {} };
}

function ignoreFamily(r, pick) {
  const p = { logs: r() < 0.5, copyAll: r() < 0.6 };
  const files = new Map([
    ['src/main.c', 'main\n'], ['src/lib/util.c', 'util\n'], ['src/lib/test/util_test.c', 'test\n'], ['src/node_modules/dep/index.js', 'dep\n'],
    ['docs/guide.md', 'guide\n'], ['docs/keep.md', 'keep\n'], ['docs/api/ref.md', 'ref\n'], ['build/out.bin', 'bin\n'], ['app.log', 'log\n'], ['important.log', 'imp\n'],
    ['.git/HEAD', 'ref\n'], ['tmp/scratch', 's\n'],
  ]);
  const patterns = ['**/node_modules', '*.log', '!important.log', '/build', 'build/', './tmp', '# a comment', ' docs/api ', 'docs/**/*.md', '!docs/keep.md', 'src/*/test', '**/.git', '.git', 'src/lib', '!src/lib/util.c', '**', '!src', 'tmp*', '*/*.md'];
  let n = 0;
  const edits = [
    ['pattern added', (st) => { const cur = st.ignore === null ? [] : st.ignore.split('\n').filter(Boolean); cur.push(pick(patterns)); st.ignore = `${cur.join('\n')}\n`; }],
    ['pattern removed', (st) => { if (st.ignore === null) return; const cur = st.ignore.split('\n').filter(Boolean); cur.splice(Math.floor(r() * cur.length), 1); st.ignore = cur.length ? `${cur.join('\n')}\n` : null; }],
    ['patterns reordered', (st) => { if (st.ignore === null) return; st.ignore = `${st.ignore.split('\n').filter(Boolean).reverse().join('\n')}\n`; }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
    ['edit an ignored-or-not file', (st) => { const f = pick([...st.files.keys()].filter((k) => k !== 'Dockerfile' && k !== '.dockerignore')); st.files.set(f, `v${++n}\n`); }],
    ['add a node_modules file', (st) => st.files.set(`src/lib/node_modules/m${++n}.js`, 'm\n')],
    ['add a log', (st) => st.files.set(`docs/n${++n}.log`, 'l\n')],
    ['add a test file', (st) => st.files.set(`src/app/test/t${++n}.c`, 't\n')],
    ['remove a file', (st) => { const xs = [...st.files.keys()].filter((k) => k !== 'Dockerfile' && k !== '.dockerignore' && k !== 'src/main.c'); st.files.delete(pick(xs)); }],
    ['add an empty dir', (st) => st.dirs.add(pick(['src/empty', 'docs/api/empty', 'build/empty']))],
    ['remove empty dirs', (st) => st.dirs.clear()],
    ['chmod a file', (st) => { const f = pick(['src/main.c', 'docs/keep.md', 'app.log']); if (st.files.has(f)) st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['logs COPY toggled', (st) => { st.p.logs = !st.p.logs; }],
    ['COPY . toggled', (st) => { st.p.copyAll = !st.p.copyAll; }],
  ];
  return { p, files, dirs: [], edits, touchable: ['src/main.c', 'app.log'], ignore: `${pick(patterns)}\n`, buildOptions() {} };
}

function copyflagsFamily(r, pick) {
  const owners = [null, '1000', '1000:1000', 'root', '0:0', 'root:root', '1000:0'];
  const p = { workdir: pick([null, '/w']), user: pick([null, null, '1000']), chownA: pick(owners), chownDir: pick(owners), multiDest: pick(['/dest/', '/dest/sub/', 'rel/']), singleDest: pick(['/dest/renamed.txt', '/dest/', 'single.txt', '/dest']), dirDest: pick(['/d', '/d/', 'd2', '/dest/dir']) };
  const files = new Map([['a.txt', 'a\n'], ['b.txt', 'b\n'], ['dir/c.txt', 'c\n'], ['dir/sub/d.txt', 'd\n'], ['other.txt', 'o\n']]);
  let n = 0;
  const edits = [
    ['edit a.txt', (st) => st.files.set('a.txt', `a${++n}\n`)],
    ['edit b.txt', (st) => st.files.set('b.txt', `b${++n}\n`)],
    ['edit under dir/', (st) => st.files.set(pick(['dir/c.txt', 'dir/sub/d.txt']), `v${++n}\n`)],
    ['add under dir/', (st) => st.files.set(`dir/n${++n}.txt`, 'n\n')],
    ['edit an uncopied file', (st) => st.files.set('other.txt', `o${++n}\n`)],
    ['chmod a copied file', (st) => { const f = pick(['a.txt', 'dir/c.txt']); if (st.files.has(f)) st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['chmod dir', (st) => { st.dirModes.dir = pick(['700', '755', '775']); }],
    ['--chown of the pair changed', (st) => { st.p.chownA = pick(owners); }],
    ['--chown of the dir changed', (st) => { st.p.chownDir = pick(owners); }],
    ['pair destination changed', (st) => { st.p.multiDest = pick(['/dest/', '/dest/sub/', 'rel/']); }],
    ['single destination changed', (st) => { st.p.singleDest = pick(['/dest/renamed.txt', '/dest/', 'single.txt', '/dest']); }],
    ['dir destination changed', (st) => { st.p.dirDest = pick(['/d', '/d/', 'd2', '/dest/dir']); }],
    ['USER changed', (st) => { st.p.user = pick([null, '1000', '1000:1000', 'root']); }],
    ['WORKDIR changed', (st) => { st.p.workdir = pick([null, '/w', '/w/x']); }],
  ];
  return { p, files, dirs: [], edits, touchable: ['a.txt', 'dir/c.txt'], buildOptions() {} };
}

function shellFamily(r, pick) {
  const shells = [null, '["/bin/sh", "-c"]', '["/bin/sh", "-ec"]', '["sh", "-c"]', '["/bin/ash", "-c"]'];
  const p = { name: 'world', envFromArg: r() < 0.6, path: r() < 0.3, shell: pick(shells), form: pick(['shell', 'exec', 'continued']), second: r() < 0.5, entrypoint: pick([null, '["sh", "-c"]', 'echo hi']), cmd: pick(['["cat", "/greet"]', 'cat /greet', '["/copy"]']) };
  const files = new Map([['README.md', 'readme\n']]);
  let n = 0;
  const edits = [
    ['ARG default changed', (st) => { st.p.name = st.p.name === 'world' ? 'there' : 'world'; }],
    ['ENV from ARG toggled', (st) => { st.p.envFromArg = !st.p.envFromArg; }],
    ['ENV PATH toggled', (st) => { st.p.path = !st.p.path; }],
    ['SHELL changed', (st) => { st.p.shell = pick(shells); }],
    ['RUN form changed', (st) => { st.p.form = pick(['shell', 'exec', 'continued']); }],
    ['second RUN form switched', (st) => { st.p.second = !st.p.second; }],
    ['ENTRYPOINT changed', (st) => { st.p.entrypoint = pick([null, '["sh", "-c"]', 'echo hi']); }],
    ['CMD changed', (st) => { st.p.cmd = pick(['["cat", "/greet"]', 'cat /greet', '["/copy"]']); }],
    ['edit an uncopied file', (st) => st.files.set('README.md', `r${++n}\n`)],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['README.md'],
    buildOptions(build, labels) {
      let buildArgs = this.buildArgs;
      const ba = r();
      if (ba < 0.2) buildArgs = { NAME: pick(['world', 'there', 'x y']) };
      else if (ba < 0.27) buildArgs = { GREETING: 'overridden' };
      else if (ba < 0.35) buildArgs = undefined;
      this.buildArgs = buildArgs;
      useBuildArgs(build, labels, buildArgs);
    },
  };
}

function nocacheFamily(r, pick) {
  const p = { baseWorkdir: r() < 0.5, trailingWorkdir: r() < 0.5, word: 'one', childFrom: pick(['base', 'bb:latest']), midWorkdir: r() < 0.5, fromStage: pick(['base', 'child']) };
  const files = new Map([['a.txt', 'a\n'], ['b.txt', 'b\n']]);
  let n = 0;
  const edits = [
    ['edit a.txt', (st) => st.files.set('a.txt', `a${++n}\n`)],
    ['edit b.txt', (st) => st.files.set('b.txt', `b${++n}\n`)],
    ['base output changed', (st) => { st.p.word = st.p.word === 'one' ? 'two' : 'one'; }],
    ['base WORKDIR toggled', (st) => { st.p.baseWorkdir = !st.p.baseWorkdir; }],
    ['trailing WORKDIR toggled', (st) => { st.p.trailingWorkdir = !st.p.trailingWorkdir; }],
    ['child FROM switched', (st) => { st.p.childFrom = st.p.childFrom === 'base' ? 'bb:latest' : 'base'; }],
    ['mid WORKDIR toggled', (st) => { st.p.midWorkdir = !st.p.midWorkdir; }],
    ['COPY --from stage switched', (st) => { st.p.fromStage = st.p.fromStage === 'base' ? 'child' : 'base'; }],
    ['chmod a.txt', (st) => st.modes.set('a.txt', (st.modes.get('a.txt') ?? '644') === '644' ? '755' : '644')],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['a.txt'],
    buildOptions(build, labels) {
      if (r() < 0.35) {
        build.noCache = true;
        labels.push('--no-cache');
      }
      if (r() < 0.3) {
        build.target = pick(['base', 'child', 'final']);
        labels.push(`--target ${build.target}`);
      }
    },
  };
}

function mountsFamily(r, pick) {
  const p = { word: 'one', bindContext: r() < 0.6, rw: r() < 0.3, cache: r() < 0.5, cacheId: pick([null, 'app']), tmpfs: r() < 0.4 };
  const files = new Map([['src/a.txt', 'a\n'], ['src/b.txt', 'b\n'], ['src/notes.md', 'notes\n'], ['README.md', 'readme\n']]);
  let n = 0;
  const edits = [
    ['edit a mounted file', (st) => st.files.set(pick(['src/a.txt', 'src/b.txt']), `v${++n}\n`)],
    ['edit a mounted file no RUN reads', (st) => st.files.set('src/notes.md', `notes ${++n}\n`)],
    ['add a mounted file', (st) => st.files.set(`src/n${++n}.txt`, 'n\n')],
    ['edit an uncopied file', (st) => st.files.set('README.md', `r${++n}\n`)],
    ['chmod a mounted file', (st) => { const f = pick(['src/a.txt', 'src/notes.md']); if (st.files.has(f)) st.modes.set(f, (st.modes.get(f) ?? '644') === '644' ? '755' : '644'); }],
    ['stage output changed', (st) => { st.p.word = st.p.word === 'one' ? 'two' : 'one'; }],
    ['bind mount vs COPY switched', (st) => { st.p.bindContext = !st.p.bindContext; }],
    ['rw toggled', (st) => { st.p.rw = !st.p.rw; }],
    ['cache mount toggled', (st) => { st.p.cache = !st.p.cache; }],
    ['cache id changed', (st) => { st.p.cacheId = st.p.cacheId ? null : 'app'; }],
    ['tmpfs toggled', (st) => { st.p.tmpfs = !st.p.tmpfs; }],
    ['.dockerignore set', (st) => { st.ignore = pick(['src/*.md\n', 'src/b.txt\n']); }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
  ];
  return { p, files, dirs: [], edits, touchable: ['src/a.txt'], buildOptions() {} };
}

function errorsFamily(r, pick) {
  const p = { sources: ['a.txt'], from: 'tools', failingRun: r() < 0.4 };
  const files = new Map([['a.txt', 'a\n'], ['b.txt', 'b\n'], ['required.txt', 'r\n']]);
  let n = 0;
  const edits = [
    ['source added to COPY', (st) => { const add = pick(['b.txt', 'required.txt', 'missing.txt', '*.md', 'c*.txt']); if (!st.p.sources.includes(add)) st.p.sources = [...st.p.sources, add]; }],
    ['source dropped from COPY', (st) => { if (st.p.sources.length > 1) st.p.sources = st.p.sources.slice(0, -1); }],
    ['a file created', (st) => st.files.set(pick(['missing.txt', 'c1.txt', 'notes.md']), `x${++n}\n`)],
    ['a file deleted', (st) => { const f = pick(['b.txt', 'required.txt', 'missing.txt', 'c1.txt', 'notes.md']); st.files.delete(f); st.modes.delete(f); }],
    ['a file edited', (st) => st.files.set(pick(['a.txt', 'b.txt', 'required.txt']), `v${++n}\n`)],
    ['--from changed', (st) => { st.p.from = pick(['tools', '0', 'Tools', 'nosuch', 'bb:v2']); }],
    ['failing RUN toggled', (st) => { st.p.failingRun = !st.p.failingRun; }],
    ['.dockerignore set', (st) => { st.ignore = pick(['b.txt\n', 'required.txt\n', '*.md\n', '*.txt\n!a.txt\n']); }],
    ['drop .dockerignore', (st) => { st.ignore = null; }],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['a.txt'],
    buildOptions(build, labels) {
      if (r() < 0.15) {
        build.target = pick(['tools', 'nosuch']);
        labels.push(`--target ${build.target}`);
      }
    },
  };
}

function dedupFamily(r, pick) {
  const p = { sameRun: r() < 0.7, twoBase: pick(['bb:latest', 'bb:v1', 'bb:v2']), copy: pick(['a.txt', 'dir', 'a.txt dir/x.txt']), sameRunFinal: r() < 0.5 };
  const files = new Map([['a.txt', 'a\n'], ['dir/x.txt', 'x\n'], ['dir/y.txt', 'y\n']]);
  let n = 0;
  const edits = [
    ['edit a.txt', (st) => st.files.set('a.txt', `a${++n}\n`)],
    ['edit under dir/', (st) => st.files.set(pick(['dir/x.txt', 'dir/y.txt']), `v${++n}\n`)],
    ['chmod a.txt', (st) => st.modes.set('a.txt', (st.modes.get('a.txt') ?? '644') === '644' ? '755' : '644')],
    ['same RUN toggled', (st) => { st.p.sameRun = !st.p.sameRun; }],
    ['second base changed', (st) => { st.p.twoBase = pick(['bb:latest', 'bb:v1', 'bb:v2']); }],
    ['COPY sources changed', (st) => { st.p.copy = pick(['a.txt', 'dir', 'a.txt dir/x.txt']); }],
    ['final RUN toggled', (st) => { st.p.sameRunFinal = !st.p.sameRunFinal; }],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['a.txt'],
    buildOptions(build, labels) {
      if (r() < 0.15) {
        build.target = pick(['one', 'two']);
        labels.push(`--target ${build.target}`);
      }
      if (r() < 0.1) {
        build.noCache = true;
        labels.push('--no-cache');
      }
    },
  };
}

function twinsFamily(r, pick) {
  const p = { word: 'w', workdir: r() < 0.8, sameCopy: r() < 0.6, twoBase: pick(['bb:v1', 'bb:v1', 'bb:latest', 'bb:v2']) };
  const files = new Map([['a.txt', 'a\n'], ['b.txt', 'b\n']]);
  let n = 0;
  const edits = [
    ['edit a.txt', (st) => st.files.set('a.txt', `a${++n}\n`)],
    ['edit b.txt', (st) => st.files.set('b.txt', `b${++n}\n`)],
    ['RUN output changed', (st) => { st.p.word = st.p.word === 'w' ? 'v' : 'w'; }],
    ['WORKDIR toggled', (st) => { st.p.workdir = !st.p.workdir; }],
    ['second COPY source switched', (st) => { st.p.sameCopy = !st.p.sameCopy; }],
    ['second base changed', (st) => { st.p.twoBase = pick(['bb:v1', 'bb:latest', 'bb:v2']); }],
  ];
  return {
    p, files, dirs: [], edits, touchable: ['a.txt'],
    buildOptions(build, labels) {
      if (r() < 0.5) {
        build.noCache = true;
        labels.push('--no-cache');
      }
    },
  };
}

const DESCRIPTIONS = {
  single: 'a single-stage deps-first Dockerfile',
  multi: 'a three-stage deps/builder/final Dockerfile',
  'base-dev-prod': 'a base/dev/prod Dockerfile (global ARG BASE, pkg*.txt wildcard, COPY --chown, ADD of a tar, COPY --from=dev, ENTRYPOINT)',
};

function makeScenario(round, index, seed) {
  const r = rng(seed);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const family = ROUNDS[round].family(index);
  const fam = { tree: treeFamily, meta: metaFamily, stages: stagesFamily, add: addFamily, ignore: ignoreFamily, copyflags: copyflagsFamily, shell: shellFamily, nocache: nocacheFamily, mounts: mountsFamily, errors: errorsFamily, dedup: dedupFamily, twins: twinsFamily }[family]?.(r, pick) ?? appFamily(family, r, pick);
  let s = { files: fam.files, modes: new Map(), dirs: new Set(fam.dirs), p: fam.p, ignore: fam.ignore ?? null, links: {}, dirModes: {}, tarBody: fam.tarBody, tarv: 0, tarSame: false };
  const render = (st) => {
    st.files.set('Dockerfile', DOCKERFILES[family](st.p));
    if (st.ignore === null) st.files.delete('.dockerignore');
    else st.files.set('.dockerignore', st.ignore);
  };
  render(s);
  const first = { label: 'initial' };
  if (s.tarBody) first.tar = { 'assets.tar': s.tarBody };
  if (s.dirs.size) first.mkdir = [...s.dirs].sort();
  const builds = [first];
  const history = [clone(s)];
  const nBuilds = 7 + Math.floor(r() * 3);
  for (let b = 1; b < nBuilds; b++) {
    const before = clone(s);
    s.tarSame = false;
    const labels = [];
    const build = {};
    const roll = r();
    if (roll < 0.12 && history.length >= 3) {
      s = clone(history[history.length - 3]);
      labels.push('revert to two builds back');
    } else if (roll < 0.2) {
      labels.push('nothing changed');
    } else {
      const count = 1 + Math.floor(r() * (r() < 0.3 ? 3 : 1));
      for (let i = 0; i < count; i++) {
        const [label, edit] = pick(fam.edits);
        edit(s);
        labels.push(label);
      }
      if (r() < 0.1) {
        const touched = pick(fam.touchable);
        if (s.files.has(touched)) {
          build.touch = [touched];
          labels.push(`touch ${touched}`);
        }
      }
    }
    render(s);
    Object.assign(build, diff(before, s));
    s.tarSame = false;
    fam.buildOptions(build, labels);
    if (r() < 0.05) {
      build.noCache = true;
      labels.push('--no-cache');
    }
    builds.push({ label: labels.join('; '), ...build });
    history.push(clone(s));
  }
  const start = history[0];
  const name = `cache-${round}-random-${family}-${String(index).padStart(2, '0')}`;
  const rebuilds = builds.length - 1;
  const description = {
    tree: `Seeded random scenario (${round}, seed ${seed}): COPY of directory trees, wildcards and a JSON-form source, then ${rebuilds} rebuilds with random edits of file and directory modes, files added and removed below copied dirs, empty dirs, .dockerignore patterns with exceptions, source spellings, and reverts.`,
    meta: `Seeded random scenario (${round}, seed ${seed}): a parent stage with ONBUILD triggers under a global ARG, a child with ARG/ENV chains, LABEL, EXPOSE, USER, HEALTHCHECK, STOPSIGNAL and CMD, then ${rebuilds} rebuilds with random edits of those instructions, the copied files and build args (declared, derived, undeclared, the base tag), and reverts.`,
    add: `Seeded random scenario (${round}, seed ${seed}): ADD of a local tar (rewritten, members changed, added, removed), of a directory and of a wildcard, ADD --chown and a COPY of the tar, then ${rebuilds} rebuilds with random edits, destination and flag changes, .dockerignore, and reverts.`,
    ignore: `Seeded random scenario (${round}, seed ${seed}): .dockerignore patterns (**, !, leading / and ./, trailing /, comments, spaces) over a nested tree copied by COPY src, *.log and COPY ., then ${rebuilds} rebuilds adding, removing and reordering patterns and editing, adding and removing files and empty dirs, and reverts.`,
    copyflags: `Seeded random scenario (${round}, seed ${seed}): COPY of two files, one file and a directory with --chown spellings (ids, names, user:group) to absolute, relative, trailing-slash and renaming destinations under USER and WORKDIR, then ${rebuilds} rebuilds with random edits of those and of the files, modes, and reverts.`,
    shell: `Seeded random scenario (${round}, seed ${seed}): ARG and ENV expansion into shell-form, exec-form and continued RUNs under SHELL variants, ENTRYPOINT and CMD forms, then ${rebuilds} rebuilds with random edits of those, build args (declared, and one naming an ENV), and reverts.`,
    nocache: `Seeded random scenario (${round}, seed ${seed}): WORKDIRs placed after FROM, after RUN and COPY, and first in a stage built FROM another, then ${rebuilds} rebuilds with frequent --no-cache and --target, random edits of files, stage outputs and WORKDIR placement, and reverts.`,
    mounts: `Seeded random scenario (${round}, seed ${seed}): RUN --mount of context and stage directories (read-only and rw), a cache mount and a tmpfs, then ${rebuilds} rebuilds with random edits of mounted files, the source stage's output, the mount options, .dockerignore, and reverts. The classic builder rejects --mount.`,
    errors: `Seeded random scenario (${round}, seed ${seed}): COPY sources that go missing, match nothing or are excluded, a --from naming a stage, an index, another case, no stage or an image, a RUN that fails, then ${rebuilds} rebuilds that break and repair the build at random, and reverts.`,
    dedup: `Seeded random scenario (${round}, seed ${seed}): two stages with identical or differing RUN and COPY steps on the same or other base images, copied into a final stage that may repeat the RUN, then ${rebuilds} rebuilds with random edits, --target and --no-cache, and reverts.`,
    twins: `Seeded random scenario (${round}, seed ${seed}): two stages with the same RUN, WORKDIR and COPY on one image under two names (or on two images), then ${rebuilds} rebuilds, half of them with --no-cache, with random edits of the files, the RUN, the WORKDIR and the bases, and reverts.`,
    stages: `Seeded random scenario (${round}, seed ${seed}): base/build/test/final stages (FROM <stage>, COPY --from by name, index and image, outputs that change or stay byte-identical), then ${rebuilds} rebuilds with random source and test edits, stage edits, .dockerignore and --target, and reverts.`,
  }[family] ?? `Seeded random scenario (${round}, seed ${seed}): ${DESCRIPTIONS[family]} and ${rebuilds} rebuilds, each with one to three random edits of the kinds the held-back suite covers (copied and uncopied files, ${family === 'base-dev-prod' ? 'symlinks, tar rewrites, ' : ''}modes, .dockerignore, wildcards, empty dirs, build args, ENV/USER/WORKDIR/SHELL, exec vs shell form, --target, base image, reverts).`;
  return {
    name,
    description,
    covers: ['random combinations'],
    files: Object.fromEntries([...start.files].sort()),
    ...(start.modes.size ? { modes: Object.fromEntries(start.modes) } : {}),
    builds,
  };
}

const [round, outDir = path.join(import.meta.dirname, '..', '__tests__', 'fixtures', 'oracle', 'scenarios')] = process.argv.slice(2);
if (!ROUNDS[round]) {
  console.error(`usage: node scripts/random-scenarios.mjs ${Object.keys(ROUNDS).join('|')} [OUT_DIR]`);
  process.exit(2);
}
for (let i = 0; i < ROUNDS[round].count; i++) {
  const scenario = makeScenario(round, i, ROUNDS[round].seed + i);
  fs.writeFileSync(path.join(outDir, `${scenario.name}.json`), `${JSON.stringify(scenario, null, 2)}\n`);
  console.log(scenario.name);
}
