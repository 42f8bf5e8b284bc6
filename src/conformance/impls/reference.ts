/**
 * The float64 reference (src/reference) adapted to the implementation interface
 * (src/conformance/interface.ts). The interface passes schedules as β arrays; the Schedule object built
 * from each β array is cached in a WeakMap keyed by that array, so a claim that reuses one β array
 * builds its schedule once. (Mutating a β array after passing it is not supported.)
 */
import type { Arr, DiffusionImpl } from '../interface.js';
import * as R from '../../reference/index.js';

const cache = new WeakMap<object, R.Schedule>();

/** makeSchedule(betas), cached per β array object. */
export function scheduleOf(betas: Arr): R.Schedule {
  if (betas === null || typeof betas !== 'object') return R.makeSchedule(betas as ArrayLike<number>);
  let s = cache.get(betas);
  if (!s) {
    s = R.makeSchedule(betas);
    cache.set(betas, s);
  }
  return s;
}

/** Interface arrays (any ArrayLike) → a vector the reference accepts. */
function vec(x: Arr): Float64Array | number[] {
  if (x instanceof Float64Array || Array.isArray(x)) return x as Float64Array | number[];
  return Float64Array.from(x);
}

export const referenceImpl: DiffusionImpl = {
  name: 'reference (float64)',
  precision: 'float64',

  // A. schedules
  betaSchedule: (name, T, options) => R.betaSchedule(name as R.ScheduleName, T, options as R.ScheduleOptions),
  rescaleZeroTerminalSnr: (betas) => R.rescaleZeroTerminalSnr(betas),
  alphaBar: (betas, t) => scheduleOf(betas).alphaBar(t),
  posteriorVariance: (betas, t) => R.posteriorVariance(scheduleOf(betas), t),
  posteriorLogVarianceClipped: (betas, t) => R.posteriorLogVarianceClipped(scheduleOf(betas), t),

  // B. forward process
  qSample: (betas, x0, t, eps) => R.qSample(scheduleOf(betas), vec(x0), t, vec(eps)),
  qStep: (betas, xPrev, t, eps) => R.qStep(scheduleOf(betas), vec(xPrev), t, vec(eps)),

  // C. posterior
  qPosterior: (betas, x0, xt, t) => R.qPosterior(scheduleOf(betas), vec(x0), vec(xt), t),

  // D. parameterizations
  predictX0FromEps: (betas, xt, t, eps) => R.predictX0FromEps(scheduleOf(betas), vec(xt), t, vec(eps)),
  predictEpsFromX0: (betas, xt, t, x0) => R.predictEpsFromX0(scheduleOf(betas), vec(xt), t, vec(x0)),
  vFromEpsX0: (betas, xt, t, eps) => R.vFromEpsX0(scheduleOf(betas), vec(xt), t, vec(eps)),
  epsFromV: (betas, xt, t, v) => R.epsFromV(scheduleOf(betas), vec(xt), t, vec(v)),
  x0FromV: (betas, xt, t, v) => R.x0FromV(scheduleOf(betas), vec(xt), t, vec(v)),
  scoreFromEps: (betas, xt, t, eps) => R.scoreFromEps(scheduleOf(betas), vec(xt), t, vec(eps)),

  // E. reverse steps
  ddpmStep: (betas, xt, t, modelOutput, options) =>
    R.ddpmStep(scheduleOf(betas), vec(xt), t, vec(modelOutput), {
      prediction: options.prediction,
      variance: options.variance,
      clip: options.clip,
      noise: options.noise === undefined ? undefined : vec(options.noise),
    }),
  ddimTimesteps: (T, steps, spacing) => R.ddimTimesteps(T, steps, spacing),
  ddimStep: (betas, xt, t, tPrev, modelOutput, options) =>
    R.ddimStep(scheduleOf(betas), vec(xt), t, tPrev, vec(modelOutput), {
      eta: options.eta,
      prediction: options.prediction,
      noise: options.noise === undefined ? undefined : vec(options.noise),
    }),

  // F. objectives
  normalKl: (mean1, logVar1, mean2, logVar2) => R.normalKl(vec(mean1), vec(logVar1), vec(mean2), vec(logVar2)) as Float64Array,
  discretizedGaussianLogLikelihood: (x, mean, logScale) => R.discretizedGaussianLogLikelihood(vec(x), vec(mean), vec(logScale)) as Float64Array,
  vbTerms: (betas, model, x0, t, noise) => R.vbTerms(scheduleOf(betas), model, vec(x0), t, vec(noise)) as number,
};
