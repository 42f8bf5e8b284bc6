/**
 * The float64 reference's σ-space members (src/reference/sigma.ts) and its σ-space samplers under
 * `scoreSampler` (k-diffusion names), for the σ-space claims (properties/claims/sigma.ts).
 */
import type { DiffusionImpl, Spacing } from '../interface.js';
import { referenceScoreImpl } from './reference-score.js';
import * as R from '../../reference/index.js';

/** The σ-space samplers by their k-diffusion names (σ grid, x̃ in σ-space). */
export const K_SAMPLERS: Readonly<Record<string, R.SamplerFn>> = Object.freeze({
  euler: R.sampleKEuler,
  euler_ancestral: R.sampleKEulerAncestral,
  heun: R.sampleKHeun,
  dpm_2: R.sampleKDpm2,
  dpm_2_ancestral: R.sampleKDpm2Ancestral,
  lms: R.sampleKLms,
  dpmpp_2s_ancestral: R.sampleKDpmpp2sAncestral,
  dpmpp_sde: R.sampleKDpmppSde,
  dpmpp_2m: R.sampleKDpmpp2m,
  dpmpp_2m_sde: R.sampleKDpmpp2mSde,
  dpmpp_3m_sde: R.sampleKDpmpp3mSde as R.SamplerFn,
});

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
  scoreSampler: (name) => K_SAMPLERS[name] ?? R.getSampler(name),
};

export const referenceSigmaImpl: DiffusionImpl = {
  ...referenceScoreImpl,
  name: 'reference (float64) + σ-space',
  ...sigmaMembers,
};
