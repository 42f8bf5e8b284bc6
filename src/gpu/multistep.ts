/**
 * Multistep exponential integrators on tensors: DPM-Solver/++ multistep 2-3, ++2S/3S, UniPC
 * (bh1/bh2), DEIS tAB. float64 twin: src/reference/multistep.ts (formulas, notation, order notes).
 *
 * Every update is x_t = base·x_s + Σ_j w_j m_j; the weights are float64 host scalars from the very
 * functions the reference uses (scheme.predictor / scheme.corrector, expFrame, φ), so the tiers
 * differ only by the float32 rounding of the row combinations. The history (converted model
 * outputs, and for UniPC the previous start state) is carried from step to step (StepRunner carry).
 */
import * as tf from '@tensorflow/tfjs';
import { checkOneOf, DiffusionInputError } from '../reference/errors.js';
import { checkTimeGrid } from '../reference/model.js';
import {
  SOLVER_PREDICTIONS,
  SOLVER_TYPES,
  deisScheme,
  dpmSolverScheme,
  expFrame,
  lambdaAt,
  phi,
  stepOrder,
  unipcScheme,
  type ExpFrame,
  type MultistepOptions,
  type MultistepScheme,
  type SolverPrediction,
  type SolverType,
} from '../reference/multistep.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelEps, modelX0, runSampler, type TensorDiffusionModel, type TensorSamplerOptions } from './model.js';

export type TensorMultistepOptions = TensorSamplerOptions & Omit<MultistepOptions, 'callback' | 'rng'>;

/** ε̂ or x̂_0 (the quantity the scheme stores). float64 twin: predictionOf. */
export function predictionOf(model: TensorDiffusionModel, x: tf.Tensor2D, t: number, prediction: SolverPrediction): tf.Tensor2D {
  return prediction === 'data' ? modelX0(model, x, t) : modelEps(model, x, t);
}

/** The shared multistep loop (float64 twin: runMultistep). One model call per step. */
export function runMultistep(scheme: MultistepScheme, model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}, order = scheme.maxOrder): tf.Tensor2D {
  checkTensorModel(model);
  const q0 = options.order ?? order;
  if (!Number.isInteger(q0) || q0 < 1 || q0 > scheme.maxOrder) throw new DiffusionInputError('options.order', q0, `must be an integer in 1..${scheme.maxOrder}`);
  const lof = options.lowerOrderFinal ?? true;
  const useCorrector = Boolean(scheme.corrector) && options.corrector !== false;
  const grid = checkTimeGrid(timeGrid, model.process, 'any');
  const p = model.process;
  const N = grid.length - 1;
  const histT: number[] = [];
  let prev: { s: number; q: number } | null = null;
  return runSampler(checkInitialBatch(x), options, scheme.name, (r) => {
    for (let i = 0; i < N; i++) {
      const s = grid[i];
      const t = grid[i + 1];
      const q = stepOrder(q0, i, N, lof);
      const corr = prev && useCorrector ? scheme.corrector!(p, prev.s, s, histT.slice(0, prev.q)) : null;
      const newT = [s, ...histT].slice(0, scheme.maxOrder);
      const pred = scheme.predictor(p, s, t, newT.slice(0, q));
      r.step(i, s, t, (cur) => {
        // carry layout: [start state of the previous step (UniPC only)], then the history, newest first
        const carried = r.carry as tf.Tensor2D[];
        const xPrev = useCorrector && carried.length > 0 ? carried[0] : null;
        const hist = useCorrector ? carried.slice(1) : carried;
        const m = predictionOf(model, cur, s, scheme.prediction);
        let start = cur;
        if (corr && xPrev) {
          start = lincomb([[corr.base, xPrev], ...corr.w.slice(0, -1).map((w, j) => [w, hist[j]] as [number, tf.Tensor2D]), [corr.w[corr.w.length - 1], m]]);
        }
        const newHist = [m, ...hist].slice(0, scheme.maxOrder);
        const next = lincomb([[pred.base, start], ...pred.w.map((w, j) => [w, newHist[j]] as [number, tf.Tensor2D])]);
        const keepStart = useCorrector ? [start === cur ? (tf.clone(cur) as tf.Tensor2D) : start] : [];
        return { x: next, denoised: scheme.prediction === 'data' ? (tf.clone(m) as tf.Tensor2D) : undefined, carry: [...keepStart, ...newHist] };
      });
      histT.splice(0, histT.length, ...newT);
      prev = { s, q };
    }
  });
}

