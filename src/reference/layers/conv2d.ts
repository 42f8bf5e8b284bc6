/**
 * 2-D convolution (cross-correlation, as in every deep-learning library) on NHWC images with HWIO
 * filters, and its two gradients, in float64 by the defining sums.
 *
 * Forward (TensorFlow's `conv2d`, padding semantics of its 'SAME' / 'VALID' modes):
 *
 *   y[n, i, j, o] = Σ_{a<KH} Σ_{b<KW} Σ_{c<Ci} x[n, i·sH − padTop + a, j·sW − padLeft + b, c] · w[a, b, c, o]
 *
 * where x is zero outside the image. 'VALID': no padding, Ho = ⌈(H − KH + 1)/sH⌉.
 * 'SAME': Ho = ⌈H/sH⌉, total padding P = max((Ho − 1)·sH + KH − H, 0), padTop = ⌊P/2⌋ (the extra
 * row, if any, goes to the bottom); the same for the width.
 *
 * Gradients of a scalar loss L with upstream gradient dy = ∂L/∂y (same formula read backwards):
 *   ∂L/∂x[n, h, w, c] = Σ_{i,j,a,b,o : i·sH − padTop + a = h, j·sW − padLeft + b = w} dy[n,i,j,o] · w[a,b,c,o]
 *   ∂L/∂w[a, b, c, o] = Σ_{n,i,j} x[n, i·sH − padTop + a, j·sW − padLeft + b, c] · dy[n, i, j, o]
 */
import { DiffusionInputError } from '../errors.js';
import { checkNd, checkSameShape, ndarray, type NdArray } from './tensor.js';
import { checkOneOf } from '../errors.js';

export type Padding = 'same' | 'valid';

export interface Conv2dOptions {
  /** Stride (one number for both axes, or [sH, sW]); default 1. */
  strides?: number | readonly [number, number];
  /** 'same' or 'valid' (TensorFlow semantics); default 'same'. */
  padding?: Padding;
}

/** Output size and padding of one spatial axis (TensorFlow's rule, see the file comment). */
export interface AxisGeometry {
  out: number;
  padBefore: number;
  padAfter: number;
}

/** TensorFlow's output size and padding for input length n, window k, stride s. */
export function axisGeometry(n: number, k: number, s: number, padding: Padding): AxisGeometry {
  if (padding === 'valid') {
    const out = Math.ceil((n - k + 1) / s);
    if (out < 1) throw new DiffusionInputError('filter size', k, `larger than the input size ${n} with 'valid' padding`);
    return { out, padBefore: 0, padAfter: 0 };
  }
  const out = Math.ceil(n / s);
  const total = Math.max((out - 1) * s + k - n, 0);
  const padBefore = Math.floor(total / 2);
  return { out, padBefore, padAfter: total - padBefore };
}

export function stridesOf(name: string, strides: unknown): [number, number] {
  const s = strides === undefined ? 1 : strides;
  const pair = typeof s === 'number' ? [s, s] : s;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < 1)) {
    throw new DiffusionInputError(name, strides, 'must be a positive integer or a pair of them');
  }
  return [pair[0], pair[1]];
}

/** Geometry of a convolution: output shape and the top/left padding. */
export interface Conv2dGeometry {
  outShape: [number, number, number, number];
  strides: [number, number];
  padTop: number;
  padLeft: number;
  /** Number of terms in each output's sum (KH·KW·Ci). */
  reductionLength: number;
}

export function conv2dGeometry(xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions = {}): Conv2dGeometry {
  const [n, h, w, ci] = xShape;
  const [kh, kw, wci, co] = wShape;
  if (wci !== ci) throw new DiffusionInputError('w.shape', wShape, `shape mismatch: filter input channels ${wci} ≠ image channels ${ci}`);
  const strides = stridesOf('strides', opts.strides);
  const padding = checkOneOf('padding', opts.padding ?? 'same', ['same', 'valid'] as const);
  const gh = axisGeometry(h, kh, strides[0], padding);
  const gw = axisGeometry(w, kw, strides[1], padding);
  return { outShape: [n, gh.out, gw.out, co], strides, padTop: gh.padBefore, padLeft: gw.padBefore, reductionLength: kh * kw * ci };
}

