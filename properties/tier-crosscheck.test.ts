/**
 * Catalog claim 13 for the core formulas: every diffusion formula of the TensorFlow.js tier
 * (src/gpu: schedules, q sample, posterior, parameterizations, DDPM and DDIM steps, KL, decoder,
 * VLB terms) equals the float64 reference within a float32 tolerance derived from an error analysis,
 * on every tfjs backend present.
 *
 * Part 1 runs the core claims (properties/claims/core.ts, tolerances scaled by unitRoundoff) on the
 * tfjs implementation (properties/impls/tfjs.ts) through registerClaims, exactly as on the reference.
 *
 * Part 2 cross-checks each formula directly: tfjs output vs the reference on fast-check inputs
 * (seed FC_SEED), including t = 1, 2, T-1, T, a cosine schedule, a zero-terminal-SNR schedule and
 * random short schedules. The tolerance of each output element is a *running error analysis*
 * (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.3): the test re-evaluates
 * the tier's formula, operation by operation in the order src/gpu performs them, on float64 values
 * that carry a first-order bound e on the absolute error float32 would make (class Ev):
 *   input x (rounded to float32):      e = u|x|
 *   a ± b:                             e = e_a + e_b + u|a ± b|
 *   a·b:                               e = |a|e_b + |b|e_a + u|ab|
 *   a/b:                               e = e_a/|b| + |a/b|·e_b/|b| + u|a/b|
 *   f(a), f ∈ {exp, expm1, log, sqrt, logσ, pow}:  e = |f'(a)|·e_a + k·|f(a)|, k = 2u (the tfjs
 *       kernels measured ≤ 1u on cpu and ≤ 2.2u on wasm, except wasm's Log1p, which is not used)
 *   √a near 0: the interval form max(√(a+e_a) - √a, √a - √max(a-e_a, 0)) + u√a (first order fails).
 * The schedule enters through log ᾱ_t = cumsum(log1p(-β)): each term log1p(-β_s) carries
 * u·β_s/(1-β_s) (β rounded to float32, conditioning of log(1-β)) + 6u|log α_s| (Goldberg's log1p,
 * ≤ 5u, plus the log kernel), and the sequential float32 cumsum of t same-sign terms adds
 * (t-1)·u·|log ᾱ_t| (Higham's γ_{t-1} bound for recursive summation). Hence
 *   E_L(t) = u·[Σ_{s≤t} β_s/(1-β_s) + 6|log ᾱ_t|] + (t-1)·u·|log ᾱ_t|,
 * which exp/expm1 turn into relative errors E_L + 2u for ᾱ_t, ½E_L + 2u for √ᾱ_t and
 * E_L·ᾱ_t/(1-ᾱ_t) + 2u for 1-ᾱ_t (the expm1 form; 1 - exp would give u/(1-ᾱ_t) near t → 0).
 * Example (brief): qSample's bound is 2·[|√ᾱ x0|(½E_L + 5u) + |√(1-ᾱ) ε|(½E_L ᾱ/(1-ᾱ) + 5u)] to
 * first order; the worst observed error is printed beside it.
 * The tolerance is K·e with K = 2 (second-order terms, and constants of the kernel ulps), plus the
 * reference's own float64 error where it is not negligible (the tanh decoder's 1 + tanh(·) cancels
 * in the tails: 8·2^-53/p). The decoder with tf.erf (Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7)
 * is checked as an interval: p_tfjs ∈ [p - E, p + E], E = 1.5e-7 + 3u + 0.4·(e_z₊ + e_z₋) + u·p,
 * floored at 1e-12 like the implementation, so log p is constrained only where p ≫ 1.5e-7.
 *
 * Backends that cannot be loaded here are registered as skipped tests that say why.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, probeBackends, useBackend } from '../src/gpu/backend.js';
import * as R from '../src/reference/index.js';
import { DiffusionInputError } from '../src/reference/errors.js';
import { makeTensorSchedule } from '../src/gpu/schedules.js';
import { qSample } from '../src/gpu/forward.js';
import { ddpmStep } from '../src/gpu/ddpm.js';
import { discretizedGaussianLogLikelihood as gpuDecoder } from '../src/gpu/elbo.js';
import { makeTfjsImpl, type TfjsImpl } from './impls/tfjs.js';
import { referenceImpl } from './impls/reference.js';
import { registerClaims } from './suite.js';
import { coreClaims } from './claims/core.js';
import { FC_SEED } from './harness.js';
import type { Prediction } from './interface.js';


const u = 2 ** -24;
const KERNEL = 2 * u;
const K = 2;
const U64 = 2 ** -53;

// ---------------------------------------------------------------------------------------------
// Running error analysis (see the file comment)
// ---------------------------------------------------------------------------------------------

class Ev {
  readonly e: number;
  /** An infinite value (log ᾱ_T = -∞ of a zero-terminal-SNR schedule) is exact in IEEE arithmetic: e = 0. */
  constructor(
    readonly v: number,
    e: number,
  ) {
    this.e = Number.isFinite(v) ? e : 0;
  }
}
/** Underflow: every float32 operation may add an absolute error ≤ 2^-150 (gradual underflow). */
const ETA = 2 ** -149;
const inp = (x: number) => new Ev(x, u * Math.abs(x) + ETA);
const exact = (x: number) => new Ev(x, 0);
const add = (a: Ev, b: Ev) => new Ev(a.v + b.v, a.e + b.e + u * Math.abs(a.v + b.v) + ETA);
const sub = (a: Ev, b: Ev) => new Ev(a.v - b.v, a.e + b.e + u * Math.abs(a.v - b.v) + ETA);
// The product keeps the second-order term e_a·e_b: it is the whole error where a = b = 0 (e.g. (m1-m2)² at m1 = m2).
const mul = (a: Ev, b: Ev) => new Ev(a.v * b.v, Math.abs(a.v) * b.e + Math.abs(b.v) * a.e + a.e * b.e + u * Math.abs(a.v * b.v) + ETA);
const div = (a: Ev, b: Ev) => {
  const q = a.v / b.v;
  return new Ev(q, a.e / Math.abs(b.v) + (Math.abs(q) * b.e) / Math.abs(b.v) + u * Math.abs(q) + ETA);
};
const neg = (a: Ev) => new Ev(-a.v, a.e);
/** A JS constant c used as a float32 scalar: rounded once (exact for powers of two and small integers). */
const cst = (c: number) => new Ev(c, Math.fround(c) === c ? 0 : u * Math.abs(c));
const fn1 = (f: (x: number) => number, df: (x: number) => number) => (a: Ev) => {
  const y = f(a.v);
  return new Ev(y, (a.e === 0 ? 0 : Math.abs(df(a.v)) * a.e) + KERNEL * Math.abs(y) + ETA);
};
const exp = fn1(Math.exp, Math.exp);
const expm1 = fn1(Math.expm1, Math.exp);
const log = fn1(Math.log, (x) => 1 / x);
const logSigmoid = fn1(
  (x) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x))),
  (x) => 1 / (1 + Math.exp(x)),
);
const cube = fn1((x) => x * x * x, (x) => 3 * x * x);
const square = (a: Ev) => mul(a, a);
function sqrt(a: Ev): Ev {
  const y = Math.sqrt(Math.max(a.v, 0));
  const hi = Math.sqrt(Math.max(a.v, 0) + a.e) - y;
  const lo = y - Math.sqrt(Math.max(a.v - a.e, 0));
  return new Ev(y, Math.max(hi, lo) + u * y);
}
const clip1 = (a: Ev) => new Ev(Math.min(1, Math.max(-1, a.v)), a.e); // 1-Lipschitz: the error does not grow

