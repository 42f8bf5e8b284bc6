/**
 * Unit tests of gaussian.ts (C4-C5). Expected values use closed forms written out in the test
 * (explicit 2×2 inverse and determinant, scalar Bayes), not the implementation's linear algebra.
 */
import { describe, expect, it } from 'vitest';
import {
  diagonalGaussianKl,
  gaussianKl,
  linearGaussianMarginal,
  linearGaussianPosterior,
  mvnConditional,
  mvnLogPdf,
  mvnMarginal,
  type Mvn,
} from './index.js';
import { expectInputError } from '../testing/expect-input-error.js';


const close = (a: number, b: number, tol = 1e-13) => expect(Math.abs(a - b), `${a} vs ${b}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b)));

/** KL of 2-D Gaussians with the explicit 2×2 inverse and determinant. */
function kl2(m1: number[], S1: number[][], m2: number[], S2: number[][]): number {
  const det = (S: number[][]) => S[0][0] * S[1][1] - S[0][1] * S[1][0];
  const d2 = det(S2);
  const inv = [
    [S2[1][1] / d2, -S2[0][1] / d2],
    [-S2[1][0] / d2, S2[0][0] / d2],
  ];
  let tr = 0;
  for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) tr += inv[i][k] * S1[k][i];
  const dm = [m2[0] - m1[0], m2[1] - m1[1]];
  let q = 0;
  for (let i = 0; i < 2; i++) for (let k = 0; k < 2; k++) q += dm[i] * inv[i][k] * dm[k];
  return 0.5 * (Math.log(d2 / det(S1)) - 2 + tr + q);
}

describe('C5 Gaussian KL', () => {
  it('1-D, 2-D full covariance, diagonal fast path, zero for equal arguments', () => {
    close(gaussianKl({ mean: [1], cov: [[1]] }, { mean: [0], cov: [[2]] }), 0.5 * Math.log(2));
    const a: Mvn = { mean: [0.5, -1], cov: [[2, 0.6], [0.6, 1]] };
    const b: Mvn = { mean: [0, 0.3], cov: [[1.5, -0.4], [-0.4, 0.8]] };
    close(gaussianKl(a, b), kl2(a.mean, a.cov, b.mean, b.cov));
    close(gaussianKl(b, a), kl2(b.mean, b.cov, a.mean, a.cov));
    expect(Math.abs(gaussianKl(a, a))).toBeLessThan(1e-14);
    const da: Mvn = { mean: [1, 2, 3], cov: [[1, 0, 0], [0, 2, 0], [0, 0, 0.5]] };
    const db: Mvn = { mean: [0, 2, 1], cov: [[3, 0, 0], [0, 1, 0], [0, 0, 0.25]] };
    close(diagonalGaussianKl(da.mean, [1, 2, 0.5], db.mean, [3, 1, 0.25]), gaussianKl(da, db), 1e-14);
  });
  it('bad input: not SPD, not symmetric, shapes, variances', () => {
    const ok: Mvn = { mean: [0, 0], cov: [[1, 0], [0, 1]] };
    expectInputError(() => gaussianKl({ mean: [0, 0], cov: [[1, 2], [2, 1]] }, ok), 'mvn1.cov', 'not positive definite');
    expectInputError(() => gaussianKl(ok, { mean: [0, 0], cov: [[1, 0.5], [0, 1]] }), 'mvn2.cov[1][0]', 'not symmetric');
    expectInputError(() => gaussianKl(ok, { mean: [0], cov: [[1]] }), 'mvn2.mean', 'length 1');
    expectInputError(() => gaussianKl(ok, { mean: [0, 0], cov: [[1, 0]] }), 'mvn2.cov', '1 rows');
    expectInputError(() => gaussianKl(ok, { mean: [0, 0], cov: [[1, 0], [0]] }), 'mvn2.cov[1]', 'length 1');
    expectInputError(() => gaussianKl(ok, { mean: [0, NaN], cov: [[1, 0], [0, 1]] }), 'mvn2.mean[1]', 'NaN');
    expectInputError(() => gaussianKl(null as unknown as Mvn, ok), 'mvn1', 'null');
    expectInputError(() => gaussianKl({ mean: [0, 0], cov: [] }, ok), 'mvn1.cov', 'non-empty');
    expectInputError(() => gaussianKl({ mean: [0, 0], cov: [[], []] }, ok), 'mvn1.cov[0]', 'non-empty row');
    expectInputError(() => diagonalGaussianKl([0], [0], [0], [1]), 'var1[0]', '0');
  });
});

describe('C4 linear-Gaussian and partitioned Gaussians', () => {
  it('1-D marginal and posterior by hand', () => {
    // x ~ N(1, 2), y | x ~ N(3x + 1, 0.5)
    const m = linearGaussianMarginal({ mean: [1], cov: [[2]] }, [[3]], [1], [[0.5]]);
    close(m.mean[0], 4);
    close(m.cov[0][0], 0.5 + 18);
    const y = 2.2;
    const p = linearGaussianPosterior({ mean: [1], cov: [[2]] }, [[3]], [1], [[0.5]], [y]);
    const prec = 1 / 2 + 9 / 0.5;
    close(p.cov[0][0], 1 / prec);
    close(p.mean[0], ((3 / 0.5) * (y - 1) + 0.5 * 1) / prec);
  });
  it('posterior = conditional of the joint (x, y) (002 §2.2, two routes)', () => {
    const prior: Mvn = { mean: [0.3, -0.2], cov: [[1.2, 0.3], [0.3, 0.7]] };
    const A = [[1, -2]];
    const b = [0.5];
    const N = [[0.4]];
    const y = [1.7];
    // joint covariance [[Σ, ΣAᵀ], [AΣ, N + AΣAᵀ]], written out
    const S = prior.cov;
    const SAt = [S[0][0] * A[0][0] + S[0][1] * A[0][1], S[1][0] * A[0][0] + S[1][1] * A[0][1]];
    const ASAt = A[0][0] * SAt[0] + A[0][1] * SAt[1];
    const joint: Mvn = {
      mean: [prior.mean[0], prior.mean[1], A[0][0] * prior.mean[0] + A[0][1] * prior.mean[1] + b[0]],
      cov: [
        [S[0][0], S[0][1], SAt[0]],
        [S[1][0], S[1][1], SAt[1]],
        [SAt[0], SAt[1], N[0][0] + ASAt],
      ],
    };
    const post = linearGaussianPosterior(prior, A, b, N, y);
    const cond = mvnConditional(joint, [0, 1], y);
    for (let i = 0; i < 2; i++) {
      close(post.mean[i], cond.mean[i], 1e-12);
      for (let j = 0; j < 2; j++) close(post.cov[i][j], cond.cov[i][j], 1e-12);
    }
    const marg = linearGaussianMarginal(prior, A, b, N);
    close(marg.mean[0], joint.mean[2]);
    close(marg.cov[0][0], joint.cov[2][2]);
    const mm = mvnMarginal(joint, [2, 0]);
    expect(mm.mean).toEqual([joint.mean[2], joint.mean[0]]);
    expect(mm.cov).toEqual([[joint.cov[2][2], joint.cov[2][0]], [joint.cov[0][2], joint.cov[0][0]]]);
  });
  it('log density by hand (2-D)', () => {
    const g: Mvn = { mean: [1, -1], cov: [[2, 0.5], [0.5, 1]] };
    const x = [0.2, 0.4];
    const det = 2 * 1 - 0.25;
    const dx = [x[0] - 1, x[1] + 1];
    const q = (1 * dx[0] * dx[0] - 2 * 0.5 * dx[0] * dx[1] + 2 * dx[1] * dx[1]) / det;
    close(mvnLogPdf(x, g), -0.5 * (2 * Math.log(2 * Math.PI) + Math.log(det) + q));
    expectInputError(() => mvnLogPdf([1], g), 'x', 'length 1');
  });
  it('bad input: indices, shapes', () => {
    const g: Mvn = { mean: [0, 0], cov: [[1, 0], [0, 1]] };
    expectInputError(() => mvnMarginal(g, [2]), 'idx', '[2]');
    expectInputError(() => mvnMarginal(g, [0, 0]), 'idx', 'repeated');
    expectInputError(() => mvnMarginal(g, []), 'idx');
    expectInputError(() => mvnConditional(g, [0, 1], [1]), 'idx', 'nothing left');
    expectInputError(() => mvnConditional(g, [0], [1, 2]), 'observed', 'length 2');
    expectInputError(() => linearGaussianMarginal(g, [[1, 0, 0]], [0], [[1]]), 'A', '3 columns');
    expectInputError(() => linearGaussianMarginal(g, [[1, 0]], [0, 1], [[1]]), 'b', 'length 2');
    expectInputError(() => linearGaussianMarginal(g, [[1, 0]], [0], [[-1]]), 'noiseCov', 'not positive definite');
    expectInputError(() => linearGaussianPosterior(g, [[1, 0]], [0], [[1]], [1, 2]), 'y', 'length 2');
    expectInputError(() => linearGaussianPosterior(g, [[1, 0]], [0, 0], [[1]], [1]), 'b', 'length 2');
    expectInputError(() => linearGaussianMarginal(g, [[1, 0]], [0], [[1, 0]]), 'noiseCov', '2 columns');
  });
});
