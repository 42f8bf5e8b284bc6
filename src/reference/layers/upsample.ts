/**
 * Nearest-neighbour upsampling by integer factors on NHWC images (what U-Nets use to go back up a
 * resolution level), and its gradient:
 *   y[n, h, w, c] = x[n, ⌊h/fH⌋, ⌊w/fW⌋, c],   h < fH·H, w < fW·W;
 *   ∂L/∂x[n, i, j, c] = Σ_{a<fH, b<fW} dy[n, i·fH + a, j·fW + b, c]   (each input feeds an fH×fW block).
 * This equals TensorFlow's resizeNearestNeighbor to size (fH·H, fW·W) with alignCorners = false and
 * halfPixelCenters = false, whose source row is ⌊h·H/(fH·H)⌋ = ⌊h/fH⌋.
 */
import { DiffusionInputError } from '../errors.js';
import { checkNd, ndarray, type NdArray } from './tensor.js';

function factors(factor: unknown): [number, number] {
  const f = typeof factor === 'number' ? [factor, factor] : factor;
  if (!Array.isArray(f) || f.length !== 2 || f.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
    throw new DiffusionInputError('factor', factor, 'must be a positive integer or a pair of them');
  }
  return [f[0], f[1]];
}

export function upsampleNearest(x: NdArray, factor: number | readonly [number, number] = 2): NdArray {
  const [N, H, W, C] = checkNd('x', x, 4);
  const [fh, fw] = factors(factor);
  const Ho = H * fh;
  const Wo = W * fw;
  const y = ndarray([N, Ho, Wo, C]);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < Ho; h++)
      for (let w = 0; w < Wo; w++)
        for (let c = 0; c < C; c++) y.data[((n * Ho + h) * Wo + w) * C + c] = x.data[((n * H + Math.floor(h / fh)) * W + Math.floor(w / fw)) * C + c];
  return y;
}

/** ∂L/∂x of `upsampleNearest` for upstream dy of shape [N, fH·H, fW·W, C]. */
export function upsampleNearestGrad(dy: NdArray, factor: number | readonly [number, number] = 2): NdArray {
  const [N, Ho, Wo, C] = checkNd('dy', dy, 4);
  const [fh, fw] = factors(factor);
  if (Ho % fh !== 0 || Wo % fw !== 0) throw new DiffusionInputError('dy.shape', dy.shape, `height and width must be multiples of the factor [${fh}, ${fw}]`);
  const H = Ho / fh;
  const W = Wo / fw;
  const dx = ndarray([N, H, W, C]);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < Ho; h++)
      for (let w = 0; w < Wo; w++)
        for (let c = 0; c < C; c++) dx.data[((n * H + Math.floor(h / fh)) * W + Math.floor(w / fw)) * C + c] += dy.data[((n * Ho + h) * Wo + w) * C + c];
  return dx;
}
