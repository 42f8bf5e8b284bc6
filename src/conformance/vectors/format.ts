/**
 * The portable test-vector format (issue 8), shared by the generator (`src/conformance/vectors/generate.ts`), the
 * conformance kit (`src/conformance/kit.ts`) and, in prose, the numpy harness (`vectors/check_numpy.py`).
 *
 * In the manner of Project Wycheproof, vectors are data, apart from any harness: one JSON file per
 * formula family, each with a version, a notes section explaining every flag (the bug a vector is
 * built to expose and its effect), and test groups of cases. A case has a stable string id, named
 * inputs, float64 expected outputs, a tolerance per output and precision, and flags. Invalid cases
 * (`"result": "invalid"`) name inputs that an implementation must reject, with the reason.
 *
 * JSON has no NaN or ±∞: where an input or output is one of them it is written as the string
 * "NaN", "Infinity" or "-Infinity" (`decodeNumber`). Every other number is written by
 * JSON.stringify, i.e. the shortest decimal that round-trips to the same float64.
 */

import { BRIDGES } from './score-ops.js';
import type { DiffusionImpl } from '../interface.js';

export const VECTOR_FORMAT_VERSION = '1.0.0';

/** The interface members (src/conformance/interface.ts) that vectors exercise, with their argument order. */
export const OPS = {
  betaSchedule: { args: ['name', 'T', 'options'], outputs: ['out'] },
  rescaleZeroTerminalSnr: { args: ['betas'], outputs: ['out'] },
  alphaBar: { args: ['betas', 't'], outputs: ['out'] },
  posteriorVariance: { args: ['betas', 't'], outputs: ['out'] },
  posteriorLogVarianceClipped: { args: ['betas', 't'], outputs: ['out'] },
  qSample: { args: ['betas', 'x0', 't', 'eps'], outputs: ['out'] },
  qStep: { args: ['betas', 'xPrev', 't', 'eps'], outputs: ['out'] },
  qPosterior: { args: ['betas', 'x0', 'xt', 't'], outputs: ['mean', 'variance', 'logVariance'] },
  predictX0FromEps: { args: ['betas', 'xt', 't', 'eps'], outputs: ['out'] },
  predictEpsFromX0: { args: ['betas', 'xt', 't', 'x0'], outputs: ['out'] },
  vFromEpsX0: { args: ['betas', 'xt', 't', 'eps'], outputs: ['out'] },
  epsFromV: { args: ['betas', 'xt', 't', 'v'], outputs: ['out'] },
  x0FromV: { args: ['betas', 'xt', 't', 'v'], outputs: ['out'] },
  scoreFromEps: { args: ['betas', 'xt', 't', 'eps'], outputs: ['out'] },
  ddpmStep: { args: ['betas', 'xt', 't', 'modelOutput', 'options'], outputs: ['out'] },
  ddimTimesteps: { args: ['T', 'steps', 'spacing'], outputs: ['out'] },
  ddimStep: { args: ['betas', 'xt', 't', 'tPrev', 'modelOutput', 'options'], outputs: ['out'] },
  normalKl: { args: ['mean1', 'logVar1', 'mean2', 'logVar2'], outputs: ['out'] },
  discretizedGaussianLogLikelihood: { args: ['x', 'mean', 'logScale'], outputs: ['out'] },
  vbTerms: { args: ['betas', 'model', 'x0', 't', 'noise'], outputs: ['out'] },
  // ---- score family (src/conformance/vectors/score-ops.ts): mixture oracles are members; the rest are derived ----
  mixtureLogPdf: { args: ['mixture', 'alpha', 'sigma', 'x'], outputs: ['out'] },
  mixtureScore: { args: ['mixture', 'alpha', 'sigma', 'x'], outputs: ['out'] },
  mixturePosteriorMean: { args: ['mixture', 'alpha', 'sigma', 'x'], outputs: ['out'] },
  explicitScoreMatchingLoss: { args: ['score', 'data', 'h', 'samples'], outputs: ['out'] },
  denoisingScoreMatchingLoss: { args: ['score', 'clean', 'sigma', 'noise'], outputs: ['out'] },
  processCoefficients: { args: ['process', 't'], outputs: ['alpha', 'sigma', 'lambda', 'f', 'g2'], members: ['scoreProcess'] },
  mixtureModelOutput: { args: ['mixture', 'process', 'output', 't', 'x'], outputs: ['out'], members: ['scoreProcess', 'mixtureModel'] },
  samplerStep: { args: ['sampler', 'process', 'model', 'x', 'timeGrid', 'options'], outputs: ['out'], members: ['scoreProcess', 'scoreSampler'] },
  classifierGuidedEps: { args: ['process', 'model', 'classifierGrad', 'w', 'x', 't'], outputs: ['out'], members: ['scoreProcess', 'classifierGuidance'] },
  classifierFreeGuidedEps: { args: ['process', 'condModel', 'uncondModel', 'w', 'x', 't'], outputs: ['out'], members: ['scoreProcess', 'classifierFreeGuidance'] },
  // ---- σ-space (issue 14; src/conformance/vectors/families-sigma.ts) ----
  sigmaSchedule: { args: ['name', 'n', 'options'], outputs: ['out'] },
  discreteScheduleSigmas: { args: ['betas', 'n', 'spacing'], outputs: ['out'] },
  ancestralStep: { args: ['sigmaFrom', 'sigmaTo', 'eta'], outputs: ['sigmaDown', 'sigmaUp'] },
  kSamplerRun: { args: ['sampler', 'model', 'x', 'sigmas', 'options'], outputs: ['out'], members: ['scoreProcess', 'scoreSampler'] },
} as const;

