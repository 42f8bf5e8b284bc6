/**
 * Writing a benchmark result: bench/results/<date>-<backend>.json (the BenchResult), a markdown
 * report of the same numbers (.md) and SVG charts (src/io/chart.ts), including the scaling plots
 * (cost against batch size and against step count). The HTML report (src/report) reuses
 * `benchCharts` and `headlineTable`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderLineChartSvg, type ChartSeries } from '../io/chart.js';
import type { BenchResult, BenchRow } from './types.js';
import { FORMULA_OPS, HEADLINE_SAMPLERS, REFERENCE } from './workloads.js';

/** The accelerated tier named in file names: the first tfjs backend of the run (preference order), else 'reference'. */
export function primaryBackend(r: BenchResult): string {
  return r.tiers.find((t) => t.tier !== REFERENCE)?.tier ?? REFERENCE;
}

export function resultBaseName(r: BenchResult): string {
  return `${r.date.slice(0, 10)}-${primaryBackend(r)}${r.quick ? '-quick' : ''}`;
}

/** Milliseconds in a readable unit. */
export function fmtTime(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toPrecision(3)} µs`;
  if (ms < 1000) return `${ms.toPrecision(3)} ms`;
  return `${(ms / 1000).toPrecision(3)} s`;
}

/** A rate with an SI prefix: 1.23e6 → "1.23 M". */
export function fmtRate(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toPrecision(3)} G`;
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)} M`;
  if (a >= 1e3) return `${(v / 1e3).toPrecision(3)} k`;
  return v.toPrecision(3);
}

/**
 * Nominal floating-point operations per element of each formula op (a multiply, add, divide, square
 * root or transcendental counts as one), for the formula rows' GFLOP/s and fraction of the peak:
 *   qSample      √ᾱ·x0 + √(1-ᾱ)·ε                                      3
 *   qPosterior   c1·x0 + c2·xt                                            3
 *   ddpmStep     x̂0 = (x - √(1-ᾱ)ε)/√ᾱ (3), μ = c1·x̂0 + c2·x (3), + σz (2)  8
 *   ddimStep     x̂0 (3), √ᾱ'·x̂0 + c·ε (3)                               6
 *   normalKl     ½[e^{Δ} - 1 - Δ + (m1-m2)²e^{-lv2}] with Δ = lv1 - lv2     11
 *   decoderNll   two scaled offsets, two Φ, a difference and a log          12
 * These are elementwise, memory-bound kernels: the fraction of a matrix-product peak they reach
 * is small by nature and is shown only because every workload is set against the same ceiling.
 */
export const FORMULA_FLOPS_PER_ELEMENT: Record<string, number> = { qSample: 3, qPosterior: 3, ddpmStep: 8, ddimStep: 6, normalKl: 11, decoderNll: 12 };

/** GFLOP/s of a formula row (nominal operation count × elements/s), or undefined. */
export function formulaGflops(r: BenchRow): number | undefined {
  const f = FORMULA_FLOPS_PER_ELEMENT[r.name];
  return r.workload === 'formula' && f && r.throughput ? (f * r.throughput) / 1e9 : undefined;
}

function pct(v: number | undefined): string {
  if (v === undefined) return '—';
  if (v > 0 && v < 5e-5) return '< 0.01 %';
  return `${(100 * v).toFixed(v < 0.01 ? 2 : 1)} %`;
}

function timeCell(r: BenchRow): string {
  if (!r.timeMs) return r.skipped ? 'skipped' : '—';
  return `${fmtTime(r.timeMs.median)} ± ${(50 * r.timeMs.relIqr).toFixed(0)} %`;
}

function table(head: string[], body: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Tiers in display order: reference, tfjs backends, then peers. */
function tierOrder(r: BenchResult): string[] {
  const t = r.tiers.map((x) => x.tier);
  for (const row of r.rows) if (!t.includes(row.tier) && row.workload === 'peer') t.push(row.tier);
  return t;
}

function find(r: BenchResult, workload: string, name: string, tier: string, batch?: number): BenchRow | undefined {
  const rows = r.rows.filter((x) => x.workload === workload && x.name === name && x.tier === tier && (batch === undefined || x.batch === batch));
  return rows.sort((a, b) => (b.batch ?? 0) - (a.batch ?? 0))[0];
}

/**
 * The headline comparison: one line per workload, one column per tier (reference, tfjs backends,
 * PyTorch where measured), each cell the throughput at the tier's headline batch.
 */
export function headlineTable(r: BenchResult): string {
  const tiers = tierOrder(r).filter((t) => r.rows.some((x) => x.tier === t && ['sampler', 'unet-forward', 'train', 'peer'].includes(x.workload)));
  const lines: { label: string; cells: string[] }[] = [];
  const frac = (row: BenchRow) => row.peakFraction ?? (formulaGflops(row) !== undefined && r.peak ? formulaGflops(row)! / r.peak.gflops : undefined);
  const cell = (row: BenchRow | undefined) => (row && row.throughput ? `${fmtRate(row.throughput)} ${row.unit}${row.batch ? ` (batch ${row.batch})` : ''}${frac(row) !== undefined ? `, ${pct(frac(row))} of peak` : ''}` : '—');
  const peerTier = (t: string) => t.startsWith('torch');
  lines.push({
    label: 'U-Net forward',
    cells: tiers.map((t) => cell(peerTier(t) ? find(r, 'peer', 'unet-forward', t) : find(r, 'unet-forward', 'unet-forward', t))),
  });
  lines.push({
    label: 'U-Net training step',
    cells: tiers.map((t) => cell(peerTier(t) ? find(r, 'peer', 'unet-train-step', t) : find(r, 'train', 'unet-train-step', t))),
  });
  for (const s of HEADLINE_SAMPLERS) {
    lines.push({ label: `${s.label} sampler, exact mixture oracle, d = 784`, cells: tiers.map((t) => (peerTier(t) ? '—' : cell(find(r, 'sampler', s.label, t)))) });
  }
  const big = Math.max(0, ...r.rows.filter((x) => x.workload === 'formula').map((x) => x.size ?? 0));
  for (const op of big > 0 ? ['qSample', 'ddpmStep'] : []) {
    lines.push({ label: `${op} at ${big.toExponential(0)} elements`, cells: tiers.map((t) => (peerTier(t) ? '—' : cell(r.rows.find((x) => x.workload === 'formula' && x.name === op && x.tier === t && x.size === big)))) });
  }
  return table(['workload', ...tiers], lines.map((l) => [l.label, ...l.cells]));
}

/** The full markdown report of a run. */
export function markdownReport(r: BenchResult): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# Benchmark ${r.date.slice(0, 19)}Z${r.quick ? ' (quick mode: not for quoting)' : ''}`);
  out.push('');
  out.push(`Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memGiB} GiB, ${m.platform}; Node ${m.node}, tfjs ${m.tfjs}.`);
  out.push(`Load average (1/5/15 min): ${m.loadStart.join(' / ')} at the start, ${m.loadEnd?.join(' / ') ?? '?'} at the end (other processes shared the ${m.cores} cores).`);
  out.push(`Wall time of the run: ${r.wallSeconds} s. Times are medians of repeated runs after warm-up; ± is half the interquartile range relative to the median.`);
  out.push('');
  out.push('Tiers:');
  for (const t of r.tiers) out.push(`- \`${t.tier}\`: ${t.description}`);
  out.push('');
  if (r.peak) {
    out.push(`Peak FP32 rate used for "% of peak": **${r.peak.gflops.toFixed(1)} GFLOP/s**, ${r.peak.source}. Measured: ${Object.entries(r.peak.measured).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} GFLOP/s. The reference and the tfjs backends run on one thread.`);
    out.push('');
  }
  out.push('## Headline');
  out.push('');
  out.push(headlineTable(r));
  out.push('');
  const tiers = tierOrder(r);
  const formulaTiers = tiers.filter((t) => r.rows.some((x) => x.workload === 'formula' && x.tier === t));
  if (formulaTiers.length) {
    out.push('## (1) Formula kernels: time per call (median ± ½ IQR), throughput, nominal GFLOP/s (% of peak)');
    out.push('');
    out.push(`Nominal operations per element: ${Object.entries(FORMULA_FLOPS_PER_ELEMENT).map(([k, v]) => `${k} ${v}`).join(', ')} (see src/bench/output.ts). Rows of 1000 elements; linear schedule, T = 1000, t = 500.`);
    out.push('');
    const sizes = [...new Set(r.rows.filter((x) => x.workload === 'formula').map((x) => x.size!))].sort((a, b) => a - b);
    const body: string[][] = [];
    for (const op of FORMULA_OPS) {
      for (const n of sizes) {
        body.push([
          op,
          n.toExponential(0),
          ...formulaTiers.map((t) => {
            const row = r.rows.find((x) => x.workload === 'formula' && x.name === op && x.tier === t && x.size === n);
            const g = row ? formulaGflops(row) : undefined;
            return row ? `${timeCell(row)}; ${fmtRate(row.throughput!)}/s${g !== undefined ? `; ${g < 0.1 ? g.toFixed(3) : g.toFixed(2)} GFLOP/s${r.peak ? ` (${pct(g / r.peak.gflops)})` : ''}` : ''}` : '—';
          }),
        ]);
      }
    }
    out.push(table(['op', 'elements', ...formulaTiers], body));
    out.push('');
    if (r.crossovers.length) {
      out.push('Crossover (size above which the tfjs tier is faster than the float64 reference):');
      out.push('');
      for (const c of r.crossovers) {
        out.push(`- ${c.name} on ${c.tier}: ${c.size === null ? 'never within the sizes measured' : c.size === 'always' ? 'faster at every size measured' : `≈ ${Math.round(c.size).toExponential(1)} elements`}`);
      }
      out.push('');
    }
  }
  const section = (title: string, workload: string, extra?: (row: BenchRow) => string) => {
    const rows = r.rows.filter((x) => x.workload === workload);
    if (!rows.length) return;
    out.push(`## ${title}`);
    out.push('');
    out.push(
      table(
        ['name', 'tier', 'batch', 'steps', 'time per call', 'throughput', 'GFLOP/s', '% of peak', 'note'],
        rows.map((x) => [
          x.name,
          x.tier,
          x.batch !== undefined ? String(x.batch) : '—',
          x.steps !== undefined ? String(x.steps) : '—',
          timeCell(x),
          x.throughput ? `${fmtRate(x.throughput)} ${x.unit}` : '—',
          x.gflops !== undefined && x.unit !== 'GFLOP/s' ? x.gflops.toFixed(2) : x.unit === 'GFLOP/s' && x.gflops !== undefined ? x.gflops.toFixed(2) : '—',
          pct(x.peakFraction),
          (extra ? extra(x) : '') + (x.note ?? ''),
        ]),
      ),
    );
    out.push('');
  };
  section('Peak FP32 matrix product', 'peak');
  section('(2) Samplers end to end with the exact mixture oracle (784 dimensions)', 'sampler');
  section('Scaling: DDIM cost against batch size and step count', 'sampler-scaling');
  section('(3) U-Net forward pass', 'unet-forward');
  section('(4) U-Net training step', 'train');
  const kernels = r.rows.filter((x) => x.workload === 'kernel' && x.tier.startsWith('wasm'));
  if (kernels.length) {
    out.push('## (4) wasm kernel patches: GFLOP/s before (tfjs 4.22 original) and after (patched), from bench/kernels.ts');
    out.push('');
    const names = [...new Set(kernels.map((x) => x.name))];
    out.push(
      table(
        ['kernel', 'shape', 'before', 'after', 'speed-up'],
        names.map((n) => {
          const b = kernels.find((x) => x.name === n && x.tier === 'wasm-original');
          const a = kernels.find((x) => x.name === n && x.tier === 'wasm-patched');
          const [kernel, shape] = n.includes(' | ') ? n.split(' | ') : [n, ''];
          return [kernel, shape, b?.gflops ? b.gflops.toFixed(2) : `— (${b?.note ?? 'n/a'})`, a?.gflops ? a.gflops.toFixed(2) : '—', a?.gflops && b?.gflops ? `${(a.gflops / b.gflops).toFixed(1)}×` : '—'];
        }),
      ),
    );
    out.push('');
  }
  const gpu = r.rows.filter((x) => x.workload === 'kernel' && x.tier === 'webgpu');
  if (gpu.length) {
    out.push('## webgpu (tfjs-webgpu on Dawn): kernel times');
    out.push('');
    out.push(
      table(
        ['kernel', 'shape', 'median ms', 'GFLOP/s', 'adapter'],
        gpu.map((x) => {
          const [kernel, shape] = x.name.includes(' | ') ? x.name.split(' | ') : [x.name, ''];
          return [kernel, shape, x.timeMs ? x.timeMs.median.toPrecision(4) : '—', x.gflops ? x.gflops.toFixed(3) : '—', x.note ?? ''];
        }),
      ),
    );
    out.push('');
  }
  section('(5) Peer: the same U-Net in PyTorch on the CPU', 'peer');
  if (r.skipped.length) {
    out.push('## Skipped');
    out.push('');
    for (const s of r.skipped) out.push(`- ${s.workload}: ${s.reason}`);
    out.push('');
  }
  return out.join('\n');
}

