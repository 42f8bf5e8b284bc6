/**
 * The benchmark workloads of issue 7, each runnable on the float64 reference ('reference') and on
 * a TensorFlow.js backend (whichever is active when it is called):
 *   (1) formula kernels at 10^3..10^7 elements,
 *   (2) samplers end to end with the exact mixture oracle on 784-dimensional data,
 *   (3) the U-Net forward pass,
 *   (4) the U-Net training step,
 * plus the wasm matrix-product peak. Every function returns BenchRows (./types.ts); none asserts
 * anything about speed.
 *
 * Completion: the reference is synchronous JavaScript. A tfjs call is forced to finish by reading
 * one element of its result back (`finish`), so an asynchronous backend is timed honestly too.
 * The tfjs formula functions validate their inputs and outputs (one finiteness reduction and one
 * read-back per call, see src/gpu/common.ts checkFiniteIo): that is part of the API's cost and is
 * included, as the reference's own checks are.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../reference/rng.js';
import { betaSchedule, makeSchedule } from '../reference/schedules.js';
import { qSample as refQSample } from '../reference/forward.js';
import { qPosterior as refQPosterior } from '../reference/posterior.js';
import { ddpmStep as refDdpmStep } from '../reference/ddpm.js';
import { ddimStep as refDdimStep } from '../reference/ddim.js';
import { normalKl as refNormalKl, discretizedGaussianLogLikelihood as refDecoder } from '../reference/elbo.js';
import { makeMixture, mixtureModel, type GaussianMixture } from '../reference/mixture.js';
import { discreteVpProcess, makeTimeGrid, type Process } from '../reference/model.js';
import { getSampler } from '../reference/samplers.js';
import { ancestralTimeGrid } from '../reference/ancestral.js';
import { ndarray } from '../reference/layers/tensor.js';
import { makeTensorSchedule } from '../gpu/schedules.js';
import { qSample as tfQSample } from '../gpu/forward.js';
import { qPosterior as tfQPosterior } from '../gpu/posterior.js';
import { ddpmStep as tfDdpmStep } from '../gpu/ddpm.js';
import { ddimStep as tfDdimStep } from '../gpu/ddim.js';
import { normalKl as tfNormalKl, discretizedGaussianLogLikelihood as tfDecoder } from '../gpu/elbo.js';
import { hostModel } from '../gpu/model.js';
import { getTensorSampler } from '../gpu/samplers.js';
import { initParamValues } from '../train/nn.js';
import { DEFAULT_UNET_CONFIG, UNet, type UNetConfig, unetParamSpecs } from '../train/unet.js';
import { validateTrainConfig } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { mixtureData } from '../train/train_data.js';
import { measure, type Measurement, type MeasureOptions } from './stats.js';
import type { BenchRow } from './types.js';
import { referenceUnetForward, unetForwardFlops, unetTrainFlops } from '../reference/layers/unet_reference.js';
import { referenceUnetLossAndGrads } from '../reference/layers/unet_reference_grad.js';
import { adamStep, type AdamState } from '../reference/layers/adam.js';

export const REFERENCE = 'reference';

/** Force a tfjs result to completion by reading one element back; then dispose it. */
export function finish(y: tf.Tensor | tf.Tensor[]): void {
  const ys = Array.isArray(y) ? y : [y];
  for (const t of ys) {
    const one = tf.tidy(() => tf.slice(t.reshape([-1]), [0], [1]));
    one.dataSync();
    one.dispose();
    t.dispose();
  }
}

/** Columns of the formula benchmark: a size of n elements is a batch of n/1000 rows of 1000. */
export const FORMULA_DIM = 1000;
export const FORMULA_OPS = ['qSample', 'qPosterior', 'ddpmStep', 'ddimStep', 'normalKl', 'decoderNll'] as const;
export type FormulaOp = (typeof FORMULA_OPS)[number];

function rowsOfNormals(rng: Rng, rows: number, d: number, scale = 1): Float64Array[] {
  return Array.from({ length: rows }, () => {
    const r = rng.normals(d);
    if (scale !== 1) for (let i = 0; i < d; i++) r[i] *= scale;
    return r;
  });
}

/** Values on the 8-bit grid of the discretized decoder: k/127.5 - 1. */
function gridRows(rng: Rng, rows: number, d: number): Float64Array[] {
  return Array.from({ length: rows }, () => Float64Array.from({ length: d }, () => rng.int(256) / 127.5 - 1));
}

function toTensor(rows: Float64Array[]): tf.Tensor2D {
  const d = rows[0].length;
  const buf = new Float32Array(rows.length * d);
  rows.forEach((r, i) => buf.set(r, i * d));
  return tf.tensor2d(buf, [rows.length, d]);
}

