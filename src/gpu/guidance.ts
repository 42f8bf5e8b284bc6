/**
 * Guidance on tensors (catalog E9; 002 §4; Dhariwal & Nichol 2021 eq. 14; Ho & Salimans 2022 eq. 6).
 * float64 twin: src/reference/guidance.ts.
 *
 * Classifier guidance ε̃ = ε̂ - w σ_t ∇log p(y | x_t); classifier-free ε̃ = (1 + w) ε̂(x, y) - w ε̂(x, ∅).
 * Both wrap models into an ε-model on the same process, so any tensor sampler runs them.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkFiniteNumber } from '../reference/errors.js';
import { checkTensorModel, lincomb, makeTensorModel, modelEps, type TensorDiffusionModel } from './model.js';

function checkClassifierScale(w: unknown): number {
  const v = checkFiniteNumber('w', w);
  if (v < 0) throw new DiffusionInputError('w', v, 'the classifier guidance scale must be ≥ 0 (p(y|x)^w with w < 0 is not a guidance target)');
  return v;
}

function checkCfgScale(w: unknown): number {
  const v = checkFiniteNumber('w', w);
  if (v < -1) throw new DiffusionInputError('w', v, 'the classifier-free guidance scale must be ≥ -1 (w < -1 puts negative weight on the conditional model)');
  return v;
}

/** Classifier-guided ε: ε̂ - w σ_t ∇log p(y | x_t). float64 twin: classifierGuidedEps. */
export function classifierGuidedEps(eps: tf.Tensor2D, sigma: number, classifierGrad: tf.Tensor2D, w: number): tf.Tensor2D {
  checkClassifierScale(w);
  checkFiniteNumber('sigma', sigma);
  return lincomb([
    [1, eps],
    [-w * sigma, classifierGrad],
  ]);
}

/** Classifier-free guided ε: (1 + w) ε̂(x, y) - w ε̂(x, ∅). float64 twin: classifierFreeEps. */
export function classifierFreeEps(epsCond: tf.Tensor2D, epsUncond: tf.Tensor2D, w: number): tf.Tensor2D {
  checkCfgScale(w);
  return lincomb([
    [1 + w, epsCond],
    [-w, epsUncond],
  ]);
}

/** Classifier guidance as an ε-model; classifierGrad(x, t) = ∇_x log p_t(y | x). float64 twin: classifierGuidance. */
export function classifierGuidance(model: TensorDiffusionModel, classifierGrad: (x: tf.Tensor2D, t: number) => tf.Tensor2D, w: number): TensorDiffusionModel {
  checkTensorModel(model);
  checkClassifierScale(w);
  if (typeof classifierGrad !== 'function') throw new DiffusionInputError('classifierGrad', classifierGrad, 'must be a function (x, t) → ∇log p(y|x)');
  return makeTensorModel(model.process, 'eps', (x, t) => classifierGuidedEps(modelEps(model, x, t), model.process.sigma(t), classifierGrad(x, t), w));
}

/** Classifier-free guidance of a conditional and an unconditional model (ε-model). float64 twin: classifierFreeGuidance. */
export function classifierFreeGuidance(condModel: TensorDiffusionModel, uncondModel: TensorDiffusionModel, w: number): TensorDiffusionModel {
  checkTensorModel(condModel, 'condModel');
  checkTensorModel(uncondModel, 'uncondModel');
  checkCfgScale(w);
  if (condModel.process !== uncondModel.process) throw new DiffusionInputError('uncondModel.process', uncondModel.process.label, 'must be the same process object as condModel.process');
  return makeTensorModel(condModel.process, 'eps', (x, t) => classifierFreeEps(modelEps(condModel, x, t), modelEps(uncondModel, x, t), w));
}
