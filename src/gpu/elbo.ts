/**
 * Section F1-F3 of the formula catalog on tensors: Gaussian KL, the discretized Gaussian decoder
 * and the variational-bound terms in bits per dimension. float64 twin: src/reference/elbo.ts.
 *
 * Data are float32 tf.Tensor2D [batch, dim]; t is the papers' 1-based index (a number or an int32
 * tf.Tensor1D of per-row timesteps). The bound is -ELBO = L_T + Σ_{t=2..T} L_{t-1} + L_0
 * (001 derivations 1-2; 003; 004 §2.4-2.5 eq. (43)); `vbTerms` gives the term at step t per row.
 *
 * Float32 accuracy of the decoder CDFs (u = 2^-24; measured numbers in docs/tfjs-tier.md):
 * - 'tanh' (improved-diffusion's approximation Φ̃(z) = ½(1 + tanh(y)), y = √(2/π)(z + 0.044715z³)):
 *   evaluated in log space through the identity ½(1 + tanh y) = σ(2y), so log Φ̃ = logσ(2y) and a bin
 *   mass Φ̃(b) - Φ̃(a) = -expm1(B - A)·σ(A)·σ(-B) (A = 2y(b), B = 2y(a), B - A formed from the bin
 *   width without subtraction). Every factor keeps float32 *relative* accuracy, so log p has
 *   absolute error O(u·(1 + |A| + |B|)) even deep in both tails (where the float64 reference's
 *   1 + tanh(·) itself cancels). Clamped at log(1e-12) like the reference's parity mode.
 * - 'erf' (the twin of the reference's 'exact'): Φ(z) = ½(1 + erf(z/√2)) with tf.erf, which is
 *   Abramowitz & Stegun 7.1.26 on both the cpu and the wasm backend: absolute error ≤ 1.5e-7 in erf,
 *   i.e. ≤ 7.5e-8 in Φ, plus float32 rounding (≤ u near Φ = 1). A bin mass p therefore carries an
 *   absolute error of about 2e-7: log p is good to ~2e-7/p, i.e. useless for p ≲ 1e-6 (far bins and
 *   the tails of the edge bins). Masses are floored at 1e-12 (as improved-diffusion does) so that
 *   log p stays finite.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import { checkBatch, checkBatchLike, checkFiniteIo, checkTensorSchedule, checkTimesteps, requirePositiveAlphaBar, type Timesteps } from './common.js';
import { pMeanVariance, type TensorVarianceSpec } from './ddpm.js';
import { qSample } from './forward.js';
import { PREDICTIONS, type Prediction } from './parameterization.js';
import { qPosterior } from './posterior.js';
import type { TensorSchedule } from './schedules.js';

/**
 * e^d - 1 - d without cancellation: for |d| < ½ the series Σ_{k=2..10} d^k/k! (truncation
 * ≤ 2·(½)^9/11! ≈ 1e-10 relative), else expm1(d) - d (relative error ≤ ~10u there, since the value
 * is ≥ 0.1 while |expm1 d| + |d| ≤ ~|value|·10). float64 twin: expm1MinusX in src/reference/elbo.ts.
 */
function expm1MinusX(d: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const small = tf.less(tf.abs(d), 0.5);
    const ds = tf.clipByValue(d, -0.5, 0.5); // the series branch never sees large d (no overflow)
    let poly = tf.fill(ds.shape, 1 / 3628800) as tf.Tensor; // 1/10!
    for (const k of [9, 8, 7, 6, 5, 4, 3, 2]) {
      let f = 1;
      for (let j = 2; j <= k; j++) f *= j;
      poly = tf.add(1 / f, tf.mul(ds, poly));
    }
    const series = tf.mul(tf.square(ds), poly);
    return tf.where(small, series, tf.sub(tf.expm1(d), d));
  });
}

type NumOrTensor = number | tf.Tensor;

