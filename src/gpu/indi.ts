/**
 * Inversion by Direct Denoising on tensors (catalog E8; 004 §2.9 eqs. 62-67; Delbracio & Milanfar
 * 2023). float64 twin: src/reference/indi.ts (the seed's √t typo in eq. 67 is discussed there).
 */
import * as tf from '@tensorflow/tfjs';
import { indiNoiseScale, indiSetup, type IndiOptions } from '../reference/indi.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelX0, requireNoise, runSampler, type TensorDiffusionModel, type TensorOptionsOf } from './model.js';

export type TensorIndiOptions = TensorOptionsOf<IndiOptions>;

/** InDI step, 004 eq. (64): (1 - τ/t) x + (τ/t) denoise(x), τ = t - tNext. float64 twin: indiStep. */
export function indiStep(x: tf.Tensor2D, denoised: tf.Tensor2D, t: number, tNext: number): tf.Tensor2D {
  const a = tNext / t;
  return lincomb([
    [a, x],
    [1 - a, denoised],
  ]);
}

/** Stochastic InDI step, 004 eq. (66): eq. (64) + tNext·√(σ_e(tNext)² - σ_e(t)²)·z. float64 twin: indiStochasticStep. */
export function indiStochasticStep(x: tf.Tensor2D, denoised: tf.Tensor2D, t: number, tNext: number, sigmaE: number, sigmaENext: number, z: tf.Tensor2D): tf.Tensor2D {
  const c = indiNoiseScale(tNext, sigmaE, sigmaENext);
  return lincomb([
    [1, indiStep(x, denoised, t, tNext)],
    [c, z],
  ]);
}

/** InDI sampler over a decreasing grid in (0, 1]; stochastic with extra noise σ_e(t) = c(1-t). float64 twin: sampleIndi. */
export function sampleIndi(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorIndiOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  const { grid, c, stochastic } = indiSetup(model, timeGrid, options);
  if (stochastic) requireNoise(options, 'sampleIndi (stochastic)');
  const sigmaE = (t: number) => c * (1 - t);
  return runSampler(checkInitialBatch(x), options, 'sampleIndi', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const tn = grid[i + 1];
      r.step(i, t, tn, (cur) => {
        const d = modelX0(model, cur, t);
        const next = stochastic ? indiStochasticStep(cur, d, t, tn, sigmaE(t), sigmaE(tn), r.noise(i)) : indiStep(cur, d, t, tn);
        return { x: next, denoised: d };
      });
    }
  });
}