/** Forward convolution y = conv2d(x, w) (see the file comment for the sum). */
export function conv2d(x: NdArray, w: NdArray, opts: Conv2dOptions = {}): NdArray {
  const xs = checkNd('x', x, 4);
  const ws = checkNd('w', w, 4);
  const g = conv2dGeometry(xs, ws, opts);
  const [N, H, W, Ci] = xs;
  const [KH, KW, , Co] = ws;
  const [, Ho, Wo] = g.outShape;
  const y = ndarray(g.outShape);
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let o = 0; o < Co; o++) {
          let s = 0;
          for (let a = 0; a < KH; a++) {
            const h = i * g.strides[0] - g.padTop + a;
            if (h < 0 || h >= H) continue;
            for (let b = 0; b < KW; b++) {
              const ww = j * g.strides[1] - g.padLeft + b;
              if (ww < 0 || ww >= W) continue;
              for (let c = 0; c < Ci; c++) {
                s += x.data[((n * H + h) * W + ww) * Ci + c] * w.data[((a * KW + b) * Ci + c) * Co + o];
              }
            }
          }
          y.data[((n * Ho + i) * Wo + j) * Co + o] = s;
        }
  return y;
}

/**
 * ∂L/∂x of `conv2d` given dy = ∂L/∂y; `xShape` is the forward input's shape (it cannot be recovered
 * from dy alone when the stride does not divide the image).
 */
export function conv2dBackpropInput(dy: NdArray, w: NdArray, xShape: readonly number[], opts: Conv2dOptions = {}): NdArray {
  const ws = checkNd('w', w, 4);
  const dys = checkNd('dy', dy, 4);
  const dx = ndarray(xShape, undefined, 'xShape');
  if (xShape.length !== 4) throw new DiffusionInputError('xShape', xShape, 'must have rank 4 (NHWC)');
  const g = conv2dGeometry(xShape, ws, opts);
  checkSameShape('conv2d output', g.outShape, 'dy', dys);
  const [N, H, W, Ci] = xShape;
  const [KH, KW, , Co] = ws;
  const [, Ho, Wo] = g.outShape;
  // Scatter form of the sum: each (output pixel, tap) pair adds dy·w to the input pixel it read.
  for (let n = 0; n < N; n++)
    for (let i = 0; i < Ho; i++)
      for (let j = 0; j < Wo; j++)
        for (let a = 0; a < KH; a++) {
          const h = i * g.strides[0] - g.padTop + a;
          if (h < 0 || h >= H) continue;
          for (let b = 0; b < KW; b++) {
            const ww = j * g.strides[1] - g.padLeft + b;
            if (ww < 0 || ww >= W) continue;
            for (let c = 0; c < Ci; c++) {
              let s = 0;
              for (let o = 0; o < Co; o++) s += dy.data[((n * Ho + i) * Wo + j) * Co + o] * w.data[((a * KW + b) * Ci + c) * Co + o];
              dx.data[((n * H + h) * W + ww) * Ci + c] += s;
            }
          }
        }
  return dx;
}

/** ∂L/∂w of `conv2d` given the forward input x and dy = ∂L/∂y; `wShape` is the filter's shape. */
export function conv2dBackpropFilter(x: NdArray, dy: NdArray, wShape: readonly number[], opts: Conv2dOptions = {}): NdArray {
  const xs = checkNd('x', x, 4);
  const dys = checkNd('dy', dy, 4);
  const dw = ndarray(wShape, undefined, 'wShape');
  if (wShape.length !== 4) throw new DiffusionInputError('wShape', wShape, 'must have rank 4 (HWIO)');
  const g = conv2dGeometry(xs, wShape, opts);
  checkSameShape('conv2d output', g.outShape, 'dy', dys);
  const [N, H, W, Ci] = xs;
  const [KH, KW, , Co] = wShape;
  const [, Ho, Wo] = g.outShape;
  for (let a = 0; a < KH; a++)
    for (let b = 0; b < KW; b++)
      for (let c = 0; c < Ci; c++)
        for (let o = 0; o < Co; o++) {
          let s = 0;
          for (let n = 0; n < N; n++)
            for (let i = 0; i < Ho; i++) {
              const h = i * g.strides[0] - g.padTop + a;
              if (h < 0 || h >= H) continue;
              for (let j = 0; j < Wo; j++) {
                const ww = j * g.strides[1] - g.padLeft + b;
                if (ww < 0 || ww >= W) continue;
                s += x.data[((n * H + h) * W + ww) * Ci + c] * dy.data[((n * Ho + i) * Wo + j) * Co + o];
              }
            }
          dw.data[((a * KW + b) * Ci + c) * Co + o] = s;
        }
  return dw;
}