/** Checks `normalKl`-style arguments: numbers or float32 tensors of mutually broadcastable shapes. */
function toTensors(names: string[], args: NumOrTensor[]): { tensors: tf.Tensor[]; owned: tf.Tensor[] } {
  const tensors: tf.Tensor[] = [];
  const owned: tf.Tensor[] = [];
  let shape: number[] | null = null;
  let shapeName = '';
  args.forEach((a, k) => {
    if (typeof a === 'number') {
      if (!Number.isFinite(a)) throw new DiffusionInputError(names[k], a, 'must be finite (NaN or infinite data)');
      const s = tf.scalar(a);
      tensors.push(s);
      owned.push(s);
      return;
    }
    if (!(a instanceof tf.Tensor)) throw new DiffusionInputError(names[k], a, 'must be a number or a float32 tf.Tensor');
    if (a.isDisposed) throw new DiffusionInputError(names[k], `tensor ${JSON.stringify(a.shape)}`, 'has been disposed');
    if (a.dtype !== 'float32') throw new DiffusionInputError(names[k], `dtype ${a.dtype}`, 'must be float32');
    if (shape === null) {
      shape = a.shape;
      shapeName = names[k];
    } else {
      try {
        shape = tf.broadcast_util.assertAndGetBroadcastShape(shape, a.shape);
      } catch {
        throw new DiffusionInputError(names[k], `shape ${JSON.stringify(a.shape)}`, `shape mismatch: does not broadcast against ${shapeName} ${JSON.stringify(shape)}`);
      }
    }
    tensors.push(a);
  });
  return { tensors, owned };
}

function normalKlRaw(m1: tf.Tensor, lv1: tf.Tensor, m2: tf.Tensor, lv2: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(0.5, tf.add(expm1MinusX(tf.sub(lv1, lv2)), tf.mul(tf.square(tf.sub(m1, m2)), tf.exp(tf.neg(lv2))))));
}

/**
 * F2: elementwise KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) in nats
 * = ½[e^{lv1-lv2} - 1 - (lv1-lv2) + (m1-m2)²e^{-lv2}] (002 §1, §2.3 with diagonal covariances;
 * improved-diffusion's normal_kl). Arguments are numbers or float32 tensors that broadcast against
 * each other; logVar is the log *variance*. e^Δ - 1 - Δ is evaluated without cancellation, so the
 * KL is 0 for equal arguments and never negative. float64 twin: src/reference/elbo.ts.
 */
export function normalKl(mean1: NumOrTensor, logVar1: NumOrTensor, mean2: NumOrTensor, logVar2: NumOrTensor): tf.Tensor {
  const names = ['mean1', 'logVar1', 'mean2', 'logVar2'];
  const { tensors, owned } = toTensors(names, [mean1, logVar1, mean2, logVar2]);
  try {
    const out = normalKlRaw(tensors[0], tensors[1], tensors[2], tensors[3]);
    checkFiniteIo('normalKl', tensors.map((x, k) => [names[k], x] as [string, tf.Tensor]), out);
    return out;
  } finally {
    owned.forEach((x) => x.dispose());
  }
}

export const DECODER_APPROX = ['erf', 'tanh'] as const;
export type TensorDecoderApprox = (typeof DECODER_APPROX)[number];

/** Floor of a bin mass before the log (improved-diffusion's clamp(min=1e-12)). */
const LOG_FLOOR = Math.log(1e-12);

/** log Φ̃ of the tanh approximation in log space: log ½(1 + tanh y) = logσ(2y), y = √(2/π)(z + 0.044715z³). */
function twoY(z: tf.Tensor): tf.Tensor {
  return tf.mul(2 * Math.sqrt(2 / Math.PI), tf.add(z, tf.mul(0.044715, tf.pow(z, 3))));
}

