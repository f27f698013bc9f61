// Lays out an oracle scenario's context and applies each build's edits exactly as
// ../shared/oracle/scenario.mjs does for the real builder, so both see the same files.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface ScenarioBuild {
  label: string;
  write?: Record<string, string>;
  delete?: string[];
  mkdir?: string[];
  chmod?: Record<string, string>;
  touch?: string[];
  symlink?: Record<string, string>;
  tar?: Record<string, Record<string, string>>;
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  dockerfile?: string;
}

export interface Scenario {
  name: string;
  files: Record<string, string>;
  modes?: Record<string, string>;
  builds: ScenarioBuild[];
}

function write(dir: string, rel: string, content: string): void {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.rmSync(p, { force: true });
  fs.writeFileSync(p, content);
}

function writeTar(dir: string, rel: string, files: Record<string, string>): void {
  const out = path.join(dir, rel);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const src = fs.mkdtempSync(path.join(path.dirname(out), '.tar-src-'));
  for (const [name, content] of Object.entries(files)) write(src, name, content);
  const tops = [...new Set(Object.keys(files).map((f) => f.split('/')[0]!))];
  execFileSync('tar', ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '-C', src, '-cf', out, ...tops]);
  fs.rmSync(src, { recursive: true, force: true });
}

export function layOut(dir: string, scenario: Scenario): void {
  for (const [rel, content] of Object.entries(scenario.files)) write(dir, rel, content);
  for (const [rel, mode] of Object.entries(scenario.modes ?? {})) fs.chmodSync(path.join(dir, rel), parseInt(mode, 8));
}

export function applyEdits(dir: string, build: ScenarioBuild, buildIndex: number): void {
  for (const [rel, content] of Object.entries(build.write ?? {})) write(dir, rel, content);
  for (const [rel, files] of Object.entries(build.tar ?? {})) writeTar(dir, rel, files);
  for (const [rel, target] of Object.entries(build.symlink ?? {})) {
    const p = path.join(dir, rel);
    fs.rmSync(p, { force: true });
    fs.symlinkSync(target, p);
  }
  for (const rel of build.delete ?? []) fs.rmSync(path.join(dir, rel), { recursive: true, force: true });
  for (const rel of build.mkdir ?? []) fs.mkdirSync(path.join(dir, rel), { recursive: true });
  for (const [rel, mode] of Object.entries(build.chmod ?? {})) fs.chmodSync(path.join(dir, rel), parseInt(mode, 8));
  for (const rel of build.touch ?? []) {
    const t = new Date(Date.UTC(2030, 0, 1) + 60000 * (buildIndex + 1));
    fs.utimesSync(path.join(dir, rel), t, t);
  }
}
