/**
 * Tests of the float64 reference layers: each forward pass against a hand-computed case, each
 * backward pass against central finite differences of its own forward pass (gradient error
 * relative to the gradient's scale ≤ 1e-7: the checker's own error is ≈ 1e-10, see gradcheck.ts,
 * while a wrong backward pass gives O(1)), and every invalid argument against its error message.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import {
  absNd,
  adamStep,
  avgPool,
  avgPoolGrad,
  axisGeometry,
  checkNd,
  conv2d,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dGeometry,
  finiteDifferenceGradient,
  gradientError,
  groupNorm,
  groupNormBackward,
  groupNormStats,
  innerProduct,
  matmul,
  matmulGrad,
  ndarray,
  sigmoid,
  silu,
  siluGrad,
  sizeOf,
  upsampleNearest,
  upsampleNearestGrad,
  type NdArray,
} from './index.js';

const FD_TOL = 1e-7;
const rng = new Rng(20261123);
const rand = (shape: number[]): NdArray => ndarray(shape, Array.from({ length: sizeOf(shape) }, () => rng.normal()));
const withData = (t: NdArray, d: Float64Array): NdArray => ({ shape: t.shape, data: d });

/** FD gradient of L(v) = ⟨f(v), dy⟩ with respect to one argument's data. */
function fdOf(f: (v: NdArray) => NdArray, at: NdArray, dy: NdArray): Float64Array {
  return finiteDifferenceGradient((d) => innerProduct(f(withData(at, d)).data, dy.data), at.data);
}

describe('tensor helpers', () => {
  it('ndarray checks shape, length and finiteness', () => {
    expect(ndarray([2, 3]).data.length).toBe(6);
    expect(() => ndarray([2, 3], [1, 2])).toThrow(/data: shape mismatch: shape \[2, 3\] needs 6 values/);
    expect(() => ndarray([2, 0])).toThrow(/data.shape: must be an array of positive integers/);
    expect(() => ndarray([2], [1, NaN])).toThrow(/data\[1\]: must be finite/);
  });
  it('checkNd names the argument', () => {
    expect(() => checkNd('x', null, 4)).toThrow(/x: must be an NdArray/);
    expect(() => checkNd('x', ndarray([2, 2]), 4)).toThrow(/x.shape: must have rank 4/);
    expect(() => checkNd('x', { shape: [2, 2], data: new Float64Array(3) }, 2)).toThrow(/x.data: shape mismatch/);
    expect(() => checkNd('x', { shape: [2], data: Float64Array.of(1, Infinity) })).toThrow(/x.data\[1\]: must be finite/);
    expect(absNd(ndarray([2], [-1, 2])).data).toEqual(Float64Array.of(1, 2));
  });
});

