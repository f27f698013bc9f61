import fs from 'node:fs';
import path from 'node:path';
import { predict, type Prediction } from './cache/predict.js';
import { CacheStore, defaultCacheDir } from './cache/store.js';
import { DfsimError, error, type Diagnostic } from './diagnostics/diagnostic.js';
import { loadBaseImage, type BaseImage } from './executor/base-image.js';
import { executeBuild } from './executor/build.js';
import { loadContext } from './executor/context/index.js';
import { hashJson, initHasher } from './executor/hash.js';
import type { Builder, BuildResult, StepResult } from './executor/types.js';
import { planBuild, type BuildPlan } from './instructions/stages.js';
import type { ParsedDockerfile } from './instructions/types.js';
import { parseDockerfile } from './syntax/parse.js';

export interface SimulateOptions {
  context: string;
  /** -f: defaults to CONTEXT/Dockerfile. */
  dockerfile?: string;
  target?: string;
  buildArgs?: Map<string, string>;
  platform?: string;
  builder?: Builder;
  noCache?: boolean;
  noCacheFilter?: string[];
  cacheDir?: string;
  /** REF=PATH pairs from --base-image. */
  baseImages?: Map<string, string>;
  /** Record the build in the store (dfsim build) or only predict (dfsim plan). */
  record: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface Simulation {
  parsed: ParsedDockerfile;
  plan: BuildPlan;
  result: BuildResult;
  prediction: Prediction;
  warnings: Diagnostic[];
  dockerfile: string;
}

/** The whole pipeline: parse → plan → read the context → execute → predict the cache → (record). */
export async function simulate(opts: SimulateOptions): Promise<Simulation> {
  await initHasher();
  const builder = opts.builder ?? 'buildkit';
  const contextDir = path.resolve(opts.context);
  if (!fs.existsSync(contextDir) || !fs.statSync(contextDir).isDirectory()) {
    throw new DfsimError(error('DF9001', `build context "${opts.context}" is not a directory`, undefined, 'Pass the directory that holds your sources (default: .).'), 1);
  }
  const dockerfileArg = opts.dockerfile ?? path.join(opts.context, 'Dockerfile');
  const dockerfilePath = path.resolve(opts.dockerfile ? dockerfileArg : dockerfileArg);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(dockerfilePath);
  } catch {
    throw new DfsimError(error('DF9002', `cannot read Dockerfile "${dockerfileArg}"`, undefined, 'Check the path, or pass the file with -f.'), 1);
  }
  const displayName = path.relative(process.cwd(), dockerfilePath) || dockerfileArg;
  const parsed = parseDockerfile(bytes, displayName);
  const buildArgs = opts.buildArgs ?? new Map<string, string>();
  const planOptions: Parameters<typeof planBuild>[1] = { buildArgs, builder };
  if (opts.target !== undefined) planOptions.target = opts.target;
  if (opts.platform !== undefined) planOptions.platform = opts.platform;
  const plan = planBuild(parsed, planOptions);

  const cacheDir = path.resolve(opts.cacheDir ?? defaultCacheDir());
  const contextOptions: Parameters<typeof loadContext>[1] = { builder, dockerfile: dockerfilePath, statCachePath: path.join(cacheDir, 'stat', `${hashJson(contextDir)}.json`) };
  if (opts.onProgress) contextOptions.onProgress = opts.onProgress;
  const context = await loadContext(contextDir, contextOptions);

  const baseImages = new Map<string, BaseImage>();
  for (const [ref, file] of opts.baseImages ?? []) baseImages.set(ref, await loadBaseImage(ref, file));

  const result = await executeBuild({ builder, parsed, plan, context, buildArgs, baseImages });
  const store = new CacheStore(cacheDir);
  const scope = hashJson({ context: contextDir, dockerfile: dockerfilePath, builder });
  const stepId = (s: StepResult): string => hashJson({ scope, stage: s.stage.name?.toLowerCase() ?? s.stage.index, position: s.position, kind: s.kind });
  const predictOptions = { noCache: opts.noCache ?? false, noCacheFilter: opts.noCacheFilter ?? [], stepId };
  const prediction = predict(result, store, predictOptions);
  if (opts.record) {
    const entries = result.steps
      .filter((s) => s.key && s !== result.failedStep)
      .map((s) => {
        const record = { digest: s.key!.digest, builder, parent: s.key!.parent, parts: s.key!.parts, meta: s.key!.meta ?? {} };
        return s.key!.manifests ? { stepId: stepId(s), record, manifests: s.key!.manifests } : { stepId: stepId(s), record };
      });
    store.save(entries);
  }
  const unknownBases = [...new Set(plan.stages.flatMap((s) => (s.base.kind === 'image' && !baseImages.has(s.base.ref) ? [s.base.ref] : [])))];
  const baseWarnings: Diagnostic[] = unknownBases.map((ref) => ({
    code: 'DF3106',
    severity: 'info',
    message: `base image ${ref} is not known to dfsim: modelled as an empty filesystem, its own layers not counted, RUN effects on it partly opaque`,
    file: displayName,
    hint: `Pass the real image with --base-image ${ref}=IMAGE.tar (from \`docker save ${ref}\`) for exact files and layer counts.`,
  }));
  return { parsed, plan, result, prediction, warnings: [...parsed.warnings, ...baseWarnings, ...store.warnings], dockerfile: displayName };
}
