/**
 * Section F1-F4 of the formula catalog: Gaussian KL, the discretized Gaussian decoder, the
 * variational bound in bits per dimension, and the loss weightings.
 *
 * `t` is the papers' 1-based index, t ∈ {1..T}. The bound is
 *   -ELBO = L_T + Σ_{t=2..T} L_{t-1} + L_0,
 *   L_T = KL(q(x_T|x_0) ‖ N(0, I)), L_{t-1} = KL(q(x_{t-1}|x_t, x_0) ‖ p_θ(x_{t-1}|x_t)),
 *   L_0 = -log p_θ(x_0|x_1)
 * (001 derivations 1-2; 003; 004 §2.4-2.5 eq. (43)), each reported in bits per dimension
 * (nats / (d·ln 2)), as improved-diffusion's calc_bpd_loop does. In `vlb`, terms[t-1] is the term
 * computed at step t: L_0 for t = 1 and L_{t-1} for t ≥ 2.
 */
import { DiffusionInputError, checkFiniteNumber, checkOneOf, checkVec } from './errors.js';
import { isBatch, rowsOf, rowsLike, type VecOrBatch } from './batch.js';
import { broadcastMap, checkSchedule, checkT, requirePositiveAlphaBar, type NumOrVec } from './common.js';
import { qSample } from './forward.js';
import { qPosterior } from './posterior.js';
import { fixedLogVariance, pMeanVariance, type VarianceSpec } from './ddpm.js';
import { normalLogCdf, normalLogProbInterval } from './normal.js';
import { PREDICTIONS, type Prediction } from './parameterization.js';
import type { Rng } from './rng.js';
import type { Schedule } from './schedules.js';

/** e^d - 1 - d without cancellation (series for small |d|). */
function expm1MinusX(d: number): number {
  if (Math.abs(d) < 1e-2) {
    // Σ_{k≥2} d^k/k!
    let term = (d * d) / 2;
    let sum = term;
    for (let k = 3; k < 12; k++) {
      term *= d / k;
      sum += term;
    }
    return sum;
  }
  return Math.expm1(d) - d;
}

/**
 * F2: elementwise KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) in nats
 * = ½[e^{lv1-lv2} - 1 - (lv1-lv2) + (m1-m2)²e^{-lv2}] (002 §1, §2.3 with diagonal covariances;
 * improved-diffusion's normal_kl). Each argument is a number or a vector/batch (numbers broadcast);
 * logVar is the log *variance*. e^Δ - 1 - Δ is evaluated without cancellation, so KL = 0 exactly for
 * equal arguments and never negative.
 */
export function normalKl(mean1: NumOrVec, logVar1: NumOrVec, mean2: NumOrVec, logVar2: NumOrVec): number | Float64Array | Float64Array[] {
  return broadcastMap(['mean1', 'logVar1', 'mean2', 'logVar2'], [mean1, logVar1, mean2, logVar2], (m1, lv1, m2, lv2) => {
    const dm = m1 - m2;
    const kl = 0.5 * (expm1MinusX(lv1 - lv2) + dm * dm * Math.exp(-lv2));
    if (!Number.isFinite(kl)) throw new DiffusionInputError('logVar2', lv2, 'KL overflows: variances differ by too many orders of magnitude');
    return kl;
  });
}

export const DECODER_APPROX = ['exact', 'tanh'] as const;
export type DecoderApprox = (typeof DECODER_APPROX)[number];

/** The improved-diffusion tanh approximation of Φ (Page 1977): ½(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function approxStandardNormalCdf(x: number): number {
  return 0.5 * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** Index k ∈ {0..255} of 8-bit data x = k/127.5 - 1 ∈ [-1, 1] (within 1e-4 of the grid). */
function binIndex(name: string, x: number): number {
  if (!(x >= -1 - 1e-4 && x <= 1 + 1e-4)) throw new DiffusionInputError(name, x, '8-bit data must lie in [-1, 1]');
  const k = Math.round((x + 1) * 127.5);
  if (Math.abs(x - (k / 127.5 - 1)) > 1e-4) throw new DiffusionInputError(name, x, 'not on the 8-bit grid k/127.5 - 1, k ∈ {0..255}');
  return k;
}

