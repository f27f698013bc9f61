import { splitWhitespace } from '../syntax/words.js';
import { argRange, base, checkFlags, type ParseContext, type RawInstruction } from './raw.js';
import type { FromInstruction } from './types.js';

const VALID_STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

/** `FROM [--platform=<p>] <image> [AS <name>]` (BuildKit parseFrom / parseBuildStageName). */
export function parseFrom(raw: RawInstruction, ctx: ParseContext): FromInstruction | null {
  const args = splitWhitespace(raw.rest.text, raw.rest.start);
  const flags = checkFlags(raw, { platform: 'string' }, ctx);
  let stageName: string | null = null;
  const image = args[0];
  const as = args[1];
  const name = args[2];
  if (args.length === 3 && as && name && as.text.toLowerCase() === 'as') {
    stageName = name.text;
    if (!VALID_STAGE_NAME.test(name.text.toLowerCase())) {
      ctx.error('DF2005', `invalid name for build stage: ${JSON.stringify(name.text)}, name can't start with a number or contain symbols`,
        argRange(raw, name), 'stage names match [a-z][a-z0-9-_.]*');
      return null;
    }
    if (name.text !== name.text.toLowerCase()) {
      ctx.warn('DF2102', `Stage name '${name.text}' should be lowercase`, argRange(raw, name), `write AS ${name.text.toLowerCase()}`);
    }
    const kw = raw.keyword.text;
    const kwUpper = kw === kw.toUpperCase();
    const kwLower = kw === kw.toLowerCase();
    if ((kwUpper && as.text !== as.text.toUpperCase()) || (kwLower && as.text !== as.text.toLowerCase())) {
      ctx.warn('DF2103', `'${as.text}' and '${kw}' keywords' casing do not match`, argRange(raw, as));
    }
  } else if (args.length !== 1 || !image) {
    ctx.error('DF2001', 'FROM requires either one or three arguments', argRange(raw), 'write FROM <image> [AS <name>]');
    return null;
  }
  if (!flags || !image) return null;
  return { ...base('FROM', raw), image: image.text, platform: flags.string.get('platform') ?? null, stageName };
}
