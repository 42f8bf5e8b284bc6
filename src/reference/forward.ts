/**
 * Section B of the formula catalog: the forward (noising) process.
 *
 * Index convention: `t` is the papers' 1-based step index, t ∈ {1..T}, ᾱ_0 = 1 (functions that also
 * accept t = 0 say so). Every function takes a vector (Float64Array | number[]) or a batch (array of
 * vectors) and returns the same form. Coefficients come from the schedule's log-space quantities
 * (√ᾱ_t = exp(½ log ᾱ_t), 1-ᾱ_t = -expm1(log ᾱ_t)), so nothing cancels near t → 0 or t → T.
 */
import { DiffusionInputError, checkFiniteNumber, checkTimestep, checkVec } from './errors.js';
import { zipMap, type Out, type VecOrBatch } from './batch.js';
import { broadcastMap, checkSchedule, checkT, checkT0, sqrtAbPair, type NumOrVec } from './common.js';
import type { Schedule } from './schedules.js';

/**
 * B1: one forward step, x_t = √α_t x_{t-1} + √β_t ε, i.e. a draw from
 * q(x_t | x_{t-1}) = N(√α_t x_{t-1}, β_t I) given the standard normal `eps`
 * (003 eq. for q(x_t|x_{t-1}); 004 eq. (99)). t ∈ {1..T}.
 */
export function qStep<X extends VecOrBatch>(schedule: Schedule, xPrev: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const b = s.beta(t);
  const a = Math.sqrt(1 - b);
  const sb = Math.sqrt(b);
  return zipMap(['xPrev', 'eps'], [xPrev, eps], (x, e) => a * x + sb * e);
}

/**
 * B2: the closed-form marginal, x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, a draw from
 * q(x_t | x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I) (001 derivation 4; 004 §2.3 eq. (24)).
 * t ∈ {0..T}; t = 0 returns x_0 (ᾱ_0 = 1).
 *
 * Note: 004's "Training (predict image)" box writes x_t = ᾱ_t x_0 + …, dropping the square root of
 * ᾱ_t: a typo; eq. (24) and this function use √ᾱ_t.
 */
export function qSample<X extends VecOrBatch>(schedule: Schedule, x0: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT0(s, t);
  const [ca, cb] = sqrtAbPair(s, t);
  return zipMap(['x0', 'eps'], [x0, eps], (x, e) => ca * x + cb * e);
}

/**
 * B2 as moments: mean √ᾱ_t x_0, variance 1-ᾱ_t and its log (improved-diffusion's q_mean_variance).
 * t ∈ {1..T}.
 */
export function qMeanVariance<X extends VecOrBatch>(schedule: Schedule, x0: X, t: number): { mean: Out<X>; variance: number; logVariance: number } {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const [ca] = sqrtAbPair(s, t);
  const variance = s.oneMinusAlphaBar(t);
  return { mean: zipMap(['x0'], [x0], (x) => ca * x), variance, logVariance: Math.log(variance) };
}

/**
 * B3: variance of x_t under the forward process when Var x_0 = `var0` (per element; a number or a
 * vector/batch of variances): Var x_t = ᾱ_t·Var x_0 + (1-ᾱ_t) (001 derivation 3; 003). With
 * Var x_0 = 1 this is 1 for every t: the process is variance preserving. t ∈ {0..T}.
 */
export function forwardVariance(schedule: Schedule, t: number, var0: NumOrVec): number | Float64Array | Float64Array[] {
  const s = checkSchedule(schedule);
  checkT0(s, t);
  const ab = s.alphaBar(t);
  const om = s.oneMinusAlphaBar(t);
  return broadcastMap(['var0'], [var0], (v) => {
    if (!(v >= 0)) throw new DiffusionInputError('var0', v, 'a variance must be ≥ 0');
    return ab * v + om;
  });
}

/**
 * B3: variance after one step x' = a·x + √β·ε with Var x = `v`: a²v + β. The scale that keeps unit
 * variance (v = 1 ↦ 1) is a = √(1-β) and no other non-negative one (001 derivation 3), which is
 * `variancePreservingScale(β)`.
 */
