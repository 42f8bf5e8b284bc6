/**
 * Shared helpers of the core claims (independent of every implementation): fast-check parameters
 * and assertion, the schedule quantities computed from β (`Sched`), the named schedules, error
 * bookkeeping and the fast-check arbitraries. The tolerance conventions are in ../core.ts.
 */
import fc from 'fast-check';
import type { Arr, Spacing } from '../../interface.js';
import { ClaimFailure, ErrorTracker, FC_SEED, type ClaimResult } from '../../harness.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers (independent of every implementation)
// ---------------------------------------------------------------------------------------------

/** Options of the core claims: `shrink: false` skips fast-check's shrinking (used by the self-check). */
export const coreClaimOptions = { shrink: true, runsScale: 1 };

/** fast-check parameters: the suite's seed (FC_SEED, read at run time); `runsScale` < 1 gives the rotating-seed guard its small run count. */
export function fcParams(numRuns: number): fc.Parameters<unknown> {
  return { seed: FC_SEED, numRuns: Math.max(1, Math.round(numRuns * coreClaimOptions.runsScale)), endOnFailure: !coreClaimOptions.shrink };
}

/**
 * fc.assert, but a failure is rethrown as the ClaimFailure that caused it, with the (shrunk)
 * counterexample and the replay path appended, so reports show what failed, not only that a
 * property did.
 */
export function assertProperty<Ts>(claimId: string, prop: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
  const r = fc.check(prop, params);
  if (!r.failed) return;
  const cause = r.errorInstance instanceof Error ? r.errorInstance.message : String(r.errorInstance);
  let ce = fc.stringify(r.counterexample);
  if (ce.length > 400) ce = `${ce.slice(0, 400)}…`;
  throw new ClaimFailure(claimId, `${cause.replace(`[${claimId}] `, '')} — counterexample ${ce} (seed ${r.seed}, path "${r.counterexamplePath}", after ${r.numRuns} runs${r.numShrinks ? `, ${r.numShrinks} shrinks` : ''})`);
}

/**
 * The schedule quantities every claim needs, computed here from β (t is the papers' 1-based index,
 * ᾱ_0 = 1). log ᾱ_t = Σ_{s≤t} log1p(-β_s); 1-ᾱ_t = -expm1(log ᾱ_t): accurate at both ends.
 */
export class Sched {
  readonly T: number;
  readonly betas: Float64Array;
  private readonly logAb: Float64Array;
  constructor(betas: ArrayLike<number>) {
    this.betas = Float64Array.from(betas);
    this.T = this.betas.length;
    this.logAb = new Float64Array(this.T + 1);
    for (let t = 1; t <= this.T; t++) this.logAb[t] = this.logAb[t - 1] + Math.log1p(-this.betas[t - 1]);
  }
  beta(t: number): number {
    return this.betas[t - 1];
  }
  alpha(t: number): number {
    return 1 - this.betas[t - 1];
  }
  logAlphaBar(t: number): number {
    return this.logAb[t];
  }
  ab(t: number): number {
    return Math.exp(this.logAb[t]);
  }
  omab(t: number): number {
    return -Math.expm1(this.logAb[t]);
  }
  sab(t: number): number {
    return Math.exp(0.5 * this.logAb[t]);
  }
  somab(t: number): number {
    return Math.sqrt(this.omab(t));
  }
  /** β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t (C1); 0 at t = 1. */
  postVar(t: number): number {
    return t === 1 ? 0 : (this.omab(t - 1) / this.omab(t)) * this.beta(t);
  }
  /** C3: log β̃_t with t = 1 clipped to log β̃_2 (log β_1 when T = 1). */
  postLogVarClipped(t: number): number {
    if (t === 1) return this.T >= 2 ? Math.log(this.postVar(2)) : Math.log(this.beta(1));
    return Math.log(this.postVar(t));
  }
  /** [coef of x_0, coef of x_t] of μ̃_t (C1). */
  postCoefs(t: number): [number, number] {
    const om = this.omab(t);
    return [(this.sab(t - 1) * this.beta(t)) / om, (Math.sqrt(this.alpha(t)) * this.omab(t - 1)) / om];
  }
  /** 1 - ᾱ_t/ᾱ_s for s < t, without cancellation. */
  oneMinusRatio(t: number, s: number): number {
    return -Math.expm1(this.logAb[t] - this.logAb[s]);
  }
  /** DDIM σ_t(η) from t to s < t (E2): η·√((1-ᾱ_s)/(1-ᾱ_t))·√(1-ᾱ_t/ᾱ_s). */
  ddimSigma(t: number, s: number, eta: number): number {
    if (s === 0) return 0;
    return eta * Math.sqrt(this.omab(s) / this.omab(t)) * Math.sqrt(this.oneMinusRatio(t, s));
  }
  /** The largest admissible η from t to s (σ² = 1-ᾱ_s): η_max² = (1-ᾱ_t)/(1-ᾱ_t/ᾱ_s). */
  ddimEtaMax(t: number, s: number): number {
    if (s === 0) return 1;
    return Math.sqrt(this.omab(t) / this.oneMinusRatio(t, s));
  }
  /** Condition factor of ᾱ_t (see the file comment). */
  Ka(t: number): number {
    const l = this.logAb[t];
    return (t + 2) * (1 + (Number.isFinite(l) ? Math.abs(l) : 0));
  }
  /** Condition factor of quantities relative to 1-ᾱ_t. */
  Kom(t: number): number {
    if (t === 0) return this.Ka(0);
    return this.Ka(t) * Math.max(1, this.ab(t) / this.omab(t));
  }
}

