/**
 * Inversion by Direct Denoising on tensors (catalog E8; 004 §2.9 eqs. 62-67; Delbracio & Milanfar
 * 2023). float64 twin: src/reference/indi.ts (the seed's √t typo in eq. 67 is discussed there).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { checkTimeGrid } from '../reference/model.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelX0, requireNoise, runSampler, type TensorDiffusionModel, type TensorSamplerOptions } from './model.js';

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
  const dv = sigmaENext * sigmaENext - sigmaE * sigmaE;
  if (dv < 0) throw new DiffusionInputError('sigmaENext', sigmaENext, `σ_e must not increase as t decreases (σ_e(t) = ${sigmaE})`);
  return lincomb([
    [1, indiStep(x, denoised, t, tNext)],
    [tNext * Math.sqrt(dv), z],
  ]);
}

/** InDI sampler over a decreasing grid in (0, 1]; stochastic with extra noise σ_e(t) = c(1-t). float64 twin: sampleIndi. */
export function sampleIndi(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorSamplerOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  if (model.process.kind !== 'indi') throw new DiffusionInputError('model.process', model.process.label, 'sampleIndi needs an indiProcess');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  if (!(grid[grid.length - 1] >= 0) || !(grid[0] > 0)) throw new DiffusionInputError('timeGrid', timeGrid, 'InDI times must lie in (0, 1]');
  const c = model.process.indiExtraNoise ?? 0;
  const stochastic = options.stochastic ?? c > 0;
  if (!stochastic && c > 0) throw new DiffusionInputError('options.stochastic', false, `the process has extra noise c = ${c}: only the stochastic step (66) keeps its marginals`);
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