/**
 * Workload (1): one formula op at `size` elements on `tier` ('reference' or the active tfjs
 * backend). Linear schedule, T = 1000, t = 500 (t' = 480 for DDIM), fixed inputs, explicit noise.
 */
export function benchFormula(op: FormulaOp, size: number, tier: string, m: MeasureOptions): BenchRow {
  const rows = Math.max(1, Math.round(size / FORMULA_DIM));
  const d = FORMULA_DIM;
  const rng = new Rng(7);
  const betas = betaSchedule('linear', 1000);
  const t = 500;
  const a = rowsOfNormals(rng, rows, d);
  const b = rowsOfNormals(rng, rows, d);
  const c = op === 'decoderNll' ? gridRows(rng, rows, d) : rowsOfNormals(rng, rows, d, 0.1);
  // The decoder's mean: near its pixel (x + 0.02·z), so every bin probability is well inside float32's range.
  if (op === 'decoderNll') b.forEach((row, i) => row.forEach((v, j) => (row[j] = c[i][j] + 0.02 * v)));
  let fn: () => void;
  let cleanup = () => {};
  if (tier === REFERENCE) {
    const s = makeSchedule(betas);
    fn = {
      qSample: () => void refQSample(s, a, t, b),
      qPosterior: () => void refQPosterior(s, a, b, t),
      ddpmStep: () => void refDdpmStep(s, a, t, b, { noise: c }),
      ddimStep: () => void refDdimStep(s, a, t, t - 20, b),
      normalKl: () => void refNormalKl(a, c, b, 0.05),
      decoderNll: () => void refDecoder(c, b, -3),
    }[op];
  } else {
    const s = makeTensorSchedule(betas);
    const [A, B, C] = [a, b, c].map(toTensor);
    fn = {
      qSample: () => finish(tfQSample(s, A, t, B)),
      qPosterior: () => {
        const r = tfQPosterior(s, A, B, t);
        finish([r.mean, r.variance, r.logVariance]);
      },
      ddpmStep: () => finish(tfDdpmStep(s, A, t, B, { noise: C })),
      ddimStep: () => finish(tfDdimStep(s, A, t, t - 20, B)),
      normalKl: () => finish(tfNormalKl(A, C, B, 0.05)),
      decoderNll: () => finish(tfDecoder(C, B, -3)),
    }[op];
    cleanup = () => {
      tf.dispose([A, B, C]);
      s.dispose();
    };
  }
  try {
    const r = measure(fn, m);
    const n = rows * d;
    return { workload: 'formula', name: op, tier, size: n, timeMs: r.summary, inner: r.inner, warmup: r.warmup, throughput: n / (r.summary.median / 1000), unit: 'elements/s' };
  } finally {
    cleanup();
  }
}

// ---- (2) samplers with the exact mixture oracle ----------------------------------------------

export const SAMPLER_DIM = 784;

/** A 10-component diagonal Gaussian mixture in 784 dimensions (fixed seed): the oracle's data. */
export function benchMixture(d = SAMPLER_DIM, K = 10): GaussianMixture {
  const rng = new Rng(20261123);
  const means = Array.from({ length: K }, () => Array.from(rng.normals(d), (v) => 0.8 * v));
  const stds = Array.from({ length: K }, (_, k) => 0.2 + (0.3 * k) / (K - 1));
  return makeMixture({ weights: new Array(K).fill(1 / K), means, stds });
}

export interface SamplerSpec {
  /** Label, e.g. 'ddpm-1000'. */
  label: string;
  sampler: 'ddpm' | 'ddim' | 'dpm-solver-2';
  /** Steps of the time grid. */
  steps: number;
  /** Model evaluations per sample. */
  nfe: number;
}

export function samplerSpec(sampler: SamplerSpec['sampler'], steps: number): SamplerSpec {
  return { label: `${sampler}-${steps}`, sampler, steps, nfe: sampler === 'dpm-solver-2' ? 2 * steps : steps };
}

/** The headline samplers: DDPM with 1000 steps, DDIM with 50, DPM-Solver-2 with 20 model evaluations (10 steps). */
export const HEADLINE_SAMPLERS: SamplerSpec[] = [samplerSpec('ddpm', 1000), samplerSpec('ddim', 50), { label: 'dpm-solver-20', sampler: 'dpm-solver-2', steps: 10, nfe: 20 }];

function timeGridOf(spec: SamplerSpec, process: Process): ArrayLike<number> {
  if (spec.sampler === 'dpm-solver-2') return makeTimeGrid(process, spec.steps, { spacing: 'logsnr' });
  return ancestralTimeGrid(1000, spec.steps, spec.sampler === 'ddpm' && spec.steps === 1000 ? 'leading' : 'trailing');
}

