/**
 * Section C1-C3 of the formula catalog on tensors: the forward-process posterior
 * q(x_{t-1} | x_t, x_0). float64 twin: src/reference/posterior.ts.
 *
 * Data are float32 tf.Tensor2D [batch, dim]; t is the papers' 1-based index (a number or an int32
 * tf.Tensor1D of per-row timesteps), t ∈ {1..T}. Per-row scalars (variances) are returned as
 * [batch or 1, 1] tensors that broadcast against the data. The caller disposes the results.
 */
import * as tf from '@tensorflow/tfjs';
import { atStep, atTime, checkBatch, checkBatchLike, checkFiniteIo, checkTensorSchedule, checkTimesteps, requirePositiveAlphaBar, type Timesteps } from './common.js';
import type { TensorSchedule } from './schedules.js';

/** posteriorMean without validation, for use inside other tensor formulas (ddpm.ts, elbo.ts). */
export function posteriorMeanRaw(s: TensorSchedule, x0: tf.Tensor2D, xt: tf.Tensor2D, t: Timesteps): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(atStep(s.posteriorMeanCoef1, t), x0), tf.mul(atStep(s.posteriorMeanCoef2, t), xt))) as tf.Tensor2D;
}

/**
 * C1: posterior mean μ̃_t(x_t, x_0) = √ᾱ_{t-1}β_t/(1-ᾱ_t)·x_0 + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t)·x_t
 * (004 §2.6 eq. (36); 001 derivations 5-6; 000 appendix). At t = 1 this is x_0 (coefficients 1 and
 * 0). Also D4's μ_θ from x̂_0 (004 eq. (52)) with x̂_0 in place of x_0. t ∈ {1..T}.
 * float64 twin: src/reference/posterior.ts.
 */
export function posteriorMean(schedule: TensorSchedule, x0: tf.Tensor2D, xt: tf.Tensor2D, t: Timesteps): tf.Tensor2D {
  const s = checkTensorSchedule(schedule);
  const a = checkBatch('x0', x0);
  const b = checkBatchLike('xt', xt, 'x0', a);
  checkTimesteps('t', t, 1, s.T, a.shape[0]);
  const out = posteriorMeanRaw(s, a, b, t);
  checkFiniteIo('posteriorMean', [['x0', a], ['xt', b]], out);
  return out;
}

/**
 * C1 + C3: q(x_{t-1} | x_t, x_0) = N(μ̃_t, β̃_t I), β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (004 eq. (36);
 * improved-diffusion's q_posterior_mean_variance). `variance` is β̃_t (0 at t = 1) and
 * `logVariance` the clipped log variance of C3 (log β̃_2 at t = 1), both [batch or 1, 1].
 * t ∈ {1..T}. float64 twin: src/reference/posterior.ts.
 */
export function qPosterior(
  schedule: TensorSchedule,
  x0: tf.Tensor2D,
  xt: tf.Tensor2D,
  t: Timesteps,
): { mean: tf.Tensor2D; variance: tf.Tensor2D; logVariance: tf.Tensor2D } {
  const s = checkTensorSchedule(schedule);
  const a = checkBatch('x0', x0);
  const b = checkBatchLike('xt', xt, 'x0', a);
  checkTimesteps('t', t, 1, s.T, a.shape[0]);
  const out = {
    mean: posteriorMeanRaw(s, a, b, t),
    variance: atStep(s.posteriorVariance, t),
    logVariance: atStep(s.posteriorLogVarianceClipped, t),
  };
  checkFiniteIo('qPosterior', [['x0', a], ['xt', b]], [out.mean, out.variance, out.logVariance]);
  return out;
}

/** posteriorMeanFromEps without validation (ddpm.ts, elbo.ts). */
export function posteriorMeanFromEpsRaw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const c = tf.div(atStep(s.betas, t), atTime(s.sqrtOneMinusAlphaBars, t)); // β_t/√(1-ᾱ_t)
    return tf.mul(tf.sub(xt, tf.mul(c, eps)), atStep(s.sqrtRecipAlphas, t));
  }) as tf.Tensor2D;
}

/**
 * C2: the ε-form of the posterior mean, μ̃_t = (x_t - β_t/√(1-ᾱ_t)·ε)/√α_t (004 eq. (57); 002 §1.1).
 * Also D4's μ_θ from ε̂ (004 eq. (58)). Undefined where ᾱ_t = 0 (zero terminal SNR at t = T, where
 * α_T = 0): throws naming t. t ∈ {1..T}. float64 twin: src/reference/posterior.ts.
 */
export function posteriorMeanFromEps(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('xt', xt);
  const e = checkBatchLike('eps', eps, 'xt', x);
  const ts = checkTimesteps('t', t, 1, s.T, x.shape[0]);
  requirePositiveAlphaBar(s, ts, 'the ε-form of the posterior mean');
  const out = posteriorMeanFromEpsRaw(s, x, t, e);
  checkFiniteIo('posteriorMeanFromEps', [['xt', x], ['eps', e]], out);
  return out;
}

function batchOf(t: Timesteps): number {
  return typeof t === 'number' ? 1 : t instanceof tf.Tensor && t.rank === 1 ? t.shape[0] : -1;
}

/**
 * C3: log β̃_t with t = 1 clipped to log β̃_2 (improved-diffusion's posterior_log_variance_clipped),
 * as a tf.Tensor1D with one entry per timestep (length 1 for a number t). t ∈ {1..T}.
 * float64 twin: src/reference/posterior.ts.
 */
export function posteriorLogVarianceClipped(schedule: TensorSchedule, t: Timesteps): tf.Tensor1D {
  const s = checkTensorSchedule(schedule);
  checkTimesteps('t', t, 1, s.T, batchOf(t));
  return tf.tidy(() => atStep(s.posteriorLogVarianceClipped, t).reshape([-1])) as tf.Tensor1D;
}

/**
 * C1: β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (0 at t = 1), as a tf.Tensor1D with one entry per timestep.
 * t ∈ {1..T}. float64 twin: src/reference/posterior.ts.
 */
export function posteriorVariance(schedule: TensorSchedule, t: Timesteps): tf.Tensor1D {
  const s = checkTensorSchedule(schedule);
  checkTimesteps('t', t, 1, s.T, batchOf(t));
  return tf.tidy(() => atStep(s.posteriorVariance, t).reshape([-1])) as tf.Tensor1D;
}
