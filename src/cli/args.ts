/**
 * Command-line parsing for the CLI (no dependency): each command declares its options, the parser
 * turns argv into typed values, and every user mistake is a UsageError with a one-line message
 * (unknown option — with a suggestion —, missing or malformed value, value out of range, value not
 * among the choices, missing required option, option given twice, missing file).
 */
import { existsSync, statSync } from 'node:fs';

/** A mistake on the command line: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionType = 'string' | 'int' | 'number' | 'boolean' | 'file';

export interface OptionSpec {
  /** Long name without the leading dashes, kebab-case (e.g. "beta-start"). */
  name: string;
  /** One-letter alias (used as -x). */
  short?: string;
  /**
   * 'int' / 'number' are parsed and range-checked; 'boolean' takes no value (--flag / --no-flag);
   * 'file' is a path that must name an existing regular file; 'string' is anything.
   */
  type: OptionType;
  description: string;
  default?: string | number | boolean;
  /** Allowed values (type 'string'). */
  choices?: readonly string[];
  /** Inclusive bounds ('int' / 'number'). */
  min?: number;
  max?: number;
  required?: boolean;
  /** Placeholder in help, e.g. "N", "FILE" (default from the type). */
  valueName?: string;
}

export interface PositionalSpec {
  name: string;
  description: string;
  required?: boolean;
  /** Collects all remaining positionals (last positional only). */
  variadic?: boolean;
}

export type OptionValue = string | number | boolean;

/** The parsed command line of one command. */
export class ParsedArgs {
  constructor(
    private readonly values: Map<string, OptionValue>,
    readonly positionals: string[],
    /** Options given explicitly on the command line (not defaulted). */
    readonly given: ReadonlySet<string>,
  ) {}

  private get(name: string): OptionValue | undefined {
    return this.values.get(name);
  }
  private typed<T>(name: string, type: string, ok: (v: OptionValue) => boolean): T | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (!ok(v)) throw new Error(`option --${name} is not a ${type} (${JSON.stringify(v)}): the command's option spec and its use disagree`);
    return v as T;
  }
  /** Whether the option has a value (given or defaulted). */
  has(name: string): boolean {
    return this.values.has(name);
  }
  string(name: string): string | undefined {
    return this.typed<string>(name, 'string', (v) => typeof v === 'string');
  }
  number(name: string): number | undefined {
    return this.typed<number>(name, 'number', (v) => typeof v === 'number');
  }
  boolean(name: string): boolean {
    return this.typed<boolean>(name, 'boolean', (v) => typeof v === 'boolean') ?? false;
  }
  /** A value that must be present (a required option or one with a default). */
  require<T extends OptionValue>(name: string): T {
    const v = this.get(name);
    if (v === undefined) throw new UsageError(`missing required option --${name}`);
    return v as T;
  }
  /** All values, for commands that pass options through (e.g. into a JSON record). */
  entries(): [string, OptionValue][] {
    return [...this.values.entries()];
  }
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate within edit distance 2 (or a prefix match), for "did you mean" hints. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = c.startsWith(word) && word.length >= 3 ? 1 : editDistance(word, c);
    if (dist < bestD) {
      bestD = dist;
      best = c;
    }
  }
  return bestD <= 2 ? best : undefined;
}

function parseValue(spec: OptionSpec, raw: string, flag: string): OptionValue {
  switch (spec.type) {
    case 'boolean': {
      if (/^(true|yes|1|on)$/i.test(raw)) return true;
      if (/^(false|no|0|off)$/i.test(raw)) return false;
      throw new UsageError(`${flag}: expected true or false, got ${JSON.stringify(raw)}`);
    }
    case 'int':
    case 'number': {
      const s = raw.trim();
      const isInt = spec.type === 'int';
      const ok = isInt ? /^[+-]?\d+$/.test(s) : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s);
      const v = Number(s);
      if (!ok || !Number.isFinite(v) || (isInt && !Number.isSafeInteger(v))) {
        throw new UsageError(`${flag}: expected ${isInt ? 'an integer' : 'a number'}, got ${JSON.stringify(raw)}`);
      }
      if (spec.min !== undefined && v < spec.min) throw new UsageError(`${flag}: must be ≥ ${spec.min}, got ${raw}`);
      if (spec.max !== undefined && v > spec.max) throw new UsageError(`${flag}: must be ≤ ${spec.max}, got ${raw}`);
      return v;
    }
    case 'file': {
      if (raw === '') throw new UsageError(`${flag}: expected a file path, got an empty string`);
      if (!existsSync(raw)) throw new UsageError(`${flag}: file not found: ${raw}`);
      if (!statSync(raw).isFile()) throw new UsageError(`${flag}: not a regular file: ${raw}`);
      return raw;
    }
    case 'string': {
      if (spec.choices && !spec.choices.includes(raw)) {
        const hint = suggest(raw, spec.choices);
        throw new UsageError(`${flag}: unknown value ${JSON.stringify(raw)}; expected one of ${spec.choices.join(', ')}${hint ? ` (did you mean ${hint}?)` : ''}`);
      }
      return raw;
    }
  }
}

