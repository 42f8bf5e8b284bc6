/**
 * Probability-flow ODE solvers on tensors (catalog E6; 004 §4.5 eq. 108; Song et al. 2021 eq. 13):
 * dx/dt = f(t)x - ½g(t)² ∇log p_t(x), integrated along a strictly monotone grid (decreasing samples,
 * increasing encodes). float64 twin: src/reference/ode.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { checkTimeGrid } from '../reference/grids.js';
import type { OdeOptions } from '../reference/ode.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelScore, runSampler, type TensorDiffusionModel, type TensorOptionsOf } from './model.js';

export type TensorOdeOptions = TensorOptionsOf<OdeOptions>;

export type TensorDrift = (x: tf.Tensor2D, t: number) => tf.Tensor2D;

/** PF-ODE drift f(t)x - ½g(t)² s(x, t). float64 twin: probabilityFlowDrift. */
export function probabilityFlowDrift(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  return lincomb([
    [model.process.f(t), x],
    [-0.5 * model.process.g2(t), modelScore(model, x, t)],
  ]);
}

/** Euler step: x + h·F(x, t). */
export function eulerStep(drift: TensorDrift, x: tf.Tensor2D, t: number, h: number): tf.Tensor2D {
  return lincomb([
    [1, x],
    [h, drift(x, t)],
  ]);
}

/** Heun step (explicit trapezoid): x̃ = x + hF(x,t); x + h/2 (F(x,t) + F(x̃, t+h)). */
export function heunStep(drift: TensorDrift, x: tf.Tensor2D, t: number, h: number): tf.Tensor2D {
  const k1 = drift(x, t);
  const k2 = drift(
    lincomb([
      [1, x],
      [h, k1],
    ]),
    t + h,
  );
  return lincomb([
    [1, x],
    [h / 2, k1],
    [h / 2, k2],
  ]);
}

/** Classical RK4 step (004 §4.5): x + h/6 (k1 + 2k2 + 2k3 + k4). */
export function rk4Step(drift: TensorDrift, x: tf.Tensor2D, t: number, h: number): tf.Tensor2D {
  const k1 = drift(x, t);
  const k2 = drift(lincomb([[1, x], [h / 2, k1]]), t + h / 2);
  const k3 = drift(lincomb([[1, x], [h / 2, k2]]), t + h / 2);
  const k4 = drift(lincomb([[1, x], [h, k3]]), t + h);
  return lincomb([
    [1, x],
    [h / 6, k1],
    [h / 3, k2],
    [h / 3, k3],
    [h / 6, k4],
  ]);
}

function odeSampler(name: string, step: (drift: TensorDrift, x: tf.Tensor2D, t: number, h: number) => tf.Tensor2D) {
  return (model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorOdeOptions = {}): tf.Tensor2D => {
    checkTensorModel(model);
    const grid = checkTimeGrid(timeGrid, model.process, 'any');
    const drift: TensorDrift = (xx, t) => probabilityFlowDrift(model, xx, t);
    return runSampler(checkInitialBatch(x), options, name, (r) => {
      for (let i = 0; i + 1 < grid.length; i++) r.step(i, grid[i], grid[i + 1], (cur) => step(drift, cur, grid[i], grid[i + 1] - grid[i]));
    });
  };
}

/** PF-ODE with Euler steps. float64 twin: sampleOdeEuler. */
export const sampleOdeEuler = odeSampler('sampleOdeEuler', eulerStep);
/** PF-ODE with Heun steps. float64 twin: sampleOdeHeun. */
export const sampleOdeHeun = odeSampler('sampleOdeHeun', heunStep);
/** PF-ODE with RK4 steps. float64 twin: sampleOdeRk4. */
export const sampleOdeRk4 = odeSampler('sampleOdeRk4', rk4Step);