/**
 * F3 (Ho et al. 2020 eq. (13)): elementwise log-probability (nats) of 8-bit data x ∈ [-1, 1]
 * (x = k/127.5 - 1) under the discretized Gaussian N(mean, e^{2·logScale}): the mass of the bin
 * [x - 1/255, x + 1/255], with the edge bins open, (-∞, -1 + 1/255] for k = 0 and [1 - 1/255, ∞)
 * for k = 255, so that the 256 probabilities sum to 1. `logScale` is log σ (the log standard
 * deviation, ½·log variance).
 *
 * - approx 'exact' (default): float64 Φ accurate in the tails (normal.ts), bin masses formed without
 *   cancellation (normalLogProbInterval): no clamping, finite far into the tails.
 * - approx 'tanh': improved-diffusion's discretized_gaussian_log_likelihood for parity: Φ by the tanh
 *   approximation, and log of max(·, 1e-12) for the three cases; edge bins chosen by x < -0.999 /
 *   x > 0.999.
 * x must be a vector or batch; mean and logScale numbers or the same shape.
 */
export function discretizedGaussianLogLikelihood(
  x: VecOrBatch,
  mean: NumOrVec,
  logScale: NumOrVec,
  options: { approx?: DecoderApprox } = {},
): Float64Array | Float64Array[] {
  const approx = checkOneOf('options.approx', options.approx ?? 'exact', DECODER_APPROX);
  if (typeof x === 'number') throw new DiffusionInputError('x', x, 'must be a vector or a batch of vectors');
  return broadcastMap(['x', 'mean', 'logScale'], [x, mean, logScale], (xv, m, ls) => {
    const k = binIndex('x', xv);
    const invStd = Math.exp(-ls);
    if (!Number.isFinite(invStd) || invStd === 0) throw new DiffusionInputError('logScale', ls, 'σ = e^{logScale} under/overflows');
    const c = xv - m;
    const zPlus = (c + 1 / 255) * invStd;
    const zMin = (c - 1 / 255) * invStd;
    if (approx === 'tanh') {
      const cdfPlus = approxStandardNormalCdf(zPlus);
      const cdfMin = approxStandardNormalCdf(zMin);
      if (xv < -0.999) return Math.log(Math.max(cdfPlus, 1e-12));
      if (xv > 0.999) return Math.log(Math.max(1 - cdfMin, 1e-12));
      return Math.log(Math.max(cdfPlus - cdfMin, 1e-12));
    }
    let lp: number;
    if (k === 0) lp = normalLogCdf(zPlus);
    else if (k === 255) lp = normalLogCdf(-zMin);
    else lp = normalLogProbInterval(zMin, zPlus);
    if (!Number.isFinite(lp)) throw new DiffusionInputError('mean', m, `bin probability underflows even in log space (z = ${zMin})`);
    return lp;
  }) as Float64Array | Float64Array[];
}

/** The model given to the bound: returns its prediction (ε̂ by default) for (x_t, t), t 1-based. */
export type Denoiser = (xt: Float64Array, t: number) => ArrayLike<number>;

export interface VbOptions {
  /** What the model predicts (default 'eps'). */
  prediction?: Prediction;
  /**
   * Reverse-step variance (default 'posterior' = β̃_t). For a learned variance pass a function of
   * (x_t, t) returning the per-element interpolation v ∈ [0, 1] (VarianceSpec learnedRange) or
   * log-variance; it is evaluated on the same x_t as the model.
   */
  variance?: 'beta' | 'posterior' | ((xt: Float64Array, t: number) => { learnedRange: ArrayLike<number> } | { logVariance: ArrayLike<number> });
  /** Clip x̂_0 to [-1, 1] (default false). */
  clip?: boolean;
  /** Decoder CDF (default 'exact'). */
  approx?: DecoderApprox;
}