function decoderRaw(x: tf.Tensor2D, mean: tf.Tensor, logScale: tf.Tensor, approx: TensorDecoderApprox): tf.Tensor2D {
  return tf.tidy(() => {
    const k = tf.round(tf.mul(tf.add(x, 1), 127.5)); // bin index 0..255 (checked on the grid by the caller)
    const lowerEdge = tf.equal(k, 0);
    const upperEdge = tf.equal(k, 255);
    const invStd = tf.exp(tf.neg(logScale));
    const c = tf.sub(x, mean);
    const zPlus = tf.mul(tf.add(c, 1 / 255), invStd);
    const zMin = tf.mul(tf.sub(c, 1 / 255), invStd);
    let logLower: tf.Tensor; // log mass of (-∞, x + 1/255]
    let logUpper: tf.Tensor; // log mass of [x - 1/255, ∞)
    let logMid: tf.Tensor; // log mass of [x - 1/255, x + 1/255]
    if (approx === 'tanh') {
      const A = twoY(zPlus);
      const B = twoY(zMin);
      logLower = tf.logSigmoid(A);
      logUpper = tf.logSigmoid(tf.neg(B));
      // B - A = -2√(2/π)·w·(1 + 0.044715(z₊² + z₊z₋ + z₋²)), w = z₊ - z₋ = (2/255)/σ formed directly.
      const w = tf.mul(2 / 255, invStd);
      const q = tf.add(tf.add(tf.square(zPlus), tf.mul(zPlus, zMin)), tf.square(zMin));
      const bMinusA = tf.mul(-2 * Math.sqrt(2 / Math.PI), tf.mul(w, tf.add(1, tf.mul(0.044715, q))));
      logMid = tf.add(tf.add(logLower, logUpper), tf.log(tf.neg(tf.expm1(bMinusA))));
      const lp = tf.where(lowerEdge, logLower, tf.where(upperEdge, logUpper, logMid));
      return tf.maximum(lp, LOG_FLOOR) as tf.Tensor2D;
    }
    const cdf = (z: tf.Tensor) => tf.mul(0.5, tf.add(1, tf.erf(tf.mul(Math.SQRT1_2, z))));
    const cdfPlus = cdf(zPlus);
    const oneMinusCdfMin = cdf(tf.neg(zMin));
    const delta = tf.mul(0.5, tf.sub(tf.erf(tf.mul(Math.SQRT1_2, zPlus)), tf.erf(tf.mul(Math.SQRT1_2, zMin))));
    const p = tf.where(lowerEdge, cdfPlus, tf.where(upperEdge, oneMinusCdfMin, delta));
    return tf.log(tf.maximum(p, 1e-12)) as tf.Tensor2D;
  });
}

/** Throws unless every element of x (on rows where `rowMask` is 1, if given) is 8-bit data k/127.5 - 1. */
function checkGrid(name: string, x: tf.Tensor2D, rowMask?: tf.Tensor): void {
  const bad = tf.tidy(() => {
    const k = tf.round(tf.mul(tf.add(x, 1), 127.5));
    const off = tf.abs(tf.sub(x, tf.sub(tf.div(k, 127.5), 1)));
    let badEl = tf.logicalOr(tf.logicalOr(tf.less(x, -1 - 1e-4), tf.greater(x, 1 + 1e-4)), tf.greater(off, 1e-4));
    if (rowMask) badEl = tf.logicalAnd(badEl, tf.cast(rowMask, 'bool'));
    return tf.any(badEl).dataSync()[0];
  });
  if (!bad) return;
  const data = x.dataSync();
  const mask = rowMask ? rowMask.dataSync() : null;
  const d = x.shape[1];
  for (let i = 0; i < data.length; i++) {
    if (mask && !mask[Math.floor(i / d)]) continue;
    const v = data[i];
    const k = Math.round((v + 1) * 127.5);
    if (!(v >= -1 - 1e-4 && v <= 1 + 1e-4)) throw new DiffusionInputError(`${name}[${Math.floor(i / d)}][${i % d}]`, v, '8-bit data must lie in [-1, 1]');
    if (Math.abs(v - (k / 127.5 - 1)) > 1e-4) throw new DiffusionInputError(`${name}[${Math.floor(i / d)}][${i % d}]`, v, 'not on the 8-bit grid k/127.5 - 1, k ∈ {0..255}');
  }
}