/**
 * Parse argv (without the program and command names) against the specs. `--help`/`-h` are not
 * handled here (main.ts looks for them first).
 */
export function parseArgs(argv: readonly string[], options: readonly OptionSpec[], positionals: readonly PositionalSpec[] = []): ParsedArgs {
  const byName = new Map(options.map((o) => [o.name, o]));
  const byShort = new Map(options.filter((o) => o.short).map((o) => [o.short as string, o]));
  const values = new Map<string, OptionValue>();
  const given = new Set<string>();
  const pos: string[] = [];
  const set = (spec: OptionSpec, v: OptionValue, flag: string) => {
    if (given.has(spec.name)) throw new UsageError(`${flag}: option --${spec.name} given twice`);
    given.add(spec.name);
    values.set(spec.name, v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      pos.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      let name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const inline = eq >= 0 ? a.slice(eq + 1) : undefined;
      let spec = byName.get(name);
      let negated = false;
      if (!spec && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
        spec = byName.get(name.slice(3));
        negated = true;
        name = name.slice(3);
      }
      if (!spec) {
        const hint = suggest(name, [...byName.keys()]);
        throw new UsageError(`unknown option --${name}${hint ? ` (did you mean --${hint}?)` : ''}`);
      }
      const flag = `--${spec.name}`;
      if (spec.type === 'boolean') {
        if (negated && inline !== undefined) throw new UsageError(`--no-${spec.name} takes no value`);
        set(spec, negated ? false : inline === undefined ? true : parseValue(spec, inline, flag), flag);
        continue;
      }
      let raw = inline;
      if (raw === undefined) {
        if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
        raw = argv[++i];
      }
      set(spec, parseValue(spec, raw, flag), flag);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-[\d.]/.test(a)) {
      const key = a.slice(1, 2);
      const spec = byShort.get(key);
      if (!spec) throw new UsageError(`unknown option ${a}`);
      const flag = `-${key}`;
      const rest = a.slice(2);
      if (spec.type === 'boolean') {
        if (rest) throw new UsageError(`${flag} takes no value`);
        set(spec, true, flag);
        continue;
      }
      let raw = rest.startsWith('=') ? rest.slice(1) : rest;
      if (!raw) {
        if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
        raw = argv[++i];
      }
      set(spec, parseValue(spec, raw, flag), flag);
      continue;
    }
    pos.push(a);
  }
  for (const o of options) {
    if (!values.has(o.name) && o.default !== undefined) values.set(o.name, o.default);
    if (o.required && !values.has(o.name)) throw new UsageError(`missing required option --${o.name}`);
  }
  const variadic = positionals.length > 0 && positionals[positionals.length - 1].variadic;
  if (!variadic && pos.length > positionals.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(pos[positionals.length])}`);
  }
  positionals.forEach((p, k) => {
    if (p.required && pos.length <= k) throw new UsageError(`missing argument <${p.name}>`);
  });
  return new ParsedArgs(values, pos, given);
}

function valueName(o: OptionSpec): string {
  if (o.valueName) return o.valueName;
  switch (o.type) {
    case 'int':
      return 'N';
    case 'number':
      return 'X';
    case 'file':
      return 'FILE';
    default:
      return o.choices ? 'NAME' : 'VALUE';
  }
}

/** The options section of a help text, aligned in two columns. */
export function formatOptions(options: readonly OptionSpec[], width = 100, extraRows: [string, string][] = []): string {
  const rows = options.map((o): [string, string] => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.type === 'boolean' ? `[no-]${o.name}` : `${o.name} ${valueName(o)}`}`;
    const extra: string[] = [];
    if (o.choices) extra.push(`one of: ${o.choices.join(', ')}`);
    if (o.default !== undefined && o.type !== 'boolean') extra.push(`default: ${o.default}`);
    if (o.required) extra.push('required');
    return [flag, o.description + (extra.length ? ` (${extra.join('; ')})` : '')];
  });
  rows.push(...extraRows);
  const col = Math.min(32, Math.max(...rows.map((r) => r[0].length)) + 2);
  return rows
    .map(([f, d]) => {
      const lines = wrap(d, Math.max(30, width - col - 2));
      const first = `  ${f.padEnd(col)}${f.length >= col ? `\n  ${' '.repeat(col)}` : ''}${lines[0]}`;
      return [first, ...lines.slice(1).map((l) => `  ${' '.repeat(col)}${l}`)].join('\n');
    })
    .join('\n');
}

export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const w of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + w.length > width) {
      out.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  out.push(line);
  return out;
}
