/**
 * Section A of the formula catalog (shared/formulas.md): noise schedules and the precomputed
 * schedule object.
 *
 * Index convention (fixed for the whole project): `t` is the papers' 1-based step index,
 * t ∈ {1..T}; β_t is stored at array index t-1; ᾱ_0 = 1. Functions that accept t = 0 say so.
 * diffusers / improved-diffusion use the 0-based i = t-1: see `toZeroBased` / `fromZeroBased`.
 *
 * Accuracy: ᾱ_t is accumulated as Σ log1p(-β_s) and 1-ᾱ_t is computed as -expm1(log ᾱ_t), so
 * neither loses digits near t → 0 (ᾱ ≈ 1) or t → T (ᾱ ≈ 0).
 */
import { DiffusionInputError, checkFiniteNumber, checkOneOf, checkPositiveInt, checkTimestep } from './errors.js';

export const SCHEDULE_NAMES = ['linear', 'cosine', 'scaled-linear', 'sigmoid', 'constant', 'constant-gamma'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface ScheduleOptions {
  /** linear / scaled-linear / sigmoid: β_1 (default 1e-4; scaled-linear 0.00085). */
  betaStart?: number;
  /** linear / scaled-linear / sigmoid: β_T (default 0.02; scaled-linear 0.012). */
  betaEnd?: number;
  /**
   * linear: multiply betaStart/betaEnd by 1000/T, as improved-diffusion does so that the
   * schedule's end point stays comparable when T ≠ 1000 (default false: Ho et al. verbatim).
   */
  scaleToT?: boolean;
  /** cosine: offset s (default 0.008). */
  s?: number;
  /** cosine: clip of β (default 0.999). */
  maxBeta?: number;
  /** constant: the constant β (default 0.05, the 004 §4.3 example). */
  beta?: number;
  /** constant-gamma: γ ∈ (0,1), the per-step scale of seed 000; β = 1-γ² (default √0.95). */
  gamma?: number;
  /** sigmoid: the range of the logistic's argument, linspace(-range, range) (default 6). */
  sigmoidRange?: number;
}

function linspace(a: number, b: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = a;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = a + ((b - a) * i) / (n - 1); // endpoint inclusive: out[n-1] = b exactly
  out[n - 1] = b;
  return out;
}

/**
 * β_1..β_T of a named schedule (A1-A4).
 *
 * - `linear` (A1, Ho et al. 2020; 004 §2): β from betaStart to betaEnd *inclusive*. Seed 001's code
 *   builds `torch.linspace(β_1, β_T, T+1)[:-1]`-style arrays that never reach β_T; that is a bug,
 *   not followed here.
 * - `cosine` (A2, Nichol & Dhariwal 2021; 000 "Different noise schedules"):
 *   ᾱ(t) = f(t)/f(0), f(t) = cos²(((t/T)+s)/(1+s)·π/2), β_t = min(1 - ᾱ(t)/ᾱ(t-1), maxBeta).
 * - `scaled-linear` (A3, latent diffusion): √β linear from √betaStart to √betaEnd.
 * - `sigmoid` (A3, GeoDiff): β = betaStart + (betaEnd-betaStart)·σ(linspace(-6, 6, T)).
 * - `constant` (A3; 004 §4.3 uses β = 0.05).
 * - `constant-gamma` (A4, seed 000 first section): z_t ~ N(γ z_{t-1}, σ²I) with σ² = 1-γ², i.e. a
 *   constant β = 1-γ²; then z_t → N(0, I) geometrically (Var z_t = γ^{2t} Var x + 1 - γ^{2t}).
 */
export function betaSchedule(name: ScheduleName, T: number, options: ScheduleOptions = {}): Float64Array {
  checkOneOf('name', name, SCHEDULE_NAMES);
  checkPositiveInt('T', T);
  const opt = (key: keyof ScheduleOptions, dflt: number): number => {
    const v = options[key];
    if (v === undefined) return dflt;
    return checkFiniteNumber(`options.${key}`, v);
  };
  let betas: Float64Array;
  switch (name) {
    case 'linear': {
      const scale = options.scaleToT ? 1000 / T : 1;
      betas = linspace(scale * opt('betaStart', 1e-4), scale * opt('betaEnd', 0.02), T);
      break;
    }
    case 'scaled-linear': {
      const a = Math.sqrt(opt('betaStart', 0.00085));
      const b = Math.sqrt(opt('betaEnd', 0.012));
      betas = linspace(a, b, T).map((x) => x * x);
      break;
    }
    case 'sigmoid': {
      const r = opt('sigmoidRange', 6);
      const b0 = opt('betaStart', 1e-4);
      const b1 = opt('betaEnd', 0.02);
      betas = linspace(-r, r, T).map((x) => b0 + (b1 - b0) / (1 + Math.exp(-x)));
      break;
    }
    case 'cosine': {
      const s = opt('s', 0.008);
      const maxBeta = opt('maxBeta', 0.999);
      // log f(t) computed directly; β_t = 1 - f(t)/f(t-1) = -expm1(log f(t) - log f(t-1)).
      const logF = (t: number) => 2 * Math.log(Math.cos((((t / T) + s) / (1 + s)) * (Math.PI / 2)));
      betas = new Float64Array(T);
      for (let t = 1; t <= T; t++) {
        const b = t === T ? 1 : -Math.expm1(logF(t) - logF(t - 1)); // f(1) = cos²(π/2) = 0 exactly at t = T
        betas[t - 1] = Math.min(Number.isFinite(b) ? b : 1, maxBeta);
      }
      break;
    }
    case 'constant':
      betas = new Float64Array(T).fill(opt('beta', 0.05));
      break;
    case 'constant-gamma': {
      const g = opt('gamma', Math.sqrt(0.95));
      if (!(g > 0 && g < 1)) throw new DiffusionInputError('options.gamma', g, 'must lie in (0, 1)');
      betas = new Float64Array(T).fill(1 - g * g);
      break;
    }
  }
  validateBetas(betas);
  return betas;
}

/**
 * Valid β: finite, β_t ∈ (0, 1) for t < T, and β_T ∈ (0, 1] (β_T = 1 is the zero-terminal-SNR case,
 * ᾱ_T = 0 exactly). Throws naming the first bad entry.
 */
export function validateBetas(betas: ArrayLike<number>, name = 'betas'): void {
  if (!betas || typeof betas.length !== 'number') throw new DiffusionInputError(name, betas, 'must be an array of β values');
  if (betas.length === 0) throw new DiffusionInputError(name, betas, 'empty schedule');
  for (let i = 0; i < betas.length; i++) {
    const b = betas[i];
    const last = i === betas.length - 1;
    if (typeof b !== 'number' || Number.isNaN(b)) throw new DiffusionInputError(`${name}[${i}] (β_${i + 1})`, b, 'invalid schedule: NaN');
    if (!(b > 0) || b > 1 || (b === 1 && !last)) {
      throw new DiffusionInputError(`${name}[${i}] (β_${i + 1})`, b, last ? 'invalid schedule: β_T must lie in (0, 1]' : 'invalid schedule: β must lie in (0, 1)');
    }
  }
}

/**
 * A5 (seed 000 "Finishing exactly at N(0, I)"; Lin et al. 2024 Algorithm 1): rescale √ᾱ linearly so
 * that √ᾱ_T = 0 exactly while √ᾱ_1 keeps its value, then recover β. The returned β_T is exactly 1.
 */
export function rescaleZeroTerminalSnr(betas: ArrayLike<number>): Float64Array {
  validateBetas(betas);
  const T = betas.length;
  if (T < 2) throw new DiffusionInputError('betas', betas, 'zero-terminal-SNR rescale needs T ≥ 2');
  const sqrtAb = new Float64Array(T);
  let logAb = 0;
  for (let i = 0; i < T; i++) {
    logAb += Math.log1p(-betas[i]);
    sqrtAb[i] = Math.exp(0.5 * logAb);
  }
  const first = sqrtAb[0];
  const last = sqrtAb[T - 1];
  if (!(first > last)) throw new DiffusionInputError('betas', betas, 'cannot rescale: √ᾱ_1 must exceed √ᾱ_T');
  const scale = first / (first - last);
  const ab = new Float64Array(T);
  for (let i = 0; i < T; i++) {
    const s = (sqrtAb[i] - last) * scale; // s_1 = first, s_T = 0
    ab[i] = s * s;
  }
  const out = new Float64Array(T);
  out[0] = 1 - ab[0];
  for (let i = 1; i < T; i++) out[i] = 1 - ab[i] / ab[i - 1];
  out[T - 1] = 1;
  validateBetas(out, 'rescaled betas');
  return out;
}

/** The precomputed schedule (in the manner of improved-diffusion's GaussianDiffusion). */
export interface Schedule {
  /** Number of steps T. */
  readonly T: number;
  /** β_1..β_T (array index t-1). */
  readonly betas: Float64Array;
  /** log ᾱ_t for t = 0..T (array index t; logAlphaBars[0] = 0). */
  readonly logAlphaBars: Float64Array;
  /** β_t, t ∈ {1..T}. */
  beta(t: number): number;
  /** α_t = 1-β_t, t ∈ {1..T}. */
  alpha(t: number): number;
  /** ᾱ_t = ∏_{s≤t} α_s, t ∈ {0..T} (ᾱ_0 = 1). */
  alphaBar(t: number): number;
  /** log ᾱ_t, t ∈ {0..T}. */
  logAlphaBar(t: number): number;
  /** 1-ᾱ_t without cancellation, t ∈ {0..T}. */
  oneMinusAlphaBar(t: number): number;
  /** SNR(t) = ᾱ_t/(1-ᾱ_t), t ∈ {1..T} (0 when ᾱ_T = 0). */
  snr(t: number): number;
  /** log SNR(t) = log ᾱ_t - log(1-ᾱ_t), t ∈ {1..T} (-∞ when ᾱ_T = 0). λ_t = ½ logSnr(t). */
  logSnr(t: number): number;
  /** β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (C1), t ∈ {1..T}; β̃_1 = 0. */
  posteriorVariance(t: number): number;
  /** log β̃_t with β̃_1 replaced by β̃_2 (C3, improved-diffusion); for T = 1, log β_1. */
  posteriorLogVarianceClipped(t: number): number;
  /** [coefX0, coefXt] of μ̃ = coefX0·x0 + coefXt·x_t (C1), t ∈ {1..T}. */
  posteriorMeanCoefs(t: number): [number, number];
}

/**
 * Build the schedule object from β_1..β_T. Throws on an invalid schedule (see validateBetas).
 */
export function makeSchedule(betasIn: ArrayLike<number>): Schedule {
  validateBetas(betasIn);
  const betas = Float64Array.from(betasIn);
  const T = betas.length;
  const logAb = new Float64Array(T + 1);
  for (let t = 1; t <= T; t++) {
    // log1p(-1) = -∞ for the zero-terminal-SNR β_T = 1: ᾱ_T = 0 exactly.
    logAb[t] = logAb[t - 1] + Math.log1p(-betas[t - 1]);
  }
  const omab = (t: number) => -Math.expm1(logAb[t]);
  const tt = (t: number) => checkTimestep('t', t, 1, T);
  const t0 = (t: number) => checkTimestep('t', t, 0, T);
  const postVar = (t: number) => (t === 1 ? 0 : (omab(t - 1) / omab(t)) * betas[t - 1]);
  const sched: Schedule = {
    T,
    betas,
    logAlphaBars: logAb,
    beta: (t) => betas[tt(t) - 1],
    alpha: (t) => 1 - betas[tt(t) - 1],
    alphaBar: (t) => Math.exp(logAb[t0(t)]),
    logAlphaBar: (t) => logAb[t0(t)],
    oneMinusAlphaBar: (t) => omab(t0(t)),
    snr: (t) => Math.exp(logAb[tt(t)]) / omab(t),
    logSnr: (t) => logAb[tt(t)] - Math.log(omab(t)),
    posteriorVariance: (t) => postVar(tt(t)),
    posteriorLogVarianceClipped: (t) => {
      tt(t);
      if (t === 1) return T >= 2 ? Math.log(postVar(2)) : Math.log(betas[0]);
      return Math.log(postVar(t));
    },
    posteriorMeanCoefs: (t) => {
      tt(t);
      const om = omab(t);
      return [(Math.exp(0.5 * logAb[t - 1]) * betas[t - 1]) / om, (Math.sqrt(1 - betas[t - 1]) * omab(t - 1)) / om];
    },
  };
  return sched;
}

/** The papers' t ∈ {1..T} → diffusers/improved-diffusion array index i = t-1. */
export function toZeroBased(t: number, T: number): number {
  return checkTimestep('t', t, 1, T) - 1;
}

/** diffusers/improved-diffusion index i ∈ {0..T-1} → the papers' t = i+1. */
export function fromZeroBased(i: number, T: number): number {
  return checkTimestep('i', i, 0, T - 1) + 1;
}

/** Seed 000 writes the process with γ_t = √α_t and σ̄_t² = 1-γ̄_t²: converters. */
export function gammaFromBeta(beta: number): number {
  return Math.sqrt(1 - beta);
}
export function betaFromGamma(gamma: number): number {
  return 1 - gamma * gamma;
}
