/**
 * The content of the HTML report (issue 7), computed section by section; ./html.ts lays it out.
 *   schedules     ᾱ_t, SNR(t), β̃_t of the linear and cosine schedules (float64 reference)
 *   elbo          ELBO terms per t of the golden model (tfjs vbTerms), or a placeholder when none
 *   properties    every claim of the property suite run on the float64 reference: pass/fail,
 *                 worst error against its bound
 *   samplers      2-D scatter of each sampler's output with the exact mixture oracle (the cases of
 *                 claim 8), over exact samples of the target; U-Net sample grids when a checkpoint is given
 *   training      the loss curve of a run directory
 *   bench         the latest benchmark result's headline table and charts
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { renderLineChartSvg, PALETTE } from '../io/chart.js';
import { encodePng, imageGrid } from '../io/png.js';
import * as R from '../reference/index.js';
import type { BenchResult } from '../bench/types.js';

/** A picture for the page: SVG markup or PNG bytes, with a caption. */
export interface Figure {
  caption: string;
  svg?: string;
  png?: Uint8Array;
}

// ---- schedules --------------------------------------------------------------------------------

export function scheduleFigures(T = 1000): Figure[] {
  const scheds = (['linear', 'cosine'] as const).map((name) => ({ name, s: R.makeSchedule(R.betaSchedule(name, T)) }));
  const ts = Array.from({ length: T }, (_, i) => i + 1);
  const series = (f: (s: R.Schedule, t: number) => number, from = 1) =>
    scheds.map(({ name, s }) => ({ name, xs: ts.filter((t) => t >= from), ys: ts.filter((t) => t >= from).map((t) => f(s, t)) }));
  const o = { width: 560, height: 360, xLabel: 't' };
  return [
    { caption: 'ᾱ_t = ∏(1-β_s)', svg: renderLineChartSvg(series((s, t) => s.alphaBar(t)), { ...o, title: 'alpha-bar(t)', yLabel: 'alpha-bar' }) },
    { caption: 'SNR(t) = ᾱ_t/(1-ᾱ_t), log scale', svg: renderLineChartSvg(series((s, t) => s.snr(t)), { ...o, title: 'SNR(t)', yLabel: 'SNR (log)', logY: true }) },
    {
      caption: 'posterior variance β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (t ≥ 2; β̃_1 = 0), log scale',
      svg: renderLineChartSvg(series((s, t) => s.posteriorVariance(t), 2), { ...o, title: 'posterior variance', yLabel: 'beta-tilde (log)', logY: true }),
    },
  ];
}

// ---- property suite ---------------------------------------------------------------------------

export interface ClaimOutcome {
  id: string;
  title: string;
  catalog: string;
  status: 'pass' | 'fail' | 'not applicable';
  worstError?: number;
  bound?: number;
  note?: string;
  message?: string;
  seconds: number;
}

export interface PropertyResults {
  implementation: string;
  date: string;
  outcomes: ClaimOutcome[];
}

/**
 * Run every claim of the property suite (src/conformance/kit.ts DEFAULT_CLAIMS: core, score, σ-space and multistep claims)
 * on the float64 reference implementation. `only` restricts to claim ids (for tests).
 */
