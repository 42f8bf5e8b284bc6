/**
 * `schedule`: print a noise schedule as a table (t, β_t, ᾱ_t, SNR(t), log SNR(t)) from the float64
 * reference (src/reference/schedules.ts, catalog section A), optionally with a chart of ᾱ and SNR.
 */
import { makeSchedule, betaSchedule, rescaleZeroTerminalSnr, SCHEDULE_NAMES, type ScheduleName, type ScheduleOptions } from '../../reference/schedules.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { renderLineChart, renderLineChartSvg } from '../../io/png.js';
import type { Command } from '../command.js';
import type { ParsedArgs } from '../args.js';

export interface ScheduleRow {
  t: number;
  beta: number;
  alphaBar: number;
  oneMinusAlphaBar: number;
  snr: number;
  logSnr: number;
}

/** The schedule options given on the command line, in the reference's ScheduleOptions form. */
function scheduleOptions(args: ParsedArgs): ScheduleOptions {
  const o: ScheduleOptions = {};
  const num = (flag: string, key: Exclude<keyof ScheduleOptions, 'scaleToT'>) => {
    const v = args.number(flag);
    if (v !== undefined) o[key] = v;
  };
  num('beta-start', 'betaStart');
  num('beta-end', 'betaEnd');
  num('cosine-s', 's');
  num('max-beta', 'maxBeta');
  num('beta', 'beta');
  num('gamma', 'gamma');
  num('sigmoid-range', 'sigmoidRange');
  if (args.boolean('scale-to-t')) o.scaleToT = true;
  return o;
}

/** Which t to print: 1, every k-th, and T. */
export function rowTimesteps(T: number, every: number): number[] {
  const ts = new Set<number>([1]);
  for (let t = every; t <= T; t += every) ts.add(t);
  ts.add(T);
  return [...ts].sort((a, b) => a - b);
}

function fmt(v: number): string {
  if (v === -Infinity) return '-inf';
  if (v === Infinity) return 'inf';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e5 ? v.toPrecision(6) : v.toExponential(5);
}

