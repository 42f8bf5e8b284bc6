/**
 * PNDM / PLMS on tensors (Liu et al. 2022 eqs. 11-13). float64 twin: src/reference/pndm.ts.
 * The transfer coefficients and the Adams-Bashforth weights are the reference's host scalars; the
 * ε̂ history (converted at each output's own (x, t)) is carried between steps.
 */
import * as tf from '@tensorflow/tfjs';
import { checkTimeGrid } from '../reference/model.js';
import { plmsCoefficients, pndmTransferCoefficients } from '../reference/pndm.js';
import type { Process } from '../reference/model.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelEps, runSampler, type TensorDiffusionModel, type TensorSamplerOptions } from './model.js';

/** φ(x, ε, t, t') (eq. 11). float64 twin: pndmTransfer. */
export function pndmTransfer(process: Process, x: tf.Tensor2D, eps: tf.Tensor2D, t: number, tNext: number): tf.Tensor2D {
  const [c1, c2] = pndmTransferCoefficients(process, t, tNext);
  return lincomb([[c1, x], [c2, eps]]);
}

/** One PRK step (eq. 12). float64 twin: pndmPrkStep. */
export function pndmPrkStep(model: TensorDiffusionModel, x: tf.Tensor2D, t: number, tNext: number): { x: tf.Tensor2D; eps: tf.Tensor2D } {
  const p = model.process;
  const tm = 0.5 * (t + tNext);
  const e1 = modelEps(model, x, t);
  const e2 = modelEps(model, pndmTransfer(p, x, e1, t, tm), tm);
  const e3 = modelEps(model, pndmTransfer(p, x, e2, t, tm), tm);
  const e4 = modelEps(model, pndmTransfer(p, x, e3, t, tNext), tNext);
  const e = lincomb([[1 / 6, e1], [2 / 6, e2], [2 / 6, e3], [1 / 6, e4]]);
  return { x: pndmTransfer(p, x, e, t, tNext), eps: e1 };
}

function run(name: string, model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorSamplerOptions, prk: boolean): tf.Tensor2D {
  checkTensorModel(model);
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  const p = model.process;
  return runSampler(checkInitialBatch(x), options, name, (r) => {
    for (let i = 0; i + 1 < grid.length; i++) {
      const t = grid[i];
      const tn = grid[i + 1];
      r.step(i, t, tn, (cur) => {
        const hist = r.carry as tf.Tensor2D[];
        if (prk && i < 3) {
          const s = pndmPrkStep(model, cur, t, tn);
          return { x: s.x, carry: [s.eps, ...hist] };
        }
        const e0 = modelEps(model, cur, t);
        const newHist = [e0, ...hist].slice(0, 4);
        if (!prk && i === 0) {
          const e1 = modelEps(model, pndmTransfer(p, cur, e0, t, tn), tn);
          return { x: pndmTransfer(p, cur, lincomb([[0.5, e0], [0.5, e1]]), t, tn), carry: newHist };
        }
        const c = plmsCoefficients(newHist.length);
        return { x: pndmTransfer(p, cur, lincomb(c.map((cj, j) => [cj, newHist[j]] as [number, tf.Tensor2D])), t, tn), carry: newHist };
      });
    }
  });
}

/** PNDM (3 PRK steps, then PLMS). float64 twin: samplePndm. */
export function samplePndm(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorSamplerOptions = {}): tf.Tensor2D {
  return run('samplePndm', model, x, timeGrid, options, true);
}

/** PLMS only (pseudo improved-Euler first step, then AB2-AB4). float64 twin: samplePlms. */
export function samplePlms(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorSamplerOptions = {}): tf.Tensor2D {
  return run('samplePlms', model, x, timeGrid, options, false);
}
