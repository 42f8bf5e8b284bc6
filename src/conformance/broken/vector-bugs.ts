/**
 * Bug models: for every flag of the vector notes, an implementation with exactly that bug, built on
 * the handwritten example implementation (examples/handwritten-adapter.ts) by replacing the members
 * the bug touches. vectors/vectors.test.ts runs each through the conformance kit and checks that
 * every vector carrying the flag fails: a flag is a claim about the vector ("built to expose this
 * bug"), and this is its test. They double as the "deliberately broken adapters" of the kit's docs.
 */
import type { Arr, DiffusionImpl, DdimStepOptions, DdpmStepOptions, DiffusionModel, MixtureSpec, Process, SamplerFn } from '../interface.js';
import { PlainSchedule, handwrittenAdapter, makeBetas, normalMass, rescaleZeroSnr } from '../impls/handwritten.js';
import { scoreMembers } from '../impls/reference-score.js';
import { scoreBugs } from './score-bugs.js';
import * as R from '../../reference/index.js';

type Quirks = {
  /** ᾱ lookup: (schedule, t) → ᾱ used by step formulas. */
  abar?: (s: PlainSchedule, t: number) => number;
  vSwap?: boolean;
  ignorePrediction?: boolean;
  ignoreClip?: boolean;
  swapVariance?: boolean;
  noiseAtT1?: boolean;
  finalAlpha?: boolean;
  prevTimestep?: boolean;
  etaSigma?: boolean;
};

const A = Array.from as (x: Arr) => number[];

/** Finite entries and, with `like`, the same length (bug models validate like the example does). */
function checked(x: Arr, like?: Arr): number[] {
  const v = A(x);
  if (v.some((e) => !Number.isFinite(e))) throw new Error('non-finite input');
  if (like && like.length !== v.length) throw new Error('shape mismatch');
  return v;
}

function conv(s: PlainSchedule, q: Quirks, xt: number[], t: number, out: number[], prediction: string): { x0: number[]; eps: number[] } {
  const a = (q.abar ?? ((S, tt) => S.abar(tt)))(s, t);
  const p = q.ignorePrediction ? 'eps' : prediction;
  const [ca, cs] = q.vSwap ? [Math.sqrt(1 - a), Math.sqrt(a)] : [Math.sqrt(a), Math.sqrt(1 - a)];
  if (p === 'eps') {
    if (a === 0) throw new Error('x0 undefined');
    return { x0: xt.map((x, i) => (x - Math.sqrt(1 - a) * out[i]) / Math.sqrt(a)), eps: out };
  }
  if (p === 'x0') return { x0: out, eps: xt.map((x, i) => (x - Math.sqrt(a) * out[i]) / Math.sqrt(1 - a)) };
  if (p === 'v') return { x0: xt.map((x, i) => ca * x - cs * out[i]), eps: xt.map((x, i) => cs * x + ca * out[i]) };
  throw new Error(`unknown prediction ${p}`);
}

function ddpmStepQ(q: Quirks) {
  return (betas: Arr, xtIn: Arr, t: number, outIn: Arr, o: DdpmStepOptions): number[] => {
    const s = new PlainSchedule(betas);
    const xt = checked(xtIn);
    let { x0 } = conv(s, q, xt, t, checked(outIn, xt), o.prediction ?? 'eps');
    if (o.clip && !q.ignoreClip) x0 = x0.map((x) => Math.min(1, Math.max(-1, x)));
    const ab = (q.abar ?? ((S, tt) => S.abar(tt)))(s, t);
    const abp = t === 1 ? 1 : (q.abar ?? ((S, tt) => S.abar(tt)))(s, t - 1);
    const b = 1 - ab / abp;
    const mean = x0.map((x, i) => ((Math.sqrt(abp) * b) / (1 - ab)) * x + ((Math.sqrt(1 - b) * (1 - abp)) / (1 - ab)) * xt[i]);
    let variance = o.variance ?? 'posterior';
    if (variance !== 'beta' && variance !== 'posterior') throw new Error('unknown variance');
    if (q.swapVariance) variance = variance === 'beta' ? 'posterior' : 'beta';
    if (t === 1 && !q.noiseAtT1) return mean;
    const v = variance === 'beta' ? s.beta(t) : Math.exp(s.posteriorLogVarianceClipped(t));
    const z = checked(o.noise!, xt);
    return mean.map((m, i) => m + Math.sqrt(v) * z[i]);
  };
}

