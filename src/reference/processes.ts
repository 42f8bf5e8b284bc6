/**
 * Continuous-time Gaussian processes of the score-based family (catalog E3-E9, G).
 *
 * A *process* is the marginal law of the forward diffusion, x_t = α(t)·x_0 + σ(t)·ε, together with
 * the drift and diffusion coefficients of its SDE dx = f(t)·x dt + g(t) dw (004 eq. 96):
 *   f(t) = d log α/dt,   g²(t) = dσ²/dt - 2·f(t)·σ²(t)            (Lu et al. 2022, eq. 2.3)
 * and the half log-SNR λ(t) = log(α(t)/σ(t)) used by DPM-Solver (004 §4.5; Lu et al. 2022).
 *
 * Continuous time t ∈ [0, tMax] (VP, VE: tMax = 1). The discrete-schedule process uses the
 * papers' 1-based index as time, t ∈ [0, T], with log ᾱ interpolated linearly between integers
 * (as Lu et al.'s discrete-time wrapper does), so that integer t gives exactly the schedule's ᾱ_t.
 */
import { DiffusionInputError, checkFiniteNumber } from './errors.js';
import { validateBetas } from './schedules.js';

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


export function checkProcess(p: unknown, name = 'process'): Process {
  const o = p as Partial<Process> | null;
  if (!o || typeof o !== 'object' || !(PROCESS_KINDS as readonly string[]).includes(o.kind as string) || typeof o.alpha !== 'function') {
    throw new DiffusionInputError(name, p, 'must be a Process (vpProcess, veProcess, discreteVpProcess, indiProcess or flowProcess)');
  }
  return o as Process;
}

/** Throws naming `model.process` unless the process is one of `kinds` (a sampler's process rule). */
export function requireProcessKind(process: Process, kinds: readonly ProcessKind[], sampler: string): void {
  if (!kinds.includes(process.kind)) throw new DiffusionInputError('model.process', process.label, `${sampler} needs a ${kinds.join(' or ')} process`);
}