/** Schedule tables with their error bounds, in the order src/gpu/schedules.ts computes them. */
class SchedEv {
  readonly T: number;
  private readonly L: Float64Array;
  private readonly EL: Float64Array;
  constructor(readonly betas: Float64Array) {
    this.T = betas.length;
    this.L = new Float64Array(this.T + 1);
    this.EL = new Float64Array(this.T + 1);
    let condSum = 0;
    for (let t = 1; t <= this.T; t++) {
      const b = betas[t - 1];
      this.L[t] = this.L[t - 1] + Math.log1p(-b);
      // log α_s: log1p(-β_s) from the rounded β (β < ½) or log of the rounded α = 1-β (β ≥ ½): ≤ u + 6u|log α_s|.
      condSum += b < 0.5 ? b / (1 - b) : 1;
      const aL = Math.abs(this.L[t]);
      this.EL[t] = Number.isFinite(aL) ? u * (condSum + 6 * aL) + (t - 1) * u * aL : 0;
    }
  }
  logAb(t: number): Ev {
    return new Ev(this.L[t], this.EL[t]);
  }
  beta(t: number): Ev {
    return inp(this.betas[t - 1]);
  }
  sab(t: number): Ev {
    return exp(mul(cst(0.5), this.logAb(t)));
  }
  ab(t: number): Ev {
    return exp(this.logAb(t));
  }
  om(t: number): Ev {
    return neg(expm1(this.logAb(t)));
  }
  som(t: number): Ev {
    return sqrt(this.om(t));
  }
  srab(t: number): Ev {
    return exp(mul(cst(-0.5), this.logAb(t)));
  }
  srm1(t: number): Ev {
    return sqrt(expm1(neg(this.logAb(t))));
  }
  sa(t: number): Ev {
    return sqrt(inp(1 - this.betas[t - 1])); // α_t formed in float64 and rounded once
  }
  sra(t: number): Ev {
    return div(exact(1), this.sa(t));
  }
  pv(t: number): Ev {
    return mul(div(this.om(t - 1), this.om(t)), this.beta(t));
  }
  logPvClipped(t: number): Ev {
    if (t === 1) return this.T >= 2 ? log(this.pv(2)) : log(this.beta(1));
    return log(this.pv(t));
  }
  coef1(t: number): Ev {
    return div(mul(this.sab(t - 1), this.beta(t)), this.om(t));
  }
  coef2(t: number): Ev {
    return div(mul(this.sa(t), this.om(t - 1)), this.om(t));
  }
}

