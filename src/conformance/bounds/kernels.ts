/**
 * Float32 error bounds for the kernels of a U-Net training step, derived from the operation
 * sequence each kernel (or tfjs's autodiff of it) performs, never tuned to observed errors.
 *
 * Notation (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1-3.4):
 * u = 2^-24 is the float32 unit roundoff and γ_n = n·u/(1 − n·u). Inputs are float32 numbers, so
 * the float64 reference sees exactly the same inputs; its own error (≈ n·2^-53) is negligible.
 *
 * Dot-product kernels. A sum of K products evaluated in float32 in ANY order (sequential,
 * blocked, pairwise, SIMD lanes, the GEMMs and convolutions of XNNPACK or Eigen, and our patches,
 * which only rearrange the same terms) satisfies |ŝ − s| ≤ γ_K · Σ|a_i·b_i| (Higham eq. 3.5). So
 * for conv2d (K = KH·KW·Ci), its input gradient (K = KH·KW·Co terms, zero-dilation zeros are
 * exact), its filter gradient (K = N·Ho·Wo) and matmul (K = inner dimension), the bound of every
 * output is γ_K times the same reference layer evaluated on |inputs| (`magnitude`). A fused bias
 * adds one rounding and |bias| to the magnitude: γ_{K+1}.
 *
 * Elementary functions. exp/sigmoid/pow/rsqrt of the backends are not correctly rounded. We assume
 * each is within C_FN = 4 units of u relative to its exact value: wasm computes sigmoid as
 * 1/(1 + expf(−x)) (expf ≤ 1 ulp, plus the add and the divide: ≤ 3 roundings), rsqrt as 1/sqrtf
 * (2 roundings), pow with powf (≤ 1-2 ulp); the cpu backend computes them in float64 and rounds once.
 * This is an assumption about the libraries, stated once here.
 *
 * All bounds are first order in u: second-order terms are O((K·u)²) ≈ 1e-10 relative for the
 * sizes generated (K ≤ 300), far below the first-order terms.
 */
import {
  absNd,
  avgPoolGrad,
  groupNormStats,
  upsampleNearestGrad,
  type NdArray,
  type PoolOptions,
} from '../../reference/layers/index.js';
import { U32, gamma } from './float32.js';

export { U32, gamma };
/** Assumed accuracy of the backends' exp, sigmoid, rsqrt, pow, in units of u (see file comment). */
export const C_FN = 4;

/** Per-element bound γ_K·|magnitude|, for dot-product kernels (file comment). */
export function dotBound(magnitude: NdArray | Float64Array, k: number): Float64Array {
  const m = magnitude instanceof Float64Array ? magnitude : magnitude.data;
  const g = gamma(k);
  return m.map((v) => g * v);
}

/** Evaluates a linear reference layer on |inputs|: the Σ|terms| of each output. */
export function magnitude(f: (...args: NdArray[]) => NdArray, ...args: NdArray[]): NdArray {
  return f(...args.map(absNd));
}

/**
 * Average pooling: each output is (Σ of at most KH·KW terms)/count, the division possibly done as
 * a multiplication by a rounded 1/count: γ_{KH·KW+2}·avgPool(|x|).
 */
export function avgPoolBound(absPooled: NdArray, window: number): Float64Array {
  return dotBound(absPooled, window + 2);
}

/**
 * Average-pooling gradient: each input gradient sums dy/count over the windows covering it, at
 * most ⌈KH/sH⌉·⌈KW/sW⌉ of them (each term one division/multiplication): γ_{m+2}·avgPoolGrad(|dy|).
 */
export function avgPoolGradBound(dy: NdArray, xShape: readonly number[], opts: PoolOptions, k: [number, number], s: [number, number]): Float64Array {
  const m = Math.ceil(k[0] / s[0]) * Math.ceil(k[1] / s[1]);
  return dotBound(avgPoolGrad(absNd(dy), xShape, opts), m + 2);
}

/** Nearest-upsampling gradient: a sum of fH·fW values of dy per input pixel: γ_{fH·fW}·Σ|dy|. */
export function upsampleGradBound(dy: NdArray, f: number): Float64Array {
  return dotBound(upsampleNearestGrad(absNd(dy), f), f * f);
}

/**
 * SiLU forward y = x·σ(x) (σ within C_FN·u, one multiplication): |δy| ≤ γ_{C_FN+1}·|y|.
 * SiLU backward as tfjs differentiates mul(x, sigmoid(x)): dx = dy·s + (dy·x)·s·(1 − s), s = σ(x).
 * The first term has relative error γ_{C_FN+1}; in the second, 1 − s has absolute error
 * C_FN·u·s + u·(1 − s) (cancellation when s ≈ 1), and the products add 3 roundings, the final sum 1:
 *   |δdx| ≤ γ_{C_FN+4}·( |dy|·s + |dy·x|·s·(|1 − s| + s) ).
 */
