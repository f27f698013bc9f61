import type { Change, MissReason, StepPointer } from '../cache/predict.js';

const octal = (m: number | undefined): string => (m === undefined ? '?' : m.toString(8).padStart(4, '0'));
const show = (v: unknown): string => (v === null || v === undefined || v === '' ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v));

/** One change in plain words, e.g. "`src/util.ts` changed", "mode 0644→0755 on run.sh", "ARG VERSION 1→2". */
export function changeText(c: Change): string {
  switch (c.part) {
    case 'file':
      if (c.change === 'added') return `new file ${c.path}`;
      if (c.change === 'removed') return `${c.path} removed`;
      if (c.change === 'mode') return `mode ${octal(c.oldMode)}→${octal(c.newMode)} on ${c.path}`;
      return `${c.path} changed`;
    case 'env':
      if (c.name === '(order)') return `ENV/ARG order changed (${c.old} → ${c.new})`;
      if (c.arg) return c.old === null ? `ARG ${c.name} now set to ${c.new}` : c.new === null ? `ARG ${c.name} no longer set` : `ARG ${c.name} ${c.old}→${c.new}`;
      return c.old === null ? `ENV ${c.name} added` : c.new === null ? `ENV ${c.name} removed` : `ENV ${c.name} changed`;
    case 'base':
      return `the base image changed (${c.old} → ${c.new})`;
    case 'stage-output':
      return `stage ${c.stage}'s ${c.path} changed`;
    case 'parent-image':
      return 'built before only on other images of the steps above (a --no-cache build or a twin stage made newer ones)';
    case 'command':
      return 'the command text changed';
    case 'shell':
      return `SHELL changed (${show(c.old)} → ${show(c.new)})`;
    case 'user':
      return `USER changed (${show(c.old)} → ${show(c.new)})`;
    case 'cwd':
      return `WORKDIR changed (${show(c.old)} → ${show(c.new)})`;
    case 'dest':
      return `destination changed (${show(c.old)} → ${show(c.new)})`;
    case 'chown':
      return `--chown changed (${show(c.old)} → ${show(c.new)})`;
    case 'chmod':
      return `--chmod changed (${show(c.old)} → ${show(c.new)})`;
    case 'sources':
      return 'the source list changed';
    case 'config':
      return 'the image config changed (classic builder keys every instruction by it)';
    default:
      return `${c.part} changed`;
  }
}

export function pointerText(p: StepPointer): string {
  return `${stageLabel(p.stage)} step ${p.position + 1} \`${p.instruction}\` (line ${p.line})`;
}

/** How stages are named in text: their name, else `stage-N` as BuildKit prints them. */
export function stageLabel(stage: { index: number; name: string | null }): string {
  return stage.index < 0 ? 'global' : (stage.name ?? `stage-${stage.index}`);
}

/** The reason of a miss as one clause, e.g. "src/util.ts changed, new file src/new.ts". */
export function reasonText(r: MissReason, maxChanges = 4): string {
  const changes = r.changes.map(changeText);
  const list = changes.length > maxChanges ? [...changes.slice(0, maxChanges), `and ${changes.length - maxChanges} more`] : changes;
  switch (r.cause) {
    case 'cold':
      return 'not built before';
    case 'no-cache':
      return '--no-cache';
    case 'uncacheable':
      return 'the classic builder never caches an ARG before the first FROM';
    case 'inputs':
      return list.join(', ') || 'its inputs changed';
    case 'knock-on': {
      // Its own file changes would miss this step even without the root cause (env changes are inherited, so not repeated).
      const own = r.changes.filter((c) => c.part === 'file' || c.part === 'stage-output').map(changeText);
      const also = own.length ? `; also ${(own.length > maxChanges ? [...own.slice(0, maxChanges), `and ${own.length - maxChanges} more`] : own).join(', ')}` : '';
      return `follows the miss at ${pointerText(r.follows!)}${also}`;
    }
  }
}