/**
 * F3 (Ho et al. 2020 eq. (13)): elementwise log-probability (nats) of 8-bit data x ∈ [-1, 1]
 * (x = k/127.5 - 1) under the discretized Gaussian N(mean, e^{2·logScale}): the mass of the bin
 * [x - 1/255, x + 1/255], with the edge bins open ((-∞, -1 + 1/255] for k = 0, [1 - 1/255, ∞) for
 * k = 255) so the 256 probabilities sum to 1. `logScale` is log σ. `mean` and `logScale` are numbers
 * or tensors broadcasting against x [batch, dim]. options.approx: 'erf' (default, twin of the
 * reference's 'exact') or 'tanh' (twin of the reference's 'tanh'); see the file comment for the
 * float32 accuracy of each in the tails. float64 twin: src/reference/elbo.ts.
 */
export function discretizedGaussianLogLikelihood(
  x: tf.Tensor2D,
  mean: NumOrTensor,
  logScale: NumOrTensor,
  options: { approx?: TensorDecoderApprox } = {},
): tf.Tensor2D {
  const approx = checkOneOf('options.approx', options.approx ?? 'erf', DECODER_APPROX);
  const xb = checkBatch('x', x);
  const names = ['x', 'mean', 'logScale'];
  const { tensors, owned } = toTensors(names, [xb, mean, logScale]);
  try {
    const outShape = tf.broadcast_util.assertAndGetBroadcastShape(tf.broadcast_util.assertAndGetBroadcastShape(tensors[1].shape, tensors[2].shape), xb.shape);
    if (outShape.length !== 2 || outShape[0] !== xb.shape[0] || outShape[1] !== xb.shape[1]) {
      throw new DiffusionInputError('mean', `shape ${JSON.stringify(tensors[1].shape)}`, `shape mismatch: mean and logScale must broadcast to x's shape ${JSON.stringify(xb.shape)}`);
    }
    checkGrid('x', xb);
    const out = decoderRaw(xb, tensors[1], tensors[2], approx);
    checkFiniteIo('discretizedGaussianLogLikelihood', tensors.map((v, k) => [names[k], v] as [string, tf.Tensor]), out);
    return out;
  } finally {
    owned.forEach((v) => v.dispose());
  }
}

/** The model given to the bound: its prediction (ε̂ by default) for (x_t, t), [batch, dim]. */
export type TensorDenoiser = (xt: tf.Tensor2D, t: Timesteps) => tf.Tensor2D;

export interface TensorVbOptions {
  /** What the model predicts (default 'eps'). */
  prediction?: Prediction;
  /**
   * Reverse-step variance (default 'posterior'), or a function of (x_t, t) returning a learned
   * variance spec ({learnedRange} or {logVariance}, [batch, dim]), evaluated on the same x_t as the model.
   */
  variance?: 'beta' | 'posterior' | ((xt: tf.Tensor2D, t: Timesteps) => TensorVarianceSpec);
  /** Clip x̂_0 to [-1, 1] (default false). */
  clip?: boolean;
  /** Decoder CDF (default 'erf'). */
  approx?: TensorDecoderApprox;
}

/**
 * F1/F2/F3: the VLB term at step t in bits per dimension, one value per row (a tf.Tensor1D [batch]),
 * for x_t = √ᾱ_t x_0 + √(1-ᾱ_t)·noise (improved-diffusion's _vb_terms_bpd): rows with t ≥ 2 →
 * L_{t-1} = KL(q(x_{t-1}|x_t, x_0) ‖ p_θ(x_{t-1}|x_t)) (normalKl, 002 §1); rows with t = 1 →
 * L_0 = -log p_θ(x_0|x_1) under the discretized decoder with log σ = ½·log σ_1² (those rows of x_0
 * must be 8-bit data). t ∈ {1..T}. float64 twin: src/reference/elbo.ts.
 */
