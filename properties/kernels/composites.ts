/**
 * The tfjs op sequences a U-Net uses for layers that are not a single kernel, written exactly as
 * src/gpu/nn.ts writes them (group norm via tf.moments + rsqrt, SiLU as x·sigmoid(x), 2×
 * upsampling as reshape + broadcast multiply), so the cross-checks test those kernel chains and
 * their autodiff. Kept here, not imported, so this suite does not depend on the model code.
 */
import * as tf from '@tensorflow/tfjs';

export function groupNormTf(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor, groups: number, eps: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const xr = tf.reshape(x, [n, h * w, groups, c / groups]);
  const { mean, variance } = tf.moments(xr, [1, 3], true);
  const xn = tf.mul(tf.sub(xr, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(tf.reshape(xn, [n, h, w, c]), gamma), beta);
}

export function siluTf<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

export function upsample2Tf(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  return tf.reshape(tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), tf.ones([1, 1, 2, 1, 2, 1])), [n, 2 * h, 2 * w, c]);
}

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
