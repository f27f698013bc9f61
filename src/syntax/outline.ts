/**
 * A stable one-line-per-instruction dump of a parsed Dockerfile, for golden tests and
 * debugging. Strings are JSON-quoted so whitespace and escapes are visible.
 */
import type { Flag, Heredoc, Instruction, ParsedDockerfile } from '../instructions/types.js';

const q = (s: string): string => JSON.stringify(s);
const list = (xs: string[]): string => `[${xs.map(q).join(', ')}]`;

function lines(ins: Instruction): string {
  const r = ins.range;
  return r.start.line === r.end.line ? `L${r.start.line}` : `L${r.start.line}-${r.end.line}`;
}

function heredocs(hs: Heredoc[]): string[] {
  return hs.map((h) => `heredoc=${q(h.name)}${h.expand ? '' : '(quoted)'}${h.stripTabs ? '(strip-tabs)' : ''}:${q(h.content)}`);
}

function flags(fs: Flag[]): string[] {
  return fs.map((f) => (f.value === null ? `--${f.name}` : `--${f.name}=${q(f.value)}`));
}

function form(ins: { form: 'shell'; command: string } | { form: 'exec'; args: string[] }): string {
  return ins.form === 'shell' ? `shell ${q(ins.command)}` : `exec ${list(ins.args)}`;
}

/** The instruction's kind-specific fields, without the line range. */
export function describeInstruction(ins: Instruction): string {
  const parts: string[] = [ins.kind];
  switch (ins.kind) {
    case 'FROM':
      parts.push(q(ins.image));
      if (ins.platform !== null) parts.push(`platform=${q(ins.platform)}`);
      if (ins.stageName !== null) parts.push(`as=${q(ins.stageName)}`);
      break;
    case 'RUN':
      parts.push(...flags(ins.flags), form(ins), ...heredocs(ins.heredocs));
      break;
    case 'CMD':
    case 'ENTRYPOINT':
      parts.push(form(ins));
      break;
    case 'SHELL':
      parts.push(list(ins.args));
      break;
    case 'COPY':
    case 'ADD':
      parts.push(...flags(ins.flags), ins.json ? 'json' : 'words', `src=${list(ins.sources)}`, `dest=${q(ins.dest)}`, ...heredocs(ins.heredocs));
      break;
    case 'ENV':
    case 'LABEL':
      parts.push(...ins.pairs.map((p) => `${q(p.key)}=${q(p.value)}`));
      break;
    case 'ARG':
      parts.push(...ins.args.map((a) => (a.defaultValue === null ? q(a.name) : `${q(a.name)}=${q(a.defaultValue)}`)));
      break;
    case 'EXPOSE':
      parts.push(list(ins.ports));
      break;
    case 'VOLUME':
      parts.push(ins.json ? 'json' : 'words', list(ins.paths));
      break;
    case 'USER':
      parts.push(q(ins.user));
      break;
    case 'WORKDIR':
      parts.push(q(ins.path));
      break;
    case 'STOPSIGNAL':
      parts.push(q(ins.signal));
      break;
    case 'MAINTAINER':
      parts.push(q(ins.name));
      break;
    case 'HEALTHCHECK':
      if (ins.none) parts.push('NONE');
      else {
        const o = ins.options;
        const opts: [string, string | null][] = [['interval', o.interval], ['timeout', o.timeout], ['start-period', o.startPeriod], ['start-interval', o.startInterval], ['retries', o.retries]];
        parts.push(...opts.filter(([, v]) => v !== null).map(([k, v]) => `--${k}=${q(v!)}`), `CMD ${form(ins)}`);
      }
      break;
    case 'ONBUILD':
      parts.push(describeInstruction(ins.trigger));
      break;
  }
  return parts.join(' ');
}

export function formatOutline(parsed: ParsedDockerfile): string {
  const out: string[] = [];
  out.push(`escape ${parsed.escapeToken}`);
  for (const d of parsed.directives) out.push(`directive ${d.name}=${q(d.value)}`);
  for (const a of parsed.metaArgs) out.push(`global ${lines(a)} ${describeInstruction(a)}`);
  for (const s of parsed.stages) {
    out.push(`stage ${s.index}${s.name === null ? '' : ` ${q(s.name)}`} ${lines(s.from)} ${describeInstruction(s.from)}`);
    for (const ins of s.instructions) out.push(`  ${lines(ins)} ${describeInstruction(ins)}`);
  }
  for (const w of parsed.warnings) out.push(`warning ${w.code} L${w.range?.start.line ?? 0}: ${w.message}`);
  return out.join('\n') + '\n';
}