export function sampleDpmSolverMultistep(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(dpmSolverScheme(options.prediction ?? 'noise', options.solverType ?? 'dpmsolver'), model, x, timeGrid, options, 2);
}
export function sampleDpmSolver2M(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(dpmSolverScheme('noise', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 2 });
}
export function sampleDpmSolver3M(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(dpmSolverScheme('noise', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 3 });
}
export function sampleDpmSolverPP2MFinal(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(dpmSolverScheme('data', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 2 });
}
export function sampleDpmSolverPP3M(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(dpmSolverScheme('data', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 3 });
}
export function sampleUniPC(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(unipcScheme(options.prediction ?? 'data', options.variant ?? 'bh2', options.corrector ?? true), model, x, timeGrid, options, 2);
}
export function sampleUniPCBh1(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return sampleUniPC(model, x, timeGrid, { ...options, variant: 'bh1' });
}
export function sampleUniPCBh2(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return sampleUniPC(model, x, timeGrid, { ...options, variant: 'bh2' });
}
export function sampleDeis(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D {
  return runMultistep(deisScheme(), model, x, timeGrid, options, 3);
}

/** Singlestep update of order 2-3 (float64 twin: singlestepUpdate; same coefficients). */
export function singlestepUpdate(model: TensorDiffusionModel, x: tf.Tensor2D, s: number, t: number, order: 2 | 3, prediction: SolverPrediction, solverType: SolverType = 'dpmsolver'): tf.Tensor2D {
  const p = model.process;
  const F = expFrame(p, prediction, s, t);
  const ls = lambdaAt(p, s);
  const m0 = predictionOf(model, x, s, prediction);
  const first = (fr: ExpFrame) => fr.scale * fr.h * phi(1, fr.z);
  if (order === 2) {
    const r1 = 0.5;
    const s1 = p.tOfLambda(ls + r1 * F.h);
    const F1 = expFrame(p, prediction, s, s1);
    const m1 = predictionOf(model, lincomb([[F1.base, x], [first(F1), m0]]), s1, prediction);
    const c = solverType === 'dpmsolver' ? 0.5 * F.scale * F.h * phi(1, F.z) : F.scale * F.h * phi(2, F.z);
    return lincomb([[F.base, x], [first(F) - c / r1, m0], [c / r1, m1]]);
  }
  const r1 = 1 / 3;
  const r2 = 2 / 3;
  const s1 = p.tOfLambda(ls + r1 * F.h);
  const s2 = p.tOfLambda(ls + r2 * F.h);
  const F1 = expFrame(p, prediction, s, s1);
  const m1 = predictionOf(model, lincomb([[F1.base, x], [first(F1), m0]]), s1, prediction);
  const F2 = expFrame(p, prediction, s, s2);
  const c2 = (F2.scale * F2.h * phi(2, F2.z) * r2) / r1;
  const m2 = predictionOf(model, lincomb([[F2.base, x], [first(F2) - c2, m0], [c2, m1]]), s2, prediction);
  const c = (F.scale * F.h * phi(2, F.z)) / r2;
  return lincomb([[F.base, x], [first(F) - c, m0], [c, m2]]);
}

function singlestepSampler(name: string, order: 2 | 3) {
  return (model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorMultistepOptions = {}): tf.Tensor2D => {
    checkTensorModel(model);
    const grid = checkTimeGrid(timeGrid, model.process, 'any');
    const prediction = checkOneOf('options.prediction', options.prediction ?? 'data', SOLVER_PREDICTIONS);
    const solverType = checkOneOf('options.solverType', options.solverType ?? 'dpmsolver', SOLVER_TYPES);
    return runSampler(checkInitialBatch(x), options, name, (r) => {
      for (let i = 0; i + 1 < grid.length; i++) r.step(i, grid[i], grid[i + 1], (cur) => singlestepUpdate(model, cur, grid[i], grid[i + 1], order, prediction, solverType));
    });
  };
}

/** DPM-Solver++(2S). float64 twin: sampleDpmSolverPP2S. */
export const sampleDpmSolverPP2S = singlestepSampler('sampleDpmSolverPP2S', 2);
/** DPM-Solver++(3S). float64 twin: sampleDpmSolverPP3S. */
export const sampleDpmSolverPP3S = singlestepSampler('sampleDpmSolverPP3S', 3);
