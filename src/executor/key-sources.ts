import type { ContentSource, FileManifest, StepKey } from './types.js';

/**
 * The context files a step's key was computed from, by source: each selected path (context-relative,
 * '.' for the root) with its manifest. Keys name content by position (BuildKit) or path (classic);
 * this reads where it came from in the key's meta. Another stage's output is left out.
 */
export function contextInputs(key: StepKey | null | undefined): Array<{ path: string; manifest: FileManifest }> {
  if (!key?.manifests) return [];
  const sources = (key.meta?.sources ?? {}) as Record<string, ContentSource>;
  const out: Array<{ path: string; manifest: FileManifest }> = [];
  for (const [name, manifest] of Object.entries(key.manifests)) {
    const source = sources[name];
    if (!source || source.stage !== undefined) continue;
    out.push({ path: source.path, manifest });
  }
  return out;
}
