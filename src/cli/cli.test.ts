import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { DiffusionInputError } from '../reference/errors.js';
import { betaSchedule, makeSchedule, rescaleZeroTerminalSnr } from '../reference/schedules.js';
import { DataFileError } from '../data/idx.js';
import { mnistFiles } from '../data/mnist.js';
import { UsageError } from './args.js';
import type { Command } from './command.js';
import { COMMANDS } from './commands/index.js';
import { rowTimesteps } from './commands/schedule.js';
import { main, type MainIo } from './main.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run main in-process with captured stdout/stderr. */
async function run(argv: string[], extra: MainIo = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    ...extra,
  });
  return { code, out, err };
}

/** A one-line error without a stack trace. */
function expectOneLineError(err: string, re: RegExp) {
  expect(err.trim().split('\n')).toHaveLength(1);
  expect(err).toMatch(re);
  expect(err).not.toMatch(/^\s+at /m);
}

describe('program-level behaviour', () => {
  it('--help lists every registered command and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: diffusion-oracle <command>/m);
    for (const c of COMMANDS) expect(r.out).toContain(`  ${c.name}`);
    expect(r.out).toMatch(/Exit codes: 0 ok, 1 runtime failure.*2 usage error/);
  });

  it('no arguments: help on stderr, exit 2', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/Usage:/);
  });

  it('--version prints the package.json version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const r = await run(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`${pkg.version}\n`);
  });

  it('unknown command: exit 2, one line naming it with a suggestion, no stack', async () => {
    const r = await run(['schedul']);
    expect(r.code).toBe(2);
    expectOneLineError(r.err, /unknown command "schedul" \(did you mean schedule\?\)/);
    const r2 = await run(['frobnicate']);
    expect(r2.code).toBe(2);
    expectOneLineError(r2.err, /unknown command "frobnicate"; commands: schedule, data-check/);
  });

  it('help <command> and <command> --help print the command help', async () => {
    const a = await run(['help', 'schedule']);
    const b = await run(['schedule', '--steps', '10', '--help']);
    expect(a.code).toBe(0);
    expect(a.out).toBe(b.out);
    expect(a.out).toMatch(/^Usage: diffusion-oracle schedule \[options\]/);
    expect(a.out).toMatch(/--steps N +Number of diffusion steps T \(default: 1000\)/);
    expect(a.out).toMatch(/-h, --help +Show this help/);
    for (const c of COMMANDS) {
      const h = await run([c.name, '-h']);
      expect(h.code).toBe(0);
      for (const o of c.options) expect(h.out).toContain(o.name);
    }
  });
});

describe('user mistakes are one-line errors with exit code 2', () => {
  const cases: [string[], RegExp][] = [
    [['schedule', '--nme', 'cosine'], /schedule: error: unknown option --nme \(did you mean --name\?\)/],
    [['schedule', '--steps', 'ten'], /--steps: expected an integer, got "ten"/],
    [['schedule', '--steps', '2.5'], /--steps: expected an integer, got "2.5"/],
    [['schedule', '--steps', '0'], /--steps: must be ≥ 1, got 0/],
    [['schedule', '--steps'], /--steps needs a value/],
    [['schedule', '--name', 'cosin'], /--name: unknown value "cosin"; expected one of linear, cosine.*\(did you mean cosine\?\)/],
    [['schedule', '-T', '5', '-T', '6'], /option --steps given twice/],
    [['schedule', 'extra'], /unexpected argument "extra"/],
    [['schedule', '--beta-start', '1e-4x'], /--beta-start: expected a number/],
    // a value the parser accepts but the reference rejects: DiffusionInputError, also exit 2
    [['schedule', '--beta-end', '2'], /invalid input: betas\[\d+\] \(β_\d+\): invalid schedule/],
    [['data-check', '--split', 'valid'], /--split: unknown value "valid"/],
  ];
  for (const [argv, re] of cases) {
    it(argv.join(' '), async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expectOneLineError(r.err, re);
    });
  }
});