// Formula twins in Ev arithmetic (same operation order as src/gpu).
const E = {
  qSample: (s: SchedEv, t: number, x0: number, e: number) => add(mul(s.sab(t), inp(x0)), mul(s.som(t), inp(e))),
  qStep: (s: SchedEv, t: number, x: number, e: number) => add(mul(s.sa(t), inp(x)), mul(sqrt(s.beta(t)), inp(e))),
  postMean: (s: SchedEv, t: number, x0: Ev, xt: Ev) => add(mul(s.coef1(t), x0), mul(s.coef2(t), xt)),
  postMeanEps: (s: SchedEv, t: number, xt: Ev, eps: Ev) => mul(sub(xt, mul(div(s.beta(t), s.som(t)), eps)), s.sra(t)),
  x0FromEps: (s: SchedEv, t: number, xt: Ev, eps: Ev) => sub(mul(s.srab(t), xt), mul(s.srm1(t), eps)),
  epsFromX0: (s: SchedEv, t: number, xt: Ev, x0: Ev) => div(sub(xt, mul(s.sab(t), x0)), s.som(t)),
  vFromEpsX0: (s: SchedEv, t: number, xt: Ev, eps: Ev) => mul(sub(eps, mul(s.som(t), xt)), s.srab(t)),
  epsFromV: (s: SchedEv, t: number, xt: Ev, v: Ev) => add(mul(s.sab(t), v), mul(s.som(t), xt)),
  x0FromV: (s: SchedEv, t: number, xt: Ev, v: Ev) => sub(mul(s.sab(t), xt), mul(s.som(t), v)),
  score: (s: SchedEv, t: number, eps: Ev) => neg(div(eps, s.som(t))),
  x0FromPred: (s: SchedEv, t: number, xt: Ev, m: Ev, p: Prediction) => (p === 'eps' ? E.x0FromEps(s, t, xt, m) : p === 'v' ? E.x0FromV(s, t, xt, m) : m),
  epsFromPred: (s: SchedEv, t: number, xt: Ev, m: Ev, p: Prediction) => (p === 'x0' ? E.epsFromX0(s, t, xt, m) : p === 'v' ? E.epsFromV(s, t, xt, m) : m),
  expm1MinusX: (d: Ev): Ev => {
    const g = Math.abs(d.v) < 1e-2 ? seriesExpm1MinusX(d.v) : Math.expm1(d.v) - d.v;
    const base = Math.abs(d.v) < 0.5 ? 8 * u * Math.abs(g) : 3 * u * (Math.abs(Math.expm1(d.v)) + Math.abs(d.v));
    return new Ev(g, Math.abs(Math.expm1(d.v)) * d.e + base + KERNEL * Math.abs(g));
  },
  normalKl: (m1: Ev, lv1: Ev, m2: Ev, lv2: Ev) => mul(cst(0.5), add(E.expm1MinusX(sub(lv1, lv2)), mul(square(sub(m1, m2)), exp(neg(lv2))))),
};
function seriesExpm1MinusX(d: number): number {
  let term = (d * d) / 2;
  let sum = term;
  for (let k = 3; k < 14; k++) {
    term *= d / k;
    sum += term;
  }
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

const T = 1000;
const SCHEDULES: Record<string, Float64Array> = {
  linear: R.betaSchedule('linear', T),
  cosine: R.betaSchedule('cosine', T),
  'zero-terminal-SNR': R.rescaleZeroTerminalSnr(R.betaSchedule('linear', T)),
};
const arbSchedule: fc.Arbitrary<{ name: string; betas: Float64Array }> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(SCHEDULES)).map((name) => ({ name, betas: SCHEDULES[name] })) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.double({ min: 1e-5, max: 0.3, noNaN: true }), { minLength: 2, maxLength: 12 })
      .map((b) => ({ name: `random T=${b.length}`, betas: Float64Array.from(b) })),
  },
);
const arbT = (TT: number, lo = 1) => fc.oneof(fc.constantFrom(lo, Math.min(lo + 1, TT), Math.max(TT - 1, lo), TT), fc.integer({ min: lo, max: TT }));
const arbVal = fc.oneof({ weight: 4, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 1e-6) });
const arbVecs = (k: number) => fc.integer({ min: 1, max: 5 }).chain((d) => fc.tuple(...Array.from({ length: k }, () => fc.array(arbVal, { minLength: d, maxLength: d }))));

/** Per formula × backend: the worst error, the bound beside it and the largest ratio error/bound. */
interface Worst {
  /** The error and bound of the case with the largest error/bound. */
  err: number;
  bound: number;
  ratio: number;
  cases: number;
  /** The largest absolute error seen, with its own bound. */
  maxErr: number;
  maxErrBound: number;
}
const table: { formula: string; backend: string; w: Worst }[] = [];

class Tracker {
  w: Worst = { err: 0, bound: 0, ratio: 0, cases: 0, maxErr: 0, maxErrBound: 0 };
  private record(err: number, b: number): void {
    const ratio = b > 0 ? err / b : 0;
    if (ratio >= this.w.ratio) this.w = { ...this.w, err, bound: b, ratio };
    if (err >= this.w.maxErr) this.w = { ...this.w, maxErr: err, maxErrBound: b };
  }
  constructor(readonly label: string) {}
  /** |got - ref| ≤ bound (elementwise), recording the worst ratio. */
  check(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): void {
    expect(got.length, `${this.label} ${what}: length`).toBe(ref.length);
    for (let i = 0; i < ref.length; i++) {
      const g = got[i];
      const r = ref[i];
      const b = bound[i];
      const err = g === r ? 0 : Math.abs(g - r);
      if (!(err <= b)) throw new Error(`${this.label} ${what}[${i}]: tfjs ${g}, reference ${r}, error ${err.toExponential(3)} > bound ${b.toExponential(3)}`);
      this.record(err, b);
    }
    this.w.cases++;
  }
  /** lo ≤ got ≤ hi; the "bound" reported is the allowed deviation on the side of the error. */
  interval(what: string, got: number, ref: number, lo: number, hi: number): void {
    if (!(got >= lo && got <= hi)) throw new Error(`${this.label} ${what}: tfjs ${got} outside [${lo}, ${hi}] (reference ${ref})`);
    const err = Math.abs(got - ref);
    this.record(err, got >= ref ? hi - ref : ref - lo);
  }
  done(backend: string): void {
    table.push({ formula: this.label, backend, w: this.w });
    const w = this.w;
    console.log(`  ${this.label} [${backend}]: max error/bound ${w.ratio.toFixed(3)} (error ${w.err.toExponential(2)}, bound ${w.bound.toExponential(2)}); largest error ${w.maxErr.toExponential(2)} (bound ${w.maxErrBound.toExponential(2)}); ${w.cases} cases`);
  }
}

const tol = (ev: Ev, ref: number) => K * ev.e + 4 * U64 * Math.abs(ref) + 2 ** -1060;
const fcOpts = (numRuns: number) => ({ seed: FC_SEED, numRuns });

/** Both tiers must reject the same input, with a DiffusionInputError. */
function bothThrow(a: () => unknown, b: () => unknown): boolean {
  let ea: unknown = null;
  let eb: unknown = null;
  try {
    a();
  } catch (e) {
    ea = e;
  }
  try {
    b();
  } catch (e) {
    eb = e;
  }
  if (ea === null && eb === null) return false;
  expect(ea, `reference threw ${String(ea)} but tfjs threw ${String(eb)}`).toBeInstanceOf(DiffusionInputError);
  expect(eb, `tfjs threw ${String(eb)} but reference threw ${String(ea)}`).toBeInstanceOf(DiffusionInputError);
  return true;
}

