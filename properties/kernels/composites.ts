/**
 * The U-Net's composite layers under test: the very functions of src/train/nn.ts (group norm via
 * tf.moments + rsqrt, SiLU as x·sigmoid(x), 2× upsampling as reshape + broadcast multiply), adapted
 * to plain tensor arguments, so the cross-checks test the op chains (and their autodiff) the model runs.
 */
import * as tf from '@tensorflow/tfjs';
import { groupNorm, silu, upsample2 } from '../../src/train/nn.js';

export function groupNormTf(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, groups: number, eps: number): tf.Tensor4D {
  return groupNorm({ 'gn.gamma': gamma, 'gn.beta': beta }, 'gn', x, groups, eps);
}

export const siluTf = silu;
export const upsample2Tf = upsample2;

/** Max-pool gradient reference (window = stride = 2, 'valid'): dy routed to each window's argmax. */
export function maxPool2GradReference(x: Float32Array | Float64Array, shape: number[], dy: ArrayLike<number>): Float64Array {
  const [N, H, W, C] = shape;
  const Ho = Math.floor(H / 2);
  const Wo = Math.floor(W / 2);
  const dx = new Float64Array(x.length);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let c = 0; c < C; c++) {
          let best = -Infinity;
          let at = -1;
          for (let a = 0; a < 2; a++)
            for (let b = 0; b < 2; b++) {
              const k = ((n * H + 2 * i + a) * W + 2 * j + b) * C + c;
              if (x[k] > best) {
                best = x[k];
                at = k;
              }
            }
          dx[at] += dy[((n * Ho + i) * Wo + j) * C + c];
        }
  return dx;
}
