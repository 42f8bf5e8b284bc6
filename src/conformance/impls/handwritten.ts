/**
 * Worked example for the conformance kit: a small DDPM/DDIM implementation written plainly (as
 * one would port it from a paper or from diffusers, with arrays and loops, float64, no dependence
 * on diffusion-oracle's reference), then adapted to the implementation interface
 * (`DiffusionImpl`, every member optional) and checked by `runConformance`:
 *
 *   import { runConformance, formatReport } from 'diffusion-oracle/conformance';
 *   import { handwrittenAdapter } from './handwritten.js';
 *   const report = await runConformance(handwrittenAdapter);
 *   console.log(formatReport(report));
 *
 * Part 1 is the implementation (what you already have); part 2 the adapter (what you write).
 * It is plain (ᾱ by a running product, formulas as in the papers) but forms 1-ᾱ in log space, as
 * improved-diffusion-style code should: the property claims ask for that accuracy near t = 1,
 * while the vectors' tolerances also admit 1-ᾱ by subtraction (see vectors/check_numpy.py).
 */
import type { Arr, DiffusionImpl, DdimStepOptions, DdpmStepOptions } from '../interface.js';

// ================================ Part 1: the implementation ================================

/** A schedule in diffusers' 0-based layout: index i holds step t = i+1. */
export class PlainSchedule {
  readonly T: number;
  readonly betas: number[];
  /** alphasCumprod[i] = ᾱ_{i+1}. */
  readonly alphasCumprod: number[];
  /** 1-ᾱ_{i+1}, as -expm1(Σ log(1-β)): subtracting ᾱ from 1 would lose digits near t = 1. */
  readonly oneMinusAlphasCumprod: number[];

  constructor(betas: ArrayLike<number>) {
    if (!betas || betas.length === 0) throw new Error('betas: empty schedule');
    this.betas = Array.from(betas);
    this.T = this.betas.length;
    this.betas.forEach((b, i) => {
      const last = i === this.T - 1;
      if (!(b > 0) || !(b < 1 || (last && b === 1))) throw new Error(`betas[${i}] = ${b}: invalid schedule (β ∈ (0,1), only β_T may be 1)`);
    });
    this.alphasCumprod = [];
    this.oneMinusAlphasCumprod = [];
    let prod = 1;
    let logSum = 0;
    for (const b of this.betas) {
      prod *= 1 - b;
      logSum += Math.log1p(-b);
      this.alphasCumprod.push(prod);
      this.oneMinusAlphasCumprod.push(-Math.expm1(logSum));
    }
  }

  /** 1-ᾱ_t for t ∈ {0..T}. */
  oneMinusAbar(t: number): number {
    this.abar(t);
    return t === 0 ? 0 : this.oneMinusAlphasCumprod[t - 1];
  }

  /** ᾱ for the papers' t ∈ {0..T} (ᾱ_0 = 1). */
  abar(t: number): number {
    if (!Number.isInteger(t) || t < 0 || t > this.T) throw new Error(`t = ${t}: out of range {0..${this.T}}`);
    return t === 0 ? 1 : this.alphasCumprod[t - 1];
  }

  beta(t: number): number {
    if (!Number.isInteger(t) || t < 1 || t > this.T) throw new Error(`t = ${t}: out of range {1..${this.T}}`);
    return this.betas[t - 1];
  }

  /** β̃_t = (1-ᾱ_{t-1})/(1-ᾱ_t)·β_t. */
  posteriorVariance(t: number): number {
    return (this.oneMinusAbar(t - 1) / this.oneMinusAbar(t)) * this.beta(t);
  }

  /** log β̃_t, with t = 1 using β̃_2 (β̃_1 = 0). */
  posteriorLogVarianceClipped(t: number): number {
    this.beta(t);
    if (this.T === 1) return Math.log(this.betas[0]);
    return Math.log(this.posteriorVariance(t === 1 ? 2 : t));
  }
}

/** numpy.linspace: a + i·step with step = (b-a)/(n-1), last point exactly b (diffusers builds its grids with it). */
function linspace(a: number, b: number, n: number): number[] {
  if (n === 1) return [a];
  const step = (b - a) / (n - 1);
  return Array.from({ length: n }, (_, i) => (i === n - 1 ? b : a + i * step));
}

