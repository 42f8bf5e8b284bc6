/**
 * Shared types of the score-based family (catalog E3-E9, G): continuous-time Gaussian processes,
 * the model interface every sampler takes, time grids and sampler options.
 *
 * A *process* is the marginal law of the forward diffusion, x_t = α(t)·x_0 + σ(t)·ε, together with
 * the drift and diffusion coefficients of its SDE dx = f(t)·x dt + g(t) dw (004 eq. 96):
 *   f(t) = d log α/dt,   g²(t) = dσ²/dt - 2·f(t)·σ²(t)            (Lu et al. 2022, eq. 2.3)
 * and the half log-SNR λ(t) = log(α(t)/σ(t)) used by DPM-Solver (004 §4.5; Lu et al. 2022).
 *
 * A *model* is a function of (x_t, t) returning one of ε̂, x̂_0, v̂ or the score ∇log p_t,
 * together with the process it was trained for. Samplers convert between these outputs with
 * `modelEps` / `modelScore` / `modelX0` (D1-D3 written for general α, σ).
 *
 * Continuous time t ∈ [0, tMax] (VP, VE: tMax = 1). The discrete-schedule process uses the
 * papers' 1-based index as time, t ∈ [0, T], with log ᾱ interpolated linearly between integers
 * (as Lu et al.'s discrete-time wrapper does), so that integer t gives exactly the schedule's ᾱ_t.
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt, checkOneOf, checkFiniteOutput } from './errors.js';
import { validateBetas } from './schedules.js';
import type { Rng } from './rng.js';

/** A batch of float64 rows (samplers work on and return these). */
export type Rows = Float64Array[];

export const PROCESS_KINDS = ['vp', 've', 'discrete-vp', 'indi', 'flow'] as const;
export type ProcessKind = (typeof PROCESS_KINDS)[number];

/** Marginal law x_t = α(t) x_0 + σ(t) ε of a forward diffusion, with its SDE coefficients. */
export interface Process {
  readonly kind: ProcessKind;
  /** Smallest time a sampler should reach (σ(tMin) > 0 for VP and VE). */
  readonly tMin: number;
  /** Largest time (start of sampling). */
  readonly tMax: number;
  alpha(t: number): number;
  sigma(t: number): number;
  /** λ(t) = log(α(t)/σ(t)) (half log-SNR; DPM-Solver's λ). */
  lambda(t: number): number;
  /** Inverse of λ: the time t with λ(t) = l. */
  tOfLambda(l: number): number;
  /** f(t) of the drift f(t)·x (004 eq. 96). */
  f(t: number): number;
  /** g(t)² of the diffusion (004 eq. 96). */
  g2(t: number): number;
  /** InDI only: the extra-noise scale c of σ_e(t) = c·(1-t) (004 eq. 66); 0 otherwise. */
  readonly indiExtraNoise?: number;
  /** discrete-vp only: the β_1..β_T it was built from (the DDPM/DDIM samplers of ancestral.ts build their Schedule from them). */
  readonly betas?: Float64Array;
  /** Short description for messages and docs. */
  readonly label: string;
}

