/**
 * Sections C4-C5 of the formula catalog: multivariate Gaussian algebra (seed 002 §2), with
 * ml-matrix for the linear algebra. All covariances must be symmetric positive definite; every
 * factorization is a Cholesky decomposition, and a matrix that is not SPD is reported naming the
 * argument.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { DiffusionInputError, checkSameLength, checkVec } from './errors.js';
import { normalKl } from './elbo.js';

/** A multivariate normal N(mean, cov), cov given as rows. */
export interface Mvn {
  mean: number[];
  cov: number[][];
}

function checkMatrix(name: string, m: unknown, rows?: number, cols?: number): Matrix {
  if (!Array.isArray(m) || m.length === 0) throw new DiffusionInputError(name, m, 'must be a non-empty array of rows');
  const n = m.length;
  const c = Array.isArray(m[0]) || m[0] instanceof Float64Array ? (m[0] as ArrayLike<number>).length : -1;
  if (c <= 0) throw new DiffusionInputError(`${name}[0]`, m[0], 'must be a non-empty row');
  for (let i = 0; i < n; i++) {
    const row = checkVec(`${name}[${i}]`, m[i]);
    if (row.length !== c) throw new DiffusionInputError(`${name}[${i}]`, `length ${row.length}`, `shape mismatch: ${name}[0] has length ${c}`);
  }
  if (rows !== undefined && n !== rows) throw new DiffusionInputError(name, `${n} rows`, `shape mismatch: expected ${rows} rows`);
  if (cols !== undefined && c !== cols) throw new DiffusionInputError(name, `${c} columns`, `shape mismatch: expected ${cols} columns`);
  return new Matrix(m.map((r: ArrayLike<number>) => Array.from(r)));
}

/** Cholesky factor of an SPD matrix (symmetry checked to a relative 1e-10), or an error naming `name`. */
function cholesky(name: string, m: Matrix): CholeskyDecomposition {
  const n = m.rows;
  if (m.columns !== n) throw new DiffusionInputError(name, `${n}×${m.columns}`, 'must be square');
  let scale = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale = Math.max(scale, Math.abs(m.get(i, j)));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(m.get(i, j) - m.get(j, i)) > 1e-10 * scale) {
        throw new DiffusionInputError(`${name}[${i}][${j}]`, m.get(i, j), `not symmetric (${name}[${j}][${i}] = ${m.get(j, i)})`);
      }
    }
  }
  const sym = new Matrix(n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sym.set(i, j, 0.5 * (m.get(i, j) + m.get(j, i)));
  const ch = new CholeskyDecomposition(sym);
  if (!ch.isPositiveDefinite()) throw new DiffusionInputError(name, m.to2DArray(), 'not positive definite (Cholesky failed)');
  return ch;
}

function checkMvn(name: string, g: unknown): { mean: Float64Array; cov: Matrix; d: number } {
  const o = g as Mvn | null;
  if (!o || typeof o !== 'object') throw new DiffusionInputError(name, g, 'must be {mean, cov}');
  const mean = checkVec(`${name}.mean`, o.mean);
  const cov = checkMatrix(`${name}.cov`, o.cov, mean.length, mean.length);
  return { mean, cov, d: mean.length };
}

function logDetFromCholesky(ch: CholeskyDecomposition): number {
  const L = ch.lowerTriangularMatrix;
  let s = 0;
  for (let i = 0; i < L.rows; i++) s += Math.log(L.get(i, i));
  return 2 * s;
}

const col = (v: ArrayLike<number>) => Matrix.columnVector(Array.from(v));
const toArr = (m: Matrix) => m.getColumn(0);
const symRows = (m: Matrix) => {
  const n = m.rows;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 0.5 * (m.get(i, j) + m.get(j, i))));
};

/**
 * C5: KL(N(μ₁, Σ₁) ‖ N(μ₂, Σ₂)) = ½[log|Σ₂|/|Σ₁| - d + tr(Σ₂⁻¹Σ₁) + (μ₂-μ₁)ᵀΣ₂⁻¹(μ₂-μ₁)] in nats
 * (002 §2.3). Log-determinants from Cholesky factors; Σ₂⁻¹ applied by Cholesky solves.
 */
