/**
 * FD-LeNet: the Fréchet distance between Gaussians fitted to the penultimate-layer features of the
 * project's MNIST classifier (src/golden/classifier.ts, layer 'features', 64 ReLU units).
 *
 *   FD = ‖μ₁ - μ₂‖² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½
 *
 * (Fréchet 1957 / Dowson & Landau 1982 for Gaussians; Heusel et al. 2017 use it on Inception
 * features as "FID"). This is *not* FID: the features are those of our 119k-parameter LeNet, not
 * Inception-v3, so values are comparable only with other FD-LeNet values of the same classifier
 * (same weights.bin SHA-256) and the same sample count (the estimator is biased upwards by about
 * tr-terms/n for n samples; golden/stats.json therefore always states the real-data value at the
 * same n as the scale).
 *
 * Numerics (float64, ml-matrix): tr (Σ₁Σ₂)^½ = tr (Σ₁^½ Σ₂ Σ₁^½)^½, and Σ₁^½ Σ₂ Σ₁^½ is symmetric
 * positive semidefinite, so its trace square root is Σᵢ √λᵢ over a *symmetric* eigendecomposition
 * (stable; no non-symmetric sqrtm with complex round-off as in scipy.linalg.sqrtm). Σ₁^½ is itself
 * the symmetric square root from Σ₁'s eigendecomposition. Eigenvalues below zero (round-off of a
 * rank-deficient covariance, |λ| ≲ 1e-12·λ_max) are set to 0.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { DiffusionInputError } from '../reference/errors.js';

/** Mean and (unbiased, n - 1) covariance of n feature vectors of dimension d, in float64. */
export interface Moments {
  n: number;
  d: number;
  mean: Float64Array;
  /** d×d row-major. */
  cov: Float64Array;
}

/** Moments of n rows of d features (row-major), accumulated in float64 (two-pass: mean, then centred products). */
export function featureMoments(features: ArrayLike<number>, d: number): Moments {
  if (!Number.isInteger(d) || d < 1) throw new DiffusionInputError('d', d, 'must be a positive integer');
  if (features.length % d !== 0) throw new DiffusionInputError('features', `length ${features.length}`, `shape mismatch: not a multiple of d = ${d}`);
  const n = features.length / d;
  if (n < 2) throw new DiffusionInputError('features', `${n} rows`, 'need at least 2 rows for a covariance');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = features[i * d + j];
      if (!Number.isFinite(v)) throw new DiffusionInputError(`features[${i}][${j}]`, v, 'must be finite (NaN or infinite feature)');
      mean[j] += v;
    }
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = features[i * d + j] - mean[j];
    for (let j = 0; j < d; j++) {
      const cj = c[j];
      if (cj === 0) continue;
      const row = j * d;
      for (let k = j; k < d; k++) cov[row + k] += cj * c[k];
    }
  }
  for (let j = 0; j < d; j++) {
    for (let k = j; k < d; k++) {
      const v = cov[j * d + k] / (n - 1);
      cov[j * d + k] = v;
      cov[k * d + j] = v;
    }
  }
  return { n, d, mean, cov };
}

function toMatrix(a: Float64Array, d: number): Matrix {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, a[i * d + j]);
  return m;
}

/** Symmetric eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix. */
function symEig(m: Matrix): { values: number[]; vectors: Matrix } {
  const sym = m.add(m.transpose()).mul(0.5);
  const e = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
}

/** The symmetric PSD square root V diag(√max(λ,0)) Vᵀ of a symmetric PSD matrix. */
export function sqrtPsd(m: Matrix): Matrix {
  const { values, vectors } = symEig(m);
  const d = values.length;
  const scaled = vectors.clone();
  for (let j = 0; j < d; j++) {
    const s = Math.sqrt(Math.max(values[j], 0));
    for (let i = 0; i < d; i++) scaled.set(i, j, scaled.get(i, j) * s);
  }
  return scaled.mmul(vectors.transpose());
}

/** tr (Σ₁^½ Σ₂ Σ₁^½)^½ = tr (Σ₁Σ₂)^½ through the symmetric route (file comment). */
export function traceSqrtProduct(cov1: Float64Array, cov2: Float64Array, d: number): number {
  const s1 = sqrtPsd(toMatrix(cov1, d));
  const m = s1.mmul(toMatrix(cov2, d)).mmul(s1);
  const { values } = symEig(m);
  let t = 0;
  for (const v of values) t += Math.sqrt(Math.max(v, 0));
  return t;
}

/** Fréchet distance between N(a.mean, a.cov) and N(b.mean, b.cov) (file comment); ≥ 0. */
export function frechetDistance(a: Moments, b: Moments): number {
  if (a.d !== b.d) throw new DiffusionInputError('b.d', b.d, `shape mismatch: a has d = ${a.d}`);
  const d = a.d;
  let meanTerm = 0;
  let tr1 = 0;
  let tr2 = 0;
  for (let j = 0; j < d; j++) {
    meanTerm += (a.mean[j] - b.mean[j]) ** 2;
    tr1 += a.cov[j * d + j];
    tr2 += b.cov[j * d + j];
  }
  const fd = meanTerm + tr1 + tr2 - 2 * traceSqrtProduct(a.cov, b.cov, d);
  // Round-off can push an FD of two equal Gaussians a hair below 0 (≈ 1e-12·(tr Σ₁ + tr Σ₂)).
  if (fd < -1e-9 * (tr1 + tr2 + meanTerm + 1e-300)) throw new Error(`frechetDistance: negative value ${fd} beyond round-off (traces ${tr1}, ${tr2})`);
  return Math.max(fd, 0);
}
