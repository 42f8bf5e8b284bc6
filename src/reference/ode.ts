/**
 * Probability-flow ODE solvers (catalog E6; 004 §4.5 eq. 108, RK-4; Song et al. 2021 eq. 13).
 *
 *     dx/dt = f(t)·x - ½ g(t)² ∇log p_t(x)
 *
 * has the same marginals p_t as the forward SDE, so integrating it from t_0 to t_N maps p_{t_0}
 * to p_{t_N}; integrating along an increasing grid encodes (x_0 → x_T) and the map is invertible.
 * Grids may run either way (strictly monotone). Generic one-step formulas take any drift.
 */
import { checkBatch, checkModel, checkTimeGrid, modelScore, type Rows, type DiffusionModel } from './model.js';
import type { OptionSpec, SamplerBaseOptions, StepInfo } from './sampling.js';

/** The PF-ODE solvers have no options of their own. */
export const ODE_OPTIONS = [] as const satisfies readonly OptionSpec[];
export type OdeOptions = SamplerBaseOptions;

export type Drift = (x: Rows, t: number) => Rows;

/** PF-ODE drift f(t)x - ½g(t)² s(x, t) (004 §4.5; Song et al. 2021 eq. 13). */
export function probabilityFlowDrift(model: DiffusionModel, x: Rows, t: number): Rows {
  const f = model.process.f(t);
  const g2 = model.process.g2(t);
  const s = modelScore(model, x, t);
  return x.map((row, r) => row.map((v, i) => f * v - 0.5 * g2 * s[r][i]));
}

function add(x: Rows, terms: [number, Rows][]): Rows {
  return x.map((row, r) => {
    const o = Float64Array.from(row);
    for (const [c, k] of terms) for (let i = 0; i < o.length; i++) o[i] += c * k[r][i];
    return o;
  });
}

/** Euler step (004 §4.5 "Euler method"): x + h·F(x, t). */
export function eulerStep(drift: Drift, x: Rows, t: number, h: number): Rows {
  return add(x, [[h, drift(x, t)]]);
}

/**
 * Heun step (explicit trapezoid, order 2; Karras et al. 2022 Algorithm 1):
 * x̃ = x + h F(x,t); x + h/2 (F(x,t) + F(x̃, t+h)).
 */
export function heunStep(drift: Drift, x: Rows, t: number, h: number): Rows {
  const k1 = drift(x, t);
  const xe = add(x, [[h, k1]]);
  const k2 = drift(xe, t + h);
  return add(x, [
    [h / 2, k1],
    [h / 2, k2],
  ]);
}

/**
 * Classical RK4 step (004 §4.5): k1 = F(x,t), k2 = F(x + h k1/2, t + h/2), k3 = F(x + h k2/2, t + h/2),
 * k4 = F(x + h k3, t + h); x + h/6 (k1 + 2k2 + 2k3 + k4).
 */
export function rk4Step(drift: Drift, x: Rows, t: number, h: number): Rows {
  const k1 = drift(x, t);
  const k2 = drift(add(x, [[h / 2, k1]]), t + h / 2);
  const k3 = drift(add(x, [[h / 2, k2]]), t + h / 2);
  const k4 = drift(add(x, [[h, k3]]), t + h);
  return add(x, [
    [h / 6, k1],
    [h / 3, k2],
    [h / 3, k3],
    [h / 6, k4],
  ]);
}

/** Integrate dx/dt = F(x, t) along a monotone grid with a one-step method. */
export function integrateOde(step: (drift: Drift, x: Rows, t: number, h: number) => Rows, drift: Drift, x: Rows, grid: Float64Array, callback?: (info: StepInfo) => void): Float64Array[] {
  let cur = x;
  for (let i = 0; i + 1 < grid.length; i++) {
    cur = step(drift, cur, grid[i], grid[i + 1] - grid[i]);
    callback?.({ i, t: grid[i], tNext: grid[i + 1], x: cur });
  }
  return cur;
}

function odeSampler(step: (drift: Drift, x: Rows, t: number, h: number) => Rows) {
  return (model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: OdeOptions = {}): Float64Array[] => {
    checkModel(model);
    const grid = checkTimeGrid(timeGrid, model.process, 'any');
    return integrateOde(step, (xx, t) => probabilityFlowDrift(model, xx, t), checkBatch(x), grid, options.callback);
  };
}

/** PF-ODE with Euler steps (order 1). Deterministic; an increasing grid encodes. */
export const sampleOdeEuler = odeSampler(eulerStep);
/** PF-ODE with Heun steps (order 2, 2 model calls per step). */
export const sampleOdeHeun = odeSampler(heunStep);
/** PF-ODE with classical RK4 (order 4, 4 model calls per step). */
export const sampleOdeRk4 = odeSampler(rk4Step);