export interface NamedChart {
  /** File-name suffix, e.g. 'formula-qSample'. */
  name: string;
  title: string;
  svg: string;
}

function seriesBy(rows: BenchRow[], key: (r: BenchRow) => string, x: (r: BenchRow) => number, y: (r: BenchRow) => number): ChartSeries[] {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    if (!r.timeMs) continue;
    const k = key(r);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups].map(([name, rs]) => {
    const sorted = rs.sort((a, b) => x(a) - x(b));
    return { name, xs: sorted.map(x), ys: sorted.map(y) };
  });
}

/** The charts of a run: per formula op (time vs size), DDIM scaling with batch and steps, U-Net images/s vs batch. */
export function benchCharts(r: BenchResult): NamedChart[] {
  const charts: NamedChart[] = [];
  const opts = { width: 640, height: 400 };
  for (const op of FORMULA_OPS) {
    const rows = r.rows.filter((x) => x.workload === 'formula' && x.name === op);
    if (!rows.length) continue;
    const title = `${op}: time per call vs size`;
    charts.push({ name: `formula-${op}`, title, svg: renderLineChartSvg(seriesBy(rows, (x) => x.tier, (x) => Math.log10(x.size!), (x) => x.timeMs!.median), { ...opts, title, xLabel: 'log10(elements)', yLabel: 'ms per call (log)', logY: true }) });
  }
  const sc = r.rows.filter((x) => x.workload === 'sampler-scaling');
  const batchRows = sc.filter((x) => x.steps === 50);
  const stepsAt = Math.max(0, ...sc.filter((x) => x.steps !== 50).map((x) => x.batch ?? 0));
  // The batch series has a (batch, 50 steps) point too: keep one row per (tier, steps), the step series' own (the later one).
  const stepRows = [...new Map(sc.filter((x) => x.batch === stepsAt).map((x) => [`${x.tier}/${x.steps}`, x] as const)).values()];
  if (batchRows.length) {
    const title = 'DDIM-50, mixture oracle: cost vs batch size';
    charts.push({ name: 'scaling-batch', title, svg: renderLineChartSvg(seriesBy(batchRows, (x) => x.tier, (x) => x.batch!, (x) => x.timeMs!.median / 1000), { ...opts, title, xLabel: 'batch size', yLabel: 'seconds per run' }) });
  }
  if (stepRows.length) {
    const title = `DDIM, batch ${stepsAt}: cost vs step count`;
    charts.push({ name: 'scaling-steps', title, svg: renderLineChartSvg(seriesBy(stepRows, (x) => x.tier, (x) => x.steps!, (x) => x.timeMs!.median / 1000), { ...opts, title, xLabel: 'steps', yLabel: 'seconds per run' }) });
  }
  const un = r.rows.filter((x) => x.workload === 'unet-forward' && x.tier !== REFERENCE);
  if (un.length) {
    const title = 'U-Net forward: images/s vs batch size';
    const s = seriesBy(un, (x) => x.tier, (x) => x.batch!, (x) => x.throughput!);
    charts.push({ name: 'scaling-unet', title, svg: renderLineChartSvg(s, { ...opts, title, xLabel: 'batch size', yLabel: 'images per second' }) });
  }
  return charts;
}

/** Write <base>.json, <base>.md and <base>-<chart>.svg into `dir`; returns the paths written. */
export function writeBenchResult(r: BenchResult, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, resultBaseName(r));
  const paths: string[] = [];
  const w = (p: string, s: string) => {
    writeFileSync(p, s);
    paths.push(p);
  };
  w(`${base}.json`, JSON.stringify(r, null, 1) + '\n');
  const charts = benchCharts(r);
  const md = markdownReport(r) + (charts.length ? `\n## Charts\n\n${charts.map((c) => `![${c.title}](${resultBaseName(r)}-${c.name}.svg)`).join('\n\n')}\n` : '');
  w(`${base}.md`, md);
  for (const c of charts) w(`${base}-${c.name}.svg`, c.svg);
  return paths;
}
