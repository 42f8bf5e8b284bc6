/**
 * Group normalization (Wu & He, "Group Normalization", ECCV 2018, eq. 1-3 with the group set of
 * eq. 7) on NHWC images, forward and backward, in float64.
 *
 * The C channels are split into G consecutive groups of C/G. For each sample n and group g, over
 * the M = H·W·C/G values of that group:
 *   μ = (1/M) Σ x,   σ² = (1/M) Σ (x − μ)²  (biased variance),   r = 1/√(σ² + ε),
 *   x̂ = (x − μ)·r,   y[..., c] = γ[c]·x̂[..., c] + β[c].
 *
 * Backward, with dy = ∂L/∂y and ĝ = dy·γ (the gradient reaching x̂), per (n, g):
 *   ∂L/∂β[c] = Σ_{n,h,w} dy,   ∂L/∂γ[c] = Σ_{n,h,w} dy·x̂,
 *   ∂L/∂x = r·( ĝ − mean(ĝ) − x̂·mean(ĝ·x̂) )   (means over the group's M values),
 * the standard result of differentiating through μ and σ² (both depend on every x of the group).
 */
import { DiffusionInputError, checkFiniteNumber } from '../errors.js';
import { checkNd, checkPosInt, ndarray, type NdArray } from './tensor.js';

export interface GroupNormStats {
  /** [N, G] group means μ. */
  mean: Float64Array;
  /** [N, G] biased group variances σ². */
  variance: Float64Array;
  /** [N, G] r = 1/√(σ² + ε). */
  invStd: Float64Array;
  /** Normalized x̂, same shape as x. */
  xhat: NdArray;
}

function checkArgs(x: NdArray, gamma: ArrayLike<number>, beta: ArrayLike<number> | undefined, groups: number, eps: number) {
  const [N, H, W, C] = checkNd('x', x, 4);
  checkPosInt('groups', groups);
  if (C % groups !== 0) throw new DiffusionInputError('groups', groups, `must divide the channel count ${C}`);
  checkFiniteNumber('eps', eps);
  if (!(eps > 0)) throw new DiffusionInputError('eps', eps, 'must be positive');
  if (gamma.length !== C) throw new DiffusionInputError('gamma', `length ${gamma.length}`, `shape mismatch: must have one entry per channel (${C})`);
  if (beta !== undefined && beta.length !== C) throw new DiffusionInputError('beta', `length ${beta.length}`, `shape mismatch: must have one entry per channel (${C})`);
  return { N, H, W, C, Cg: C / groups };
}

/** Per-(sample, group) statistics and x̂. */
export function groupNormStats(x: NdArray, groups: number, eps = 1e-5): GroupNormStats {
  const { N, H, W, C, Cg } = checkArgs(x, new Float64Array(x.shape?.[3] ?? 0), undefined, groups, eps);
  const M = H * W * Cg;
  const mean = new Float64Array(N * groups);
  const variance = new Float64Array(N * groups);
  const invStd = new Float64Array(N * groups);
  const xhat = ndarray(x.shape);
  for (let n = 0; n < N; n++)
    for (let g = 0; g < groups; g++) {
      let s = 0;
      for (let p = 0; p < H * W; p++) for (let c = g * Cg; c < (g + 1) * Cg; c++) s += x.data[(n * H * W + p) * C + c];
      const mu = s / M;
      let v = 0;
      for (let p = 0; p < H * W; p++)
        for (let c = g * Cg; c < (g + 1) * Cg; c++) {
          const d = x.data[(n * H * W + p) * C + c] - mu;
          v += d * d;
        }
      v /= M;
      const r = 1 / Math.sqrt(v + eps);
      mean[n * groups + g] = mu;
      variance[n * groups + g] = v;
      invStd[n * groups + g] = r;
      for (let p = 0; p < H * W; p++)
        for (let c = g * Cg; c < (g + 1) * Cg; c++) {
          const i = (n * H * W + p) * C + c;
          xhat.data[i] = (x.data[i] - mu) * r;
        }
    }
  return { mean, variance, invStd, xhat };
}

/** y = γ·x̂ + β (see the file comment). */
export function groupNorm(x: NdArray, gamma: ArrayLike<number>, beta: ArrayLike<number>, groups: number, eps = 1e-5): NdArray {
  const { C } = checkArgs(x, gamma, beta, groups, eps);
  const { xhat } = groupNormStats(x, groups, eps);
  const y = ndarray(x.shape);
  for (let i = 0; i < y.data.length; i++) y.data[i] = gamma[i % C] * xhat.data[i] + beta[i % C];
  return y;
}

/** Gradients (dx, dgamma, dbeta) of `groupNorm` for upstream dy (formulas in the file comment). */
export function groupNormBackward(
  x: NdArray,
  gamma: ArrayLike<number>,
  dy: NdArray,
  groups: number,
  eps = 1e-5,
): { dx: NdArray; dgamma: Float64Array; dbeta: Float64Array } {
  const { N, H, W, C, Cg } = checkArgs(x, gamma, undefined, groups, eps);
  const dys = checkNd('dy', dy, 4);
  if (dys.some((d, i) => d !== x.shape[i])) throw new DiffusionInputError('dy.shape', dys, `shape mismatch: x has shape [${x.shape.join(', ')}]`);
  const { invStd, xhat } = groupNormStats(x, groups, eps);
  const M = H * W * Cg;
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let i = 0; i < dy.data.length; i++) {
    dbeta[i % C] += dy.data[i];
    dgamma[i % C] += dy.data[i] * xhat.data[i];
  }
  const dx = ndarray(x.shape);
  for (let n = 0; n < N; n++)
    for (let g = 0; g < groups; g++) {
      let sg = 0;
      let sgx = 0;
      for (let p = 0; p < H * W; p++)
        for (let c = g * Cg; c < (g + 1) * Cg; c++) {
          const i = (n * H * W + p) * C + c;
          const gh = dy.data[i] * gamma[c];
          sg += gh;
          sgx += gh * xhat.data[i];
        }
      const r = invStd[n * groups + g];
      for (let p = 0; p < H * W; p++)
        for (let c = g * Cg; c < (g + 1) * Cg; c++) {
          const i = (n * H * W + p) * C + c;
          dx.data[i] = r * (dy.data[i] * gamma[c] - sg / M - xhat.data[i] * (sgx / M));
        }
    }
  return { dx, dgamma, dbeta };
}