export function makeBetas(name: string, T: number, o: Record<string, number | boolean> = {}): number[] {
  if (!Number.isInteger(T) || T < 1) throw new Error(`T = ${T}: must be a positive integer`);
  const n = (k: string, d: number) => (typeof o[k] === 'number' ? (o[k] as number) : d);
  let betas: number[];
  if (name === 'linear') {
    const sc = o.scaleToT ? 1000 / T : 1;
    betas = linspace(sc * n('betaStart', 1e-4), sc * n('betaEnd', 0.02), T);
  } else if (name === 'scaled-linear') {
    betas = linspace(Math.sqrt(n('betaStart', 0.00085)), Math.sqrt(n('betaEnd', 0.012)), T).map((x) => x * x);
  } else if (name === 'sigmoid') {
    const b0 = n('betaStart', 1e-4);
    const b1 = n('betaEnd', 0.02);
    const r = n('sigmoidRange', 6);
    betas = linspace(-r, r, T).map((x) => b0 + (b1 - b0) / (1 + Math.exp(-x)));
  } else if (name === 'cosine') {
    const s = n('s', 0.008);
    const f = (t: number) => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    betas = Array.from({ length: T }, (_, i) => Math.min(1 - f(i + 1) / f(i), n('maxBeta', 0.999)));
  } else if (name === 'constant') {
    betas = new Array(T).fill(n('beta', 0.05));
  } else if (name === 'constant-gamma') {
    const g = n('gamma', Math.sqrt(0.95));
    if (!(g > 0 && g < 1)) throw new Error(`gamma = ${g}: must lie in (0, 1)`);
    betas = new Array(T).fill(1 - g * g);
  } else {
    throw new Error(`unknown schedule ${JSON.stringify(name)}`);
  }
  new PlainSchedule(betas); // validates
  return betas;
}

export function rescaleZeroSnr(betas: ArrayLike<number>): number[] {
  const s = new PlainSchedule(betas);
  if (s.T < 2) throw new Error('rescale needs T ≥ 2');
  const sq = s.alphasCumprod.map(Math.sqrt);
  const first = sq[0];
  const last = sq[s.T - 1];
  const ab = sq.map((v) => ((v - last) * first) / (first - last)).map((v) => v * v);
  return ab.map((a, i) => (i === 0 ? 1 - a : i === s.T - 1 ? 1 : 1 - a / ab[i - 1]));
}

function vec(name: string, x: Arr, like?: Arr): number[] {
  const v = Array.from(x);
  if (v.length === 0) throw new Error(`${name}: empty`);
  v.forEach((e, i) => {
    if (!Number.isFinite(e)) throw new Error(`${name}[${i}] = ${e}: not finite`);
  });
  if (like && like.length !== v.length) throw new Error(`${name}: length ${v.length}, expected ${like.length}`);
  return v;
}

/** x̂_0 and ε̂ from a model output. */
function x0AndEps(s: PlainSchedule, xt: number[], t: number, out: number[], prediction: string): { x0: number[]; eps: number[] } {
  s.beta(t); // t ∈ {1..T}
  const a = s.abar(t);
  if (prediction === 'eps') {
    if (a === 0) throw new Error(`x0 from eps undefined at t = ${t} (ᾱ = 0)`);
    return { x0: xt.map((x, i) => (x - Math.sqrt(1 - a) * out[i]) / Math.sqrt(a)), eps: out };
  }
  if (prediction === 'x0') return { x0: out, eps: xt.map((x, i) => (x - Math.sqrt(a) * out[i]) / Math.sqrt(1 - a)) };
  if (prediction === 'v') {
    return { x0: xt.map((x, i) => Math.sqrt(a) * x - Math.sqrt(1 - a) * out[i]), eps: xt.map((x, i) => Math.sqrt(1 - a) * x + Math.sqrt(a) * out[i]) };
  }
  throw new Error(`unknown prediction ${JSON.stringify(prediction)}`);
}

/** Posterior mean coefficients (C1). */
function posteriorMean(s: PlainSchedule, x0: number[], xt: number[], t: number): number[] {
  const ap = s.abar(t - 1);
  const b = s.beta(t);
  const om = s.oneMinusAbar(t);
  return x0.map((x, i) => ((Math.sqrt(ap) * b) / om) * x + ((Math.sqrt(1 - b) * s.oneMinusAbar(t - 1)) / om) * xt[i]);
}

function ddpmStepPlain(s: PlainSchedule, xt: number[], t: number, out: number[], o: DdpmStepOptions): number[] {
  let { x0 } = x0AndEps(s, xt, t, out, o.prediction ?? 'eps');
  if (o.clip) x0 = x0.map((x) => Math.min(1, Math.max(-1, x)));
  const mean = posteriorMean(s, x0, xt, t);
  if (t === 1) return mean;
  const variance = o.variance ?? 'posterior';
  if (variance !== 'beta' && variance !== 'posterior') throw new Error(`unknown variance ${JSON.stringify(variance)}`);
  const sigma = Math.sqrt(variance === 'beta' ? s.beta(t) : s.posteriorVariance(t));
  if (!o.noise) throw new Error('noise required');
  const z = vec('noise', o.noise, xt);
  return mean.map((m, i) => m + sigma * z[i]);
}

