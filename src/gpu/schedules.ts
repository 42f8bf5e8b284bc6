/**
 * Section A of the formula catalog on tensors: the precomputed schedule of the TensorFlow.js tier.
 * float64 twin: src/reference/schedules.ts.
 *
 * The β sequences themselves (betaSchedule, rescaleZeroTerminalSnr) are host-side float64 arrays of
 * T numbers computed once: they are not re-implemented here (a second copy of the same scalar loop
 * would add nothing); `makeTensorSchedule` takes the β of any of them and builds the float32 tables.
 *
 * Index convention (as in the reference): `t` is the papers' 1-based index, t ∈ {1..T}, ᾱ_0 = 1.
 * Tables of per-step quantities (β_t, √α_t, β̃_t, …) have length T and hold t at array index t-1;
 * tables of cumulative quantities (log ᾱ_t, √ᾱ_t, 1-ᾱ_t, …) have length T+1 and hold t at index t
 * (index 0 is t = 0). `atStep` / `atTime` in common.ts do the gathering and the t → t-1 conversion.
 *
 * Accuracy (float32, unit roundoff u = 2^-24; derivation in docs/tfjs-tier.md):
 * - β_t and α_t = 1-β_t are both rounded from the float64 host values (each to u relative);
 *   log α_t = log1p(-β_t) for β_t < ½, computed with `log1pF32` below (≤ 5u relative; tf.log1p is
 *   *not* used: the wasm backend's Log1p kernel computes log(1+x) naively, measured log1p(1e-8) = 0
 *   and a relative error of 5e-5 at 1e-3, while the cpu backend's is correct to 1u), and log α_t =
 *   log(α_t) for β_t ≥ ½; absolute error ≤ u·(1 + 6|log α_t|) per term.
 * - log ᾱ_t = tf.cumsum(log α): a sequential float32 sum of t terms of one sign, absolute error
 *   ≤ (t-1)·u·|log ᾱ_t| (Higham's γ_{t-1} bound) on top of the per-term errors.
 * - 1-ᾱ_t = -tf.expm1(log ᾱ_t) (both backends' Expm1 kernels are correct to 1u): relative error
 *   ≤ |δ log ᾱ_t|·ᾱ_t/(1-ᾱ_t) + u, so 1-ᾱ_1 ≈ β_1 keeps full float32 relative accuracy near t → 0
 *   instead of the catastrophic 1-exp(…) (relative error u/β_1 ≈ 6e-4 at β_1 = 1e-4).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { makeSchedule, validateBetas, type Schedule } from '../reference/schedules.js';

/** The float32 tensor schedule (in the manner of improved-diffusion's GaussianDiffusion buffers). */
export interface TensorSchedule {
  /** Number of steps T. */
  readonly T: number;
  /** β_1..β_T as given (float64 host copy), for messages and for building the tfjs impl. */
  readonly betasHost: Float64Array;
  /**
   * The float64 reference schedule of the same β (host side), used only for argument checks that
   * must agree with the reference exactly (ᾱ_t = 0, DDIM η admissibility), never for the tensors.
   */
  readonly host: Schedule;
  /** [T], index t-1: β_t. */
  readonly betas: tf.Tensor1D;
  /** [T], index t-1: √α_t = √(1-β_t) (1-β_t formed in float64 before rounding). */
  readonly sqrtAlphas: tf.Tensor1D;
  /** [T], index t-1: 1/√α_t (∞ where β_t = 1). */
  readonly sqrtRecipAlphas: tf.Tensor1D;
  /** [T+1], index t: log ᾱ_t (0 at t = 0, -∞ where ᾱ_T = 0). */
  readonly logAlphaBars: tf.Tensor1D;
  /** [T+1], index t: ᾱ_t. */
  readonly alphaBars: tf.Tensor1D;
  /** [T+1], index t: √ᾱ_t = exp(½ log ᾱ_t). */
  readonly sqrtAlphaBars: tf.Tensor1D;
  /** [T+1], index t: 1-ᾱ_t = -expm1(log ᾱ_t). */
  readonly oneMinusAlphaBars: tf.Tensor1D;
  /** [T+1], index t: √(1-ᾱ_t). */
  readonly sqrtOneMinusAlphaBars: tf.Tensor1D;
  /** [T+1], index t: √(1/ᾱ_t) = exp(-½ log ᾱ_t) (∞ where ᾱ_T = 0). */
  readonly sqrtRecipAlphaBars: tf.Tensor1D;
  /** [T+1], index t: √(1/ᾱ_t - 1) = √expm1(-log ᾱ_t) (∞ where ᾱ_T = 0). */
  readonly sqrtRecipm1AlphaBars: tf.Tensor1D;
  /** [T+1], index t: log SNR(t) = log ᾱ_t - log(1-ᾱ_t) (+∞ at t = 0, -∞ where ᾱ_T = 0). */
  readonly logSnr: tf.Tensor1D;
  /** [T], index t-1: β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (C1); β̃_1 = 0. */
  readonly posteriorVariance: tf.Tensor1D;
  /** [T], index t-1: log β̃_t with β̃_1 replaced by β̃_2 (C3); for T = 1, log β_1. */
  readonly posteriorLogVarianceClipped: tf.Tensor1D;
  /** [T], index t-1: coefficient of x_0 in μ̃_t, √ᾱ_{t-1}β_t/(1-ᾱ_t) (C1). */
  readonly posteriorMeanCoef1: tf.Tensor1D;
  /** [T], index t-1: coefficient of x_t in μ̃_t, √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) (C1). */
  readonly posteriorMeanCoef2: tf.Tensor1D;
  /** Frees every table. The schedule must not be used afterwards. */
  dispose(): void;
}