export function stepVariance(v: number, beta: number, scale: number = Math.sqrt(1 - beta)): number {
  checkFiniteNumber('v', v);
  checkFiniteNumber('beta', beta);
  checkFiniteNumber('scale', scale);
  if (!(v >= 0)) throw new DiffusionInputError('v', v, 'a variance must be ≥ 0');
  if (!(beta > 0 && beta <= 1)) throw new DiffusionInputError('beta', beta, 'β must lie in (0, 1]');
  return scale * scale * v + beta;
}

/** B3: the unique non-negative scale a with a² + β = 1, a = √(1-β) (001 derivation 3). */
export function variancePreservingScale(beta: number): number {
  checkFiniteNumber('beta', beta);
  if (!(beta > 0 && beta <= 1)) throw new DiffusionInputError('beta', beta, 'β must lie in (0, 1]');
  return Math.sqrt(1 - beta);
}

/**
 * A6 (004 §4.4; Song & Ermon 2019): geometric noise levels σ_i = σ_min·(σ_max/σ_min)^{(i-1)/(N-1)},
 * i = 1..N, increasing from σ_min to σ_max (σ_1 = σ_min and σ_N = σ_max exactly).
 */
export function veSigmas(sigmaMin: number, sigmaMax: number, N: number): Float64Array {
  checkFiniteNumber('sigmaMin', sigmaMin);
  checkFiniteNumber('sigmaMax', sigmaMax);
  if (!(sigmaMin > 0)) throw new DiffusionInputError('sigmaMin', sigmaMin, 'must be > 0');
  if (!(sigmaMax > sigmaMin)) throw new DiffusionInputError('sigmaMax', sigmaMax, `must exceed sigmaMin = ${sigmaMin}`);
  if (typeof N !== 'number' || !Number.isInteger(N) || N < 2) throw new DiffusionInputError('N', N, 'must be an integer ≥ 2');
  const out = new Float64Array(N);
  const lr = Math.log(sigmaMax / sigmaMin);
  for (let i = 0; i < N; i++) out[i] = sigmaMin * Math.exp((lr * i) / (N - 1));
  out[0] = sigmaMin;
  out[N - 1] = sigmaMax;
  return out;
}

/** Checks a VE noise-level sequence: finite, > 0, strictly increasing. */
export function validateSigmas(sigmas: ArrayLike<number>, name = 'sigmas'): Float64Array {
  const v = checkVec(name, sigmas as unknown);
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] > 0)) throw new DiffusionInputError(`${name}[${i}] (σ_${i + 1})`, v[i], 'noise levels must be > 0');
    if (i > 0 && !(v[i] > v[i - 1])) throw new DiffusionInputError(`${name}[${i}] (σ_${i + 1})`, v[i], `noise levels must increase strictly (σ_${i} = ${v[i - 1]})`);
  }
  return v;
}

/**
 * B4: one VE (SMLD) forward step, x_i = x_{i-1} + √(σ_i² - σ_{i-1}²)·z (004 eq. (104)), so that
 * Var x_i = Var x_{i-1} + σ_i² - σ_{i-1}² (= σ_i² when Var x_{i-1} = σ_{i-1}²).
 * `sigmas` = σ_1 < … < σ_N (array index i-1); i ∈ {1..N}, with σ_0 = 0 (x_0 is the clean data).
 * σ_i² - σ_{i-1}² is computed as (σ_i - σ_{i-1})(σ_i + σ_{i-1}) to avoid cancellation.
 */
export function veStep<X extends VecOrBatch>(sigmas: ArrayLike<number>, xPrev: X, i: number, noise: VecOrBatch): Out<X> {
  const sg = validateSigmas(sigmas);
  checkTimestep('i', i, 1, sg.length);
  const hi = sg[i - 1];
  const lo = i >= 2 ? sg[i - 2] : 0;
  const c = Math.sqrt((hi - lo) * (hi + lo));
  return zipMap(['xPrev', 'noise'], [xPrev, noise], (x, z) => x + c * z);
}