function ddimTimestepsPlain(T: number, steps: number, spacing: string): number[] {
  if (!Number.isInteger(T) || T < 1 || !Number.isInteger(steps) || steps < 1 || steps > T) throw new Error(`bad T = ${T} / steps = ${steps}`);
  const roundEven = (x: number) => {
    const r = Math.round(x);
    return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  let zeroBased: number[];
  if (spacing === 'leading') zeroBased = Array.from({ length: steps }, (_, k) => (steps - 1 - k) * Math.floor(T / steps));
  else if (spacing === 'trailing') zeroBased = Array.from({ length: steps }, (_, k) => roundEven(T - k * (T / steps)) - 1); // as np.arange(T, 0, -T/steps)
  else if (spacing === 'linspace') zeroBased = linspace(0, T - 1, steps).map(roundEven).reverse();
  else throw new Error(`unknown spacing ${JSON.stringify(spacing)}`);
  return zeroBased.map((i) => i + 1);
}

function ddimStepPlain(s: PlainSchedule, xt: number[], t: number, tPrev: number, out: number[], o: DdimStepOptions): number[] {
  s.beta(t);
  if (!Number.isInteger(tPrev) || tPrev < 0 || tPrev >= t) throw new Error(`tPrev = ${tPrev}: must be in {0..t-1}`);
  const eta = o.eta ?? 0;
  if (!(eta >= 0)) throw new Error(`eta = ${eta}: must be ≥ 0`);
  const { x0, eps } = x0AndEps(s, xt, t, out, o.prediction ?? 'eps');
  const a = s.abar(t);
  const ap = s.abar(tPrev);
  const sigma2 = eta * eta * ((1 - ap) / (1 - a)) * (1 - a / ap);
  if (sigma2 > 1 - ap) throw new Error(`eta = ${eta}: σ² exceeds 1-ᾱ_prev`);
  const z = sigma2 > 0 ? vec('noise', o.noise ?? [], xt) : null;
  return x0.map((x, i) => Math.sqrt(ap) * x + Math.sqrt(1 - ap - sigma2) * eps[i] + (z ? Math.sqrt(sigma2) * z[i] : 0));
}

/** erfc by the series of erf (|x| < 1) or a continued fraction (elsewhere), accurate to ~3e-15 relative. */
function erfc(x: number): number {
  const z = Math.abs(x);
  let r: number;
  if (z < 1) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 40; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    r = 1 - (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(z) = e^{-z²}/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), evaluated bottom-up.
    let frac = z;
    for (let n = 2000; n >= 1; n--) frac = z + n / 2 / frac; // 2000 terms: ≤ 3e-15 relative for z ≥ 1
    r = Math.exp(-z * z) / (Math.sqrt(Math.PI) * frac);
  }
  return x >= 0 ? r : 2 - r;
}

/** Φ(b) - Φ(a) for a < b, from whichever tail keeps the two CDFs small. */
export function normalMass(a: number, b: number): number {
  if (a > 0) return 0.5 * (erfc(a / Math.SQRT2) - erfc(b / Math.SQRT2));
  if (b < 0) return 0.5 * (erfc(-b / Math.SQRT2) - erfc(-a / Math.SQRT2));
  return 1 - 0.5 * erfc(-a / Math.SQRT2) - 0.5 * erfc(b / Math.SQRT2);
}

function decoderLogLik(x: number[], mean: number[], logScale: number[]): number[] {
  return x.map((xv, i) => {
    if (!(xv >= -1 && xv <= 1)) throw new Error(`x = ${xv}: 8-bit data must lie in [-1, 1]`);
    const inv = Math.exp(-logScale[i]);
    const lo = xv <= -1 + 1e-9 ? -Infinity : (xv - 1 / 255 - mean[i]) * inv;
    const hi = xv >= 1 - 1e-9 ? Infinity : (xv + 1 / 255 - mean[i]) * inv;
    return Math.log(normalMass(lo, hi));
  });
}

function normalKlPlain(m1: number[], lv1: number[], m2: number[], lv2: number[]): number[] {
  return m1.map((_, i) => 0.5 * (-1 + lv2[i] - lv1[i] + Math.exp(lv1[i] - lv2[i]) + (m1[i] - m2[i]) ** 2 * Math.exp(-lv2[i])));
}

// ================================ Part 2: the adapter ================================
// Everything below maps the interface (1-based t, β arrays, ArrayLike vectors) onto part 1.

const S = (betas: Arr) => new PlainSchedule(betas);

