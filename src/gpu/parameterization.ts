/**
 * Section D1-D4 of the formula catalog on tensors: conversions between what a network may predict
 * (ε, x_0, v, the score) and the mean of the reverse step. float64 twin:
 * src/reference/parameterization.ts.
 *
 * Data are float32 tf.Tensor2D [batch, dim]; t is the papers' 1-based index (a number or an int32
 * tf.Tensor1D of per-row timesteps), t ∈ {1..T}. Coefficients use the schedule's log-space tables
 * √(1/ᾱ_t) = exp(-½ log ᾱ_t) and √(1/ᾱ_t - 1) = √expm1(-log ᾱ_t) (improved-diffusion's
 * sqrt_recip_alphas_cumprod / sqrt_recipm1_alphas_cumprod), which do not cancel as ᾱ_t → 1.
 * Where ᾱ_t = 0 (zero terminal SNR, t = T) the formulas that divide by √ᾱ_t throw, naming t.
 */
import * as tf from '@tensorflow/tfjs';
import { checkOneOf } from '../reference/errors.js';
import { PREDICTIONS, type Prediction } from '../reference/parameterization.js';
import { atTime, checkBatch, checkBatchLike, checkFiniteIo, checkTensorSchedule, checkTimesteps, requirePositiveAlphaBar, type Timesteps } from './common.js';
import { posteriorMeanFromEpsRaw, posteriorMeanRaw } from './posterior.js';
import type { TensorSchedule } from './schedules.js';

export { PREDICTIONS, type Prediction };

/** Validates (schedule, a, t, b) for a two-input formula and returns the host timesteps. */
function prep(schedule: TensorSchedule, na: string, a: tf.Tensor2D, nb: string, b: tf.Tensor2D, t: Timesteps): { s: TensorSchedule; a: tf.Tensor2D; b: tf.Tensor2D; ts: number[] } {
  const s = checkTensorSchedule(schedule);
  const ta = checkBatch(na, a);
  const tb = checkBatchLike(nb, b, na, ta);
  const ts = checkTimesteps('t', t, 1, s.T, ta.shape[0]);
  return { s, a: ta, b: tb, ts };
}

// ---- unchecked kernels (used by ddpm.ts, ddim.ts, elbo.ts after their own validation) ----------

/** D1 unchecked: √(1/ᾱ_t)·x_t - √(1/ᾱ_t - 1)·ε̂. */
export function predictX0FromEpsRaw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sub(tf.mul(atTime(s.sqrtRecipAlphaBars, t), xt), tf.mul(atTime(s.sqrtRecipm1AlphaBars, t), eps))) as tf.Tensor2D;
}
/** D1 reversed unchecked: (x_t - √ᾱ_t·x̂_0)/√(1-ᾱ_t). */
export function predictEpsFromX0Raw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, x0: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(tf.sub(xt, tf.mul(atTime(s.sqrtAlphaBars, t), x0)), atTime(s.sqrtOneMinusAlphaBars, t))) as tf.Tensor2D;
}
/** D2 unchecked: ε = √ᾱ_t·v + √(1-ᾱ_t)·x_t. */
export function epsFromVRaw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(tf.mul(atTime(s.sqrtAlphaBars, t), v), tf.mul(atTime(s.sqrtOneMinusAlphaBars, t), xt))) as tf.Tensor2D;
}
/** D2 unchecked: x_0 = √ᾱ_t·x_t - √(1-ᾱ_t)·v. */
export function x0FromVRaw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, v: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sub(tf.mul(atTime(s.sqrtAlphaBars, t), xt), tf.mul(atTime(s.sqrtOneMinusAlphaBars, t), v))) as tf.Tensor2D;
}

/**
 * D1: x̂_0 = (x_t - √(1-ᾱ_t)·ε̂)/√ᾱ_t = √(1/ᾱ_t)·x_t - √(1/ᾱ_t - 1)·ε̂ (004 §2.8, the inverse of B2).
 * t ∈ {1..T}; throws where ᾱ_t = 0. float64 twin: src/reference/parameterization.ts.
 */
export function predictX0FromEps(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'eps', eps, t);
  requirePositiveAlphaBar(p.s, p.ts, 'x̂_0 from ε');
  const out = predictX0FromEpsRaw(p.s, p.a, t, p.b);
  checkFiniteIo('predictX0FromEps', [['xt', p.a], ['eps', p.b]], out);
  return out;
}

/**
 * D1 reversed: ε̂ = (x_t - √ᾱ_t·x̂_0)/√(1-ᾱ_t) (004 §2.8). t ∈ {1..T}.
 * float64 twin: src/reference/parameterization.ts.
 */