export function gaussianKl(mvn1: Mvn, mvn2: Mvn): number {
  const a = checkMvn('mvn1', mvn1);
  const b = checkMvn('mvn2', mvn2);
  checkSameLength('mvn1.mean', a.mean, 'mvn2.mean', b.mean);
  const ch1 = cholesky('mvn1.cov', a.cov);
  const ch2 = cholesky('mvn2.cov', b.cov);
  const d = a.d;
  const S2invS1 = ch2.solve(a.cov);
  let tr = 0;
  for (let i = 0; i < d; i++) tr += S2invS1.get(i, i);
  const dm = col(b.mean.map((v, i) => v - a.mean[i]));
  const maha = dm.transpose().mmul(ch2.solve(dm)).get(0, 0);
  // Not clamped at 0: for equal arguments the result is 0 up to rounding (|KL| ≲ d·1e-15), and a
  // negative value beyond that would reveal a bug rather than be hidden.
  return 0.5 * (logDetFromCholesky(ch2) - logDetFromCholesky(ch1) - d + tr + maha);
}

/**
 * C5 diagonal fast path: KL between N(mean1, diag(var1)) and N(mean2, diag(var2)), summed over
 * dimensions (the sum of normalKl, in nats). Variances must be > 0.
 */
export function diagonalGaussianKl(mean1: ArrayLike<number>, var1: ArrayLike<number>, mean2: ArrayLike<number>, var2: ArrayLike<number>): number {
  const names = ['var1', 'var2'];
  const lv = [var1, var2].map((v, k) => {
    const c = checkVec(names[k], v as unknown);
    return c.map((x, i) => {
      if (!(x > 0)) throw new DiffusionInputError(`${names[k]}[${i}]`, x, 'a variance must be > 0');
      return Math.log(x);
    });
  });
  const kl = normalKl(checkVec('mean1', mean1 as unknown), lv[0], checkVec('mean2', mean2 as unknown), lv[1]) as Float64Array;
  let s = 0;
  for (let i = 0; i < kl.length; i++) s += kl[i];
  return s;
}

/** log N(x; μ, Σ) in nats (Cholesky), for exact likelihoods of Gaussian data. */
export function mvnLogPdf(x: ArrayLike<number>, mvn: Mvn): number {
  const g = checkMvn('mvn', mvn);
  const xv = checkVec('x', x as unknown);
  checkSameLength('mvn.mean', g.mean, 'x', xv);
  const ch = cholesky('mvn.cov', g.cov);
  const dx = col(xv.map((v, i) => v - g.mean[i]));
  const maha = dx.transpose().mmul(ch.solve(dx)).get(0, 0);
  return -0.5 * (g.d * Math.log(2 * Math.PI) + logDetFromCholesky(ch) + maha);
}

/**
 * C4 (002 §2.1): the marginal of y for x ~ N(μ, Λ⁻¹), y | x ~ N(Ax + b, L⁻¹):
 * p(y) = N(Aμ + b, L⁻¹ + AΛ⁻¹Aᵀ). Covariances are passed (prior.cov = Λ⁻¹, noiseCov = L⁻¹).
 */
export function linearGaussianMarginal(prior: Mvn, A: number[][], b: ArrayLike<number>, noiseCov: number[][]): Mvn {
  const p = checkMvn('prior', prior);
  const Am = checkMatrix('A', A, undefined, p.d);
  const m = Am.rows;
  const bv = checkVec('b', b as unknown);
  if (bv.length !== m) throw new DiffusionInputError('b', `length ${bv.length}`, `shape mismatch: A has ${m} rows`);
  const N = checkMatrix('noiseCov', noiseCov, m, m);
  cholesky('prior.cov', p.cov);
  cholesky('noiseCov', N);
  const mean = toArr(Am.mmul(col(p.mean))).map((v, i) => v + bv[i]);
  const cov = N.clone().add(Am.mmul(p.cov).mmul(Am.transpose()));
  return { mean, cov: symRows(cov) };
}

/**
 * C4 (002 §2.2): the posterior of x given an observed y for the same model:
 * p(x | y) = N(Σ(AᵀL(y - b) + Λμ), Σ), Σ = (Λ + AᵀLA)⁻¹, with Λ = prior.cov⁻¹ and L = noiseCov⁻¹.
 */
