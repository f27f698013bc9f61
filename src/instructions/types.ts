import type { Diagnostic } from '../diagnostics/diagnostic.js';
import type { Range } from '../syntax/position.js';

/** Every instruction keyword Docker's reference defines, upper-case. */
export const KEYWORDS = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT',
  'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
] as const;
export type Keyword = (typeof KEYWORDS)[number];

/** A `--name=value` flag as written before the instruction's arguments. Values are raw (unexpanded). */
export interface Flag {
  name: string;
  /** null for a bare flag such as `--link`. */
  value: string | null;
  range: Range;
}

export interface Heredoc {
  /** The delimiter word without quotes. */
  name: string;
  /** False when the delimiter was quoted (`<<'EOF'`, `<<"EOF"`): the builder does not expand the body. */
  expand: boolean;
  /** `<<-EOF`: leading tabs are stripped from every body line and from the terminator. */
  stripTabs: boolean;
  /**
   * The body exactly as Docker passes it on: every body line with its line ending as in the file
   * (so '\n'-terminated; a CRLF file keeps its '\r\n', as BuildKit does), tabs stripped when stripTabs.
   */
  content: string;
  range: Range;
}

interface InstructionBase<K extends Keyword> {
  kind: K;
  /**
   * The instruction as written, continuation lines joined the way Docker joins them (BuildKit's
   * node.Original). Heredoc bodies are not part of it (they are in `heredocs`), as in BuildKit.
   */
  original: string;
  /** From the keyword's first character to the end of the last line (heredoc bodies included). */
  range: Range;
  /** Flags in source order. Validated per kind by the parser (unknown flags are diagnostics). */
  flags: Flag[];
}

/** Shell form keeps the command string verbatim (it is the cache key); exec form keeps the JSON array. */
export type CommandForm = { form: 'shell'; command: string } | { form: 'exec'; args: string[] };

export interface FromInstruction extends InstructionBase<'FROM'> {
  /** Raw image reference (may contain `$VAR` of global ARGs), or a stage name. */
  image: string;
  /** Raw `--platform` value, unexpanded. */
  platform: string | null;
  /** Stage name after `AS`, as written (lookups are case-insensitive). */
  stageName: string | null;
}

export interface RunMount {
  /** The raw `--mount` value; options are expanded by the executor. */
  raw: string;
  /** Parsed `key=value` options (keys lower-case); a bare option (`rw`, `readonly`) maps to ''. */
  options: Record<string, string>;
}

export type RunInstruction = InstructionBase<'RUN'> & CommandForm & {
  mounts: RunMount[];
  network: string | null;
  security: string | null;
  heredocs: Heredoc[];
};

export type CmdInstruction = InstructionBase<'CMD'> & CommandForm;
export type EntrypointInstruction = InstructionBase<'ENTRYPOINT'> & CommandForm;

export interface ShellInstruction extends InstructionBase<'SHELL'> {
  args: string[];
}

interface CopyLike {
  /** Raw source words (unexpanded). Heredoc sources appear as `<<NAME` here and in `heredocs`. */
  sources: string[];
  /** Raw destination word (unexpanded). */
  dest: string;
  /** True when the arguments were a JSON array. */
  json: boolean;
  chown: string | null;
  chmod: string | null;
  link: boolean;
  exclude: string[];
  heredocs: Heredoc[];
}

export interface CopyInstruction extends InstructionBase<'COPY'>, CopyLike {
  /** Raw `--from` value: stage name, stage index or image. Variables are an error (checked by the parser). */
  from: string | null;
  parents: boolean;
}

export interface AddInstruction extends InstructionBase<'ADD'>, CopyLike {
  checksum: string | null;
  keepGitDir: boolean | null;
  /** `--unpack` (newer Dockerfile frontends); null when not given. */
  unpack: boolean | null;
}

export interface KeyValue {
  /** Raw key with its quotes (`LABEL "a.b"=c` gives `"a.b"`), expanded by the executor like the value. */
  key: string;
  /** Raw value with its quotes, expanded by the executor with the env in effect before the instruction. */
  value: string;
}

export interface EnvInstruction extends InstructionBase<'ENV'> {
  pairs: KeyValue[];
}

export interface LabelInstruction extends InstructionBase<'LABEL'> {
  pairs: KeyValue[];
}

export interface ArgDeclaration {
  name: string;
  /** Raw default, or null when none was given (`ARG NAME`). */
  defaultValue: string | null;
}

export interface ArgInstruction extends InstructionBase<'ARG'> {
  args: ArgDeclaration[];
}

export interface ExposeInstruction extends InstructionBase<'EXPOSE'> {
  ports: string[];
}

export interface VolumeInstruction extends InstructionBase<'VOLUME'> {
  paths: string[];
  json: boolean;
}

export interface UserInstruction extends InstructionBase<'USER'> {
  user: string;
}

export interface WorkdirInstruction extends InstructionBase<'WORKDIR'> {
  path: string;
}

export interface StopsignalInstruction extends InstructionBase<'STOPSIGNAL'> {
  signal: string;
}

export interface MaintainerInstruction extends InstructionBase<'MAINTAINER'> {
  name: string;
}

export interface HealthcheckOptions {
  interval: string | null;
  timeout: string | null;
  startPeriod: string | null;
  startInterval: string | null;
  retries: string | null;
}

export type HealthcheckInstruction = InstructionBase<'HEALTHCHECK'> & {
  options: HealthcheckOptions;
} & ({ none: true } | ({ none: false } & CommandForm));

export interface OnbuildInstruction extends InstructionBase<'ONBUILD'> {
  /** The trigger, parsed like a top-level instruction (never FROM, ONBUILD or MAINTAINER). */
  trigger: Instruction;
}

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | EnvInstruction
  | AddInstruction
  | CopyInstruction
  | EntrypointInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | ShellInstruction;

export type InstructionOf<K extends Keyword> = Extract<Instruction, { kind: K }>;

export interface ParserDirective {
  name: string;
  value: string;
  range: Range;
}

export interface Stage {
  index: number;
  /** Name after `AS` as written, or null. */
  name: string | null;
  from: FromInstruction;
  /** The stage's instructions after FROM, in order. */
  instructions: Instruction[];
}

/** A Dockerfile read the way Docker reads it. Structure only: nothing here is expanded. */
export interface ParsedDockerfile {
  /** Path as the user gave it (for messages), never an absolute path of this machine in fixtures. */
  file: string;
  escapeToken: '\\' | '`';
  directives: ParserDirective[];
  /** ARG instructions before the first FROM (global scope). */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  /** Warnings found while parsing (errors are thrown as DfsimError). */
  warnings: Diagnostic[];
}