/** β of Ho et al.'s linear schedule, inclusive end points (A1). */
export function linearBetas(T: number, b0 = 1e-4, b1 = 0.02): Float64Array {
  return Float64Array.from({ length: T }, (_, i) => (T === 1 ? b0 : b0 + ((b1 - b0) * i) / (T - 1)));
}

/** Cosine schedule (A2) as defined by Nichol & Dhariwal: β_t = min(1 - f(t)/f(t-1), maxBeta). */
export function cosineBetas(T: number, s = 0.008, maxBeta = 0.999): Float64Array {
  const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: T }, (_, i) => Math.min(1 - f(i + 1) / f(i), maxBeta));
}

export const vec = (n: number, f: (i: number) => number): Float64Array => Float64Array.from({ length: n }, (_, i) => f(i));
export const zeros = (n: number): Float64Array => new Float64Array(n);
export const one = (x: number): Float64Array => Float64Array.of(x);

/** The single element of a length-1 output, checked to be a finite number. */
export function scalarOut(tr: ErrorTracker, label: string, out: Arr): number {
  if (!out || out.length !== 1) tr.fail(`${label}: expected one element, got ${out ? out.length : out}`);
  const v = out[0];
  if (typeof v !== 'number' || Number.isNaN(v)) tr.fail(`${label}: not a number (${v})`);
  return v;
}

