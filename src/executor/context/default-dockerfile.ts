import fs from 'node:fs';
import path from 'node:path';

/**
 * The Dockerfile `docker build CONTEXT` reads without -f: CONTEXT/Dockerfile, else CONTEXT/dockerfile
 * when only that exists (the Docker CLI's fallback; recorded: exec-r2-dockerfile-names).
 */
export function defaultDockerfile(context: string): string {
  const upper = path.join(context, 'Dockerfile');
  const lower = path.join(context, 'dockerfile');
  return !fs.existsSync(upper) && fs.existsSync(lower) ? lower : upper;
}