function callModel(model: Denoiser, xt: Float64Array, t: number): Float64Array {
  if (typeof model !== 'function') throw new DiffusionInputError('model', model, 'must be a function (x_t, t) => prediction');
  const out = model(xt, t);
  const v = checkVec(`model(x_t, t=${t})`, out as unknown);
  if (v.length !== xt.length) throw new DiffusionInputError(`model(x_t, t=${t})`, `length ${v.length}`, `shape mismatch: x_t has length ${xt.length}`);
  return v;
}

function vbTermRow(s: Schedule, model: Denoiser, x0: Float64Array, t: number, noise: Float64Array, options: VbOptions): number {
  const xt = qSample(s, x0, t, noise) as Float64Array;
  const out = callModel(model, xt, t);
  let variance: VarianceSpec;
  if (typeof options.variance === 'function') {
    const spec = options.variance(xt, t);
    if (spec && 'learnedRange' in spec) variance = { learnedRange: checkVec(`variance(x_t, t=${t}).learnedRange`, spec.learnedRange as unknown) };
    else if (spec && 'logVariance' in spec) variance = { logVariance: checkVec(`variance(x_t, t=${t}).logVariance`, spec.logVariance as unknown) };
    else throw new DiffusionInputError('options.variance', spec, 'the variance function must return {learnedRange} or {logVariance}');
  } else variance = options.variance ?? 'posterior';
  const p = pMeanVariance(s, xt, t, out, { prediction: options.prediction, variance, clip: options.clip });
  const pMean = p.mean as Float64Array;
  const pLogVar = p.logVariance as Float64Array;
  const d = x0.length;
  let sum = 0;
  if (t === 1) {
    const ll = discretizedGaussianLogLikelihood(x0, pMean, pLogVar.map((lv) => 0.5 * lv), { approx: options.approx }) as Float64Array;
    for (let i = 0; i < d; i++) sum -= ll[i];
  } else {
    const q = qPosterior(s, x0, xt, t);
    const kl = normalKl(q.mean as Float64Array, q.logVariance, pMean, pLogVar) as Float64Array;
    for (let i = 0; i < d; i++) sum += kl[i];
  }
  return sum / (d * Math.LN2);
}

/**
 * F1/F2/F3: the VLB term computed at step t, in bits per dimension, for x_t = √ᾱ_t x_0 + √(1-ᾱ_t)·noise
 * (improved-diffusion's _vb_terms_bpd): t ≥ 2 → L_{t-1} = KL(q(x_{t-1}|x_t, x_0) ‖ p_θ(x_{t-1}|x_t))
 * (closed form, normalKl, 002 §1); t = 1 → L_0 = -log p_θ(x_0|x_1) under the discretized decoder
 * with log σ = ½·log σ_1² (x_0 must be 8-bit data on [-1, 1]). t ∈ {1..T}.
 * A vector x_0 gives a number; a batch gives one number per row (noise of the same shape).
 */
export function vbTerms(schedule: Schedule, model: Denoiser, x0: VecOrBatch, t: number, noise: VecOrBatch, options: VbOptions = {}): number | number[] {
  const s = checkSchedule(schedule);
  checkT(s, t);
  if (options.prediction !== undefined) checkOneOf('options.prediction', options.prediction, PREDICTIONS);
  const ref = rowsOf('x0', x0);
  const nz = rowsLike('noise', noise, 'x0', ref);
  const res = ref.rows.map((row, r) => vbTermRow(s, model, row, t, nz[r], options));
  return ref.batched ? res : res[0];
}

/**
 * F1: the prior term L_T = KL(q(x_T|x_0) ‖ N(0, I)) in bits per dimension
 * (improved-diffusion's _prior_bpd); log(1-ᾱ_T) is formed as log(-expm1(log ᾱ_T)).
 */