/**
 * log(1+x) elementwise in float32 for x > -1, accurate to a few ulps for every x including |x| ≪ u
 * (D. Goldberg, "What every computer scientist should know about floating-point arithmetic", 1991,
 * Theorem 4): with w = fl(1+x), log1p(x) = x when w = 1, else log(w)·x/(w-1). The ratio
 * x/(w-1) corrects exactly the rounding of 1+x, because w-1 is computed exactly. x = -1 gives -∞.
 * float64 twin: Math.log1p in src/reference/schedules.ts.
 */
export function log1pF32(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const w = tf.add(1, x);
    const wm1 = tf.sub(w, 1);
    // The unselected branch may hold NaN (0/0 where w = 1); tf.where does not propagate it.
    const ratio = tf.mul(tf.log(w), tf.div(x, tf.where(tf.equal(wm1, 0), tf.onesLike(wm1), wm1)));
    return tf.where(tf.equal(w, 1), x, ratio);
  });
}

/**
 * Builds the float32 schedule tables from β_1..β_T (A1-A5 give the β; see the reference's
 * `makeSchedule` for the formulas, which are the same). Throws on an invalid schedule (the reference's
 * validateBetas) and on β that float32 cannot represent faithfully: β_t (t < T) rounding to 1 (ᾱ
 * would vanish early) or to a subnormal/0 (the posterior variance would be 0/0).
 */
