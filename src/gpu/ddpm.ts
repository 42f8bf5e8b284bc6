/**
 * Section E1 of the formula catalog on tensors: the DDPM ancestral step
 * p_θ(x_{t-1} | x_t) = N(μ_θ, σ_t² I). float64 twin: src/reference/ddpm.ts.
 *
 * `t` is the papers' 1-based index, t ∈ {1..T}, a number or an int32 tf.Tensor1D of per-row
 * timesteps: the step maps x_t to x_{t-1}, and rows at t = 1 get the mean μ_θ(x_1, 1) without noise
 * (per row, so a batch may mix t = 1 with t ≥ 2). Data are float32 tf.Tensor2D [batch, dim].
 *
 * As in the reference: seed 001's sampling loop adds noise at the final step and indexes the
 * schedule off by one, and seed 004's inference box writes "μ_θ + σ_q²(t) z" (variance for standard
 * deviation); both are bugs, and this file follows Ho et al. 2020 Algorithm 2.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import type { Rng } from '../reference/rng.js';
import { atStep, checkBatch, checkBatchLike, checkFiniteIo, checkTensorSchedule, checkTimesteps, requirePositiveAlphaBar, type Timesteps } from './common.js';
import { PREDICTIONS, x0FromPredictionRaw, type Prediction } from './parameterization.js';
import { posteriorMeanFromEpsRaw, posteriorMeanRaw } from './posterior.js';
import type { TensorSchedule } from './schedules.js';

/**
 * The reverse-step variance (as the reference's VarianceSpec, with tensors for the per-element forms):
 * 'posterior' (default, σ_t² = β̃_t, clipped at t = 1), 'beta' (σ_t² = β_t, β̃_2 at t = 1),
 * `{ learnedRange: v }` (log σ² = v·log β_t + (1-v)·log β̃_t, v ∈ [0, 1]; Nichol & Dhariwal 2021
 * eq. (15)) or `{ logVariance: lv }` (per-element log σ² given).
 */
export type TensorVarianceSpec = 'beta' | 'posterior' | { learnedRange: tf.Tensor2D } | { logVariance: tf.Tensor2D };

export interface TensorDdpmStepOptions {
  /** What `modelOutput` predicts (default 'eps'). */
  prediction?: Prediction;
  /** Reverse-step variance (default 'posterior'). */
  variance?: TensorVarianceSpec;
  /** z ~ N(0, I), [batch, dim]; ignored on rows at t = 1. Either `noise` or `rng` is needed when a row has t ≥ 2. */
  noise?: tf.Tensor2D;
  /** Draws z (host float64 normals, uploaded as float32) when `noise` is not given. */
  rng?: Rng;
  /** Clip x̂_0 to [-1, 1] before forming the mean. Default false. */
  clip?: boolean;
}

/**
 * log σ_t² of a fixed reverse-step variance, one entry per timestep (tf.Tensor1D; length 1 for a
 * number t): 'posterior' → log β̃_t (clipped: log β̃_2 at t = 1); 'beta' → log β_t, except log β̃_2 at
 * t = 1 (improved-diffusion's "fixedlarge"). t ∈ {1..T}. float64 twin: src/reference/ddpm.ts.
 */
export function fixedLogVariance(schedule: TensorSchedule, t: Timesteps, variance: 'beta' | 'posterior'): tf.Tensor1D {
  const s = checkTensorSchedule(schedule);
  const ts = checkTimesteps('t', t, 1, s.T, typeof t === 'number' ? 1 : t instanceof tf.Tensor && t.rank === 1 ? t.shape[0] : -1);
  checkOneOf('variance', variance, ['beta', 'posterior'] as const);
  return tf.tidy(() => reverseLogVarianceRaw(s, t, ts, variance).reshape([-1])) as tf.Tensor1D;
}

