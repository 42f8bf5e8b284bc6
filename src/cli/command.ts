/**
 * What a CLI command is. Each command lives in its own file under ./commands/ and is listed in
 * ./commands/index.ts; main.ts does the parsing, help, and error reporting for all of them.
 */
import type { OptionSpec, ParsedArgs, PositionalSpec } from './args.js';
import type { ProgressBar, ProgressOptions } from './progress.js';

/** A writable text stream (process.stdout / process.stderr, or a capture in tests). */
export interface TextStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CommandContext {
  /** Results (tables, JSON): what a user pipes into a file. */
  stdout: TextStream;
  /** Progress, notes, warnings. */
  stderr: TextStream;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** "diffusion-oracle" */
  programName: string;
  version: string;
  /** Aborted on the first Ctrl-C: long commands should stop cleanly (e.g. checkpoint, then exit). */
  signal: AbortSignal;
  /** A progress bar on stderr (TTY-aware). */
  progress(options: Omit<ProgressOptions, 'stream'>): ProgressBar;
  /** A note on stderr. */
  note(message: string): void;
}

export interface Command {
  /** The subcommand word, e.g. "schedule". */
  name: string;
  /** One line for the program's command list. */
  summary: string;
  /** Longer description for `<command> --help` (paragraphs separated by blank lines). */
  description?: string;
  options: OptionSpec[];
  positionals?: PositionalSpec[];
  /** Example invocations (without the program name). */
  examples?: string[];
  /**
   * Do the work. Return the exit code (default 0). Throw UsageError / DiffusionInputError for bad
   * user input (exit 2), DataFileError for a missing or corrupt data file (exit 1); anything else
   * is reported as an internal error with its stack (exit 1).
   */
  run(args: ParsedArgs, ctx: CommandContext): number | void | Promise<number | void>;
}
