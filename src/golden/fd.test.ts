/**
 * FD-LeNet's Fréchet distance (src/golden/fd.ts) against closed forms and an independent route.
 * Tolerances: every case is float64 with d ≤ 12 and condition numbers ≤ ~1e3, so the symmetric
 * eigendecompositions are backward stable to ~d·u·‖Σ‖ (u = 2^-53); we allow 1e-9·(tr Σ₁ + tr Σ₂ + 1).
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Rng } from '../reference/rng.js';
import { featureMoments, frechetDistance, sqrtPsd, traceSqrtProduct, type Moments } from './fd.js';

function randomSpd(d: number, rng: Rng): Float64Array {
  const a = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) a.set(i, j, rng.normal());
  const s = a.mmul(a.transpose()).add(Matrix.eye(d, d).mul(0.1));
  return Float64Array.from(s.to1DArray());
}

function moments(mean: number[], cov: Float64Array): Moments {
  return { n: 100, d: mean.length, mean: Float64Array.from(mean), cov };
}

const tol = (a: Moments, b: Moments) => {
  let t = 1;
  for (let j = 0; j < a.d; j++) t += a.cov[j * a.d + j] + b.cov[j * b.d + j];
  return 1e-9 * t;
};

describe('frechetDistance', () => {
  it('is 0 for identical Gaussians and symmetric in its arguments', () => {
    const rng = new Rng(1);
    for (const d of [1, 3, 12]) {
      const a = moments(Array.from({ length: d }, () => rng.normal()), randomSpd(d, rng));
      const b = moments(Array.from({ length: d }, () => rng.normal()), randomSpd(d, rng));
      expect(frechetDistance(a, a)).toBeLessThanOrEqual(tol(a, a));
      expect(Math.abs(frechetDistance(a, b) - frechetDistance(b, a))).toBeLessThanOrEqual(tol(a, b));
      expect(frechetDistance(a, b)).toBeGreaterThan(0);
    }
  });

  it('matches (μ₁-μ₂)² + (σ₁-σ₂)² in one dimension', () => {
    const a = moments([0.3], Float64Array.of(4));
    const b = moments([-1.2], Float64Array.of(0.25));
    expect(frechetDistance(a, b)).toBeCloseTo(1.5 ** 2 + (2 - 0.5) ** 2, 12);
  });

  it('matches ‖Δμ‖² + Σ(√a_i - √b_i)² for covariances diagonal in a common rotated basis', () => {
    const rng = new Rng(2);
    const d = 6;
    const q = new EigenvalueDecomposition(Matrix.from1DArray(d, d, randomSpd(d, rng)), { assumeSymmetric: true }).eigenvectorMatrix; // a random orthogonal basis
    const av = Array.from({ length: d }, () => 0.1 + rng.uniform() * 3);
    const bv = Array.from({ length: d }, () => 0.1 + rng.uniform() * 3);
    const mk = (v: number[]) => Float64Array.from(q.mmul(Matrix.diag(v)).mmul(q.transpose()).to1DArray());
    const ma = Array.from({ length: d }, () => rng.normal());
    const mb = Array.from({ length: d }, () => rng.normal());
    let expected = 0;
    for (let i = 0; i < d; i++) expected += (ma[i] - mb[i]) ** 2 + (Math.sqrt(av[i]) - Math.sqrt(bv[i])) ** 2;
    const a = moments(ma, mk(av));
    const b = moments(mb, mk(bv));
    expect(Math.abs(frechetDistance(a, b) - expected)).toBeLessThanOrEqual(tol(a, b));
  });

  it('tr (Σ₁^½Σ₂Σ₁^½)^½ agrees with Σ√λ(Σ₁Σ₂) from a general (non-symmetric) eigendecomposition', () => {
    const rng = new Rng(3);
    for (const d of [2, 5, 12]) {
      const c1 = randomSpd(d, rng);
      const c2 = randomSpd(d, rng);
      const prod = Matrix.from1DArray(d, d, c1).mmul(Matrix.from1DArray(d, d, c2));
      const e = new EigenvalueDecomposition(prod);
      const other = e.realEigenvalues.reduce((s, v) => s + Math.sqrt(Math.max(v, 0)), 0);
      expect(e.imaginaryEigenvalues.every((v) => Math.abs(v) < 1e-8)).toBe(true);
      expect(Math.abs(traceSqrtProduct(c1, c2, d) - other)).toBeLessThanOrEqual(1e-8 * other);
    }
  });

  it('sqrtPsd squares back to the matrix', () => {
    const rng = new Rng(4);
    const d = 7;
    const c = Matrix.from1DArray(d, d, randomSpd(d, rng));
    const s = sqrtPsd(c);
    expect(s.mmul(s).sub(c).norm('max')).toBeLessThan(1e-10 * c.norm('max'));
  });

  it('rejects mismatched dimensions', () => {
    expect(() => frechetDistance(moments([0], Float64Array.of(1)), moments([0, 0], Float64Array.of(1, 0, 0, 1)))).toThrow(/b\.d.*shape mismatch/);
  });
});

describe('featureMoments', () => {
  it('gives the sample mean and the unbiased covariance', () => {
    const x = [1, 2, 3, 5, 0, -1, 4, 4];
    const m = featureMoments(x, 2);
    expect(m.n).toBe(4);
    expect(Array.from(m.mean)).toEqual([2, 2.5]);
    // var(1,3,0,4) = 10/3; var(2,5,-1,4) = 21/3; cov = ((-1)(-0.5) + 1(2.5) + (-2)(-3.5) + 2(1.5))/3 = 13/3
    expect(m.cov[0]).toBeCloseTo(10 / 3, 12);
    expect(m.cov[3]).toBeCloseTo(21 / 3, 12);
    expect(m.cov[1]).toBeCloseTo(13 / 3, 12);
    expect(m.cov[2]).toBe(m.cov[1]);
  });

  it('rejects bad input naming it', () => {
    expect(() => featureMoments([1, 2, 3], 2)).toThrow(/features.*not a multiple/);
    expect(() => featureMoments([1, 2], 2)).toThrow(/at least 2 rows/);
    expect(() => featureMoments([1, NaN, 3, 4], 2)).toThrow(/features\[0\]\[1\]/);
  });
});
