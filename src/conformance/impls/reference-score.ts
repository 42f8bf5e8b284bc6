/**
 * The float64 reference with the score-based family (issue 3): `referenceImpl` plus the optional
 * members of src/conformance/interface.ts for mixtures, processes, samplers, guidance and score matching.
 * Mixtures are passed as plain specs; each spec object is built once (WeakMap cache).
 */
import type { Arr, DiffusionImpl, MixtureSpec, Spacing } from '../interface.js';
import * as R from '../../reference/index.js';
import { referenceImpl } from './reference.js';

const mixCache = new WeakMap<object, R.GaussianMixture>();

/** makeMixture(spec), cached per spec object. */
export function mixtureOf(spec: MixtureSpec): R.GaussianMixture {
  let m = mixCache.get(spec);
  if (!m) {
    m = R.makeMixture(spec);
    mixCache.set(spec, m);
  }
  return m;
}

export function processOf(kind: string, options?: Record<string, number> | Arr): R.Process {
  switch (kind) {
    case 'vp':
      return R.vpProcess((options ?? {}) as Record<string, number>);
    case 've':
      return R.veProcess((options ?? {}) as Record<string, number>);
    case 'indi':
      return R.indiProcess((options ?? {}) as { noise?: number; signal?: 0 | 1; extraNoise?: number });
    case 'discrete-vp':
      return R.discreteVpProcess(options as Arr);
    case 'flow':
      return R.flowProcess((options ?? {}) as { tMin?: number });
    default:
      throw new R.DiffusionInputError('kind', kind, 'unknown process; expected "vp", "ve", "indi", "discrete-vp" or "flow"');
  }
}

const f64 = (x: Arr) => (x instanceof Float64Array ? x : Float64Array.from(x));

export const scoreMembers: Partial<DiffusionImpl> = {
  scoreProcess: (kind, options) => processOf(kind, options),
  mixtureLogPdf: (mix, alpha, sigma, x) => R.mixtureNoisyLogPdf(mixtureOf(mix), alpha, sigma, f64(x)) as number,
  mixtureScore: (mix, alpha, sigma, x) => R.mixtureNoisyScore(mixtureOf(mix), alpha, sigma, f64(x)),
  mixturePosteriorMean: (mix, alpha, sigma, x) => R.mixturePosteriorMean(mixtureOf(mix), alpha, sigma, f64(x)),
  mixtureModel: (mix, process, output) => R.mixtureModel(mixtureOf(mix), process, output),
  scoreSampler: (name) => R.getSampler(name),
  discreteModelTime: (tc, N) => R.discreteModelTime(tc, N),
  classifierGuidance: (model, grad, w) => R.classifierGuidance(model, grad, w),
  classifierFreeGuidance: (c, u, w) => R.classifierFreeGuidance(c, u, w),
  explicitScoreMatchingLoss: (score, data, h, samples) => R.explicitScoreMatchingLoss(score, data, h, samples),
  denoisingScoreMatchingLoss: (score, clean, sigma, noise) => R.denoisingScoreMatchingLoss(score, clean, sigma, noise),
};

/** σ schedules by name (the interface's sigmaSchedule). */
export function sigmaScheduleOf(name: string, n: number, o: Record<string, number> = {}): Float64Array {
  switch (name) {
    case 'karras':
      return R.karrasSigmas(n, o.sigmaMin, o.sigmaMax, o.rho ?? 7);
    case 'exponential':
      return R.exponentialSigmas(n, o.sigmaMin, o.sigmaMax);
    case 'polyexponential':
      return R.polyexponentialSigmas(n, o.sigmaMin, o.sigmaMax, o.rho ?? 1);
    case 'vp':
      return R.vpSigmas(n, o);
    default:
      throw new R.DiffusionInputError('name', name, "unknown σ schedule; expected 'karras', 'exponential', 'polyexponential' or 'vp'");
  }
}

/** The σ-space members (issue 14; src/reference/sigma.ts); the σ-space samplers are in the registry (scoreSampler). */
export const sigmaMembers: Partial<DiffusionImpl> = {
  sigmaSchedule: (name, n, o) => sigmaScheduleOf(name, n, o),
  discreteScheduleSigmas: (betas, n, spacing: Spacing) => R.discreteScheduleSigmas(R.discreteSigmas(betas), n, { spacing, stepsOffset: spacing === 'leading' ? 1 : 0 }),
  sigmasToTimesteps: (betas, sigmas, mapping) => R.sigmasToTimesteps(R.discreteSigmas(betas), sigmas, mapping),
  ancestralStep: (f, t, eta) => R.ancestralStep(f, t, eta),
  sigmaDenoiser: (model) => R.modelDenoiser(model),
};

export const referenceScoreImpl: DiffusionImpl = {
  ...referenceImpl,
  name: 'reference (float64) + score family',
  ...scoreMembers,
  ...sigmaMembers,
};
