/**
 * Core property claims (issue 2): catalog claims 1-6 and 12 of shared/formulas.md, plus the
 * schedule definitions (A1-A5), the successor claim for strided samplers, exact moment
 * propagation of the DDPM step, and the equivalence of the three parameterizations along whole
 * trajectories.
 *
 * Every claim is written against the `DiffusionImpl` interface only (properties/interface.ts). The
 * expected values are computed here, independently of any implementation: ᾱ_t from the β handed
 * in (`Sched` below), Bayes' rule through ml-matrix (C4), Gaussian quadrature from ml-matrix's
 * eigen-solver, Monte Carlo with the project's seeded `Rng`.
 *
 * Linearity as an exact oracle. Almost every map checked here (x_0, ε ↦ x_t; a reverse step with a
 * model that is affine in x_t; a DDIM step with the true x̂_0) is affine in its random inputs.
 * Probing it with unit vectors recovers the coefficients exactly (up to rounding), and the
 * distribution of the output follows from them in closed form: if y = a·x_0 + b·ε with
 * ε ~ N(0, I) then E y = a·x_0 and Var y = b². This turns claims about distributions (variance
 * preservation, composition, DDIM marginals) into deterministic checks at a few ulps, so a bug that
 * changes a variance by 1e-6 is caught, which no Monte Carlo test of affordable size could do.
 * Each probe is accompanied by a linearity check on random inputs, so an implementation that is not
 * affine (e.g. adds a constant) cannot pass by agreeing at the probe points only.
 *
 * Tolerances. Every bound is (condition factor)·u with u = unitRoundoff(impl) (2^-53 for float64,
 * 2^-24 for float32), so the same claims serve the float32 tier. The factors:
 *  - ᾱ_t is a product of t factors 1-β_s. Formed as a product its relative error is ≤ 2t·u; formed
 *    as exp(Σ log1p(-β_s)) the sum's absolute error is ≤ t·u·|log ᾱ_t| (recursive summation), which
 *    exp turns into a relative error. `Ka(t) = (t+2)(1+|log ᾱ_t|)` covers both.
 *  - 1-ᾱ_t has absolute error ≤ Ka·u either way (expm1 or subtraction); relative to 1-ᾱ_t that is
 *    Ka·u/(1-ᾱ_t), which matters for quantities divided by 1-ᾱ_t (posterior coefficients, ε from
 *    x_0): `Kom(t) = Ka(t)·max(1, ᾱ_t/(1-ᾱ_t))`. A float64 reference using expm1 is far better
 *    than this (the bound is then loose by up to 1/β_1), but an implementation that subtracts is
 *    entitled to it, and even the loose bound is < 1e-9 relative in float64, far below any bug.
 *  - Each claim multiplies these by a small constant (8…64) for the handful of further roundings in
 *    the formula, and by the scale of the inputs for absolute errors; the comment at each check
 *    names the extra amplification (a division by √ᾱ_t, √α_t, …) where there is one.
 */
import fc from 'fast-check';
import { Matrix, inverse, determinant, EigenvalueDecomposition } from 'ml-matrix';
import type { Arr, DiffusionImpl, Prediction, Spacing } from '../interface.js';
import {
  ClaimFailure,
  ErrorTracker,
  FALSE_ALARM_RATE,
  FC_SEED,
  bonferroni,
  underflowFloor,
  unitRoundoff,
  zTwoSided,
  type Claim,
  type ClaimResult,
} from '../harness.js';
import { Rng } from '../../src/reference/rng.js';

// ---------------------------------------------------------------------------------------------
// Shared helpers (independent of every implementation)
// ---------------------------------------------------------------------------------------------

/** Options of the core claims: `shrink: false` skips fast-check's shrinking (used by the self-check). */
export const coreClaimOptions = { shrink: true, runsScale: 1 };

/** fast-check parameters: the suite's seed; `runsScale` < 1 gives the rotating-seed guard its small run count. */
function fcParams(numRuns: number): fc.Parameters<unknown> {
  return { seed: FC_SEED, numRuns: Math.max(1, Math.round(numRuns * coreClaimOptions.runsScale)), endOnFailure: !coreClaimOptions.shrink };
}

/**
 * fc.assert, but a failure is rethrown as the ClaimFailure that caused it, with the (shrunk)
 * counterexample and the replay path appended, so reports show what failed, not only that a
 * property did.
 */
function assertProperty<Ts>(claimId: string, prop: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
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
class Sched {
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
function linearBetas(T: number, b0 = 1e-4, b1 = 0.02): Float64Array {
  return Float64Array.from({ length: T }, (_, i) => (T === 1 ? b0 : b0 + ((b1 - b0) * i) / (T - 1)));
}

/** Cosine schedule (A2) as defined by Nichol & Dhariwal: β_t = min(1 - f(t)/f(t-1), maxBeta). */
function cosineBetas(T: number, s = 0.008, maxBeta = 0.999): Float64Array {
  const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: T }, (_, i) => Math.min(1 - f(i + 1) / f(i), maxBeta));
}

const vec = (n: number, f: (i: number) => number): Float64Array => Float64Array.from({ length: n }, (_, i) => f(i));
const zeros = (n: number): Float64Array => new Float64Array(n);
const one = (x: number): Float64Array => Float64Array.of(x);

/** The single element of a length-1 output, checked to be a finite number. */
function scalarOut(tr: ErrorTracker, label: string, out: Arr): number {
  if (!out || out.length !== 1) tr.fail(`${label}: expected one element, got ${out ? out.length : out}`);
  const v = out[0];
  if (typeof v !== 'number' || Number.isNaN(v)) tr.fail(`${label}: not a number (${v})`);
  return v;
}

function maxAbs(...xs: ArrayLike<number>[]): number {
  let m = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/**
 * Absolute floor of every elementwise tolerance: fast-check generates subnormal inputs, whose
 * arithmetic has an absolute (not relative) error of a few multiples of the smallest subnormal.
 */
const TINY = 64 * Number.MIN_VALUE;

/**
 * One result from several trackers (e.g. an exact part and a Monte Carlo part): the worst by
 * error/bound ratio, with every part's worst error and bound in the note.
 */
function combined(parts: [string, ErrorTracker][], extra = ''): ClaimResult {
  let best: ErrorTracker = parts[0][1];
  for (const [, t] of parts) if (t.worstBound > 0 && (best.worstBound === 0 || t.worstError / t.worstBound > best.worstError / best.worstBound)) best = t;
  const note = parts.map(([l, t]) => `${l}: worst ${t.worstError.toExponential(3)} vs bound ${t.worstBound.toExponential(3)} (${t.cases} checks)`).join('; ');
  return { worstError: best.worstError, bound: best.worstBound, note: extra ? `${note}; ${extra}` : note };
}

/** Elementwise |actual - expected| ≤ absTol (+ TINY). */
function closeVec(tr: ErrorTracker, label: string, actual: Arr, expected: ArrayLike<number>, absTol: ArrayLike<number> | number): void {
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
const dbl = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((x) => (Math.abs(x) < 2 ** -100 ? 0 : x));

/** β log-uniform in [lo, hi]. */
const arbBeta = (lo: number, hi: number) => dbl(Math.log(lo), Math.log(hi)).map((l) => Math.min(Math.exp(l), hi));

/**
 * Arbitrary valid schedules: random β (log-uniform, so both tiny and near-1 values appear),
 * Ho's linear and the cosine schedule at random T, constant-γ (A4) at random γ; optionally the last
 * β set to 1 (zero terminal SNR, A5's ᾱ_T = 0).
 */
function arbSchedule(opts: { minT?: number; maxT: number; minBeta?: number; maxBeta?: number; zeroTerminal?: boolean }): fc.Arbitrary<Float64Array> {
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

const arbVec = (d: number, r: number) => fc.array(dbl(-r, r), { minLength: d, maxLength: d }).map((a) => Float64Array.from(a));

/** A schedule together with a timestep t ∈ {1..T}. */
const withT = (s: fc.Arbitrary<Float64Array>) => s.chain((b) => fc.tuple(fc.constant(b), fc.integer({ min: 1, max: b.length })));

// ---------------------------------------------------------------------------------------------
// Claim 1: variance preservation (B3, A4, A5)
// ---------------------------------------------------------------------------------------------

/**
 * Probes x_0, ε ↦ qSample(β, x_0, t, ε) (affine by B2) for its coefficients a, b and checks
 * a = √ᾱ_t, b² = 1-ᾱ_t, hence Var x_t = a²·Var x_0 + b² = ᾱ_t Var x_0 + 1-ᾱ_t and a² + b² = 1.
 */
function checkMarginalCoefficients(tr: ErrorTracker, impl: DiffusionImpl, betas: Float64Array, t: number, x0: Float64Array, eps: Float64Array): { a: number; b: number } {
  const u = unitRoundoff(impl);
  const s = new Sched(betas);
  const a = scalarOut(tr, `qSample(t=${t}, x0=1, ε=0)`, impl.qSample!(betas, one(1), t, one(0)));
  const b = scalarOut(tr, `qSample(t=${t}, x0=0, ε=1)`, impl.qSample!(betas, one(0), t, one(1)));
  const c = scalarOut(tr, `qSample(t=${t}, x0=0, ε=0)`, impl.qSample!(betas, one(0), t, one(0)));
  const ka = s.Ka(t);
  const T = betas.length;
  tr.close(`T=${T} t=${t}: offset of x_t`, c, 0, 0, u);
  // a = √ᾱ_t: relative error ≤ ½·(ᾱ error) + 2u.
  tr.close(`T=${T} t=${t}: coefficient of x_0 (√ᾱ_t)`, a, s.sab(t), 8 * ka * u, 0);
  // b² = 1-ᾱ_t: absolute error ≤ Ka·u (see file comment), plus 2u for squaring b.
  tr.close(`T=${T} t=${t}: squared coefficient of ε (1-ᾱ_t)`, b * b, s.omab(t), 4 * u, 8 * ka * u);
  // Unit variance preserved: a² + b² = 1.
  tr.close(`T=${T} t=${t}: Var x_t for Var x_0 = 1 (a²+b²)`, a * a + b * b, 1, 0, 16 * ka * u);
  // Var x_t = ᾱ_t·v + (1-ᾱ_t) for other data variances v.
  for (const v of [0, 0.25, 4]) tr.close(`T=${T} t=${t}: Var x_t for Var x_0 = ${v}`, a * a * v + b * b, s.ab(t) * v + s.omab(t), 0, 16 * ka * u * (1 + v));
  // Affine on random inputs (not only at the probes).
  const out = impl.qSample!(betas, x0, t, eps);
  closeVec(tr, `T=${T} t=${t}: qSample(x0, ε) = a·x0 + b·ε`, out, vec(x0.length, (i) => a * x0[i] + b * eps[i]), vec(x0.length, (i) => 8 * u * (Math.abs(a * x0[i]) + Math.abs(b * eps[i]))));
  return { a, b };
}

const variancePreservation: Claim = {
  id: 'core.variance-preservation',
  title: 'for arbitrary valid schedules (incl. constant-γ and zero-terminal-SNR) x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε exactly, so Var x_t = ᾱ_t Var x_0 + 1-ᾱ_t and unit variance is preserved',
  catalog: 'claim 1 (B2, B3, A4, A5)',
  requires: ['qSample'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 80, zeroTerminal: true })), arbVec(4, 10), arbVec(4, 5), ([betas, t], x0, eps) => {
        checkMarginalCoefficients(tr, impl, betas, t, x0, eps);
        if (impl.alphaBar) {
          const s = new Sched(betas);
          tr.close(`alphaBar(t=${t})`, impl.alphaBar(betas, t), s.ab(t), 8 * s.Ka(t) * u, 0);
          tr.close('alphaBar(t=0)', impl.alphaBar(betas, 0), 1, 0, u);
        }
      }),
      fcParams(300),
    );
    // A4 (seed 000, first section): constant γ, σ² = 1-γ²: Var z_t = γ^{2t} Var x + 1-γ^{2t} → 1.
    for (const [T, g] of [[200, Math.sqrt(0.95)], [50, 0.5], [1000, 0.999]] as const) {
      const betas = new Float64Array(T).fill(1 - g * g);
      for (const t of [1, 2, Math.floor(T / 2), T]) {
        const { a, b } = checkMarginalCoefficients(tr, impl, betas, t, vec(3, (i) => i - 1), vec(3, (i) => 0.5 * i));
        const g2t = Math.exp(2 * t * Math.log(g));
        for (const v of [0, 3]) tr.close(`A4 γ=${g} t=${t}: Var z_t = γ^{2t}v + 1-γ^{2t}`, a * a * v + b * b, g2t * v + 1 - g2t, 0, 16 * (t + 2) * u * (1 + v));
      }
    }
    // A5 (seed 000 "Finishing exactly at N(0, I)"): with ᾱ_T = 0, x_T = ε for every x_0, so x_T ~
    // N(0, I) whatever the data. Uses the implementation's own rescale where it has one.
    const sources: Float64Array[] = [linearBetas(1000), cosineBetas(100), linearBetas(10, 0.05, 0.3)];
    for (const src of sources) {
      const betas = impl.rescaleZeroTerminalSnr ? Float64Array.from(impl.rescaleZeroTerminalSnr(src)) : Float64Array.from(src, (b, i) => (i === src.length - 1 ? 1 : b));
      const T = betas.length;
      const { a, b } = checkMarginalCoefficients(tr, impl, betas, T, vec(3, (i) => 3 * i - 2), vec(3, (i) => 1 - i));
      tr.close(`A5 T=${T}: coefficient of x_0 at t=T is 0 (ᾱ_T = 0)`, a, 0, 0, 4 * u);
      tr.close(`A5 T=${T}: coefficient of ε at t=T is 1`, b, 1, 0, 4 * u);
      if (impl.alphaBar) tr.close(`A5 T=${T}: alphaBar(T) = 0`, impl.alphaBar(betas, T), 0, 0, 4 * u);
    }
    return tr.result(`${tr.cases} comparisons; 300 generated schedules, A4 at 3 γ, A5 ${impl.rescaleZeroTerminalSnr ? 'via the implementation\'s rescaleZeroTerminalSnr' : 'with β_T = 1 set here'}`);
  },
};

