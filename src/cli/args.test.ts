import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type OptionSpec, UsageError, formatOptions, parseArgs, suggest } from './args.js';

const dir = mkdtempSync(join(tmpdir(), 'args-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SPECS: OptionSpec[] = [
  { name: 'steps', short: 'T', type: 'int', min: 1, default: 1000, description: 'steps' },
  { name: 'lr', type: 'number', min: 0, description: 'learning rate' },
  { name: 'ema', type: 'boolean', default: true, description: 'keep an EMA' },
  { name: 'verbose', short: 'v', type: 'boolean', description: 'chatty' },
  { name: 'sampler', type: 'string', choices: ['ddpm', 'ddim'], description: 'sampler' },
  { name: 'checkpoint', type: 'file', description: 'checkpoint' },
  { name: 'out', type: 'string', required: true, description: 'output' },
];

function usageError(argv: string[]): string {
  try {
    parseArgs(argv, SPECS);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no UsageError for ${argv.join(' ')}`);
}

describe('parseArgs', () => {
  it('long, --name=value, short, defaults, booleans and --no-', () => {
    const a = parseArgs(['--steps=20', '--lr', '-1e-3'.slice(1), '--no-ema', '-v', '--out', 'x.png', '--sampler', 'ddim'], SPECS);
    expect(a.number('steps')).toBe(20);
    expect(a.number('lr')).toBe(1e-3);
    expect(a.boolean('ema')).toBe(false);
    expect(a.boolean('verbose')).toBe(true);
    expect(a.string('sampler')).toBe('ddim');
    expect(a.string('out')).toBe('x.png');
    expect([...a.given].sort()).toEqual(['ema', 'lr', 'out', 'sampler', 'steps', 'verbose']);
    const b = parseArgs(['-T', '7', '--out=o'], SPECS);
    expect(b.number('steps')).toBe(7);
    expect(b.boolean('ema')).toBe(true); // default
    expect(b.boolean('verbose')).toBe(false); // absent boolean
    expect(b.number('lr')).toBeUndefined();
    expect(b.given.has('ema')).toBe(false);
    expect(parseArgs(['-T7', '--out', 'o'], SPECS).number('steps')).toBe(7);
    expect(parseArgs(['--ema=false', '--out', 'o'], SPECS).boolean('ema')).toBe(false);
  });

  it('a value may start with a dash (negative numbers); "--" ends the options', () => {
    const specs: OptionSpec[] = [{ name: 'shift', type: 'number', description: 's' }];
    expect(parseArgs(['--shift', '-2.5'], specs).number('shift')).toBe(-2.5);
    const p = parseArgs(['--', '--shift', '-x'], specs, [{ name: 'rest', description: 'r', variadic: true }]);
    expect(p.positionals).toEqual(['--shift', '-x']);
    expect(p.number('shift')).toBeUndefined();
  });

  it('user mistakes are UsageErrors with precise messages', () => {
    expect(usageError(['--out', 'o', '--stpes', '3'])).toBe('unknown option --stpes (did you mean --steps?)');
    expect(usageError(['--out', 'o', '--zzz'])).toBe('unknown option --zzz');
    expect(usageError(['--out', 'o', '-x'])).toBe('unknown option -x');
    expect(usageError(['--out', 'o', '--steps', '1e3'])).toBe('--steps: expected an integer, got "1e3"');
    expect(usageError(['--out', 'o', '--steps', '99999999999999999999'])).toMatch(/expected an integer/);
    expect(usageError(['--out', 'o', '--lr', 'abc'])).toBe('--lr: expected a number, got "abc"');
    expect(usageError(['--out', 'o', '--lr', ''])).toBe('--lr: expected a number, got ""');
    expect(usageError(['--out', 'o', '--lr', 'Infinity'])).toMatch(/expected a number/);
    expect(usageError(['--out', 'o', '--lr', '-1'])).toBe('--lr: must be ≥ 0, got -1');
    expect(usageError(['--out', 'o', '--sampler', 'ddmp'])).toBe('--sampler: unknown value "ddmp"; expected one of ddpm, ddim (did you mean ddpm?)');
    expect(usageError(['--out', 'o', '--ema=maybe'])).toBe('--ema: expected true or false, got "maybe"');
    expect(usageError(['--out', 'o', '--no-ema=1'])).toBe('--no-ema takes no value');
    expect(usageError(['--out', 'o', '--lr'])).toBe('--lr needs a value');
    expect(usageError(['--out', 'o', '-T'])).toBe('-T needs a value');
    expect(usageError(['--out', 'o', '-v1'])).toBe('-v takes no value');
    expect(usageError(['--steps', '3'])).toBe('missing required option --out');
    expect(usageError(['--out', 'o', '--out', 'p'])).toBe('--out: option --out given twice');
    expect(usageError(['--out', 'o', 'stray'])).toBe('unexpected argument "stray"');
  });

  it("type 'file' must name an existing regular file", () => {
    const f = join(dir, 'ckpt.json');
    writeFileSync(f, '{}');
    expect(parseArgs(['--out', 'o', '--checkpoint', f], SPECS).string('checkpoint')).toBe(f);
    expect(usageError(['--out', 'o', '--checkpoint', join(dir, 'nope.json')])).toBe(`--checkpoint: file not found: ${join(dir, 'nope.json')}`);
    expect(usageError(['--out', 'o', '--checkpoint', dir])).toBe(`--checkpoint: not a regular file: ${dir}`);
  });

  it('required positionals', () => {
    expect(() => parseArgs([], [], [{ name: 'input', description: 'i', required: true }])).toThrow('missing argument <input>');
    expect(parseArgs(['a'], [], [{ name: 'input', description: 'i', required: true }]).positionals).toEqual(['a']);
  });

  it('accessor of the wrong type is a programming error, not a user error', () => {
    const a = parseArgs(['--out', 'o'], SPECS);
    expect(() => a.string('steps')).toThrow(/not a string/);
    expect(() => a.string('steps')).not.toThrow(UsageError);
  });
});

describe('help helpers', () => {
  it('suggest finds near misses only', () => {
    expect(suggest('scheduel', ['schedule', 'sample'])).toBe('schedule');
    expect(suggest('trian', ['train', 'test'])).toBe('train');
    expect(suggest('xyz', ['train', 'test'])).toBeUndefined();
  });
  it('formatOptions shows flags, value names, choices and defaults', () => {
    const text = formatOptions(SPECS);
    expect(text).toMatch(/-T, --steps N +steps \(default: 1000\)/);
    expect(text).toMatch(/--\[no-\]ema +keep an EMA\n/);
    expect(text).toMatch(/--sampler NAME +sampler \(one of: ddpm, ddim\)/);
    expect(text).toMatch(/--out VALUE +output \(required\)/);
  });
});
