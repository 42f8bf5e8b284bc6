/**
 * Catalog F4: the loss weighting w(t) of the training objective, tabulated once per run from the
 * float64 reference's weight formulas.
 */
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import { OBJECTIVES, type Objective, minSnrWeight, snrWeight, vlbWeight } from '../reference/elbo.js';
import type { Schedule } from '../reference/schedules.js';
import { WEIGHTINGS, type Weighting } from './config.js';

export interface WeightOptions {
  /** γ of min-SNR-γ (Hang et al. 2023; default 5). */
  minSnrGamma?: number;
  /**
   * The fixed reverse variance σ_t² of the VLB weighting: 'posterior' (σ² = β̃_t, "fixed small",
   * β̃_2 at t = 1 as in C3; default) or 'beta' (σ² = β_t, "fixed large").
   */
  vlbVariance?: 'beta' | 'posterior';
}

/**
 * F4 (003, 004 §2.7, Hang et al. 2023 "min-SNR"): the weight w(t) of the objective's per-pixel
 * mean squared error, for t = 1..T (array index t-1). The formulas are the float64 reference's
 * (src/reference/elbo.ts: snrWeight, minSnrWeight, vlbWeight), tabulated once per run:
 *   simple:  w = 1 (the objective's plain MSE; L_simple of Ho et al. for ε).
 *   snr:     the x_0-MSE weighted by SNR(t): w = 1 (ε), SNR (x_0), ᾱ_t (v).
 *   min-snr: the x_0-MSE weighted by min(SNR(t), γ).
 *   vlb:     the weight that makes w·MSE the ELBO term L_{t-1} of a Gaussian reverse step with the
 *            fixed variance σ_t² (F1/F2: β_t²/(2σ_t²α_t(1-ᾱ_t)) for ε). At t = 1 the same
 *            expression is a Gaussian decoder's NLL up to a constant (μ̃ = x_0 there).
 *            improved-diffusion's hybrid loss learns σ_t (its L_vlb term trains the variance
 *            output); this trainer keeps σ_t fixed, so the VLB weighting has no variance term —
 *            see docs/training.md.
 * All weights are per pixel (the MSE is a mean over pixels), so 'vlb' gives nats per dimension.
 * Throws (from the reference) where a weight is undefined, e.g. ε-weights where SNR(t) = 0.
 */
export function lossWeightTable(schedule: Schedule, objective: Objective, weighting: Weighting, options: WeightOptions = {}): Float64Array {
  checkOneOf('objective', objective, OBJECTIVES);
  checkOneOf('weighting', weighting, WEIGHTINGS);
  const gamma = options.minSnrGamma ?? 5;
  const vlbVariance = checkOneOf('vlbVariance', options.vlbVariance ?? 'posterior', ['beta', 'posterior'] as const);
  const T = schedule.T;
  const w = new Float64Array(T);
  for (let t = 1; t <= T; t++) {
    let v: number;
    if (weighting === 'simple') v = 1;
    else if (weighting === 'snr') v = snrWeight(schedule, t, objective);
    else if (weighting === 'min-snr') v = minSnrWeight(schedule, t, gamma, objective);
    else v = vlbWeight(schedule, t, objective, vlbVariance);
    if (!Number.isFinite(v) || v < 0) throw new DiffusionInputError(`weight at t=${t}`, v, `the ${weighting} weighting of the ${objective} objective is undefined for this schedule`);
    w[t - 1] = v;
  }
  return w;
}