export function siluBounds(x: Float64Array, dy: Float64Array): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const s = 1 / (1 + Math.exp(-x[i]));
    y[i] = gamma(C_FN + 1) * Math.abs(x[i] * s);
    dx[i] = gamma(C_FN + 4) * (Math.abs(dy[i]) * s + Math.abs(dy[i] * x[i]) * s * (Math.abs(1 - s) + s));
  }
  return { y, dx };
}

/**
 * Group norm as src/train/nn.ts computes it: per (sample, group) of M values, μ = Mean(x),
 * v = Mean((x − μ)²) (tf.moments), r = Rsqrt(v + ε), x̂ = (x − μ)·r, y = x̂·γ + β; and tfjs's
 * autodiff of that graph. First-order forward analysis, per group:
 *   e_μ  = γ_{M+1}·mean|x|                         (M-term sum, one division)
 *   E_dᵢ = e_μ·(1 + u) + u·|dᵢ|                    (dᵢ = xᵢ − μ, one subtraction)
 *   E_v  = (1/M)Σ(2|dᵢ|E_dᵢ) + γ_{M+2}·(1/M)Σ(|dᵢ| + E_dᵢ)²   (squares, M-term sum, division)
 *   ρ_r  = (E_v + u(v + ε))/(2(v + ε)) + C_FN·u      (relative error of r: half that of v + ε, plus rsqrt)
 *   E_x̂ᵢ = r·E_dᵢ + |x̂ᵢ|·(ρ_r + u)
 *   E_yᵢ = |γ_c|·E_x̂ᵢ + u·|γ_c x̂ᵢ| + u·(|γ_c x̂ᵢ| + |β_c|)
 * Backward: with ĝ = dy·γ, autodiff forms dxᵢ = ĝᵢr + 2dᵢ·dv/M + dμ/M, where
 * dv = −½r³Σĝⱼdⱼ (Rsqrt's gradient −dy/(2·pow(w, 1.5))) and dμ = −Σⱼ(ĝⱼr + 2dⱼ·dv/M) (≈ 0: its
 * two halves cancel). The magnitude of those terms is
 *   Aᵢ = |ĝᵢ|r + 2|dᵢ||dv|ₐ/M + (1/M)Σⱼ(|ĝⱼ|r + 2|dⱼ||dv|ₐ/M),   |dv|ₐ = ½r³Σ|ĝⱼdⱼ|,
 * and every path from an input to dxᵢ passes through at most two M-term sums and 16 other
 * roundings (elementwise products, pow, the divisions by M and 2), so the rounding part is
 * γ_{2M+16}·Aᵢ. The forward errors enter through r (power ≤ 3: 3ρ_r·Aᵢ) and through dⱼ
 * (S = ½r³Σ|ĝⱼ|E_dⱼ is the resulting error of dv):
 *   E_dxᵢ = (γ_{2M+16} + 3ρ_r)·Aᵢ + (2/M)(E_dᵢ|dv|ₐ + |dᵢ|S) + (1/M)Σⱼ(2/M)(E_dⱼ|dv|ₐ + |dⱼ|S).
 * dγ_c = Σ dy·x̂ over N·H·W values: γ_{NHW+1}Σ|dy x̂| + Σ|dy|E_x̂;  dβ_c = Σ dy: γ_{NHW}Σ|dy|.
 */
export function groupNormBounds(
  x: NdArray,
  gammaC: ArrayLike<number>,
  betaC: ArrayLike<number>,
  dy: NdArray,
  groups: number,
  eps: number,
): { y: Float64Array; dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const [N, H, W, C] = x.shape;
  const Cg = C / groups;
  const M = H * W * Cg;
  const u = U32;
  const { mean, variance, invStd, xhat } = groupNormStats(x, groups, eps);
  const Ed = new Float64Array(x.data.length);
  const Exh = new Float64Array(x.data.length);
  const y = new Float64Array(x.data.length);
  const dx = new Float64Array(x.data.length);
  const idx = (n: number, p: number, c: number) => (n * H * W + p) * C + c;
  for (let n = 0; n < N; n++)
    for (let g = 0; g < groups; g++) {
      const mu = mean[n * groups + g];
      const v = variance[n * groups + g];
      const r = invStd[n * groups + g];
      const members: number[] = [];
      for (let p = 0; p < H * W; p++) for (let c = g * Cg; c < (g + 1) * Cg; c++) members.push(idx(n, p, c));
      let sumAbsX = 0;
      for (const i of members) sumAbsX += Math.abs(x.data[i]);
      const eMu = gamma(M + 1) * (sumAbsX / M);
      let s1 = 0;
      let s2 = 0;
      for (const i of members) {
        const d = Math.abs(x.data[i] - mu);
        Ed[i] = eMu * (1 + u) + u * d;
        s1 += 2 * d * Ed[i];
        s2 += (d + Ed[i]) ** 2;
      }
      const Ev = s1 / M + (gamma(M + 2) * s2) / M;
      const w = v + eps;
      const rhoR = (Ev + u * w) / (2 * w) + C_FN * u;
      // Backward magnitudes.
      let sumGd = 0;
      let sumGEd = 0;
      for (const i of members) {
        const gh = Math.abs(dy.data[i] * gammaC[i % C]);
        sumGd += gh * Math.abs(x.data[i] - mu);
        sumGEd += gh * Ed[i];
      }
      const dvAbs = 0.5 * r ** 3 * sumGd;
      const S = 0.5 * r ** 3 * sumGEd;
      let meanTerm = 0;
      let meanErr = 0;
      for (const i of members) {
        const d = Math.abs(x.data[i] - mu);
        meanTerm += Math.abs(dy.data[i] * gammaC[i % C]) * r + (2 * d * dvAbs) / M;
        meanErr += (2 / M) * (Ed[i] * dvAbs + d * S);
      }
      meanTerm /= M;
      meanErr /= M;
      for (const i of members) {
        const c = i % C;
        const d = Math.abs(x.data[i] - mu);
        Exh[i] = r * Ed[i] + Math.abs(xhat.data[i]) * (rhoR + u);
        const gx = Math.abs(gammaC[c] * xhat.data[i]);
        y[i] = Math.abs(gammaC[c]) * Exh[i] + u * gx + u * (gx + Math.abs(betaC[c]));
        const A = Math.abs(dy.data[i] * gammaC[c]) * r + (2 * d * dvAbs) / M + meanTerm;
        dx[i] = (gamma(2 * M + 16) + 3 * rhoR) * A + (2 / M) * (Ed[i] * dvAbs + d * S) + meanErr;
      }
    }
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  const K = N * H * W;
  for (let i = 0; i < x.data.length; i++) {
    const c = i % C;
    dgamma[c] += gamma(K + 1) * Math.abs(dy.data[i] * xhat.data[i]) + Math.abs(dy.data[i]) * Exh[i];
    dbeta[c] += gamma(K) * Math.abs(dy.data[i]);
  }
  return { y, dx, dgamma, dbeta };
}