export function priorBpd(schedule: Schedule, x0: VecOrBatch): number | number[] {
  const s = checkSchedule(schedule);
  const ref = rowsOf('x0', x0);
  const ca = Math.exp(0.5 * s.logAlphaBar(s.T));
  const lv = Math.log(s.oneMinusAlphaBar(s.T));
  const res = ref.rows.map((row) => {
    const kl = normalKl(row.map((v) => ca * v), lv, 0, 0) as Float64Array;
    let sum = 0;
    for (let i = 0; i < kl.length; i++) sum += kl[i];
    return sum / (row.length * Math.LN2);
  });
  return ref.batched ? res : res[0];
}

export interface VlbResult {
  /** prior + Σ terms, bits/dim (the negative ELBO). */
  total: number;
  /** L_T, bits/dim. */
  prior: number;
  /** terms[t-1] = the term at step t (L_0 at t = 1, L_{t-1} for t ≥ 2), bits/dim. */
  terms: Float64Array;
}

/**
 * F1: a one-sample Monte Carlo estimate of the negative ELBO in bits/dim,
 * -ELBO = L_T + Σ_{t≥2} L_{t-1} + L_0 (001 derivations 1-2; 004 eq. (43)): one noise draw per t
 * from `rng` (t = 1, 2, …, T in that order, one `rng.normals(d)` per t and row), T model calls.
 * A vector x_0 gives one VlbResult; a batch gives one per row (rows processed in order).
 */
export function vlb(schedule: Schedule, model: Denoiser, x0: VecOrBatch, rng: Rng, options: VbOptions = {}): VlbResult | VlbResult[] {
  const s = checkSchedule(schedule);
  if (!rng || typeof (rng as Rng).normals !== 'function') throw new DiffusionInputError('rng', rng, 'must be an Rng (makeRng(seed))');
  if (options.prediction !== undefined) checkOneOf('options.prediction', options.prediction, PREDICTIONS);
  const ref = rowsOf('x0', x0);
  const res = ref.rows.map((row) => {
    const terms = new Float64Array(s.T);
    for (let t = 1; t <= s.T; t++) terms[t - 1] = vbTermRow(s, model, row, t, rng.normals(row.length), options);
    const prior = priorBpd(s, row) as number;
    let total = prior;
    for (let i = 0; i < terms.length; i++) total += terms[i];
    return { total, prior, terms };
  });
  return ref.batched ? res : res[0];
}

// ---- F2 / F4: loss weightings ------------------------------------------------------------------

/** σ_t² of the reverse step for the weights: 'posterior' (β̃_t; t = 1 uses β̃_2), 'beta', or a number. */
function sigma2Of(s: Schedule, t: number, variance: 'beta' | 'posterior' | number): number {
  if (typeof variance === 'number') {
    checkFiniteNumber('variance', variance);
    if (!(variance > 0)) throw new DiffusionInputError('variance', variance, 'σ_t² must be > 0');
    return variance;
  }
  return Math.exp(fixedLogVariance(s, t, variance));
}

/**
 * F2: the weight of ‖ε - ε̂‖² in L_{t-1} for an ε-prediction model with reverse variance σ_t²:
 * β_t²/(2σ_t²α_t(1-ᾱ_t)) (Ho et al. 2020 eq. (12); 002 §1). Seed 004's ε-form ELBO (after eq. (58))
 * reuses the x_0 weight (1-α_t)²ᾱ_{t-1}/(1-ᾱ_t)² for the ε-MSE: that is a copy error; the right
 * weight is this one (= x0MseWeight/SNR(t)). Throws where α_t = 0.
 */
export function epsMseWeight(schedule: Schedule, t: number, variance: 'beta' | 'posterior' | number = 'posterior'): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  requirePositiveAlphaBar(s, t, 'the ε-MSE weight');
  const b = s.beta(t);
  return (b * b) / (2 * sigma2Of(s, t, variance) * (1 - b) * s.oneMinusAlphaBar(t));
}

/**
 * F2: the weight of ‖x_0 - x̂_0‖² in L_{t-1}: β_t²ᾱ_{t-1}/(2σ_t²(1-ᾱ_t)²) (004 eq. (55), with
 * 1-α_t = β_t).
 */