/** log σ_t² per element/row for a validated variance spec (unchecked kernel). */
function reverseLogVarianceRaw(s: TensorSchedule, t: Timesteps, ts: number[], variance: TensorVarianceSpec): tf.Tensor2D {
  return tf.tidy(() => {
    const logPost = atStep(s.posteriorLogVarianceClipped, t);
    const logBeta = tf.log(atStep(s.betas, t));
    if (variance === 'posterior') return logPost;
    if (variance === 'beta') {
      // improved-diffusion's "fixedlarge": β_t for t ≥ 2, the clipped β̃_2 at t = 1 (per row).
      if (ts.every((v) => v >= 2)) return logBeta;
      if (typeof t === 'number') return logPost; // t = 1
      return tf.where(tf.equal(tf.reshape(t, [-1, 1]), 1), logPost, logBeta) as tf.Tensor2D;
    }
    if ('learnedRange' in variance) {
      const v = variance.learnedRange;
      return tf.add(tf.mul(v, logBeta), tf.mul(tf.sub(1, v), logPost)) as tf.Tensor2D;
    }
    return tf.clone(variance.logVariance);
  });
}

function checkVarianceSpec(variance: unknown, xt: tf.Tensor2D): TensorVarianceSpec {
  if (typeof variance === 'string') return checkOneOf('options.variance', variance, ['beta', 'posterior'] as const);
  if (variance && typeof variance === 'object' && 'learnedRange' in variance) {
    const v = checkBatchLike('options.variance.learnedRange', (variance as { learnedRange: unknown }).learnedRange, 'xt', xt);
    const [lo, hi] = tf.tidy(() => tf.stack([tf.min(v), tf.max(v)]).dataSync());
    if (!(lo >= 0 && hi <= 1)) throw new DiffusionInputError('options.variance.learnedRange', `values in [${lo}, ${hi}]`, 'must lie in [0, 1]');
    return { learnedRange: v };
  }
  if (variance && typeof variance === 'object' && 'logVariance' in variance) {
    return { logVariance: checkBatchLike('options.variance.logVariance', (variance as { logVariance: unknown }).logVariance, 'xt', xt) };
  }
  throw new DiffusionInputError('options.variance', variance, 'unknown value; expected "beta", "posterior", {learnedRange} or {logVariance}');
}

/**
 * Per-element log σ_t² of the reverse step for the given variance option, broadcastable against
 * [batch, dim] ([batch or 1, 1] for the fixed variances). t ∈ {1..T}.
 * float64 twin: src/reference/ddpm.ts.
 */
export function reverseLogVariance(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, variance: TensorVarianceSpec = 'posterior'): tf.Tensor2D {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('xt', xt);
  const ts = checkTimesteps('t', t, 1, s.T, x.shape[0]);
  const spec = checkVarianceSpec(variance, x);
  const out = reverseLogVarianceRaw(s, t, ts, spec);
  checkFiniteIo('reverseLogVariance', [['xt', x]], out);
  return out;
}

interface Checked {
  s: TensorSchedule;
  x: tf.Tensor2D;
  m: tf.Tensor2D;
  ts: number[];
  prediction: Prediction;
  spec: TensorVarianceSpec;
}

function checkStepArgs(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, modelOutput: tf.Tensor2D, options: TensorDdpmStepOptions): Checked {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('xt', xt);
  const m = checkBatchLike('modelOutput', modelOutput, 'xt', x);
  const ts = checkTimesteps('t', t, 1, s.T, x.shape[0]);
  const prediction = checkOneOf('options.prediction', options.prediction ?? 'eps', PREDICTIONS);
  if (prediction === 'eps') requirePositiveAlphaBar(s, ts, 'x̂_0 from ε');
  const spec = checkVarianceSpec(options.variance ?? 'posterior', x);
  return { s, x, m, ts, prediction, spec };
}

