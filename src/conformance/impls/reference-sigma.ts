/**
 * The float64 reference's σ-space members (src/reference/sigma.ts) and its σ-space samplers under
 * the registry (`scoreSampler`, k-diffusion names), for the σ-space claims (properties/claims/sigma.ts).
 */
import type { DiffusionImpl, Spacing } from '../interface.js';
import { referenceScoreImpl } from './reference-score.js';
import * as R from '../../reference/index.js';

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

export const sigmaMembers: Partial<DiffusionImpl> = {
  sigmaSchedule: (name, n, o) => sigmaScheduleOf(name, n, o),
  discreteScheduleSigmas: (betas, n, spacing: Spacing) => R.discreteScheduleSigmas(R.discreteSigmas(betas), n, { spacing, stepsOffset: spacing === 'leading' ? 1 : 0 }),
  sigmasToTimesteps: (betas, sigmas, mapping) => R.sigmasToTimesteps(R.discreteSigmas(betas), sigmas, mapping),
  ancestralStep: (f, t, eta) => R.ancestralStep(f, t, eta),
  sigmaDenoiser: (model) => R.modelDenoiser(model),
};

export const referenceSigmaImpl: DiffusionImpl = {
  ...referenceScoreImpl,
  name: 'reference (float64) + σ-space',
  ...sigmaMembers,
};
