/**
 * DDPM ancestral and DDIM samplers on tensors (catalog E1, E2). float64 twin: src/reference/ancestral.ts
 * (grids, respacing and the random-number order are explained there).
 *
 * The single-step tensor formulas of gpu/ddpm.ts and gpu/ddim.ts gather their coefficients from the
 * float32 schedule tables (they serve per-row timesteps in training-time code, where each row has its
 * own t). A sampler has one t per step, so here — as in every tensor sampler — the step's scalars are
 * float64 host values of the float64 reference schedule (the respaced one for DDPM), and only the
 * per-element combination runs in float32:
 *   DDPM (Ho et al. 2020 Alg. 2; 004 eq. 58):  x' = (x - β_k/√(1-ᾱ'_k)·ε̂)/√α'_k + σ_k z, σ_k² = β̃'_k or β'_k (clipped at k = 1),
 *                                              no noise at k = 1;
 *   DDIM (Song et al. 2021 eq. 12):             x̂_0 = ᾱ_t^{-½} x - √(1/ᾱ_t - 1) ε̂,
 *                                              x' = √ᾱ_{t'} x̂_0 + √((1-ᾱ_{t'})(1-η²r)) ε̂ + σ_t(η) z,
 *                                              r = (1-ᾱ_t/ᾱ_{t'})/(1-ᾱ_t), σ_t(η) = η√((1-ᾱ_{t'}) r).
 * The model output is converted to ε̂ by modelEps at the original timestep.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { DDIM_OPTIONS, DDPM_OPTIONS, checkDdimGrid, checkIntegerGrid, processBetas, respacedBetas, ancestralTimeGrid, type DdimOptions, type DdpmOptions } from '../reference/ancestral.js';
import { readOption } from '../reference/sampling.js';
import { fixedLogVariance } from '../reference/ddpm.js';
import { makeSchedule, type Schedule } from '../reference/schedules.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelEps, requireNoise, runSampler, type TensorDiffusionModel, type TensorOptionsOf } from './model.js';

export type TensorDdpmOptions = TensorOptionsOf<DdpmOptions>;
export type TensorDdimOptions = TensorOptionsOf<DdimOptions>;

export { ancestralTimeGrid };

/** Host scalars of the DDPM step at index k of schedule `s` (1-based): x' = cx·x + ce·ε̂ + sigma·z. */
export function ddpmStepCoefs(s: Schedule, k: number, variance: 'beta' | 'posterior'): { cx: number; ce: number; sigma: number } {
  const b = s.beta(k);
  const invSqrtA = 1 / Math.sqrt(1 - b);
  const c = b / Math.sqrt(s.oneMinusAlphaBar(k));
  return { cx: invSqrtA, ce: -c * invSqrtA, sigma: k === 1 ? 0 : Math.exp(0.5 * fixedLogVariance(s, k, variance)) };
}

/** One DDPM step on tensors at index k of the (respaced) schedule; z is ignored at k = 1. */
export function ddpmSamplerStep(s: Schedule, x: tf.Tensor2D, k: number, eps: tf.Tensor2D, z: tf.Tensor2D | null, variance: 'beta' | 'posterior'): tf.Tensor2D {
  const c = ddpmStepCoefs(s, k, variance);
  return lincomb([
    [c.cx, x],
    [c.ce, eps],
    ...(c.sigma > 0 && z ? ([[c.sigma, z]] as [number, tf.Tensor2D][]) : []),
  ]);
}

/** Host scalars of the DDIM step t → t′ (throws naming options.eta when η is inadmissible). */
export function ddimStepCoefs(s: Schedule, t: number, tPrev: number, eta: number): { rx: number; rm1: number; cx0: number; cdir: number; sigma: number } {
  const la = s.logAlphaBar(t);
  const omPrev = Math.max(0, s.oneMinusAlphaBar(tPrev));
  const r = -Math.expm1(la - s.logAlphaBar(tPrev)) / s.oneMinusAlphaBar(t);
  const keep = 1 - eta * eta * r;
  if (keep < 0) throw new DiffusionInputError('options.eta', eta, `inadmissible: σ_t² exceeds 1-ᾱ_{t'} (η ≤ ${1 / Math.sqrt(r)} for t = ${t}, tPrev = ${tPrev})`);
  return {
    rx: Math.exp(-0.5 * la),
    rm1: Math.sqrt(Math.expm1(-la)),
    cx0: Math.exp(0.5 * s.logAlphaBar(tPrev)),
    cdir: Math.sqrt(omPrev * keep),
    sigma: eta * Math.sqrt(omPrev * r),
  };
}

/** One DDIM step t → t′ on tensors; z is needed only when σ_t(η) > 0. */
export function ddimSamplerStep(s: Schedule, x: tf.Tensor2D, t: number, tPrev: number, eps: tf.Tensor2D, eta: number, z: () => tf.Tensor2D): tf.Tensor2D {
  const c = ddimStepCoefs(s, t, tPrev, eta);
  const x0 = lincomb([
    [c.rx, x],
    [-c.rm1, eps],
  ]);
  return lincomb([
    [c.cx0, x0],
    [c.cdir, eps],
    ...(c.sigma > 0 ? ([[c.sigma, z()]] as [number, tf.Tensor2D][]) : []),
  ]);
}

/** DDPM ancestral sampling (E1) over a grid ending at 0 (respaced when strided). float64 twin: sampleDdpm. */
export function sampleDdpm(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorDdpmOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  const betas = processBetas(model.process, 'sampleDdpm');
  const grid = checkIntegerGrid(timeGrid, betas.length, true);
  const variance = readOption(DDPM_OPTIONS[0], options.variance, 'sampleDdpm');
  requireNoise(options, 'sampleDdpm');
  const K = grid.length - 1;
  const schedule = makeSchedule(respacedBetas(betas, grid));
  return runSampler(checkInitialBatch(x), options, 'sampleDdpm', (r) => {
    for (let i = 0; i < K; i++) {
      const k = K - i;
      r.step(i, grid[i], grid[i + 1], (cur) => ddpmSamplerStep(schedule, cur, k, modelEps(model, cur, grid[i]), k === 1 ? null : r.noise(i), variance));
    }
  });
}

/** DDIM sampling (E2) along an integer grid (usually ancestralTimeGrid). float64 twin: sampleDdim. */
export function sampleDdim(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorDdimOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  const betas = processBetas(model.process, 'sampleDdim');
  const grid = checkDdimGrid(timeGrid, betas.length);
  const eta = readOption(DDIM_OPTIONS[0], options.eta, 'sampleDdim');
  if (eta > 0) requireNoise(options, 'sampleDdim (η > 0)');
  const schedule = makeSchedule(betas);
  for (let i = 0; i + 1 < grid.length; i++) ddimStepCoefs(schedule, grid[i], grid[i + 1], eta); // η admissible on every step, before any work
  return runSampler(checkInitialBatch(x), options, 'sampleDdim', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      r.step(i, grid[i], grid[i + 1], (cur) => ddimSamplerStep(schedule, cur, grid[i], grid[i + 1], modelEps(model, cur, grid[i]), eta, () => r.noise(i)));
    }
  });
}