export function vbTerms(schedule: TensorSchedule, model: TensorDenoiser, x0: tf.Tensor2D, t: Timesteps, noise: tf.Tensor2D, options: TensorVbOptions = {}): tf.Tensor1D {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('x0', x0);
  const nz = checkBatchLike('noise', noise, 'x0', x);
  const ts = checkTimesteps('t', t, 1, s.T, x.shape[0]);
  if (typeof model !== 'function') throw new DiffusionInputError('model', model, 'must be a function (x_t, t) => prediction');
  const prediction = checkOneOf('options.prediction', options.prediction ?? 'eps', PREDICTIONS);
  if (prediction === 'eps') requirePositiveAlphaBar(s, ts, 'x̂_0 from ε');
  const approx = checkOneOf('options.approx', options.approx ?? 'erf', DECODER_APPROX);
  const anyDecoder = ts.some((v) => v === 1);
  const anyKl = ts.some((v) => v >= 2);
  const d = x.shape[1];
  const rowIsOne = typeof t === 'number' ? null : tf.tidy(() => tf.reshape(tf.cast(tf.equal(t, 1), 'float32'), [-1, 1]));
  const disposeLater: tf.Tensor[] = [];
  try {
    if (anyDecoder) checkGrid('x0', x, rowIsOne ?? undefined);
    const xt = qSample(s, x, t, nz);
    disposeLater.push(xt);
    const out = model(xt, t);
    if (out instanceof tf.Tensor && out !== xt && out !== x && out !== nz) disposeLater.push(out);
    const m = checkBatchLike(`model(x_t, t)`, out, 'x0', x);
    let variance: TensorVarianceSpec;
    if (typeof options.variance === 'function') {
      variance = options.variance(xt, t);
      const v = variance as { learnedRange?: tf.Tensor; logVariance?: tf.Tensor };
      if (v && v.learnedRange instanceof tf.Tensor) disposeLater.push(v.learnedRange);
      else if (v && v.logVariance instanceof tf.Tensor) disposeLater.push(v.logVariance);
    } else variance = options.variance ?? 'posterior';
    const p = pMeanVariance(s, xt, t, m, { prediction, variance, clip: options.clip });
    disposeLater.push(p.mean, p.logVariance, p.predX0);
    const terms: tf.Tensor[] = [];
    if (anyDecoder) {
      const logScale = tf.mul(0.5, p.logVariance);
      disposeLater.push(logScale);
      const ll = tf.tidy(() => decoderRaw(x, p.mean, logScale, approx));
      disposeLater.push(ll);
      terms.push(tf.tidy(() => tf.neg(tf.sum(ll, 1))));
    }
    if (anyKl) {
      const q = qPosterior(s, x, xt, t);
      disposeLater.push(q.mean, q.variance, q.logVariance);
      terms.push(tf.tidy(() => tf.sum(normalKlRaw(q.mean, q.logVariance, p.mean, p.logVariance), 1)));
    }
    const res = tf.tidy(() => {
      let nats: tf.Tensor;
      if (terms.length === 1) nats = terms[0];
      else nats = tf.where(tf.equal(tf.reshape(rowIsOne!, [-1]), 1), terms[0], terms[1]); // decoder rows (t = 1) vs KL rows
      return tf.div(nats, d * Math.LN2);
    }) as tf.Tensor1D;
    disposeLater.push(...terms);
    checkFiniteIo('vbTerms', [['x0', x], ['noise', nz]], res);
    return res;
  } finally {
    disposeLater.forEach((v) => v.dispose());
    rowIsOne?.dispose();
  }
}