function pMeanVarianceRaw(c: Checked, t: Timesteps, clip: boolean): { mean: tf.Tensor2D; logVariance: tf.Tensor2D; predX0: tf.Tensor2D } {
  return tf.tidy(() => {
    let predX0 = x0FromPredictionRaw(c.s, c.x, t, c.m, c.prediction);
    if (clip) predX0 = tf.clipByValue(predX0, -1, 1);
    // 004 eq. (58) for an unclipped ε-prediction, eq. (52) (C1 with x̂_0) otherwise, as in the reference.
    const mean = c.prediction === 'eps' && !clip ? posteriorMeanFromEpsRaw(c.s, c.x, t, c.m) : posteriorMeanRaw(c.s, predX0, c.x, t);
    return { mean, logVariance: reverseLogVarianceRaw(c.s, t, c.ts, c.spec), predX0 };
  });
}

/**
 * The reverse-step moments (improved-diffusion's p_mean_variance): x̂_0 from the model output
 * (optionally clipped to [-1, 1]), μ_θ and log σ_t² (broadcastable against [batch, dim]).
 * t ∈ {1..T}. float64 twin: src/reference/ddpm.ts.
 */
export function pMeanVariance(
  schedule: TensorSchedule,
  xt: tf.Tensor2D,
  t: Timesteps,
  modelOutput: tf.Tensor2D,
  options: Omit<TensorDdpmStepOptions, 'noise' | 'rng'> = {},
): { mean: tf.Tensor2D; logVariance: tf.Tensor2D; predX0: tf.Tensor2D } {
  const c = checkStepArgs(schedule, xt, t, modelOutput, options);
  const out = pMeanVarianceRaw(c, t, !!options.clip);
  checkFiniteIo('pMeanVariance', [['xt', c.x], ['modelOutput', c.m]], [out.mean, out.logVariance, out.predX0]);
  return out;
}

/**
 * E1: one DDPM ancestral step x_{t-1} = μ_θ(x_t, t) + σ_t z for t ≥ 2 and x_0 = μ_θ(x_1, 1) at t = 1
 * (Ho et al. 2020 Algorithm 2; 003; 004 §2.7-2.8 eqs. (56), (58)), per row. `modelOutput` is ε̂, x̂_0
 * or v̂ (options.prediction). t ∈ {1..T} (1-based; diffusers' step index is t-1).
 * float64 twin: src/reference/ddpm.ts.
 */
export function ddpmStep(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, modelOutput: tf.Tensor2D, options: TensorDdpmStepOptions = {}): tf.Tensor2D {
  const c = checkStepArgs(schedule, xt, t, modelOutput, options);
  const needNoise = c.ts.some((v) => v >= 2);
  let z: tf.Tensor2D | null = null;
  let ownZ = false;
  if (needNoise) {
    if (options.noise !== undefined) z = checkBatchLike('options.noise', options.noise, 'xt', c.x);
    else if (options.rng) {
      const [b, d] = c.x.shape;
      z = tf.tensor2d(Float32Array.from(options.rng.normals(b * d)), [b, d]);
      ownZ = true;
    } else throw new DiffusionInputError('options.noise', undefined, `noise (or options.rng) is required for t = ${Math.max(...c.ts)} ≥ 2`);
  }
  const out = tf.tidy(() => {
    const { mean, logVariance } = pMeanVarianceRaw(c, t, !!options.clip);
    if (!z) return mean;
    let scaledNoise = tf.mul(tf.exp(tf.mul(0.5, logVariance)), z);
    // No noise on rows at t = 1 (the last step returns the mean).
    if (typeof t !== 'number') scaledNoise = tf.mul(scaledNoise, tf.cast(tf.greater(tf.reshape(t, [-1, 1]), 1), 'float32'));
    return tf.add(mean, scaledNoise);
  }) as tf.Tensor2D;
  const inputs: [string, tf.Tensor][] = [['xt', c.x], ['modelOutput', c.m]];
  if (z && !ownZ) inputs.push(['options.noise', z]);
  try {
    checkFiniteIo('ddpmStep', inputs, out);
  } finally {
    if (ownZ) z!.dispose();
  }
  return out;
}