describe('schedule', () => {
  it('JSON output equals makeSchedule to the last bit (cosine, T = 1000)', async () => {
    const r = await run(['schedule', '--name', 'cosine', '-T', '1000', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const s = makeSchedule(betaSchedule('cosine', 1000));
    expect(j.rows.map((x: { t: number }) => x.t)).toEqual(rowTimesteps(1000, 50));
    for (const row of j.rows) {
      expect(row.beta).toBe(s.beta(row.t));
      expect(row.alphaBar).toBe(s.alphaBar(row.t));
      expect(row.oneMinusAlphaBar).toBe(s.oneMinusAlphaBar(row.t));
      expect(row.snr).toBe(s.snr(row.t));
      expect(row.logSnr).toBe(s.logSnr(row.t));
    }
  });

  it('table output: every row, each value within the 6 printed significant digits of makeSchedule', async () => {
    const r = await run(['schedule', '-n', 'linear', '-T', '30', '--every', '1']);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toBe('# linear schedule, T = 30');
    expect(lines[1].trim().split(/\s+/)).toEqual(['t', 'beta', 'alpha_bar', 'snr', 'log_snr']);
    const s = makeSchedule(betaSchedule('linear', 30));
    const body = lines.slice(2).map((l) => l.trim().split(/\s+/).map(Number));
    expect(body.map((b) => b[0])).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    // 6 significant digits: relative rounding error ≤ 5e-6
    const close = (printed: number, exact: number) => expect(Math.abs(printed - exact)).toBeLessThanOrEqual(5e-6 * Math.abs(exact));
    for (const [t, beta, ab, snr, lsnr] of body) {
      close(beta, s.beta(t));
      close(ab, s.alphaBar(t));
      close(snr, s.snr(t));
      close(lsnr, s.logSnr(t));
    }
  });

  it('CSV output, zero terminal SNR: ᾱ_T = 0, SNR 0, log SNR -inf; options reach the reference', async () => {
    const r = await run(['schedule', '-n', 'linear', '-T', '20', '--beta-end', '0.05', '--zero-terminal-snr', '--format', 'csv', '-e', '5']);
    expect(r.code).toBe(0);
    const [head, ...rows] = r.out.trim().split('\n');
    expect(head).toBe('t,beta,alpha_bar,snr,log_snr');
    const s = makeSchedule(rescaleZeroTerminalSnr(betaSchedule('linear', 20, { betaEnd: 0.05 })));
    expect(rows.map((l) => Number(l.split(',')[0]))).toEqual([1, 5, 10, 15, 20]);
    for (const l of rows.slice(0, -1)) {
      const [t, beta, ab, snr, ls] = l.split(',').map(Number);
      expect([beta, ab, snr, ls]).toEqual([s.beta(t), s.alphaBar(t), s.snr(t), s.logSnr(t)]);
    }
    expect(rows[rows.length - 1]).toBe('20,1,0,0,-inf');
  });

  it('--png writes a chart; --svg writes SVG; t with ᾱ = 0 is left out with a note', async () => {
    const png = join(dir, 'sched.png');
    const svg = join(dir, 'sched.svg');
    const r = await run(['schedule', '-n', 'cosine', '-T', '200', '--zero-terminal-snr', '--png', png, '--svg', svg, '-f', 'csv']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/t = 200 left out of the chart/);
    const img = PNG.sync.read(readFileSync(png));
    expect([img.width, img.height]).toEqual([640, 400]);
    let nonWhite = 0;
    for (let i = 0; i < img.width * img.height; i++) if (img.data[4 * i] !== 255 || img.data[4 * i + 1] !== 255 || img.data[4 * i + 2] !== 255) nonWhite++;
    expect(nonWhite).toBeGreaterThan(2000);
    const text = readFileSync(svg, 'utf8');
    expect((text.match(/<polyline /g) ?? []).length).toBe(2);
  });
});

describe('data-check', () => {
  it('real MNIST: valid, counts 60000/10000, stats, checksums of the actual files', async () => {
    const r = await run(['data-check', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.valid).toBe(true);
    const [train, test] = j.splits;
    expect([train.count, test.count]).toEqual([60000, 10000]);
    expect(train.labelCounts).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(Math.abs(train.pixelMean - 0.13066)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(test.pixelStd - 0.31048)).toBeLessThanOrEqual(1e-6);
    const f = test.files.find((x: { role: string }) => x.role === 'labels');
    expect(f.bytes).toBe(10008);
    expect(f.sha256).toBe(createHash('sha256').update(readFileSync(mnistFiles('test').labels)).digest('hex'));
  });

  it('a folder with a corrupt file: exit 1, one line naming the file and the problem', async () => {
    const d = join(dir, 'bad-mnist');
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(d);
    const src = mnistFiles('test');
    copyFileSync(src.images, join(d, 't10k-images-idx3-ubyte'));
    const lab = readFileSync(src.labels);
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), lab.subarray(0, lab.length - 3));
    const r = await run(['data-check', '--dir', d, '--split', 'test']);
    expect(r.code).toBe(1);
    expectOneLineError(r.err, /data-check: error: data file: .*t10k-labels-idx1-ubyte: truncated: 10005 bytes, but the header \(10000 labels\) implies 10008 bytes/);
    const m = await run(['data-check', '--dir', d, '--split', 'train']);
    expect(m.code).toBe(1);
    expectOneLineError(m.err, /train-images-idx3-ubyte: file not found/);
  });
});

describe('error policy for commands', () => {
  const thrower = (e: unknown): Command => ({ name: 'boom', summary: 'throws', options: [], run: () => { throw e; } });
  it('UsageError / DiffusionInputError → 2, DataFileError → 1, all one line', async () => {
    let r = await run(['boom'], { commands: [thrower(new UsageError('bad flag combination'))] });
    expect(r.code).toBe(2);
    expectOneLineError(r.err, /boom: error: bad flag combination \(see 'diffusion-oracle boom --help'\)/);
    r = await run(['boom'], { commands: [thrower(new DiffusionInputError('t', 0, 'timestep out of range {1..10}'))] });
    expect(r.code).toBe(2);
    expectOneLineError(r.err, /invalid input: t: timestep out of range/);
    r = await run(['boom'], { commands: [thrower(new DataFileError('/x/ckpt.json', 'file not found'))] });
    expect(r.code).toBe(1);
    expectOneLineError(r.err, /data file: \/x\/ckpt.json: file not found/);
  });
  it('an unexpected error is an internal error with its stack, exit 1', async () => {
    const r = await run(['boom'], { commands: [thrower(new TypeError('cannot read x of undefined'))] });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/boom: internal error/);
    expect(r.err).toMatch(/TypeError: cannot read x of undefined\n\s+at /);
  });
  it('a command returning a non-zero code and an async command', async () => {
    const c: Command = { name: 'later', summary: 's', options: [{ name: 'n', type: 'int', default: 3, description: 'n' }], run: async (a) => (await Promise.resolve(a.number('n')))! };
    expect((await run(['later'], { commands: [c] })).code).toBe(3);
    expect((await run(['later', '--n=5'], { commands: [c] })).code).toBe(5);
  });
});