function ddimStepQ(q: Quirks) {
  return (betas: Arr, xtIn: Arr, t: number, tPrev: number, outIn: Arr, o: DdimStepOptions): number[] => {
    const s = new PlainSchedule(betas);
    if (!(tPrev >= 0 && tPrev < t)) throw new Error('bad tPrev');
    const xt = checked(xtIn);
    const { x0, eps } = conv(s, q, xt, t, checked(outIn, xt), o.prediction ?? 'eps');
    const a = (q.abar ?? ((S, tt) => S.abar(tt)))(s, t);
    let ap = q.prevTimestep ? s.abar(t - 1) : s.abar(tPrev);
    if (q.finalAlpha && tPrev === 0) ap = s.abar(1);
    const eta = o.eta ?? 0;
    if (!(eta >= 0)) throw new Error('eta must be ≥ 0');
    if (eta * eta * ((1 - s.abar(tPrev)) / (1 - a)) * (1 - a / s.abar(tPrev)) > 1 - s.abar(tPrev)) throw new Error('eta inadmissible');
    let sigma2 = eta * eta * ((1 - ap) / (1 - a)) * (1 - a / ap);
    if (q.etaSigma) sigma2 = t === 1 ? 0 : eta * eta * s.posteriorVariance(t);
    const z = sigma2 > 0 ? checked(o.noise!, xt) : xt.map(() => 0);
    return x0.map((x, i) => Math.sqrt(ap) * x + Math.sqrt(Math.max(0, 1 - ap - sigma2)) * eps[i] + Math.sqrt(sigma2) * z[i]);
  };
}

const H = handwrittenAdapter;
/** Every member of `impl` with t (and tPrev) shifted by one: a 0-based index used as the papers' t. */
function shiftT(impl: DiffusionImpl): DiffusionImpl {
  const o: Record<string, unknown> = { ...impl };
  for (const [k, fn] of Object.entries(impl)) {
    if (typeof fn !== 'function') continue;
    const f = fn as (...a: unknown[]) => unknown;
    if (k === 'ddimTimesteps') o[k] = (T: number, n: number, sp: string) => (f(T, n, sp) as number[]).map((t) => t - 1);
    else if (k === 'ddimStep') o[k] = (b: Arr, x: Arr, t: number, tp: number, m: Arr, op: unknown) => f(b, x, t + 1, tp + 1, m, op);
    else if (['alphaBar', 'posteriorVariance', 'posteriorLogVarianceClipped'].includes(k)) o[k] = (b: Arr, t: number) => f(b, t + 1);
    else if (['qSample', 'qStep', 'qPosterior', 'predictX0FromEps', 'predictEpsFromX0', 'vFromEpsX0', 'epsFromV', 'x0FromV', 'scoreFromEps', 'ddpmStep'].includes(k)) {
      o[k] = (b: Arr, x: Arr, t: number, ...rest: unknown[]) => f(b, x, t + 1, ...rest);
    } else if (k === 'vbTerms') o[k] = (b: Arr, m: unknown, x: Arr, t: number, n: Arr) => f(b, m, x, t + 1, n);
  }
  return o as unknown as DiffusionImpl;
}

const clipBetaT = (b: Arr): number[] => A(b).map((v, i, all) => (i === all.length - 1 && v === 1 ? 0.999 : v));

/** Every member of `impl` that takes betas, with β_T = 1 replaced by 0.999. */
function noZeroSnr(impl: DiffusionImpl): DiffusionImpl {
  const o: Record<string, unknown> = { ...impl };
  for (const [k, fn] of Object.entries(impl)) {
    if (typeof fn !== 'function' || ['betaSchedule', 'ddimTimesteps', 'normalKl', 'discretizedGaussianLogLikelihood'].includes(k)) continue;
    o[k] = (b: Arr, ...rest: unknown[]) => (fn as (...a: unknown[]) => unknown)(clipBetaT(b), ...rest);
  }
  o.rescaleZeroTerminalSnr = (b: Arr) => clipBetaT(rescaleZeroSnr(b));
  return o as unknown as DiffusionImpl;
}

/** Catch every error and answer NaN instead (no input validation at all). */
function noValidation(impl: DiffusionImpl): DiffusionImpl {
  const o: Record<string, unknown> = { ...impl };
  for (const [k, fn] of Object.entries(impl)) {
    if (typeof fn !== 'function') continue;
    o[k] = (...a: unknown[]) => {
      try {
        return (fn as (...x: unknown[]) => unknown)(...a);
      } catch {
        return k === 'qPosterior' ? { mean: [NaN], variance: NaN, logVariance: NaN } : ['alphaBar', 'posteriorVariance', 'posteriorLogVarianceClipped', 'vbTerms'].includes(k) ? NaN : [NaN];
      }
    };
  }
  return o as unknown as DiffusionImpl;
}