export function maxAbs(...xs: ArrayLike<number>[]): number {
  let m = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/**
 * Absolute floor of every elementwise tolerance: fast-check generates subnormal inputs, whose
 * arithmetic has an absolute (not relative) error of a few multiples of the smallest subnormal.
 */
export const TINY = 64 * Number.MIN_VALUE;

/**
 * One result from several trackers (e.g. an exact part and a Monte Carlo part): the worst by
 * error/bound ratio, with every part's worst error and bound in the note.
 */
export function combined(parts: [string, ErrorTracker][], extra = ''): ClaimResult {
  let best: ErrorTracker = parts[0][1];
  for (const [, t] of parts) if (t.worstBound > 0 && (best.worstBound === 0 || t.worstError / t.worstBound > best.worstError / best.worstBound)) best = t;
  const note = parts.map(([l, t]) => `${l}: worst ${t.worstError.toExponential(3)} vs bound ${t.worstBound.toExponential(3)} (${t.cases} checks)`).join('; ');
  return { worstError: best.worstError, bound: best.worstBound, note: extra ? `${note}; ${extra}` : note };
}

/** Elementwise |actual - expected| ≤ absTol (+ TINY). */
export function closeVec(tr: ErrorTracker, label: string, actual: Arr, expected: ArrayLike<number>, absTol: ArrayLike<number> | number): void {
  if (actual.length !== expected.length) tr.fail(`${label}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const tol = typeof absTol === 'number' ? absTol : absTol[i];
    tr.close(`${label}[${i}]`, actual[i], expected[i], 0, tol + TINY);
  }
}

// ---- fast-check arbitraries -----------------------------------------------------------------

/**
 * A double in [min, max] with values of magnitude below 2^-100 flushed to 0. float32 cannot hold
 * them (its smallest normal is 2^-126, and wasm flushes subnormals), so a float32 tier would see
 * a different input than the float64 expectation; the claims are about the formulas, not about
 * underflow, so such inputs are excluded for every implementation alike.
 */
export const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((x) => (Math.abs(x) < 2 ** -100 ? 0 : x));

/** β log-uniform in [lo, hi]. */
const arbBeta = (lo: number, hi: number) => dbl(Math.log(lo), Math.log(hi)).map((l) => Math.min(Math.exp(l), hi));

/**
 * Arbitrary valid schedules: random β (log-uniform, so both tiny and near-1 values appear),
 * Ho's linear and the cosine schedule at random T, constant-γ (A4) at random γ; optionally the last
 * β set to 1 (zero terminal SNR, A5's ᾱ_T = 0).
 */
export function arbSchedule(opts: { minT?: number; maxT: number; minBeta?: number; maxBeta?: number; zeroTerminal?: boolean }): fc.Arbitrary<Float64Array> {
  const minT = opts.minT ?? 1;
  const lo = opts.minBeta ?? 1e-6;
  const hi = opts.maxBeta ?? 0.999;
  const random = fc.array(arbBeta(lo, hi), { minLength: minT, maxLength: opts.maxT }).map((a) => Float64Array.from(a));
  const linear = fc.integer({ min: Math.max(minT, 1), max: opts.maxT }).map((T) => linearBetas(T));
  const cosine = fc.integer({ min: Math.max(minT, 2), max: Math.max(opts.maxT, 2) }).map((T) => cosineBetas(T));
  const constGamma = fc
    .tuple(fc.integer({ min: minT, max: opts.maxT }), dbl(0.5, 0.9999))
    .map(([T, g]) => new Float64Array(T).fill(1 - g * g));
  const base = fc.oneof(random, linear, cosine, constGamma);
  if (!opts.zeroTerminal) return base;
  return fc.tuple(base, fc.boolean()).map(([b, zt]) => {
    if (zt && b.length >= 2) {
      const c = Float64Array.from(b);
      c[c.length - 1] = 1;
      return c;
    }
    return b;
  });
}

export const arbVec = (d: number, r: number) => fc.array(dbl(-r, r), { minLength: d, maxLength: d }).map((a) => Float64Array.from(a));

/** The three timestep spacings of strided samplers (diffusers' names). */
export const SPACINGS: Spacing[] = ['linspace', 'leading', 'trailing'];

/** A schedule together with a timestep t ∈ {1..T}. */
export const withT = (s: fc.Arbitrary<Float64Array>) => s.chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: b.length })));

/**
 * The exact denoiser for data N(μ, s²) (per coordinate): with D = ᾱs² + 1-ᾱ,
 * x̂_0 = μ + √ᾱ s²/D·(x_t - √ᾱ μ), ε̂ = √(1-ᾱ)(x_t - √ᾱ μ)/D, v̂ = √ᾱ ε̂ - √(1-ᾱ) x̂_0 — each in a
 * form without cancellation.
 */
export function gaussianOracle(s: Sched, t: number, mu: Float64Array, sd: Float64Array, xt: ArrayLike<number>): { eps: Float64Array; x0: Float64Array; v: Float64Array } {
  const sa = s.sab(t);
  const om = s.omab(t);
  const so = Math.sqrt(om);
  const n = mu.length;
  const eps = new Float64Array(n);
  const x0 = new Float64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const D = s.ab(t) * sd[i] * sd[i] + om;
    const r = xt[i] - sa * mu[i];
    x0[i] = mu[i] + ((sa * sd[i] * sd[i]) / D) * r;
    eps[i] = (so * r) / D;
    // v = √ᾱ ε̂ - √(1-ᾱ) x̂_0 = -√(1-ᾱ) μ + √(1-ᾱ)(ᾱ - ᾱs²)/D · r ... computed directly:
    v[i] = sa * eps[i] - so * x0[i];
  }
  return { eps, x0, v };
}
