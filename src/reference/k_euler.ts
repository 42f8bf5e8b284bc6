/**
 * σ-space samplers of the Euler/Heun family (Karras et al. 2022 "Elucidating…" = EDM;
 * k-diffusion's sample_euler, sample_euler_ancestral, sample_heun, sample_dpm_2,
 * sample_dpm_2_ancestral, sample_lms — behaviour as documented there, written from the papers).
 *
 * Every sampler has the signature (model, x̃, sigmas, options) → x̃ at the last σ:
 *   - `sigmas` is a σ grid (sigma.ts checkSigmaGrid: strictly decreasing, > 0 except one final 0),
 *     e.g. karrasSigmas(n, σ_min, σ_max); σ = e^{-λ} = σ_t/α_t of the model's process;
 *   - x̃ is in σ-space (x̃ = x_t/α(t)); start from x̃ = x_0 + σ_0 ε (≈ σ_0·z for large σ_0);
 *   - the model is called through its denoiser D(x̃; σ) (sigma.ts modelDenoiser), never at σ = 0;
 *   - the callback's `t`/`tNext` are the step's σ's (σ̂ after churn in `t`).
 * The PF-ODE in σ-space is dx̃/dσ = d(x̃, σ) = (x̃ - D(x̃; σ))/σ (EDM eq. 3, Algorithm 1).
 *
 * Randomness: churn noise (EDM Algorithm 2 line 5) comes from options.rng; the ancestral noise
 * from options.noiseSampler(σ, σ_next) when given (e.g. a Brownian tree), else from options.rng.
 * Draws happen only where the added noise is non-zero (γ > 0, σ_up > 0), in step order, so the
 * tensor twin reproduces the stream.
 */
import { DiffusionInputError, checkFiniteNumber, checkOneOf } from './errors.js';
import { checkBatch, checkModel, normalsLike, requireRng, type DiffusionModel, type Rows } from './model.js';
import type { OptionSpec, SamplerBaseOptions } from './sampling.js';
import { ancestralStep, checkSigmaGrid, modelDenoiser, SIGMA_TO_TIME, type SigmaDenoiser, type SigmaToTime } from './sigma.js';
import { BrownianTree, brownianNoiseSampler, type NoiseSampler } from './brownian.js';

// ---------------------------------------------------------------------------------------------
// Option specs (the descriptor table, the strict parser, the CLI flags and the docs read these)