export async function runPropertySuite(options: { only?: string[]; log?: (line: string) => void } = {}): Promise<PropertyResults> {
  const { DEFAULT_CLAIMS } = await import('../conformance/kit.js');
  const { referenceScoreImpl } = await import('../conformance/impls/reference-score.js');
  const { applicable, missingMembers } = await import('../conformance/harness.js');
  const impl = referenceScoreImpl;
  const claims = options.only ? DEFAULT_CLAIMS.filter((c) => options.only!.includes(c.id)) : DEFAULT_CLAIMS;
  const outcomes: ClaimOutcome[] = [];
  for (const c of claims) {
    const t0 = performance.now();
    const base = { id: c.id, title: c.title, catalog: c.catalog };
    if (!applicable(c, impl)) {
      outcomes.push({ ...base, status: 'not applicable', message: `lacks ${missingMembers(c, impl).join(', ')}`, seconds: 0 });
      continue;
    }
    try {
      const r = await c.run(impl);
      outcomes.push({ ...base, status: r.worstError <= r.bound ? 'pass' : 'fail', worstError: r.worstError, bound: r.bound, note: r.note, seconds: (performance.now() - t0) / 1000 });
    } catch (e) {
      outcomes.push({ ...base, status: 'fail', message: (e as Error).message, seconds: (performance.now() - t0) / 1000 });
    }
    const o = outcomes[outcomes.length - 1];
    options.log?.(`${o.status.toUpperCase()} ${o.id}${o.worstError !== undefined ? `: ${o.worstError.toExponential(2)} ≤? ${o.bound!.toExponential(2)}` : ''} (${o.seconds.toFixed(1)} s)`);
  }
  return { implementation: impl.name, date: new Date().toISOString(), outcomes };
}

// ---- samplers: 2-D scatter plots with the exact oracle ----------------------------------------

