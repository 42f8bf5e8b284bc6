/**
 * Average pooling on NHWC images (TensorFlow's `avgPool`), and its gradient. With window KH×KW,
 * stride (sH, sW) and the padding geometry of `conv2d` ('same' / 'valid', see conv2d.ts):
 *   y[n, i, j, c] = (1/|S_ij|) Σ_{(h, w) ∈ S_ij} x[n, h, w, c],
 *   S_ij = {(i·sH − padTop + a, j·sW − padLeft + b) : a < KH, b < KW} ∩ image,
 * i.e. padded positions are excluded from the count (TensorFlow's rule), and
 *   ∂L/∂x[n, h, w, c] = Σ_{(i, j) : (h, w) ∈ S_ij} dy[n, i, j, c] / |S_ij|.
 */
import { DiffusionInputError } from '../errors.js';
import { axisGeometry, stridesOf, type Padding } from './conv2d.js';
import { checkNd, checkSameShape, ndarray, type NdArray } from './tensor.js';
import { checkOneOf } from '../errors.js';

export interface PoolOptions {
  /** Window size (one number or [KH, KW]). */
  filterSize: number | readonly [number, number];
  /** Stride; default = the window size. */
  strides?: number | readonly [number, number];
  /** Default 'valid'. */
  padding?: Padding;
}

interface Windows {
  outShape: [number, number, number, number];
  /** For output (i, j): rows [h0, h1) and columns [w0, w1) of its window inside the image. */
  rows: Array<[number, number]>;
  cols: Array<[number, number]>;
}

function windows(xShape: readonly number[], opts: PoolOptions): Windows {
  const [N, H, W, C] = xShape;
  const k = stridesOf('filterSize', opts?.filterSize);
  const s = opts.strides === undefined ? k : stridesOf('strides', opts.strides);
  const padding = checkOneOf('padding', opts.padding ?? 'valid', ['same', 'valid'] as const);
  const gh = axisGeometry(H, k[0], s[0], padding);
  const gw = axisGeometry(W, k[1], s[1], padding);
  const span = (i: number, st: number, pad: number, kk: number, n: number): [number, number] => [
    Math.max(0, i * st - pad),
    Math.min(n, i * st - pad + kk),
  ];
  const rows = Array.from({ length: gh.out }, (_, i) => span(i, s[0], gh.padBefore, k[0], H));
  const cols = Array.from({ length: gw.out }, (_, j) => span(j, s[1], gw.padBefore, k[1], W));
  return { outShape: [N, gh.out, gw.out, C], rows, cols };
}

export function avgPool(x: NdArray, opts: PoolOptions): NdArray {
  const [, H, W, C] = checkNd('x', x, 4);
  const g = windows(x.shape, opts);
  const [N, Ho, Wo] = g.outShape;
  const y = ndarray(g.outShape);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const [h0, h1] = g.rows[i];
        const [w0, w1] = g.cols[j];
        // Never empty: TensorFlow's padding is < the window on each side, so every window overlaps the image.
        const count = (h1 - h0) * (w1 - w0);
        for (let c = 0; c < C; c++) {
          let s = 0;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) s += x.data[((n * H + h) * W + w) * C + c];
          y.data[((n * Ho + i) * Wo + j) * C + c] = s / count;
        }
      }
  return y;
}

/** ∂L/∂x of `avgPool` for upstream dy; `xShape` is the forward input's shape. */
export function avgPoolGrad(dy: NdArray, xShape: readonly number[], opts: PoolOptions): NdArray {
  const dx = ndarray(xShape, undefined, 'xShape');
  if (xShape.length !== 4) throw new DiffusionInputError('xShape', xShape, 'must have rank 4 (NHWC)');
  const [, H, W, C] = xShape;
  const g = windows(xShape, opts);
  checkSameShape('avgPool output', g.outShape, 'dy', checkNd('dy', dy, 4));
  const [N, Ho, Wo] = g.outShape;
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++) {
        const [h0, h1] = g.rows[i];
        const [w0, w1] = g.cols[j];
        const count = (h1 - h0) * (w1 - w0);
        for (let c = 0; c < C; c++) {
          const share = dy.data[((n * Ho + i) * Wo + j) * C + c] / count;
          for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) dx.data[((n * H + h) * W + w) * C + c] += share;
        }
      }
  return dx;
}
