/**
 * Section C1-C3 of the formula catalog: the forward-process posterior q(x_{t-1} | x_t, x_0).
 *
 * `t` is the papers' 1-based index, t ∈ {1..T}; ᾱ_0 = 1. Vectors or batches in, same form out.
 */
import { zipMap, type Out, type VecOrBatch } from './batch.js';
import { checkFiniteRows, checkSchedule, checkT, requirePositiveAlphaBar } from './common.js';
import type { Schedule } from './schedules.js';

/**
 * C1: posterior mean μ̃_t(x_t, x_0) = √ᾱ_{t-1}β_t/(1-ᾱ_t)·x_0 + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t)·x_t
 * (004 §2.6 eq. (36); 001 derivations 5-6; 000 appendix). At t = 1 this is x_0 exactly
 * (coefficients 1 and 0). Also D4's μ_θ from x̂_0 (004 eq. (52)) with x̂_0 in place of x_0.
 */
export function posteriorMean<X extends VecOrBatch>(schedule: Schedule, x0: X, xt: VecOrBatch, t: number): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const [c0, ct] = s.posteriorMeanCoefs(t);
  return zipMap(['x0', 'xt'], [x0, xt], (a, b) => c0 * a + ct * b);
}

/**
 * C1 + C3: q(x_{t-1} | x_t, x_0) = N(μ̃_t, β̃_t I) with β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t
 * (004 eq. (36); improved-diffusion's q_posterior_mean_variance). `variance` is β̃_t itself
 * (0 at t = 1: the posterior is a point mass at x_0); `logVariance` is the clipped log variance of C3
 * (log β̃_2 at t = 1, since log 0 = -∞), the value every KL and sampler uses. t ∈ {1..T}.
 */
export function qPosterior<X extends VecOrBatch>(
  schedule: Schedule,
  x0: X,
  xt: VecOrBatch,
  t: number,
): { mean: Out<X>; variance: number; logVariance: number } {
  const s = checkSchedule(schedule);
  checkT(s, t);
  return { mean: posteriorMean(s, x0, xt, t), variance: s.posteriorVariance(t), logVariance: s.posteriorLogVarianceClipped(t) };
}

/** C3: log β̃_t, with t = 1 clipped to log β̃_2 (improved-diffusion's posterior_log_variance_clipped). */
export function posteriorLogVarianceClipped(schedule: Schedule, t: number): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  return s.posteriorLogVarianceClipped(t);
}

/** C1: β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (0 at t = 1). */
export function posteriorVariance(schedule: Schedule, t: number): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  return s.posteriorVariance(t);
}

/**
 * C2: the ε-form of the posterior mean, μ̃_t = (x_t - β_t/√(1-ᾱ_t)·ε)/√α_t (004 eq. (57);
 * 002 §1.1), where ε is the noise with x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε. Equals C1 with
 * x_0 = (x_t - √(1-ᾱ_t) ε)/√ᾱ_t. Also D4's μ_θ from ε̂ (004 eq. (58)).
 * Undefined where α_t = 0 (zero terminal SNR at t = T): throws naming t.
 */
export function posteriorMeanFromEps<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  requirePositiveAlphaBar(s, t, 'the ε-form of the posterior mean');
  const b = s.beta(t);
  const invSqrtA = 1 / Math.sqrt(1 - b);
  const c = b / Math.sqrt(s.oneMinusAlphaBar(t));
  const out = zipMap(['xt', 'eps'], [xt, eps], (x, e) => (x - c * e) * invSqrtA);
  checkFiniteRows('posteriorMeanFromEps', out);
  return out;
}
