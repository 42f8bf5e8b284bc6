/**
 * Rectified-flow samplers on tensors (Liu et al. 2023 eq. 1; Esser et al. 2024). float64 twin:
 * src/reference/flow.ts (process, shift and logit-normal helpers are the reference's: host scalars).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { checkTimeGrid, processRates } from '../reference/model.js';
import { requireProcessKind } from '../reference/processes.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelEps, modelX0, runSampler, type TensorDiffusionModel, type TensorSamplerOptions } from './model.js';

/** u = α' x̂_0 + σ' ε̂ from any output (float64 twin: modelFlowVelocity). */
export function modelFlowVelocity(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  const p = model.process;
  const { dAlpha: da, dSigma: ds } = processRates(p, t);
  const a = p.alpha(t);
  const s = p.sigma(t);
  if (model.output === 'flow') {
    const out = model.apply(x, t);
    if (!(out instanceof tf.Tensor) || out.rank !== 2 || out.shape[0] !== x.shape[0] || out.shape[1] !== x.shape[1]) {
      throw new DiffusionInputError('model output', out instanceof tf.Tensor ? `shape ${JSON.stringify(out.shape)}` : out, `shape mismatch: input x has shape ${JSON.stringify(x.shape)}`);
    }
    return out as tf.Tensor2D;
  }
  if (model.output === 'x0') {
    if (!(s > 0)) throw new DiffusionInputError('t', t, 'the velocity from x̂_0 needs σ(t) > 0');
    return lincomb([[ds / s, x], [da - (ds * a) / s, modelX0(model, x, t)]]);
  }
  if (!(a > 0)) throw new DiffusionInputError('t', t, 'the velocity from ε̂ needs α(t) > 0; use a flow- or x0-model');
  return lincomb([[da / a, x], [ds - (da * s) / a, modelEps(model, x, t)]]);
}

function check(model: TensorDiffusionModel, timeGrid: ArrayLike<number>): Float64Array {
  checkTensorModel(model);
  requireProcessKind(model.process, ['flow'], 'the flow samplers');
  return checkTimeGrid(timeGrid, model.process, 'decreasing');
}

/** Flow Euler (float64 twin: sampleFlowEuler). */
export function sampleFlowEuler(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorSamplerOptions = {}): tf.Tensor2D {
  const grid = check(model, timeGrid);
  return runSampler(checkInitialBatch(x), options, 'sampleFlowEuler', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) r.step(i, grid[i], grid[i + 1], (cur) => lincomb([[1, cur], [grid[i + 1] - grid[i], modelFlowVelocity(model, cur, grid[i])]]));
  });
}

/** Flow Heun, Euler on a last step to σ = 0 (float64 twin: sampleFlowHeun). */
export function sampleFlowHeun(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorSamplerOptions = {}): tf.Tensor2D {
  const grid = check(model, timeGrid);
  return runSampler(checkInitialBatch(x), options, 'sampleFlowHeun', (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const tn = grid[i + 1];
      const dt = tn - t;
      r.step(i, t, tn, (cur) => {
        const u1 = modelFlowVelocity(model, cur, t);
        const xe = lincomb([[1, cur], [dt, u1]]);
        if (!(model.process.sigma(tn) > 0)) return xe;
        const u2 = modelFlowVelocity(model, xe, tn);
        return lincomb([[1, cur], [0.5 * dt, u1], [0.5 * dt, u2]]);
      });
    }
  });
}
