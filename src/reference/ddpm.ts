/**
 * Section E1 of the formula catalog: the DDPM ancestral step p_θ(x_{t-1} | x_t) = N(μ_θ, σ_t² I).
 *
 * `t` is the papers' 1-based index, t ∈ {1..T}: the step maps x_t to x_{t-1}, and the last step
 * (t = 1) returns the mean μ_θ(x_1, 1) without noise. diffusers' DDPMScheduler.step takes the
 * 0-based i = t-1 (`toZeroBased`).
 *
 * Seed 001's sampling loop adds noise at the final step and indexes the schedule off by one; seed
 * 004's inference box writes "μ_θ + σ_q²(t) z" (variance for standard deviation). Both are bugs; this
 * file follows Ho et al. 2020 Algorithm 2 (x_{t-1} = μ_θ + σ_t z for t > 1, x_0 = μ_θ at t = 1).
 */
import { DiffusionInputError, checkOneOf } from './errors.js';
import { rowsOf, rowsLike, shapeOut, type Out, type VecOrBatch } from './batch.js';
import { checkFiniteRows, checkSchedule, checkT } from './common.js';
import { posteriorMean, posteriorMeanFromEps } from './posterior.js';
import { PREDICTIONS, x0FromPrediction, type Prediction } from './parameterization.js';
import type { Rng } from './rng.js';
import type { Schedule } from './schedules.js';

/**
 * The reverse-step variance:
 * - 'posterior' (default): σ_t² = β̃_t ("fixedsmall"; the clipped log β̃ of C3, so t = 1 uses β̃_2);
 * - 'beta': σ_t² = β_t ("fixedlarge"; at t = 1, β̃_2 as in improved-diffusion, so the decoder
 *   variance does not depend on the choice);
 * - `{ learnedRange: v }`: per element, log σ² = v·log β_t + (1-v)·log β̃_t (clipped), v ∈ [0, 1]
 *   (Nichol & Dhariwal 2021 eq. (15); improved-diffusion feeds v = (o+1)/2 from a network output o ∈ [-1, 1]);
 * - `{ logVariance: lv }`: per-element log σ² given directly.
 */
export type VarianceSpec = 'beta' | 'posterior' | { learnedRange: VecOrBatch } | { logVariance: VecOrBatch };

export interface DdpmStepOptions {
  /** What `modelOutput` predicts (default 'eps'). */
  prediction?: Prediction;
  /** Reverse-step variance (default 'posterior'). */
  variance?: VarianceSpec;
  /** z ~ N(0, I) of x_t's shape; ignored at t = 1. Either `noise` or `rng` is needed for t ≥ 2. */
  noise?: VecOrBatch;
  /** Draws z when `noise` is not given. */
  rng?: Rng;
  /** Clip x̂_0 to [-1, 1] before forming the mean (image data). Default false. */
  clip?: boolean;
}

/**
 * log σ_t² of a fixed reverse-step variance: 'posterior' → log β̃_t (clipped: log β̃_2 at t = 1);
 * 'beta' → log β_t, except log β̃_2 at t = 1 (improved-diffusion's "fixedlarge"). t ∈ {1..T}.
 */
export function fixedLogVariance(schedule: Schedule, t: number, variance: 'beta' | 'posterior'): number {
  const s = checkSchedule(schedule);
  checkT(s, t);
  checkOneOf('variance', variance, ['beta', 'posterior'] as const);
  return variance === 'posterior' || t === 1 ? s.posteriorLogVarianceClipped(t) : Math.log(s.beta(t));
}

