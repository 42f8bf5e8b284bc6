/**
 * Section E2 of the formula catalog: the DDIM family q_σ(x_{t-1} | x_t, x_0) and strided timestep
 * subsequences (Song, Meng & Ermon 2021; seed 002 §3).
 *
 * Index convention: `t` is the papers' 1-based index (t ∈ {1..T}); `tPrev` ∈ {0..t-1}, where
 * tPrev = 0 means "step to x_0" (ᾱ_0 = 1). diffusers' DDIMScheduler works with 0-based timesteps
 * i = t-1 and, for its last step, uses `final_alpha_cumprod` (= 1 when set_alpha_to_one, the
 * default for DDIM) as ᾱ of "i = -1": in 1-based terms that is exactly tPrev = 0 here.
 */
import { DiffusionInputError, checkFiniteNumber, checkOneOf, checkPositiveInt, checkTimestep } from './errors.js';
import { rowsOf, rowsLike, shapeOut, type Out, type VecOrBatch } from './batch.js';
import { checkFiniteRows, checkSchedule, checkT } from './common.js';
import { PREDICTIONS, epsFromPrediction, x0FromPrediction, type Prediction } from './parameterization.js';
import type { Rng } from './rng.js';
import type { Schedule } from './schedules.js';

export const SPACINGS = ['linspace', 'leading', 'trailing'] as const;
export type Spacing = (typeof SPACINGS)[number];

/** Round half to even, as numpy's `round` does (diffusers builds its timesteps with it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * E2: a strided subsequence of `steps` timesteps out of T, descending and 1-based (t = i+1 where
 * i is diffusers' 0-based timestep). The three spacings of diffusers' DDIMScheduler
 * (`timestep_spacing`, cf. Lin et al. 2024 Table 2), with i the 0-based value diffusers computes:
 *
 * - 'leading':  i_k = k·⌊T/steps⌋ (+ stepsOffset), k = steps-1..0. T = 1000, 10 steps →
 *   i = [900, 800, …, 0] → t = [901, 801, …, 1]. `stepsOffset` is diffusers' `steps_offset`
 *   (Stable Diffusion uses 1 → t = [902, …, 2]); it applies to 'leading' only, as in diffusers.
 * - 'trailing': i_k = round(T - k·T/steps) - 1, k = 0..steps-1. T = 1000, 10 steps →
 *   i = [999, 899, …, 99] → t = [1000, 900, …, 100]: always starts at t = T.
 * - 'linspace': i = round(linspace(0, T-1, steps)) reversed (numpy's round half to even, linspace
 *   as start + k·(T-1)/(steps-1) with the last point exactly T-1). T = 1000, 10 steps →
 *   i = [999, 888, …, 111, 0] → t = [1000, 889, …, 112, 1].
 *
 * (diffusers builds 'trailing' with np.arange(T, 0, -T/steps), whose length can exceed `steps` by one
 * when T/steps is not exact in floating point; here the length is always `steps`.)
 * Throws unless 1 ≤ steps ≤ T; the result is strictly decreasing, within {1..T}.
 */
export function ddimTimesteps(T: number, steps: number, spacing: Spacing = 'leading', stepsOffset = 0): number[] {
  checkPositiveInt('T', T);
  checkPositiveInt('steps', steps);
  if (steps > T) throw new DiffusionInputError('steps', steps, `must not exceed T = ${T}`);
  checkOneOf('spacing', spacing, SPACINGS);
  if (typeof stepsOffset !== 'number' || !Number.isInteger(stepsOffset) || stepsOffset < 0) {
    throw new DiffusionInputError('stepsOffset', stepsOffset, 'must be a non-negative integer');
  }
  const zeroBased: number[] = [];
  if (spacing === 'leading') {
    const ratio = Math.floor(T / steps);
    for (let k = steps - 1; k >= 0; k--) zeroBased.push(k * ratio + stepsOffset);
  } else if (spacing === 'trailing') {
    const ratio = T / steps;
    for (let k = 0; k < steps; k++) zeroBased.push(roundHalfEven(T - k * ratio) - 1);
  } else {
    const step = steps > 1 ? (T - 1) / (steps - 1) : 0;
    for (let k = steps - 1; k >= 0; k--) zeroBased.push(k === steps - 1 && steps > 1 ? T - 1 : roundHalfEven(k * step));
  }
  const ts = zeroBased.map((i) => i + 1);
  for (let k = 0; k < ts.length; k++) {
    if (ts[k] < 1 || ts[k] > T || (k > 0 && !(ts[k] < ts[k - 1]))) {
      throw new DiffusionInputError('stepsOffset', stepsOffset, `timesteps leave {1..${T}} or repeat: ${JSON.stringify(ts)}`);
    }
  }
  return ts;
}

function checkTPrev(s: Schedule, t: number, tPrev: unknown): number {
  return checkTimestep('tPrev', tPrev, 0, t - 1);
}