export function makeTensorSchedule(betasIn: ArrayLike<number>): TensorSchedule {
  validateBetas(betasIn);
  const betasHost = Float64Array.from(betasIn);
  const T = betasHost.length;
  const b32 = Float32Array.from(betasHost);
  for (let i = 0; i < T; i++) {
    if (i < T - 1 && b32[i] === 1) throw new DiffusionInputError(`betas[${i}] (β_${i + 1})`, betasHost[i], 'rounds to 1 in float32: ᾱ_t would vanish before t = T');
    if (!(b32[i] >= 1.1754943508222875e-38)) throw new DiffusionInputError(`betas[${i}] (β_${i + 1})`, betasHost[i], 'is below the smallest normal float32 (1.18e-38)');
  }
  const tables = tf.tidy(() => {
    const betas = tf.tensor1d(b32, 'float32');
    // α_t = 1-β_t is formed in float64 on the host and rounded once (relative error ≤ u): rounding β
    // first and subtracting in float32 would cost u·β/(1-β) relative in α (6e-5 at the cosine clip β = 0.999).
    const alphas = tf.tensor1d(Float32Array.from(betasHost, (b) => 1 - b), 'float32');
    // log α_t: log1p(-β_t) where β_t < ½ (well conditioned in β), log(α_t) where β_t ≥ ½ (well conditioned
    // in α); either way the absolute error is ≤ u·(1 + 6|log α_t|). -∞ where β_T = 1 (α_T = 0 exactly).
    const logAlphas = tf.where(tf.less(betas, 0.5), log1pF32(tf.neg(betas)), tf.log(alphas));
    const logAlphaBars = tf.concat([tf.zeros([1]), tf.cumsum(logAlphas)]) as tf.Tensor1D; // index t: Σ_{s≤t} log α_s
    const alphaBars = tf.exp(logAlphaBars) as tf.Tensor1D;
    const sqrtAlphaBars = tf.exp(tf.mul(0.5, logAlphaBars)) as tf.Tensor1D;
    const oneMinusAlphaBars = tf.neg(tf.expm1(logAlphaBars)) as tf.Tensor1D;
    const sqrtOneMinusAlphaBars = tf.sqrt(oneMinusAlphaBars) as tf.Tensor1D;
    const sqrtRecipAlphaBars = tf.exp(tf.mul(-0.5, logAlphaBars)) as tf.Tensor1D;
    const sqrtRecipm1AlphaBars = tf.sqrt(tf.expm1(tf.neg(logAlphaBars))) as tf.Tensor1D;
    const logSnr = tf.sub(logAlphaBars, tf.log(oneMinusAlphaBars)) as tf.Tensor1D;
    const sqrtAlphas = tf.sqrt(alphas) as tf.Tensor1D;
    const sqrtRecipAlphas = tf.div(1, sqrtAlphas) as tf.Tensor1D;
    // 1-ᾱ_{t-1} and 1-ᾱ_t for t = 1..T: slices of the [T+1] table at offsets 0 and 1.
    const omPrev = tf.slice(oneMinusAlphaBars, [0], [T]);
    const omCur = tf.slice(oneMinusAlphaBars, [1], [T]);
    const sqrtAbPrev = tf.slice(sqrtAlphaBars, [0], [T]);
    const posteriorVariance = tf.mul(tf.div(omPrev, omCur), betas) as tf.Tensor1D; // β̃_1 = 0·β_1/(1-ᾱ_1) = 0 exactly
    const logPv = tf.log(posteriorVariance);
    // C3: log β̃_1 = log 0 = -∞ is replaced by log β̃_2 (improved-diffusion); T = 1 has no β̃_2: log β_1.
    const first = T >= 2 ? tf.slice(logPv, [1], [1]) : tf.log(tf.slice(betas, [0], [1]));
    const posteriorLogVarianceClipped = (T >= 2 ? tf.concat([first, tf.slice(logPv, [1], [T - 1])]) : first) as tf.Tensor1D;
    const posteriorMeanCoef1 = tf.div(tf.mul(sqrtAbPrev, betas), omCur) as tf.Tensor1D;
    const posteriorMeanCoef2 = tf.div(tf.mul(sqrtAlphas, omPrev), omCur) as tf.Tensor1D;
    return {
      betas, sqrtAlphas, sqrtRecipAlphas, logAlphaBars, alphaBars, sqrtAlphaBars, oneMinusAlphaBars, sqrtOneMinusAlphaBars,
      sqrtRecipAlphaBars, sqrtRecipm1AlphaBars, logSnr, posteriorVariance, posteriorLogVarianceClipped, posteriorMeanCoef1, posteriorMeanCoef2,
    };
  });
  return {
    T,
    betasHost,
    host: makeSchedule(betasHost),
    ...tables,
    dispose() {
      for (const v of Object.values(tables)) v.dispose();
    },
  };
}