// ---------------------------------------------------------------------------------------------
// Schedules (A1-A5): the named schedules are what their definitions say
// ---------------------------------------------------------------------------------------------

const scheduleDefinitions: Claim = {
  id: 'core.schedule-definitions',
  title: 'named schedules match their definitions: linear reaches β_T inclusive, cosine follows f(t)/f(0) with β ≤ 0.999, scaled-linear is linear in √β, constant/constant-γ are constant, and the zero-terminal rescale gives ᾱ_T = 0 while keeping √ᾱ_1',
  catalog: 'A1-A5',
  requires: ['betaSchedule'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const get = (name: string, T: number): Float64Array => {
      let b: Arr = [];
      try {
        b = impl.betaSchedule!(name, T);
      } catch (e) {
        tr.fail(`betaSchedule('${name}', ${T}) threw: ${(e as Error).message}`);
      }
      if (b.length !== T) tr.fail(`betaSchedule('${name}', ${T}) has length ${b.length}`);
      return Float64Array.from(b);
    };
    assertProperty(this.id,
      fc.property(fc.integer({ min: 2, max: 2000 }), (T) => {
        // A1: Ho et al. linear from 1e-4 to 0.02 *inclusive* (seed 001's code stops short of β_T).
        const lin = get('linear', T);
        closeVec(tr, `linear T=${T}`, lin, linearBetas(T), 8 * u * 0.02);
        tr.close(`linear T=${T}: β_1`, lin[0], 1e-4, 4 * u, 0);
        tr.close(`linear T=${T}: β_T reaches 0.02`, lin[T - 1], 0.02, 4 * u, 0);
        // A2: cosine. Where 1-f(t)/f(t-1) ≤ 0.999, ᾱ_t = f(t)/f(0); β is clipped at 0.999.
        const cos = get('cosine', T);
        const want = cosineBetas(T);
        for (let i = 0; i < T; i++) {
          if (!(cos[i] <= 0.999)) tr.fail(`cosine T=${T}: β_${i + 1} = ${cos[i]} exceeds the clip 0.999`);
        }
        // β_t = 1 - f(t)/f(t-1), f = cos²θ. The angle θ_t = ((t/T+s)/(1+s))·π/2 carries ≈ 2u·θ
        // absolute error (its rounding depends on the order of operations), which cos² turns into a
        // relative error 2·θ·tan θ·2u of f: large near θ → π/2 (t → T). Then β's absolute error is
        // (1-β_t)·(rel. error of f(t) + of f(t-1)) plus a few u for the ratio and the subtraction.
        const theta = (t: number) => ((t / T + 0.008) / 1.008) * (Math.PI / 2);
        const relF = (t: number) => 4 * u * theta(t) * Math.tan(theta(t));
        closeVec(tr, `cosine T=${T}`, cos, want, vec(T, (i) => 16 * u + 4 * (1 - want[i]) * (relF(i + 1) + relF(i))));
        tr.close(`cosine T=${T}: β_T clipped to 0.999`, cos[T - 1], 0.999, 0, 4 * u);
        // A3: scaled-linear: √β equally spaced from √0.00085 to √0.012.
        const sl = get('scaled-linear', T);
        const a = Math.sqrt(0.00085);
        const b = Math.sqrt(0.012);
        closeVec(tr, `scaled-linear T=${T}`, sl, vec(T, (i) => (a + ((b - a) * i) / (T - 1)) ** 2), 16 * u * 0.012);
        // A3 constant, A4 constant-γ: one β in (0, 1) for every t.
        for (const name of ['constant', 'constant-gamma']) {
          const c = get(name, T);
          if (!(c[0] > 0 && c[0] < 1)) tr.fail(`${name} T=${T}: β = ${c[0]} not in (0, 1)`);
          closeVec(tr, `${name} T=${T}: constant`, c, new Float64Array(T).fill(c[0]), 0);
        }
        // A3 sigmoid: increasing, between its end points.
        const sg = get('sigmoid', T);
        for (let i = 1; i < T; i++) if (!(sg[i] > sg[i - 1])) tr.fail(`sigmoid T=${T}: β not increasing at t=${i + 1}`);
        if (!(sg[0] >= 1e-4 - 1e-12 && sg[T - 1] <= 0.02 + 1e-12)) tr.fail(`sigmoid T=${T}: β outside [1e-4, 0.02]`);
      }),
      fcParams(60),
    );
    // A5: zero-terminal-SNR rescale (Lin et al. 2024 Alg. 1): √ᾱ'_t = (√ᾱ_t - √ᾱ_T)·√ᾱ_1/(√ᾱ_1 - √ᾱ_T).
    if (impl.rescaleZeroTerminalSnr) {
      assertProperty(this.id,
        fc.property(arbSchedule({ minT: 2, maxT: 300, maxBeta: 0.5 }), (src) => {
          const s = new Sched(src);
          const T = src.length;
          const r = new Sched(Float64Array.from(impl.rescaleZeroTerminalSnr!(src)));
          if (r.T !== T) tr.fail(`rescale: length ${r.T}, expected ${T}`);
          tr.close(`rescale T=${T}: ᾱ_T = 0 exactly (β_T = 1)`, r.beta(T), 1, 0, 0);
          tr.close(`rescale T=${T}: √ᾱ_1 kept`, r.sab(1), s.sab(1), 16 * s.Ka(1) * u, 0);
          const first = s.sab(1);
          const last = s.sab(T);
          const sc = first / (first - last);
          // √ᾱ'_t is an affine function of √ᾱ_t; its error is the accumulated error of the product
          // (Ka(t) relative) times the amplification sc = √ᾱ_1/(√ᾱ_1-√ᾱ_T) of the shift.
          // Plus the representation error of the output (issue 21): the rescale returns β', and
          // β' near 1 cannot carry α' = 1-β' to better than an absolute u·β' (the rounding of
          // fl(1 - ᾱ'_t/ᾱ'_{t-1}), correctly rounded at best), i.e. a relative error u·β'/(1-β')
          // of α'_s, which the product ᾱ'_t = Π α'_s accumulates and the square root halves:
          //   |δ√ᾱ'_t| ≤ √ᾱ'_t · ½u · Σ_{s≤t} β'_s/(1-β'_s)   (×4 for the rounding of ᾱ'_{t}/ᾱ'_{t-1} itself).
          // It was missing: at T = 3, β = [0.5, 0.5, 1.4e-6] (seeds 2222, 444444) √ᾱ'_2 ≈ 1.2e-6,
          // β'_2 = 1 - 2.8e-12, and β'_2/(1-β'_2) = 3.5e11 gives 2.3e-11·… while the old bound was
          // 3.033e-12 — hit exactly (error 3.033e-12).
          let cond = 0;
          for (let t = 1; t < T; t++) {
            cond += r.beta(t) / r.alpha(t);
            const repr = 2 * u * r.sab(t) * cond;
            tr.close(`rescale T=${T}: √ᾱ'_${t}`, r.sab(t), (s.sab(t) - last) * sc, 0, 64 * sc * (s.Ka(T) + r.Ka(t)) * u + repr);
          }
        }),
        { ...fcParams(40), examples: [[Float64Array.of(0.5, 0.5, 1.4e-6)]] }, // issue 21: seeds 2222, 444444
      );
    }
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 2: composition of one-step transitions (B1 ∘ … ∘ B1 = B2)
// ---------------------------------------------------------------------------------------------

const composition: Claim = {
  id: 'core.composition',
  title: 't one-step transitions q(x_s|x_{s-1}) = N(√α_s x_{s-1}, β_s I) compose to the closed form q(x_t|x_0) = N(√ᾱ_t x_0, (1-ᾱ_t) I) in mean and covariance',
  catalog: 'claim 2 (B1, B2)',
  requires: ['qStep', 'qSample'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 60, zeroTerminal: true })), arbVec(3, 10), fc.integer({ min: 0, max: 2 ** 30 }), ([betas, t], x0, seed) => {
        const s = new Sched(betas);
        const rng = new Rng(seed);
        // Exact propagation through linearity: x_s = c_s·x_0 + (noise with variance D_s).
        let c = 1;
        let D = 0;
        let x: Float64Array = Float64Array.from(x0);
        let pathC = 0; // worst relative error accumulated by the products, for the bound
        for (let k = 1; k <= t; k++) {
          const p = scalarOut(tr, `qStep(t=${k}, x=1, ε=0)`, impl.qStep!(betas, one(1), k, one(0)));
          const q = scalarOut(tr, `qStep(t=${k}, x=0, ε=1)`, impl.qStep!(betas, one(0), k, one(1)));
          const o = scalarOut(tr, `qStep(t=${k}, x=0, ε=0)`, impl.qStep!(betas, one(0), k, one(0)));
          tr.close(`t=${k}: qStep offset`, o, 0, 0, u);
          // B1 itself: √α_k (relative error 2u; 1-β_k rounds once) and √β_k.
          tr.close(`t=${k}: qStep coefficient of x_{t-1} (√α_t)`, p, Math.sqrt(s.alpha(k)), 4 * u, 0);
          tr.close(`t=${k}: qStep coefficient of ε (√β_t)`, q, Math.sqrt(s.beta(k)), 4 * u, 0);
          c *= p;
          D = p * p * D + q * q;
          pathC += 8 * u;
          // A genuine trajectory on random inputs, checked against the propagated map.
          const e = rng.normals(x.length);
          const y = impl.qStep!(betas, x, k, e);
          closeVec(tr, `t=${k}: qStep(x, ε) = √α x + √β ε`, y, vec(x.length, (i) => p * x[i] + q * e[i]), vec(x.length, (i) => 8 * u * (Math.abs(p * x[i]) + Math.abs(q * e[i]))));
          x = Float64Array.from(y);
        }
        const a = scalarOut(tr, `qSample(t=${t}, 1, 0)`, impl.qSample!(betas, one(1), t, one(0)));
        const b = scalarOut(tr, `qSample(t=${t}, 0, 1)`, impl.qSample!(betas, one(0), t, one(1)));
        // Mean: ∏√α_s = √ᾱ_t. The product carries ≤ 4t·u relative error; qSample's √ᾱ_t ≤ 8·Ka·u.
        tr.close(`T=${betas.length} t=${t}: mean coefficient of t steps vs closed form`, c, a, 8 * s.Ka(t) * u + pathC, 0);
        tr.close(`T=${betas.length} t=${t}: mean coefficient vs √ᾱ_t`, c, s.sab(t), 8 * s.Ka(t) * u + pathC, 0);
        // Covariance: D_t = Σ_k (∏_{s>k} α_s) β_k = 1-ᾱ_t. Absolute error ≤ (Ka + t)·u·const.
        tr.close(`T=${betas.length} t=${t}: variance of t steps vs closed form`, D, b * b, 0, 16 * (s.Ka(t) + t) * u);
        tr.close(`T=${betas.length} t=${t}: variance of t steps vs 1-ᾱ_t`, D, s.omab(t), 0, 16 * (s.Ka(t) + t) * u);
      }),
      fcParams(200),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 3: posterior moments (C1 = C4 Bayes = Monte Carlo; C1 = C2; C3)
