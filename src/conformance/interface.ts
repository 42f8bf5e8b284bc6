/**
 * The implementation interface that every claim of the property suite is written against.
 *
 * The float64 reference is the first implementation (`src/conformance/impls/reference.ts`); the tfjs
 * tier and third-party implementations plug in the same way. Every member is optional: a claim
 * states which members it needs, and runs only against implementations that provide them
 * (the conformance kit reports the others as "not applicable", never as passed).
 *
 * Conventions (see shared/formulas.md): `t` is the papers' 1-based index, t ∈ {1..T}, ᾱ_0 = 1;
 * a schedule is passed as its β_1..β_T (`betas`, array index t-1) so that any implementation can
 * build its own schedule object from it; vectors are plain float arrays; outputs may be any
 * ArrayLike<number> (Float32Array from a float32 implementation is fine).
 */

export type Arr = ArrayLike<number>;

import type { Process, DiffusionModel, ModelOutput } from '../reference/model.js';
import type { SamplerFn } from '../reference/samplers.js';
import type { MixtureSpec } from '../reference/mixture.js';
export type { Process, DiffusionModel, ModelOutput, SamplerFn, MixtureSpec };

/** A denoiser given to the ELBO functions: predicts ε from (x_t, t) (t 1-based). */
export type EpsModel = (xt: Float64Array, t: number) => Arr;

export type Prediction = 'eps' | 'x0' | 'v';
export type Spacing = 'linspace' | 'leading' | 'trailing';

export interface DdpmStepOptions {
  prediction?: Prediction;
  /** 'beta' (σ_t² = β_t, "fixedlarge") or 'posterior' (σ_t² = β̃_t, "fixedsmall"). */
  variance?: 'beta' | 'posterior';
  /** z ~ N(0, I), same length as x_t; ignored at t = 1 (no noise is added at the last step). */
  noise?: Arr;
  /** Clip x̂_0 to [-1, 1] before forming the mean. */
  clip?: boolean;
}

export interface DdimStepOptions {
  eta?: number;
  noise?: Arr;
  prediction?: Prediction;
}

export interface Precision {
  /** 'float64' for reference-grade code, 'float32' for tensor code. Claims scale tolerances by it. */
  readonly precision: 'float64' | 'float32';
}

export interface DiffusionImpl extends Precision {
  readonly name: string;

  // ---- A. schedules -------------------------------------------------------------------
  betaSchedule?(name: string, T: number, options?: Record<string, number | boolean>): Arr;
  rescaleZeroTerminalSnr?(betas: Arr): Arr;
  /** ᾱ_t for t ∈ {0..T}. */
  alphaBar?(betas: Arr, t: number): number;
  /** β̃_t for t ∈ {1..T}. */
  posteriorVariance?(betas: Arr, t: number): number;
  /** log β̃_t, with t = 1 clipped to β̃_2. */
  posteriorLogVarianceClipped?(betas: Arr, t: number): number;

  // ---- B. forward process -------------------------------------------------------------
  /** x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε (B2). */
  qSample?(betas: Arr, x0: Arr, t: number, eps: Arr): Arr;
  /** x_t = √α_t x_{t-1} + √β_t ε (B1). */
  qStep?(betas: Arr, xPrev: Arr, t: number, eps: Arr): Arr;

  // ---- C. posterior -------------------------------------------------------------------
  qPosterior?(betas: Arr, x0: Arr, xt: Arr, t: number): { mean: Arr; variance: number; logVariance: number };

  // ---- D. parameterizations -----------------------------------------------------------
  predictX0FromEps?(betas: Arr, xt: Arr, t: number, eps: Arr): Arr;
  predictEpsFromX0?(betas: Arr, xt: Arr, t: number, x0: Arr): Arr;
  /** v given x_t and ε (x_0 implied by them). */
  vFromEpsX0?(betas: Arr, xt: Arr, t: number, eps: Arr): Arr;
  epsFromV?(betas: Arr, xt: Arr, t: number, v: Arr): Arr;
  x0FromV?(betas: Arr, xt: Arr, t: number, v: Arr): Arr;
  scoreFromEps?(betas: Arr, xt: Arr, t: number, eps: Arr): Arr;

  // ---- E. reverse steps ---------------------------------------------------------------
  ddpmStep?(betas: Arr, xt: Arr, t: number, modelOutput: Arr, options: DdpmStepOptions): Arr;
  /** Strided timesteps, descending, 1-based: e.g. T=1000, 10 steps, 'leading' → [901, 801, …, 1]. */
  ddimTimesteps?(T: number, steps: number, spacing: Spacing): number[];
  /** One DDIM step from t to tPrev < t (tPrev = 0 means "to x_0"). */
  ddimStep?(betas: Arr, xt: Arr, t: number, tPrev: number, modelOutput: Arr, options: DdimStepOptions): Arr;