function checkTime(p: { tMax: number; label: string }, t: unknown, name = 't'): number {
  const v = checkFiniteNumber(name, t);
  if (v < 0 || v > p.tMax) throw new DiffusionInputError(name, v, `time out of range [0, ${p.tMax}] of ${p.label}`);
  return v;
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * VP process of a VP SDE with linear β(t) = β_min + t(β_max-β_min) (B5; 004 eqs. 100-101;
 * Song et al. 2021 eq. 11): log ᾱ(t) = -(β_min t + ½(β_max-β_min)t²), α = √ᾱ, σ = √(1-ᾱ),
 * f = -½β(t), g² = β(t). Defaults (0.1, 20) as in the catalog conventions; tMin = 1e-3 (Song et al.).
 * β_min = β_max gives the constant-β SDE of 004 §4.3 (in continuous time).
 */
export function vpProcess(options: { betaMin?: number; betaMax?: number; tMin?: number } = {}): Process {
  const b0 = checkFiniteNumber('options.betaMin', options.betaMin ?? 0.1);
  const b1 = checkFiniteNumber('options.betaMax', options.betaMax ?? 20);
  if (!(b0 > 0)) throw new DiffusionInputError('options.betaMin', b0, 'must be > 0');
  if (!(b1 >= b0)) throw new DiffusionInputError('options.betaMax', b1, `must be ≥ betaMin = ${b0}`);
  const tMin = checkFiniteNumber('options.tMin', options.tMin ?? 1e-3);
  if (!(tMin > 0 && tMin < 1)) throw new DiffusionInputError('options.tMin', tMin, 'must lie in (0, 1)');
  const p = { tMax: 1, label: `VP SDE (β_min=${b0}, β_max=${b1})` };
  const logAb = (t: number) => -(b0 * t + 0.5 * (b1 - b0) * t * t);
  const beta = (t: number) => b0 + t * (b1 - b0);
  return {
    kind: 'vp',
    tMin,
    tMax: 1,
    label: p.label,
    alpha: (t) => Math.exp(0.5 * logAb(checkTime(p, t))),
    sigma: (t) => Math.sqrt(-Math.expm1(logAb(checkTime(p, t)))),
    lambda: (t) => {
      const l = logAb(checkTime(p, t));
      return 0.5 * (l - Math.log(-Math.expm1(l)));
    },
    tOfLambda: (lam) => {
      checkFiniteNumber('lambda', lam);
      // -log ᾱ = log(1 + e^{-2λ}); solve b0 t + ½(b1-b0)t² = L with the cancellation-free root.
      const L = softplus(-2 * lam);
      const t = (2 * L) / (b0 + Math.sqrt(b0 * b0 + 2 * (b1 - b0) * L));
      if (t > 1 + 1e-12) throw new DiffusionInputError('lambda', lam, `below λ(1) of ${p.label}`);
      return Math.min(t, 1);
    },
    f: (t) => -0.5 * beta(checkTime(p, t)),
    g2: (t) => beta(checkTime(p, t)),
  };
}

/**
 * VE process of SMLD (B5, A6; 004 eqs. 104-105; Song et al. 2021 eq. 9): α = 1,
 * σ(t) = σ_min (σ_max/σ_min)^t, f = 0, g² = dσ²/dt = 2σ(t)² log(σ_max/σ_min). tMin = 0
 * (σ(0) = σ_min > 0). Throws naming `options.sigmaMin` when σ_min ≥ σ_max.
 */
export function veProcess(options: { sigmaMin?: number; sigmaMax?: number } = {}): Process {
  const s0 = checkFiniteNumber('options.sigmaMin', options.sigmaMin ?? 0.01);
  const s1 = checkFiniteNumber('options.sigmaMax', options.sigmaMax ?? 50);
  if (!(s0 > 0)) throw new DiffusionInputError('options.sigmaMin', s0, 'must be > 0');
  if (!(s0 < s1)) throw new DiffusionInputError('options.sigmaMin', s0, `must be < sigmaMax = ${s1}`);
  const logRatio = Math.log(s1 / s0);
  const p = { tMax: 1, label: `VE SDE (σ_min=${s0}, σ_max=${s1})` };
  const sig = (t: number) => s0 * Math.exp(t * logRatio);
  return {
    kind: 've',
    tMin: 0,
    tMax: 1,
    label: p.label,
    alpha: (t) => (checkTime(p, t), 1),
    sigma: (t) => sig(checkTime(p, t)),
    lambda: (t) => -Math.log(sig(checkTime(p, t))),
    tOfLambda: (lam) => {
      checkFiniteNumber('lambda', lam);
      const t = (-lam - Math.log(s0)) / logRatio;
      if (t < -1e-12 || t > 1 + 1e-12) throw new DiffusionInputError('lambda', lam, `outside [λ(1), λ(0)] of ${p.label}`);
      return Math.min(Math.max(t, 0), 1);
    },
    f: (t) => (checkTime(p, t), 0),
    g2: (t) => {
      const s = sig(checkTime(p, t));
      return 2 * s * s * logRatio;
    },
  };
}

/**
 * The VP process of a discrete schedule β_1..β_T (004 eq. 99) in continuous time t ∈ [0, T]:
 * log ᾱ is the schedule's Σ log(1-β_s) at integer t and linear in between, so α(t) = √ᾱ_t and
 * σ(t) = √(1-ᾱ_t) at integer t exactly; on each piece f = ½ d log ᾱ/dt and g² = -d log ᾱ/dt
 * (VP: σ² = 1-α²). tMin = 1 (the first noisy step), tMax = T. A zero-terminal-SNR schedule
 * (ᾱ_T = 0) is refused: λ(T) = -∞ has no inverse.
 */
export function discreteVpProcess(betas: ArrayLike<number>): Process {
  validateBetas(betas);
  const T = betas.length;
  const la = new Float64Array(T + 1);
  for (let t = 1; t <= T; t++) la[t] = la[t - 1] + Math.log1p(-betas[t - 1]);
  if (!Number.isFinite(la[T])) throw new DiffusionInputError('betas', betas, 'ᾱ_T = 0 (zero terminal SNR): λ(T) = -∞, no continuous-time process');
  const p = { tMax: T, label: `discrete VP schedule (T=${T})` };
  const piece = (t: number) => Math.min(Math.floor(t), T - 1);
  const logAb = (t: number) => {
    const i = piece(t);
    return la[i] + (t - i) * (la[i + 1] - la[i]);
  };
  const slope = (t: number) => {
    const i = piece(t);
    return la[i + 1] - la[i];
  };
  const lamOf = (l: number) => 0.5 * (l - Math.log(-Math.expm1(l)));
  return {
    kind: 'discrete-vp',
    tMin: 1,
    tMax: T,
    label: p.label,
    betas: Float64Array.from(betas),
    alpha: (t) => Math.exp(0.5 * logAb(checkTime(p, t))),
    sigma: (t) => Math.sqrt(-Math.expm1(logAb(checkTime(p, t)))),
    lambda: (t) => lamOf(logAb(checkTime(p, t))),
    tOfLambda: (lam) => {
      checkFiniteNumber('lambda', lam);
      const target = -softplus(-2 * lam); // log ᾱ with λ = ½ log(ᾱ/(1-ᾱ))
      if (target < la[T] - 1e-12 * Math.abs(la[T])) throw new DiffusionInputError('lambda', lam, `below λ(T) of ${p.label}`);
      let lo = 0;
      let hi = T;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (la[mid] >= target) lo = mid;
        else hi = mid;
      }
      const d = la[hi] - la[lo];
      return Math.min(Math.max(lo + (target - la[lo]) / d, 0), T);
    },
    f: (t) => 0.5 * slope(checkTime(p, t)),
    g2: (t) => -slope(checkTime(p, t)),
  };
}

