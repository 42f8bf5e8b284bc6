/**
 * The diffusion-oracle command-line program: subcommand dispatch, help, version, and the error
 * policy (exit codes 0 ok, 1 runtime failure, 2 usage error).
 *
 * - UsageError (bad command line) and DiffusionInputError (an invalid value, e.g. a schedule with
 *   β ≥ 1): one line on stderr, no stack, exit 2.
 * - DataFileError (missing, truncated or malformed data file): one line, no stack, exit 1.
 * - Anything else is a bug: "internal error" with the stack, exit 1.
 *
 * `main(argv, io)` runs in-process (tests capture the streams); `runCli()` wires it to the real
 * process (bin/diffusion-oracle.js).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, formatOptions, parseArgs, suggest, wrap } from './args.js';
import type { Command, CommandContext, TextStream } from './command.js';
import { COMMANDS } from './commands/index.js';
import { ProgressBar } from './progress.js';

export const PROGRAM_NAME = 'diffusion-oracle';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Interrupted by Ctrl-C (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** The package version, from the nearest package.json named diffusion-oracle above this file. */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PROGRAM_NAME && pkg.version) return pkg.version;
    } catch {
      // not here: go up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'unknown';
}

export interface MainIo {
  stdout?: TextStream;
  stderr?: TextStream;
  env?: Record<string, string | undefined>;
  cwd?: string;
  signal?: AbortSignal;
  /** The command table (default: ./commands/index.ts). */
  commands?: readonly Command[];
}

function programHelp(commands: readonly Command[], version: string): string {
  const w = Math.max(...commands.map((c) => c.name.length), 4) + 2;
  return [
    `${PROGRAM_NAME} ${version}: a correctness oracle for Gaussian diffusion models`,
    '',
    `Usage: ${PROGRAM_NAME} <command> [options]`,
    `       ${PROGRAM_NAME} <command> --help`,
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}${c.summary}`),
    `  ${'help'.padEnd(w)}Show help for a command`,
    '',
    'Options:',
    '  -h, --help     Show this help',
    '  -V, --version  Print the version',
    '',
    'Exit codes: 0 ok, 1 runtime failure (e.g. a missing or corrupt data file), 2 usage error.',
    '',
  ].join('\n');
}

function commandHelp(c: Command): string {
  const pos = (c.positionals ?? []).map((p) => (p.required ? `<${p.name}${p.variadic ? '...' : ''}>` : `[${p.name}${p.variadic ? '...' : ''}]`));
  const out = [`Usage: ${PROGRAM_NAME} ${c.name} [options]${pos.length ? ' ' + pos.join(' ') : ''}`, '', c.summary];
  if (c.description) {
    for (const para of c.description.trim().split(/\n\s*\n/)) out.push('', ...wrap(para.replace(/\s+/g, ' '), 96));
  }
  if (c.positionals?.length) {
    out.push('', 'Arguments:');
    for (const p of c.positionals) out.push(`  ${p.name.padEnd(20)}${p.description}`);
  }
  out.push('', 'Options:');
  out.push(formatOptions(c.options, 100, [['-h, --help', 'Show this help']]));
  if (c.examples?.length) {
    out.push('', 'Examples:');
    for (const e of c.examples) out.push(`  ${PROGRAM_NAME} ${e}`);
  }
  out.push('');
  return out.join('\n');
}

function isNamed(e: unknown, name: string): e is Error {
  return e instanceof Error && e.name === name;
}

/** Run the CLI with `argv` (without node and the script). Resolves to the exit code. */
export async function main(argv: readonly string[], io: MainIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const commands = io.commands ?? COMMANDS;
  const version = packageVersion();
  let current: Command | undefined;
  const prefix = () => `${PROGRAM_NAME}${current ? ' ' + current.name : ''}`;
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '-h' || first === '--help') {
      (first === undefined ? stderr : stdout).write(programHelp(commands, version));
      return first === undefined ? EXIT_USAGE : EXIT_OK;
    }
    if (first === '-V' || first === '--version') {
      stdout.write(`${version}\n`);
      return EXIT_OK;
    }
    if (first === 'help') {
      if (rest.length === 0) {
        stdout.write(programHelp(commands, version));
        return EXIT_OK;
      }
      const c = commands.find((k) => k.name === rest[0]);
      if (!c) throw new UsageError(unknownCommand(rest[0], commands));
      stdout.write(commandHelp(c));
      return EXIT_OK;
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option ${first} (options go after the command: ${PROGRAM_NAME} <command> [options])`);
    current = commands.find((k) => k.name === first);
    if (!current) throw new UsageError(unknownCommand(first, commands));
    const dashdash = rest.indexOf('--');
    const flags = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
    if (flags.includes('--help') || flags.includes('-h')) {
      stdout.write(commandHelp(current));
      return EXIT_OK;
    }
    const args = parseArgs(rest, current.options, current.positionals ?? []);
    const ctx: CommandContext = {
      stdout,
      stderr,
      env: io.env ?? process.env,
      cwd: io.cwd ?? process.cwd(),
      programName: PROGRAM_NAME,
      version,
      signal: io.signal ?? new AbortController().signal,
      progress: (options) => new ProgressBar({ ...options, stream: stderr }),
      note: (message) => stderr.write(`${message}\n`),
    };
    const code = await current.run(args, ctx);
    return code ?? EXIT_OK;
  } catch (e) {
    if (isNamed(e, 'UsageError')) {
      const help = current ? `${PROGRAM_NAME} ${current.name} --help` : `${PROGRAM_NAME} --help`;
      stderr.write(`${prefix()}: error: ${oneLine(e.message)} (see '${help}')\n`);
      return EXIT_USAGE;
    }
    if (isNamed(e, 'DiffusionInputError')) {
      stderr.write(`${prefix()}: error: invalid input: ${oneLine(e.message)}\n`);
      return EXIT_USAGE;
    }
    if (isNamed(e, 'DataFileError')) {
      stderr.write(`${prefix()}: error: data file: ${oneLine(e.message)}\n`);
      return EXIT_FAILURE;
    }
    const detail = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
    stderr.write(`${prefix()}: internal error (a bug; please report it with the command line):\n${detail}\n`);
    return EXIT_FAILURE;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

function unknownCommand(name: string, commands: readonly Command[]): string {
  const hint = suggest(name, commands.map((c) => c.name));
  return `unknown command ${JSON.stringify(name)}${hint ? ` (did you mean ${hint}?)` : ''}; commands: ${commands.map((c) => c.name).join(', ')}`;
}

/**
 * Run as the process: real streams, exit code in process.exitCode, first Ctrl-C aborts
 * `ctx.signal` (commands stop cleanly), a second one exits at once with 130. A closed stdout
 * (e.g. `| head`) ends the program quietly.
 */
export async function runCli(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    process.stderr.write(`\n${PROGRAM_NAME}: interrupted; stopping (press Ctrl-C again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
  try {
    const code = await main(argv, { signal: controller.signal });
    process.exitCode = controller.signal.aborted && code === EXIT_OK ? EXIT_INTERRUPTED : code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