/** Workload (2): draw `batch` samples with `spec` from the exact mixture oracle on `tier`. */
export function benchSampler(spec: SamplerSpec, batch: number, tier: string, m: MeasureOptions, workload: 'sampler' | 'sampler-scaling' = 'sampler'): BenchRow {
  const mix = benchMixture();
  const process = discreteVpProcess(betaSchedule('linear', 1000));
  const model = mixtureModel(mix, process, 'eps');
  const grid = timeGridOf(spec, process);
  const x0 = rowsOfNormals(new Rng(3), batch, mix.dim);
  let fn: () => void;
  let cleanup = () => {};
  if (tier === REFERENCE) {
    const sampler = getSampler(spec.sampler);
    fn = () => void sampler(model, x0, grid, { rng: new Rng(11) });
  } else {
    const sampler = getTensorSampler(spec.sampler);
    const tm = hostModel(model);
    const X = toTensor(x0);
    fn = () => finish(sampler(tm, X, grid, { rng: new Rng(11) }));
    cleanup = () => X.dispose();
  }
  try {
    const r = measure(fn, m);
    return {
      workload,
      name: spec.label,
      tier,
      size: batch,
      batch,
      steps: spec.steps,
      timeMs: r.summary,
      inner: r.inner,
      warmup: r.warmup,
      throughput: batch / (r.summary.median / 1000),
      unit: 'samples/s',
      note: `${spec.nfe} oracle evaluations per sample (exact 10-component mixture oracle in float64 on the host for every tier)`,
    };
  } finally {
    cleanup();
  }
}

// ---- (3) U-Net forward and (4) training ------------------------------------------------------

export const BENCH_UNET: UNetConfig = { ...DEFAULT_UNET_CONFIG };

function unetInput(batch: number, config: UNetConfig): { x: Float32Array; t: number[] } {
  const rng = new Rng(5);
  const D = config.imageSize * config.imageSize * config.inChannels;
  return { x: Float32Array.from(rng.normals(batch * D)), t: Array.from({ length: batch }, (_, i) => 1 + ((i * 137) % 1000)) };
}

/**
 * Workload (3): the U-Net forward pass on `batch` images on `tier`. The reference runs the same
 * weights (float32 values widened to float64) through src/reference/layers.
 */
export function benchUnetForward(batch: number, tier: string, m: MeasureOptions, peak: number | null): BenchRow {
  const config = BENCH_UNET;
  const values = initParamValues(unetParamSpecs(config), new Rng(0));
  const { x, t } = unetInput(batch, config);
  const S = config.imageSize;
  let fn: () => void;
  let cleanup = () => {};
  if (tier === REFERENCE) {
    const xr = ndarray([batch, S, S, config.inChannels], x);
    fn = () => void referenceUnetForward(config, values, xr, t);
  } else {
    const net = new UNet(config, { values });
    const X = tf.tensor4d(x, [batch, S, S, config.inChannels]);
    fn = () => finish(net.apply(X, t));
    cleanup = () => {
      X.dispose();
      net.dispose();
    };
  }
  try {
    return imagesRow('unet-forward', 'unet-forward', tier, batch, measure(fn, m), unetForwardFlops(config), peak);
  } finally {
    cleanup();
  }
}

/**
 * Largest |y_ref - y_tier| / max|y_ref| of the U-Net output on `batch` images: the reference
 * forward and the active tfjs backend on the same weights and inputs (a sanity check that the
 * two benchmarked programs compute the same function).
 */
export function unetAgreement(batch = 1): number {
  const config = BENCH_UNET;
  const values = initParamValues(unetParamSpecs(config), new Rng(0));
  const { x, t } = unetInput(batch, config);
  const S = config.imageSize;
  const ref = referenceUnetForward(config, values, ndarray([batch, S, S, config.inChannels], x), t);
  const net = new UNet(config, { values });
  const X = tf.tensor4d(x, [batch, S, S, config.inChannels]);
  const y = net.apply(X, t);
  const got = y.dataSync();
  tf.dispose([X, y]);
  net.dispose();
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < got.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(ref.data[i]));
    maxErr = Math.max(maxErr, Math.abs(ref.data[i] - got[i]));
  }
  return maxErr / maxRef;
}

/**
 * Workload (4): one full training step of the trainer (src/train/train.ts: host-side x_t and target
 * in float64, forward, gradients of every parameter, Adam with clipping, EMA) at `batch` images of
 * the synthetic 28×28 mixture data, on the active tfjs backend.
 */