// ---------------------------------------------------------------------------------------------
// The checks, per backend
// ---------------------------------------------------------------------------------------------

const probes = await probeBackends();
const ref = referenceImpl;

for (const name of BACKEND_NAMES) {
  const probe = probes.find((p) => p.name === name)!;
  if (!probe.ok) {
    describe(`tier cross-check [${name}]`, () => {
      it.skip(`backend '${name}' not present here: ${probe.reason}`, () => {});
    });
    continue;
  }

  describe(`tier cross-check [${name}]`, () => {
    let impl: TfjsImpl;
    beforeAll(async () => {
      await useBackend(name);
      impl = makeTfjsImpl(name);
    });
    afterAll(() => impl.disposeCache());

    // ---- Part 1: the core claims on the tfjs implementation ---------------------------------
    // registerClaims needs the impl at registration time; it is stateless until first use.
    // The soak (npm run soak) runs these claims in-process with their ratios and skips them here.
    if (process.env.DIFFUSION_ORACLE_SOAK !== '1') registerClaims(`core claims on the tfjs tier`, coreClaims, makeTfjsImpl(name));

    // ---- Part 2: formula by formula ---------------------------------------------------------
    it('schedule tables: ᾱ_t, β̃_t, log β̃_t (clipped)', () => {
      const tr = new Tracker('schedule (alphaBar, posteriorVariance, logVarianceClipped)');
      fc.assert(
        fc.property(arbSchedule.chain((s) => fc.tuple(fc.constant(s), arbT(s.betas.length))), ([s, t]) => {
          const se = new SchedEv(s.betas);
          const abR = ref.alphaBar!(s.betas, t);
          tr.check(`ᾱ_${t} (${s.name})`, [impl.alphaBar!(s.betas, t)], [abR], [tol(se.ab(t), abR)]);
          const ab0 = impl.alphaBar!(s.betas, t - 1);
          expect(t - 1 > 0 || ab0 === 1).toBe(true); // ᾱ_0 = 1 exactly
          const pvR = ref.posteriorVariance!(s.betas, t);
          tr.check(`β̃_${t} (${s.name})`, [impl.posteriorVariance!(s.betas, t)], [pvR], [t === 1 ? 0 : tol(se.pv(t), pvR)]);
          const lvR = ref.posteriorLogVarianceClipped!(s.betas, t);
          tr.check(`log β̃_${t} (${s.name})`, [impl.posteriorLogVarianceClipped!(s.betas, t)], [lvR], [tol(se.logPvClipped(t), lvR)]);
        }),
        fcOpts(150),
      );
      tr.done(name);
    });

    it('qSample (B2) and qStep (B1)', () => {
      const trS = new Tracker('qSample (B2)');
      const trP = new Tracker('qStep (B1)');
      fc.assert(
        fc.property(arbSchedule.chain((s) => fc.tuple(fc.constant(s), arbT(s.betas.length, 0), arbVecs(2))), ([s, t, [x0, eps]]) => {
          const se = new SchedEv(s.betas);
          const r = ref.qSample!(s.betas, x0, t, eps);
          trS.check(`t=${t} ${s.name}`, impl.qSample!(s.betas, x0, t, eps), r, x0.map((x, i) => tol(E.qSample(se, t, x, eps[i]), r[i])));
          if (t >= 1) {
            const r2 = ref.qStep!(s.betas, x0, t, eps);
            trP.check(`t=${t} ${s.name}`, impl.qStep!(s.betas, x0, t, eps), r2, x0.map((x, i) => tol(E.qStep(se, t, x, eps[i]), r2[i])));
          }
        }),
        fcOpts(200),
      );
      trS.done(name);
      trP.done(name);
    });

    it('qPosterior (C1, C3)', () => {
      const tr = new Tracker('qPosterior mean (C1)');
      fc.assert(
        fc.property(arbSchedule.chain((s) => fc.tuple(fc.constant(s), arbT(s.betas.length), arbVecs(2))), ([s, t, [x0, xt]]) => {
          const se = new SchedEv(s.betas);
          const r = ref.qPosterior!(s.betas, x0, xt, t);
          const g = impl.qPosterior!(s.betas, x0, xt, t);
          tr.check(`mean t=${t} ${s.name}`, g.mean, r.mean, x0.map((x, i) => tol(E.postMean(se, t, inp(x), inp(xt[i])), (r.mean as ArrayLike<number>)[i])));
          tr.check(`variance t=${t}`, [g.variance], [r.variance], [t === 1 ? 0 : tol(se.pv(t), r.variance)]);
          tr.check(`logVariance t=${t}`, [g.logVariance], [r.logVariance], [tol(se.logPvClipped(t), r.logVariance)]);
        }),
        fcOpts(200),
      );
      tr.done(name);
    });

    it('parameterizations (D1-D3): x̂_0 ↔ ε, v, score', () => {
      const members = ['predictX0FromEps', 'predictEpsFromX0', 'vFromEpsX0', 'epsFromV', 'x0FromV', 'scoreFromEps'] as const;
      const trs = Object.fromEntries(members.map((m) => [m, new Tracker(`${m} (D${m === 'scoreFromEps' ? 3 : m.startsWith('predict') ? 1 : 2})`)]));
      const evOf: Record<(typeof members)[number], (s: SchedEv, t: number, a: number, b: number) => Ev> = {
        predictX0FromEps: (s, t, a, b) => E.x0FromEps(s, t, inp(a), inp(b)),
        predictEpsFromX0: (s, t, a, b) => E.epsFromX0(s, t, inp(a), inp(b)),
        vFromEpsX0: (s, t, a, b) => E.vFromEpsX0(s, t, inp(a), inp(b)),
        epsFromV: (s, t, a, b) => E.epsFromV(s, t, inp(a), inp(b)),
        x0FromV: (s, t, a, b) => E.x0FromV(s, t, inp(a), inp(b)),
        scoreFromEps: (s, t, _a, b) => E.score(s, t, inp(b)),
      };
      let rejected = 0;
      fc.assert(
        fc.property(arbSchedule.chain((s) => fc.tuple(fc.constant(s), arbT(s.betas.length), arbVecs(2))), ([s, t, [a, b]]) => {
          const se = new SchedEv(s.betas);
          for (const m of members) {
            const f = ref[m]!;
            const g = impl[m]!;
            if (bothThrow(() => f(s.betas, a, t, b), () => g(s.betas, a, t, b))) {
              rejected++;
              continue;
            }
            const r = f(s.betas, a, t, b);
            trs[m].check(`t=${t} ${s.name}`, g(s.betas, a, t, b), r, a.map((x, i) => tol(evOf[m](se, t, x, b[i]), r[i])));
          }
        }),
        fcOpts(200),
      );
      for (const m of members) trs[m].done(name);
      console.log(`  parameterizations: ${rejected} (formula, input) pairs rejected by both tiers (ᾱ_T = 0)`);
      expect(rejected).toBeGreaterThan(0); // the zero-terminal-SNR case at t = T was exercised
    });

    it('ddpmStep (E1): ε/x̂_0/v prediction, fixed small/large variance, clipping', () => {
      const tr = new Tracker('ddpmStep (E1)');
      const arb = arbSchedule.chain((s) =>
        fc.tuple(fc.constant(s), arbT(s.betas.length), arbVecs(3), fc.constantFrom<Prediction>('eps', 'x0', 'v'), fc.constantFrom<'beta' | 'posterior'>('beta', 'posterior'), fc.boolean()),
      );
      fc.assert(
        fc.property(arb, ([s, t, [xt, m, z], prediction, variance, clip]) => {
          const se = new SchedEv(s.betas);
          const opts = { prediction, variance, clip, noise: z };
          if (bothThrow(() => ref.ddpmStep!(s.betas, xt, t, m, opts), () => impl.ddpmStep!(s.betas, xt, t, m, opts))) return;
          const r = ref.ddpmStep!(s.betas, xt, t, m, opts);
          const bounds = xt.map((x, i) => {
            const X = inp(x);
            const M = inp(m[i]);
            let x0 = E.x0FromPred(se, t, X, M, prediction);
            if (clip) x0 = clip1(x0);
            const mean = prediction === 'eps' && !clip ? E.postMeanEps(se, t, X, M) : E.postMean(se, t, x0, X);
            if (t === 1) return tol(mean, r[i]);
            const lv = variance === 'posterior' ? se.logPvClipped(t) : log(se.beta(t));
            return tol(add(mean, mul(exp(mul(cst(0.5), lv)), inp(z[i]))), r[i]);
          });
          tr.check(`t=${t} ${s.name} ${prediction} ${variance}${clip ? ' clip' : ''}`, impl.ddpmStep!(s.betas, xt, t, m, opts), r, bounds);
        }),
        fcOpts(250),
      );
      tr.done(name);
    });

    it('ddimStep (E2): strided steps, η ∈ [0, 1], three predictions', () => {
      const tr = new Tracker('ddimStep (E2)');
      const arb = arbSchedule.chain((s) => {
        const TT = s.betas.length;
        return fc.tuple(
          fc.constant(s),
          arbT(TT).chain((t) => fc.tuple(fc.constant(t), fc.oneof(fc.constantFrom(0, t - 1), fc.integer({ min: 0, max: t - 1 })))),
          arbVecs(3),
          fc.constantFrom<Prediction>('eps', 'x0', 'v'),
          fc.oneof(fc.constantFrom(0, 1), fc.double({ min: 0, max: 1, noNaN: true })),
        );
      });
      let inadmissible = 0;
      fc.assert(
        fc.property(arb, ([s, [t, tPrev], [xt, m, z], prediction, eta]) => {
          const se = new SchedEv(s.betas);
          const opts = { eta, prediction, noise: z };
          if (bothThrow(() => ref.ddimStep!(s.betas, xt, t, tPrev, m, opts), () => impl.ddimStep!(s.betas, xt, t, tPrev, m, opts))) {
            inadmissible++;
            return;
          }
          const r = ref.ddimStep!(s.betas, xt, t, tPrev, m, opts);
          const bounds = xt.map((x, i) => {
            const X = inp(x);
            const M = inp(m[i]);
            const x0 = E.x0FromPred(se, t, X, M, prediction);
            const ep = E.epsFromPred(se, t, X, M, prediction);
            const omP = tPrev === 0 ? exact(0) : se.om(tPrev);
            const rr = div(neg(expm1(sub(se.logAb(t), tPrev === 0 ? exact(0) : se.logAb(tPrev)))), se.om(t));
            const keepRaw = sub(exact(1), mul(cst(eta * eta), rr));
            const keep = new Ev(Math.max(keepRaw.v, 0), keepRaw.e);
            const sigma = mul(cst(eta), sqrt(mul(omP, rr)));
            const cdir = sqrt(mul(omP, keep));
            const cx0 = tPrev === 0 ? exact(1) : se.sab(tPrev);
            let out = add(mul(cx0, x0), mul(cdir, ep));
            if (sigma.v > 0) out = add(out, mul(sigma, inp(z[i])));
            return tol(out, r[i]);
          });
          tr.check(`t=${t}→${tPrev} ${s.name} ${prediction} η=${eta}`, impl.ddimStep!(s.betas, xt, t, tPrev, m, opts), r, bounds);
        }),
        fcOpts(250),
      );
      tr.done(name);
      console.log(`  ddimStep: ${inadmissible} inputs rejected by both tiers (ᾱ_T = 0 with ε-prediction, or η inadmissible)`);
    });

    it('normalKl (F2)', () => {
      const tr = new Tracker('normalKl (F2)');
      const arbLv = fc.oneof(fc.double({ min: -8, max: 3, noNaN: true }), fc.constantFrom(0, -5));
      const arb = fc.integer({ min: 1, max: 5 }).chain((d) =>
        fc.tuple(fc.array(fc.tuple(arbVal, arbLv, arbVal, arbLv, fc.integer({ min: 0, max: 3 })), { minLength: d, maxLength: d })),
      );
      fc.assert(
        fc.property(arb, ([rows]) => {
          // mode 1: equal means; 2: equal log-variances; 3: both equal (KL = 0 exactly).
          const m1 = rows.map((r) => r[0]);
          const lv1 = rows.map((r) => r[1]);
          const m2 = rows.map((r) => (r[4] & 1 ? r[0] : r[2]));
          const lv2 = rows.map((r) => (r[4] & 2 ? r[1] : r[3]));
          const r = ref.normalKl!(m1, lv1, m2, lv2);
          const g = impl.normalKl!(m1, lv1, m2, lv2);
          tr.check('KL', g, r, m1.map((_, i) => tol(E.normalKl(inp(m1[i]), inp(lv1[i]), inp(m2[i]), inp(lv2[i])), r[i])));
          for (let i = 0; i < g.length; i++) {
            expect(g[i]).toBeGreaterThanOrEqual(0);
            if (rows[i][4] === 3) expect(g[i]).toBe(0);
          }
        }),
        fcOpts(300),
      );
      tr.done(name);
    });

    /** Decoder arguments: 8-bit x, mean ∈ [-1.5, 1.5], log σ ∈ [log 1e-3, log 2] (tails included). */
    const arbDecoder = fc.integer({ min: 1, max: 6 }).chain((d) =>
      fc.array(
        fc.tuple(
          fc.oneof(fc.constantFrom(0, 1, 127, 128, 254, 255), fc.integer({ min: 0, max: 255 })),
          fc.double({ min: -1.5, max: 1.5, noNaN: true }),
          fc.double({ min: Math.log(1e-3), max: Math.log(2), noNaN: true }),
        ),
        { minLength: d, maxLength: d },
      ),
    );
    /** z₊, z₋ with their float32 errors, as src/gpu/elbo.ts forms them. */
    const zOf = (x: Ev, mean: Ev, ls: Ev) => {
      const invStd = exp(neg(ls));
      const c = sub(x, mean);
      return { zp: mul(add(c, cst(1 / 255)), invStd), zm: mul(sub(c, cst(1 / 255)), invStd), invStd };
    };

    it('discretizedGaussianLogLikelihood (F3), tanh approximation in log space', () => {
      const tr = new Tracker('decoder log p, tanh (F3)');
      const LOG_FLOOR = Math.log(1e-12);
      fc.assert(
        fc.property(arbDecoder, (rows) => {
          const x = rows.map(([k]) => k / 127.5 - 1);
          const mean = rows.map((r) => r[1]);
          const ls = rows.map((r) => r[2]);
          const r = R.discretizedGaussianLogLikelihood(x, mean, ls, { approx: 'tanh' }) as Float64Array;
          const xt = tf.tensor2d(Float32Array.from(x), [1, x.length]);
          const mt = tf.tensor2d(Float32Array.from(mean), [1, x.length]);
          const lt = tf.tensor2d(Float32Array.from(ls), [1, x.length]);
          const out = gpuDecoder(xt, mt, lt, { approx: 'tanh' });
          const g = Float64Array.from(out.dataSync());
          tf.dispose([xt, mt, lt, out]);
          const bounds = rows.map(([k], i) => {
            const { zp, zm, invStd } = zOf(inp(x[i]), inp(mean[i]), inp(ls[i]));
            const c2 = cst(2 * Math.sqrt(2 / Math.PI));
            const A = mul(c2, add(zp, mul(cst(0.044715), cube(zp))));
            const B = mul(c2, add(zm, mul(cst(0.044715), cube(zm))));
            const lower = logSigmoid(A);
            const upper = logSigmoid(neg(B));
            const w = mul(cst(2 / 255), invStd);
            const q = add(add(square(zp), mul(zp, zm)), square(zm));
            const bMinusA = mul(neg(c2), mul(w, add(exact(1), mul(cst(0.044715), q))));
            const om = neg(expm1(bMinusA));
            const mid = add(add(lower, upper), log(om));
            const lp = k === 0 ? lower : k === 255 ? upper : mid;
            // The float64 reference forms ½(1 + tanh) and differences of them: absolute error ≤ 8·2^-53 in p.
            const pRef = Math.max(Math.exp(r[i]), 1e-12);
            return K * lp.e + (8 * U64) / pRef + 2 ** -50 * (1 + Math.abs(r[i]));
          });
          tr.check('log p', g, r, bounds);
          for (let i = 0; i < g.length; i++) expect(g[i]).toBeGreaterThanOrEqual(LOG_FLOOR - 1e-5);
        }),
        fcOpts(300),
      );
      tr.done(name);
    });

    it("discretizedGaussianLogLikelihood (F3), tf.erf vs the reference's exact Φ (interval check)", () => {
      const tr = new Tracker('decoder log p, tf.erf vs exact (F3), bins with p ≥ 10·E');
      const trTail = new Tracker('decoder log p, tf.erf vs exact (F3), tail bins p < 10·E (interval only)');
      fc.assert(
        fc.property(arbDecoder, (rows) => {
          const x = rows.map(([k]) => k / 127.5 - 1);
          const mean = rows.map((r) => r[1]);
          const ls = rows.map((r) => r[2]);
          const r = ref.discretizedGaussianLogLikelihood!(x, mean, ls);
          const g = impl.discretizedGaussianLogLikelihood!(x, mean, ls);
          rows.forEach((_, i) => {
            const { zp, zm } = zOf(inp(x[i]), inp(mean[i]), inp(ls[i]));
            const p = Math.exp(r[i]);
            const Eabs = 1.5e-7 + 3 * u + 0.4 * (zp.e + zm.e) + u * p;
            const lo = Math.log(Math.max(p - Eabs, 1e-12));
            const hi = Math.log(Math.max(p + Eabs, 1e-12));
            const slack = KERNEL * Math.max(Math.abs(lo), Math.abs(hi));
            // Every case must lie in its interval; the reported ratio is taken where the interval is
            // informative (p ≥ 10·E), not where the 1e-12 floor or the 1.5e-7 erf error dominate.
            const informative = p >= 10 * Eabs;
            (informative ? tr : trTail).interval(`log p[${i}] (x=${x[i]}, mean=${mean[i]}, logσ=${ls[i]})`, g[i], r[i], lo - slack, hi + slack);
            if (informative) tr.w.cases++;
            else trTail.w.cases++;
          });
        }),
        fcOpts(300),
      );
      tr.done(name);
      trTail.done(name);
      expect(tr.w.cases).toBeGreaterThan(50); // the informative region was exercised
    });

    it('tf.erf is A&S 7.1.26 on this backend: |erf32(x) - erf(x)| ≤ 1.5e-7 + 2u (premise of the erf decoder bound)', () => {
      const xs = Float32Array.from({ length: 4001 }, (_, i) => -6 + (12 * i) / 4000);
      const out = tf.tidy(() => tf.erf(tf.tensor1d(xs)));
      const g = out.dataSync();
      let worst = 0;
      for (let i = 0; i < xs.length; i++) worst = Math.max(worst, Math.abs(g[i] - R.erf(xs[i])));
      out.dispose();
      console.log(`  tf.erf [${name}]: worst |erf32 - erf| = ${worst.toExponential(3)} over [-6, 6] (bound ${(1.5e-7 + 2 * u).toExponential(3)})`);
      expect(worst).toBeLessThanOrEqual(1.5e-7 + 2 * u);
    });

    it('vbTerms (F1-F3): L_{t-1} KL terms (t ≥ 2) and the decoder term L_0 (t = 1), affine ε-model', () => {
      const tr = new Tracker('vbTerms (F1-F3)');
      const trTail = new Tracker('vbTerms (F1-F3), t = 1 with some bin p < 10·E (interval only)');
      const arb = arbSchedule.chain((s) =>
        fc.tuple(
          fc.constant(s),
          arbT(s.betas.length),
          fc.integer({ min: 1, max: 5 }).chain((d) => fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: d, maxLength: d }), fc.array(arbVal, { minLength: d, maxLength: d }))),
          fc.double({ min: -1, max: 1, noNaN: true }),
          fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        ),
      );
      fc.assert(
        fc.property(arb, ([s, t, [ks, noise], a, b]) => {
          const x0 = ks.map((k) => k / 127.5 - 1);
          const model = (xt: Float64Array) => xt.map((v) => a * v + b);
          if (bothThrow(() => ref.vbTerms!(s.betas, model, x0, t, noise), () => impl.vbTerms!(s.betas, model, x0, t, noise))) return;
          const r = ref.vbTerms!(s.betas, model, x0, t, noise);
          const g = impl.vbTerms!(s.betas, model, x0, t, noise);
          const se = new SchedEv(s.betas);
          const d = x0.length;
          // Per element: x_t, the model's ε̂ = a·x_t + b (host float64 on the float32 x_t, uploaded: + u|ε̂|), p_θ moments.
          let totalErr = 0;
          let lo = 0;
          let hi = 0;
          let magnitude = 0;
          let informative = true;
          for (let i = 0; i < d; i++) {
            const X0 = inp(x0[i]);
            const xt = E.qSample(se, t, x0[i], noise[i]);
            const epsHat = new Ev(a * xt.v + b, Math.abs(a) * xt.e + u * Math.abs(a * xt.v + b));
            const pMean = E.postMeanEps(se, t, xt, epsHat);
            const pLv = se.logPvClipped(t);
            if (t >= 2) {
              const qMean = E.postMean(se, t, X0, xt);
              const kl = E.normalKl(qMean, pLv, pMean, pLv);
              totalErr += kl.e + u * Math.abs(kl.v) * d; // + the sum's rounding
              magnitude += Math.abs(kl.v);
            } else {
              // L_0 = -Σ log p: the tf.erf decoder as an interval per element (see the decoder test).
              const { zp, zm } = zOf(X0, pMean, mul(cst(0.5), pLv));
              const lpRef = R.discretizedGaussianLogLikelihood([x0[i]], [pMean.v], [0.5 * pLv.v]) as Float64Array;
              const p = Math.exp(lpRef[0]);
              const Eabs = 1.5e-7 + 3 * u + 0.4 * (zp.e + zm.e) + u * p;
              if (p < 10 * Eabs) informative = false;
              lo += Math.log(Math.max(p - Eabs, 1e-12)) - lpRef[0];
              hi += Math.log(Math.max(p + Eabs, 1e-12)) - lpRef[0];
              magnitude += Math.abs(lpRef[0]);
            }
          }
          const scale = d * Math.LN2;
          if (t >= 2) {
            tr.check(`t=${t} ${s.name}`, [g], [r], [(K * totalErr) / scale + 2 * u * Math.abs(r) + 4 * U64 * magnitude]);
          } else {
            // -Σ log p / (d ln 2): the interval of Σ log p maps to [r - hi/scale, r - lo/scale].
            const slack = (KERNEL * magnitude + d * u * magnitude) / scale + 2 * u * Math.abs(r);
            const target = informative ? tr : trTail;
            target.interval(`t=1 ${s.name}`, g, r, r - hi / scale - slack, r - lo / scale + slack);
            target.w.cases++;
            return;
          }
          tr.w.cases++;
        }),
        fcOpts(150),
      );
      tr.done(name);
      trTail.done(name);
    });

    // ---- tensor API: per-row timesteps, memory, validation ----------------------------------
    it('per-row timesteps (int32 tensor) give the same values as one call per row; rows at t = 1 get no noise', () => {
      const s = makeTensorSchedule(SCHEDULES.linear);
      try {
        const ts = [0, 1, 2, 999, 1000];
        const x0 = tf.tensor2d([0.5, -1, 2, 0.1, -0.3, 0.7, 1, 1, 1, -2], [5, 2]);
        const e = tf.tensor2d([1, 2, -1, 0.5, 0.25, -0.75, 0, 1, 2, 3], [5, 2]);
        const tt = tf.tensor1d(ts, 'int32');
        const batched = qSample(s, x0, tt, e);
        const b = batched.arraySync();
        ts.forEach((t, i) => {
          const xi = tf.slice(x0, [i, 0], [1, 2]) as tf.Tensor2D;
          const ei = tf.slice(e, [i, 0], [1, 2]) as tf.Tensor2D;
          const one = qSample(s, xi, t, ei);
          expect(b[i]).toEqual(one.arraySync()[0]);
          tf.dispose([xi, ei, one]);
        });
        const ts2 = tf.tensor1d([1, 2, 1, 500, 1000], 'int32');
        const z = tf.onesLike(x0) as tf.Tensor2D;
        const withNoise = ddpmStep(s, x0, ts2, e, { noise: z }).arraySync();
        const noNoise = ddpmStep(s, x0, ts2, e, { noise: tf.zerosLike(x0) as tf.Tensor2D }).arraySync();
        [1, 2, 1, 500, 1000].forEach((t, i) => {
          if (t === 1) expect(withNoise[i]).toEqual(noNoise[i]);
          else expect(withNoise[i]).not.toEqual(noNoise[i]);
        });
        tf.dispose([x0, e, tt, batched, ts2, z]);
      } finally {
        s.dispose();
      }
    });

    it('no tensor leaks: numTensors is unchanged after a run of impl calls and disposeCache()', () => {
      const own = makeTfjsImpl(name);
      const betas = SCHEDULES.cosine;
      const before = tf.memory().numTensors;
      const x = [0.1, -0.2, 0.3];
      const k = [0, 128, 255].map((v) => v / 127.5 - 1);
      const call = () => {
        own.qSample!(betas, x, 10, x);
        own.qPosterior!(betas, x, x, 10);
        own.predictX0FromEps!(betas, x, 10, x);
        own.ddpmStep!(betas, x, 10, x, { noise: x, prediction: 'v', variance: 'beta', clip: true });
        own.ddimStep!(betas, x, 10, 5, x, { eta: 0.5, noise: x });
        own.normalKl!(x, x, x, [0, 0, 0]);
        own.discretizedGaussianLogLikelihood!(k, x, [-1, -1, -1]);
        own.vbTerms!(betas, (xt) => xt, k, 1, x);
        own.vbTerms!(betas, (xt) => xt, k, 7, x);
        own.alphaBar!(betas, 3);
        try {
          own.qSample!(betas, x, 1001, x); // rejected: must not leak either
        } catch {
          /* expected */
        }
      };
      call();
      const steady = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) call();
      expect(tf.memory().numTensors).toBe(steady); // only the cached schedule tables remain
      own.disposeCache();
      expect(tf.memory().numTensors).toBe(before);
    });

    it('rejects bad tensor input with DiffusionInputError naming the argument', () => {
      const s = makeTensorSchedule(SCHEDULES['zero-terminal-SNR']);
      const x = tf.tensor2d([[0.1, 0.2]]);
      const bad = tf.tensor2d([[NaN, 0.2]]);
      const wrong = tf.tensor2d([[0.1, 0.2, 0.3]]);
      const t3 = tf.tensor1d([1, 2], 'int32');
      const expectErr = (f: () => unknown, arg: string) => {
        let err: unknown;
        try {
          f();
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(DiffusionInputError);
        expect((err as DiffusionInputError).argument).toBe(arg);
      };
      try {
        expectErr(() => qSample(s, x, 1001, x), 't');
        expectErr(() => qSample(s, x, 1.5, x), 't');
        expectErr(() => qSample(s, x, -1, x), 't');
        expectErr(() => qSample(s, x, 1, wrong), 'eps');
        expectErr(() => qSample(s, x, t3, x), 't');
        expectErr(() => qSample(s, bad, 3, x), 'x0[0][0]');
        expectErr(() => qSample(s, tf.tensor1d([1, 2]) as unknown as tf.Tensor2D, 3, x), 'x0');
        expectErr(() => ddpmStep(s, x, 5, x), 'options.noise');
        expectErr(() => ddpmStep(s, x, 1000, x, { noise: x }), 't'); // ε-prediction where ᾱ_T = 0
        expectErr(() => gpuDecoder(tf.tensor2d([[0.5]]), 0, 0), 'x[0][0]'); // not on the 8-bit grid
        expectErr(() => makeTensorSchedule([0.1, 1e-50, 0.2]), 'betas[1] (β_2)');
        expectErr(() => makeTensorSchedule([0.1, 1.5]), 'betas[1] (β_2)');
        const gone = makeTensorSchedule([0.1, 0.2]);
        gone.dispose();
        expectErr(() => qSample(gone, x, 1, x), 'schedule');
      } finally {
        s.dispose();
        tf.dispose([x, bad, wrong, t3]);
      }
    });
  });
}

afterAll(() => {
  if (!table.length) return;
  console.log('\n  formula | backend | max error/bound (error, bound) | largest error (its bound) | cases');
  for (const r of table) {
    const w = r.w;
    console.log(`  ${r.formula} | ${r.backend} | ${w.ratio.toFixed(3)} (${w.err.toExponential(2)}, ${w.bound.toExponential(2)}) | ${w.maxErr.toExponential(2)} (${w.maxErrBound.toExponential(2)}) | ${w.cases}`);
  }
});
