/**
 * Section B of the formula catalog on tensors: the forward (noising) process.
 * float64 twin: src/reference/forward.ts.
 *
 * Data are float32 `tf.Tensor2D` of shape [batch, dim]; `t` is the papers' 1-based index, either a
 * number for every row or an int32 tf.Tensor1D [batch] of per-row timesteps (see common.ts). The
 * coefficients come from the log-space tables of the TensorSchedule (schedules.ts), so nothing
 * cancels near t → 0 or t → T. The caller owns (and disposes) the returned tensor.
 */
import * as tf from '@tensorflow/tfjs';
import { atStep, atTime, checkBatch, checkBatchLike, checkFiniteIo, checkTensorSchedule, checkTimesteps, type Timesteps } from './common.js';
import type { TensorSchedule } from './schedules.js';

/**
 * B1: one forward step, x_t = √α_t x_{t-1} + √β_t ε, i.e. a draw from
 * q(x_t | x_{t-1}) = N(√α_t x_{t-1}, β_t I) given the standard normal `eps`
 * (003 eq. for q(x_t|x_{t-1}); 004 eq. (99)). t ∈ {1..T}.
 * float64 twin: src/reference/forward.ts.
 */
export function qStep(schedule: TensorSchedule, xPrev: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('xPrev', xPrev);
  const e = checkBatchLike('eps', eps, 'xPrev', x);
  checkTimesteps('t', t, 1, s.T, x.shape[0]);
  const out = tf.tidy(() => tf.add(tf.mul(atStep(s.sqrtAlphas, t), x), tf.mul(tf.sqrt(atStep(s.betas, t)), e))) as tf.Tensor2D;
  checkFiniteIo('qStep', [['xPrev', x], ['eps', e]], out);
  return out;
}

/**
 * B2: the closed-form marginal, x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, a draw from
 * q(x_t | x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I) (001 derivation 4; 004 §2.3 eq. (24)).
 * t ∈ {0..T}; t = 0 returns x_0 (ᾱ_0 = 1). (004's "Training (predict image)" box drops the square
 * root of ᾱ_t: a typo, as noted in the reference.)
 * float64 twin: src/reference/forward.ts.
 */
export function qSample(schedule: TensorSchedule, x0: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('x0', x0);
  const e = checkBatchLike('eps', eps, 'x0', x);
  checkTimesteps('t', t, 0, s.T, x.shape[0]);
  const out = tf.tidy(() => tf.add(tf.mul(atTime(s.sqrtAlphaBars, t), x), tf.mul(atTime(s.sqrtOneMinusAlphaBars, t), e))) as tf.Tensor2D;
  checkFiniteIo('qSample', [['x0', x], ['eps', e]], out);
  return out;
}

/**
 * B2 as moments: mean √ᾱ_t x_0 and variance 1-ᾱ_t with its log (improved-diffusion's
 * q_mean_variance), the variances per row as [batch or 1, 1] tensors. t ∈ {1..T}.
 * float64 twin: src/reference/forward.ts.
 */
export function qMeanVariance(schedule: TensorSchedule, x0: tf.Tensor2D, t: Timesteps): { mean: tf.Tensor2D; variance: tf.Tensor2D; logVariance: tf.Tensor2D } {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('x0', x0);
  checkTimesteps('t', t, 1, s.T, x.shape[0]);
  const out = tf.tidy(() => {
    const variance = atTime(s.oneMinusAlphaBars, t);
    return { mean: tf.mul(atTime(s.sqrtAlphaBars, t), x) as tf.Tensor2D, variance, logVariance: tf.log(variance) as tf.Tensor2D };
  });
  checkFiniteIo('qMeanVariance', [['x0', x]], [out.mean, out.variance, out.logVariance]);
  return out;
}
