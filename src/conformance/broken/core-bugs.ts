/**
 * Deliberately broken implementations for the self-check of the core claims
 * (properties/selfcheck-core.test.ts): each wraps the float64 reference with exactly one classic
 * bug, and names the claims expected to reject it. A suite that passes one of these is not testing
 * what it says.
 *
 * Every bug here has been seen in real diffusion code or in this project's seed documents (seed 001's
 * linear schedule and sampler loop, seed 004's x_t = ᾱ_t x_0 typo, 0-based vs 1-based timesteps).
 */
import type { Arr, DdimStepOptions, DdpmStepOptions, DiffusionImpl, EpsModel } from '../interface.js';
import { referenceImpl as ref, scheduleOf } from '../impls/reference.js';
import * as R from '../../reference/index.js';

export interface BrokenImpl {
  id: string;
  /** The classic bug, in words. */
  bug: string;
  /** Claim ids of which at least one must reject it. */
  expectedCaughtBy: string[];
  impl: DiffusionImpl;
}

const f64 = (x: Arr): Float64Array => (x instanceof Float64Array ? x : Float64Array.from(x));
const map2 = (a: Arr, b: Arr, f: (x: number, y: number) => number): Float64Array => Float64Array.from({ length: a.length }, (_, i) => f(a[i], b[i]));
const zerosLike = (x: Arr): Float64Array => new Float64Array(x.length);

function broken(id: string, patch: Partial<DiffusionImpl>): DiffusionImpl {
  return { ...ref, ...patch, name: `broken: ${id}` };
}

/** ddpmStep's mean (the reference with zero noise). */
function ddpmMean(betas: Arr, xt: Arr, t: number, out: Arr, o: DdpmStepOptions): Float64Array {
  return f64(ref.ddpmStep!(betas, xt, t, out, { ...o, noise: zerosLike(xt) }));
}

/** The reference's x̂_0, ε̂ of a DDIM/DDPM model output. */
function predictions(betas: Arr, xt: Arr, t: number, out: Arr, prediction: 'eps' | 'x0' | 'v' = 'eps'): { x0: Float64Array; eps: Float64Array } {
  const s = scheduleOf(betas);
  return {
    x0: R.x0FromPrediction(s, f64(xt), t, f64(out), prediction) as Float64Array,
    eps: R.epsFromPrediction(s, f64(xt), t, f64(out), prediction) as Float64Array,
  };
}

/** A DDIM step assembled from parts, so that one part can be wrong. */
function ddimFromParts(betas: Arr, xt: Arr, t: number, tPrev: number, out: Arr, o: DdimStepOptions, abX0: number): Float64Array {
  const s = scheduleOf(betas);
  const { x0, eps } = predictions(betas, xt, t, out, o.prediction);
  const sigma = R.ddimSigma(s, t, tPrev, o.eta ?? 0);
  const cdir = Math.sqrt(Math.max(0, s.oneMinusAlphaBar(tPrev) - sigma * sigma));
  const z = o.noise ?? zerosLike(xt);
  return Float64Array.from({ length: xt.length }, (_, i) => Math.sqrt(abX0) * x0[i] + cdir * eps[i] + sigma * z[i]);
}

