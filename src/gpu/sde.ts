/**
 * Reverse-time SDE samplers on tensors (catalog E4, E5; 004 §4.2-4.5). float64 twin: src/reference/sde.ts.
 *
 * Reverse SDE (Anderson 1982; 004 eq. 97): dx = [f(t)x - g(t)² ∇log p_t(x)] dt + g(t) dw̄, over a
 * strictly decreasing grid. f, g², β_i, σ_i are float64 host scalars of the Process; the per-element
 * updates run on tensors. Noise: one draw per step (draw 0), and for predictor-corrector one more per
 * corrector step (draws 1..M), in the reference's order.
 */
import * as tf from '@tensorflow/tfjs';
import { checkFiniteNumber } from '../reference/errors.js';
import { checkTimeGrid } from '../reference/grids.js';
import { requireProcessKind } from '../reference/processes.js';
import {
  SDE_PROCESSES,
  correctorStepSize,
  denoiseLastStepOf,
  predictorCorrectorParams,
  vpStepBeta,
  type PredictorCorrectorOptions,
  type ReverseSdeOptions,
} from '../reference/sde.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelScore, requireNoise, runSampler, type TensorDiffusionModel, type TensorOptionsOf } from './model.js';

export type TensorReverseSdeOptions = TensorOptionsOf<ReverseSdeOptions>;
export type TensorPredictorCorrectorOptions = TensorOptionsOf<PredictorCorrectorOptions>;

/** One Euler-Maruyama step over [t, t+dt]: x + b·dt + g·√|dt|·z (z = null: no noise). float64 twin: eulerMaruyamaStep. */
export function eulerMaruyamaStep(x: tf.Tensor2D, drift: tf.Tensor2D, diffusion: number, dt: number, z: tf.Tensor2D | null): tf.Tensor2D {
  return lincomb([
    [1, x],
    [dt, drift],
    ...(z ? ([[Math.sqrt(Math.abs(dt)) * diffusion, z]] as [number, tf.Tensor2D][]) : []),
  ]);
}

/** Reverse-SDE drift f(t)x - g(t)² ∇log p_t(x) (004 eq. 97). float64 twin: reverseSdeDrift. */
export function reverseSdeDrift(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  return lincomb([
    [model.process.f(t), x],
    [-model.process.g2(t), modelScore(model, x, t)],
  ]);
}

/** VP reverse step, 004 eq. (103) corrected (β_i, not β_i/2; see the twin): (x + β s)/√(1-β) + √β z. */
export function vpReverseStep(x: tf.Tensor2D, score: tf.Tensor2D, beta: number, z: tf.Tensor2D | null): tf.Tensor2D {
  const c = 1 / Math.sqrt(1 - beta);
  return lincomb([
    [c, x],
    [c * beta, score],
    ...(z ? ([[Math.sqrt(beta), z]] as [number, tf.Tensor2D][]) : []),
  ]);
}

/** VE reverse step, 004 eq. (107): x + (σ_i² - σ_{i-1}²) s + √(σ_i² - σ_{i-1}²) z. */
export function veReverseStep(x: tf.Tensor2D, score: tf.Tensor2D, sigma: number, sigmaNext: number, z: tf.Tensor2D | null): tf.Tensor2D {
  const dv = sigma * sigma - sigmaNext * sigmaNext;
  return lincomb([
    [1, x],
    [dv, score],
    ...(z ? ([[Math.sqrt(dv), z]] as [number, tf.Tensor2D][]) : []),
  ]);
}

/** Euler-Maruyama on the reverse SDE of the model's process (E4). float64 twin: sampleEulerMaruyama. */
export function sampleEulerMaruyama(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorReverseSdeOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  requireNoise(options, 'sampleEulerMaruyama');
  const denoiseLast = denoiseLastStepOf(options, 'sampleEulerMaruyama');
  return runSampler(checkInitialBatch(x), options, 'sampleEulerMaruyama', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const dt = grid[i + 1] - t;
      const last = i + 2 === grid.length;
      const g = checkFiniteNumber('diffusion(t)', Math.sqrt(model.process.g2(t)));
      r.step(i, t, grid[i + 1], (cur) => eulerMaruyamaStep(cur, reverseSdeDrift(model, cur, t), g, dt, last && denoiseLast ? null : r.noise(i)));
    }
  });
}

