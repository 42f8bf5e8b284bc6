/**
 * One Adam update (Kingma & Ba 2015, "Adam: a method for stochastic optimization", Algorithm 1),
 * in float64, as TensorFlow.js's `tf.train.adam` applies it (ε added to √v̂, bias corrections
 * folded into the step size):
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²,
 *   θ ← θ − lr · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + ε),   t = 1, 2, … the step count.
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt, checkSameLength, checkVec } from '../errors.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
}

export interface AdamState {
  m: Float64Array<ArrayBuffer>;
  v: Float64Array<ArrayBuffer>;
}

/** Returns the new parameters and moments after step t (1-based) for gradient g. */
export function adamStep(theta: ArrayLike<number>, g: ArrayLike<number>, state: AdamState, t: number, opts: AdamOptions): { theta: Float64Array<ArrayBuffer>; state: AdamState } {
  const th = checkVec('theta', theta as number[]);
  const gg = checkVec('g', g as number[]);
  checkSameLength('theta', th, 'g', gg);
  checkSameLength('theta', th, 'state.m', state.m);
  checkSameLength('theta', th, 'state.v', state.v);
  checkPositiveInt('t', t);
  const lr = checkFiniteNumber('lr', opts.lr);
  const b1 = checkFiniteNumber('beta1', opts.beta1 ?? 0.9);
  const b2 = checkFiniteNumber('beta2', opts.beta2 ?? 0.999);
  const eps = checkFiniteNumber('eps', opts.eps ?? 1e-7);
  if (!(b1 >= 0 && b1 < 1)) throw new DiffusionInputError('beta1', b1, 'must be in [0, 1)');
  if (!(b2 >= 0 && b2 < 1)) throw new DiffusionInputError('beta2', b2, 'must be in [0, 1)');
  const m = new Float64Array(th.length);
  const v = new Float64Array(th.length);
  const out = new Float64Array(th.length);
  for (let i = 0; i < th.length; i++) {
    m[i] = b1 * state.m[i] + (1 - b1) * gg[i];
    v[i] = b2 * state.v[i] + (1 - b2) * gg[i] * gg[i];
    out[i] = th[i] - (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
  }
  return { theta: out, state: { m, v } };
}
