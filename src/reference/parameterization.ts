/**
 * Section D1-D4 of the formula catalog: conversions between what a network may predict (ε, x_0, v,
 * the score) and the mean of the reverse step.
 *
 * `t` is the papers' 1-based index, t ∈ {1..T}. Vectors or batches in, same form out. Coefficients
 * use √(1/ᾱ_t) = exp(-½ log ᾱ_t) and √(1/ᾱ_t - 1) = √expm1(-log ᾱ_t) (improved-diffusion's
 * sqrt_recip_alphas_cumprod / sqrt_recipm1_alphas_cumprod), which do not cancel as ᾱ_t → 1.
 * Where ᾱ_t = 0 (zero terminal SNR, t = T) the formulas that divide by √ᾱ_t throw, naming t.
 */
import { checkOneOf } from './errors.js';
import { zipMap, type Out, type VecOrBatch } from './batch.js';
import { checkFiniteRows, checkSchedule, checkT, requirePositiveAlphaBar, sqrtAbPair } from './common.js';
import { posteriorMean, posteriorMeanFromEps } from './posterior.js';
import type { Schedule } from './schedules.js';

/**
 * D1: x̂_0 = (x_t - √(1-ᾱ_t)·ε̂)/√ᾱ_t = √(1/ᾱ_t)·x_t - √(1/ᾱ_t - 1)·ε̂ (004 §2.8, the inverse of
 * B2). t ∈ {1..T}; throws where ᾱ_t = 0.
 */
export function predictX0FromEps<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  requirePositiveAlphaBar(s, t, 'x̂_0 from ε');
  const la = s.logAlphaBar(t);
  const r = Math.exp(-0.5 * la);
  const rm1 = Math.sqrt(Math.expm1(-la));
  const out = zipMap(['xt', 'eps'], [xt, eps], (x, e) => r * x - rm1 * e);
  checkFiniteRows('predictX0FromEps', out);
  return out;
}

/** D1 reversed: ε̂ = (x_t - √ᾱ_t·x̂_0)/√(1-ᾱ_t) (004 §2.8). t ∈ {1..T} (1-ᾱ_t > 0 for every t ≥ 1). */
export function predictEpsFromX0<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, x0: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const [ca, cb] = sqrtAbPair(s, t);
  const out = zipMap(['xt', 'x0'], [xt, x0], (x, x0v) => (x - ca * x0v) / cb);
  checkFiniteRows('predictEpsFromX0', out);
  return out;
}

/**
 * D2 (seed 000 "v-prediction"; Salimans & Ho 2022): v = √ᾱ_t·ε - √(1-ᾱ_t)·x_0, from x_0 and ε
 * directly (the training target; same arguments, same order as `qSample(s, x0, t, eps)`).
 * t ∈ {1..T}. `vFromEps(s, xt, t, eps)` gives v from (x_t, ε) instead.
 */
export function vFromX0AndEps<X extends VecOrBatch>(schedule: Schedule, x0: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const [ca, cb] = sqrtAbPair(s, t);
  return zipMap(['x0', 'eps'], [x0, eps], (x, e) => ca * e - cb * x);
}

/**
 * D2 given x_t and ε (x_0 implied by them through B2): substituting x_0 = (x_t - √(1-ᾱ_t)ε)/√ᾱ_t
 * into v = √ᾱ_t ε - √(1-ᾱ_t) x_0 gives v = (ε - √(1-ᾱ_t)·x_t)/√ᾱ_t. t ∈ {1..T}; throws where ᾱ_t = 0.
 * The inverse of `epsFromV(s, xt, t, v)`; like every x_t-based conversion here it takes (s, xt, t, ·).
 */
export function vFromEps<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  requirePositiveAlphaBar(s, t, 'v from (x_t, ε)');
  const r = Math.exp(-0.5 * s.logAlphaBar(t));
  const cb = Math.sqrt(s.oneMinusAlphaBar(t));
  const out = zipMap(['xt', 'eps'], [xt, eps], (x, e) => (e - cb * x) * r);
  checkFiniteRows('vFromEps', out);
  return out;
}

/**
 * @deprecated Use `vFromX0AndEps(s, x0, t, eps)` (x_0 first, t second, like `qSample`). This alias,
 * with its old argument order (s, t, eps, x0), goes after one release.
 */
export function vFromEpsAndX0<X extends VecOrBatch>(schedule: Schedule, t: number, eps: X, x0: VecOrBatch): Out<X> {
  return vFromX0AndEps(schedule, x0, t, eps) as unknown as Out<X>;
}

/**
 * @deprecated Use `vFromEps(s, xt, t, eps)`: this name said "from ε and x_0" but the function takes
 * x_t and ε. Same arguments, same order; the alias goes after one release.
 */
export const vFromEpsX0 = vFromEps;

/** D2 inverted: ε = √ᾱ_t·v + √(1-ᾱ_t)·x_t (seed 000 "v-prediction"). t ∈ {1..T}. */
export function epsFromV<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, v: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const [ca, cb] = sqrtAbPair(s, t);
  return zipMap(['xt', 'v'], [xt, v], (x, vv) => ca * vv + cb * x);
}