export function predictEpsFromX0(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, x0: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'x0', x0, t);
  const out = predictEpsFromX0Raw(p.s, p.a, t, p.b);
  checkFiniteIo('predictEpsFromX0', [['xt', p.a], ['x0', p.b]], out);
  return out;
}

/**
 * D2 (seed 000 "v-prediction"; Salimans & Ho 2022): v = √ᾱ_t·ε - √(1-ᾱ_t)·x_0 from x_0 and ε
 * (same arguments, same order as `qSample(s, x0, t, eps)`). t ∈ {1..T}. float64 twin:
 * src/reference/parameterization.ts.
 */
export function vFromX0AndEps(schedule: TensorSchedule, x0: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'x0', x0, 'eps', eps, t);
  const out = tf.tidy(() => tf.sub(tf.mul(atTime(p.s.sqrtAlphaBars, t), p.b), tf.mul(atTime(p.s.sqrtOneMinusAlphaBars, t), p.a))) as tf.Tensor2D;
  checkFiniteIo('vFromX0AndEps', [['x0', p.a], ['eps', p.b]], out);
  return out;
}

/**
 * D2 given x_t and ε (x_0 implied through B2): v = (ε - √(1-ᾱ_t)·x_t)/√ᾱ_t. t ∈ {1..T}; throws
 * where ᾱ_t = 0. The inverse of `epsFromV(s, xt, t, v)`. float64 twin: src/reference/parameterization.ts.
 */
export function vFromEps(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'eps', eps, t);
  requirePositiveAlphaBar(p.s, p.ts, 'v from (x_t, ε)');
  const out = tf.tidy(() => tf.mul(tf.sub(p.b, tf.mul(atTime(p.s.sqrtOneMinusAlphaBars, t), p.a)), atTime(p.s.sqrtRecipAlphaBars, t))) as tf.Tensor2D;
  checkFiniteIo('vFromEps', [['xt', p.a], ['eps', p.b]], out);
  return out;
}

/**
 * @deprecated Use `vFromX0AndEps(s, x0, t, eps)` (x_0 first, t second, like `qSample`). This alias,
 * with its old argument order (s, t, eps, x0), goes after one release.
 */
export function vFromEpsAndX0(schedule: TensorSchedule, t: Timesteps, eps: tf.Tensor2D, x0: tf.Tensor2D): tf.Tensor2D {
  return vFromX0AndEps(schedule, x0, t, eps);
}

/**
 * @deprecated Use `vFromEps(s, xt, t, eps)`: this name said "from ε and x_0" but the function takes
 * x_t and ε. Same arguments, same order; the alias goes after one release.
 */
export const vFromEpsX0 = vFromEps;

/** D2 inverted: ε = √ᾱ_t·v + √(1-ᾱ_t)·x_t (seed 000 "v-prediction"). t ∈ {1..T}. float64 twin: src/reference/parameterization.ts. */
export function epsFromV(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, v: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'v', v, t);
  const out = epsFromVRaw(p.s, p.a, t, p.b);
  checkFiniteIo('epsFromV', [['xt', p.a], ['v', p.b]], out);
  return out;
}

/**
 * D2 inverted: x_0 = √ᾱ_t·x_t - √(1-ᾱ_t)·v (seed 000 "v-prediction"). t ∈ {1..T}; defined at
 * ᾱ_T = 0. float64 twin: src/reference/parameterization.ts.
 */
export function x0FromV(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, v: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'v', v, t);
  const out = x0FromVRaw(p.s, p.a, t, p.b);
  checkFiniteIo('x0FromV', [['xt', p.a], ['v', p.b]], out);
  return out;
}

/**
 * D3: the score s = ∇ log p_t(x_t) ≈ -ε̂/√(1-ᾱ_t) (001 "as score matching"; 004 §3). t ∈ {1..T}.
 * (x_t fixes and checks the shape; the value does not depend on it.)
 * float64 twin: src/reference/parameterization.ts.
 */
export function scoreFromEps(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, eps: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'eps', eps, t);
  const out = tf.tidy(() => tf.neg(tf.div(p.b, atTime(p.s.sqrtOneMinusAlphaBars, t)))) as tf.Tensor2D;
  checkFiniteIo('scoreFromEps', [['xt', p.a], ['eps', p.b]], out);
  return out;
}

/** D3 inverted: ε̂ = -√(1-ᾱ_t)·s. t ∈ {1..T}. float64 twin: src/reference/parameterization.ts. */
export function epsFromScore(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, score: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'score', score, t);
  const out = tf.tidy(() => tf.neg(tf.mul(atTime(p.s.sqrtOneMinusAlphaBars, t), p.b))) as tf.Tensor2D;
  checkFiniteIo('epsFromScore', [['xt', p.a], ['score', p.b]], out);
  return out;
}