  // ---- F. objectives ------------------------------------------------------------------
  /** Elementwise KL(N(m1, e^{lv1}) ‖ N(m2, e^{lv2})) in nats. */
  normalKl?(mean1: Arr, logVar1: Arr, mean2: Arr, logVar2: Arr): Arr;
  /** Elementwise log-probability (nats) of 8-bit data x ∈ [-1,1] under the discretized Gaussian. */
  discretizedGaussianLogLikelihood?(x: Arr, mean: Arr, logScale: Arr): Arr;
  /**
   * The VLB term at t in bits/dim for one x_0 (t = 1: decoder NLL; t ≥ 2: L_{t-1} KL), with
   * x_t = √ᾱ_t x_0 + √(1-ᾱ_t)·noise, `model` an ε-predictor, reverse variance σ_t² = β̃_t
   * ("fixedsmall"; log β̃_2 at t = 1) and the discretized decoder with log σ = ½·log σ_1²
   * (x_0 on the 8-bit grid for t = 1). core.elbo-decomposition checks exactly this contract.
   */
  vbTerms?(betas: Arr, model: EpsModel, x0: Arr, t: number, noise: Arr): number;

  // ---- G, E3-E9, F5: score-based family (types from src/reference/model.ts) ------------
  /** A continuous-time process: kind 'vp' | 've' | 'indi' with options, or 'discrete-vp' with `betas`. */
  scoreProcess?(kind: string, options?: Record<string, number> | Arr): Process;
  /** log p_t(x) of mixture data at x_t = α x_0 + σ ε (closed form, G). */
  mixtureLogPdf?(mix: MixtureSpec, alpha: number, sigma: number, x: Arr): number;
  /** ∇log p_t(x) of mixture data (G). */
  mixtureScore?(mix: MixtureSpec, alpha: number, sigma: number, x: Arr): Arr;
  /** E[x_0 | x_t] of mixture data (G). */
  mixturePosteriorMean?(mix: MixtureSpec, alpha: number, sigma: number, x: Arr): Arr;
  /** The exact oracle as a model on `process`, returning ε̂, x̂_0, v̂ or the score. */
  mixtureModel?(mix: MixtureSpec, process: Process, output: ModelOutput): DiffusionModel;
  /**
   * Lu et al. 2022a's discrete model time: the 0-based network step n for the continuous time
   * t_c ∈ [1/N, 1] of an N-step schedule, n = N·(t_c - 1/N) (issue 15).
   */
  discreteModelTime?(tContinuous: number, N: number): number;
  /** The sampler registered under `name` (src/reference/samplers.ts SAMPLER_NAMES). */
  scoreSampler?(name: string): SamplerFn;
  /** Classifier guidance wrapper (E9): ε̃ = ε̂ - w σ_t ∇log p(y|x_t). */
  classifierGuidance?(model: DiffusionModel, classifierGrad: (x: Float64Array[], t: number) => Float64Array[], w: number): DiffusionModel;
  /** Classifier-free guidance wrapper (E9): ε̃ = (1+w) ε̂(x,y) - w ε̂(x,∅). */
  classifierFreeGuidance?(condModel: DiffusionModel, uncondModel: DiffusionModel, w: number): DiffusionModel;
  /** Ĵ_ESM with a Gaussian KDE of bandwidth h over `samples` (F5, 004 eq. 81). */
  explicitScoreMatchingLoss?(score: (x: Float64Array) => Arr, data: Float64Array[], h: number, samples: Float64Array[]): number;
  /** Ĵ_DSM over pairs (clean, noise) at noise level σ (F5, 004 eq. 85). */
  denoisingScoreMatchingLoss?(score: (x: Float64Array) => Arr, clean: Float64Array[], sigma: number, noise: Float64Array[]): number;

  // ---- σ-space (EDM/Karras; k-diffusion conventions: src/reference/sigma.ts) -----------
  /**
   * A σ schedule with the final 0 appended once: 'karras' (options sigmaMin, sigmaMax, rho),
   * 'exponential' (sigmaMin, sigmaMax), 'polyexponential' (sigmaMin, sigmaMax, rho), 'vp' (betaD, betaMin, epsS).
   */
  sigmaSchedule?(name: string, n: number, options?: Record<string, number>): Arr;
  /** n σ's of a discrete schedule's own table in a diffusers spacing, final 0 appended once. */
  discreteScheduleSigmas?(betas: Arr, n: number, spacing: Spacing): Arr;
  /** The 1-based timesteps a discrete network is evaluated at along a σ grid ('interp': log-σ interpolation; 'quantized': nearest). May refuse a grid (throw) but never return a repeated timestep. */
  sigmasToTimesteps?(betas: Arr, sigmas: Arr, mapping: 'interp' | 'quantized'): Arr;
  /** The ancestral split of σ_from → σ_to with noise level η (k-diffusion get_ancestral_step). */
  ancestralStep?(sigmaFrom: number, sigmaTo: number, eta: number): { sigmaDown: number; sigmaUp: number };
  /** D(x̃; σ) of a model (EDM eq. 7 with the model's process and output kind), on a σ-space batch. */
  sigmaDenoiser?(model: DiffusionModel): (x: Float64Array[], sigma: number) => Arr[];
}

export type ImplMember = Exclude<keyof DiffusionImpl, 'name' | 'precision'>;