/** D2 inverted: x_0 = √ᾱ_t·x_t - √(1-ᾱ_t)·v (seed 000 "v-prediction"). t ∈ {1..T}; defined at ᾱ_T = 0. */
export function x0FromV<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, v: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const [ca, cb] = sqrtAbPair(s, t);
  return zipMap(['xt', 'v'], [xt, v], (x, vv) => ca * x - cb * vv);
}

/**
 * D3: the score of q(x_t | x_0) evaluated with a predicted noise, s = ∇ log p_t(x_t) ≈ -ε̂/√(1-ᾱ_t)
 * (001 "as score matching"; 004 §3). t ∈ {1..T}.
 */
export function scoreFromEps<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, eps: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const inv = 1 / Math.sqrt(s.oneMinusAlphaBar(t));
  // xt fixes the shape (vector or batch) and is checked; the score itself does not depend on it.
  return zipMap(['xt', 'eps'], [xt, eps], (_x, e) => -e * inv);
}

/** D3 inverted: ε̂ = -√(1-ᾱ_t)·s. t ∈ {1..T}. */
export function epsFromScore<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, score: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const c = Math.sqrt(s.oneMinusAlphaBar(t));
  return zipMap(['xt', 'score'], [xt, score], (_x, sc) => -c * sc);
}

/**
 * D3, Tweedie's formula: E[x_0 | x_t] = (x_t + (1-ᾱ_t)·∇ log p_t(x_t))/√ᾱ_t (004 §3; 001 "as score
 * matching"). With s = scoreFromEps(ε̂) this equals predictX0FromEps(ε̂). t ∈ {1..T}; throws where ᾱ_t = 0.
 */
export function tweedieX0<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, score: VecOrBatch): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  requirePositiveAlphaBar(s, t, "Tweedie's x̂_0");
  const r = Math.exp(-0.5 * s.logAlphaBar(t));
  const om = s.oneMinusAlphaBar(t);
  const out = zipMap(['xt', 'score'], [xt, score], (x, sc) => (x + om * sc) * r);
  checkFiniteRows('tweedieX0', out);
  return out;
}

/**
 * D4: μ_θ(x_t) from a predicted x̂_0 (004 eq. (52)): the posterior mean C1 with x̂_0 for x_0.
 * t ∈ {1..T}.
 */
export function meanFromX0<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, x0Hat: VecOrBatch): Out<X> {
  // eq. (52) is eq. (36) with x̂_0: one formula, written once in posterior.ts.
  return posteriorMean(schedule, x0Hat, xt, t) as Out<X>;
}

/**
 * D4: μ_θ(x_t) from a predicted ε̂ (004 eq. (58)): μ_θ = x_t/√α_t - β_t/(√(1-ᾱ_t)√α_t)·ε̂.
 * t ∈ {1..T}; throws where α_t = 0.
 */
export function meanFromEps<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, epsHat: VecOrBatch): Out<X> {
  // eq. (58) is eq. (57) with ε̂: one formula, written once in posterior.ts.
  return posteriorMeanFromEps(schedule, xt, t, epsHat);
}

export const PREDICTIONS = ['eps', 'x0', 'v'] as const;
export type Prediction = (typeof PREDICTIONS)[number];

/**
 * x̂_0 from a model output of the given kind: 'eps' → D1, 'x0' → the output itself, 'v' → D2
 * (x_0 = √ᾱ_t x_t - √(1-ᾱ_t) v). t ∈ {1..T}. Shared by the DDPM and DDIM steps.
 */
export function x0FromPrediction<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, modelOutput: VecOrBatch, prediction: Prediction): Out<X> {
  checkOneOf('prediction', prediction, PREDICTIONS);
  if (prediction === 'eps') return predictX0FromEps(schedule, xt, t, modelOutput);
  if (prediction === 'v') return x0FromV(schedule, xt, t, modelOutput);
  const s = checkSchedule(schedule);
  checkT(s, t);
  return zipMap(['xt', 'modelOutput'], [xt, modelOutput], (_x, m) => m);
}

/**
 * ε̂ from a model output of the given kind: 'eps' → itself, 'x0' → D1 reversed, 'v' → D2
 * (ε = √ᾱ_t v + √(1-ᾱ_t) x_t). t ∈ {1..T}.
 */
export function epsFromPrediction<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, modelOutput: VecOrBatch, prediction: Prediction): Out<X> {
  checkOneOf('prediction', prediction, PREDICTIONS);
  if (prediction === 'x0') return predictEpsFromX0(schedule, xt, t, modelOutput);
  if (prediction === 'v') return epsFromV(schedule, xt, t, modelOutput);
  const s = checkSchedule(schedule);
  checkT(s, t);
  return zipMap(['xt', 'modelOutput'], [xt, modelOutput], (_x, m) => m);
}