function decoderQ(halfWidth: number, closedEdges: boolean, logScaleIsLogVar: boolean) {
  return (xIn: Arr, meanIn: Arr, lsIn: Arr): number[] => {
    const x = A(xIn);
    const mean = A(meanIn);
    const ls = A(lsIn);
    return x.map((xv, i) => {
      const inv = logScaleIsLogVar ? Math.exp(-ls[i] / 2) : Math.exp(-ls[i]);
      const lo = !closedEdges && xv <= -1 + 1e-9 ? -Infinity : (xv - halfWidth - mean[i]) * inv;
      const hi = !closedEdges && xv >= 1 - 1e-9 ? Infinity : (xv + halfWidth - mean[i]) * inv;
      return Math.log(normalMass(lo, hi));
    });
  };
}

function named(name: string, impl: DiffusionImpl, over: Partial<DiffusionImpl> = {}): DiffusionImpl {
  return { ...impl, ...over, name: `bug model ${name}`, precision: 'float64' };
}


// ---- score family ---------------------------------------------------------------------------
// Built on the handwritten core plus the reference's score members (HS); each replaces the members
// its bug touches. Samplers with a bug are re-implemented here (or taken from the score self-check,
// properties/broken/score-bugs.ts, where its broken sampler is exactly the flag's bug).

type Rows = Float64Array[];
const HS: DiffusionImpl = { ...H, ...scoreMembers, name: 'handwritten + reference score members', precision: 'float64' };
const refSampler = (n: string): SamplerFn => R.getSampler(n);
const selfCheck = (id: string): DiffusionImpl => {
  const b = scoreBugs.find((x) => x.id === id);
  if (!b) throw new Error(`no score self-check bug ${id}`);
  return b.impl;
};
/**
 * A buggy sampler that validates its inputs like the reference (one bug, not two): the reference
 * sampler runs first on the same inputs with a private Rng, only for its input checks.
 */
function validated(name: string, fn: SamplerFn): SamplerFn {
  return (m, x, g, o = {}) => {
    refSampler(name)(m, x, g, { ...o, rng: new R.Rng(1), callback: undefined });
    return fn(m, x, g, o);
  };
}
/** Replace the samplers named in `fns` (validated); the others are the reference's. */
function samplers(fns: Record<string, SamplerFn>): Partial<DiffusionImpl> {
  return { scoreSampler: (n: string) => (fns[n] ? validated(n, fns[n]) : refSampler(n)) };
}
/** The broken sampler `name` of a score self-check implementation, validated. */
function selfCheckSampler(id: string, name: string): Partial<DiffusionImpl> {
  return samplers({ [name]: selfCheck(id).scoreSampler!(name) });
}
/** Every sampler sees the model through `wrap` (a conversion bug inside the implementation). */
function viewModel(wrap: (m: DiffusionModel) => DiffusionModel): Partial<DiffusionImpl> {
  return { scoreSampler: (n: string) => { const f = refSampler(n); return (m, x, g, o) => f(wrap(m), x, g, o); } };
}
const mapRows = (x: Rows, fn: (v: number, r: number, i: number) => number): Rows => x.map((row, r) => row.map((v, i) => fn(v, r, i)));

/** A grid loop for one-step-at-a-time bug samplers. */
function loop(x: Rows, grid: ArrayLike<number>, step: (x: Rows, t: number, tn: number, i: number) => Rows): Rows {
  let cur = R.checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) cur = step(cur, grid[i], grid[i + 1], i);
  return cur;
}

/** (Annealed) Langevin with a noise scale c·√τ (correct: c = √2) and optional annealing. */
function langevinQ(noiseScale: number, anneal: boolean): SamplerFn {
  return (model, x, grid, o = {}) => {
    const rng = o.rng!;
    const levels = Array.from(grid);
    const sL = model.process.sigma(levels[levels.length - 1]);
    let cur = R.checkBatch(x);
    for (const t of levels) {
      const tau = anneal ? R.annealedStepSize(o.stepSize!, model.process.sigma(t), sL) : o.stepSize!;
      for (let m = 0; m < (o.stepsPerLevel ?? 1); m++) {
        const s = R.modelScore(model, cur, t);
        const z = cur.map((r) => rng.normals(r.length));
        cur = mapRows(cur, (v, r, i) => v + tau * s[r][i] + noiseScale * Math.sqrt(tau) * z[r][i]);
      }
    }
    return cur;
  };
}

/** PF-ODE solvers with the reverse-SDE drift f x - g² s (the ½ dropped). */
function odeNoHalf(step: typeof R.eulerStep): SamplerFn {
  return (model, x, grid) => {
    const drift = (xx: Rows, t: number) => {
      const s = R.modelScore(model, xx, t);
      return mapRows(xx, (v, r, i) => model.process.f(t) * v - model.process.g2(t) * s[r][i]);
    };
    return loop(x, grid, (cur, t, tn) => step(drift, cur, t, tn - t));
  };
}

