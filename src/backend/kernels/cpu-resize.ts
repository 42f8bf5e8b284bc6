/**
 * A correct `ResizeNearestNeighborGrad` for the pure-JS `cpu` backend.
 *
 * tfjs-backend-cpu 4.22 offsets dy by the *image's* batch stride (H·W·C) instead of dy's own
 * (H'·W'·C) when it walks the batch, so for batch > 1 every sample after the first reads the wrong
 * part of dy (and it ignores halfPixelCenters). properties/kernels.test.ts demonstrates the bug.
 *
 * The gradient of a nearest-neighbour resize is the transpose of its index map: every output pixel
 * (r, c) copied the input pixel (src(r), src(c)), so ∂L/∂x[n, src(r), src(c), d] += dy[n, r, c, d].
 * `sourceIndex` computes src exactly as the forward kernel does (TensorFlow's rule), so forward and
 * backward agree by construction.
 */
import type * as tf from '@tensorflow/tfjs';
import { input, type KernelArgs } from './util.js';

interface CpuLikeBackend {
  readSync(dataId: object): ArrayLike<number>;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

/** Source index of output position `out` for a resize from `inSize` to `outSize` (TensorFlow's rule). */
export function sourceIndex(out: number, inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): number {
  const aligned = alignCorners && outSize > 1;
  const scale = (aligned ? inSize - 1 : inSize) / (aligned ? outSize - 1 : outSize);
  const frac = halfPixelCenters ? scale * (out + 0.5) : scale * out;
  let src = Math.min(inSize - 1, alignCorners ? Math.round(frac) : Math.floor(frac));
  if (halfPixelCenters) src = Math.max(0, src);
  return src;
}

export function resizeNearestNeighborGradCorrect(args: KernelArgs): tf.TensorInfo {
  const images = input(args, 'images');
  const dy = input(args, 'dy');
  const attrs = args.attrs ?? {};
  const backend = args.backend as unknown as CpuLikeBackend;
  const alignCorners = !!attrs.alignCorners;
  const halfPixelCenters = !!attrs.halfPixelCenters;
  const [N, H, W, C] = images.shape;
  const [, Ho, Wo] = dy.shape;
  const g = backend.readSync(dy.dataId);
  const out = new Float32Array(N * H * W * C);
  // Accumulate in float64 per input pixel, then round once (at most Ho·Wo/(H·W)-ish terms each).
  const acc = new Float64Array(out.length);
  const rows = Array.from({ length: Ho }, (_, r) => sourceIndex(r, H, Ho, alignCorners, halfPixelCenters));
  const cols = Array.from({ length: Wo }, (_, c) => sourceIndex(c, W, Wo, alignCorners, halfPixelCenters));
  for (let n = 0; n < N; n++)
    for (let r = 0; r < Ho; r++)
      for (let c = 0; c < Wo; c++) {
        const src = ((n * H + rows[r]) * W + cols[c]) * C;
        const from = ((n * Ho + r) * Wo + c) * C;
        for (let d = 0; d < C; d++) acc[src + d] += g[from + d];
      }
  out.set(acc);
  return backend.makeTensorInfo([N, H, W, C], 'float32', out);
}