/** The interface members an operation needs (derived operations list theirs; the others are a member of the same name). */
export function opMembers(op: OpName): readonly string[] {
  const o = OPS[op] as { members?: readonly string[] };
  return o.members ?? [op];
}

/** Operations of the score family: real-valued times (not the papers' integer t), specs as inputs. */
export const SCORE_OPS: ReadonlySet<OpName> = new Set<OpName>([
  'mixtureLogPdf', 'mixtureScore', 'mixturePosteriorMean', 'explicitScoreMatchingLoss', 'denoisingScoreMatchingLoss', 'processCoefficients', 'mixtureModelOutput', 'samplerStep', 'classifierGuidedEps', 'classifierFreeGuidedEps',
  'sigmaSchedule', 'ancestralStep', 'kSamplerRun',
]);

export type OpName = keyof typeof OPS;

export type JsonNum = number | 'NaN' | 'Infinity' | '-Infinity';

/** Absolute tolerance per output element, for a float64 and for a float32 implementation. */
export interface Tolerance {
  float64: number;
  float32: number;
}

export interface VectorCase {
  /** Stable, unique across all files: "<family>/<group>/<case>". Never reused for a different case. */
  id: string;
  comment?: string;
  /** Names of notes[flag] entries: the bugs this case is built to expose. */
  flags: string[];
  /** Named inputs (see OPS[op].args); `betas` may be omitted to use the group's. */
  inputs: Record<string, unknown>;
  result: 'valid' | 'invalid';
  /** valid: the float64 expected outputs, keyed by OPS[op].outputs. */
  expected?: Record<string, unknown>;
  /** valid: |actual - expected| ≤ tolerance[output][precision] for every element. */
  tolerance?: Record<string, Tolerance>;
  /** invalid: why the input must be rejected (an implementation must throw / raise). */
  reason?: string;
}

export interface VectorGroup {
  /** Stable group name (the middle part of its cases' ids). */
  name: string;
  op: OpName;
  comment: string;
  /** Where the group's betas came from (informational; `betas` is authoritative). */
  schedule?: { name: string; T: number; options?: Record<string, unknown>; transform?: string };
  /** β_1..β_T (array index t-1) shared by the group's cases. */
  betas?: JsonNum[];
  tests: VectorCase[];
}

export interface FlagNote {
  /** What kind of bug: e.g. "index convention", "missing clip". */
  bugType: string;
  /** The correct behaviour and the bug. */
  description: string;
  /** What the bug does to results. */
  effect: string;
  /** Where the bug is known to occur (seed document, library), if anywhere. */
  seenIn?: string;
}

export interface VectorFile {
  $schema: string;
  family: string;
  version: string;
  generator: string;
  numberOfTests: number;
  header: string[];
  indexConvention: string;
  notes: Record<string, FlagNote>;
  testGroups: VectorGroup[];
}

export function encodeNumber(x: number): JsonNum {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return Object.is(x, -0) ? 0 : x;
}

export function decodeNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (x === 'NaN') return NaN;
  if (x === 'Infinity') return Infinity;
  if (x === '-Infinity') return -Infinity;
  throw new TypeError(`not a vector number: ${JSON.stringify(x)}`);
}

/** Index/time convention of the score-family files. */
export const SCORE_TIME_CONVENTION =
  "Continuous time t ∈ [0, tMax] of the vector's process, x_t = α(t) x_0 + σ(t) ε: 'vp' (tMax = 1, log ᾱ(t) = -(β_min t + ½(β_max-β_min)t²), α = √ᾱ, σ = √(1-ᾱ)), " +
  "'ve' (α = 1, σ(t) = σ_min (σ_max/σ_min)^t), 'indi' (α = 1-t+s·t, σ = t√(b² + c²(1-t)²)), 'discrete-vp' (t ∈ [0, T] with the papers' 1-based index: " +
  "integer t gives exactly α = √ᾱ_t, σ = √(1-ᾱ_t), betas[t-1] = β_t, ᾱ_0 = 1; log ᾱ linear between integers). λ(t) = log(α/σ); f, g² are the SDE coefficients of dx = f x dt + g dw. " +
  'A sampler step runs from timeGrid[0] to timeGrid[1] (sampling: decreasing times); noise draws are standard-normal vectors listed in the order the step consumes them.';

/** Index convention text written into every file. */
export const INDEX_CONVENTION =
  "t is the papers' 1-based step index, t ∈ {1..T}; betas[t-1] = β_t; ᾱ_0 = 1 (alphaBar and ddimStep's tPrev accept t = 0). " +
  'diffusers and improved-diffusion index arrays with i = t-1: pass t = i+1. ddimTimesteps returns 1-based timesteps in descending order.';

/**
 * Every flag used by the vectors, with the bug it names. A vector carrying a flag is built so that
 * an implementation with that bug fails it (checked by vectors/vectors.test.ts with bug models).
 */