/**
 * E2: σ_t(η) = η·√((1-ᾱ_{t'})/(1-ᾱ_t))·√(1-ᾱ_t/ᾱ_{t'}) for the step t → t' = tPrev
 * (002 §3; Song et al. 2021 eq. (16)). η = 0: deterministic DDIM; η = 1 with t' = t-1: σ_t² = β̃_t
 * (the DDPM posterior variance). t ∈ {1..T}, tPrev ∈ {0..t-1}. 1-ᾱ_t/ᾱ_{t'} = -expm1(log ᾱ_t - log ᾱ_{t'}).
 */
export function ddimSigma(schedule: Schedule, t: number, tPrev: number, eta: number): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  checkTPrev(s, t, tPrev);
  checkFiniteNumber('eta', eta);
  if (eta < 0) throw new DiffusionInputError('eta', eta, 'must be ≥ 0');
  const ratio = -Math.expm1(s.logAlphaBar(t) - s.logAlphaBar(tPrev)); // 1 - ᾱ_t/ᾱ_{t'}
  // Math.max(0, ·) turns the -0 of 1-ᾱ_0 = -expm1(0) into +0.
  return eta * Math.sqrt(Math.max(0, (s.oneMinusAlphaBar(tPrev) / s.oneMinusAlphaBar(t)) * ratio));
}

export interface DdimStepOptions {
  /** η ≥ 0 (default 0, deterministic). Admissible while σ_t² ≤ 1-ᾱ_{t'}. */
  eta?: number;
  /** z ~ N(0, I) of x_t's shape; needed (or `rng`) when σ_t > 0. */
  noise?: VecOrBatch;
  rng?: Rng;
  /** What `modelOutput` predicts (default 'eps'). */
  prediction?: Prediction;
}

/**
 * E2: one DDIM step from t to t' = tPrev < t (002 §3; Song et al. 2021 eq. (12)):
 * x_{t'} = √ᾱ_{t'}·x̂_0 + √(1-ᾱ_{t'}-σ_t²)·ε̂ + σ_t z, with x̂_0, ε̂ from the model output (D1/D2)
 * and σ_t = ddimSigma(t, t', η). tPrev = 0 returns x̂_0 (ᾱ_0 = 1, σ = 0).
 * The direction coefficient is computed as √((1-ᾱ_{t'})(1-η²r)), r = (1-ᾱ_t/ᾱ_{t'})/(1-ᾱ_t) ∈ [0, 1],
 * so it never cancels; η with η²r > 1 is inadmissible (σ_t² > 1-ᾱ_{t'}) and throws naming eta.
 */
export function ddimStep<X extends VecOrBatch>(
  schedule: Schedule,
  xt: X,
  t: number,
  tPrev: number,
  modelOutput: VecOrBatch,
  options: DdimStepOptions = {},
): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  checkTPrev(s, t, tPrev);
  const eta = options.eta ?? 0;
  checkFiniteNumber('options.eta', eta);
  if (eta < 0) throw new DiffusionInputError('options.eta', eta, 'must be ≥ 0');
  const prediction = checkOneOf('options.prediction', options.prediction ?? 'eps', PREDICTIONS);
  const ref = rowsOf('xt', xt);
  rowsLike('modelOutput', modelOutput, 'xt', ref);
  const x0 = x0FromPrediction(s, xt, t, modelOutput, prediction);
  const eps = epsFromPrediction(s, xt, t, modelOutput, prediction);
  const x0Rows = x0 instanceof Float64Array ? [x0] : (x0 as Float64Array[]);
  const epsRows = eps instanceof Float64Array ? [eps] : (eps as Float64Array[]);
  const omPrev = Math.max(0, s.oneMinusAlphaBar(tPrev));
  const r = -Math.expm1(s.logAlphaBar(t) - s.logAlphaBar(tPrev)) / s.oneMinusAlphaBar(t);
  const keep = 1 - eta * eta * r;
  if (keep < 0) {
    throw new DiffusionInputError('options.eta', eta, `inadmissible: σ_t² exceeds 1-ᾱ_{t'} (η ≤ ${1 / Math.sqrt(r)} for t = ${t}, tPrev = ${tPrev})`);
  }
  const sigma = eta * Math.sqrt(omPrev * r);
  const cx0 = Math.exp(0.5 * s.logAlphaBar(tPrev));
  const cdir = Math.sqrt(omPrev * keep);
  let z: Float64Array[] | null = null;
  if (sigma > 0) {
    if (options.noise !== undefined) z = rowsLike('options.noise', options.noise, 'xt', ref);
    else if (options.rng) z = ref.rows.map((row) => options.rng!.normals(row.length));
    else throw new DiffusionInputError('options.noise', undefined, `noise (or options.rng) is required when σ_t = ${sigma} > 0`);
  }
  const out = x0Rows.map((x0r, k) => x0r.map((xv, i) => cx0 * xv + cdir * epsRows[k][i] + (z ? sigma * z[k][i] : 0)));
  const res = shapeOut(ref.batched, out) as Out<X>;
  checkFiniteRows('ddimStep', res as Float64Array | Float64Array[]);
  return res;
}