/**
 * Adam as tf.train.adam applies it (tfjs-core adam_optimizer.ts): m ← m·β1 + g·(1 − β1),
 * v ← v·β2 + g²·(1 − β2), accβ ← accβ·β (float32 variables starting at β), then
 * θ ← θ + (m/(1 − accβ1)) / (√(v/(1 − accβ2)) + ε) · (−lr). Every constant (β1, 1 − β1, β2,
 * 1 − β2, ε, −lr) is rounded to float32 once (u each). First-order propagation per element, in
 * float64, over the given gradient sequence; the catastrophic one is 1 − accβ2 (≈ 0.001·t for
 * β2 = 0.999): the float32 error of accβ2 (≈ (2t − 1)·u·accβ2) becomes a relative error of
 * ≈ 1000·(2t − 1)·u in the bias correction. The bound is that large because float32 Adam is.
 */
export function adamBounds(
  theta0: Float64Array,
  grads: Float64Array[],
  opts: { lr: number; beta1: number; beta2: number; eps: number },
): Float64Array {
  const u = U32;
  const { lr, beta1: b1, beta2: b2, eps } = opts;
  const n = theta0.length;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const Em = new Float64Array(n);
  const Ev = new Float64Array(n);
  const th = Float64Array.from(theta0);
  const Eth = new Float64Array(n);
  let acc1 = b1;
  let acc2 = b2;
  let Eacc1 = u * b1;
  let Eacc2 = u * b2;
  for (let t = 1; t <= grads.length; t++) {
    const g = grads[t - 1];
    if (t > 1) {
      Eacc1 = Eacc1 * b1 + acc1 * b1 * 2 * u; // accβ·β: β rounded (u) and the product (u)
      Eacc2 = Eacc2 * b2 + acc2 * b2 * 2 * u;
      acc1 *= b1;
      acc2 *= b2;
    }
    const bc1 = 1 - acc1;
    const bc2 = 1 - acc2;
    const Ebc1 = Eacc1 + u * bc1;
    const Ebc2 = Eacc2 + u * bc2;
    for (let i = 0; i < n; i++) {
      // Moments: two constant roundings, two products, one sum per path (γ_3), plus g² (one more).
      Em[i] = b1 * Em[i] + gamma(3) * (b1 * Math.abs(m[i]) + (1 - b1) * Math.abs(g[i]));
      Ev[i] = b2 * Ev[i] + gamma(4) * (b2 * v[i] + (1 - b2) * g[i] * g[i]);
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const mh = m[i] / bc1;
      const vh = v[i] / bc2;
      const Emh = Em[i] / bc1 + Math.abs(mh) * (Ebc1 / bc1 + u);
      const Evh = Ev[i] / bc2 + vh * (Ebc2 / bc2 + u);
      const sq = Math.sqrt(vh);
      const s = sq + eps;
      const Es = Evh / (2 * sq) + (C_FN * u) * sq + u * eps + u * s;
      const q = mh / s;
      const Eq = Emh / s + Math.abs(q) * (Es / s + u);
      const delta = lr * q;
      const Edelta = lr * Eq + 2 * u * Math.abs(delta);
      th[i] -= delta;
      Eth[i] = Eth[i] + Edelta + u * Math.abs(th[i]);
    }
  }
  return Eth;
}