export const FLAG_NOTES: Record<string, FlagNote> = {
  OFF_BY_ONE: {
    bugType: 'index convention',
    description: "t is 1-based (ᾱ_t = ∏_{s≤t} α_s, β_t at array index t-1). The bug reads the schedule at array index t, i.e. uses β_{t+1}, ᾱ_{t+1} (or, in the other direction, ᾱ_{t-1}) by mixing the papers' 1-based t with a 0-based array index.",
    effect: 'Every coefficient is taken one step too late; at t = T the lookup falls off the array (NaN/undefined or a wrap-around). Errors are of order β_t relative, large near t = 1.',
    seenIn: 'seed 001 sampling loop; any port between diffusers (0-based) and the papers (1-based)',
  },
  FINAL_ALPHA: {
    bugType: 'boundary value',
    description: 'The last DDIM step (to tPrev = 0) must use ᾱ_0 = 1, so x_0 = x̂_0. The bug uses ᾱ of the first timestep (ᾱ_1 = 1-β_1) as the "final alpha", as diffusers does with set_alpha_to_one=False.',
    effect: 'The final sample is √ᾱ_1 x̂_0 + √(1-ᾱ_1) ε̂ instead of x̂_0: a residual noise of size √β_1 ≈ 1e-2 and a shrink by √(1-β_1).',
    seenIn: 'diffusers DDIMScheduler(set_alpha_to_one=False)',
  },
  PREV_TIMESTEP: {
    bugType: 'strided sampling',
    description: 'A strided DDIM step from t to tPrev (the next element of the timestep sequence) must use ᾱ_{tPrev}. The bug uses ᾱ_{t-1} (the full-sequence predecessor) or t - T/steps, which differ from tPrev whenever the sequence is strided or its strides are uneven (linspace/trailing spacing).',
    effect: 'The step lands at the wrong noise level: the sample keeps too much noise (sampling with few steps produces noisy images).',
  },
  ETA_SIGMA: {
    bugType: 'wrong variance',
    description: 'DDIM noise is σ_t(η) = η·√((1-ᾱ_{tPrev})/(1-ᾱ_t))·√(1-ᾱ_t/ᾱ_{tPrev}) (002 §3), computed with tPrev. The bug uses the full-sequence posterior variance β̃_t (tPrev = t-1) or σ = η√β_t on a strided step.',
    effect: 'Too little noise on strided steps with η > 0; η = 1 is then not the DDPM-like process on the subsequence and the marginals q(x_tPrev|x_0) are wrong.',
  },
  T_ZERO_VARIANCE: {
    bugType: 'boundary value',
    description: 'At t = 1 the posterior q(x_0|x_1,x_0) is a point mass: β̃_1 = (1-ᾱ_0)/(1-ᾱ_1)·β_1 = 0 because ᾱ_0 = 1. The bug reads ᾱ_0 from a wrapped-around index (alphas_cumprod[t-2] with t = 1 is the last element in numpy/PyTorch, ᾱ_T) or from a clamp.',
    effect: 'β̃_1 ≈ β_1 instead of 0, and the posterior mean at t = 1 mixes x_1 into x_0.',
    seenIn: 'numpy negative-index wrap-around',
  },
  LOG_VARIANCE_CLIP: {
    bugType: 'boundary value',
    description: 'The log posterior variance used by the model p_θ at t = 1 is clipped to log β̃_2 (improved-diffusion posterior_log_variance_clipped), because β̃_1 = 0. The bug takes log(β̃_1 + 1e-20) ≈ -46 or log(max(β̃_1, tiny)).',
    effect: 'log σ_1² ≈ -46: the decoder/KL term at t = 1 explodes (bits/dim of order 1e19) or NaN appears in the loss.',
    seenIn: 'diffusers variance_type="fixed_small_log" clamps at 1e-20',
  },
  NOISE_AT_T1: {
    bugType: 'boundary value',
    description: 'The last ancestral step (t = 1 → x_0) adds no noise: x_0 = μ_θ(x_1, 1). The bug adds σ_1·z there (with σ_1² = β_1 for the "fixedlarge" variance).',
    effect: 'Final samples carry Gaussian noise of std √β_1 (1e-2 for the linear schedule): visible grain, worse likelihood.',
    seenIn: 'seed 001 sampling loop',
  },
  VARIANCE_TYPE: {
    bugType: 'option ignored',
    description: "variance 'beta' means σ_t² = β_t (DDPM 'fixedlarge'); 'posterior' means σ_t² = β̃_t ('fixedsmall'). The bug ignores the option or swaps the two.",
    effect: 'The ancestral step adds noise of the wrong size: √β_t instead of √β̃_t (they differ most at small t).',
  },
  CLIP_X0: {
    bugType: 'missing clip',
    description: 'With clip = true the predicted x̂_0 is clipped to [-1, 1] before the posterior mean is formed from it (and the mean must be formed from the clipped x̂_0, not from ε̂). The bug skips the clip, or clips the output x_{t-1}.',
    effect: 'Out-of-range x̂_0 (common at large t) drives samples outside the data range; results differ wherever |x̂_0| > 1.',
  },
  PREDICTION_TYPE: {
    bugType: 'option ignored',
    description: "modelOutput is ε̂ ('eps'), x̂_0 ('x0') or v̂ ('v') according to the prediction option; each must be converted to x̂_0 / ε̂ with its own formula (D1, D2).",
    effect: 'A model trained for one target sampled with another formula gives garbage.',
  },
  V_CONVERSION: {
    bugType: 'wrong formula',
    description: 'v = √ᾱ_t ε - √(1-ᾱ_t) x_0 (000 "v-prediction"); from (x_t, v): x_0 = √ᾱ_t x_t - √(1-ᾱ_t) v, ε = √(1-ᾱ_t) x_t + √ᾱ_t v. The bug swaps √ᾱ and √(1-ᾱ) (or the sign).',
    effect: 'Only correct where ᾱ_t = ½; elsewhere x̂_0 and ε̂ from a v-model are wrong by O(1).',
  },
  MISSING_SQRT: {
    bugType: 'wrong formula',
    description: 'x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε and x_t = √α_t x_{t-1} + √β_t ε (coefficients are standard deviations). The bug uses ᾱ_t and 1-ᾱ_t (variances) as coefficients.',
    effect: 'Var x_t ≠ 1 for unit-variance data: the forward process no longer preserves variance and does not end at N(0, I).',
  },
  SCORE_SCALE: {
    bugType: 'wrong formula',
    description: 'The score of q(x_t|x_0) is s = -ε/√(1-ᾱ_t) (001 "as score matching", 004 §3). The bug divides by 1-ᾱ_t (the variance) instead of its square root.',
    effect: 'The score is too large by 1/√(1-ᾱ_t) (×100 at t = 1 of the linear schedule); Langevin/SDE steps built on it diverge.',
  },
  ZERO_TERMINAL_SNR: {
    bugType: 'boundary value',
    description: 'A zero-terminal-SNR schedule (000 "Finishing exactly at N(0,I)"; Lin et al. 2024) has β_T = 1 and ᾱ_T = 0 exactly. It must be accepted (β_T ∈ (0, 1]); the rescale keeps √ᾱ_1 and makes √ᾱ_T = 0; x̂_0 from ε is undefined at t = T (must be rejected) while v- and x0-prediction stay defined. The bug clips β_T to 0.999 (or rejects β_T = 1) or divides by √ᾱ_T = 0.',
    effect: 'The forward process does not reach N(0, I); or the first sampling step divides by zero and returns NaN/∞ silently.',
  },
  LINEAR_ENDPOINT: {
    bugType: 'schedule',
    description: 'The linear schedule runs from β_1 = betaStart to β_T = betaEnd inclusive (Ho et al.). The bug builds linspace(betaStart, betaEnd, T+1) and drops the last point, never reaching β_T.',
    effect: 'Every β_t is slightly too small (β_T is short by (betaEnd-betaStart)/T); ᾱ_T is larger than intended.',
    seenIn: 'seed 001 code',
  },
  COSINE_CLIP: {
    bugType: 'schedule',
    description: 'The cosine schedule clips β_t at maxBeta = 0.999 (Nichol & Dhariwal 2021); f(T) = 0 makes the unclipped β_T = 1. The bug omits the clip.',
    effect: 'β_T = 1 silently turns the cosine schedule into a zero-terminal-SNR one (ᾱ_T = 0), and ε-prediction divides by zero at t = T.',
  },
  TIMESTEP_SPACING: {
    bugType: 'timestep grid',
    description: "DDIM timestep subsequences, 1-based and descending: 'leading' = (k·⌊T/steps⌋ + 1) for k = steps-1..0; 'trailing' = round(T - k·T/steps) for k = 0..steps-1; 'linspace' = round(linspace(1, T, steps)) reversed (diffusers' 0-based grids plus 1). The bug returns the 0-based grid, or starts leading/linspace at 0.",
    effect: 'Sampling starts or ends at the wrong noise level (e.g. never visits t = T, or asks for t = 0 which is not a model step).',
  },
  DECODER_EDGE_BINS: {
    bugType: 'likelihood',
    description: 'The discretized Gaussian decoder (Ho et al. 2020 eq. 13) gives the edge bins open tails: x = -1 gets (-∞, -1+1/255], x = 1 gets [1-1/255, ∞). The bug integrates a closed bin of width 2/255 at the edges too.',
    effect: 'The 256 bin probabilities no longer sum to 1; likelihoods of saturated pixels (common in images) are too low.',
  },
  DECODER_BIN_WIDTH: {
    bugType: 'likelihood',
    description: 'Data in [-1, 1] with 256 levels have bins of width 2/255: the bin of x is [x - 1/255, x + 1/255]. The bug uses half-width 1/(2·255) (treating data as [0, 1]) or 2/255.',
    effect: 'The log-likelihood is off by about log 2 per dimension (≈ 1 bit/dim).',
  },
  LOG_SCALE_CONVENTION: {
    bugType: 'argument convention',
    description: 'normalKl takes log variances; discretizedGaussianLogLikelihood takes logScale = log σ (a log standard deviation), as in improved-diffusion. The bug confuses the two (a factor 2 in the exponent).',
    effect: 'KL and decoder NLL computed for the wrong variance; wrong wherever the variance ≠ 1.',
  },
  BITS_PER_DIM: {
    bugType: 'units',
    description: 'vbTerms returns the VLB term at t in bits per dimension: the per-dimension KL (t ≥ 2) or decoder NLL (t = 1) averaged over dimensions and divided by ln 2.',
    effect: 'Reporting nats (×ln 2 ≈ 0.693) or a sum over dimensions makes numbers incomparable with published bits/dim.',
  },
  VLB_DECODER_T1: {
    bugType: 'boundary value',
    description: 'The t = 1 term of the VLB is the decoder NLL -log p_θ(x_0|x_1) (discretized Gaussian), not a KL against the point-mass posterior; the t ≥ 2 terms are KL(q(x_{t-1}|x_t,x_0) ‖ p_θ(x_{t-1}|x_t)) with p_θ\'s variance σ_t² = β̃_t (log variance clipped at t = 1).',
    effect: 'The ELBO is wrong by the difference between a Gaussian KL and a discrete likelihood at t = 1.',
  },
  SCORE_SIGN: {
    bugType: 'sign',
    description: 'The score is ∇log p_t(x) = -Σ_k r_k(x) C_k⁻¹(x - α μ_k) for mixture data (C_k = α²Σ_k + σ²I), and s = -ε̂/σ from an ε-model (D3); the reverse SDE drift is f x - g² s (004 eq. 97). The bug flips the sign somewhere on this path (s = +ε̂/σ, +C⁻¹(x - αμ), or f x + g² s).',
    effect: 'Samplers push samples away from the data (the reverse process diverges); Langevin samples a repelling potential.',
  },
  MIXTURE_WEIGHTS: {
    bugType: 'option ignored',
    description: 'Responsibilities of a Gaussian mixture are r_k(x) ∝ π_k N(x; αμ_k, α²Σ_k + σ²I) with the given weights π_k. The bug drops π_k (equal weights 1/K).',
    effect: 'Score, log density and E[x_0|x_t] are wrong wherever two components overlap; samples have the wrong mode proportions.',
  },
  NOISY_MARGINAL: {
    bugType: 'wrong formula',
    description: 'x_t = α x_0 + σ ε maps the component N(μ_k, Σ_k) to N(α μ_k, α²Σ_k + σ²I) (catalog G). The bug uses αΣ_k + σ²I (α instead of α² on the covariance).',
    effect: 'Wrong density, score and denoiser at every noise level with α ∉ {0, 1} (VP processes).',
  },
  TWEEDIE_SCALE: {
    bugType: 'wrong formula',
    description: "Tweedie's formula: E[x_0|x_t] = (x_t + σ² ∇log p_t(x_t))/α (D3). The bug multiplies the score by σ instead of σ² (confusing the score with -ε̂ = σ·s).",
    effect: 'Denoised estimates are off by (σ² - σ)s/α: wrong x̂_0 wherever σ ≠ 1 (every denoiser-based sampler built on a score model).',
  },
  LANGEVIN_NOISE_SCALE: {
    bugType: 'wrong variance',
    description: 'One Langevin step is x + τ∇log p(x) + √(2τ) z (004 eq. 68; Song & Ermon 2019 with α = 2τ). The bug adds √τ z.',
    effect: 'The chain samples p² (normalized) instead of p: variances halved, modes over-concentrated.',
  },
  ANNEALED_STEP_SIZE: {
    bugType: 'wrong step size',
    description: 'Annealed Langevin uses τ_i = τ σ_i²/σ_L² at level i (Song & Ermon 2019 Algorithm 1). The bug keeps τ constant across levels.',
    effect: 'At the noisy levels the steps are far too small (σ_i²/σ_L² can be 1e6): the chain does not move between modes.',
  },
  VP_SDE_DRIFT: {
    bugType: 'seed typo',
    description: 'The VP reverse-diffusion step is x_{i-1} = (x_i + β_i s(x_i))/√(1-β_i) + √β_i z with β_i = 1 - ᾱ(t_i)/ᾱ(t_{i-1}) (004 eq. 103 corrected; Song et al. 2021 eq. 47; = DDPM with σ² = β). Seed 004 prints β_i/2 on the score.',
    effect: 'Half the score step: samples keep too much noise (their variance is too large).',
    seenIn: 'seed 004 eq. (103)',
  },
  VE_SDE_INCREMENT: {
    bugType: 'wrong variance',
    description: 'The VE reverse step is x + (σ_i² - σ_{i-1}²) s + √(σ_i² - σ_{i-1}²) z (004 eq. 107): variance increments. The bug uses σ_i - σ_{i-1}.',
    effect: 'Score and noise steps of the wrong size (too small for σ > 1, too large for σ < 1): samples do not follow p_t.',
  },
  PF_ODE_DRIFT: {
    bugType: 'wrong formula',
    description: 'The probability-flow ODE is dx/dt = f(t)x - ½g(t)² ∇log p_t(x) (004 §4.5; Song et al. 2021 eq. 13). The bug drops the ½ (the reverse-SDE drift without its noise).',
    effect: 'Deterministic samplers over-denoise: samples collapse towards the modes.',
  },
  HEUN_CORRECTION: {
    bugType: 'missing stage',
    description: 'Heun: x̃ = x + hF(x, t); x + h/2·(F(x, t) + F(x̃, t + h)) (Karras et al. 2022 Algorithm 1). The bug returns the Euler predictor x̃.',
    effect: 'First-order instead of second-order accuracy: an error O(h²) per step.',
  },
  RK4_WEIGHTS: {
    bugType: 'wrong coefficients',
    description: 'Classical RK4 combines its stages with weights (1, 2, 2, 1)/6. The bug uses equal weights 1/4.',
    effect: 'First-order accuracy: errors O(h²) per step instead of O(h⁵).',
  },
  DPM_LAMBDA_DIRECTION: {
    bugType: 'sign',
    description: 'DPM-Solver steps use h = λ(t) - λ(s) with λ = log(α/σ), h > 0 when denoising (Lu et al. 2022 eq. 3.7): DPM-Solver-1 is (α_t/α_s)x - σ_t(e^h - 1)ε̂_s. The bug uses h = λ(s) - λ(t).',
    effect: 'The ε term has the wrong sign and size: samples are noised instead of denoised.',
  },
  DPM_INTERMEDIATE_TIME: {
    bugType: 'wrong grid',
    description: 'The intermediate times of DPM-Solver-2/3 are uniform in λ: s_i = t_λ(λ_s + r_i h) (Lu et al. 2022 Algorithms 1-2). The bug takes them uniform in t: s + r_i(t - s).',
    effect: 'The correction uses ε̂ at the wrong noise level; the step loses its order.',
  },
  DPM_SOLVER3_COEF: {
    bugType: 'wrong coefficients',
    description: 'DPM-Solver-3 ends with -(σ_t/r_2)((e^h - 1)/h - 1)D_2, r_2 = 2/3 (Lu et al. 2022 Algorithm 2). The bug divides by r_1 = 1/3.',
    effect: 'The third-order correction is doubled: the step is only first-order accurate.',
  },
  MULTISTEP_WARMUP: {
    bugType: 'history at the first step',
    description: 'A multistep solver of order k has only i + 1 model outputs at step i: its first step must be first order (the DPM-Solver-1 / DDIM update), its second at most second order (Lu et al. 2022b §4.2). The bug runs the full order from the start with a zero-initialised history entry.',
    effect: 'The first step extrapolates toward a fictitious zero output: a large error that the later steps carry to the end.',
    seenIn: 'multistep ports that pre-allocate the history buffer with zeros',
  },
  LOWER_ORDER_FINAL: {
    bugType: 'order at the last step',
    description: "With lower_order_final (diffusers' default for few steps) the order at step i of N is at most N - i: the last step is first order. The bug keeps the full order to the end.",
    effect: 'The last, largest-λ step extrapolates x̂_0 over the longest history: a visible change of the final sample (and instability for very few steps).',
    seenIn: 'diffusers DPMSolverMultistepScheduler(lower_order_final=False)',
  },
  PNDM_RAW_V: {
    bugType: 'parameterization',
    description: "PNDM/PLMS combine ε̂ over steps (Liu et al. 2022 eq. 13); each history entry is ε̂ converted at its own (x_i, t_i). The bug stores the raw model outputs (v̂) and converts the combination once, at the current (x, t).",
    effect: 'Right for ε-models, wrong for v- (and x̂_0-) models: the combination mixes conversions of different states.',
    seenIn: 'PNDM with v-prediction models',
  },
  FLOW_VELOCITY_SIGN: {
    bugType: 'sign convention',
    description: 'On the rectified flow x_t = (1-t)x_0 + tε the velocity is u = dx_t/dt = ε - x_0 (Liu et al. 2023 eq. 1) and sampling runs t: 1 → 0 with x ← x + (t_{i+1} - t_i)u. The bug integrates with x̂_0 - ε̂ (the other sign convention) in the same update.',
    effect: 'The flow runs backwards: samples are pushed away from the data.',
  },
  GUIDANCE_ON_X0: {
    bugType: 'wrong space',
    description: 'Classifier guidance shifts ε: ε̃ = ε̂ - w σ_t ∇log p(y|x_t) (Dhariwal & Nichol 2021 eq. 14), equivalently x̂_0 + (w σ_t²/α_t)∇log p(y|x_t). The bug shifts x̂_0 with the ε coefficient: x̂_0 - w σ_t ∇log p(y|x_t). (For classifier-free guidance ε- and x̂_0-space coincide: the combination is affine with weights summing to 1.)',
    effect: 'The guidance pushes against the classifier, with the wrong size: samples move away from class y.',
  },
  GUIDANCE_SIGMA_SCALE: {
    bugType: 'wrong scale',
    description: 'Classifier guidance is ε̃ = ε̂ - w σ_t ∇log p(y|x_t): the score of p_t(x)p_t(y|x)^w times -σ_t. The bug drops σ_t (ε̂ - w ∇log p(y|x_t)).',
    effect: 'Guidance strength varies with the noise level by 1/σ_t: too strong at low noise.',
  },
  CFG_SCALE_CONVENTION: {
    bugType: 'argument convention',
    description: "Classifier-free guidance here is ε̃ = (1 + w) ε̂(x, y) - w ε̂(x, ∅) (Ho & Salimans 2022 eq. 6; w = 0 is the conditional model). The bug uses diffusers' guidance_scale convention ε̂(x,∅) + w(ε̂(x,y) - ε̂(x,∅)) with the same number w (their scale is 1 + w).",
    effect: 'Guidance one unit weaker than asked: w = 0 gives the unconditional model instead of the conditional one.',
    seenIn: 'diffusers guidance_scale vs the paper\'s w',
  },
  PC_SNR_STEP: {
    bugType: 'wrong step size',
    description: 'The Langevin corrector of a predictor-corrector sampler uses ε = 2a(r‖z‖/‖s‖)² for a target signal-to-noise ratio r (Song et al. 2021 Algorithms 4-5; a = 1-β_i for VP, 1 for VE), then x + ε s + √(2ε) z. The bug forgets the square.',
    effect: 'Corrector steps of the wrong size (too large for r‖z‖/‖s‖ < 1): the corrector adds noise instead of correcting.',
  },
  INDI_EXTRA_NOISE: {
    bugType: 'seed typo',
    description: 'The stochastic InDI step adds (t-τ)·√(σ_e(t-τ)² - σ_e(t)²)·z (004 eq. 66), which keeps the marginals x_t = (1-t)x_0 + t y + t σ_e(t) n\'. Seed 004 eq. (67) writes √(t-τ) instead of (t-τ).',
    effect: 'The extra noise is too large by 1/√t: samples are noisier than the process they should follow.',
    seenIn: 'seed 004 eq. (67)',
  },
  SCORE_MATCHING_HALF: {
    bugType: 'seed typo',
    description: 'Ĵ_ESM = E ½‖s_θ(x) - ∇log q(x)‖² and Ĵ_DSM = E ½‖s_θ(x\' + σz) + z/σ‖² (004 eqs. 81, 85 with the ½ of its own proof; Vincent 2011). Seed 004 eq. (81) drops the ½.',
    effect: 'The loss is doubled; J_DSM - J_ESM is then no longer constant in θ when one side has the ½ and the other not.',
    seenIn: 'seed 004 eq. (81)',
  },
  DSM_TARGET: {
    bugType: 'seed typo',
    description: 'The denoising target is ∇_x log q_σ(x|x\') = -(x - x\')/σ² = -z/σ (004 eqs. 84-85). Seed 004 eq. (84) writes ∇q(x|x\') (the density\'s gradient, q·∇log q).',
    effect: 'The target is scaled by the density value q_σ(x|x\'): the minimizer is not the score.',
    seenIn: 'seed 004 eq. (84)',
  },
  KARRAS_RHO_POWER: {
    bugType: 'σ schedule',
    description: 'Karras et al. eq. 5: σ_i = (σ_max^{1/ρ} + i/(n-1)(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ. The bug returns the ramp without the final power ρ.',
    effect: 'The σ range is wrong (σ_max^{1/ρ} … σ_min^{1/ρ}, e.g. 1.87 … 0.41 for 80 … 0.002): the sampler starts far from its noise level and never reaches σ_min.',
    seenIn: 'ports of k-diffusion get_sigmas_karras',
  },
  SIGMA_FINAL_ZERO: {
    bugType: 'σ grid',
    description: 'A σ schedule ends with exactly one appended σ = 0. The bug appends 0 to a schedule that already ends at 0 (or forgets it).',
    effect: 'A doubled 0 is a zero-length last step (h = 0: the state is never denoised, or 0/0); a missing 0 leaves σ_min noise in the output.',
    seenIn: 'schedulers that append the final sigma on top of a schedule that already has it',
  },
  ANCESTRAL_CLAMP: {
    bugType: 'ancestral split',
    description: 'σ_up = min(σ_to, η·√(σ_to²(σ_from² - σ_to²)/σ_from²)), σ_down = √(σ_to² - σ_up²). The bug drops the min.',
    effect: 'For η > 1 (or by float32 rounding when σ_from ≫ σ_to) σ_up > σ_to and σ_down = √(negative) = NaN.',
    seenIn: 'Euler-ancestral / DPM2-ancestral ports in float32 (cosine schedules)',
  },
  ANCESTRAL_NOISE_LEVEL: {
    bugType: 'ancestral step',
    description: 'An ancestral σ-space step moves deterministically to σ_down and adds S_noise·σ_up·z. The bug adds σ_to·z (or σ_from·z).',
    effect: 'Too much noise at every step: samples too wide.',
  },
  HEUN_SECOND_STAGE_SIGMA: {
    bugType: 'Runge-Kutta stage',
    description: "EDM Algorithm 2: Heun's corrector evaluates D at (x_{i+1}, σ_{i+1}). The bug evaluates it at σ̂ (the step's start).",
    effect: 'First order instead of second; biased samples at few steps.',
  },
  DPMPP_2M_FINAL_ORDER: {
    bugType: 'multistep order',
    description: 'DPM-Solver++(2M) drops to first order on the last step when it ends at σ = 0 (h = ∞ there). The bug keeps the second-order correction.',
    effect: 'r = h_{N-1}/h_N = 0: ∞·(D - D_old) = NaN/∞ at the last step (or, ending at a small σ_min, an unstable last step for < 10-15 steps).',
    seenIn: 'DPM-Solver++ multistep schedulers without lower_order_final',
  },
  LMS_COEFFICIENTS: {
    bugType: 'multistep coefficients',
    description: 'LMS in σ integrates the Lagrange basis over [σ_i, σ_{i+1}] on the actual (non-uniform) grid. The bug uses constant-step Adams-Bashforth weights.',
    effect: 'Wrong steps on Karras grids; the order drops to 1-2.',
  },
  DPMPP_3M_SECOND_DERIVATIVE: {
    bugType: 'multistep coefficients',
    description: "DPM-Solver++(3M): with d₂ = (δ₀ - δ₁)/(r₀ + r₁) ≈ ½h²D'', the Taylor term of the exponential integrator is -2φ₃d₂ ('taylor' variant). k-diffusion's sample_dpmpp_3m_sde (and DPM-Solver's 3M update) uses -φ₃d₂: vectors of variant 'k-diffusion' follow that, of variant 'taylor' the full term.",
    effect: "Half the second-derivative term: the ODE limit is second order, not third.",
    seenIn: 'k-diffusion sample_dpmpp_3m_sde; DPM-Solver multistep_dpm_solver_third_order_update',
  },
  INPUT_VALIDATION: {
    bugType: 'missing check',
    description: 'Invalid input (t out of range or non-integer, NaN or ∞ data, shape mismatch, an invalid schedule, unknown names) must be rejected with an error, never answered with NaN or a wrapped-around value.',
    effect: 'Silent NaN/garbage that surfaces far from its cause.',
  },
};