export const scheduleCommand: Command = {
  name: 'schedule',
  summary: 'Print a noise schedule: t, β, ᾱ, SNR, log-SNR (optionally a chart of ᾱ and SNR)',
  description: `Builds the schedule with the float64 reference (src/reference/schedules.ts): β_t for the
    papers' 1-based t = 1..T, ᾱ_t = ∏ (1-β_s) accumulated in log space, SNR(t) = ᾱ_t/(1-ᾱ_t).

    Output formats: an aligned table (6 significant digits), CSV, or JSON (full float64 precision;
    a zero-terminal-SNR schedule's log SNR(T) = -∞ is written as the string "-Infinity").`,
  options: [
    { name: 'name', short: 'n', type: 'string', choices: SCHEDULE_NAMES, default: 'linear', description: 'Schedule' },
    { name: 'steps', short: 'T', type: 'int', min: 1, max: 1_000_000, default: 1000, description: 'Number of diffusion steps T' },
    { name: 'beta-start', type: 'number', description: 'β_1 for linear / scaled-linear / sigmoid' },
    { name: 'beta-end', type: 'number', description: 'β_T for linear / scaled-linear / sigmoid' },
    { name: 'scale-to-t', type: 'boolean', description: 'linear: scale β_1, β_T by 1000/T (improved-diffusion)' },
    { name: 'cosine-s', type: 'number', description: 'cosine: offset s (default 0.008)' },
    { name: 'max-beta', type: 'number', description: 'cosine: clip of β (default 0.999)' },
    { name: 'beta', type: 'number', description: 'constant: the constant β (default 0.05)' },
    { name: 'gamma', type: 'number', description: 'constant-gamma: γ ∈ (0,1), β = 1-γ²' },
    { name: 'sigmoid-range', type: 'number', description: 'sigmoid: range of the logistic argument (default 6)' },
    { name: 'zero-terminal-snr', type: 'boolean', description: 'Rescale to ᾱ_T = 0 exactly (Lin et al. 2024)' },
    { name: 'every', short: 'e', type: 'int', min: 1, description: 'Print every k-th step (plus t = 1 and t = T); default: about 20 rows' },
    { name: 'format', short: 'f', type: 'string', choices: ['table', 'csv', 'json'], default: 'table', description: 'Output format' },
    { name: 'png', type: 'string', valueName: 'FILE', description: 'Also write a chart of ᾱ_t and SNR(t) (log scale) as PNG' },
    { name: 'svg', type: 'string', valueName: 'FILE', description: 'Also write the chart as SVG' },
  ],
  examples: ['schedule --name cosine --steps 1000', 'schedule -n linear -T 50 --every 1 --format csv', 'schedule --name cosine --zero-terminal-snr --png cosine.png'],
  run(args, ctx) {
    const name = args.require<string>('name') as ScheduleName;
    const T = args.require<number>('steps');
    let betas = betaSchedule(name, T, scheduleOptions(args));
    const zt = args.boolean('zero-terminal-snr');
    if (zt) betas = rescaleZeroTerminalSnr(betas);
    const s = makeSchedule(betas);
    const every = args.number('every') ?? Math.max(1, Math.ceil(T / 20));
    const rows: ScheduleRow[] = rowTimesteps(T, every).map((t) => ({
      t,
      beta: s.beta(t),
      alphaBar: s.alphaBar(t),
      oneMinusAlphaBar: s.oneMinusAlphaBar(t),
      snr: s.snr(t),
      logSnr: s.logSnr(t),
    }));
    const format = args.require<string>('format');
    if (format === 'json') {
      const enc = (v: number) => (Number.isFinite(v) ? v : String(v));
      const out = {
        name,
        T,
        zeroTerminalSnr: zt,
        options: Object.fromEntries(args.entries().filter(([k]) => !['name', 'steps', 'every', 'format', 'png', 'svg', 'zero-terminal-snr'].includes(k))),
        rows: rows.map((r) => ({ t: r.t, beta: r.beta, alphaBar: r.alphaBar, oneMinusAlphaBar: r.oneMinusAlphaBar, snr: r.snr, logSnr: enc(r.logSnr) })),
      };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else if (format === 'csv') {
      ctx.stdout.write('t,beta,alpha_bar,snr,log_snr\n');
      for (const r of rows) ctx.stdout.write(`${r.t},${r.beta},${r.alphaBar},${r.snr},${Number.isFinite(r.logSnr) ? r.logSnr : '-inf'}\n`);
    } else {
      const head = ['t', 'beta', 'alpha_bar', 'snr', 'log_snr'];
      const cells = rows.map((r) => [String(r.t), fmt(r.beta), fmt(r.alphaBar), fmt(r.snr), fmt(r.logSnr)]);
      const widths = head.map((h, j) => Math.max(h.length, ...cells.map((c) => c[j].length)));
      const line = (c: string[]) => c.map((x, j) => x.padStart(widths[j])).join('  ');
      ctx.stdout.write(`# ${name} schedule, T = ${T}${zt ? ', zero terminal SNR' : ''}\n`);
      ctx.stdout.write(line(head) + '\n');
      for (const c of cells) ctx.stdout.write(line(c) + '\n');
    }
    const png = args.string('png');
    const svg = args.string('svg');
    if (png !== undefined || svg !== undefined) {
      const ts: number[] = [];
      const ab: number[] = [];
      const snr: number[] = [];
      for (let t = 1; t <= T; t++) {
        const a = s.alphaBar(t);
        const r = s.snr(t);
        if (a > 0 && r > 0) {
          ts.push(t);
          ab.push(a);
          snr.push(r);
        } else {
          ctx.note(`note: t = ${t} left out of the chart: ᾱ_t = ${a}, SNR = ${r} cannot be drawn on a log axis`);
        }
      }
      const series = [
        { name: 'alpha_bar', xs: ts, ys: ab },
        { name: 'SNR', xs: ts, ys: snr },
      ];
      const opts = { title: `${name} schedule, T = ${T}${zt ? ' (zero terminal SNR)' : ''}`, xLabel: 'timestep t', yLabel: 'alpha_bar, SNR', logY: true };
      if (png !== undefined) {
        renderLineChart(png, series, opts);
        ctx.note(`wrote ${png}`);
      }
      if (svg !== undefined) {
        writeFileAtomic(svg, renderLineChartSvg(series, opts));
        ctx.note(`wrote ${svg}`);
      }
    }
    return 0;
  },
};