/** A scatter plot as SVG: `sets` of 2-D points drawn in order (later on top), equal axis ranges. */
export function scatterSvg(sets: { name: string; points: ArrayLike<number>[]; color: string; radius?: number }[], options: { title: string; size?: number; range?: [number, number] }): string {
  const size = options.size ?? 260;
  const pad = 24;
  let lo = Infinity;
  let hi = -Infinity;
  if (options.range) [lo, hi] = options.range;
  else {
    for (const s of sets) for (const p of s.points) for (const v of [p[0], p[1]]) if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    if (!(hi > lo)) [lo, hi] = [lo - 1, lo + 1];
  }
  const px = (v: number) => pad + ((v - lo) / (hi - lo)) * (size - 2 * pad);
  const py = (v: number) => size - pad - ((v - lo) / (hi - lo)) * (size - 2 * pad);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" font-family="monospace" font-size="10">`];
  out.push(`<rect width="${size}" height="${size}" fill="#fff"/><rect x="${pad}" y="${pad}" width="${size - 2 * pad}" height="${size - 2 * pad}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${size / 2}" y="14" text-anchor="middle">${esc(options.title)}</text>`);
  out.push(`<text x="${pad}" y="${size - 8}">${lo.toFixed(1)}</text><text x="${size - pad}" y="${size - 8}" text-anchor="end">${hi.toFixed(1)}</text>`);
  for (const s of sets) {
    out.push(`<g fill="${s.color}" fill-opacity="0.6" data-set="${esc(s.name)}">`);
    for (const p of s.points) {
      if (!Number.isFinite(p[0]) || !Number.isFinite(p[1]) || p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi) continue;
      out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="${s.radius ?? 1.6}"/>`);
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('');
}

/**
 * One scatter per sampler case of claim 8 (properties/claims/score.ts SAMPLER_CASES, the runs the
 * property suite checks with KS tests) plus DDPM and DDIM on a discrete schedule: n samples from
 * the sampler (blue) over n exact samples of the target p_{t_end} (grey).
 */
export async function samplerFigures(n = 300): Promise<Figure[]> {
  const { SAMPLER_CASES, runSamplerCase } = await import('../conformance/claims/score.js');
  const { referenceScoreImpl } = await import('../conformance/impls/reference-score.js');
  const betas = R.betaSchedule('linear', 1000);
  const cases = [
    ...SAMPLER_CASES,
    { label: 'DDPM, 1000 steps (discrete linear schedule)', sampler: 'ddpm', process: ['discrete-vp', betas] as [string, ArrayLike<number>], steps: 1000, grid: R.ancestralTimeGrid(1000, 1000) },
    { label: 'DDIM, 50 steps, η = 0', sampler: 'ddim', process: ['discrete-vp', betas] as [string, ArrayLike<number>], steps: 50, grid: R.ancestralTimeGrid(1000, 50, 'trailing') },
  ];
  const figs: Figure[] = [];
  for (const [k, c] of cases.entries()) {
    const { out, target } = runSamplerCase(referenceScoreImpl, c as (typeof SAMPLER_CASES)[number], n, 1000 + k);
    let exact: ArrayLike<number>[] = R.sampleMixture(target, n, new R.Rng(2000 + k));
    let samples: ArrayLike<number>[] = out;
    let oneD = '';
    if (target.dim === 1) {
      // A 1-D target: the vertical position is random jitter (spread over the same range), not data.
      const jit = new R.Rng(3000 + k);
      const xs = [...out, ...exact].map((p) => p[0]);
      const [a, b] = [Math.min(...xs), Math.max(...xs)];
      samples = out.map((p) => [p[0], a + (b - a) * jit.uniform()]);
      exact = exact.map((p) => [p[0], a + (b - a) * jit.uniform()]);
      oneD = ' (1-D target: horizontal = the sample, vertical = random jitter)';
    }
    const all = [...samples, ...exact].flatMap((p) => [p[0], p[1]]).filter(Number.isFinite);
    const lo = Math.min(...all);
    const hi = Math.max(...all);
    figs.push({
      caption: `${c.label}: sampler ${c.sampler}, ${c.steps} steps (blue) vs exact p_t samples (orange)${oneD}`,
      svg: scatterSvg(
        [
          { name: 'exact', points: exact, color: PALETTE[3], radius: 1.8 },
          { name: 'sampler', points: samples, color: PALETTE[0], radius: 1.4 },
        ],
        { title: c.label.length > 36 ? `${c.label.slice(0, 35)}…` : c.label, range: [lo, hi] },
      ),
    });
  }
  return figs;
}

// ---- checkpoints: U-Net samples, loss curve, ELBO terms ---------------------------------------

/**
 * The folder the weights of `dir` are read from, or null when `dir` is not a weights folder: a
 * checkpoint directory or a golden U-Net export itself, a run directory's latest checkpoint
 * (src/train/adapter.ts resolveWeightsFolder).
 */
export async function checkpointOf(dir: string): Promise<string | null> {
  if (!existsSync(dir)) return null;
  const { resolveWeightsFolder } = await import('../train/adapter.js');
  try {
    return resolveWeightsFolder(dir).dir;
  } catch (e) {
    if (e instanceof R.DiffusionInputError) return null;
    throw e;
  }
}

export interface RunInfo {
  dir: string;
  checkpoint: string;
  step: number;
  lossFigure: Figure | null;
  sampleFigure: Figure | null;
}

/**
 * Loss curve and a DDIM sample grid (EMA weights) of a weights folder (src/train/adapter.ts): a run
 * directory (its latest checkpoint), a checkpoint directory, or a golden U-Net export (which keeps
 * no loss history: no loss curve).
 */
export async function runFigures(dir: string, opts: { samples: number; steps: number; log?: (l: string) => void }): Promise<RunInfo> {
  const { readWeightsFolder } = await import('../train/adapter.js');
  const { DiffusionInputError } = R;
  let f;
  try {
    f = readWeightsFolder(dir, 'ema');
  } catch (e) {
    if (e instanceof DiffusionInputError && e.message.includes('weights folder')) throw new DiffusionInputError('run', dir, 'no checkpoint found (expected a run directory with `latest`, a checkpoint directory or a golden U-Net export)');
    throw e;
  }
  const ck = f.dir;
  const losses = f.state?.losses ?? [];
  const evals = f.state?.evals ?? [];
  let lossFigure: Figure | null = null;
  if (losses.length) {
    const w = Math.max(1, Math.floor(losses.length / 200));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let end = w; end <= losses.length; end += w) {
      xs.push(end);
      ys.push(losses.slice(end - w, end).reduce((a, b) => a + b, 0) / w);
    }
    const series = [{ name: `train loss (mean of ${w})`, xs, ys }];
    if (evals.length) {
      series.push({ name: 'held-out loss', xs: evals.map((e) => e.step), ys: evals.map((e) => e.loss) });
      series.push({ name: 'held-out, EMA', xs: evals.map((e) => e.step), ys: evals.map((e) => e.emaLoss) });
    }
    const positive = series.every((s) => s.ys.every((y) => y > 0));
    lossFigure = { caption: `training loss of ${dir} (${losses.length} steps)`, svg: renderLineChartSvg(series, { width: 720, height: 400, title: 'training loss', xLabel: 'step', yLabel: 'loss', logY: positive }) };
  }
  let sampleFigure: Figure | null = null;
  if (opts.samples > 0) {
    const tf = await import('@tensorflow/tfjs');
    const { sampleImages } = await import('../train/preview.js');
    const { validateTrainConfig } = await import('../train/config.js');
    const { unetParamSpecs } = await import('../train/unet.js');
    const config = validateTrainConfig(f.config);
    const params: Record<string, import('@tensorflow/tfjs').Tensor> = {};
    for (const s of unetParamSpecs(config.unet)) params[s.name] = tf.tensor(f.weights.get(s.name)!, s.shape, 'float32');
    try {
      opts.log?.(`sampling ${opts.samples} images with DDIM-${opts.steps} from ${ck}`);
      const imgs = await sampleImages(config, params, { n: opts.samples, steps: opts.steps, seed: 0 });
      const S = config.unet.imageSize;
      const png = encodePng(imageGrid(imgs, { n: opts.samples, height: S, width: S, channels: config.unet.inChannels === 3 ? 3 : 1, scale: Math.max(1, Math.round(56 / S)) }), 'gray');
      sampleFigure = { caption: `${opts.samples} samples, DDIM ${opts.steps} steps (η = 0), EMA weights of step ${f.step}`, png };
    } finally {
      tf.dispose(Object.values(params));
    }
  }
  return { dir, checkpoint: ck, step: f.step, lossFigure, sampleFigure };
}

export interface ElboInfo {
  /** The golden U-Net folder (model.json + ema.bin) or checkpoint directory. */
  checkpoint: string;
  step: number;
  data: string;
  /** Whether the terms are of p(x | y) (class-conditional model, true labels). */
  conditional: boolean;
  ts: number[];
  /** Mean over the batch of L_{t-1} (t ≥ 2) / L_0 (t = 1), bits per dimension. */
  bpd: number[];
  prior: number;
  /** The whole bound by src/golden/bpd.ts vlbBitsPerDim (L_0 exact + stratified t), bits/dim. */
  total: number;
  totalEstimator: string;
  figure: Figure;
}

/**
 * ELBO terms per t (F1-F3 via the tfjs tier's vbTerms, bits/dim) of the golden U-Net (the adapter
 * src/train/adapter.ts via src/golden/generate.ts loadGoldenUnet: a golden folder, a training
 * checkpoint or a run directory; EMA weights) on
 * `batch` held-out images (MNIST test images for a 28×28×1 model, else the synthetic mixture test
 * split; conditioned on their true labels for a class-conditional model) at `count` timesteps
 * spaced geometrically from 1 to T, the prior term, and the whole bound by the golden suite's own
 * estimator (src/golden/bpd.ts vlbBitsPerDim, L_0 exact plus `count` log-spaced strata of t).
 */
export async function elboFigure(dir: string, opts: { batch: number; count: number; log?: (l: string) => void }): Promise<ElboInfo> {
  const tf = await import('@tensorflow/tfjs');
  const { loadGoldenUnet } = await import('../golden/generate.js');
  const { vlbBitsPerDim } = await import('../golden/bpd.js');
  const { makeTensorSchedule } = await import('../gpu/schedules.js');
  const { vbTerms } = await import('../gpu/elbo.js');
  const g = loadGoldenUnet(dir);
  const schedule = makeTensorSchedule(g.betas);
  try {
    const u = g.unet;
    const D = u.imageSize * u.imageSize * u.inChannels;
    const B = opts.batch;
    let x0: Float32Array;
    let labels: number[];
    let data: string;
    if (u.imageSize === 28 && u.inChannels === 1) {
      const { loadMnist } = await import('../data/mnist.js');
      const ds = loadMnist({ split: 'test', limit: B });
      x0 = ds.images.slice(0, B * D);
      labels = Array.from(ds.labels.subarray(0, B));
      data = `MNIST test images 0..${B - 1}`;
    } else {
      const { mixtureData } = await import('../train/train_data.js');
      const held = mixtureData({ imageSize: u.imageSize, batchSize: B, seed: 0, nTrain: Math.max(B, 64), nTest: B }).heldOut(B);
      x0 = held.x.slice(0, B * D);
      labels = Array.from(held.labels);
      data = `synthetic mixture test images 0..${B - 1}`;
    }
    // The decoder term needs 8-bit data in [-1, 1]: snap to the grid k/127.5 - 1.
    for (let i = 0; i < x0.length; i++) x0[i] = Math.round((Math.min(1, Math.max(-1, x0[i])) + 1) * 127.5) / 127.5 - 1;
    const cond = u.numClasses > 0;
    const lab = cond ? labels.map((y) => Math.min(y, u.numClasses - 1)) : null;
    const T = g.config.schedule.T;
    const ts = [...new Set(Array.from({ length: opts.count }, (_, i) => Math.round(Math.exp((Math.log(T) * i) / Math.max(1, opts.count - 1)))))].sort((a, b) => a - b);
    const X0 = tf.tensor2d(x0, [B, D]);
    const rng = new R.Rng(4);
    const bpd: number[] = [];
    try {
      for (const t of ts) {
        const noise = tf.tensor2d(Float32Array.from(rng.normals(B * D)), [B, D]);
        const v = vbTerms(schedule, (xt) => g.apply(xt, new Array(B).fill(t), lab), X0, t, noise, { prediction: vlbPrediction(g.config.objective) });
        bpd.push(Array.from(v.dataSync()).reduce((a, b) => a + b, 0) / B);
        tf.dispose([v, noise]);
        opts.log?.(`ELBO term t=${t}: ${bpd[bpd.length - 1].toFixed(5)} bits/dim`);
      }
    } finally {
      X0.dispose();
    }
    const rows = Array.from({ length: B }, (_, i) => Float64Array.from(x0.subarray(i * D, (i + 1) * D)));
    const prior = (R.priorBpd(R.makeSchedule(g.betas), rows) as number[]).reduce((a, b) => a + b, 0) / B;
    const K = Math.min(opts.count, T - 1);
    opts.log?.(`whole bound: vlbBitsPerDim with ${K} strata`);
    const total = vlbBitsPerDim(g, x0, lab, { seed: 0, tSamples: K }).mean;
    const positive = bpd.every((v) => v > 0);
    const figure: Figure = {
      caption: `ELBO terms per t (bits/dim; t = 1 is the decoder −log p(x_0|x_1), t ≥ 2 the KL terms L_{t−1}), mean over ${B} ${data}${cond ? ' with their labels' : ''}, EMA weights of ${dir} (step ${g.step})`,
      svg: renderLineChartSvg([{ name: 'L_t (bits/dim)', xs: ts.map((t) => Math.log10(t)), ys: bpd }], { width: 640, height: 400, title: 'ELBO terms per t', xLabel: 'log10(t)', yLabel: 'bits/dim', logY: positive }),
    };
    return { checkpoint: dir, step: g.step, data, conditional: cond, ts, bpd, prior, total, totalEstimator: `src/golden/bpd.ts vlbBitsPerDim: L_T + L_0 + ${K} log-spaced strata of t = 2..T, one t per stratum (seed 0)`, figure };
  } finally {
    schedule.dispose();
    g.dispose();
  }
}

/**
 * U-Net sample grids per sampler from the golden model (loadGoldenUnet; labels i mod K for a
 * class-conditional model): DDIM 50 steps (η = 0), DDPM 100 steps (respaced, σ² = β̃), DPM-Solver-2
 * over 10 log-SNR-uniform steps (20 evaluations), each from the same x_T ~ N(0, I) (seed 0).
 */
export async function goldenSamplerFigures(dir: string, opts: { n: number; log?: (l: string) => void }): Promise<Figure[]> {
  const tf = await import('@tensorflow/tfjs');
  const { loadGoldenUnet, sampleLabels, tensorModel } = await import('../golden/generate.js');
  const { getTensorSampler } = await import('../gpu/samplers.js');
  const g = loadGoldenUnet(dir);
  try {
    const u = g.unet;
    const D = u.imageSize * u.imageSize * u.inChannels;
    const T = g.config.schedule.T;
    const labels = sampleLabels(g, opts.n);
    const model = tensorModel(g, labels);
    const specs = [
      { label: 'DDIM, 50 steps, η = 0', sampler: 'ddim', grid: R.ancestralTimeGrid(T, Math.min(50, T), 'leading') as ArrayLike<number> },
      { label: 'DDPM, 100 steps (respaced), σ² = β̃', sampler: 'ddpm', grid: R.ancestralTimeGrid(T, Math.min(100, T), 'leading') },
      { label: 'DPM-Solver-2, 10 log-SNR steps (20 evaluations)', sampler: 'dpm-solver-2', grid: R.makeTimeGrid(g.process, 10, { spacing: 'logsnr' }) },
    ];
    const figs: Figure[] = [];
    for (const sp of specs) {
      opts.log?.(`golden U-Net samples: ${sp.label}`);
      const rng = new R.Rng(0);
      const x = tf.tensor2d(Float32Array.from(rng.normals(opts.n * D)), [opts.n, D]);
      const out = getTensorSampler(sp.sampler)(model, x, sp.grid, { rng, variance: 'posterior' });
      const px = Float32Array.from(out.dataSync() as Float32Array);
      tf.dispose([x, out]);
      const png = encodePng(imageGrid(px, { n: opts.n, height: u.imageSize, width: u.imageSize, channels: u.inChannels === 3 ? 3 : 1, scale: Math.max(1, Math.round(56 / u.imageSize)) }), 'gray');
      figs.push({ caption: `golden U-Net (step ${g.step}), ${sp.label}${labels ? `, labels ${labels.slice(0, Math.min(10, labels.length)).join(' ')}…` : ''}`, png });
    }
    return figs;
  } finally {
    g.dispose();
  }
}

// ---- benchmark --------------------------------------------------------------------------------

/** The newest full benchmark result in `dir` (quick runs only when no full one exists), or null. */
export function latestBenchResult(dir: string): { path: string; result: BenchResult } | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  const found: { path: string; result: BenchResult }[] = [];
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as BenchResult;
      if (r.format === 'diffusion-oracle-bench') found.push({ path: join(dir, f), result: r });
    } catch {
      // not a benchmark result
    }
  }
  found.sort((a, b) => Number(a.result.quick) - Number(b.result.quick) || b.result.date.localeCompare(a.result.date));
  return found[0] ?? null;
}

/** The VLB's prediction type of a trained model; a rectified-flow model has no VLB on the VP schedule. */
function vlbPrediction(objective: 'eps' | 'x0' | 'v' | 'flow'): 'eps' | 'x0' | 'v' {
  if (objective === 'flow') throw new Error("bits/dim: the VLB is defined for ε/x_0/v models of the VP schedule, not for a rectified-flow ('flow') model");
  return objective;
}
