/**
 * Bug models of the σ-space vector flags (issue 14): each is the score bug models' base (handwritten
 * core + the reference's score and σ members) with exactly one σ-space bug, taken from the σ-space
 * self-check (./sigma-bugs.ts) so each bug is written once. See ./core-flags.ts for what a bug model is for.
 */
import type { DiffusionImpl } from '../interface.js';
import { handwrittenAdapter } from '../impls/handwritten.js';
import { scoreMembers, sigmaMembers } from '../impls/reference-score.js';
import { sigmaBugs } from './sigma-bugs.js';
import { named } from './core-flags.js';

const HS: DiffusionImpl = { ...handwrittenAdapter, ...scoreMembers, ...sigmaMembers, name: 'handwritten + reference score and σ members', precision: 'float64' };

/** The members the σ self-check bug `id` changes, on HS. */
function fromSelfCheck(flag: string, id: string, members: (keyof DiffusionImpl)[]): DiffusionImpl {
  const b = sigmaBugs.find((x) => x.id === id);
  if (!b) throw new Error(`no σ self-check bug ${id}`);
  const patch: Partial<DiffusionImpl> = {};
  for (const m of members) (patch as Record<string, unknown>)[m] = b.impl[m];
  return named(flag, HS, patch);
}

export const SIGMA_BUG_MODELS: Record<string, () => DiffusionImpl> = {
  KARRAS_RHO_POWER: () => fromSelfCheck('KARRAS_RHO_POWER', 'karras-missing-rho-power', ['sigmaSchedule']),
  SIGMA_FINAL_ZERO: () => fromSelfCheck('SIGMA_FINAL_ZERO', 'zero-appended-twice', ['sigmaSchedule', 'discreteScheduleSigmas']),
  ANCESTRAL_CLAMP: () => fromSelfCheck('ANCESTRAL_CLAMP', 'ancestral-float32-unclamped', ['ancestralStep']),
  ANCESTRAL_NOISE_LEVEL: () => fromSelfCheck('ANCESTRAL_NOISE_LEVEL', 'euler-ancestral-full-noise', ['scoreSampler']),
  HEUN_SECOND_STAGE_SIGMA: () => fromSelfCheck('HEUN_SECOND_STAGE_SIGMA', 'heun-second-stage-at-sigma-hat', ['scoreSampler']),
  DPMPP_2M_FINAL_ORDER: () => fromSelfCheck('DPMPP_2M_FINAL_ORDER', 'dpmpp-2m-no-final-order-drop', ['scoreSampler']),
  LMS_COEFFICIENTS: () => fromSelfCheck('LMS_COEFFICIENTS', 'lms-fixed-step-coefficients', ['scoreSampler']),
  DPMPP_3M_SECOND_DERIVATIVE: () => fromSelfCheck('DPMPP_3M_SECOND_DERIVATIVE', 'dpmpp-3m-half-second-derivative', ['scoreSampler']),
};

/** The σ members without input validation (for the INPUT_VALIDATION bug model): an invalid input gets an answer, not an error. */
export function noSigmaValidation(impl: DiffusionImpl): Partial<DiffusionImpl> {
  const tryOr = <A extends unknown[], R>(fn: ((...a: A) => R) | undefined, fallback: (...a: A) => R) => (...a: A): R => {
    try {
      return fn!(...a);
    } catch {
      return fallback(...a);
    }
  };
  return {
    sigmaSchedule: tryOr(impl.sigmaSchedule, (_name, n) => new Float64Array(Math.max(1, Math.floor(Number(n)) || 0) + 1)),
    discreteScheduleSigmas: tryOr(impl.discreteScheduleSigmas, (_b, n) => new Float64Array(Math.max(1, Math.floor(Number(n)) || 0) + 1)),
    ancestralStep: tryOr(impl.ancestralStep, (_f, t) => ({ sigmaDown: Math.abs(t), sigmaUp: 0 })),
  };
}