/** A language-neutral ε-model for vbTerms vectors: ε̂(x_t, t) = scale·x_t + shift (elementwise). */
export interface AffineModelSpec {
  kind: 'affine';
  scale: number;
  shift: number[];
}

export function modelFromSpec(spec: unknown): (xt: Float64Array, t: number) => Float64Array {
  const m = spec as AffineModelSpec;
  if (!m || m.kind !== 'affine' || typeof m.scale !== 'number' || !Array.isArray(m.shift)) {
    throw new TypeError(`unknown model spec ${JSON.stringify(spec)}`);
  }
  const shift = Float64Array.from(m.shift);
  return (xt: Float64Array) => {
    if (xt.length !== shift.length) throw new RangeError(`model: x_t has length ${xt.length}, the model's shift ${shift.length}`);
    const out = new Float64Array(xt.length);
    for (let i = 0; i < xt.length; i++) out[i] = m.scale * xt[i] + shift[i];
    return out;
  };
}

/** A language-neutral score model for the score-matching vectors: s_θ(x) = matrix·x + shift. */
export interface AffineScoreSpec {
  kind: 'affine';
  matrix: number[][];
  shift: number[];
}

export function affineScoreFromSpec(spec: unknown): (x: Float64Array) => Float64Array {
  const m = spec as AffineScoreSpec;
  if (!m || m.kind !== 'affine' || !Array.isArray(m.matrix) || !Array.isArray(m.shift)) throw new TypeError(`unknown score spec ${JSON.stringify(spec)}`);
  const A = m.matrix.map((r) => Float64Array.from(r));
  const b = Float64Array.from(m.shift);
  return (x: Float64Array) => {
    if (x.length !== b.length) throw new RangeError(`score: x has length ${x.length}, the model's shift ${b.length}`);
    return b.map((bi, i) => A[i].reduce((acc, a, j) => acc + a * x[j], bi));
  };
}