const MAPPING = { name: 'mapping', type: 'enum', values: ['process', 'interp', 'quantized'], default: 'process', doc: "σ → network time: the process's own t(σ) (exact), or for a discrete-vp model k-diffusion's log-σ interpolated ('interp') or nearest ('quantized') timestep" } as const satisfies OptionSpec;
const S_NOISE = { name: 'sNoise', type: 'number', min: 0, default: 1, doc: 'scale of the added noise (S_noise)' } as const satisfies OptionSpec;
const ETA = { name: 'eta', type: 'number', min: 0, default: 1, doc: 'ancestral noise level η (σ_up = min(σ_to, η·σ_to√(1-σ_to²/σ_from²)); 0 = deterministic)' } as const satisfies OptionSpec;
/** euler, heun, dpm_2: EDM Algorithm 2's churn. */
export const K_CHURN_OPTIONS = [
  { name: 'sChurn', type: 'number', min: 0, default: 0, doc: 'EDM churn S_churn: γ = min(S_churn/N, √2-1) where S_tmin ≤ σ ≤ S_tmax (0 = deterministic)' },
  { name: 'sTmin', type: 'number', min: 0, default: 0, doc: 'smallest σ that gets churn' },
  { name: 'sTmax', type: 'number', min: 0, doc: 'largest σ that gets churn (default ∞)' },
  S_NOISE,
  MAPPING,
] as const satisfies readonly OptionSpec[];
/** euler_ancestral, dpm_2_ancestral, dpmpp_2s_ancestral. */
export const K_ANCESTRAL_OPTIONS = [ETA, S_NOISE, MAPPING] as const satisfies readonly OptionSpec[];
/** lms. */
export const K_LMS_OPTIONS = [{ name: 'order', type: 'integer', min: 1, max: 4, default: 4, doc: 'multistep order (integrated Lagrange coefficients)' }, MAPPING] as const satisfies readonly OptionSpec[];
/** dpmpp_2m. */
export const K_MAPPING_OPTIONS = [MAPPING] as const satisfies readonly OptionSpec[];
const NOISE_SOURCE = { name: 'noiseSource', type: 'enum', values: ['brownian-tree', 'rng'], default: 'brownian-tree', doc: "without options.noiseSampler: a Brownian tree seeded from rng (k-diffusion's default) or independent rng draws" } as const satisfies OptionSpec;
/** dpmpp_sde. */
export const K_DPMPP_SDE_OPTIONS = [ETA, S_NOISE, { name: 'r', type: 'number', min: 0, minExclusive: true, max: 1, default: 0.5, doc: 'intermediate point of the step in λ' }, NOISE_SOURCE, MAPPING] as const satisfies readonly OptionSpec[];
/** dpmpp_2m_sde. */
export const K_DPMPP_2M_SDE_OPTIONS = [ETA, S_NOISE, { name: 'solverType', type: 'enum', values: ['midpoint', 'heun'], default: 'midpoint', doc: 'second-order correction: midpoint (DPM-Solver++(2M)) or heun (exact integral of the linear extrapolation)' }, NOISE_SOURCE, MAPPING] as const satisfies readonly OptionSpec[];
/** dpmpp_3m_sde. */
export const K_DPMPP_3M_SDE_OPTIONS = [ETA, S_NOISE, { name: 'variant', type: 'enum', values: ['k-diffusion', 'taylor'], default: 'k-diffusion', doc: "third-order term: k-diffusion's (second order in the ODE limit) or the Taylor term (third order)" }, NOISE_SOURCE, MAPPING] as const satisfies readonly OptionSpec[];

/** Options of the σ-space samplers (k-diffusion names in camelCase). */
export interface KSamplerOptions extends SamplerBaseOptions {
  /** Ancestral/SDE noise level η (default 1). */
  eta?: number;
  /** Scale of the added noise (default 1). */
  sNoise?: number;
  /** EDM churn (Algorithm 2): total churn S_churn (default 0), applied where sTmin ≤ σ ≤ sTmax. */
  sChurn?: number;
  sTmin?: number;
  sTmax?: number;
  /** Ancestral/SDE noise source (σ, σ_next) → standard normals; default: options.rng. */
  noiseSampler?: NoiseSampler;
  /** lms: order 1..4 (default 4). */
  order?: number;
  /** dpmpp_2m_sde: 'midpoint' (default) or 'heun'. */
  solverType?: 'midpoint' | 'heun';
  /** dpmpp_sde: the intermediate point r ∈ (0, 1) of the step in λ (default ½). */
  r?: number;
  /** dpmpp_3m_sde: 'k-diffusion' (default) or 'taylor' third-order term. */
  variant?: 'k-diffusion' | 'taylor';
  /** SDE samplers (dpmpp_sde, dpmpp_2m_sde, dpmpp_3m_sde) without noiseSampler: 'brownian-tree' (default, k-diffusion's) or 'rng' (independent draws per step, e.g. replayed test vectors). */
  noiseSource?: 'brownian-tree' | 'rng';
  /** σ → time mapping of the model (default 'process'; 'interp'/'quantized' for discrete-vp, as k-diffusion's wrappers). */
  mapping?: 'process' | SigmaToTime;
}

/** The validated pieces every σ-space sampler starts from. */
export interface KSetup {
  D: SigmaDenoiser;
  sigmas: Float64Array;
  x: Rows;
  o: KSamplerOptions;
}

export function kSetup(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options: KSamplerOptions | undefined): KSetup {
  checkModel(model);
  const o = options ?? {};
  const mapping = checkOneOf('options.mapping', o.mapping ?? 'process', ['process', ...SIGMA_TO_TIME] as const);
  const g = checkSigmaGrid(sigmas);
  const cur = checkBatch(x);
  if (o.noiseSampler !== undefined && typeof o.noiseSampler !== 'function') throw new DiffusionInputError('options.noiseSampler', o.noiseSampler, 'must be a function (σ, σ_next) → batch of normals');
  return { D: modelDenoiser(model, { mapping }), sigmas: g, x: cur, o };
}