// ---------------------------------------------------------------------------------------------

/**
 * C4 (002 §2.1-2.2) through ml-matrix: prior x ~ N(μ, Λ⁻¹), likelihood y | x ~ N(Ax + b, L⁻¹) ⇒
 * x | y ~ N(Σ(AᵀL(y-b) + Λμ), Σ = (Λ + AᵀLA)⁻¹).
 */
function bayesC4(mu: Matrix, Lambda: Matrix, A: Matrix, b: Matrix, L: Matrix, y: Matrix): { mean: Matrix; cov: Matrix } {
  const cov = inverse(Lambda.clone().add(A.transpose().mmul(L).mmul(A)));
  const mean = cov.mmul(A.transpose().mmul(L).mmul(y.clone().sub(b)).add(Lambda.mmul(mu)));
  return { mean, cov };
}

/** Wilson-Hilferty: for V ~ χ²_n, (V/n)^{1/3} ≈ N(1 - 2/(9n), 2/(9n)). Returns the z-score. */
function chiSquareZ(sumSq: number, n: number): number {
  const m = 1 - 2 / (9 * n);
  return (Math.cbrt(sumSq / n) - m) / Math.sqrt(2 / (9 * n));
}

const posteriorMoments: Claim = {
  id: 'core.posterior-moments',
  title: 'q(x_{t-1}|x_t,x_0) from qPosterior equals Bayes\' rule (C4, ml-matrix) on q(x_{t-1}|x_0)·q(x_t|x_{t-1}), matches Monte Carlo moments of the forward chain, equals the ε-form (C2), and has the clipped log variance at t = 1 (C3)',
  catalog: 'claim 3 (C1, C2, C3, C4)',
  requires: ['qPosterior', 'predictEpsFromX0'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const d = 3;
    // (i) exact: Bayes through ml-matrix on generated schedules, t and data.
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 80, zeroTerminal: true })), arbVec(d, 5), arbVec(d, 5), ([betas, t], x0, xt) => {
        const s = new Sched(betas);
        const T = betas.length;
        const post = impl.qPosterior!(betas, x0, xt, t);
        if (t === 1) {
          // ᾱ_0 = 1: the posterior is the point mass at x_0 (β̃_1 = 0), log variance clipped (C3).
          // log β̃_2 = log((1-ᾱ_1)/(1-ᾱ_2)·β_2) carries the relative errors of both 1-ᾱ_1 and 1-ᾱ_2.
          // Its coefficient β_1/(1-ᾱ_1) = 1 carries the relative error of 1-ᾱ_1 (Kom(1)).
          closeVec(tr, 't=1: posterior mean is x_0', post.mean, x0, vec(d, (i) => 4 * s.Kom(1) * u * Math.abs(x0[i])));
          tr.close('t=1: β̃_1 = 0', post.variance, 0, 0, 4 * u);
          if (!Number.isFinite(post.logVariance)) tr.fail(`t=1: logVariance = ${post.logVariance} (C3 clips it to log β̃_2)`);
          tr.close(`T=${T} t=1: logVariance clipped to log β̃_2 (C3)`, post.logVariance, s.postLogVarClipped(1), 0, 16 * (s.Kom(1) + s.Kom(Math.min(2, T))) * u);
          if (impl.posteriorLogVarianceClipped) tr.close(`T=${T}: posteriorLogVarianceClipped(1)`, impl.posteriorLogVarianceClipped(betas, 1), s.postLogVarClipped(1), 0, 16 * (s.Kom(1) + s.Kom(Math.min(2, T))) * u);
          return;
        }
        const pv = s.omab(t - 1);
        const Lambda = Matrix.eye(d, d).mul(1 / pv);
        const mu = Matrix.columnVector(Array.from(x0, (v) => s.sab(t - 1) * v));
        const A = Matrix.eye(d, d).mul(Math.sqrt(s.alpha(t)));
        const L = Matrix.eye(d, d).mul(1 / s.beta(t));
        const { mean, cov } = bayesC4(mu, Lambda, A, Matrix.zeros(d, 1), L, Matrix.columnVector(Array.from(xt)));
        // Condition: the posterior precision Λ + α/β·I is a sum of positives (well conditioned); the
        // mean Σ(√α/β·x_t + √ᾱ_{t-1}/(1-ᾱ_{t-1})·x_0) may cancel between its two terms, so the
        // absolute tolerance scales with the sum of their magnitudes. The implementation's
        // 1-ᾱ_{t-1}, 1-ᾱ_t enter relatively: Kom(t-1) + Kom(t).
        const K = s.Kom(t - 1) + s.Kom(t);
        const v = cov.get(0, 0);
        for (let i = 0; i < d; i++) {
          for (let j = 0; j < d; j++) if (i !== j && cov.get(i, j) !== 0) tr.fail('Bayes covariance not isotropic (claim arithmetic broken)');
          const scale = v * (Math.abs((Math.sqrt(s.alpha(t)) / s.beta(t)) * xt[i]) + Math.abs((s.sab(t - 1) / pv) * x0[i]));
          tr.close(`T=${T} t=${t}: posterior mean[${i}] vs Bayes (C4)`, post.mean[i], mean.get(i, 0), 0, 32 * K * u * scale + TINY);
        }
        tr.close(`T=${T} t=${t}: posterior variance vs Bayes (C4)`, post.variance, v, 32 * K * u, 0);
        tr.close(`T=${T} t=${t}: log variance = log β̃_t`, post.logVariance, Math.log(v), 0, 32 * K * u);
        if (impl.posteriorVariance) tr.close(`T=${T} t=${t}: posteriorVariance`, impl.posteriorVariance(betas, t), v, 32 * K * u, 0);
        if (impl.posteriorLogVarianceClipped) tr.close(`T=${T} t=${t}: posteriorLogVarianceClipped`, impl.posteriorLogVarianceClipped(betas, t), Math.log(v), 0, 32 * K * u);
        // (iii) C1 = C2: μ̃ = (x_t - β_t/√(1-ᾱ_t)·ε)/√α_t with ε = predictEpsFromX0(x_t, x_0). Undefined
        // at α_t = 0 (β_T = 1). Error: ε carries Kom(t)·u·(|x_t|+|x_0|)/√(1-ᾱ_t), multiplied by
        // β_t/(√(1-ᾱ_t)√α_t) ≤ 1/√α_t since β_t ≤ 1-ᾱ_t.
        if (s.beta(t) < 1) {
          const eps = impl.predictEpsFromX0!(betas, xt, t, x0);
          const c = s.beta(t) / s.somab(t);
          const ia = 1 / Math.sqrt(s.alpha(t));
          closeVec(tr, `T=${T} t=${t}: C1 mean = C2 ε-form`, post.mean, vec(d, (i) => (xt[i] - c * eps[i]) * ia), vec(d, (i) => 64 * K * u * ia * (1 + Math.abs(xt[i]) + Math.abs(x0[i]))));
        }
      }),
      fcParams(300),
    );

    // (ii) Monte Carlo: draw (x_{t-1}, x_t) from the forward chain given x_0 (generated here, not
    // by the implementation); the residual r = x_{t-1} - μ̃(x_t, x_0) must be N(0, β̃_t) and
    // uncorrelated with x_t (the defining property of the Gaussian conditional). Per coordinate
    // four z-tests (mean; variance vs β̃_t and vs the reported variance, via Wilson-Hilferty;
    // covariance with x_t), Bonferroni over all.
    const configs: { name: string; betas: Float64Array; ts: number[] }[] = [
      { name: 'linear T=100', betas: linearBetas(100), ts: [2, 50, 100] },
      { name: 'cosine T=50', betas: cosineBetas(50), ts: [2, 25] },
      { name: 'constant β=0.3 T=6', betas: new Float64Array(6).fill(0.3), ts: [2, 6] },
    ];
    const N = 6000;
    const mc = new ErrorTracker(this.id, underflowFloor(impl));
    const dm = 4;
    const nTests = configs.reduce((k, c) => k + c.ts.length, 0) * dm * 4;
    const zMax = zTwoSided(bonferroni(FALSE_ALARM_RATE, nTests));
    const rng = new Rng(FC_SEED);
    for (const cfg of configs) {
      const s = new Sched(cfg.betas);
      for (const t of cfg.ts) {
        const x0 = vec(dm, (i) => -1.5 + i);
        const sm = s.sab(t - 1);
        const sv = s.somab(t - 1);
        const sa = Math.sqrt(s.alpha(t));
        const sb = Math.sqrt(s.beta(t));
        const sum = zeros(dm);
        const sumSq = zeros(dm);
        const sumCross = zeros(dm);
        let varPost = NaN;
        for (let n = 0; n < N; n++) {
          const xPrev = vec(dm, (i) => sm * x0[i] + sv * rng.normal());
          const xt = vec(dm, (i) => sa * xPrev[i] + sb * rng.normal());
          const post = impl.qPosterior!(cfg.betas, x0, xt, t);
          varPost = post.variance;
          for (let i = 0; i < dm; i++) {
            const r = xPrev[i] - post.mean[i];
            sum[i] += r;
            sumSq[i] += r * r;
            sumCross[i] += r * (xt[i] - s.sab(t) * x0[i]);
          }
        }
        const bt = s.postVar(t);
        for (let i = 0; i < dm; i++) {
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of residual mean`, Math.abs(sum[i] / N / Math.sqrt(bt / N)), zMax);
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of residual variance vs β̃_t (χ², Wilson-Hilferty)`, Math.abs(chiSquareZ(sumSq[i] / bt, N)), zMax);
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of Cov(residual, x_t)`, Math.abs(sumCross[i] / N / Math.sqrt((bt * s.omab(t)) / N)), zMax);
          // The reported variance must describe the residual too (a z-test against it).
          mc.atMost(`${cfg.name} t=${t} coord ${i}: |z| of residual variance vs reported variance`, Math.abs(chiSquareZ(sumSq[i] / varPost, N)), zMax);
        }
      }
    }
    return combined([['exact (Bayes C4, C2, C3)', tr], [`Monte Carlo |z| (N=${N} per case, ${nTests} z-tests, overall false-alarm rate ${FALSE_ALARM_RATE})`, mc]]);
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 4: DDIM marginals (E2)
// ---------------------------------------------------------------------------------------------

const SPACINGS: Spacing[] = ['linspace', 'leading', 'trailing'];

/**
 * Probes one DDIM step with the true x̂_0 (prediction 'x0'): x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε, model
 * output x_0, noise z. The output is A·x_0 + B·ε + C·z; returns [A, B, C] after checking the
 * offset is 0 and the map is affine on a random input.
 */
function probeDdim(tr: ErrorTracker, impl: DiffusionImpl, s: Sched, t: number, tp: number, eta: number, rnd: Float64Array): [number, number, number] {
  const u = unitRoundoff(impl);
  const betas = s.betas;
  const run = (x0: number, e: number, z: number) =>
    scalarOut(tr, `ddimStep(t=${t}→${tp}, η=${eta})`, impl.ddimStep!(betas, one(s.sab(t) * x0 + s.somab(t) * e), t, tp, one(x0), { eta, noise: one(z), prediction: 'x0' }));
  const A = run(1, 0, 0);
  const B = run(0, 1, 0);
  const C = run(0, 0, 1);
  const O = run(0, 0, 0);
  tr.close(`t=${t}→${tp}: DDIM offset`, O, 0, 0, u);
  const [x0, e, z] = rnd;
  const xt = s.sab(t) * x0 + s.somab(t) * e;
  const y = scalarOut(tr, `ddimStep(t=${t}→${tp})`, impl.ddimStep!(betas, one(xt), t, tp, one(x0), { eta, noise: one(z), prediction: 'x0' }));
  // ε̂ = (x_t - √ᾱ_t x̂_0)/√(1-ᾱ_t) cancels: error u·(|x_t|+|x_0|)/√(1-ᾱ_t), times √(1-ᾱ_s-σ²) ≤ 1.
  tr.close(`t=${t}→${tp}: DDIM step affine`, y, A * x0 + B * e + C * z, 0, 32 * (s.Kom(t) + s.Kom(tp)) * u * (1 + Math.abs(x0) + Math.abs(e) + Math.abs(z)) / Math.min(1, s.somab(t)));
  return [A, B, C];
}

const ddimMarginals: Claim = {
  id: 'core.ddim-marginals',
  title: 'for every admissible σ_t (η ∈ [0, η_max]) and every strided subsequence, a DDIM step with the true x̂_0 maps q(x_t|x_0) to q(x_{t_prev}|x_0) = N(√ᾱ_prev x_0, (1-ᾱ_prev) I) with noise σ_t(η) = η√((1-ᾱ_prev)/(1-ᾱ_t))√(1-ᾱ_t/ᾱ_prev); η = 1 on the full sequence gives σ_t² = β̃_t',
  catalog: 'claim 4 (E2)',
  requires: ['ddimStep', 'ddimTimesteps'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const arbEta = fc.oneof(fc.constant(0), fc.constant(1), dbl(0, 1), dbl(0, 1).map((f) => -1 - f));
    assertProperty(this.id,
      fc.property(
        arbSchedule({ minT: 2, maxT: 300, maxBeta: 0.3, zeroTerminal: true }),
        fc.constantFrom(...SPACINGS),
        fc.integer({ min: 1, max: 40 }),
        arbEta,
        fc.tuple(dbl(-3, 3), dbl(-3, 3), dbl(-3, 3)),
        (betas, spacing, stepsWanted, etaCode, rnd) => {
          const s = new Sched(betas);
          const T = betas.length;
          const steps = Math.min(T, stepsWanted);
          const ts = impl.ddimTimesteps!(T, steps, spacing);
          const seq = [...ts, 0];
          for (let i = 0; i + 1 < seq.length; i++) {
            const t = seq[i];
            const tp = seq[i + 1];
            // η code ≥ 0: η itself; η code in [-2, -1): a fraction of the largest admissible η
            // (σ² up to 1-ᾱ_prev; kept 1e-9 inside so √(1-ᾱ_prev-σ²) stays real after rounding).
            const eta = etaCode >= 0 ? etaCode : (-1 - etaCode) * (1 - 1e-9) * s.ddimEtaMax(t, tp);
            const [A, B, C] = probeDdim(tr, impl, s, t, tp, eta, Float64Array.from(rnd));
            const K = s.Kom(t) + s.Kom(tp);
            const lbl = `T=${T} ${spacing} steps=${steps} t=${t}→${tp} η=${eta}`;
            tr.close(`${lbl}: mean coefficient √ᾱ_prev`, A, s.sab(tp), 16 * K * u, u);
            // σ_t(η): 1-ᾱ_t/ᾱ_prev cancels when computed by subtraction: relative 1/(1-ᾱ_t/ᾱ_prev).
            const sig = s.ddimSigma(t, tp, eta);
            const kr = tp === 0 ? 1 : 1 / s.oneMinusRatio(t, tp);
            // Var = B² + C² = 1-ᾱ_prev; the ε̂ cancellation adds u/√(1-ᾱ_t) to B. B = √(1-ᾱ_prev-σ²)
            // absorbs the error of the implementation's σ² as long as 1-ᾱ_prev-σ² ≥ 0; at η → η_max
            // (σ² → 1-ᾱ_prev) a computed σ² above 1-ᾱ_prev is clamped to B = 0, and then σ²'s own
            // error, 2·16(K+kr)u relative (twice the σ bound below), shows in the variance (issue 21:
            // float32, T=4, β_2 = 5e-6, t=2→1 at η = 0.999999999·η_max: kr = 2e5, error 7.72e-5
            // against the old bound 7.716e-5, which lacked the term).
            tr.close(`${lbl}: variance 1-ᾱ_prev`, B * B + C * C, s.omab(tp), 0, 32 * K * u / Math.min(1, s.somab(t)) + 32 * (K + kr) * u * sig * sig);
            tr.close(`${lbl}: noise scale σ_t(η)`, Math.abs(C), sig, 16 * (K + kr) * u, u);
          }
          // η = 1 on the full sequence: σ_t² = β̃_t (DDPM's posterior variance), for every t.
          if (T <= 120) {
            const full = impl.ddimTimesteps!(T, T, spacing);
            const fseq = [...full, 0];
            if (full.length !== T) tr.fail(`ddimTimesteps(${T}, ${T}, ${spacing}) has length ${full.length}`);
            for (let i = 0; i < T; i++) {
              const t = fseq[i];
              const tp = fseq[i + 1];
              if (t !== T - i || tp !== t - 1) tr.fail(`full sequence T=${T} ${spacing}: step ${i} is ${t}→${tp}, expected ${T - i}→${T - i - 1}`);
              const [, , C] = probeDdim(tr, impl, s, t, tp, 1, Float64Array.from(rnd));
              tr.close(`T=${T} full sequence η=1 t=${t}: σ_t² = β̃_t`, C * C, s.postVar(t), 32 * (s.Kom(t) + s.Kom(t - 1) + 1 / s.beta(t)) * u, u);
            }
          }
        },
      ),
      fcParams(100),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim (a): successor — strided samplers land exactly on the next timestep
// ---------------------------------------------------------------------------------------------

/** numpy's round (half to even), which diffusers' timestep spacings use. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The documented strided timesteps (1-based, descending): diffusers' DDIMScheduler spacings with
 * numpy's arithmetic (linspace values k·((T-1)/(steps-1)) with the end point exact, arange values
 * T - k·(T/steps), rounding half to even), shifted by +1 from diffusers' 0-based timesteps.
 */
export function expectedTimesteps(T: number, steps: number, spacing: Spacing): number[] {
  const out: number[] = [];
  if (spacing === 'leading') {
    const r = Math.floor(T / steps);
    for (let k = steps - 1; k >= 0; k--) out.push(k * r + 1);
  } else if (spacing === 'trailing') {
    const r = T / steps;
    for (let k = 0; k < steps; k++) out.push(roundHalfEven(T - k * r));
  } else {
    const step = steps > 1 ? (T - 1) / (steps - 1) : 0;
    for (let k = steps - 1; k >= 0; k--) out.push((k === steps - 1 && steps > 1 ? T - 1 : roundHalfEven(k * step)) + 1);
  }
  return out;
}

const successor: Claim = {
  id: 'core.successor',
  title: 'strided timesteps are strictly descending in {1..T} as documented for each spacing, and a DDIM step from timesteps[i] lands exactly on timesteps[i+1] (and on x_0 after the last): its output is the closed form with ᾱ of that timestep',
  catalog: 'claim 4 support (E2 strided subsequences)',
  requires: ['ddimTimesteps', 'ddimStep'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const betasCache = new Map<number, Float64Array>();
    assertProperty(this.id,
      fc.property(
        // steps uniform in {1..T} (an integer draw: fast-check's doubles favour 0 and 1, which
        // would make steps ∈ {1, T}, the two cases where every successor is trivially right).
        fc.integer({ min: 1, max: 1000 }).chain((T) => fc.tuple(fc.constant(T), fc.integer({ min: 1, max: T }))),
        fc.constantFrom(...SPACINGS),
        dbl(0, 1),
        fc.integer({ min: 0, max: 2 ** 30 }),
        ([T, steps], spacing, eta, seed) => {
          const ts = Array.from(impl.ddimTimesteps!(T, steps, spacing));
          const lbl = `ddimTimesteps(${T}, ${steps}, '${spacing}')`;
          if (ts.length !== steps) tr.fail(`${lbl}: length ${ts.length}, expected ${steps}`);
          for (let i = 0; i < ts.length; i++) {
            if (!Number.isInteger(ts[i]) || ts[i] < 1 || ts[i] > T) tr.fail(`${lbl}[${i}] = ${ts[i]} not an integer in {1..${T}}`);
            if (i > 0 && !(ts[i] < ts[i - 1])) tr.fail(`${lbl}: not strictly descending at ${i} (${ts[i - 1]}, ${ts[i]})`);
          }
          const want = expectedTimesteps(T, steps, spacing);
          for (let i = 0; i < steps; i++) if (ts[i] !== want[i]) tr.fail(`${lbl}[${i}] = ${ts[i]}, documented ${want[i]} (full: ${want.slice(0, 6).join(', ')}…)`);
          tr.cases++;
          // Steps land on the successor: compare with the closed form using ᾱ of timesteps[i+1].
          let betas = betasCache.get(T);
          if (!betas) {
            betas = linearBetas(T, 1e-4, Math.min(0.02 * Math.max(1, 1000 / T), 0.5));
            betasCache.set(T, betas);
          }
          const s = new Sched(betas);
          const rng = new Rng(seed);
          const seq = [...ts, 0];
          const idx = new Set<number>([0, seq.length - 2, rng.int(seq.length - 1), rng.int(seq.length - 1)]);
          for (const i of idx) {
            const t = seq[i];
            const tp = seq[i + 1];
            const x0 = rng.normals(3);
            const xt = rng.normals(3);
            const z = rng.normals(3);
            const out = impl.ddimStep!(betas, xt, t, tp, x0, { eta, noise: z, prediction: 'x0' });
            const sig = s.ddimSigma(t, tp, eta);
            const c = Math.sqrt(Math.max(0, s.omab(tp) - sig * sig));
            const want = vec(3, (k) => s.sab(tp) * x0[k] + c * ((xt[k] - s.sab(t) * x0[k]) / s.somab(t)) + sig * z[k]);
            const K = s.Kom(t) + s.Kom(tp) + (tp === 0 ? 0 : 1 / s.oneMinusRatio(t, tp));
            closeVec(tr, `T=${T} ${spacing} steps=${steps}: step ${t}→${tp} (η=${eta}) equals the closed form with ᾱ_${tp}`, out, want, vec(3, (k) => (32 * K * u * (1 + Math.abs(xt[k]) + Math.abs(x0[k]) + Math.abs(z[k]))) / s.somab(t)));
          }
        },
      ),
      fcParams(300),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim (b): exact moment propagation of the DDPM step with the exact oracle for N(0, I) data
// ---------------------------------------------------------------------------------------------

/**
 * For x_0 ~ N(0, I): x_t ~ N(0, I) for every t, E[x_0|x_t] = √ᾱ_t x_t, E[ε|x_t] = √(1-ᾱ_t) x_t.
 * The posterior-mean step then has μ = (C1 coefficients) = √α_t·x_t exactly:
 *   √ᾱ_{t-1}β_t/(1-ᾱ_t)·√ᾱ_t + √α_t(1-ᾱ_{t-1})/(1-ᾱ_t) = √α_t(ᾱ_{t-1}β_t + 1-ᾱ_{t-1})/(1-ᾱ_t) = √α_t,
 * so Var x_{t-1} = α_t + σ_t². With σ_t² = β_t ("fixedlarge") this is exactly 1 — the reverse
 * kernel then equals the true q(x_{t-1}|x_t) = N(√α_t x_t, β_t I) for N(0, I) data. With
 * σ_t² = β̃_t ("fixedsmall") it is 1 - β_t²ᾱ_{t-1}/(1-ᾱ_t) < 1. At t = 1 no noise is added, so
 * Var x_0 = α_1 for both. (The team brief guessed β̃_t gives exactly 1; the issue's σ_t² = β_t is
 * the correct statement.)
 */
const exactMomentPropagation: Claim = {
  id: 'core.exact-moment-propagation',
  title: 'for N(0,I) data and the exact oracle (ε̂ = √(1-ᾱ_t) x_t, x̂_0 = √ᾱ_t x_t), every DDPM step maps x_t ~ N(0,I) to mean coefficient √α_t and variance α_t + σ_t²: exactly 1 for σ_t² = β_t, 1 - β_t²ᾱ_{t-1}/(1-ᾱ_t) for β̃_t, α_1 at t = 1 (no noise)',
  catalog: 'claim 7 support (E1, D4)',
  requires: ['ddpmStep'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const schedules: [string, Float64Array][] = [
      ['linear T=1000', linearBetas(1000)],
      ['cosine T=200', cosineBetas(200)],
      ['linear T=10 (0.05..0.5)', linearBetas(10, 0.05, 0.5)],
      ['constant β=0.9 T=5', new Float64Array(5).fill(0.9)],
    ];
    for (const [name, betas] of schedules) {
      const s = new Sched(betas);
      const T = betas.length;
      for (const variance of ['beta', 'posterior'] as const) {
        for (const prediction of ['eps', 'x0'] as const) {
          let V = 1; // propagated variance, starting from x_T ~ N(0, I)
          let Kacc = 0;
          for (let t = T; t >= 1; t--) {
            const oracle = (x: number) => (prediction === 'eps' ? s.somab(t) * x : s.sab(t) * x);
            const step = (x: number, z: number) =>
              scalarOut(tr, `ddpmStep(t=${t})`, impl.ddpmStep!(betas, one(x), t, one(oracle(x)), { prediction, variance, noise: one(z), clip: false }));
            const Kc = step(1, 0);
            const S = step(0, 1);
            const O = step(0, 0);
            const lbl = `${name} ${variance}/${prediction} t=${t}`;
            tr.close(`${lbl}: offset`, O, 0, 0, u);
            const xr = 0.7;
            const zr = -1.3;
            // Kom(t)/α_t: the ε-form divides by √α_t and the x̂_0 form by 1-ᾱ_t.
            const K = 32 * (s.Kom(t) + s.Kom(t - 1)) * u / s.alpha(t);
            tr.close(`${lbl}: affine`, step(xr, zr), Kc * xr + S * zr, 0, K * 4);
            tr.close(`${lbl}: mean coefficient √α_t`, Kc, Math.sqrt(s.alpha(t)), K, 0);
            const sig2 = t === 1 ? 0 : variance === 'beta' ? s.beta(t) : s.postVar(t);
            tr.close(`${lbl}: σ_t² (${t === 1 ? 'no noise at t = 1' : variance === 'beta' ? 'β_t' : 'β̃_t'})`, S * S, sig2, K, u);
            const out = Kc * Kc + S * S;
            const want = t === 1 ? s.alpha(1) : variance === 'beta' ? 1 : 1 - (s.beta(t) ** 2 * s.ab(t - 1)) / s.omab(t);
            tr.close(`${lbl}: Var x_{t-1} for Var x_t = 1`, out, want, 0, 2 * K);
            Kacc += 2 * K;
            if (variance === 'beta') {
              // Along the whole chain (the oracle is exact for unit variance): stays 1 until x_0.
              V = Kc * Kc * V + S * S;
              tr.close(`${lbl}: chained Var x_{t-1}`, V, t === 1 ? s.alpha(1) : 1, 0, Kacc);
            }
          }
        }
      }
    }
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 6: parameterization round trips (D1-D3) and μ_θ agreement (D4)
// ---------------------------------------------------------------------------------------------

const clip1 = (x: number) => Math.min(1, Math.max(-1, x));

const parameterizationRoundTrips: Claim = {
  id: 'core.parameterization-round-trips',
  title: 'x̂_0↔ε (D1), v↔(ε, x_0) (D2) and score↔ε with Tweedie (D3) are exact inverses with the documented formulas, and ddpmStep\'s mean μ_θ is the same for ε-, x_0- and v-prediction of one denoiser, equals the posterior mean at x̂_0 (D4), and uses the clipped x̂_0 when clip is set',
  catalog: 'claim 6 (D1-D4)',
  requires: ['predictX0FromEps', 'predictEpsFromX0', 'vFromEpsX0', 'epsFromV', 'x0FromV', 'scoreFromEps', 'ddpmStep', 'qPosterior'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const d = 4;
    assertProperty(this.id,
      fc.property(withT(arbSchedule({ maxT: 400, maxBeta: 0.2 })), arbVec(d, 3), arbVec(d, 4), arbVec(d, 4), ([betas, t], x0, eps, epsHat) => {
        const s = new Sched(betas);
        const T = betas.length;
        const sa = s.sab(t);
        const so = s.somab(t);
        if (!(sa > 1e-4)) return; // x̂_0 from ε divides by √ᾱ_t: skip hopeless conditioning (documented)
        const K = s.Kom(t);
        const lbl = `T=${T} t=${t}`;
        const xt = vec(d, (i) => sa * x0[i] + so * eps[i]);
        const sc = vec(d, (i) => 1 + Math.abs(xt[i]) + Math.abs(x0[i]) + Math.abs(eps[i]));
        // D1: x̂_0 = (x_t - √(1-ᾱ)ε)/√ᾱ (error amplified by 1/√ᾱ_t) and ε = (x_t - √ᾱ x_0)/√(1-ᾱ)
        // (amplified by 1/√(1-ᾱ_t)).
        const x0b = impl.predictX0FromEps!(betas, xt, t, eps);
        closeVec(tr, `${lbl}: predictX0FromEps recovers x_0 (D1)`, x0b, x0, vec(d, (i) => (16 * K * u * sc[i]) / sa));
        const epsb = impl.predictEpsFromX0!(betas, xt, t, x0);
        closeVec(tr, `${lbl}: predictEpsFromX0 recovers ε (D1)`, epsb, eps, vec(d, (i) => (16 * K * u * sc[i]) / so));
        const rt = impl.predictEpsFromX0!(betas, xt, t, x0b);
        closeVec(tr, `${lbl}: ε → x̂_0 → ε round trip`, rt, eps, vec(d, (i) => (16 * K * u * sc[i]) * (1 / so + 1 / (sa * so))));
        // D2: v = √ᾱ ε - √(1-ᾱ) x_0; ε = √ᾱ v + √(1-ᾱ) x_t; x_0 = √ᾱ x_t - √(1-ᾱ) v.
        const vTrue = vec(d, (i) => sa * eps[i] - so * x0[i]);
        const vb = impl.vFromEpsX0!(betas, xt, t, eps);
        closeVec(tr, `${lbl}: vFromEpsX0 = √ᾱ ε - √(1-ᾱ) x_0 (D2)`, vb, vTrue, vec(d, (i) => (16 * K * u * sc[i]) / sa));
        closeVec(tr, `${lbl}: epsFromV recovers ε (D2)`, impl.epsFromV!(betas, xt, t, vTrue), eps, vec(d, (i) => 16 * K * u * (sc[i] + Math.abs(vTrue[i]))));
        closeVec(tr, `${lbl}: x0FromV recovers x_0 (D2)`, impl.x0FromV!(betas, xt, t, vTrue), x0, vec(d, (i) => 16 * K * u * (sc[i] + Math.abs(vTrue[i]))));
        // D3: s = -ε/√(1-ᾱ); Tweedie x̂_0 = (x_t + (1-ᾱ)s)/√ᾱ.
        const score = impl.scoreFromEps!(betas, xt, t, eps);
        closeVec(tr, `${lbl}: scoreFromEps = -ε/√(1-ᾱ_t) (D3)`, score, vec(d, (i) => -eps[i] / so), vec(d, (i) => (16 * K * u * Math.abs(eps[i])) / so));
        closeVec(tr, `${lbl}: Tweedie (x_t + (1-ᾱ)s)/√ᾱ = x_0 (D3)`, vec(d, (i) => (xt[i] + s.omab(t) * score[i]) / sa), x0, vec(d, (i) => (32 * K * u * sc[i]) / sa));

        // D4: one denoiser (ε̂ arbitrary) in three parameterizations; μ_θ through ddpmStep with zero
        // noise. Expected: C1 posterior mean at x̂_0 (004 eq. 52) = the ε-form (004 eq. 58).
        const x0Hat = vec(d, (i) => (xt[i] - so * epsHat[i]) / sa);
        const vHat = vec(d, (i) => sa * epsHat[i] - so * x0Hat[i]);
        const [c0, c1] = s.postCoefs(t);
        const mu = vec(d, (i) => c0 * x0Hat[i] + c1 * xt[i]);
        // Error: the conversions carry Kom·u·scale/√ᾱ (x̂_0) or /√(1-ᾱ) (ε̂); C1 multiplies x̂_0 by
        // √ᾱ_{t-1}β/(1-ᾱ) and the ε-form divides by √α_t.
        const scD = vec(d, (i) => 1 + Math.abs(xt[i]) + Math.abs(epsHat[i]) + Math.abs(x0Hat[i]) * s.sab(t - 1) + Math.abs(vHat[i]));
        const tolD = vec(d, (i) => (64 * (K + s.Kom(t - 1)) * u * scD[i]) / (Math.sqrt(s.alpha(t)) * Math.min(sa, so)));
        for (const variance of ['beta', 'posterior'] as const) {
          const z = zeros(d);
          const outs: [Prediction, Arr][] = [
            ['eps', impl.ddpmStep!(betas, xt, t, epsHat, { prediction: 'eps', variance, noise: z, clip: false })],
            ['x0', impl.ddpmStep!(betas, xt, t, x0Hat, { prediction: 'x0', variance, noise: z, clip: false })],
            ['v', impl.ddpmStep!(betas, xt, t, vHat, { prediction: 'v', variance, noise: z, clip: false })],
          ];
          for (const [p, o] of outs) closeVec(tr, `${lbl} ${variance}: μ_θ from ${p}-prediction = C1 mean at x̂_0 (D4)`, o, mu, tolD);
        }
        const post = impl.qPosterior!(betas, x0Hat, xt, t);
        closeVec(tr, `${lbl}: qPosterior mean at x̂_0 = μ_θ`, post.mean, mu, tolD);
        // Clipping: with clip, x̂_0 is clipped to [-1, 1] before forming the mean (for every
        // parameterization, since all go through x̂_0).
        const muClip = vec(d, (i) => c0 * clip1(x0Hat[i]) + c1 * xt[i]);
        for (const [p, m] of [['eps', epsHat], ['x0', x0Hat], ['v', vHat]] as [Prediction, Float64Array][]) {
          const o = impl.ddpmStep!(betas, xt, t, m, { prediction: p, variance: 'posterior', noise: zeros(d), clip: true });
          // Near the clip boundary an ulp of x̂_0 can decide clipped-or-not: allow that case's
          // mean difference (≤ c0·|x̂_0 error|, already inside tolD's scale).
          closeVec(tr, `${lbl}: μ_θ with clip from ${p}-prediction uses clip(x̂_0)`, o, muClip, tolD);
        }
      }),
      fcParams(400),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim (c): parameterization equivalence along whole trajectories
// ---------------------------------------------------------------------------------------------

/**
 * The exact denoiser for data N(μ, s²) (per coordinate): with D = ᾱs² + 1-ᾱ,
 * x̂_0 = μ + √ᾱ s²/D·(x_t - √ᾱ μ), ε̂ = √(1-ᾱ)(x_t - √ᾱ μ)/D, v̂ = √ᾱ ε̂ - √(1-ᾱ) x̂_0 — each in a
 * form without cancellation.
 */
function gaussianOracle(s: Sched, t: number, mu: Float64Array, sd: Float64Array, xt: ArrayLike<number>): { eps: Float64Array; x0: Float64Array; v: Float64Array } {
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

const parameterizationEquivalence: Claim = {
  id: 'core.parameterization-equivalence',
  title: 'the same analytic denoiser given as ε-, x_0- or v-prediction produces the same DDPM and DDIM trajectories (same noise) to (trajectory condition)·u (≈1e-11 in float64)',
  catalog: 'claim 6/7 support (D1, D2, D4, E1, E2)',
  requires: ['ddpmStep', 'ddimStep', 'ddimTimesteps'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const d = 3;
    assertProperty(this.id,
      fc.property(
        fc.oneof(fc.integer({ min: 2, max: 100 }).map((T) => linearBetas(T, 1e-4, Math.min(0.5, 20 / T))), fc.integer({ min: 2, max: 100 }).map((T) => cosineBetas(T))),
        arbVec(d, 1),
        fc.array(dbl(0.1, 2), { minLength: d, maxLength: d }).map((a) => Float64Array.from(a)),
        fc.constantFrom('beta', 'posterior') as fc.Arbitrary<'beta' | 'posterior'>,
        fc.constantFrom(...SPACINGS),
        fc.integer({ min: 1, max: 100 }),
        fc.oneof(fc.constant(0), fc.constant(1), dbl(0, 1)),
        fc.integer({ min: 0, max: 2 ** 30 }),
        (betas, mu, sd, variance, spacing, stepsWanted, eta, seed) => {
          const s = new Sched(betas);
          const T = betas.length;
          // cosine's β_T = 0.999 puts ᾱ_T near 0: ε-prediction's x̂_0 divides by √ᾱ_T. The per-step
          // error is ≤ c·Kom(t)·u·scale/min(√ᾱ_t, √(1-ᾱ_t), √α_t); errors add along the chain
          // (each step is a contraction up to the data scale max(1, s)).
          let cond = 0;
          for (let t = 1; t <= T; t++) cond += (s.Kom(t) + s.Kom(t - 1)) / Math.min(s.sab(t), s.somab(t), Math.sqrt(s.alpha(t)));
          const amp = Math.max(1, ...Array.from(sd));
          const rng = new Rng(seed);
          const xT = rng.normals(d);
          // DDPM
          const noises = Array.from({ length: T + 1 }, () => rng.normals(d));
          const traj: Record<Prediction, Float64Array> = { eps: xT, x0: xT, v: xT };
          let scale = maxAbs(xT);
          for (let t = T; t >= 1; t--) {
            for (const p of ['eps', 'x0', 'v'] as Prediction[]) {
              const o = gaussianOracle(s, t, mu, sd, traj[p]);
              traj[p] = Float64Array.from(impl.ddpmStep!(betas, traj[p], t, o[p], { prediction: p, variance, noise: noises[t], clip: false }));
            }
            scale = Math.max(scale, maxAbs(traj.eps, noises[t]));
            const tol = 64 * cond * amp * u * (1 + scale);
            closeVec(tr, `DDPM T=${T} ${variance} t=${t}: x0- vs ε-prediction`, traj.x0, traj.eps, tol);
            closeVec(tr, `DDPM T=${T} ${variance} t=${t}: v- vs ε-prediction`, traj.v, traj.eps, tol);
          }
          // DDIM on a strided subsequence.
          const steps = Math.min(T, stepsWanted);
          const ts = [...impl.ddimTimesteps!(T, steps, spacing), 0];
          const traj2: Record<Prediction, Float64Array> = { eps: xT, x0: xT, v: xT };
          scale = maxAbs(xT);
          for (let i = 0; i + 1 < ts.length; i++) {
            const z = rng.normals(d);
            for (const p of ['eps', 'x0', 'v'] as Prediction[]) {
              const o = gaussianOracle(s, ts[i], mu, sd, traj2[p]);
              traj2[p] = Float64Array.from(impl.ddimStep!(betas, traj2[p], ts[i], ts[i + 1], o[p], { eta, noise: z, prediction: p }));
            }
            scale = Math.max(scale, maxAbs(traj2.eps, z));
            const tol = 64 * cond * amp * u * (1 + scale);
            closeVec(tr, `DDIM T=${T} ${spacing} η=${eta} ${ts[i]}→${ts[i + 1]}: x0- vs ε-prediction`, traj2.x0, traj2.eps, tol);
            closeVec(tr, `DDIM T=${T} ${spacing} η=${eta} ${ts[i]}→${ts[i + 1]}: v- vs ε-prediction`, traj2.v, traj2.eps, tol);
          }
        },
      ),
      fcParams(100),
    );
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 12: discretized decoder normalization; KL properties
// ---------------------------------------------------------------------------------------------

/**
 * erfc to a few ulps absolutely (and relatively for x ≥ 3), written here so that the decoder claim
 * does not lean on the implementation's (or the harness's) normal CDF. For 0 ≤ x < 3:
 * 1 - erf(x) with the all-positive series erf(x) = (2/√π)e^{-x²} Σ_n 2^n x^{2n+1}/(1·3·…·(2n+1));
 * for x ≥ 3: the continued fraction erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
 * (modified Lentz), which converges fast there; erfc(-x) = 2 - erfc(x).
 * (The harness's erfc loses ≈7e-14 relative near x = 0.5, where its continued fraction converges
 * slowly: too coarse for bin probabilities checked at 16u.)
 */
function erfcOwn(x: number): number {
  if (x < 0) return 2 - erfcOwn(-x);
  if (x < 3) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  const tiny = 1e-300;
  let f = x;
  let C = x;
  let D = 0;
  for (let n = 1; n < 300; n++) {
    const an = n / 2;
    D = x + an * D;
    D = D === 0 ? tiny : 1 / D;
    C = x + an / C;
    if (C === 0) C = tiny;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Φ(b) - Φ(a) for a < b (±∞ allowed), without cancellation in either tail. */
function normalInterval(a: number, b: number): number {
  const Q = (z: number) => (z === Infinity ? 0 : z === -Infinity ? 2 : erfcOwn(z / Math.SQRT2)); // 2·(1-Φ(z))
  if (a >= 0) return 0.5 * (Q(a) - Q(b));
  if (b <= 0) return 0.5 * (Q(-b) - Q(-a));
  return 1 - 0.5 * Q(-a) - 0.5 * Q(b);
}

const phi = (z: number) => (Number.isFinite(z) ? Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) : 0);

const BIN_CENTERS = vec(256, (k) => -1 + (2 * k) / 255);

const decoderNormalization: Claim = {
  id: 'core.decoder-normalization',
  title: 'the 256 discretized-Gaussian bin probabilities (bins of width 2/255 on [-1,1], open edge bins) sum to 1 for means inside and beyond [-1,1] and log scales from tiny to large, and each interior bin is Φ(b)-Φ(a)',
  catalog: 'claim 12 (F3)',
  requires: ['discretizedGaussianLogLikelihood'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const check = (m: number, ls: number) => {
      const lp = impl.discretizedGaussianLogLikelihood!(BIN_CENTERS, new Float64Array(256).fill(m), new Float64Array(256).fill(ls));
      if (lp.length !== 256) tr.fail(`expected 256 log-probabilities, got ${lp.length}`);
      let sum = 0;
      let edgeTol = 0;
      const sc = Math.exp(ls);
      for (let k = 0; k < 256; k++) {
        if (Number.isNaN(lp[k]) || lp[k] > 4 * u) tr.fail(`mean=${m} logScale=${ls}: log p of bin ${k} = ${lp[k]}`);
        const p = Math.exp(lp[k]);
        sum += p;
        // Each bin: Φ((x+1/255-m)/σ) - Φ((x-1/255-m)/σ), edges open. Absolute error of a CDF
        // difference is a few u (CDF values ≤ 1); 16u covers exp(log p) too.
        const lo = k === 0 ? -Infinity : (BIN_CENTERS[k] - 1 / 255 - m) / sc;
        const hi = k === 255 ? Infinity : (BIN_CENTERS[k] + 1 / 255 - m) / sc;
        const want = normalInterval(lo, hi);
        // An edge z = (x ± 1/255 - m)/σ is formed with absolute error ≈ 4u(1+|x|+|m|)/σ, which moves
        // the bin mass by φ(z) times that: large for tiny σ, so it enters the bound.
        const edge = (4 * u * (1 + Math.abs(BIN_CENTERS[k]) + Math.abs(m))) / sc;
        tr.close(`mean=${m} logScale=${ls}: probability of bin ${k}`, p, want, 16 * u, 16 * u + edge * (phi(lo) + phi(hi)));
        edgeTol += edge * (phi(lo) + phi(hi));
      }
      // 256 terms each within 16u, plus 256u for the summation. The masses telescope to 1 only up
      // to the rounding of the shared edges: bin k's upper edge and bin k+1's lower edge are
      // formed separately, each off by the edge error above (amplified by 1/σ).
      tr.close(`mean=${m} logScale=${ls}: Σ bins`, sum, 1, 0, 256 * 20 * u + edgeTol);
    };
    for (const m of [-3, -1.0001, -1, -0.999, 0, 0.5, 1, 1 + 1 / 255, 2.5]) for (const ls of [-12, -7, -5, -3, 0, 3]) check(m, ls);
    assertProperty(this.id,
      fc.property(dbl(-3, 3), dbl(-12, 4), (m, ls) => check(m, ls)),
      fcParams(100),
    );
    return tr.result();
  },
};

/** KL(N(m1, e^{l1}) ‖ N(m2, e^{l2})) = ½[l2 - l1 - 1 + e^{l1-l2} + (m1-m2)² e^{-l2}], accurate for l1 ≈ l2. */
function klOwn(m1: number, l1: number, m2: number, l2: number): number {
  const dl = l1 - l2;
  return 0.5 * (Math.expm1(dl) - dl + (m1 - m2) ** 2 * Math.exp(-l2));
}

const klProperties: Claim = {
  id: 'core.kl-properties',
  title: 'normalKl is KL(N(m1,e^{lv1}) ‖ N(m2,e^{lv2})) = ½[lv2-lv1-1+e^{lv1-lv2}+(m1-m2)²e^{-lv2}] in nats: ≥ 0, = 0 for equal arguments, > 0 otherwise, and not symmetric in its arguments',
  catalog: 'claim 12 (C5, F2)',
  requires: ['normalKl'],
  falseAlarmRate: 0,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    const n = 6;
    assertProperty(this.id,
      fc.property(arbVec(n, 10), arbVec(n, 10), arbVec(n, 15), arbVec(n, 15), fc.integer({ min: 0, max: n }), (m1, m2, l1, l2, nEqual) => {
        // The first nEqual entries compare a distribution with itself.
        for (let i = 0; i < nEqual; i++) {
          m2[i] = m1[i];
          l2[i] = l1[i];
        }
        const kl = impl.normalKl!(m1, l1, m2, l2);
        if (kl.length !== n) tr.fail(`normalKl: ${kl.length} outputs for ${n} inputs`);
        for (let i = 0; i < n; i++) {
          const want = klOwn(m1[i], l1[i], m2[i], l2[i]);
          // Forming lv2-lv1-1+e^{Δ} by plain sums loses ≈ u·(|lv1|+|lv2|+1+e^{Δ}) absolutely.
          const tol = 16 * u * (1 + Math.abs(l1[i]) + Math.abs(l2[i]) + Math.exp(l1[i] - l2[i]) + (m1[i] - m2[i]) ** 2 * Math.exp(-l2[i]));
          tr.close(`KL(N(${m1[i]}, e^${l1[i]}) ‖ N(${m2[i]}, e^${l2[i]}))`, kl[i], want, 0, tol);
          if (!(kl[i] >= -tol)) tr.fail(`KL < 0: ${kl[i]}`);
          if (i < nEqual) tr.close('KL(p ‖ p) = 0', kl[i], 0, 0, tol);
          else if (want > 2 * tol && !(kl[i] > 0)) tr.fail(`KL = ${kl[i]} for distinct distributions (expected ${want} > 0)`);
        }
      }),
      fcParams(500),
    );
    // Asymmetry: KL(N(0,1) ‖ N(0,4)) = ½(log 4 - 1 + 1/4) ≠ KL(N(0,4) ‖ N(0,1)) = ½(-log 4 - 1 + 4).
    const kl = impl.normalKl!([0, 0], [0, Math.log(4)], [0, 0], [Math.log(4), 0]);
    tr.close('KL(N(0,1) ‖ N(0,4))', kl[0], 0.5 * (Math.log(4) - 0.75), 16 * u, 16 * u);
    tr.close('KL(N(0,4) ‖ N(0,1))', kl[1], 0.5 * (3 - Math.log(4)), 16 * u, 16 * u);
    return tr.result();
  },
};

// ---------------------------------------------------------------------------------------------
// Claim 5: ELBO decomposition
// ---------------------------------------------------------------------------------------------

/**
 * Gauss-Hermite rule for E[f(Z)], Z ~ N(0, 1) (probabilists' weight), by Golub-Welsch: the nodes
 * are the eigenvalues of the Jacobi matrix with off-diagonal √k, the weights the squared first
 * components of its normalized eigenvectors (ml-matrix's symmetric eigen-solver).
 */
function gaussHermite(n: number): { x: number[]; w: number[] } {
  const J = Matrix.zeros(n, n);
  for (let k = 1; k < n; k++) {
    J.set(k - 1, k, Math.sqrt(k));
    J.set(k, k - 1, Math.sqrt(k));
  }
  const e = new EigenvalueDecomposition(J, { assumeSymmetric: true });
  const V = e.eigenvectorMatrix;
  const x = e.realEigenvalues.slice();
  const w = x.map((_, i) => {
    let nn = 0;
    for (let r = 0; r < n; r++) nn += V.get(r, i) ** 2;
    return V.get(0, i) ** 2 / nn;
  });
  const sw = w.reduce((a, b) => a + b, 0);
  return { x, w: w.map((v) => v / sw) };
}

const LOG2PI = Math.log(2 * Math.PI);
const logNormal = (x: number, m: number, v: number) => -0.5 * (LOG2PI + Math.log(v) + ((x - m) * (x - m)) / v);

/** log P(bin of 8-bit x) under N(m, e^{2 ls}), open edge bins (F3), computed here from erfc. */
function logDecoderOwn(x: number, m: number, ls: number): number {
  const k = Math.round((x + 1) * 127.5);
  const sc = Math.exp(ls);
  const lo = (x - 1 / 255 - m) / sc;
  const hi = (x + 1 / 255 - m) / sc;
  return Math.log(normalInterval(k === 0 ? -Infinity : lo, k === 255 ? Infinity : hi));
}

/** KL(N(m, v) ‖ N(0, 1)) (the prior term L_T per coordinate), with log v and v - 1 - log v stable. */
function priorKl(m: number, v: number): number {
  return 0.5 * (v - 1 - Math.log(v) + m * m);
}

/**
 * E over ε ~ N(0, I_d) of a function quadratic in ε (no cross terms needed to vanish: their mean is
 * 0): E f = f(0) + Σ_i [(f(e_i) + f(-e_i))/2 - f(0)]. Exact for any quadratic.
 */
function quadraticExpectation(f: (eps: Float64Array) => number, d: number): number {
  const f0 = f(zeros(d));
  let e = f0;
  for (let i = 0; i < d; i++) {
    const p = zeros(d);
    p[i] = 1;
    const m = zeros(d);
    m[i] = -1;
    e += (f(p) + f(m)) / 2 - f0;
  }
  return e;
}

/** The exact ε-oracle for N(mu, sd²) data as an EpsModel. */
function oracleModel(s: Sched, mu: Float64Array, sd: Float64Array) {
  return (xt: Float64Array, t: number): Float64Array => gaussianOracle(s, t, mu, sd, xt).eps;
}

/** μ_θ(x_t, t) = C1 at the oracle's x̂_0 (own arithmetic). */
function oracleMean(s: Sched, t: number, mu: Float64Array, sd: Float64Array, xt: Float64Array): Float64Array {
  const x0 = gaussianOracle(s, t, mu, sd, xt).x0;
  const [c0, c1] = s.postCoefs(t);
  return vec(xt.length, (i) => c0 * x0[i] + c1 * xt[i]);
}

const elboDecomposition: Claim = {
  id: 'core.elbo-decomposition',
  title: 'Monte Carlo of log q(x_{1:T}|x_0)/p_θ(x_{0:T}) equals the prior term plus the expectations of vbTerms (F1); for Gaussian data with Gaussian reverse kernels ELBO ≤ log p_θ(x_0) exactly, with gap KL(q(x_{1:T}|x_0) ‖ p_θ(x_{1:T}|x_0)) ≥ 0',
  catalog: 'claim 5 (F1, F2, F3, C4, C5)',
  requires: ['vbTerms'],
  falseAlarmRate: FALSE_ALARM_RATE,
  heavy: true,
  run(impl) {
    const tr = new ErrorTracker(this.id, underflowFloor(impl));
    const u = unitRoundoff(impl);
    // The contract of vbTerms (interface.ts): ε-prediction model, reverse variance σ_t² = β̃_t for
    // t ≥ 2 (improved-diffusion's "fixedsmall" default), decoder N(μ_θ(x_1), e^{log β̃ clipped at 1})
    // discretized over 8-bit bins, result in bits/dim. The Monte Carlo side below builds p_θ with
    // exactly these kernels from their definitions.
    const gh = gaussHermite(64);
    const m2 = gh.x.reduce((a, x, i) => a + gh.w[i] * x * x, 0);
    const m4 = gh.x.reduce((a, x, i) => a + gh.w[i] * x ** 4, 0);
    if (Math.abs(m2 - 1) > 1e-10 || Math.abs(m4 - 3) > 1e-9) tr.fail(`Gauss-Hermite rule broken (E Z² = ${m2}, E Z⁴ = ${m4})`);

    // (i) Monte Carlo vs analytic sum, 8-bit data, affine model (the exact oracle for N(μ, s²) data,
    // which is not the data's distribution: any affine model keeps the t ≥ 2 terms quadratic).
    const configs = [
      { betas: linearBetas(8, 0.01, 0.3), x0: Float64Array.of(-1 + 80 / 255, -1 + 400 / 255), mu: Float64Array.of(0, 0.2), sd: Float64Array.of(0.6, 0.4) },
      { betas: linearBetas(5, 0.05, 0.6), x0: Float64Array.of(-1, 1 - 10 / 255), mu: Float64Array.of(-0.5, 0.5), sd: Float64Array.of(1, 0.5) },
    ];
    const N = 40000;
    const zMax = zTwoSided(bonferroni(FALSE_ALARM_RATE, configs.length));
    const rng = new Rng(FC_SEED + 5);
    const notes: string[] = [];
    for (const [ci, cfg] of configs.entries()) {
      const s = new Sched(cfg.betas);
      const T = s.T;
      const d = cfg.x0.length;
      const model = oracleModel(s, cfg.mu, cfg.sd);
      const lsDec = 0.5 * s.postLogVarClipped(1);
      // Analytic side: prior + Σ_t E_ε[vbTerms(t, ε)] (nats).
      let analytic = 0;
      for (let i = 0; i < d; i++) analytic += priorKl(s.sab(T) * cfg.x0[i], s.omab(T));
      const vb = (t: number, eps: Float64Array) => impl.vbTerms!(cfg.betas, model, cfg.x0, t, eps) * d * Math.LN2;
      for (let t = 2; t <= T; t++) analytic += quadraticExpectation((e) => vb(t, e), d);
      // t = 1: the decoder NLL is a sum of per-coordinate functions of ε_i (elementwise model), so
      // E f = Σ_i E f(ε_i e_i) - (d-1) f(0), each a 1-d Gauss-Hermite integral.
      const f0 = vb(1, zeros(d));
      let dec = -(d - 1) * f0;
      for (let i = 0; i < d; i++) {
        for (let k = 0; k < gh.x.length; k++) {
          const e = zeros(d);
          e[i] = gh.x[k];
          dec += gh.w[k] * vb(1, e);
        }
      }
      analytic += dec;
      // Monte Carlo side: trajectories from q(x_{1:T}|x_0), log q - log p_θ from the definitions.
      let sum = 0;
      let sumSq = 0;
      const xs = Array.from({ length: T + 1 }, () => zeros(d));
      xs[0].set(cfg.x0);
      for (let n = 0; n < N; n++) {
        let L = 0;
        for (let t = 1; t <= T; t++) {
          const sa = Math.sqrt(s.alpha(t));
          const sb = Math.sqrt(s.beta(t));
          for (let i = 0; i < d; i++) {
            xs[t][i] = sa * xs[t - 1][i] + sb * rng.normal();
            L += logNormal(xs[t][i], sa * xs[t - 1][i], s.beta(t));
          }
        }
        for (let i = 0; i < d; i++) L -= logNormal(xs[T][i], 0, 1);
        for (let t = 2; t <= T; t++) {
          const m = oracleMean(s, t, cfg.mu, cfg.sd, xs[t]);
          for (let i = 0; i < d; i++) L -= logNormal(xs[t - 1][i], m[i], s.postVar(t));
        }
        const m1 = oracleMean(s, 1, cfg.mu, cfg.sd, xs[1]);
        for (let i = 0; i < d; i++) L -= logDecoderOwn(cfg.x0[i], m1[i], lsDec);
        sum += L;
        sumSq += L * L;
      }
      const mean = sum / N;
      const se = Math.sqrt((sumSq / N - mean * mean) / (N - 1));
      const z = Math.abs(mean - analytic) / se;
      tr.atMost(`config ${ci} (T=${T}, d=${d}): |MC - (prior + Σ E vbTerms)|/SE [MC ${mean.toFixed(4)} ± ${se.toFixed(4)} nats, analytic ${analytic.toFixed(4)}]`, z, zMax);
      notes.push(`MC ${mean.toFixed(3)}±${se.toFixed(3)} vs ${analytic.toFixed(3)} nats (z=${z.toFixed(2)})`);
    }

    const ex = new ErrorTracker(this.id, underflowFloor(impl));
    // (ii) Gaussian data, exact log p_θ(x_0). p_θ: x_T ~ N(0,1), x_{t-1} | x_t ~ N(μ_θ(x_t), β̃_t)
    // for t ≥ 2, and a *continuous* decoder x_0 | x_1 ~ N(μ_θ(x_1), σ_1²) with σ_1² = β̃_2 (the
    // clipped variance the discretized decoder uses): the discretized decoder has no density on R,
    // so log p_θ(x_0) is exact only with a continuous one. Its term L_0 is computed here; the t ≥ 2
    // terms come from vbTerms (exact expectations: quadratic in ε).
    assertProperty(this.id,
      fc.property(
        arbSchedule({ minT: 2, maxT: 10, minBeta: 0.01, maxBeta: 0.6 }),
        dbl(-1, 1),
        dbl(0.2, 2),
        dbl(-3, 3),
        (betas, muV, sdV, x0v) => {
          const s = new Sched(betas);
          const T = s.T;
          const mu = Float64Array.of(muV);
          const sd = Float64Array.of(sdV);
          const x0 = Float64Array.of(x0v);
          const model = oracleModel(s, mu, sd);
          // μ_θ(x, t) = k_t x + m_t (affine): k_t = μ_θ(1) - μ_θ(0), m_t = μ_θ(0).
          const k = new Float64Array(T + 1);
          const m = new Float64Array(T + 1);
          const v = new Float64Array(T + 1);
          for (let t = 1; t <= T; t++) {
            m[t] = oracleMean(s, t, mu, sd, zeros(1))[0];
            k[t] = oracleMean(s, t, mu, sd, one(1))[0] - m[t];
            v[t] = t === 1 ? Math.exp(s.postLogVarClipped(1)) : s.postVar(t);
          }
          // Joint of z = (x_T, x_{T-1}, …, x_0) (index j = T - t): z = Bz + c + noise.
          const n = T + 1;
          const IB = Matrix.eye(n, n);
          const c = Matrix.zeros(n, 1);
          const Dn = Matrix.zeros(n, n);
          Dn.set(0, 0, 1);
          for (let t = 1; t <= T; t++) {
            const j = T - t + 1; // index of x_{t-1}
            IB.set(j, j - 1, -k[t]);
            c.set(j, 0, m[t]);
            Dn.set(j, j, v[t]);
          }
          const Minv = inverse(IB);
          const meanP = Minv.mmul(c);
          const covP = Minv.mmul(Dn).mmul(Minv.transpose());
          const v0 = covP.get(T, T);
          const logp = logNormal(x0v, meanP.get(T, 0), v0);
          // p_θ(x_{1:T} | x_0): condition the joint on its last coordinate (C4, partitioned form).
          const idx = Array.from({ length: T }, (_, j) => j);
          const S11 = covP.selection(idx, idx);
          const S10 = covP.selection(idx, [T]);
          const condCov = S11.clone().sub(S10.mmul(S10.transpose()).div(v0));
          const condMean = meanP.selection(idx, [0]).clone().add(S10.clone().mul((x0v - meanP.get(T, 0)) / v0));
          // q(x_{1:T} | x_0) in the same order: mean √ᾱ_t x_0, Cov(x_a, x_b) = √(ᾱ_b/ᾱ_a)(1-ᾱ_a), a ≤ b.
          const covQ = Matrix.zeros(T, T);
          const meanQ = Matrix.zeros(T, 1);
          for (let i = 0; i < T; i++) {
            const ti = T - i;
            meanQ.set(i, 0, s.sab(ti) * x0v);
            for (let j = 0; j < T; j++) {
              const tj = T - j;
              const a = Math.min(ti, tj);
              const b = Math.max(ti, tj);
              covQ.set(i, j, Math.exp(0.5 * (s.logAlphaBar(b) - s.logAlphaBar(a))) * s.omab(a));
            }
          }
          // C5: KL(q ‖ p) = ½[log|Σp|/|Σq| - n + tr(Σp⁻¹Σq) + Δᵀ Σp⁻¹ Δ].
          const Pinv = inverse(condCov);
          const delta = condMean.clone().sub(meanQ);
          const kl = 0.5 * (Math.log(determinant(condCov)) - Math.log(determinant(covQ)) - T + Pinv.mmul(covQ).trace() + delta.transpose().mmul(Pinv).mmul(delta).get(0, 0));
          // ELBO = -(L_T + Σ_{t≥2} E L_{t-1} + E L_0), nats.
          let negElbo = priorKl(s.sab(T) * x0v, s.omab(T));
          for (let t = 2; t <= T; t++) negElbo += quadraticExpectation((e) => impl.vbTerms!(betas, model, x0, t, e) * Math.LN2, 1);
          const r0 = x0v - k[1] * s.sab(1) * x0v - m[1];
          negElbo += 0.5 * (LOG2PI + Math.log(v[1])) + (r0 * r0 + k[1] * k[1] * s.omab(1)) / (2 * v[1]);
          const elbo = -negElbo;
          // Tolerance: this claim's float64 inverse/determinant carry ≈ n·κ·2^-53 relative error (κ the
          // condition numbers of the covariances, from their eigenvalues); the implementation's
          // vbTerms carry Kom(t)·u each (u of its own precision).
          const condOf = (A: Matrix) => {
            const ev = new EigenvalueDecomposition(A, { assumeSymmetric: true }).realEigenvalues;
            return Math.max(...ev) / Math.min(...ev);
          };
          const kappa = condOf(condCov) + condOf(covQ) + condOf(covP);
          let kvb = 0;
          for (let t = 1; t <= T; t++) kvb += s.Kom(t);
          const scale = 1 + Math.abs(logp) + Math.abs(elbo) + Math.abs(kl);
          const tol = 64 * scale * (n * kappa * 2 ** -53 + kvb * u);
          const lbl = `T=${T} μ=${muV} s=${sdV} x_0=${x0v}`;
          ex.close(`${lbl}: log p_θ(x_0) - ELBO = KL(q(x_{1:T}|x_0) ‖ p_θ(x_{1:T}|x_0))`, logp - elbo, kl, 0, tol);
          ex.atMost(`${lbl}: ELBO - log p_θ(x_0) ≤ 0`, elbo - logp, tol);
          ex.atMost(`${lbl}: -KL ≤ 0`, -kl, tol);
        },
      ),
      fcParams(60),
    );
    return combined([['Monte Carlo |z|', tr], ['exact Gaussian-data gap = KL (nats)', ex]], `MC N=${N}: ${notes.join('; ')} (|z| ≤ ${zMax.toFixed(2)}, false-alarm rate ${FALSE_ALARM_RATE})`);
  },
};

export const coreClaims: Claim[] = [
  variancePreservation,
  scheduleDefinitions,
  composition,
  posteriorMoments,
  ddimMarginals,
  successor,
  exactMomentPropagation,
  parameterizationRoundTrips,
  parameterizationEquivalence,
  elboDecomposition,
  decoderNormalization,
  klProperties,
];