/** Singlestep DPM-Solver of order 1-3 with one bug switched on. */
function dpmQ(order: 1 | 2 | 3, q: { reverse?: boolean; linearTime?: boolean; coef3?: boolean }): SamplerFn {
  const lin = (terms: [number, Rows][]) => terms[0][1].map((row, r) => row.map((_, i) => terms.reduce((a, [c, y]) => a + c * y[r][i], 0)));
  const phi2 = (h: number) => Math.expm1(h) / h - 1;
  return (model, x, grid) =>
    loop(x, grid, (cur, s, t) => {
      const p: Process = model.process;
      const ls = p.lambda(s);
      const lt = p.lambda(t);
      const h = q.reverse ? ls - lt : lt - ls;
      const mid = (r: number) => (q.linearTime ? s + r * (t - s) : p.tOfLambda(ls + r * (lt - ls)));
      const es = R.modelEps(model, cur, s);
      const base: [number, Rows][] = [[p.alpha(t) / p.alpha(s), cur], [-p.sigma(t) * Math.expm1(h), es]];
      if (order === 1) return lin(base);
      const r1 = order === 2 ? 0.5 : 1 / 3;
      const s1 = mid(r1);
      const u1 = lin([[p.alpha(s1) / p.alpha(s), cur], [-p.sigma(s1) * Math.expm1(r1 * h), es]]);
      const d1 = lin([[1, R.modelEps(model, u1, s1)], [-1, es]]);
      if (order === 2) return lin([...base, [(-p.sigma(t) / (2 * r1)) * Math.expm1(h), d1]]);
      const r2 = 2 / 3;
      const s2 = mid(r2);
      const u2 = lin([[p.alpha(s2) / p.alpha(s), cur], [-p.sigma(s2) * Math.expm1(r2 * h), es], [((-p.sigma(s2) * r2) / r1) * phi2(r2 * h), d1]]);
      const d2 = lin([[1, R.modelEps(model, u2, s2)], [-1, es]]);
      return lin([...base, [(-p.sigma(t) / (q.coef3 ? r1 : r2)) * phi2(h), d2]]);
    });
}

/** The guidance bug models validate w like the reference (they have one bug each, not two). */
function checkScale(w: number, min: number): void {
  if (!(Number.isFinite(w) && w >= min)) throw new Error(`guidance scale w = ${w} must be finite and ≥ ${min}`);
}

/** Stochastic InDI with seed 004 eq. (67)'s √(t-τ) instead of (t-τ). */
const indiSqrtT: SamplerFn = (model, x, grid, o = {}) => {
  const c = model.process.indiExtraNoise ?? 0;
  const se = (t: number) => c * (1 - t);
  return loop(x, grid, (cur, t, tn) => {
    const d = R.modelX0(model, cur, t);
    const det = R.indiStep(cur, d, t, tn);
    if (!(o.stochastic ?? c > 0)) return det;
    const k = Math.sqrt(tn) * Math.sqrt(se(tn) ** 2 - se(t) ** 2);
    const z = cur.map((r) => o.rng!.normals(r.length));
    return mapRows(det, (v, r, i) => v + k * z[r][i]);
  });
};