export function linearGaussianPosterior(prior: Mvn, A: number[][], b: ArrayLike<number>, noiseCov: number[][], y: ArrayLike<number>): Mvn {
  const p = checkMvn('prior', prior);
  const Am = checkMatrix('A', A, undefined, p.d);
  const m = Am.rows;
  const bv = checkVec('b', b as unknown);
  if (bv.length !== m) throw new DiffusionInputError('b', `length ${bv.length}`, `shape mismatch: A has ${m} rows`);
  const yv = checkVec('y', y as unknown);
  if (yv.length !== m) throw new DiffusionInputError('y', `length ${yv.length}`, `shape mismatch: A has ${m} rows`);
  const N = checkMatrix('noiseCov', noiseCov, m, m);
  const chP = cholesky('prior.cov', p.cov);
  const chN = cholesky('noiseCov', N);
  const Lam = chP.solve(Matrix.eye(p.d));
  const L = chN.solve(Matrix.eye(m));
  const precision = Lam.clone().add(Am.transpose().mmul(L).mmul(Am));
  const chPost = cholesky('posterior precision', new Matrix(symRows(precision)));
  const Sigma = chPost.solve(Matrix.eye(p.d));
  const rhs = Am.transpose().mmul(L).mmul(col(yv.map((v, i) => v - bv[i]))).add(Lam.mmul(col(p.mean)));
  return { mean: toArr(Sigma.mmul(rhs)), cov: symRows(Sigma) };
}

function checkIndices(name: string, idx: unknown, d: number): number[] {
  if (!Array.isArray(idx) || idx.length === 0) throw new DiffusionInputError(name, idx, 'must be a non-empty array of indices');
  const seen = new Set<number>();
  for (const i of idx) {
    if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= d) throw new DiffusionInputError(name, idx, `indices must be integers in {0..${d - 1}}`);
    if (seen.has(i)) throw new DiffusionInputError(name, idx, `repeated index ${i}`);
    seen.add(i);
  }
  return idx as number[];
}

/** C4 (002 §2.2): the marginal of the components `idx` of a joint Gaussian: N(μ_a, Σ_aa). */
export function mvnMarginal(mvn: Mvn, idx: number[]): Mvn {
  const g = checkMvn('mvn', mvn);
  const a = checkIndices('idx', idx, g.d);
  return { mean: a.map((i) => g.mean[i]), cov: a.map((i) => a.map((j) => g.cov.get(i, j))) };
}

/**
 * C4 (002 §2.2): the conditional of the components `idx` given the others fixed at `observed`
 * (the remaining indices in increasing order): N(μ_a + Σ_ab Σ_bb⁻¹(x_b - μ_b), Σ_aa - Σ_ab Σ_bb⁻¹ Σ_ba).
 */
export function mvnConditional(mvn: Mvn, idx: number[], observed: ArrayLike<number>): Mvn {
  const g = checkMvn('mvn', mvn);
  cholesky('mvn.cov', g.cov);
  const a = checkIndices('idx', idx, g.d);
  const inA = new Set(a);
  const bIdx = Array.from({ length: g.d }, (_, i) => i).filter((i) => !inA.has(i));
  if (bIdx.length === 0) throw new DiffusionInputError('idx', idx, 'nothing left to condition on');
  const xb = checkVec('observed', observed as unknown);
  if (xb.length !== bIdx.length) throw new DiffusionInputError('observed', `length ${xb.length}`, `shape mismatch: ${bIdx.length} conditioning components`);
  const sub = (r: number[], c: number[]) => new Matrix(r.map((i) => c.map((j) => g.cov.get(i, j))));
  const Sab = sub(a, bIdx);
  const chBB = cholesky('mvn.cov (conditioning block)', sub(bIdx, bIdx));
  const diff = col(bIdx.map((i, k) => xb[k] - g.mean[i]));
  const mean = toArr(Sab.mmul(chBB.solve(diff))).map((v, k) => v + g.mean[a[k]]);
  const cov = sub(a, a).sub(Sab.mmul(chBB.solve(Sab.transpose())));
  return { mean, cov: symRows(cov) };
}
