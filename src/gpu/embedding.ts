/**
 * Section D5 on tensors: the sinusoidal timestep embedding (float64 twin: src/reference/embedding.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';

/**
 * D5: sinusoidal timestep embedding of Ho et al. 2020 (their `get_timestep_embedding`, after the
 * Transformer's positional encoding): for half = dim/2 and k = 0..half-1,
 * freq_k = exp(-ln(10000)·k/(half-1)), emb = [sin(t·freq), cos(t·freq)].
 * `t` is whatever index the caller feeds (the trainer feeds the 1-based t of the catalog).
 * Frequencies are computed in float64 and uploaded; the products and sin/cos run in float32.
 */
export function timestepEmbedding(t: ArrayLike<number>, dim: number): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 4 || dim % 2 !== 0) throw new DiffusionInputError('dim', dim, 'must be an even integer ≥ 4');
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let k = 0; k < half; k++) freqs[k] = Math.exp((-Math.log(10000) * k) / (half - 1));
  const tt = tf.tensor2d(Float32Array.from(t), [t.length, 1]);
  const args = tf.mul(tt, tf.tensor2d(freqs, [1, half]));
  return tf.concat([tf.sin(args), tf.cos(args)], 1) as tf.Tensor2D;
}