function equalWeights(m: MixtureSpec): MixtureSpec {
  return { ...m, weights: Array.from(m.weights, () => 1 / m.weights.length) };
}
/** αΣ_k + σ²I instead of α²Σ_k + σ²I: the same mixture with covariances Σ_k/α (α > 0). */
function alphaCov(m: MixtureSpec, alpha: number): MixtureSpec {
  if (!(alpha > 0) || alpha === 1) return m;
  const sc = (v: number | ArrayLike<number>) => (typeof v === 'number' ? v / alpha : Array.from(v, (e) => e / alpha));
  if (m.covariances) return { ...m, covariances: m.covariances.map((c) => Array.from(c, (row) => Array.from(row, (e) => e / alpha))) };
  if (m.variances) return { ...m, variances: m.variances.map(sc) };
  return { ...m, stds: m.stds!.map((v) => (typeof v === 'number' ? v / Math.sqrt(alpha) : Array.from(v, (e) => e / Math.sqrt(alpha)))) };
}
/** Mixture members evaluated on a transformed spec (per α). */
function mixtureVia(tr: (m: MixtureSpec, alpha: number) => MixtureSpec): Partial<DiffusionImpl> {
  const S = scoreMembers;
  return {
    mixtureLogPdf: (m, a, s, x) => S.mixtureLogPdf!(tr(m, a), a, s, x),
    mixtureScore: (m, a, s, x) => S.mixtureScore!(tr(m, a), a, s, x),
    mixturePosteriorMean: (m, a, s, x) => S.mixturePosteriorMean!(tr(m, a), a, s, x),
    mixtureModel: (m, p, out) => ({ process: p, output: out, apply: (x: Rows, t: number) => S.mixtureModel!(tr(m, p.alpha(t)), p, out).apply(x, t) }),
  };
}
/** The score negated (s = +C⁻¹(x - αμ), s = +ε/σ): mixture score/ε outputs and every sampler's view of the model. */
function flipScore(): Partial<DiffusionImpl> {
  const S = scoreMembers;
  return {
    mixtureScore: (m, a, s, x) => Array.from(S.mixtureScore!(m, a, s, x), (v) => -v),
    mixtureModel: (m, p, out) => {
      const good = S.mixtureModel!(m, p, out);
      return out === 'score' || out === 'eps' ? { ...good, apply: (x: Rows, t: number) => good.apply(x, t).map((r) => r.map((v) => -v)) } : good;
    },
    ...viewModel((m) => ({ process: m.process, output: 'score', apply: (x, t) => R.modelScore(m, x, t).map((r) => r.map((v) => -v)) })),
  };
}
/** Tweedie with σ instead of σ²: x̂_0 = (x + σ s)/α. */
function tweedieSigma(): Partial<DiffusionImpl> {
  const S = scoreMembers;
  const tw = (x: Rows, s: Rows, a: number, sg: number) => mapRows(x, (v, r, i) => (v + sg * s[r][i]) / a);
  return {
    mixturePosteriorMean: (m, a, s, x) => {
      if (!(a > 0)) return S.mixturePosteriorMean!(m, a, s, x);
      return tw([Float64Array.from(x)], [Float64Array.from(S.mixtureScore!(m, a, s, x))], a, s)[0];
    },
    mixtureModel: (m, p, out) => {
      const good = S.mixtureModel!(m, p, out);
      if (out !== 'x0') return good;
      const sc = S.mixtureModel!(m, p, 'score');
      return { ...good, apply: (x: Rows, t: number) => tw(x, sc.apply(x, t), p.alpha(t), p.sigma(t)) };
    },
    ...viewModel((m) => (m.output !== 'score' ? m : { process: m.process, output: 'x0', apply: (x, t) => tw(x, m.apply(x, t), m.process.alpha(t), m.process.sigma(t)) })),
  };
}

/** No validation at all, through returned processes, samplers and models: every error becomes NaN output. */
function nanRows(x: unknown): Rows {
  return Array.isArray(x) ? x.map((r: ArrayLike<number>) => Float64Array.from(r, () => NaN)) : [Float64Array.of(NaN)];
}
function nanProcess(): Process {
  const nan = () => NaN;
  return { kind: 'vp', tMin: 0, tMax: Infinity, label: 'unvalidated', alpha: nan, sigma: nan, lambda: nan, tOfLambda: nan, f: nan, g2: nan };
}
function safeModel(make: () => DiffusionModel, process: Process): DiffusionModel {
  let m: DiffusionModel;
  try {
    m = make();
  } catch {
    return { process, output: 'eps', apply: (x) => nanRows(x) };
  }
  return { ...m, apply: (x, t) => { try { return m.apply(x, t); } catch { return nanRows(x); } } };
}
function noScoreValidation(impl: DiffusionImpl): Partial<DiffusionImpl> {
  const safeSampler = (f: SamplerFn): SamplerFn => (m, x, g, o) => { try { return f(m, x, g, o); } catch { return nanRows(x); } };
  return {
    scoreProcess: (k, o) => {
      let p: Process;
      try {
        p = impl.scoreProcess!(k, o);
      } catch {
        return nanProcess();
      }
      const safe = (f: (t: number) => number) => (t: number) => { try { return f(t); } catch { return NaN; } };
      return { ...p, alpha: safe(p.alpha), sigma: safe(p.sigma), lambda: safe(p.lambda), tOfLambda: safe(p.tOfLambda), f: safe(p.f), g2: safe(p.g2) };
    },
    scoreSampler: (n) => { try { return safeSampler(impl.scoreSampler!(n)); } catch { return (_m, x) => nanRows(x); } },
    mixtureModel: (m, p, out) => safeModel(() => impl.mixtureModel!(m, p, out), p),
    classifierGuidance: (m, g, w) => safeModel(() => impl.classifierGuidance!(m, g, w), m.process),
    classifierFreeGuidance: (c, u, w) => safeModel(() => impl.classifierFreeGuidance!(c, u, w), c.process),
  };
}

