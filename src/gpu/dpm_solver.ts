/**
 * DPM-Solver on tensors (catalog E7; 004 §4.5 eqs. 111-113; Lu et al. 2022 Algorithms 1-2; Lu et
 * al. 2022b Algorithm 2). float64 twin: src/reference/dpm_solver.ts (formulas and notation there).
 *
 * λ = log(α/σ), h = λ_t - λ_s, the intermediate times s_1 = t_λ(λ_s + r_1 h) and every coefficient
 * (α_t/α_s, σ_t(e^h - 1), φ(h)) are float64 host scalars of the Process; ε̂, x̂_0 and the linear
 * combinations are tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { checkTimeGrid } from '../reference/grids.js';
import { lambdaOf, phi2, type DpmSolverOptions } from '../reference/dpm_solver.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelEps, modelX0, runSampler, type TensorDiffusionModel, type TensorOptionsOf } from './model.js';

export type TensorDpmSolverOptions = TensorOptionsOf<DpmSolverOptions>;

/** DPM-Solver-1 step s → t: (α_t/α_s) x - σ_t (e^h - 1) ε̂(x, s). float64 twin: dpmSolver1Step. */
export function dpmSolver1Step(model: TensorDiffusionModel, x: tf.Tensor2D, s: number, t: number): tf.Tensor2D {
  const p = model.process;
  const h = lambdaOf(model, t) - lambdaOf(model, s);
  return lincomb([
    [p.alpha(t) / p.alpha(s), x],
    [-p.sigma(t) * Math.expm1(h), modelEps(model, x, s)],
  ]);
}

/** DPM-Solver-2 step s → t (Lu et al. Algorithm 1, r_1 = ½). float64 twin: dpmSolver2Step. */
export function dpmSolver2Step(model: TensorDiffusionModel, x: tf.Tensor2D, s: number, t: number, r1 = 0.5): tf.Tensor2D {
  const p = model.process;
  const ls = lambdaOf(model, s);
  const h = lambdaOf(model, t) - ls;
  const s1 = p.tOfLambda(ls + r1 * h);
  const es = modelEps(model, x, s);
  const u = lincomb([
    [p.alpha(s1) / p.alpha(s), x],
    [-p.sigma(s1) * Math.expm1(r1 * h), es],
  ]);
  const d1 = tf.sub(modelEps(model, u, s1), es) as tf.Tensor2D;
  const em = Math.expm1(h);
  return lincomb([
    [p.alpha(t) / p.alpha(s), x],
    [-p.sigma(t) * em, es],
    [(-p.sigma(t) / (2 * r1)) * em, d1],
  ]);
}

/** DPM-Solver-3 step s → t (Lu et al. Algorithm 2, r_1 = 1/3, r_2 = 2/3). float64 twin: dpmSolver3Step. */
export function dpmSolver3Step(model: TensorDiffusionModel, x: tf.Tensor2D, s: number, t: number, r1 = 1 / 3, r2 = 2 / 3): tf.Tensor2D {
  const p = model.process;
  const ls = lambdaOf(model, s);
  const h = lambdaOf(model, t) - ls;
  const s1 = p.tOfLambda(ls + r1 * h);
  const s2 = p.tOfLambda(ls + r2 * h);
  const es = modelEps(model, x, s);
  const u1 = lincomb([
    [p.alpha(s1) / p.alpha(s), x],
    [-p.sigma(s1) * Math.expm1(r1 * h), es],
  ]);
  const d1 = tf.sub(modelEps(model, u1, s1), es) as tf.Tensor2D;
  const u2 = lincomb([
    [p.alpha(s2) / p.alpha(s), x],
    [-p.sigma(s2) * Math.expm1(r2 * h), es],
    [((-p.sigma(s2) * r2) / r1) * phi2(r2 * h), d1],
  ]);
  const d2 = tf.sub(modelEps(model, u2, s2), es) as tf.Tensor2D;
  return lincomb([
    [p.alpha(t) / p.alpha(s), x],
    [-p.sigma(t) * Math.expm1(h), es],
    [(-p.sigma(t) / r2) * phi2(h), d2],
  ]);
}

function singlestep(name: string, order: 1 | 2 | 3) {
  return (model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorDpmSolverOptions = {}): tf.Tensor2D => {
    checkTensorModel(model);
    const grid = checkTimeGrid(timeGrid, model.process, 'any');
    return runSampler(checkInitialBatch(x), options, name, (r) => {
      for (let i = 0; i + 1 < grid.length; i++) {
        const s = grid[i];
        const t = grid[i + 1];
        r.step(i, s, t, (cur) => (order === 1 ? dpmSolver1Step(model, cur, s, t) : order === 2 ? dpmSolver2Step(model, cur, s, t) : dpmSolver3Step(model, cur, s, t)));
      }
    });
  };
}

/** DPM-Solver-1 (= DDIM η = 0). float64 twin: sampleDpmSolver1. */
export const sampleDpmSolver1 = singlestep('sampleDpmSolver1', 1);
/** Singlestep DPM-Solver-2. float64 twin: sampleDpmSolver2. */
export const sampleDpmSolver2 = singlestep('sampleDpmSolver2', 2);
/** Singlestep DPM-Solver-3. float64 twin: sampleDpmSolver3. */
export const sampleDpmSolver3 = singlestep('sampleDpmSolver3', 3);

/** DPM-Solver++ first-order step s → t: (σ_t/σ_s) x - α_t (e^{-h} - 1) D. float64 twin: dpmSolverPPStep. */
export function dpmSolverPPStep(model: TensorDiffusionModel, x: tf.Tensor2D, s: number, t: number, D: tf.Tensor2D): tf.Tensor2D {
  const p = model.process;
  const h = lambdaOf(model, t) - lambdaOf(model, s);
  return lincomb([
    [p.sigma(t) / p.sigma(s), x],
    [-p.alpha(t) * Math.expm1(-h), D],
  ]);
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022b Algorithm 2): D = x̂_0 on the first step, then
 * (1 + 1/(2r)) x̂_0^{(i-1)} - 1/(2r) x̂_0^{(i-2)}, r = h_{i-1}/h_i. The previous x̂_0 is carried
 * from step to step (StepRunner carry). float64 twin: sampleDpmSolverPP2M.
 */
export function sampleDpmSolverPP2M(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorDpmSolverOptions = {}): tf.Tensor2D {
  checkTensorModel(model);
  const grid = checkTimeGrid(timeGrid, model.process, 'any');
  return runSampler(checkInitialBatch(x), options, 'sampleDpmSolverPP2M', (r) => {
    let prevH = 0;
    for (let i = 0; i + 1 < grid.length; i++) {
      const s = grid[i];
      const t = grid[i + 1];
      const h = lambdaOf(model, t) - lambdaOf(model, s);
      r.step(i, s, t, (cur) => {
        const d0 = modelX0(model, cur, s);
        const prevD = r.carry[0] as tf.Tensor2D | undefined;
        let D = d0;
        if (prevD) {
          const q = prevH / h;
          D = lincomb([
            [1 + 1 / (2 * q), d0],
            [-1 / (2 * q), prevD],
          ]);
        }
        // d0 is both reported (denoised, disposed after the callback) and carried: keep a copy for each.
        return { x: dpmSolverPPStep(model, cur, s, t, D), denoised: tf.clone(d0), carry: [d0] };
      });
      prevH = h;
    }
  });
}