/**
 * D3, Tweedie's formula: E[x_0 | x_t] = (x_t + (1-ᾱ_t)·∇ log p_t(x_t))/√ᾱ_t (004 §3; 001 "as score
 * matching"). t ∈ {1..T}; throws where ᾱ_t = 0. float64 twin: src/reference/parameterization.ts.
 */
export function tweedieX0(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, score: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'score', score, t);
  requirePositiveAlphaBar(p.s, p.ts, "Tweedie's x̂_0");
  const out = tf.tidy(() => tf.mul(tf.add(p.a, tf.mul(atTime(p.s.oneMinusAlphaBars, t), p.b)), atTime(p.s.sqrtRecipAlphaBars, t))) as tf.Tensor2D;
  checkFiniteIo('tweedieX0', [['xt', p.a], ['score', p.b]], out);
  return out;
}

/**
 * D4: μ_θ(x_t) from a predicted x̂_0 (004 eq. (52)): the posterior mean C1 with x̂_0 for x_0
 * (written once, in posterior.ts). t ∈ {1..T}. float64 twin: src/reference/parameterization.ts.
 */
export function meanFromX0(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, x0Hat: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'x0Hat', x0Hat, t);
  const out = posteriorMeanRaw(p.s, p.b, p.a, t);
  checkFiniteIo('meanFromX0', [['xt', p.a], ['x0Hat', p.b]], out);
  return out;
}

/**
 * D4: μ_θ(x_t) from a predicted ε̂ (004 eq. (58)) = C2 with ε̂ (written once, in posterior.ts).
 * t ∈ {1..T}; throws where ᾱ_t = 0. float64 twin: src/reference/parameterization.ts.
 */
export function meanFromEps(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, epsHat: tf.Tensor2D): tf.Tensor2D {
  const p = prep(schedule, 'xt', xt, 'epsHat', epsHat, t);
  requirePositiveAlphaBar(p.s, p.ts, 'the ε-form of the posterior mean');
  const out = posteriorMeanFromEpsRaw(p.s, p.a, t, p.b);
  checkFiniteIo('meanFromEps', [['xt', p.a], ['epsHat', p.b]], out);
  return out;
}

/** x0FromPrediction unchecked (the caller validated and checked ᾱ_t > 0 for 'eps'). */
export function x0FromPredictionRaw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, modelOutput: tf.Tensor2D, prediction: Prediction): tf.Tensor2D {
  if (prediction === 'eps') return predictX0FromEpsRaw(s, xt, t, modelOutput);
  if (prediction === 'v') return x0FromVRaw(s, xt, t, modelOutput);
  return tf.clone(modelOutput);
}

/** epsFromPrediction unchecked. */
export function epsFromPredictionRaw(s: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, modelOutput: tf.Tensor2D, prediction: Prediction): tf.Tensor2D {
  if (prediction === 'x0') return predictEpsFromX0Raw(s, xt, t, modelOutput);
  if (prediction === 'v') return epsFromVRaw(s, xt, t, modelOutput);
  return tf.clone(modelOutput);
}

/**
 * x̂_0 from a model output of the given kind: 'eps' → D1, 'x0' → the output itself, 'v' → D2.
 * t ∈ {1..T}. Shared by the DDPM and DDIM steps. float64 twin: src/reference/parameterization.ts.
 */
export function x0FromPrediction(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, modelOutput: tf.Tensor2D, prediction: Prediction): tf.Tensor2D {
  checkOneOf('prediction', prediction, PREDICTIONS);
  const p = prep(schedule, 'xt', xt, 'modelOutput', modelOutput, t);
  if (prediction === 'eps') requirePositiveAlphaBar(p.s, p.ts, 'x̂_0 from ε');
  const out = x0FromPredictionRaw(p.s, p.a, t, p.b, prediction);
  checkFiniteIo('x0FromPrediction', [['xt', p.a], ['modelOutput', p.b]], out);
  return out;
}

/**
 * ε̂ from a model output of the given kind: 'eps' → itself, 'x0' → D1 reversed, 'v' → D2.
 * t ∈ {1..T}. float64 twin: src/reference/parameterization.ts.
 */
export function epsFromPrediction(schedule: TensorSchedule, xt: tf.Tensor2D, t: Timesteps, modelOutput: tf.Tensor2D, prediction: Prediction): tf.Tensor2D {
  checkOneOf('prediction', prediction, PREDICTIONS);
  const p = prep(schedule, 'xt', xt, 'modelOutput', modelOutput, t);
  const out = epsFromPredictionRaw(p.s, p.a, t, p.b, prediction);
  checkFiniteIo('epsFromPrediction', [['xt', p.a], ['modelOutput', p.b]], out);
  return out;
}
