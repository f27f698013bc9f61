/**
 * What RUN commands do, read from their text: dependency installs and apt-get index updates.
 * Word-boundary regexes over the command text are enough here: advice only needs to recognise the
 * common spellings, and a miss means no advice, never a wrong prediction.
 */
import type { RunInstruction } from '../../instructions/types.js';

/** The text the shell runs: the shell-form command or the exec-form words, plus heredoc bodies. */
export function runText(run: RunInstruction): string {
  const main = run.form === 'shell' ? run.command : run.args.join(' ');
  return [main, ...run.heredocs.map((h) => h.content)].join('\n');
}

export interface InstallKind {
  /** How the install is spelled, for messages (`npm ci`, `pip install -r`). */
  tool: string;
  /** Files the install reads, in the order to name them; only those present in the context are suggested. */
  manifests: string[];
}

const INSTALLS: Array<{ re: RegExp; tool: string; manifests: string[] | ((m: RegExpExecArray) => string[]) }> = [
  { re: /\bnpm\s+(ci|install|i)\b/, tool: 'npm $1', manifests: ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'] },
  { re: /(?:^|[\s;&|(])yarn(?:\s+install\b|\s+--[\w-]+|\s*(?:$|[;&|)]))/m, tool: 'yarn install', manifests: ['package.json', 'yarn.lock', '.yarnrc.yml', '.yarnrc'] },
  { re: /\bpnpm\s+(install|i|fetch)\b/, tool: 'pnpm $1', manifests: ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc'] },
  { re: /\bpip3?\s+install\b[^\n;&|]*?\s(?:-r|--requirement)[\s=]+(\S+)/, tool: 'pip install -r', manifests: (m) => [m[1]!] },
  { re: /\bpoetry\s+install\b/, tool: 'poetry install', manifests: ['pyproject.toml', 'poetry.lock'] },
  { re: /\bpipenv\s+(install|sync)\b/, tool: 'pipenv $1', manifests: ['Pipfile', 'Pipfile.lock'] },
  { re: /\buv\s+sync\b/, tool: 'uv sync', manifests: ['pyproject.toml', 'uv.lock'] },
  { re: /\bbundle\s+install\b/, tool: 'bundle install', manifests: ['Gemfile', 'Gemfile.lock'] },
  { re: /\bgo\s+mod\s+download\b/, tool: 'go mod download', manifests: ['go.mod', 'go.sum'] },
  { re: /\bcargo\s+(fetch|build)\b/, tool: 'cargo $1', manifests: ['Cargo.toml', 'Cargo.lock'] },
  { re: /\bmvn\b[^\n;&|]*\bdependency:(go-offline|resolve)\b/, tool: 'mvn dependency:$1', manifests: ['pom.xml'] },
  { re: /\bcomposer\s+install\b/, tool: 'composer install', manifests: ['composer.json', 'composer.lock'] },
  { re: /\bdotnet\s+restore\b/, tool: 'dotnet restore', manifests: ['*.csproj', '*.sln', 'NuGet.Config'] },
  // a package list kept in the context: `xargs apt-get install < apt.txt`, `apt-get install $(cat apt.txt)`
  { re: /\bapt(?:-get)?\s+install\b[^\n]*?(?:<\s*|\$\(\s*cat\s+|`cat\s+)([\w./-]+)/, tool: 'apt-get install', manifests: (m) => [m[1]!] },
  { re: /(?:<\s*|\bcat\s+)([\w./-]+)[^\n]*?\|\s*xargs\b[^\n]*\bapt(?:-get)?\s+install\b/, tool: 'apt-get install', manifests: (m) => [m[1]!] },
];

/** The dependency install a RUN performs, or null. The first matching tool wins. */
export function dependencyInstall(text: string): InstallKind | null {
  for (const { re, tool, manifests } of INSTALLS) {
    const m = re.exec(text);
    if (!m) continue;
    return { tool: tool.replace('$1', m[1] ?? ''), manifests: typeof manifests === 'function' ? manifests(m) : manifests };
  }
  return null;
}

/** `apt-get update` / `apt update` in the text. */
export function hasAptUpdate(text: string): boolean {
  return /\bapt(?:-get)?\s+(?:-\S+\s+)*update\b/.test(text);
}

/** Any apt-get/apt install (or upgrade) in the text: an update chained with one is fine. */
export function hasAptInstall(text: string): boolean {
  return /\bapt(?:-get)?\s+(?:-\S+\s+)*(?:install|upgrade|dist-upgrade|full-upgrade|build-dep)\b/.test(text);
}