export const handwrittenAdapter: DiffusionImpl = {
  name: 'handwritten example (float64)',
  precision: 'float64',
  betaSchedule: (name, T, options) => makeBetas(name, T, options),
  rescaleZeroTerminalSnr: (betas) => rescaleZeroSnr(betas),
  alphaBar: (betas, t) => S(betas).abar(t),
  posteriorVariance: (betas, t) => S(betas).posteriorVariance(t),
  posteriorLogVarianceClipped: (betas, t) => S(betas).posteriorLogVarianceClipped(t),
  qSample: (betas, x0In, t, epsIn) => {
    const a = S(betas).abar(t);
    const x0 = vec('x0', x0In);
    const eps = vec('eps', epsIn, x0);
    return x0.map((x, i) => Math.sqrt(a) * x + Math.sqrt(1 - a) * eps[i]);
  },
  qStep: (betas, xIn, t, epsIn) => {
    const b = S(betas).beta(t);
    const x = vec('xPrev', xIn);
    const eps = vec('eps', epsIn, x);
    return x.map((v, i) => Math.sqrt(1 - b) * v + Math.sqrt(b) * eps[i]);
  },
  qPosterior: (betas, x0In, xtIn, t) => {
    const s = S(betas);
    const x0 = vec('x0', x0In);
    const xt = vec('xt', xtIn, x0);
    return { mean: posteriorMean(s, x0, xt, t), variance: s.posteriorVariance(t), logVariance: s.posteriorLogVarianceClipped(t) };
  },
  predictX0FromEps: (betas, xt, t, eps) => x0AndEps(S(betas), vec('xt', xt), t, vec('eps', eps, xt), 'eps').x0,
  predictEpsFromX0: (betas, xt, t, x0) => x0AndEps(S(betas), vec('xt', xt), t, vec('x0', x0, xt), 'x0').eps,
  vFromEpsX0: (betas, xtIn, t, epsIn) => {
    const s = S(betas);
    const xt = vec('xt', xtIn);
    const eps = vec('eps', epsIn, xt);
    const { x0 } = x0AndEps(s, xt, t, eps, 'eps');
    const a = s.abar(t);
    return eps.map((e, i) => Math.sqrt(a) * e - Math.sqrt(1 - a) * x0[i]);
  },
  epsFromV: (betas, xt, t, v) => x0AndEps(S(betas), vec('xt', xt), t, vec('v', v, xt), 'v').eps,
  x0FromV: (betas, xt, t, v) => x0AndEps(S(betas), vec('xt', xt), t, vec('v', v, xt), 'v').x0,
  scoreFromEps: (betas, xtIn, t, epsIn) => {
    const s = S(betas);
    s.beta(t); // t ∈ {1..T}
    const a = s.abar(t);
    vec('xt', xtIn);
    return vec('eps', epsIn, xtIn).map((e) => -e / Math.sqrt(1 - a));
  },
  ddpmStep: (betas, xt, t, out, options) => ddpmStepPlain(S(betas), vec('xt', xt), t, vec('modelOutput', out, xt), options),
  ddimTimesteps: (T, steps, spacing) => ddimTimestepsPlain(T, steps, spacing),
  ddimStep: (betas, xt, t, tPrev, out, options) => ddimStepPlain(S(betas), vec('xt', xt), t, tPrev, vec('modelOutput', out, xt), options),
  normalKl: (m1, lv1, m2, lv2) => normalKlPlain(vec('mean1', m1), vec('logVar1', lv1, m1), vec('mean2', m2, m1), vec('logVar2', lv2, m1)),
  discretizedGaussianLogLikelihood: (x, mean, logScale) => decoderLogLik(vec('x', x), vec('mean', mean, x), vec('logScale', logScale, x)),
  vbTerms: (betas, model, x0In, t, noiseIn) => {
    const s = S(betas);
    const x0 = vec('x0', x0In);
    const noise = vec('noise', noiseIn, x0);
    const a = s.abar(t);
    const xt = x0.map((x, i) => Math.sqrt(a) * x + Math.sqrt(1 - a) * noise[i]);
    const { x0: x0Hat } = x0AndEps(s, xt, t, vec('model output', model(Float64Array.from(xt), t), xt), 'eps');
    const pMean = posteriorMean(s, x0Hat, xt, t);
    const lv = s.posteriorLogVarianceClipped(t);
    let nats: number;
    if (t === 1) {
      nats = -decoderLogLik(x0, pMean, pMean.map(() => lv / 2)).reduce((p, q) => p + q, 0);
    } else {
      const qMean = posteriorMean(s, x0, xt, t);
      const qLv = s.posteriorLogVarianceClipped(t);
      nats = normalKlPlain(qMean, qMean.map(() => qLv), pMean, pMean.map(() => lv)).reduce((p, q) => p + q, 0);
    }
    return nats / (x0.length * Math.LN2);
  },
};