/** Flag → an implementation with that bug. */
export const BUG_MODELS: Record<string, () => DiffusionImpl> = {
  OFF_BY_ONE: () => named('OFF_BY_ONE', shiftT(H)),
  FINAL_ALPHA: () => named('FINAL_ALPHA', H, { ddimStep: ddimStepQ({ finalAlpha: true }) }),
  PREV_TIMESTEP: () => named('PREV_TIMESTEP', H, { ddimStep: ddimStepQ({ prevTimestep: true }) }),
  ETA_SIGMA: () => named('ETA_SIGMA', H, { ddimStep: ddimStepQ({ etaSigma: true }) }),
  T_ZERO_VARIANCE: () => {
    // ᾱ_{t-1} read as alphas_cumprod[t-2]: at t = 1 numpy's index -1 wraps to ᾱ_T.
    const abarPrev = (s: PlainSchedule, t: number) => (t === 1 ? s.alphasCumprod[s.T - 1] : s.abar(t - 1));
    const pv = (s: PlainSchedule, t: number) => ((1 - abarPrev(s, t)) / (1 - s.abar(t))) * s.beta(t);
    return named('T_ZERO_VARIANCE', H, {
      posteriorVariance: (b, t) => pv(new PlainSchedule(b), t),
      qPosterior: (b, x0In, xtIn, t) => {
        const s = new PlainSchedule(b);
        const [x0, xt] = [A(x0In), A(xtIn)];
        const ap = abarPrev(s, t);
        const a = s.abar(t);
        const be = s.beta(t);
        const mean = x0.map((x, i) => ((Math.sqrt(ap) * be) / (1 - a)) * x + ((Math.sqrt(1 - be) * (1 - ap)) / (1 - a)) * xt[i]);
        return { mean, variance: pv(s, t), logVariance: s.posteriorLogVarianceClipped(t) };
      },
    });
  },
  LOG_VARIANCE_CLIP: () => {
    const lv = (s: PlainSchedule, t: number) => Math.log((t === 1 ? 0 : s.posteriorVariance(t)) + 1e-20);
    return named('LOG_VARIANCE_CLIP', H, {
      posteriorLogVarianceClipped: (b, t) => lv(new PlainSchedule(b), t),
      qPosterior: (b, x0, xt, t) => ({ ...(H.qPosterior!(b, x0, xt, t) as { mean: Arr; variance: number }), logVariance: lv(new PlainSchedule(b), t) }),
      vbTerms: (b, model, x0, t, noise) => {
        if (t !== 1) return H.vbTerms!(b, model, x0, t, noise);
        // The decoder with log σ = ½ log(β̃_1 + 1e-20).
        const s = new PlainSchedule(b);
        const xt = H.qSample!(b, x0, 1, noise);
        const mean = H.ddpmStep!(b, xt, 1, model(Float64Array.from(xt), 1), { prediction: 'eps', variance: 'posterior' });
        const ll = H.discretizedGaussianLogLikelihood!(x0, mean, A(x0).map(() => lv(s, 1) / 2));
        return -A(ll).reduce((p, q) => p + q, 0) / (x0.length * Math.LN2);
      },
    });
  },
  NOISE_AT_T1: () => named('NOISE_AT_T1', H, { ddpmStep: ddpmStepQ({ noiseAtT1: true }) }),
  VARIANCE_TYPE: () => named('VARIANCE_TYPE', H, { ddpmStep: ddpmStepQ({ swapVariance: true }) }),
  CLIP_X0: () => named('CLIP_X0', H, { ddpmStep: ddpmStepQ({ ignoreClip: true }) }),
  PREDICTION_TYPE: () => named('PREDICTION_TYPE', H, { ddpmStep: ddpmStepQ({ ignorePrediction: true }), ddimStep: ddimStepQ({ ignorePrediction: true }) }),
  V_CONVERSION: () => {
    const q: Quirks = { vSwap: true };
    const sw = (b: Arr, xt: Arr, t: number, v: Arr) => conv(new PlainSchedule(b), q, A(xt), t, A(v), 'v');
    return named('V_CONVERSION', H, {
      vFromEpsX0: (b, xtIn, t, epsIn) => {
        const s = new PlainSchedule(b);
        const x0 = A(H.predictX0FromEps!(b, xtIn, t, epsIn));
        const a = s.abar(t);
        return A(epsIn).map((e, i) => Math.sqrt(1 - a) * e - Math.sqrt(a) * x0[i]);
      },
      epsFromV: (b, xt, t, v) => sw(b, xt, t, v).eps,
      x0FromV: (b, xt, t, v) => sw(b, xt, t, v).x0,
      ddpmStep: ddpmStepQ(q),
      ddimStep: ddimStepQ(q),
    });
  },
  MISSING_SQRT: () =>
    named('MISSING_SQRT', H, {
      qSample: (b, x0, t, eps) => {
        const a = new PlainSchedule(b).abar(t);
        const e = A(eps);
        return A(x0).map((x, i) => a * x + (1 - a) * e[i]);
      },
      qStep: (b, x, t, eps) => {
        const be = new PlainSchedule(b).beta(t);
        const e = A(eps);
        return A(x).map((v, i) => (1 - be) * v + be * e[i]);
      },
    }),
  SCORE_SCALE: () =>
    named('SCORE_SCALE', H, {
      scoreFromEps: (b, _xt, t, eps) => {
        const a = new PlainSchedule(b).abar(t);
        return A(eps).map((e) => -e / (1 - a));
      },
    }),
  ZERO_TERMINAL_SNR: () => named('ZERO_TERMINAL_SNR', noZeroSnr(H)),
  LINEAR_ENDPOINT: () =>
    named('LINEAR_ENDPOINT', H, {
      betaSchedule: (name, T, o) => {
        if (name !== 'linear') return makeBetas(name, T, o);
        const full = makeBetas('linear', T + 1, { ...o, scaleToT: false }).map((v) => (o?.scaleToT ? (v * 1000) / T : v));
        return full.slice(0, T);
      },
    }),
  COSINE_CLIP: () => named('COSINE_CLIP', H, { betaSchedule: (name, T, o) => (name === 'cosine' ? makeBetas(name, T, { ...o, maxBeta: 1 }) : makeBetas(name, T, o)) }),
  TIMESTEP_SPACING: () => named('TIMESTEP_SPACING', H, { ddimTimesteps: (T, n, sp) => A(H.ddimTimesteps!(T, n, sp)).map((t) => t - 1) }),
  DECODER_EDGE_BINS: () => {
    const dec = decoderQ(1 / 255, true, false);
    return named('DECODER_EDGE_BINS', H, { discretizedGaussianLogLikelihood: dec, vbTerms: vbWithDecoder(dec) });
  },
  DECODER_BIN_WIDTH: () => named('DECODER_BIN_WIDTH', H, { discretizedGaussianLogLikelihood: decoderQ(1 / 510, false, false) }),
  LOG_SCALE_CONVENTION: () =>
    named('LOG_SCALE_CONVENTION', H, {
      discretizedGaussianLogLikelihood: decoderQ(1 / 255, false, true),
      normalKl: (m1, l1, m2, l2) => H.normalKl!(m1, A(l1).map((v) => 2 * v), m2, A(l2).map((v) => 2 * v)),
    }),
  BITS_PER_DIM: () => named('BITS_PER_DIM', H, { vbTerms: (...a) => (H.vbTerms!(...a) as number) * Math.LN2 }),
  VLB_DECODER_T1: () =>
    named('VLB_DECODER_T1', H, {
      vbTerms: (b, model, x0, t, noise) => {
        if (t !== 1) return H.vbTerms!(b, model, x0, t, noise);
        const xt = H.qSample!(b, x0, 1, noise);
        const mean = A(H.ddpmStep!(b, xt, 1, model(Float64Array.from(xt), 1), { prediction: 'eps' }));
        const q = H.qPosterior!(b, x0, xt, 1) as { mean: Arr; logVariance: number };
        const kl = A(H.normalKl!(q.mean, mean.map(() => q.logVariance), mean, mean.map(() => q.logVariance)));
        return kl.reduce((p, r) => p + r, 0) / (x0.length * Math.LN2);
      },
    }),
  INPUT_VALIDATION: () => named('INPUT_VALIDATION', { ...noValidation(HS), ...noScoreValidation(HS) }),
  // ---- score family ----
  SCORE_SIGN: () => named('SCORE_SIGN', HS, flipScore()),
  MIXTURE_WEIGHTS: () => named('MIXTURE_WEIGHTS', HS, mixtureVia((m) => equalWeights(m))),
  NOISY_MARGINAL: () => named('NOISY_MARGINAL', HS, mixtureVia(alphaCov)),
  TWEEDIE_SCALE: () => named('TWEEDIE_SCALE', HS, tweedieSigma()),
  LANGEVIN_NOISE_SCALE: () => named('LANGEVIN_NOISE_SCALE', HS, samplers({ langevin: langevinQ(1, false), 'annealed-langevin': langevinQ(1, true) })),
  ANNEALED_STEP_SIZE: () => named('ANNEALED_STEP_SIZE', HS, samplers({ 'annealed-langevin': langevinQ(Math.SQRT2, false) })),
  VP_SDE_DRIFT: () => named('VP_SDE_DRIFT', HS, selfCheckSampler('vp-reverse-half-beta', 'vp-reverse-sde')),
  VE_SDE_INCREMENT: () => named('VE_SDE_INCREMENT', HS, selfCheckSampler('ve-sigma-increments', 've-reverse-sde')),
  PF_ODE_DRIFT: () => named('PF_ODE_DRIFT', HS, samplers({ 'ode-euler': odeNoHalf(R.eulerStep), 'ode-heun': odeNoHalf(R.heunStep), 'ode-rk4': odeNoHalf(R.rk4Step) })),
  HEUN_CORRECTION: () => named('HEUN_CORRECTION', HS, selfCheckSampler('heun-no-correction', 'ode-heun')),
  RK4_WEIGHTS: () => named('RK4_WEIGHTS', HS, selfCheckSampler('rk4-equal-weights', 'ode-rk4')),
  DPM_LAMBDA_DIRECTION: () => named('DPM_LAMBDA_DIRECTION', HS, samplers({ 'dpm-solver-1': dpmQ(1, { reverse: true }), 'dpm-solver-2': dpmQ(2, { reverse: true }), 'dpm-solver-3': dpmQ(3, { reverse: true }) })),
  DPM_INTERMEDIATE_TIME: () => named('DPM_INTERMEDIATE_TIME', HS, samplers({ 'dpm-solver-2': dpmQ(2, { linearTime: true }), 'dpm-solver-3': dpmQ(3, { linearTime: true }) })),
  DPM_SOLVER3_COEF: () => named('DPM_SOLVER3_COEF', HS, samplers({ 'dpm-solver-3': dpmQ(3, { coef3: true }) })),
  GUIDANCE_ON_X0: () => named('GUIDANCE_ON_X0', HS, { classifierGuidance: (m, g, w) => (checkScale(w, 0), selfCheck('guidance-on-x0').classifierGuidance!(m, g, w)) }),
  GUIDANCE_SIGMA_SCALE: () =>
    named('GUIDANCE_SIGMA_SCALE', HS, {
      classifierGuidance: (m, grad, w) => (checkScale(w, 0), { process: m.process, output: 'eps', apply: (x: Rows, t: number) => { const e = R.modelEps(m, x, t); const g = grad(x, t); return mapRows(e, (v, r, i) => v - w * g[r][i]); } }),
    }),
  CFG_SCALE_CONVENTION: () =>
    named('CFG_SCALE_CONVENTION', HS, {
      classifierFreeGuidance: (c, u, w) => (checkScale(w, -1), { process: c.process, output: 'eps', apply: (x: Rows, t: number) => { const ec = R.modelEps(c, x, t); const eu = R.modelEps(u, x, t); return mapRows(eu, (v, r, i) => v + w * (ec[r][i] - v)); } }),
    }),
  PC_SNR_STEP: () => named('PC_SNR_STEP', HS, selfCheckSampler('pc-snr-not-squared', 'predictor-corrector')),
  INDI_EXTRA_NOISE: () => named('INDI_EXTRA_NOISE', HS, samplers({ indi: indiSqrtT })),
  SCORE_MATCHING_HALF: () =>
    named('SCORE_MATCHING_HALF', HS, {
      explicitScoreMatchingLoss: (...a) => 2 * scoreMembers.explicitScoreMatchingLoss!(...a),
      denoisingScoreMatchingLoss: (...a) => 2 * scoreMembers.denoisingScoreMatchingLoss!(...a),
    }),
  DSM_TARGET: () =>
    named('DSM_TARGET', HS, {
      // Seed 004 eq. (84): the target ∇q(x|x') = q·∇log q with q = N(x; x', σ²I) at x = x' + σz.
      denoisingScoreMatchingLoss: (score, clean, sigma, noise) => {
        let acc = 0;
        clean.forEach((x0, i) => {
          const z = Array.from(noise[i]);
          const x = Float64Array.from(x0, (v, k) => v + sigma * z[k]);
          const q = Math.exp(-0.5 * z.reduce((a, v) => a + v * v, 0)) / (2 * Math.PI * sigma * sigma) ** (z.length / 2);
          const s = score(x);
          for (let k = 0; k < z.length; k++) acc += 0.5 * (s[k] + (q * z[k]) / sigma) ** 2;
        });
        return acc / clean.length;
      },
    }),
};

function vbWithDecoder(dec: (x: Arr, m: Arr, ls: Arr) => number[]): DiffusionImpl['vbTerms'] {
  return (b, model, x0, t, noise) => {
    if (t !== 1) return H.vbTerms!(b, model, x0, t, noise);
    const s = new PlainSchedule(b);
    const xt = H.qSample!(b, x0, 1, noise);
    const mean = H.ddpmStep!(b, xt, 1, model(Float64Array.from(xt), 1), { prediction: 'eps' });
    const ll = dec(x0, mean, A(x0).map(() => s.posteriorLogVarianceClipped(1) / 2));
    return -ll.reduce((p, q) => p + q, 0) / (x0.length * Math.LN2);
  };
}