export function benchTrainStep(batch: number, tier: string, m: MeasureOptions, peak: number | null): BenchRow {
  const config = validateTrainConfig({ unet: BENCH_UNET, batchSize: batch, evalSize: batch });
  const data = mixtureData({ imageSize: BENCH_UNET.imageSize, batchSize: batch, seed: 0, nTrain: Math.max(256, 2 * batch), nTest: batch });
  const trainer = new Trainer(config, data);
  try {
    return imagesRow('train', 'unet-train-step', tier, batch, measure(() => void trainer.trainStep(), m), unetTrainFlops(BENCH_UNET), peak);
  } finally {
    trainer.dispose();
  }
}

/**
 * Workload (4) on the float64 reference: the same training step in float64 — x_t and the ε target
 * by the reference qSample, the loss and every parameter gradient by src/reference/layers/unet_reference_grad.ts,
 * then Adam (reference adamStep, lr 1e-3) and the EMA update (decay 0.999) of every parameter.
 * (No gradient clipping or warm-up: a few elementwise passes, immaterial for the time.)
 */
export function benchReferenceTrainStep(batch: number, m: MeasureOptions, peak: number | null): BenchRow {
  const config = BENCH_UNET;
  const S = config.imageSize;
  const D = S * S * config.inChannels;
  const specs = unetParamSpecs(config);
  const params = new Map<string, Float64Array>([...initParamValues(specs, new Rng(0))].map(([k, v]) => [k, Float64Array.from(v)]));
  const ema = new Map([...params].map(([k, v]) => [k, Float64Array.from(v)]));
  const adam = new Map<string, AdamState>([...params].map(([k, v]) => [k, { m: new Float64Array(v.length), v: new Float64Array(v.length) }]));
  const data = mixtureData({ imageSize: S, batchSize: batch, seed: 0, nTrain: Math.max(64, batch), nTest: batch });
  const schedule = makeSchedule(betaSchedule('linear', 1000));
  const rng = new Rng(1);
  let step = 0;
  const fn = () => {
    const x0 = data.nextBatch(batch).x;
    const xt = new Float64Array(batch * D);
    const target = new Float64Array(batch * D);
    const t: number[] = [];
    for (let i = 0; i < batch; i++) {
      const ti = 1 + rng.int(1000);
      const eps = rng.normals(D);
      t.push(ti);
      xt.set(refQSample(schedule, Float64Array.from(x0.subarray(i * D, (i + 1) * D)), ti, eps), i * D);
      target.set(eps, i * D);
    }
    const { grads } = referenceUnetLossAndGrads(config, params, ndarray([batch, S, S, config.inChannels], xt), t, ndarray([batch, S, S, config.inChannels], target));
    step++;
    for (const [name, theta] of params) {
      const r = adamStep(theta, grads.get(name)!, adam.get(name)!, step, { lr: 1e-3 });
      theta.set(r.theta);
      adam.set(name, r.state);
      const e = ema.get(name)!;
      for (let i = 0; i < e.length; i++) e[i] = 0.999 * e[i] + 0.001 * theta[i];
    }
  };
  return {
    ...imagesRow('train', 'unet-train-step', REFERENCE, batch, measure(fn, m), unetTrainFlops(config), peak),
    note: 'float64: reference layers and their gradients composed by src/reference/layers/unet_reference_grad.ts, reference Adam and EMA',
  };
}

/** A U-Net row: images/s and achieved GFLOP/s (and the fraction of peak) from one measurement of a batch. */
function imagesRow(workload: BenchRow['workload'], name: string, tier: string, batch: number, r: Measurement, flopsPerImage: number, peak: number | null): BenchRow {
  const sec = r.summary.median / 1000;
  const gflops = (flopsPerImage * batch) / sec / 1e9;
  return {
    workload,
    name,
    tier,
    size: batch,
    batch,
    timeMs: r.summary,
    inner: r.inner,
    warmup: r.warmup,
    throughput: batch / sec,
    unit: 'images/s',
    gflops,
    peakFraction: peak ? gflops / peak : undefined,
  };
}

/** The tfjs matrix-product rate of the active backend: C = A·B with n×n float32 matrices. */
export function benchMatmulPeak(n: number, tier: string, m: MeasureOptions): BenchRow {
  const rng = new Rng(9);
  const A = tf.tensor2d(Float32Array.from(rng.normals(n * n)), [n, n]);
  const B = tf.tensor2d(Float32Array.from(rng.normals(n * n)), [n, n]);
  try {
    const r = measure(() => finish(tf.matMul(A, B)), m);
    const gflops = (2 * n ** 3) / (r.summary.median / 1000) / 1e9;
    return { workload: 'peak', name: `sgemm ${n}³`, tier, size: n, timeMs: r.summary, inner: r.inner, warmup: r.warmup, throughput: gflops, unit: 'GFLOP/s', gflops };
  } finally {
    tf.dispose([A, B]);
  }
}