/**
 * InDI's process (004 §2.9 eqs. 62, 66; Delbracio & Milanfar 2023): x_t = (1-t)x_0 + t·y with
 * y = s·x_0 + b·n (s = `signal` ∈ {0, 1}: 0 = generation from noise, 1 = denoising a noisy
 * observation; b = `noise`), plus, for the stochastic variant, extra noise t·σ_e(t)·n' with the
 * non-increasing σ_e(t) = c·(1-t) (c = `extraNoise`). So α(t) = 1 - t + s·t and
 * σ(t) = t·√(b² + c²(1-t)²). Seed 004 eq. (67) writes √t·σ_t for the extra noise; the sampling
 * step (66) only preserves marginals with t·σ_t, which is what is used here. c ≤ 2b keeps σ
 * increasing (d/dt[t²(b²+c²(1-t)²)] = 2t(b² + c²(1-t)(1-2t)) ≥ 2t(b² - c²/8) > 0).
 */
export function indiProcess(options: { noise?: number; signal?: 0 | 1; extraNoise?: number; tMin?: number } = {}): Process {
  const b = checkFiniteNumber('options.noise', options.noise ?? 1);
  if (!(b > 0)) throw new DiffusionInputError('options.noise', b, 'must be > 0');
  const s = options.signal ?? 0;
  if (s !== 0 && s !== 1) throw new DiffusionInputError('options.signal', s, 'must be 0 (generation) or 1 (denoising)');
  const c = checkFiniteNumber('options.extraNoise', options.extraNoise ?? 0);
  if (!(c >= 0 && c <= 2 * b)) throw new DiffusionInputError('options.extraNoise', c, `must lie in [0, 2·noise] = [0, ${2 * b}]`);
  const tMin = checkFiniteNumber('options.tMin', options.tMin ?? 1e-3);
  if (!(tMin > 0 && tMin < 1)) throw new DiffusionInputError('options.tMin', tMin, 'must lie in (0, 1)');
  const p = { tMax: 1, label: `InDI (noise=${b}, signal=${s}, extraNoise=${c})` };
  const al = (t: number) => 1 - t + s * t;
  const sg = (t: number) => t * Math.sqrt(b * b + c * c * (1 - t) * (1 - t));
  const lam = (t: number) => Math.log(al(t)) - Math.log(sg(t));
  return {
    kind: 'indi',
    tMin,
    tMax: 1,
    label: p.label,
    indiExtraNoise: c,
    alpha: (t) => al(checkTime(p, t)),
    sigma: (t) => sg(checkTime(p, t)),
    lambda: (t) => lam(checkTime(p, t)),
    tOfLambda: (l) => {
      checkFiniteNumber('lambda', l);
      // λ is strictly decreasing on (0, 1): bisection to full precision.
      let lo = 0;
      let hi = 1;
      if (s === 1 && l < lam(1)) throw new DiffusionInputError('lambda', l, `below λ(1) of ${p.label}`);
      for (let k = 0; k < 200 && hi - lo > 1e-16; k++) {
        const mid = 0.5 * (lo + hi);
        if (lam(mid) > l) lo = mid;
        else hi = mid;
      }
      return 0.5 * (lo + hi);
    },
    f: (t) => {
      checkTime(p, t);
      return (s - 1) / al(t);
    },
    g2: (t) => {
      checkTime(p, t);
      const ds2 = 2 * t * (b * b + c * c * (1 - t) * (1 - 2 * t));
      const sv = sg(t);
      return ds2 - 2 * ((s - 1) / al(t)) * sv * sv;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Models

export const MODEL_OUTPUTS = ['eps', 'x0', 'v', 'score', 'flow'] as const;
export type ModelOutput = (typeof MODEL_OUTPUTS)[number];

/**
 * A diffusion model (or an exact oracle): `apply(x, t)` returns the `output` quantity for every
 * row of the batch x at time t of `process`.
 */
export interface DiffusionModel {
  readonly process: Process;
  readonly output: ModelOutput;
  apply(x: Rows, t: number): Rows;
}

/** Wrap a function as a DiffusionModel (validates the output name and the process). */
export function makeModel(process: Process, output: ModelOutput, apply: (x: Rows, t: number) => Rows): DiffusionModel {
  checkProcess(process);
  checkOneOf('output', output, MODEL_OUTPUTS);
  if (typeof apply !== 'function') throw new DiffusionInputError('apply', apply, 'must be a function (x: batch, t) → batch');
  return { process, output, apply };
}

export function checkProcess(p: unknown, name = 'process'): Process {
  const o = p as Partial<Process> | null;
  if (!o || typeof o !== 'object' || !(PROCESS_KINDS as readonly string[]).includes(o.kind as string) || typeof o.alpha !== 'function') {
    throw new DiffusionInputError(name, p, 'must be a Process (vpProcess, veProcess, discreteVpProcess, indiProcess or flowProcess)');
  }
  return o as Process;
}

export function checkModel(m: unknown, name = 'model'): DiffusionModel {
  const o = m as Partial<DiffusionModel> | null;
  if (!o || typeof o !== 'object' || typeof o.apply !== 'function') {
    throw new DiffusionInputError(name, m, 'must be a DiffusionModel {process, output, apply(x, t)} (see makeModel)');
  }
  checkProcess(o.process, `${name}.process`);
  checkOneOf(`${name}.output`, o.output, MODEL_OUTPUTS);
  return o as DiffusionModel;
}

function callModel(model: DiffusionModel, x: Rows, t: number): Rows {
  const out = model.apply(x, t);
  if (!Array.isArray(out) || out.length !== x.length) {
    throw new DiffusionInputError('model output', Array.isArray(out) ? `batch of ${out.length}` : out, `shape mismatch: input batch has ${x.length} rows`);
  }
  for (let i = 0; i < out.length; i++) {
    if (!out[i] || out[i].length !== x[i].length) throw new DiffusionInputError(`model output[${i}]`, out[i]?.length, `shape mismatch: x[${i}] has length ${x[i].length}`);
    checkFiniteOutput(`model output[${i}] at t=${t}`, out[i]);
  }
  return out;
}

function mapRows(x: Rows, out: Rows, fn: (xi: number, oi: number) => number): Rows {
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const m = out[r];
    for (let i = 0; i < row.length; i++) o[i] = fn(row[i], m[i]);
    return o;
  });
}

/**
 * (dα/dt, dσ/dt) of the process at t, from f = d log α/dt and g² = dσ²/dt - 2fσ² (Lu et al. 2022
 * eq. 2.3): α' = f α, σ' = (g² + 2fσ²)/(2σ). The rectified-flow process (α = 1-t, σ = t; Liu et al.
 * 2023 eq. 1) returns its exact (-1, 1), also at t = 1 where f = -1/α is infinite.
 */
export function processRates(process: Process, t: number): { dAlpha: number; dSigma: number } {
  if (process.kind === 'flow') {
    process.alpha(t); // range check
    return { dAlpha: -1, dSigma: 1 };
  }
  const a = process.alpha(t);
  const s = process.sigma(t);
  const f = process.f(t);
  if (!(s > 0)) throw new DiffusionInputError('t', t, 'dσ/dt from g² needs σ(t) > 0');
  return { dAlpha: f * a, dSigma: (process.g2(t) + 2 * f * s * s) / (2 * s) };
}

/**
 * The flow-velocity output u = dx_t/dt along the conditional path, u = α' x_0 + σ' ε (rectified
 * flow: u = ε - x_0, Liu et al. 2023 eq. 1; Lipman et al. 2023 eq. 20 with σ_min = 0), converted:
 * with x = α x_0 + σ ε and det = α σ' - σ α' (> 0 when α decreases and σ increases):
 * x_0 = (σ' x - σ u)/det, ε = (α u - α' x)/det.
 */
function flowFactors(model: DiffusionModel, t: number): { a: number; s: number; da: number; ds: number; det: number } {
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  const { dAlpha: da, dSigma: ds } = processRates(model.process, t);
  const det = a * ds - s * da;
  if (!(det > 0) || !Number.isFinite(det)) throw new DiffusionInputError('t', t, 'the flow velocity does not determine (x̂_0, ε̂) here (α σ\' - σ α\' ≤ 0)');
  return { a, s, da, ds, det };
}

/**
 * ε̂(x, t) from any model output (D1-D3 for general α, σ): score s → ε = -σ s;
 * x̂_0 → ε = (x - α x̂_0)/σ; v̂ (v = α ε - σ x_0) → ε = (α v + σ x)/(α² + σ²).
 */
export function modelEps(model: DiffusionModel, x: Rows, t: number): Rows {
  const out = callModel(model, x, t);
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  switch (model.output) {
    case 'eps':
      return out;
    case 'score':
      return mapRows(x, out, (_xi, si) => -s * si);
    case 'x0':
      if (!(s > 0)) throw new DiffusionInputError('t', t, 'ε̂ from x̂_0 is undefined where σ(t) = 0');
      return mapRows(x, out, (xi, x0) => (xi - a * x0) / s);
    case 'v':
      return mapRows(x, out, (xi, v) => (a * v + s * xi) / (a * a + s * s));
    case 'flow': {
      const k = flowFactors(model, t);
      return mapRows(x, out, (xi, u) => (a * u - k.da * xi) / k.det);
    }
  }
}

/** Score ∇log p_t(x) from any model output: s = -ε̂/σ (D3), or (α x̂_0 - x)/σ². */
export function modelScore(model: DiffusionModel, x: Rows, t: number): Rows {
  if (model.output === 'score') return callModel(model, x, t);
  const s = model.process.sigma(t);
  if (!(s > 0)) throw new DiffusionInputError('t', t, 'the score from ε̂ is undefined where σ(t) = 0; use a score model');
  const eps = modelEps(model, x, t);
  return eps.map((e) => e.map((v) => -v / s));
}

/** x̂_0 = E[x_0|x_t] from any model output: (x - σ ε̂)/α (D1); Tweedie (x + σ² s)/α (D3). */
export function modelX0(model: DiffusionModel, x: Rows, t: number): Rows {
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  if (model.output === 'x0') return callModel(model, x, t);
  if (model.output === 'v') {
    const out = callModel(model, x, t);
    return mapRows(x, out, (xi, v) => (a * xi - s * v) / (a * a + s * s));
  }
  if (model.output === 'flow') {
    const k = flowFactors(model, t);
    const out = callModel(model, x, t);
    return mapRows(x, out, (xi, u) => (k.ds * xi - s * u) / k.det);
  }
  if (!(a > 0)) throw new DiffusionInputError('t', t, 'x̂_0 from ε̂ or the score is undefined where α(t) = 0; use an x0- or v-model');
  if (model.output === 'score') {
    const out = callModel(model, x, t);
    return mapRows(x, out, (xi, sc) => (xi + s * s * sc) / a);
  }
  const eps = modelEps(model, x, t);
  return mapRows(x, eps, (xi, e) => (xi - s * e) / a);
}

// ---------------------------------------------------------------------------------------------
// Time grids and options

/** Per-step report given to `options.callback` (k-diffusion style). */
export interface StepInfo {
  /** Step index 0..N-1. */
  i: number;
  /** Time at the start and end of the step. */
  t: number;
  tNext: number;
  /** State after the step. */
  x: Rows;
  /** x̂_0 at the start of the step where the sampler computed it. */
  denoised?: Rows;
}

export interface SamplerOptions {
  /** Random numbers; required by stochastic samplers. */
  rng?: Rng;
  /** Called after every step. */
  callback?: (info: StepInfo) => void;
  /** Langevin: step size τ (annealed: τ at the last grid level). */
  stepSize?: number;
  /** Langevin / annealed Langevin: steps per grid level. */
  stepsPerLevel?: number;
  /** Predictor-corrector: corrector steps per level (M of 004 Algorithm 1). */
  correctorSteps?: number;
  /** Predictor-corrector: signal-to-noise ratio r of the corrector step size (Song et al. 2021 Alg. 4-5). */
  snr?: number;
  /** InDI: use the stochastic variant (004 eq. 66). */
  stochastic?: boolean;
  /** Euler-Maruyama / reverse-SDE samplers: add no noise on the last step (default false: every step is noisy, so the output follows p_{t_N}). */
  denoiseLastStep?: boolean;
  /** DDIM (ancestral.ts): η ≥ 0 of σ_t(η) (default 0, deterministic). */
  eta?: number;
  /** DDPM (ancestral.ts): reverse-step variance, 'posterior' (β̃_t, default) or 'beta' (β_t). */
  variance?: 'beta' | 'posterior';
}

export type SamplerFn = (model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options?: SamplerOptions) => Float64Array[];

/**
 * Validate a time grid: at least 2 finite times within [0, tMax] of the process, strictly
 * monotone; `direction` 'decreasing' for samplers (noise → data), 'any' for ODE solvers
 * (an increasing grid encodes). Names the argument and the offending entry.
 */
export function checkTimeGrid(grid: unknown, process: Process, direction: 'decreasing' | 'any' = 'decreasing', name = 'timeGrid'): Float64Array {
  if (!grid || typeof (grid as ArrayLike<number>).length !== 'number') throw new DiffusionInputError(name, grid, 'must be an array of times');
  const g = grid as ArrayLike<number>;
  if (g.length < 2) throw new DiffusionInputError(name, grid, 'needs at least 2 times (one step)');
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const t = g[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new DiffusionInputError(`${name}[${i}]`, t, 'must be a finite time');
    if (t < 0 || t > process.tMax) throw new DiffusionInputError(`${name}[${i}]`, t, `time out of range [0, ${process.tMax}] of ${process.label}`);
    out[i] = t;
  }
  const sign = Math.sign(out[1] - out[0]);
  if (sign === 0 || (direction === 'decreasing' && sign > 0)) {
    throw new DiffusionInputError(name, grid, direction === 'decreasing' ? 'must be strictly decreasing (sampling runs from noise to data)' : 'must be strictly monotone');
  }
  for (let i = 1; i < out.length; i++) {
    if (Math.sign(out[i] - out[i - 1]) !== sign) throw new DiffusionInputError(`${name}[${i}]`, out[i], `non-monotone time grid (previous ${out[i - 1]})`);
  }
  return out;
}

/** Validate the initial batch: non-empty array of equal-length finite vectors; returns copies. */
export function checkBatch(x: unknown, name = 'x'): Rows {
  if (!Array.isArray(x) || x.length === 0) throw new DiffusionInputError(name, x, 'must be a non-empty batch (array of vectors)');
  const d = (x[0] as ArrayLike<number>)?.length;
  return x.map((row, r) => {
    if (!row || typeof (row as ArrayLike<number>).length !== 'number' || (row as ArrayLike<number>).length !== d || d === 0) {
      throw new DiffusionInputError(`${name}[${r}]`, row, `shape mismatch: every row must have length ${d}`);
    }
    const o = Float64Array.from(row as ArrayLike<number>);
    for (let i = 0; i < o.length; i++) if (!Number.isFinite(o[i])) throw new DiffusionInputError(`${name}[${r}][${i}]`, o[i], 'must be finite (NaN or infinite data)');
    return o;
  });
}

export function requireRng(options: SamplerOptions | undefined, sampler: string): Rng {
  const rng = options?.rng;
  if (!rng || typeof (rng as Rng).normal !== 'function') throw new DiffusionInputError('options.rng', rng, `${sampler} is stochastic: pass a seeded Rng`);
  return rng;
}

export const GRID_SPACINGS = ['time', 'logsnr'] as const;
export type GridSpacing = (typeof GRID_SPACINGS)[number];

/**
 * A decreasing time grid of `steps` steps (steps+1 times) from tStart (default tMax) to tEnd
 * (default tMin): uniform in t ('time', Song et al.) or uniform in λ ('logsnr', Lu et al. 2022
 * §3.3). Throws naming `steps` for a non-positive count.
 */
export function makeTimeGrid(process: Process, steps: number, options: { spacing?: GridSpacing; tStart?: number; tEnd?: number } = {}): Float64Array {
  checkProcess(process);
  checkPositiveInt('steps', steps);
  const spacing = checkOneOf('options.spacing', options.spacing ?? 'time', GRID_SPACINGS);
  const t0 = checkFiniteNumber('options.tStart', options.tStart ?? process.tMax);
  const t1 = checkFiniteNumber('options.tEnd', options.tEnd ?? process.tMin);
  if (!(t0 > t1)) throw new DiffusionInputError('options.tEnd', t1, `must be < tStart = ${t0}`);
  const g = new Float64Array(steps + 1);
  if (spacing === 'time') {
    for (let i = 0; i <= steps; i++) g[i] = t0 + ((t1 - t0) * i) / steps;
  } else {
    const l0 = process.lambda(t0);
    const l1 = process.lambda(t1);
    if (!Number.isFinite(l0) || !Number.isFinite(l1)) throw new DiffusionInputError('options.tStart', t0, 'λ is infinite at an end of the grid; use spacing "time"');
    for (let i = 0; i <= steps; i++) g[i] = process.tOfLambda(l0 + ((l1 - l0) * i) / steps);
  }
  g[0] = t0;
  g[steps] = t1;
  return checkTimeGrid(g, process, 'decreasing');
}

/** x + a·y rowwise (small helper used by every sampler). */
export function axpy(x: Rows, a: number, y: Rows): Rows {
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const yr = y[r];
    for (let i = 0; i < row.length; i++) o[i] = row[i] + a * yr[i];
    return o;
  });
}

/** Σ_k c_k·y_k rowwise. */
export function lincomb(coefs: number[], ys: Rows[]): Rows {
  const n = ys[0].length;
  const out: Rows = [];
  for (let r = 0; r < n; r++) {
    const o = new Float64Array(ys[0][r].length);
    for (let k = 0; k < ys.length; k++) {
      const c = coefs[k];
      if (c === 0) continue;
      const y = ys[k][r];
      for (let i = 0; i < o.length; i++) o[i] += c * y[i];
    }
    out.push(o);
  }
  return out;
}

/** A batch of standard normals shaped like x. */
export function normalsLike(rng: Rng, x: Rows): Rows {
  return x.map((row) => rng.normals(row.length));
}
