/**
 * Guidance (catalog E9; 002 §4, whose formulas are missing from the seed; Dhariwal & Nichol 2021
 * Algorithm 2 / eq. 14, Ho & Salimans 2022 eq. 6).
 *
 * Classifier guidance: ε̃ = ε̂(x_t) - w σ_t ∇_x log p_φ(y | x_t), i.e. the score of
 * p_t(x) p_t(y|x)^w; with w = 1 and the Bayes-optimal noisy classifier it is exactly the score of
 * p_t(x | y). Classifier-free guidance: ε̃ = (1 + w) ε̂(x_t, y) - w ε̂(x_t, ∅), w = 0 = conditional.
 * Both are applied to ε (equivalently to the score); see docs/samplers.md for why applying the
 * classifier term to x̂_0 with the ε coefficient is wrong.
 */
import { DiffusionInputError, checkFiniteNumber } from './errors.js';
import { checkModel, makeModel, modelEps, type Rows, type DiffusionModel } from './model.js';

function checkClassifierScale(w: unknown): number {
  const v = checkFiniteNumber('w', w);
  if (v < 0) throw new DiffusionInputError('w', v, 'the classifier guidance scale must be ≥ 0 (p(y|x)^w with w < 0 is not a guidance target)');
  return v;
}

function checkCfgScale(w: unknown): number {
  const v = checkFiniteNumber('w', w);
  if (v < -1) throw new DiffusionInputError('w', v, 'the classifier-free guidance scale must be ≥ -1 (w < -1 puts negative weight on the conditional model: p(x|y)^{1+w} is not a density target)');
  return v;
}

/** Classifier-guided ε (E9): ε̂ - w σ_t ∇log p(y | x_t), elementwise over the batch. */
export function classifierGuidedEps(eps: Rows, sigma: number, classifierGrad: Rows, w: number): Rows {
  checkClassifierScale(w);
  checkFiniteNumber('sigma', sigma);
  return eps.map((row, r) => row.map((v, i) => v - w * sigma * classifierGrad[r][i]));
}

/** Classifier-free guided ε (E9): (1 + w) ε̂(x, y) - w ε̂(x, ∅). */
export function classifierFreeEps(epsCond: Rows, epsUncond: Rows, w: number): Rows {
  checkCfgScale(w);
  return epsCond.map((row, r) => row.map((v, i) => (1 + w) * v - w * epsUncond[r][i]));
}

/**
 * Wrap a model with classifier guidance: an ε-model on the same process. `classifierGrad(x, t)`
 * returns ∇_x log p_t(y | x) for the target class.
 */
export function classifierGuidance(model: DiffusionModel, classifierGrad: (x: Rows, t: number) => Rows, w: number): DiffusionModel {
  checkModel(model);
  checkClassifierScale(w);
  if (typeof classifierGrad !== 'function') throw new DiffusionInputError('classifierGrad', classifierGrad, 'must be a function (x, t) → ∇log p(y|x)');
  return makeModel(model.process, 'eps', (x, t) => classifierGuidedEps(modelEps(model, x, t), model.process.sigma(t), classifierGrad(x, t), w));
}

/** Wrap a conditional and an unconditional model with classifier-free guidance (ε-model). */
export function classifierFreeGuidance(condModel: DiffusionModel, uncondModel: DiffusionModel, w: number): DiffusionModel {
  checkModel(condModel, 'condModel');
  checkModel(uncondModel, 'uncondModel');
  checkCfgScale(w);
  if (condModel.process !== uncondModel.process) throw new DiffusionInputError('uncondModel.process', uncondModel.process.label, 'must be the same process object as condModel.process');
  return makeModel(condModel.process, 'eps', (x, t) => classifierFreeEps(modelEps(condModel, x, t), modelEps(uncondModel, x, t), w));
}
