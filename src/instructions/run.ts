import { base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import { commandForm } from './command-form.js';
import type { RunInstruction, RunMount } from './types.js';

const MOUNT_TYPES = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const MOUNT_KEYS = ['type', 'from', 'source', 'src', 'target', 'dst', 'destination', 'readonly', 'ro', 'readwrite', 'rw', 'id', 'sharing', 'mode', 'uid', 'gid', 'required', 'size', 'env'];
const BARE_MOUNT_KEYS = ['readonly', 'ro', 'readwrite', 'rw', 'required'];

/** Splits a `--mount` value like a CSV record: commas separate fields, double quotes group. */
function csvFields(value: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '"') {
      if (quoted && value[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      fields.push(cur);
      cur = '';
    } else cur += ch;
  }
  fields.push(cur);
  return fields;
}

/** Parses `--mount` options; returns an error message for BuildKit's parse-time rejections. */
export function parseMount(raw: string): RunMount | string {
  const options: Record<string, string> = {};
  for (const field of csvFields(raw)) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    if (eq < 0) {
      if (!BARE_MOUNT_KEYS.includes(key)) return `invalid field '${field}' must be a key=value pair`;
      options[key] = '';
      continue;
    }
    if (!MOUNT_KEYS.includes(key)) return `unexpected key '${key}' in '${field}'`;
    options[key] = field.slice(eq + 1);
  }
  const type = options['type'] ?? 'bind';
  if (!MOUNT_TYPES.includes(type)) return `unsupported mount type "${type}"`;
  const sharing = options['sharing'];
  if (sharing !== undefined && !['shared', 'private', 'locked'].includes(sharing)) return `unsupported sharing value "${sharing}"`;
  const target = options['target'] ?? options['dst'] ?? options['destination'];
  if ((type === 'bind' || type === 'cache' || type === 'tmpfs') && (target === undefined || target === '')) {
    return `mount type "${type}" requires a target`;
  }
  return { raw, options };
}

export function parseRun(raw: RawInstruction, ctx: ParseContext): RunInstruction | null {
  const flags = checkFlags(raw, { mount: 'strings', network: 'string', security: 'string' }, ctx);
  if (!flags) return null;
  let ok = true;
  const mounts: RunMount[] = [];
  for (const f of raw.flags) {
    if (f.name !== 'mount' || f.value === null) continue;
    const m = parseMount(f.value);
    if (typeof m === 'string') {
      ctx.error('DF2013', m, f.range, 'see https://docs.docker.com/reference/dockerfile/#run---mount');
      ok = false;
    } else mounts.push(m);
  }
  const network = flags.string.get('network') ?? null;
  if (network !== null && !['default', 'none', 'host'].includes(network)) {
    ctx.error('DF2013', `unsupported network mode "${network}"`, raw.flags.find((f) => f.name === 'network')!.range, 'use default, none or host');
    ok = false;
  }
  const security = flags.string.get('security') ?? null;
  if (security !== null && !['sandbox', 'insecure'].includes(security)) {
    ctx.error('DF2013', `unsupported security mode "${security}"`, raw.flags.find((f) => f.name === 'security')!.range, 'use sandbox or insecure');
    ok = false;
  }
  const form = commandForm(raw, raw.rest, ctx);
  if (!form || !ok) return null;
  return { ...base('RUN', raw), ...form, mounts, network, security, heredocs: raw.heredocs };
}
