/**
 * Bug models of the core vector flags: for every core flag of the vector notes, an implementation
 * with exactly that bug, built on the handwritten example implementation (../impls/handwritten.ts)
 * by replacing the members the bug touches. vectors/vectors.test.ts runs each through the
 * conformance kit and checks that every vector carrying the flag fails: a flag is a claim about the
 * vector ("built to expose this bug"), and this is its test. Where a flag's bug is exactly one of
 * the core self-check's broken implementations (./core-bugs.ts), the bug model takes that broken
 * member (`selfCheck`), so each bug is written once.
 */
import type { Arr, DiffusionImpl, DdimStepOptions, DdpmStepOptions } from '../interface.js';
import { PlainSchedule, handwrittenAdapter, makeBetas, normalMass, rescaleZeroSnr } from '../impls/handwritten.js';
import { coreBugs } from './core-bugs.js';

type Quirks = {
  /** ᾱ lookup: (schedule, t) → ᾱ used by step formulas. */
  abar?: (s: PlainSchedule, t: number) => number;
  vSwap?: boolean;
  ignorePrediction?: boolean;
  swapVariance?: boolean;
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
    if (o.clip) x0 = x0.map((x) => Math.min(1, Math.max(-1, x)));
    const ab = (q.abar ?? ((S, tt) => S.abar(tt)))(s, t);
    const abp = t === 1 ? 1 : (q.abar ?? ((S, tt) => S.abar(tt)))(s, t - 1);
    const b = 1 - ab / abp;
    const mean = x0.map((x, i) => ((Math.sqrt(abp) * b) / (1 - ab)) * x + ((Math.sqrt(1 - b) * (1 - abp)) / (1 - ab)) * xt[i]);
    let variance = o.variance ?? 'posterior';
    if (variance !== 'beta' && variance !== 'posterior') throw new Error('unknown variance');
    if (q.swapVariance) variance = variance === 'beta' ? 'posterior' : 'beta';
    if (t === 1) return mean;
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
export function noValidation(impl: DiffusionImpl): DiffusionImpl {
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

export function named(name: string, impl: DiffusionImpl, over: Partial<DiffusionImpl> = {}): DiffusionImpl {
  return { ...impl, ...over, name: `bug model ${name}`, precision: 'float64' };
}

/** The broken implementation of a core self-check bug (./core-bugs.ts), by id. */
const selfCheck = (id: string): DiffusionImpl => {
  const b = coreBugs.find((x) => x.id === id);
  if (!b) throw new Error(`no core self-check bug ${id}`);
  return b.impl;
};

/** Core flag → an implementation with that bug. */
export const CORE_BUG_MODELS: Record<string, () => DiffusionImpl> = {
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
  NOISE_AT_T1: () => named('NOISE_AT_T1', H, { ddpmStep: selfCheck('ddpm-noise-at-t1').ddpmStep }),
  VARIANCE_TYPE: () => named('VARIANCE_TYPE', H, { ddpmStep: ddpmStepQ({ swapVariance: true }) }),
  CLIP_X0: () => named('CLIP_X0', H, { ddpmStep: selfCheck('ddpm-clip-ignored').ddpmStep }),
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
  TIMESTEP_SPACING: () => named('TIMESTEP_SPACING', H, { ddimTimesteps: selfCheck('ddim-timesteps-zero-based').ddimTimesteps }),
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
  BITS_PER_DIM: () => named('BITS_PER_DIM', H, { vbTerms: selfCheck('vb-nats').vbTerms }),
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