export function optNumber(o: KSamplerOptions, key: 'sNoise' | 'sChurn' | 'sTmin' | 'sTmax' | 'eta', dflt: number, lo = 0): number {
  const v = checkFiniteNumber(`options.${key}`, o[key] ?? dflt);
  if (!(v >= lo)) throw new DiffusionInputError(`options.${key}`, v, `must be ≥ ${lo}`);
  return v;
}

/** Standard normals for the noise of the step σ → σ_next (noiseSampler if given, else rng). */
export function stepNoise(o: KSamplerOptions, x: Rows, sigma: number, sigmaNext: number, sampler: string): Rows {
  if (o.noiseSampler) {
    const z = o.noiseSampler(sigma, sigmaNext);
    if (!Array.isArray(z) || z.length !== x.length || z.some((r, i) => !r || r.length !== x[i].length)) {
      throw new DiffusionInputError('options.noiseSampler', Array.isArray(z) ? `batch of ${z.length}` : z, `must return a batch shaped like x (${x.length} rows of ${x[0].length})`);
    }
    return z;
  }
  return normalsLike(requireRng(o, sampler), x);
}

/**
 * The noise source of the SDE samplers (dpmpp_sde, dpmpp_2m_sde, dpmpp_3m_sde): options.noiseSampler
 * if given, else — as k-diffusion defaults to BrownianTreeNoiseSampler for these — a Brownian tree on
 * [smallest positive σ, σ_0] seeded with one integer drawn from options.rng (rng.int(2³¹));
 * `noiseSource: 'rng'` keeps independent draws from options.rng (undefined is returned: stepNoise falls back to rng).
 * The noises of overlapping intervals (dpmpp_sde's half step and full step) are then correlated as
 * one Brownian path requires; independent draws would change the scheme.
 */
export function sdeNoiseSampler(o: KSamplerOptions, shape: [number, number], sigmas: Float64Array, sampler: string): NoiseSampler | undefined {
  if (o.noiseSampler) return o.noiseSampler;
  const rng = requireRng(o, sampler);
  if (checkOneOf('options.noiseSource', o.noiseSource ?? 'brownian-tree', ['brownian-tree', 'rng'] as const) === 'rng') return undefined;
  let lo = sigmas[0];
  for (const s of sigmas) if (s > 0 && s < lo) lo = s;
  const seed = rng.int(2 ** 31);
  // A single step to σ = 0 has no noise (and no interval for a tree).
  return sigmas[0] > lo ? brownianNoiseSampler(new BrownianTree({ seed, t0: lo, t1: sigmas[0], shape })) : undefined;
}

/** d = (x - D)/σ (EDM eq. 3 right-hand side; k-diffusion to_d). */
export function toD(x: Rows, denoised: Rows, sigma: number): Rows {
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const dr = denoised[r];
    for (let i = 0; i < row.length; i++) o[i] = (row[i] - dr[i]) / sigma;
    return o;
  });
}

/** Σ_k c_k y_k rowwise. */
export function comb(terms: [number, Rows][]): Rows {
  return terms[0][1].map((row, r) => {
    const o = new Float64Array(row.length);
    for (const [c, y] of terms) {
      if (c === 0) continue;
      const yr = y[r];
      for (let i = 0; i < o.length; i++) o[i] += c * yr[i];
    }
    return o;
  });
}

/**
 * EDM churn (Algorithm 2 lines 4-6): γ = min(S_churn/N, √2-1) if S_tmin ≤ σ ≤ S_tmax else 0,
 * σ̂ = σ(1+γ), x̂ = x + S_noise·√(σ̂² - σ²)·ε. Returns x unchanged (no draw) when γ = 0.
 */