describe('conv2d', () => {
  it('follows TensorFlow padding geometry', () => {
    expect(axisGeometry(5, 2, 2, 'same')).toEqual({ out: 3, padBefore: 0, padAfter: 1 });
    expect(axisGeometry(5, 3, 1, 'same')).toEqual({ out: 5, padBefore: 1, padAfter: 1 });
    expect(axisGeometry(6, 3, 2, 'same')).toEqual({ out: 3, padBefore: 0, padAfter: 1 });
    expect(axisGeometry(5, 2, 2, 'valid')).toEqual({ out: 2, padBefore: 0, padAfter: 0 });
    expect(conv2dGeometry([1, 7, 6, 2], [3, 2, 2, 4], { strides: [2, 3], padding: 'valid' }).outShape).toEqual([1, 3, 2, 4]);
  });
  it('is a cross-correlation: a centred delta returns the flipped filter', () => {
    const x = ndarray([1, 3, 3, 1], [0, 0, 0, 0, 1, 0, 0, 0, 0]);
    const w = ndarray([3, 3, 1, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(conv2d(x, w, { padding: 'same' }).data)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
    // valid: the single output is the full inner product.
    const xs = ndarray([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(conv2d(xs, w, { padding: 'valid' }).data)).toEqual([1 + 4 + 9 + 16 + 25 + 36 + 49 + 64 + 81]);
    // Two channels in, two out, stride 2: y[0,0,0,o] = Σ_c x[0,0,0,c] w[0,0,c,o] for a 1×1 filter.
    const x2 = ndarray([1, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const w2 = ndarray([1, 1, 2, 2], [1, 10, 100, 1000]);
    expect(Array.from(conv2d(x2, w2, { strides: 2, padding: 'valid' }).data)).toEqual([201, 2010]);
  });
  const cases: Array<{ x: number[]; w: number[]; strides: number | [number, number]; padding: 'same' | 'valid' }> = [
    { x: [2, 5, 4, 3], w: [3, 3, 3, 2], strides: 1, padding: 'same' },
    { x: [1, 5, 6, 2], w: [3, 2, 2, 3], strides: [2, 3], padding: 'same' },
    { x: [2, 6, 5, 2], w: [2, 3, 2, 2], strides: 2, padding: 'valid' },
    { x: [1, 4, 4, 1], w: [1, 1, 1, 2], strides: 1, padding: 'valid' },
  ];
  for (const c of cases) {
    it(`gradients match finite differences: x ${c.x}, w ${c.w}, strides ${c.strides}, ${c.padding}`, () => {
      const x = rand(c.x);
      const w = rand(c.w);
      const opts = { strides: c.strides, padding: c.padding };
      const dy = rand([...conv2d(x, w, opts).shape]);
      const dx = conv2dBackpropInput(dy, w, c.x, opts);
      const dw = conv2dBackpropFilter(x, dy, c.w, opts);
      expect(gradientError(dx.data, fdOf((v) => conv2d(v, w, opts), x, dy))).toBeLessThan(FD_TOL);
      expect(gradientError(dw.data, fdOf((v) => conv2d(x, v, opts), w, dy))).toBeLessThan(FD_TOL);
    });
  }
  it('rejects bad arguments by name', () => {
    const x = rand([1, 4, 4, 2]);
    const w = rand([3, 3, 2, 1]);
    expect(() => conv2d(x, rand([3, 3, 3, 1]))).toThrow(/w.shape: shape mismatch: filter input channels 3 ≠ image channels 2/);
    expect(() => conv2d(x, w, { strides: 0 })).toThrow(/strides: must be a positive integer/);
    expect(() => conv2d(x, w, { strides: [1, 2, 3] as unknown as [number, number] })).toThrow(/strides/);
    expect(() => conv2d(x, w, { padding: 'full' as 'same' })).toThrow(/padding: unknown value/);
    expect(() => conv2d(x, rand([5, 5, 2, 1]), { padding: 'valid' })).toThrow(/larger than the input size 4/);
    expect(() => conv2dBackpropInput(rand([1, 4, 4, 2]), w, [1, 4, 4, 2])).toThrow(/dy.shape: shape mismatch/);
    expect(() => conv2dBackpropInput(rand([1, 4, 4, 1]), w, [1, 4, 4])).toThrow(/xShape: must have rank 4/);
    expect(() => conv2dBackpropFilter(x, rand([1, 4, 4, 3]), [3, 3, 2, 1])).toThrow(/dy.shape: shape mismatch/);
    expect(() => conv2dBackpropFilter(x, rand([1, 4, 4, 1]), [3, 3, 2])).toThrow(/wShape: must have rank 4/);
  });
});

describe('matmul', () => {
  it('multiplies with every transpose combination', () => {
    const a = ndarray([2, 3], [1, 2, 3, 4, 5, 6]);
    const b = ndarray([3, 2], [7, 8, 9, 10, 11, 12]);
    expect(Array.from(matmul(a, b).data)).toEqual([58, 64, 139, 154]);
    const at = ndarray([3, 2], [1, 4, 2, 5, 3, 6]);
    const bt = ndarray([2, 3], [7, 9, 11, 8, 10, 12]);
    expect(Array.from(matmul(at, b, { transposeA: true }).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmul(a, bt, { transposeB: true }).data)).toEqual([58, 64, 139, 154]);
    expect(Array.from(matmul(at, bt, { transposeA: true, transposeB: true }).data)).toEqual([58, 64, 139, 154]);
  });
  for (const tA of [false, true])
    for (const tB of [false, true])
      it(`gradients match finite differences (batched, transposeA ${tA}, transposeB ${tB})`, () => {
        const [m, k, n] = [3, 4, 2];
        const a = rand(tA ? [2, k, m] : [2, m, k]);
        const b = rand(tB ? [2, n, k] : [2, k, n]);
        const opts = { transposeA: tA, transposeB: tB };
        const dc = rand([2, m, n]);
        const { da, db } = matmulGrad(a, b, dc, opts);
        expect(gradientError(da.data, fdOf((v) => matmul(v, b, opts), a, dc))).toBeLessThan(FD_TOL);
        expect(gradientError(db.data, fdOf((v) => matmul(a, v, opts), b, dc))).toBeLessThan(FD_TOL);
      });
  it('rejects bad arguments by name', () => {
    expect(() => matmul(rand([2]), rand([2, 2]))).toThrow(/a.shape: must have rank 2 or 3/);
    expect(() => matmul(rand([2, 2]), rand([1, 2, 2]))).toThrow(/b.shape: rank mismatch/);
    expect(() => matmul(rand([2, 2, 2]), rand([3, 2, 2]))).toThrow(/b.shape: batch mismatch/);
    expect(() => matmul(rand([2, 3]), rand([2, 2]))).toThrow(/b.shape: inner dimensions differ/);
    expect(() => matmulGrad(rand([2, 3]), rand([3, 2]), rand([2, 3]))).toThrow(/dc.shape: shape mismatch/);
  });
});

describe('group norm', () => {
  it('normalizes each (sample, group) to mean 0 and variance σ²/(σ²+ε), then applies γ, β', () => {
    const x = rand([2, 3, 2, 4]);
    const eps = 1e-3;
    const { xhat, variance } = groupNormStats(x, 2, eps);
    for (let n = 0; n < 2; n++)
      for (let g = 0; g < 2; g++) {
        const vals: number[] = [];
        for (let p = 0; p < 6; p++) for (let c = 2 * g; c < 2 * g + 2; c++) vals.push(xhat.data[(n * 6 + p) * 4 + c]);
        const mean = vals.reduce((s, v) => s + v, 0) / vals.length;
        const v2 = vals.reduce((s, v) => s + (v - mean) ** 2, 0) / vals.length;
        const s2 = variance[n * 2 + g];
        expect(Math.abs(mean)).toBeLessThan(1e-14);
        expect(v2).toBeCloseTo(s2 / (s2 + eps), 12);
      }
    const gamma = [1, 2, 3, 4];
    const beta = [0.5, -1, 0, 2];
    const y = groupNorm(x, gamma, beta, 2, eps);
    for (let i = 0; i < y.data.length; i++) expect(y.data[i]).toBeCloseTo(gamma[i % 4] * xhat.data[i] + beta[i % 4], 13);
  });
  for (const [shape, groups] of [
    [[2, 3, 2, 4], 2],
    [[1, 2, 3, 3], 1],
    [[2, 2, 2, 6], 6],
  ] as Array<[number[], number]>) {
    it(`backward matches finite differences: x ${shape}, ${groups} groups`, () => {
      const x = rand(shape);
      const C = shape[3];
      const gamma = rand([C]);
      const beta = rand([C]);
      const dy = rand(shape);
      const eps = 1e-2;
      const { dx, dgamma, dbeta } = groupNormBackward(x, gamma.data, dy, groups, eps);
      expect(gradientError(dx.data, fdOf((v) => groupNorm(v, gamma.data, beta.data, groups, eps), x, dy))).toBeLessThan(FD_TOL);
      expect(gradientError(dgamma, fdOf((v) => groupNorm(x, v.data, beta.data, groups, eps), gamma, dy))).toBeLessThan(FD_TOL);
      expect(gradientError(dbeta, fdOf((v) => groupNorm(x, gamma.data, v.data, groups, eps), beta, dy))).toBeLessThan(FD_TOL);
    });
  }
  it('rejects bad arguments by name', () => {
    const x = rand([1, 2, 2, 4]);
    expect(() => groupNorm(x, [1, 1, 1, 1], [0, 0, 0, 0], 3)).toThrow(/groups: must divide the channel count 4/);
    expect(() => groupNorm(x, [1, 1, 1, 1], [0, 0, 0, 0], 0)).toThrow(/groups: must be a positive integer/);
    expect(() => groupNorm(x, [1, 1, 1, 1], [0, 0, 0, 0], 2, 0)).toThrow(/eps: must be positive/);
    expect(() => groupNorm(x, [1, 1], [0, 0, 0, 0], 2)).toThrow(/gamma: shape mismatch/);
    expect(() => groupNorm(x, [1, 1, 1, 1], [0], 2)).toThrow(/beta: shape mismatch/);
    expect(() => groupNormBackward(x, [1, 1, 1, 1], rand([1, 2, 2, 2]), 2)).toThrow(/dy.shape: shape mismatch/);
  });
});

describe('SiLU', () => {
  it('has the known values and no overflow', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(800)).toBe(1);
    const y = silu(ndarray([4], [0, 1, -1, 40]));
    expect(y.data[0]).toBe(0);
    expect(y.data[1]).toBeCloseTo(1 / (1 + Math.exp(-1)), 15);
    expect(y.data[2]).toBeCloseTo(-1 / (1 + Math.exp(1)), 15);
    expect(y.data[3]).toBeCloseTo(40, 12);
  });
  it('gradient matches finite differences', () => {
    const x = rand([3, 5]);
    const dy = rand([3, 5]);
    expect(gradientError(siluGrad(x, dy).data, fdOf(silu, x, dy))).toBeLessThan(FD_TOL);
    expect(() => siluGrad(x, rand([5, 3]))).toThrow(/dy.shape: shape mismatch/);
  });
});

describe('nearest upsampling', () => {
  it('repeats each pixel over a factor block', () => {
    const x = ndarray([1, 1, 2, 1], [1, 2]);
    expect(Array.from(upsampleNearest(x, 2).data)).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    expect(Array.from(upsampleNearest(x, [1, 3]).data)).toEqual([1, 1, 1, 2, 2, 2]);
  });
  it('gradient matches finite differences and sums blocks', () => {
    const x = rand([2, 2, 3, 2]);
    const dy = rand([2, 4, 6, 2]);
    expect(gradientError(upsampleNearestGrad(dy, 2).data, fdOf((v) => upsampleNearest(v, 2), x, dy))).toBeLessThan(FD_TOL);
    expect(Array.from(upsampleNearestGrad(ndarray([1, 2, 2, 1], [1, 2, 3, 4]), 2).data)).toEqual([10]);
    expect(() => upsampleNearest(x, 0)).toThrow(/factor: must be a positive integer/);
    expect(() => upsampleNearestGrad(rand([1, 3, 2, 1]), 2)).toThrow(/dy.shape: height and width must be multiples/);
  });
});

describe('average pooling', () => {
  it('averages windows and excludes padding from the count', () => {
    const x = ndarray([1, 3, 3, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(avgPool(x, { filterSize: 2, strides: 1 }).data)).toEqual([3, 4, 6, 7]);
    // same, 2×2 stride 2 on 3×3: padding 1 at the bottom/right; the corner window holds only x[2,2].
    expect(Array.from(avgPool(x, { filterSize: 2, padding: 'same' }).data)).toEqual([3, 4.5, 7.5, 9]);
  });
  for (const opts of [
    { filterSize: 2 },
    { filterSize: 3, strides: 2, padding: 'same' as const },
    { filterSize: [2, 3] as [number, number], strides: [1, 2] as [number, number], padding: 'valid' as const },
  ]) {
    it(`gradient matches finite differences: ${JSON.stringify(opts)}`, () => {
      const x = rand([2, 5, 6, 2]);
      const dy = rand([...avgPool(x, opts).shape]);
      expect(gradientError(avgPoolGrad(dy, x.shape, opts).data, fdOf((v) => avgPool(v, opts), x, dy))).toBeLessThan(FD_TOL);
    });
  }
  it('rejects bad arguments by name', () => {
    expect(() => avgPool(rand([1, 4, 4, 1]), { filterSize: 0 })).toThrow(/filterSize: must be a positive integer/);
    expect(() => avgPoolGrad(rand([1, 3, 3, 1]), [1, 4, 4, 1], { filterSize: 2 })).toThrow(/dy.shape: shape mismatch/);
    expect(() => avgPoolGrad(rand([1, 2, 2, 1]), [4, 4, 1], { filterSize: 2 })).toThrow(/xShape: must have rank 4/);
  });
});

describe('Adam step', () => {
  it('first step moves each parameter by lr·g/(|g|+ε) against the gradient', () => {
    const state = { m: new Float64Array(2), v: new Float64Array(2) };
    const r = adamStep([1, -2], [0.5, -4], state, 1, { lr: 0.1, eps: 1e-8 });
    expect(r.theta[0]).toBeCloseTo(1 - (0.1 * 0.5) / (0.5 + 1e-8), 14);
    expect(r.theta[1]).toBeCloseTo(-2 + (0.1 * 4) / (4 + 1e-8), 14);
    expect(r.state.m[0]).toBeCloseTo(0.05, 15);
    expect(r.state.v[1]).toBeCloseTo(0.016, 15);
    // second step with the same gradient: bias corrections keep m̂ = g, v̂ = g².
    const r2 = adamStep(r.theta, [0.5, -4], r.state, 2, { lr: 0.1, eps: 1e-8 });
    expect(r2.theta[0]).toBeCloseTo(r.theta[0] - (0.1 * 0.5) / (0.5 + 1e-8), 13);
  });
  it('rejects bad arguments by name', () => {
    const state = { m: new Float64Array(1), v: new Float64Array(1) };
    expect(() => adamStep([1], [1], state, 0, { lr: 1 })).toThrow(/t: must be a positive integer/);
    expect(() => adamStep([1], [1], state, 1, { lr: 1, beta1: 1 })).toThrow(/beta1: must be in \[0, 1\)/);
    expect(() => adamStep([1], [1], state, 1, { lr: 1, beta2: -1 })).toThrow(/beta2: must be in \[0, 1\)/);
    expect(() => adamStep([1], [1, 2], state, 1, { lr: 1 })).toThrow(/g: shape mismatch/);
  });
});

describe('finite-difference checker', () => {
  it('differentiates a smooth function and reports a wrong gradient', () => {
    const f = (x: Float64Array) => Math.sin(x[0]) * x[1] ** 2;
    const g = finiteDifferenceGradient(f, [0.3, 2]);
    expect(gradientError([Math.cos(0.3) * 4, 2 * 2 * Math.sin(0.3)], g)).toBeLessThan(FD_TOL);
    expect(gradientError([Math.cos(0.3) * 4, 0], g)).toBeGreaterThan(0.1);
  });
  it('rejects bad arguments by name', () => {
    expect(() => finiteDifferenceGradient((x) => x[0], [1], 0)).toThrow(/h: must be positive/);
    expect(() => finiteDifferenceGradient((x) => 1 / (x[0] - 1), [1])).not.toThrow();
    expect(() => finiteDifferenceGradient(() => NaN, [1])).toThrow(/not finite near x/);
    expect(() => gradientError([1], [1, 2])).toThrow(/analytic: shape mismatch/);
    expect(() => innerProduct([1], [1, 2])).toThrow(/b: shape mismatch/);
  });
});