export function x0MseWeight(schedule: Schedule, t: number, variance: 'beta' | 'posterior' | number = 'posterior'): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const b = s.beta(t);
  const om = s.oneMinusAlphaBar(t);
  return (b * b * s.alphaBar(t - 1)) / (2 * sigma2Of(s, t, variance) * om * om);
}

export const OBJECTIVES = ['eps', 'x0', 'v'] as const;
export type Objective = (typeof OBJECTIVES)[number];

/**
 * Conversion between objectives at fixed x_t: ‖Δε‖² = SNR·‖Δx_0‖² and ‖Δv‖² = (SNR+1)·‖Δx_0‖²
 * (from D1/D2), so a weight w on the x_0-MSE is w/SNR on the ε-MSE and w/(SNR+1) on the v-MSE.
 */
function fromX0Weight(s: Schedule, t: number, w: number, objective: Objective): number {
  if (objective === 'x0') return w;
  const snr = s.snr(t);
  if (objective === 'eps') {
    if (!(snr > 0)) throw new DiffusionInputError('t', t, 'an ε-objective weight is undefined where SNR(t) = 0');
    return w / snr;
  }
  return w / (snr + 1);
}

/**
 * F4, min-SNR-γ weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting
 * Strategy", eq. (8)-(10)): the x_0-MSE weight min(SNR(t), γ), i.e. min(SNR, γ)/SNR on the ε-MSE and
 * min(SNR, γ)/(SNR+1) on the v-MSE. γ > 0 (the paper uses 5).
 */
export function minSnrWeight(schedule: Schedule, t: number, gamma: number, objective: Objective = 'eps'): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  checkFiniteNumber('gamma', gamma);
  if (!(gamma > 0)) throw new DiffusionInputError('gamma', gamma, 'must be > 0');
  checkOneOf('objective', objective, OBJECTIVES);
  return fromX0Weight(s, t, Math.min(s.snr(t), gamma), objective);
}

/**
 * F4, SNR weighting: the x_0-MSE weighted by SNR(t), which is exactly the unweighted ε-MSE
 * (L_simple) — weight SNR on 'x0', 1 on 'eps', SNR/(SNR+1) = ᾱ_t on 'v'. (Seed 000's "SNR scaling"
 * section is an empty heading; this follows Kingma et al. 2021 and Hang et al. 2023.)
 */
export function snrWeight(schedule: Schedule, t: number, objective: Objective = 'x0'): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  checkOneOf('objective', objective, OBJECTIVES);
  return fromX0Weight(s, t, s.snr(t), objective);
}

/**
 * F2 for any objective: the weight that makes weight·‖target - prediction‖² equal L_{t-1} (t ≥ 2)
 * for a Gaussian reverse step with variance σ_t²: x0MseWeight converted to the objective.
 */
export function vlbWeight(schedule: Schedule, t: number, objective: Objective, variance: 'beta' | 'posterior' | number = 'posterior'): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  checkOneOf('objective', objective, OBJECTIVES);
  if (objective === 'eps') return epsMseWeight(s, t, variance);
  return fromX0Weight(s, t, x0MseWeight(s, t, variance), objective);
}

/**
 * F4, L_simple (Ho et al. 2020 eq. (14); 003; 004 §2.8): the unweighted mean squared error between
 * the target (ε, x_0 or v) and the prediction, averaged over dimensions (improved-diffusion's
 * mean_flat). A vector gives a number, a batch one number per row.
 */
export function simpleLoss(target: VecOrBatch, prediction: VecOrBatch): number | number[] {
  const ref = rowsOf('target', target);
  const pr = rowsLike('prediction', prediction, 'target', ref);
  const res = ref.rows.map((row, r) => {
    let sum = 0;
    for (let i = 0; i < row.length; i++) {
      const d = row[i] - pr[r][i];
      sum += d * d;
    }
    return sum / row.length;
  });
  return isBatch(target) ? res : res[0];
}