export const coreBugs: BrokenImpl[] = [
  {
    id: 'qsample-off-by-one',
    bug: 'qSample indexes ᾱ with the 1-based t into a 0-based array (alphas_cumprod[t]), i.e. uses ᾱ_{t+1}',
    expectedCaughtBy: ['core.variance-preservation', 'core.composition'],
    impl: broken('qsample-off-by-one', {
      qSample: (betas, x0, t, eps) => {
        const s = scheduleOf(betas);
        const tt = Math.min(t + 1, s.T); // at t = T JavaScript would read undefined (NaN); clamped
        return map2(x0, eps, (x, e) => Math.sqrt(s.alphaBar(tt)) * x + Math.sqrt(s.oneMinusAlphaBar(tt)) * e);
      },
    }),
  },
  {
    id: 'qsample-no-sqrt',
    bug: 'x_t = ᾱ_t x_0 + √(1-ᾱ_t) ε (seed 004 "Training" box typo: ᾱ_t without the square root)',
    expectedCaughtBy: ['core.variance-preservation', 'core.composition'],
    impl: broken('qsample-no-sqrt', {
      qSample: (betas, x0, t, eps) => {
        const s = scheduleOf(betas);
        return map2(x0, eps, (x, e) => s.alphaBar(t) * x + Math.sqrt(s.oneMinusAlphaBar(t)) * e);
      },
    }),
  },
  {
    id: 'qstep-beta-as-std',
    bug: 'one forward step adds β_t·ε instead of √β_t·ε',
    expectedCaughtBy: ['core.composition'],
    impl: broken('qstep-beta-as-std', {
      qStep: (betas, xPrev, t, eps) => {
        const b = scheduleOf(betas).beta(t);
        return map2(xPrev, eps, (x, e) => Math.sqrt(1 - b) * x + b * e);
      },
    }),
  },
  {
    id: 'linear-schedule-short',
    bug: 'seed 001: linear β = linspace(β_1, β_T, T+1)[:-1], which never reaches β_T = 0.02',
    expectedCaughtBy: ['core.schedule-definitions'],
    impl: broken('linear-schedule-short', {
      betaSchedule: (name, T, options) => {
        if (name !== 'linear') return ref.betaSchedule!(name, T, options);
        return Float64Array.from({ length: T }, (_, i) => 1e-4 + ((0.02 - 1e-4) * i) / T);
      },
    }),
  },
  {
    id: 'cosine-unclipped',
    bug: 'cosine schedule without the clip β ≤ 0.999 (β_T = 1: the last step is singular)',
    expectedCaughtBy: ['core.schedule-definitions'],
    impl: broken('cosine-unclipped', {
      betaSchedule: (name, T, options) => {
        if (name !== 'cosine') return ref.betaSchedule!(name, T, options);
        const f = (t: number) => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
        return Float64Array.from({ length: T }, (_, i) => (i === T - 1 ? 1 : 1 - f(i + 1) / f(i)));
      },
    }),
  },
  {
    id: 'rescale-not-zero',
    bug: 'zero-terminal-SNR rescale followed by clipping β_T to 0.999, so ᾱ_T > 0 and x_T still carries x_0',
    expectedCaughtBy: ['core.variance-preservation', 'core.schedule-definitions'],
    impl: broken('rescale-not-zero', {
      rescaleZeroTerminalSnr: (betas) => {
        const out = Float64Array.from(ref.rescaleZeroTerminalSnr!(betas));
        out[out.length - 1] = Math.min(out[out.length - 1], 0.999);
        return out;
      },
    }),
  },
  {
    id: 'posterior-alphabar-t-for-t-1',
    bug: 'posterior q(x_{t-1}|x_t,x_0) uses ᾱ_t where ᾱ_{t-1} belongs (mean coefficients and β̃)',
    expectedCaughtBy: ['core.posterior-moments'],
    impl: broken('posterior-alphabar-t-for-t-1', {
      qPosterior: (betas, x0, xt, t) => {
        if (t === 1) return ref.qPosterior!(betas, x0, xt, t);
        const s = scheduleOf(betas);
        const om = s.oneMinusAlphaBar(t);
        const c0 = (Math.sqrt(s.alphaBar(t)) * s.beta(t)) / om; // should be √ᾱ_{t-1}
        const c1 = (Math.sqrt(s.alpha(t)) * om) / om; // should be (1-ᾱ_{t-1})
        const variance = (om / om) * s.beta(t);
        return { mean: map2(x0, xt, (a, b) => c0 * a + c1 * b), variance, logVariance: Math.log(variance) };
      },
    }),
  },
  {
    id: 'posterior-variance-swapped',
    bug: 'β̃_t = (1-ᾱ_t)/(1-ᾱ_{t-1})·β_t (ratio inverted)',
    expectedCaughtBy: ['core.posterior-moments'],
    impl: broken('posterior-variance-swapped', {
      qPosterior: (betas, x0, xt, t) => {
        const r = ref.qPosterior!(betas, x0, xt, t);
        if (t === 1) return r;
        const s = scheduleOf(betas);
        const variance = (s.oneMinusAlphaBar(t) / s.oneMinusAlphaBar(t - 1)) * s.beta(t);
        return { mean: r.mean, variance, logVariance: Math.log(variance) };
      },
      posteriorVariance: (betas, t) => {
        const s = scheduleOf(betas);
        return t === 1 ? 0 : (s.oneMinusAlphaBar(t) / s.oneMinusAlphaBar(t - 1)) * s.beta(t);
      },
    }),
  },
  {
    id: 'posterior-logvar-unclipped',
    bug: 'posterior log variance not clipped at t = 1: log β̃_1 = log 0 = -∞',
    expectedCaughtBy: ['core.posterior-moments'],
    impl: broken('posterior-logvar-unclipped', {
      qPosterior: (betas, x0, xt, t) => {
        const r = ref.qPosterior!(betas, x0, xt, t);
        return t === 1 ? { ...r, logVariance: Math.log(0) } : r;
      },
      posteriorLogVarianceClipped: (betas, t) => (t === 1 ? Math.log(0) : ref.posteriorLogVarianceClipped!(betas, t)),
    }),
  },
  {
    id: 'v-sign',
    bug: 'v = √ᾱ_t ε + √(1-ᾱ_t) x_0 (sign error in the v conversion)',
    expectedCaughtBy: ['core.parameterization-round-trips'],
    impl: broken('v-sign', {
      vFromEpsX0: (betas, xt, t, eps) => {
        const s = scheduleOf(betas);
        const x0 = f64(ref.predictX0FromEps!(betas, xt, t, eps));
        return map2(eps, x0, (e, x) => Math.sqrt(s.alphaBar(t)) * e + Math.sqrt(s.oneMinusAlphaBar(t)) * x);
      },
    }),
  },
  {
    id: 'v-sign-in-sampler',
    bug: 'samplers turn a v-prediction into x̂_0 = √ᾱ_t x_t + √(1-ᾱ_t) v (sign error inside ddpmStep/ddimStep only)',
    expectedCaughtBy: ['core.parameterization-round-trips', 'core.parameterization-equivalence'],
    impl: (() => {
      const x0Bug = (betas: Arr, xt: Arr, t: number, v: Arr) => {
        const s = scheduleOf(betas);
        return map2(xt, v, (x, vv) => Math.sqrt(s.alphaBar(t)) * x + Math.sqrt(s.oneMinusAlphaBar(t)) * vv);
      };
      return broken('v-sign-in-sampler', {
        ddpmStep: (betas, xt, t, out, o) => (o.prediction === 'v' ? ref.ddpmStep!(betas, xt, t, x0Bug(betas, xt, t, out), { ...o, prediction: 'x0' }) : ref.ddpmStep!(betas, xt, t, out, o)),
        ddimStep: (betas, xt, t, tp, out, o) => (o.prediction === 'v' ? ref.ddimStep!(betas, xt, t, tp, x0Bug(betas, xt, t, out), { ...o, prediction: 'x0' }) : ref.ddimStep!(betas, xt, t, tp, out, o)),
      });
    })(),
  },
  {
    id: 'score-sign',
    bug: 'score = +ε/√(1-ᾱ_t) (missing minus sign)',
    expectedCaughtBy: ['core.parameterization-round-trips'],
    impl: broken('score-sign', {
      scoreFromEps: (betas, xt, t, eps) => Float64Array.from(ref.scoreFromEps!(betas, xt, t, eps), (v) => -v),
    }),
  },
  {
    id: 'ddpm-clip-ignored',
    bug: 'ddpmStep ignores clip (x̂_0 not clipped to [-1, 1])',
    expectedCaughtBy: ['core.parameterization-round-trips'],
    impl: broken('ddpm-clip-ignored', {
      ddpmStep: (betas, xt, t, out, o) => ref.ddpmStep!(betas, xt, t, out, { ...o, clip: false }),
    }),
  },
  {
    id: 'ddpm-mean-alphabar',
    bug: 'μ_θ from ε̂ divides by √ᾱ_t instead of √α_t: (x_t - β_t/√(1-ᾱ_t) ε̂)/√ᾱ_t',
    expectedCaughtBy: ['core.exact-moment-propagation', 'core.parameterization-round-trips', 'core.parameterization-equivalence'],
    impl: broken('ddpm-mean-alphabar', {
      ddpmStep: (betas, xt, t, out, o) => {
        if ((o.prediction ?? 'eps') !== 'eps' || o.clip) return ref.ddpmStep!(betas, xt, t, out, o);
        const s = scheduleOf(betas);
        const c = s.beta(t) / Math.sqrt(s.oneMinusAlphaBar(t));
        const mean = map2(xt, out, (x, e) => (x - c * e) / Math.sqrt(s.alphaBar(t)));
        const noisePart = map2(ref.ddpmStep!(betas, xt, t, out, o), ddpmMean(betas, xt, t, out, o), (a, b) => a - b);
        return map2(mean, noisePart, (m, n) => m + n);
      },
    }),
  },
  {
    id: 'ddpm-beta-as-std',
    bug: 'DDPM step with σ_t² = β_t adds β_t·z instead of √β_t·z',
    expectedCaughtBy: ['core.exact-moment-propagation'],
    impl: broken('ddpm-beta-as-std', {
      ddpmStep: (betas, xt, t, out, o) => {
        if (o.variance !== 'beta' || t === 1) return ref.ddpmStep!(betas, xt, t, out, o);
        const b = scheduleOf(betas).beta(t);
        const z = o.noise ?? zerosLike(xt);
        return map2(ddpmMean(betas, xt, t, out, o), z, (m, zz) => m + b * zz);
      },
    }),
  },
  {
    id: 'ddpm-noise-at-t1',
    bug: 'noise added at the last step t = 1 too (seed 001\'s sampling loop)',
    expectedCaughtBy: ['core.exact-moment-propagation'],
    impl: broken('ddpm-noise-at-t1', {
      ddpmStep: (betas, xt, t, out, o) => {
        if (t !== 1) return ref.ddpmStep!(betas, xt, t, out, o);
        const sd = Math.exp(0.5 * R.fixedLogVariance(scheduleOf(betas), 1, o.variance ?? 'posterior'));
        const z = o.noise ?? zerosLike(xt);
        return map2(ddpmMean(betas, xt, t, out, o), z, (m, zz) => m + sd * zz);
      },
    }),
  },
  {
    id: 'ddim-alphabar-t-for-prev',
    bug: 'DDIM step scales x̂_0 by √ᾱ_t instead of √ᾱ_{t_prev}',
    expectedCaughtBy: ['core.ddim-marginals', 'core.successor'],
    impl: broken('ddim-alphabar-t-for-prev', {
      ddimStep: (betas, xt, t, tp, out, o) => ddimFromParts(betas, xt, t, tp, out, o, scheduleOf(betas).alphaBar(t)),
    }),
  },
  {
    id: 'ddim-ignores-eta',
    bug: 'DDIM step ignores η (always deterministic)',
    expectedCaughtBy: ['core.ddim-marginals', 'core.successor'],
    impl: broken('ddim-ignores-eta', {
      ddimStep: (betas, xt, t, tp, out, o) => ref.ddimStep!(betas, xt, t, tp, out, { ...o, eta: 0 }),
    }),
  },
  {
    id: 'ddim-wrong-successor',
    bug: 'DDIM step ignores tPrev and steps to t-1 internally (the strided sampler does not land on timesteps[i+1])',
    expectedCaughtBy: ['core.successor', 'core.ddim-marginals'],
    impl: broken('ddim-wrong-successor', {
      ddimStep: (betas, xt, t, tp, out, o) => ref.ddimStep!(betas, xt, t, tp === 0 ? 0 : t - 1, out, o),
    }),
  },
  {
    id: 'ddim-timesteps-zero-based',
    bug: 'ddimTimesteps returns diffusers\' 0-based timesteps ([900, …, 0]) where the interface is 1-based',
    expectedCaughtBy: ['core.successor'],
    impl: broken('ddim-timesteps-zero-based', {
      ddimTimesteps: (T, steps, spacing) => ref.ddimTimesteps!(T, steps, spacing).map((t) => t - 1),
    }),
  },
  {
    id: 'kl-variances-swapped',
    bug: 'KL(N(m1,v1) ‖ N(m2,v2)) with the variances swapped in the log/trace part: ½[log v1/v2 - 1 + v2/v1 + (m1-m2)²/v2]',
    expectedCaughtBy: ['core.kl-properties'],
    impl: broken('kl-variances-swapped', {
      normalKl: (m1, l1, m2, l2) => Float64Array.from({ length: m1.length }, (_, i) => 0.5 * (l1[i] - l2[i] - 1 + Math.exp(l2[i] - l1[i]) + (m1[i] - m2[i]) ** 2 * Math.exp(-l2[i]))),
    }),
  },
  {
    id: 'decoder-closed-edges',
    bug: 'discretized decoder without open edge bins: bins 0 and 255 are [x-1/255, x+1/255] like the others',
    expectedCaughtBy: ['core.decoder-normalization'],
    impl: broken('decoder-closed-edges', {
      discretizedGaussianLogLikelihood: (x, mean, logScale) => {
        const lp = Float64Array.from(ref.discretizedGaussianLogLikelihood!(x, mean, logScale));
        for (let i = 0; i < x.length; i++) {
          if (x[i] < -0.999 || x[i] > 0.999) {
            const inv = Math.exp(-logScale[i]);
            lp[i] = R.normalLogProbInterval((x[i] - mean[i] - 1 / 255) * inv, (x[i] - mean[i] + 1 / 255) * inv);
          }
        }
        return lp;
      },
    }),
  },
  {
    id: 'vb-nats',
    bug: 'vbTerms returns nats per dimension where the interface promises bits per dimension',
    expectedCaughtBy: ['core.elbo-decomposition'],
    impl: broken('vb-nats', {
      vbTerms: (betas, model, x0, t, noise) => ref.vbTerms!(betas, model, x0, t, noise) * Math.LN2,
    }),
  },
  {
    id: 'vb-decoder-logvar-as-logscale',
    bug: 'the decoder term at t = 1 passes the log variance where the discretized Gaussian takes log σ (σ squared)',
    expectedCaughtBy: ['core.elbo-decomposition'],
    impl: broken('vb-decoder-logvar-as-logscale', {
      vbTerms: (betas, model: EpsModel, x0, t, noise) => {
        if (t !== 1) return ref.vbTerms!(betas, model, x0, t, noise);
        const s = scheduleOf(betas);
        const xt = R.qSample(s, f64(x0), 1, f64(noise)) as Float64Array;
        const p = R.pMeanVariance(s, xt, 1, f64(model(xt, 1)));
        const ll = R.discretizedGaussianLogLikelihood(f64(x0), p.mean as Float64Array, p.logVariance as Float64Array) as Float64Array;
        let sum = 0;
        for (let i = 0; i < ll.length; i++) sum -= ll[i];
        return sum / (ll.length * Math.LN2);
      },
    }),
  },
];