/** Decode a JSON input value: number strings → numbers, numeric arrays → Float64Array. */
function decodeValue(v: unknown): unknown {
  if (typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return decodeNumber(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' || x === 'NaN' || x === 'Infinity' || x === '-Infinity')) {
    return Float64Array.from(v.map(decodeNumber));
  }
  return v;
}

/**
 * The positional arguments of `op` for one case: named inputs in OPS order, the group's betas
 * where the case gives none, `options` objects decoded member by member, `model` specs turned
 * into functions.
 */
export function buildArgs(op: OpName, inputs: Record<string, unknown>, groupBetas?: JsonNum[]): unknown[] {
  return OPS[op].args.map((name) => {
    if (name === 'betas') return decodeValue(inputs.betas !== undefined ? inputs.betas : groupBetas);
    const v = inputs[name];
    if (name === 'model' && op === 'vbTerms') return modelFromSpec(v);
    if (name === 'score' && (op === 'explicitScoreMatchingLoss' || op === 'denoisingScoreMatchingLoss')) return affineScoreFromSpec(v);
    if (name === 'options') {
      if (v === undefined) return undefined;
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = decodeValue(x);
      return o;
    }
    return decodeValue(v);
  });
}

/** An implementation's return value as {outputKey: number | number[]} (ArrayLikes become arrays). */
export function normalizeOutput(op: OpName, raw: unknown): Record<string, number | number[]> {
  const toOut = (x: unknown): number | number[] => {
    if (typeof x === 'number') return x;
    if (x && typeof (x as ArrayLike<number>).length === 'number') return Array.from(x as ArrayLike<number>, Number);
    throw new TypeError(`expected a number or an array, got ${typeof x}`);
  };
  const keys = OPS[op].outputs as readonly string[];
  if (keys.length === 1 && keys[0] === 'out') return { out: toOut(raw) };
  const o = raw as Record<string, unknown>;
  if (!o || typeof o !== 'object') throw new TypeError(`expected an object with ${keys.join(', ')}`);
  const res: Record<string, number | number[]> = {};
  for (const k of keys) res[k] = toOut(o[k]);
  return res;
}

/** Call `op` on `impl` (any object with the interface member) for one case's inputs. */
export function callOp(impl: object, op: OpName, inputs: Record<string, unknown>, groupBetas?: JsonNum[]): Record<string, number | number[]> {
  for (const m of opMembers(op)) {
    if (typeof (impl as Record<string, unknown>)[m] !== 'function') throw new TypeError(`implementation lacks ${m}`);
  }
  const bridge = BRIDGES[op];
  if (bridge) return normalizeOutput(op, bridge(impl as DiffusionImpl, buildArgs(op, inputs, groupBetas)));
  const fn = (impl as Record<string, unknown>)[op] as (...a: unknown[]) => unknown;
  return normalizeOutput(op, fn.apply(impl, buildArgs(op, inputs, groupBetas)));
}

/**
 * Compare one output against the expected value with an absolute tolerance per element.
 * Returns null when it matches, else a message naming the first bad element.
 */
export function compareOutput(key: string, actual: number | number[], expected: unknown, tol: number): string | null {
  const e = Array.isArray(expected) ? expected.map(decodeNumber) : [decodeNumber(expected)];
  const a = typeof actual === 'number' ? [actual] : actual;
  if (Array.isArray(expected) !== Array.isArray(actual) && !(Array.isArray(actual) && actual.length === 1 && !Array.isArray(expected))) {
    return `${key}: expected ${Array.isArray(expected) ? `an array of ${e.length}` : 'a number'}, got ${Array.isArray(actual) ? `an array of ${a.length}` : 'a number'}`;
  }
  if (a.length !== e.length) return `${key}: length ${a.length}, expected ${e.length}`;
  for (let i = 0; i < e.length; i++) {
    const ai = a[i];
    const ei = e[i];
    if (!Number.isFinite(ei)) {
      if (!Object.is(ai, ei)) return `${key}[${i}]: got ${ai}, expected ${ei}`;
      continue;
    }
    const err = Math.abs(ai - ei);
    if (!(err <= tol)) return `${key}[${i}]: got ${ai}, expected ${ei} (error ${Number.isFinite(err) ? err.toExponential(3) : err} > tolerance ${tol.toExponential(3)})`;
  }
  return null;
}
