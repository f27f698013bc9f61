import { allInstructions, finding, type AdviceInput, type AdviceRule, type Finding } from '../types.js';

/**
 * DF5007: BuildKit copies with --link onto scratch only when --chmod is not set
 * (dockerfile2llb convert_copy: link && chmod == ""); with --chmod it silently copies onto the
 * previous layer, so the COPY keeps depending on every earlier step.
 */
export const linkWithChmod: AdviceRule = {
  code: 'DF5007',
  name: 'link-with-chmod',
  severity: 'warning',
  summary: '`--link` together with `--chmod`: BuildKit silently turns --link off.',
  check(input: AdviceInput): Finding[] {
    const out: Finding[] = [];
    for (const { instruction: i } of allInstructions(input)) {
      if ((i.kind !== 'COPY' && i.kind !== 'ADD') || !i.link || i.chmod === null) continue;
      out.push(
        finding(
          this,
          input,
          i,
          `\`${i.original.trim()}\` sets --chmod, so BuildKit silently ignores --link: the copy is not independent of the earlier layers and misses whenever any earlier step changes.`,
          'Drop --chmod and give the files their mode in the context (or in a later RUN), or drop --link if you need --chmod.',
        ),
      );
    }
    return out;
  },
};