/** Per-element log σ_t² of the reverse step for the given variance option (see VarianceSpec). */
export function reverseLogVariance<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, variance: VarianceSpec = 'posterior'): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const ref = rowsOf('xt', xt);
  const logPost = s.posteriorLogVarianceClipped(t);
  let rows: Float64Array[];
  if (typeof variance === 'string') {
    checkOneOf('options.variance', variance, ['beta', 'posterior'] as const);
    const lv = fixedLogVariance(s, t, variance);
    rows = ref.rows.map((r) => new Float64Array(r.length).fill(lv));
  } else if (variance && typeof variance === 'object' && 'learnedRange' in variance) {
    const vr = rowsLike('options.variance.learnedRange', variance.learnedRange, 'xt', ref);
    const logBeta = Math.log(s.beta(t));
    rows = vr.map((r, k) =>
      r.map((v, i) => {
        if (!(v >= 0 && v <= 1)) throw new DiffusionInputError(`options.variance.learnedRange${ref.batched ? `[${k}]` : ''}[${i}]`, v, 'must lie in [0, 1]');
        return v * logBeta + (1 - v) * logPost;
      }),
    );
  } else if (variance && typeof variance === 'object' && 'logVariance' in variance) {
    rows = rowsLike('options.variance.logVariance', variance.logVariance, 'xt', ref).map((r) => Float64Array.from(r));
  } else {
    throw new DiffusionInputError('options.variance', variance, "unknown value; expected \"beta\", \"posterior\", {learnedRange} or {logVariance}");
  }
  return shapeOut(ref.batched, rows) as Out<X>;
}

/**
 * The reverse-step moments (improved-diffusion's p_mean_variance): x̂_0 from the model output
 * (optionally clipped to [-1, 1]), μ_θ and per-element log σ_t². The mean is 004 eq. (58) for an
 * unclipped ε-prediction and 004 eq. (52) (C1 with x̂_0) otherwise; the two agree algebraically
 * (claim 6). t ∈ {1..T}.
 */
export function pMeanVariance<X extends VecOrBatch>(
  schedule: Schedule,
  xt: X,
  t: number,
  modelOutput: VecOrBatch,
  options: Omit<DdpmStepOptions, 'noise' | 'rng'> = {},
): { mean: Out<X>; logVariance: Out<X>; predX0: Out<X> } {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const prediction = checkOneOf('options.prediction', options.prediction ?? 'eps', PREDICTIONS);
  rowsLike('modelOutput', modelOutput, 'xt', rowsOf('xt', xt));
  let predX0 = x0FromPrediction(s, xt, t, modelOutput, prediction);
  if (options.clip) predX0 = clipRows(predX0) as Out<X>;
  const mean = prediction === 'eps' && !options.clip ? posteriorMeanFromEps(s, xt, t, modelOutput) : (posteriorMean(s, predX0, xt, t) as Out<X>);
  const logVariance = reverseLogVariance(s, xt, t, options.variance ?? 'posterior');
  return { mean, logVariance, predX0 };
}

function clipRows(x: Float64Array | Float64Array[]): Float64Array | Float64Array[] {
  const clip = (r: Float64Array) => r.map((v) => Math.min(1, Math.max(-1, v)));
  return x instanceof Float64Array ? clip(x) : x.map(clip);
}

/**
 * E1: one DDPM ancestral step x_{t-1} = μ_θ(x_t, t) + σ_t z for t ≥ 2 and x_0 = μ_θ(x_1, 1) at t = 1
 * (Ho et al. 2020 Algorithm 2; 003; 004 §2.7-2.8 eqs. (56), (58)). `modelOutput` is ε̂, x̂_0 or v̂
 * (options.prediction). t ∈ {1..T} (1-based; diffusers' step index is t-1).
 */
export function ddpmStep<X extends VecOrBatch>(schedule: Schedule, xt: X, t: number, modelOutput: VecOrBatch, options: DdpmStepOptions = {}): Out<X> {
  const s = checkSchedule(schedule);
  checkT(s, t);
  const { mean, logVariance } = pMeanVariance(s, xt, t, modelOutput, options);
  if (t === 1) return mean;
  const ref = rowsOf('xt', xt);
  let z: Float64Array[];
  if (options.noise !== undefined) z = rowsLike('options.noise', options.noise, 'xt', ref);
  else if (options.rng) z = ref.rows.map((r) => options.rng!.normals(r.length));
  else throw new DiffusionInputError('options.noise', undefined, `noise (or options.rng) is required for t = ${t} ≥ 2`);
  const mRows = mean instanceof Float64Array ? [mean] : (mean as Float64Array[]);
  const lvRows = logVariance instanceof Float64Array ? [logVariance] : (logVariance as Float64Array[]);
  const out = mRows.map((m, r) => m.map((mv, i) => mv + Math.exp(0.5 * lvRows[r][i]) * z[r][i]));
  const res = shapeOut(ref.batched, out) as Out<X>;
  checkFiniteRows('ddpmStep', res as Float64Array | Float64Array[]);
  return res;
}