export function churn(o: KSamplerOptions, x: Rows, sigma: number, steps: number, sampler: string): { x: Rows; sigmaHat: number } {
  const sChurn = optNumber(o, 'sChurn', 0);
  const sTmin = optNumber(o, 'sTmin', 0);
  const sTmax = o.sTmax === undefined ? Infinity : optNumber(o, 'sTmax', 0);
  const sNoise = optNumber(o, 'sNoise', 1);
  const gamma = sChurn > 0 && sigma >= sTmin && sigma <= sTmax ? Math.min(sChurn / steps, Math.SQRT2 - 1) : 0;
  if (gamma === 0) return { x, sigmaHat: sigma };
  const sigmaHat = sigma * (1 + gamma);
  const eps = normalsLike(requireRng(o, sampler), x);
  return { x: comb([[1, x], [sNoise * Math.sqrt(sigmaHat * sigmaHat - sigma * sigma), eps]]), sigmaHat };
}

/** Euler in σ (EDM Algorithm 2 without the correction; with churn when sChurn > 0). */
export function sampleKEuler(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const N = g.length - 1;
  let cur = x0;
  for (let i = 0; i < N; i++) {
    const c = churn(o, cur, g[i], N, 'euler');
    const denoised = D(c.x, c.sigmaHat);
    const d = toD(c.x, denoised, c.sigmaHat);
    cur = comb([[1, c.x], [g[i + 1] - c.sigmaHat, d]]);
    o.callback?.({ i, t: c.sigmaHat, tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/**
 * Euler ancestral: x ← x + (σ_down - σ) d, then + S_noise σ_up z (ancestralStep; η default 1 =
 * the ancestral DDPM step in σ-space).
 */
export function sampleKEulerAncestral(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const eta = optNumber(o, 'eta', 1);
  const sNoise = optNumber(o, 'sNoise', 1);
  let cur = x0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    const { sigmaDown, sigmaUp } = ancestralStep(g[i], g[i + 1], eta);
    const d = toD(cur, denoised, g[i]);
    cur = comb([[1, cur], [sigmaDown - g[i], d]]);
    if (sigmaUp > 0) cur = comb([[1, cur], [sNoise * sigmaUp, stepNoise(o, cur, g[i], g[i + 1], 'euler_ancestral')]]);
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/**
 * Heun (EDM Algorithm 2): churn to σ̂, Euler to σ_{i+1}, then the trapezoidal correction with
 * d' evaluated at (x_{i+1}, σ_{i+1}) — not at σ̂ — unless σ_{i+1} = 0 (Euler step).
 */
export function sampleKHeun(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const N = g.length - 1;
  let cur = x0;
  for (let i = 0; i < N; i++) {
    const c = churn(o, cur, g[i], N, 'heun');
    const denoised = D(c.x, c.sigmaHat);
    const d = toD(c.x, denoised, c.sigmaHat);
    const dt = g[i + 1] - c.sigmaHat;
    const x2 = comb([[1, c.x], [dt, d]]);
    if (g[i + 1] === 0) cur = x2;
    else {
      const d2 = toD(x2, D(x2, g[i + 1]), g[i + 1]);
      cur = comb([[1, c.x], [dt / 2, d], [dt / 2, d2]]);
    }
    o.callback?.({ i, t: c.sigmaHat, tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/** Geometric mean of two σ's: the midpoint in log σ (= in λ). */
function logMid(a: number, b: number): number {
  return Math.exp(0.5 * (Math.log(a) + Math.log(b)));
}

/**
 * DPM-2 (k-diffusion sample_dpm_2; the second-order DPM-Solver of Lu et al. 2022 written in σ
 * with the midpoint in log σ, EDM §3's "midpoint" 2nd-order method): Euler to σ_mid = √(σ̂ σ_{i+1}),
 * then the full step with the slope there; Euler on the last step to σ = 0.
 */
export function sampleKDpm2(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const N = g.length - 1;
  let cur = x0;
  for (let i = 0; i < N; i++) {
    const c = churn(o, cur, g[i], N, 'dpm_2');
    const denoised = D(c.x, c.sigmaHat);
    const d = toD(c.x, denoised, c.sigmaHat);
    if (g[i + 1] === 0) cur = comb([[1, c.x], [-c.sigmaHat, d]]);
    else {
      const sm = logMid(c.sigmaHat, g[i + 1]);
      const x2 = comb([[1, c.x], [sm - c.sigmaHat, d]]);
      const d2 = toD(x2, D(x2, sm), sm);
      cur = comb([[1, c.x], [g[i + 1] - c.sigmaHat, d2]]);
    }
    o.callback?.({ i, t: c.sigmaHat, tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

/** DPM-2 ancestral: the DPM-2 step to σ_down, then + S_noise σ_up z. */
export function sampleKDpm2Ancestral(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const eta = optNumber(o, 'eta', 1);
  const sNoise = optNumber(o, 'sNoise', 1);
  let cur = x0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    const { sigmaDown, sigmaUp } = ancestralStep(g[i], g[i + 1], eta);
    const d = toD(cur, denoised, g[i]);
    if (sigmaDown === 0) cur = comb([[1, cur], [-g[i], d]]);
    else {
      const sm = logMid(g[i], sigmaDown);
      const x2 = comb([[1, cur], [sm - g[i], d]]);
      const d2 = toD(x2, D(x2, sm), sm);
      cur = comb([[1, cur], [sigmaDown - g[i], d2]]);
    }
    if (sigmaUp > 0) cur = comb([[1, cur], [sNoise * sigmaUp, stepNoise(o, cur, g[i], g[i + 1], 'dpm_2_ancestral')]]);
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}

// Gauss-Legendre nodes/weights on [-1, 1], 3 points: exact for polynomials of degree ≤ 5.
const GL_X = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
const GL_W = [5 / 9, 8 / 9, 5 / 9];

/**
 * ∫_{σ_i}^{σ_{i+1}} ℓ_j(τ) dτ for the Lagrange basis ℓ_j on the nodes σ_i, σ_{i-1}, …,
 * σ_{i-order+1} (j = 0 the current node): the coefficients of the linear multistep (Adams-
 * Bashforth in σ with variable steps; k-diffusion linear_multistep_coeff). Exact (Gauss-Legendre,
 * degree ≤ 3 < 6).
 */
export function lmsCoefficient(order: number, sigmas: ArrayLike<number>, i: number, j: number): number {
  if (!Number.isInteger(order) || order < 1 || order > 4) throw new DiffusionInputError('order', order, 'must be an integer in 1..4');
  if (!Number.isInteger(i) || i < order - 1 || i + 1 >= sigmas.length) throw new DiffusionInputError('i', i, `must lie in ${order - 1}..${sigmas.length - 2}`);
  if (!Number.isInteger(j) || j < 0 || j >= order) throw new DiffusionInputError('j', j, `must lie in 0..${order - 1}`);
  const a = sigmas[i];
  const b = sigmas[i + 1];
  const ell = (tau: number) => {
    let p = 1;
    for (let k = 0; k < order; k++) if (k !== j) p *= (tau - sigmas[i - k]) / (sigmas[i - j] - sigmas[i - k]);
    return p;
  };
  let s = 0;
  for (let q = 0; q < 3; q++) s += GL_W[q] * ell(0.5 * (a + b) + 0.5 * (b - a) * GL_X[q]);
  return 0.5 * (b - a) * s;
}

/**
 * Linear multistep (LMS) in σ: x_{i+1} = x_i + Σ_j c_j d_{i-j} with the integrated Lagrange
 * coefficients above, order min(i+1, order) (warm-up from Euler), default order 4.
 */
export function sampleKLms(model: DiffusionModel, x: Rows, sigmas: ArrayLike<number>, options?: KSamplerOptions): Float64Array[] {
  const { D, sigmas: g, x: x0, o } = kSetup(model, x, sigmas, options);
  const order = o.order ?? 4;
  if (!Number.isInteger(order) || order < 1 || order > 4) throw new DiffusionInputError('options.order', order, 'must be an integer in 1..4');
  const ds: Rows[] = [];
  let cur = x0;
  for (let i = 0; i + 1 < g.length; i++) {
    const denoised = D(cur, g[i]);
    ds.unshift(toD(cur, denoised, g[i]));
    if (ds.length > order) ds.pop();
    const k = Math.min(i + 1, order);
    const terms: [number, Rows][] = [[1, cur]];
    for (let j = 0; j < k; j++) terms.push([lmsCoefficient(k, g, i, j), ds[j]]);
    cur = comb(terms);
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur, denoised });
  }
  return cur;
}