/** VP reverse-diffusion sampler (004 eq. 103, corrected). float64 twin: sampleVpReverseSde. */
export function sampleVpReverseSde(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorReverseSdeOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  requireProcessKind(model.process, SDE_PROCESSES.vpReverse, 'sampleVpReverseSde');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  requireNoise(options, 'sampleVpReverseSde');
  const denoiseLast = denoiseLastStepOf(options, 'sampleVpReverseSde');
  return runSampler(checkInitialBatch(x), options, 'sampleVpReverseSde', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const beta = vpStepBeta(model, t, grid[i + 1]);
      const last = i + 2 === grid.length;
      r.step(i, t, grid[i + 1], (cur) => vpReverseStep(cur, modelScore(model, cur, t), beta, last && denoiseLast ? null : r.noise(i)));
    }
  });
}

/** VE reverse-diffusion sampler (004 eq. 107). float64 twin: sampleVeReverseSde. */
export function sampleVeReverseSde(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorReverseSdeOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  requireProcessKind(model.process, SDE_PROCESSES.veReverse, 'sampleVeReverseSde');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  requireNoise(options, 'sampleVeReverseSde');
  const denoiseLast = denoiseLastStepOf(options, 'sampleVeReverseSde');
  return runSampler(checkInitialBatch(x), options, 'sampleVeReverseSde', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const last = i + 2 === grid.length;
      const s = model.process.sigma(t);
      const sn = model.process.sigma(grid[i + 1]);
      r.step(i, t, grid[i + 1], (cur) => veReverseStep(cur, modelScore(model, cur, t), s, sn, last && denoiseLast ? null : r.noise(i)));
    }
  });
}

/** Mean over the batch of the per-row Euclidean norms (float32 reduction; one scalar downloaded). */
function meanRowNorm(y: tf.Tensor2D): number {
  return tf.tidy(() => tf.mean(tf.sqrt(tf.sum(tf.square(y), 1))).dataSync()[0]);
}

/**
 * Predictor-corrector sampler (E5; 004 Algorithm 1 corrected as in the twin; Song et al. 2021
 * Algorithms 2-3): reverse-diffusion predictor (VP eq. 103 / VE eq. 107), then M Langevin corrector
 * steps at the new level with ε = 2a(r‖z‖/‖s‖)² from batch-averaged norms (computed on tensors, one
 * scalar read back per corrector step) or ε = stepSize. float64 twin: samplePredictorCorrector.
 */
export function samplePredictorCorrector(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorPredictorCorrectorOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  requireProcessKind(model.process, SDE_PROCESSES.predictorCorrector, 'samplePredictorCorrector');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  requireNoise(options, 'samplePredictorCorrector');
  const { M, snr, fixed } = predictorCorrectorParams(options, 'samplePredictorCorrector');
  const ve = model.process.kind === 've';
  return runSampler(checkInitialBatch(x), options, 'samplePredictorCorrector', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const tn = grid[i + 1];
      const beta = ve ? 0 : vpStepBeta(model, t, tn);
      r.step(i, t, tn, (cur) => {
        const s = modelScore(model, cur, t);
        const z = r.noise(i, 0);
        let y = ve ? veReverseStep(cur, s, model.process.sigma(t), model.process.sigma(tn), z) : vpReverseStep(cur, s, beta, z);
        for (let m = 0; m < M; m++) {
          const sc = modelScore(model, y, tn);
          const zc = r.noise(i, m + 1);
          let eps: number;
          if (fixed !== undefined) eps = fixed;
          else {
            const ns = meanRowNorm(sc);
            eps = ns > 0 ? correctorStepSize(snr, meanRowNorm(zc), ns, ve ? 1 : 1 - beta) : 0;
          }
          y = lincomb([
            [1, y],
            [eps, sc],
            [Math.sqrt(2 * eps), zc],
          ]);
        }
        return y;
      });
    }
  });
}

