/**
 * Langevin samplers on tensors (catalog E3; 004 §3.1 eq. 68, §3.3 eq. 88; Song & Ermon 2019
 * Algorithm 1). float64 twin: src/reference/langevin.ts (see it for the O(τ) bias and mixing caveats).
 *
 * Unadjusted Langevin x ← x + τ ∇log p(x) + √(2τ) z at each level of the grid (`stepsPerLevel`
 * steps per level); annealed Langevin uses τ_i = τ σ(t_i)²/σ(t_L)² (host float64, the reference's
 * `annealedStepSize`). One noise draw per inner step; the callback fires per inner step, as in the
 * reference (i counts inner steps, t = tNext = the level).
 */
import * as tf from '@tensorflow/tfjs';
import { annealedLastSigma, annealedStepSize, checkLangevinLevels, langevinParams, type LangevinOptions } from '../reference/langevin.js';
import { checkInitialBatch, checkTensorModel, lincomb, modelScore, requireNoise, runSampler, type TensorDiffusionModel, type TensorOptionsOf } from './model.js';

export type TensorLangevinOptions = TensorOptionsOf<LangevinOptions>;

/** One Langevin step, 004 eq. (68): x + τ s + √(2τ) z. */
export function langevinStep(x: tf.Tensor2D, score: tf.Tensor2D, tau: number, z: tf.Tensor2D): tf.Tensor2D {
  return lincomb([
    [1, x],
    [tau, score],
    [Math.sqrt(2 * tau), z],
  ]);
}

function langevinRun(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorLangevinOptions, name: string, annealed: boolean): tf.Tensor2D {
  checkTensorModel(model);
  const levels = checkLangevinLevels(timeGrid, model);
  const { tau, M } = langevinParams(options, name);
  requireNoise(options, name);
  const x0 = checkInitialBatch(x);
  let sL = 1;
  if (annealed) sL = annealedLastSigma(levels, model.process);
  return runSampler(x0, options, name, (r) => {
    let step = 0;
    for (let i = 0; i < levels.length; i++) {
      const ti = annealed ? annealedStepSize(tau, model.process.sigma(levels[i]), sL) : tau;
      for (let m = 0; m < M; m++) {
        const k = step++;
        r.step(k, levels[i], levels[i], (cur) => langevinStep(cur, modelScore(model, cur, levels[i]), ti, r.noise(k)));
      }
    }
  });
}

/** Unadjusted Langevin (004 eq. 68 / 88) with constant τ = stepSize. float64 twin: sampleLangevin. */
export function sampleLangevin(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorLangevinOptions = {}): tf.Tensor2D {
  return langevinRun(model, x, timeGrid, options, 'sampleLangevin', false);
}

/** Annealed Langevin dynamics (SMLD; Song & Ermon 2019 Algorithm 1). float64 twin: sampleAnnealedLangevin. */
export function sampleAnnealedLangevin(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options: TensorLangevinOptions = {}): tf.Tensor2D {
  return langevinRun(model, x, timeGrid, options, 'sampleAnnealedLangevin', true);
}
