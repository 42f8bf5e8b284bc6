/**
 * Running error analysis for the float32 tier (src/gpu) against the float64 reference, used by the
 * tier cross-check (properties/tier-crosscheck*.test.ts). The tolerance of each output element is a
 * *running error analysis* (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed.,
 * §3.3): the check re-evaluates the tier's formula, operation by operation in the order src/gpu
 * performs them, on float64 values that carry a first-order bound e on the absolute error float32
 * would make (class Ev):
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
 * The kernel-level a-priori bounds of a U-Net training step are in ./kernels.ts; both are written
 * in the constants of ./float32.ts.
 */
import type { Prediction } from '../interface.js';
import { U32, U64 } from './float32.js';

const u = U32;
/** Accuracy assumed of the tfjs elementary kernels (exp, expm1, log, …): 2u (measured ≤ 1u on cpu, ≤ 2.2u on wasm). */
export const KERNEL = 2 * u;
/** Safety factor of the tolerance K·e: second-order terms and the constants of the kernel ulps. */
export const K = 2;

// ---------------------------------------------------------------------------------------------
// Running error analysis (see the file comment)
// ---------------------------------------------------------------------------------------------

export class Ev {
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
export const ETA = 2 ** -149;
export const inp = (x: number) => new Ev(x, u * Math.abs(x) + ETA);
export const exact = (x: number) => new Ev(x, 0);
export const add = (a: Ev, b: Ev) => new Ev(a.v + b.v, a.e + b.e + u * Math.abs(a.v + b.v) + ETA);
export const sub = (a: Ev, b: Ev) => new Ev(a.v - b.v, a.e + b.e + u * Math.abs(a.v - b.v) + ETA);
// The product keeps the second-order term e_a·e_b: it is the whole error where a = b = 0 (e.g. (m1-m2)² at m1 = m2).
export const mul = (a: Ev, b: Ev) => new Ev(a.v * b.v, Math.abs(a.v) * b.e + Math.abs(b.v) * a.e + a.e * b.e + u * Math.abs(a.v * b.v) + ETA);
export const div = (a: Ev, b: Ev) => {
  const q = a.v / b.v;
  return new Ev(q, a.e / Math.abs(b.v) + (Math.abs(q) * b.e) / Math.abs(b.v) + u * Math.abs(q) + ETA);
};
export const neg = (a: Ev) => new Ev(-a.v, a.e);
/** A JS constant c used as a float32 scalar: rounded once (exact for powers of two and small integers). */
export const cst = (c: number) => new Ev(c, Math.fround(c) === c ? 0 : u * Math.abs(c));
export const fn1 = (f: (x: number) => number, df: (x: number) => number) => (a: Ev) => {
  const y = f(a.v);
  return new Ev(y, (a.e === 0 ? 0 : Math.abs(df(a.v)) * a.e) + KERNEL * Math.abs(y) + ETA);
};
export const exp = fn1(Math.exp, Math.exp);
export const expm1 = fn1(Math.expm1, Math.exp);
export const log = fn1(Math.log, (x) => 1 / x);
export const logSigmoid = fn1(
  (x) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x))),
  (x) => 1 / (1 + Math.exp(x)),
);
export const cube = fn1((x) => x * x * x, (x) => 3 * x * x);
export const square = (a: Ev) => mul(a, a);
export function sqrt(a: Ev): Ev {
  const y = Math.sqrt(Math.max(a.v, 0));
  const hi = Math.sqrt(Math.max(a.v, 0) + a.e) - y;
  const lo = y - Math.sqrt(Math.max(a.v - a.e, 0));
  return new Ev(y, Math.max(hi, lo) + u * y);
}
export const clip1 = (a: Ev) => new Ev(Math.min(1, Math.max(-1, a.v)), a.e); // 1-Lipschitz: the error does not grow

/** Schedule tables with their error bounds, in the order src/gpu/schedules.ts computes them. */
export class SchedEv {
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
export const E = {
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
export function seriesExpm1MinusX(d: number): number {
  let term = (d * d) / 2;
  let sum = term;
  for (let k = 3; k < 14; k++) {
    term *= d / k;
    sum += term;
  }
  return sum;
}

/** The tolerance of one output element: K·e, plus the reference's own float64 error and a floor below every subnormal. */
export const tol = (ev: Ev, ref: number) => K * ev.e + 4 * U64 * Math.abs(ref) + 2 ** -1060;
