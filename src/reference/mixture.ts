/**
 * Exact oracles for Gaussian-mixture data (catalog G; 004 §1.1 eq. 1, §3.2, §4.3).
 *
 * If x_0 ~ Σ_k π_k N(μ_k, Σ_k) and x_t = α x_0 + σ ε, then p_t is again a mixture:
 *     p_t(x) = Σ_k π_k N(x; α μ_k, α² Σ_k + σ² I)                    (G; 002 §2.2 = C4 with A = αI)
 * so log p_t, the score ∇log p_t, E[x_0|x_t], the optimal ε̂ and v̂ are all in closed form.
 * Responsibilities use log-sum-exp; full covariances are factored with ml-matrix's Cholesky
 * (C = L Lᵀ, log|C| = 2 Σ log L_ii) and solved with triangular substitution; diagonal
 * covariances take an elementwise fast path. Every function works on a vector or a batch.
 *
 * (α, σ) are passed explicitly; `atTime(process, t)` and `atStep(schedule, t)` give them for a
 * continuous process (VP, VE, InDI) and for a discrete schedule (α = √ᾱ_t, σ = √(1-ᾱ_t), t
 * 1-based, t = 0 = the data). σ = 0 is allowed (p_t = the data mixture scaled by α).
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt, checkTimestep } from './errors.js';
import { rowsOf, shapeOut, type VecOrBatch, type Out } from './batch.js';
import type { Rng } from './rng.js';
import { normalCdf } from './normal.js';
import type { Schedule } from './schedules.js';
import { checkProcess, makeModel, processRates, type Rows, type DiffusionModel, type ModelOutput, type Process } from './model.js';

const LOG_2PI = Math.log(2 * Math.PI);

interface DiagComponent {
  readonly kind: 'diag';
  readonly variances: Float64Array;
}
interface FullComponent {
  readonly kind: 'full';
  /** d×d row-major covariance. */
  readonly cov: Float64Array;
}
export type MixtureComponentCov = DiagComponent | FullComponent;

export interface GaussianMixture {
  readonly dim: number;
  readonly weights: Float64Array;
  readonly means: Float64Array[];
  readonly covs: MixtureComponentCov[];
  /** Optional class label of each component (for guidance oracles). */
  readonly labels?: number[];
}

export interface MixtureSpec {
  weights: ArrayLike<number>;
  /** Component means (each of length d); numbers are read as 1-D means. */
  means: ArrayLike<number>[] | number[];
  /** Diagonal variances per component: a number (isotropic) or a length-d vector. */
  variances?: (number | ArrayLike<number>)[];
  /** Standard deviations per component (isotropic number or length-d vector); alternative to variances. */
  stds?: (number | ArrayLike<number>)[];
  /** Full covariances per component: d×d nested arrays, symmetric positive definite. */
  covariances?: ArrayLike<number>[][];
  labels?: number[];
}

/** Tolerance on Σ π_k = 1 (a few ulps per weight; normalizing is the caller's job). */
const WEIGHT_SUM_TOL = 1e-12;

/**
 * Build and validate a Gaussian mixture (004 eq. 1). Throws naming the argument for weights that
 * are not positive or do not sum to 1, mismatched dimensions, non-positive variances, or
 * covariances that are not symmetric positive definite.
 */
export function makeMixture(spec: MixtureSpec): GaussianMixture {
  if (!spec || typeof spec !== 'object') throw new DiffusionInputError('spec', spec, 'must be {weights, means, variances | stds | covariances}');
  const w = spec.weights;
  if (!w || typeof w.length !== 'number' || w.length === 0) throw new DiffusionInputError('weights', w, 'must be a non-empty array');
  const K = w.length;
  const weights = new Float64Array(K);
  let sum = 0;
  for (let k = 0; k < K; k++) {
    const v = w[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new DiffusionInputError(`weights[${k}]`, v, 'must be a finite number > 0');
    weights[k] = v;
    sum += v;
  }
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOL * K) throw new DiffusionInputError('weights', w, `must sum to 1 (sum is ${sum})`);
  if (!Array.isArray(spec.means) || spec.means.length !== K) throw new DiffusionInputError('means', spec.means, `must be an array of ${K} means (one per weight)`);
  const means = (spec.means as unknown[]).map((m, k) => {
    const arr = typeof m === 'number' ? [m] : (m as ArrayLike<number>);
    if (!arr || typeof arr.length !== 'number' || arr.length === 0) throw new DiffusionInputError(`means[${k}]`, m, 'must be a number or a non-empty vector');
    const o = Float64Array.from(arr);
    o.forEach((v, i) => {
      if (!Number.isFinite(v)) throw new DiffusionInputError(`means[${k}][${i}]`, v, 'must be finite');
    });
    return o;
  });
  const d = means[0].length;
  means.forEach((m, k) => {
    if (m.length !== d) throw new DiffusionInputError(`means[${k}]`, `length ${m.length}`, `shape mismatch: means[0] has length ${d}`);
  });
  const given = ['variances', 'stds', 'covariances'].filter((key) => (spec as unknown as Record<string, unknown>)[key] !== undefined);
  if (given.length !== 1) throw new DiffusionInputError('spec', given, 'give exactly one of variances, stds, covariances');
  const key = given[0] as 'variances' | 'stds' | 'covariances';
  const list = spec[key] as unknown[];
  if (!Array.isArray(list) || list.length !== K) throw new DiffusionInputError(key, list, `must be an array of ${K} entries (one per weight)`);
  const covs: MixtureComponentCov[] = list.map((c, k) => {
    if (key === 'covariances') return { kind: 'full', cov: checkCovariance(`covariances[${k}]`, c, d) };
    const vec = typeof c === 'number' ? new Float64Array(d).fill(c) : Float64Array.from(c as ArrayLike<number>);
    if (vec.length !== d) throw new DiffusionInputError(`${key}[${k}]`, c, `shape mismatch: must be a number or a vector of length ${d}`);
    for (let i = 0; i < d; i++) {
      if (!Number.isFinite(vec[i]) || !(vec[i] > 0)) throw new DiffusionInputError(`${key}[${k}]`, c, 'must be finite and > 0 (covariance not positive definite)');
      if (key === 'stds') vec[i] = vec[i] * vec[i];
    }
    return { kind: 'diag', variances: vec };
  });
  let labels: number[] | undefined;
  if (spec.labels !== undefined) {
    if (!Array.isArray(spec.labels) || spec.labels.length !== K || spec.labels.some((l) => !Number.isInteger(l))) {
      throw new DiffusionInputError('labels', spec.labels, `must be ${K} integer class labels`);
    }
    labels = spec.labels.slice();
  }
  return { dim: d, weights, means, covs, labels };
}

function checkCovariance(name: string, c: unknown, d: number): Float64Array {
  if (!Array.isArray(c) || c.length !== d) throw new DiffusionInputError(name, c, `must be a ${d}×${d} matrix (array of ${d} rows)`);
  const cov = new Float64Array(d * d);
  let scale = 0;
  for (let i = 0; i < d; i++) {
    const row = c[i] as ArrayLike<number>;
    if (!row || row.length !== d) throw new DiffusionInputError(`${name}[${i}]`, row, `must be a row of length ${d}`);
    for (let j = 0; j < d; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DiffusionInputError(`${name}[${i}][${j}]`, v, 'must be finite');
      cov[i * d + j] = v;
      scale = Math.max(scale, Math.abs(v));
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      if (Math.abs(cov[i * d + j] - cov[j * d + i]) > 1e-12 * scale) throw new DiffusionInputError(name, c, `must be symmetric (entry [${i}][${j}] ≠ [${j}][${i}])`);
    }
  }
  if (!choleskyLower(cov, d)) throw new DiffusionInputError(name, c, 'covariance not positive definite (Cholesky failed)');
  return cov;
}

/** Lower Cholesky factor (row-major Float64Array) via ml-matrix, or null if not positive definite. */
function choleskyLower(cov: Float64Array, d: number): Float64Array | null {
  const m = new Matrix(d, d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) m.set(i, j, 0.5 * (cov[i * d + j] + cov[j * d + i]));
  const ch = new CholeskyDecomposition(m);
  if (!ch.isPositiveDefinite()) return null;
  const L = ch.lowerTriangularMatrix;
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) out[i * d + j] = L.get(i, j);
    if (!(out[i * d + i] > 0)) return null;
  }
  return out;
}

export function checkMixture(m: unknown, name = 'mixture'): GaussianMixture {
  const o = m as Partial<GaussianMixture> | null;
  if (!o || typeof o !== 'object' || !(o.weights instanceof Float64Array) || !Array.isArray(o.means) || !Array.isArray(o.covs)) {
    throw new DiffusionInputError(name, m, 'must be a GaussianMixture built by makeMixture');
  }
  return o as GaussianMixture;
}

function checkAlphaSigma(alpha: number, sigma: number): void {
  checkFiniteNumber('alpha', alpha);
  checkFiniteNumber('sigma', sigma);
  if (alpha < 0) throw new DiffusionInputError('alpha', alpha, 'must be ≥ 0');
  if (sigma < 0) throw new DiffusionInputError('sigma', sigma, 'must be ≥ 0');
  if (alpha === 0 && sigma === 0) throw new DiffusionInputError('sigma', sigma, 'α = σ = 0 gives a point mass at 0 (no density)');
}

// ---------------------------------------------------------------------------------------------
// The prepared noisy marginal: per component mean α μ_k, covariance C_k = α² Σ_k + σ² I (factored).

interface Prepared {
  d: number;
  K: number;
  alpha: number;
  logW: Float64Array;
  mean: Float64Array[];
  /** diag: C_k diagonal; full: lower Cholesky factor of C_k (row-major). */
  fac: Float64Array[];
  full: boolean[];
  logdet: Float64Array;
  mix: GaussianMixture;
}

const prepCache = new WeakMap<GaussianMixture, { alpha: number; sigma: number; prep: Prepared }>();

function prepare(mix: GaussianMixture, alpha: number, sigma: number): Prepared {
  const cached = prepCache.get(mix);
  if (cached && cached.alpha === alpha && cached.sigma === sigma) return cached.prep;
  const d = mix.dim;
  const K = mix.weights.length;
  const s2 = sigma * sigma;
  const a2 = alpha * alpha;
  const prep: Prepared = { d, K, alpha, logW: mix.weights.map(Math.log), mean: [], fac: [], full: [], logdet: new Float64Array(K), mix };
  for (let k = 0; k < K; k++) {
    prep.mean.push(mix.means[k].map((v) => alpha * v));
    const c = mix.covs[k];
    if (c.kind === 'diag') {
      const cv = c.variances.map((v) => a2 * v + s2);
      let ld = 0;
      for (let i = 0; i < d; i++) ld += Math.log(cv[i]);
      prep.fac.push(cv);
      prep.full.push(false);
      prep.logdet[k] = ld;
    } else {
      const C = c.cov.map((v) => a2 * v);
      for (let i = 0; i < d; i++) C[i * d + i] += s2;
      const L = choleskyLower(C, d);
      if (!L) throw new DiffusionInputError('sigma', sigma, `α²Σ_${k} + σ²I is numerically not positive definite`);
      let ld = 0;
      for (let i = 0; i < d; i++) ld += 2 * Math.log(L[i * d + i]);
      prep.fac.push(L);
      prep.full.push(true);
      prep.logdet[k] = ld;
    }
  }
  prepCache.set(mix, { alpha, sigma, prep });
  return prep;
}

interface RowEval {
  /** log p_t(x). */
  logp: number;
  /** Posterior component probabilities r_k(x). */
  resp: Float64Array;
  /** Per component: w_k = C_k⁻¹ (x - α μ_k) (the negative component score). */
  w: Float64Array[];
}

/** log N(x; α μ_k, C_k) for all k, the mixture log density and responsibilities (log-sum-exp). */
function evalRow(p: Prepared, x: Float64Array): RowEval {
  const { d, K } = p;
  const logc = new Float64Array(K);
  const w: Float64Array[] = [];
  const r = new Float64Array(d);
  const y = p.full.some(Boolean) ? new Float64Array(d) : r;
  for (let k = 0; k < K; k++) {
    const m = p.mean[k];
    const f = p.fac[k];
    for (let i = 0; i < d; i++) r[i] = x[i] - m[i];
    const wk = new Float64Array(d);
    let quad = 0;
    if (!p.full[k]) {
      for (let i = 0; i < d; i++) {
        wk[i] = r[i] / f[i];
        quad += r[i] * wk[i];
      }
    } else {
      // y = L⁻¹ r (forward substitution), quad = ‖y‖², w = L⁻ᵀ y (back substitution).
      for (let i = 0; i < d; i++) {
        let s = r[i];
        for (let j = 0; j < i; j++) s -= f[i * d + j] * y[j];
        y[i] = s / f[i * d + i];
        quad += y[i] * y[i];
      }
      for (let i = d - 1; i >= 0; i--) {
        let s = y[i];
        for (let j = i + 1; j < d; j++) s -= f[j * d + i] * wk[j];
        wk[i] = s / f[i * d + i];
      }
    }
    w.push(wk);
    logc[k] = p.logW[k] - 0.5 * (d * LOG_2PI + p.logdet[k] + quad);
  }
  let mx = -Infinity;
  for (let k = 0; k < K; k++) mx = Math.max(mx, logc[k]);
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp(logc[k] - mx);
  const logp = mx + Math.log(s);
  const resp = logc.map((l) => Math.exp(l - logp));
  return { logp, resp, w };
}

function mapBatch<X extends VecOrBatch>(name: string, x: X, d: number, fn: (row: Float64Array) => Float64Array): Out<X> {
  const { rows, batched } = rowsOf(name, x);
  rows.forEach((row, i) => {
    if (row.length !== d) throw new DiffusionInputError(batched ? `${name}[${i}]` : name, `length ${row.length}`, `shape mismatch: the mixture has dimension ${d}`);
  });
  return shapeOut(batched, rows.map(fn)) as Out<X>;
}

// ---------------------------------------------------------------------------------------------
// Public oracle functions

/**
 * The noisy marginal p_t in closed form (G): Σ_k π_k N(α μ_k, α² Σ_k + σ² I). Diagonal components
 * stay diagonal. With α = 1, σ = 0 it returns the data mixture itself.
 */
export function noisyMixture(mix: GaussianMixture, alpha: number, sigma: number): GaussianMixture {
  checkMixture(mix);
  checkAlphaSigma(alpha, sigma);
  const d = mix.dim;
  const covs: MixtureComponentCov[] = mix.covs.map((c) => {
    if (c.kind === 'diag') return { kind: 'diag', variances: c.variances.map((v) => alpha * alpha * v + sigma * sigma) };
    const C = c.cov.map((v) => alpha * alpha * v);
    for (let i = 0; i < d; i++) C[i * d + i] += sigma * sigma;
    return { kind: 'full', cov: C };
  });
  return { dim: d, weights: mix.weights.slice(), means: mix.means.map((m) => m.map((v) => alpha * v)), covs, labels: mix.labels?.slice() };
}

/** (α, σ) of a continuous process at time t: the arguments the oracle functions take. */
export function atTime(process: Process, t: number): { alpha: number; sigma: number } {
  checkProcess(process);
  return { alpha: process.alpha(t), sigma: process.sigma(t) };
}

/** (α, σ) = (√ᾱ_t, √(1-ᾱ_t)) of a discrete schedule, t ∈ {0..T} (1-based; t = 0 is the data). */
export function atStep(schedule: Schedule, t: number): { alpha: number; sigma: number } {
  checkTimestep('t', t, 0, schedule.T);
  return { alpha: Math.exp(0.5 * schedule.logAlphaBar(t)), sigma: Math.abs(Math.sqrt(schedule.oneMinusAlphaBar(t))) }; // abs: √(-0) = -0 at t = 0
}

/** log p(x) of the mixture itself (004 eq. 1), with log-sum-exp over components. */
export function mixtureLogPdf(mix: GaussianMixture, x: Vec1OrBatch): number | Float64Array {
  checkMixture(mix);
  const p = prepare(mix, 1, 0);
  const { rows, batched } = rowsOf('x', x);
  const out = rows.map((row, i) => {
    if (row.length !== mix.dim) throw new DiffusionInputError(batched ? `x[${i}]` : 'x', `length ${row.length}`, `shape mismatch: the mixture has dimension ${mix.dim}`);
    return evalRow(p, row).logp;
  });
  return batched ? Float64Array.from(out) : out[0];
}
type Vec1OrBatch = VecOrBatch;

/**
 * Responsibilities r_k(x) = π_k N_k(x) / Σ_j π_j N_j(x) of the mixture (log-sum-exp); with the
 * noisy marginal (noisyMixture) these are the class posteriors p_t(k | x_t).
 */
export function mixtureResponsibilities<X extends VecOrBatch>(mix: GaussianMixture, x: X): Out<X> {
  checkMixture(mix);
  const p = prepare(mix, 1, 0);
  return mapBatch('x', x, mix.dim, (row) => evalRow(p, row).resp);
}

/**
 * Score of the mixture (004 §3.2, mixture example generalized to full covariances):
 * ∇log p(x) = -Σ_k r_k(x) Σ_k⁻¹ (x - μ_k).
 */
export function mixtureScore<X extends VecOrBatch>(mix: GaussianMixture, x: X): Out<X> {
  checkMixture(mix);
  const p = prepare(mix, 1, 0);
  return mapBatch('x', x, mix.dim, (row) => scoreOfEval(evalRow(p, row), mix.dim));
}

function scoreOfEval(e: RowEval, d: number): Float64Array {
  const s = new Float64Array(d);
  for (let k = 0; k < e.resp.length; k++) for (let i = 0; i < d; i++) s[i] -= e.resp[k] * e.w[k][i];
  return s;
}

/**
 * Score of the noisy marginal p_t at (α, σ) (G): ∇log p_t(x) = -Σ_k r_k(x)(α²Σ_k + σ²I)⁻¹(x - α μ_k).
 */
export function mixtureNoisyScore<X extends VecOrBatch>(mix: GaussianMixture, alpha: number, sigma: number, xt: X): Out<X> {
  checkMixture(mix);
  checkAlphaSigma(alpha, sigma);
  const p = prepare(mix, alpha, sigma);
  return mapBatch('xt', xt, mix.dim, (row) => scoreOfEval(evalRow(p, row), mix.dim));
}

/** log p_t(x_t) of the noisy marginal at (α, σ) (G). */
export function mixtureNoisyLogPdf(mix: GaussianMixture, alpha: number, sigma: number, xt: VecOrBatch): number | Float64Array {
  checkMixture(mix);
  checkAlphaSigma(alpha, sigma);
  const p = prepare(mix, alpha, sigma);
  const { rows, batched } = rowsOf('xt', xt);
  const out = rows.map((row, i) => {
    if (row.length !== mix.dim) throw new DiffusionInputError(batched ? `xt[${i}]` : 'xt', `length ${row.length}`, `shape mismatch: the mixture has dimension ${mix.dim}`);
    return evalRow(p, row).logp;
  });
  return batched ? Float64Array.from(out) : out[0];
}

function posteriorMeanOfEval(p: Prepared, e: RowEval): Float64Array {
  // Per component (C4 with A = αI): E[x_0|x_t, k] = μ_k + α Σ_k C_k⁻¹ (x_t - α μ_k) = μ_k + α Σ_k w_k.
  const { d, mix } = p;
  const out = new Float64Array(d);
  for (let k = 0; k < p.K; k++) {
    const rk = e.resp[k];
    if (rk === 0) continue;
    const mu = mix.means[k];
    const wk = e.w[k];
    const c = mix.covs[k];
    for (let i = 0; i < d; i++) {
      let sw: number;
      if (c.kind === 'diag') sw = c.variances[i] * wk[i];
      else {
        sw = 0;
        for (let j = 0; j < d; j++) sw += c.cov[i * d + j] * wk[j];
      }
      out[i] += rk * (mu[i] + p.alpha * sw);
    }
  }
  return out;
}

/**
 * E[x_0 | x_t] for mixture data (G; the MMSE denoiser of 004 eq. 60): Σ_k r_k(x_t)·(μ_k + α Σ_k
 * (α²Σ_k + σ²I)⁻¹(x_t - α μ_k)). Computed from the component posteriors, not from the score, so
 * it is defined at α = 0 (it is then E[x_0]) and serves as an independent check of Tweedie (D3).
 */
export function mixturePosteriorMean<X extends VecOrBatch>(mix: GaussianMixture, alpha: number, sigma: number, xt: X): Out<X> {
  checkMixture(mix);
  checkAlphaSigma(alpha, sigma);
  const p = prepare(mix, alpha, sigma);
  return mapBatch('xt', xt, mix.dim, (row) => posteriorMeanOfEval(p, evalRow(p, row)));
}

/** The optimal ε̂(x_t) = E[ε | x_t] = (x_t - α E[x_0|x_t])/σ (D1 with the exact denoiser); σ > 0. */
export function mixtureOptimalEps<X extends VecOrBatch>(mix: GaussianMixture, alpha: number, sigma: number, xt: X): Out<X> {
  if (!(sigma > 0)) throw new DiffusionInputError('sigma', sigma, 'ε̂ is undefined at σ = 0');
  const x0 = mixturePosteriorMean(mix, alpha, sigma, xt);
  const rows = rowsOf('xt', xt);
  const x0rows = rowsOf('x0', x0).rows;
  return shapeOut(rows.batched, rows.rows.map((r, i) => r.map((v, j) => (v - alpha * x0rows[i][j]) / sigma))) as Out<X>;
}

/** The optimal v̂ = α ε̂ - σ x̂_0 (D2 with the exact denoiser); σ > 0. */
export function mixtureOptimalV<X extends VecOrBatch>(mix: GaussianMixture, alpha: number, sigma: number, xt: X): Out<X> {
  const eps = rowsOf('eps', mixtureOptimalEps(mix, alpha, sigma, xt)).rows;
  const x0 = rowsOf('x0', mixturePosteriorMean(mix, alpha, sigma, xt)).rows;
  const batched = rowsOf('xt', xt).batched;
  return shapeOut(batched, eps.map((e, i) => e.map((v, j) => alpha * v - sigma * x0[i][j]))) as Out<X>;
}

/**
 * An exact draw from p(x_0 | x_t) (C4 per component): choose k with probability r_k(x_t), then
 * x_0 ~ N(μ_k + α Σ_k w_k, Σ_k - α² Σ_k C_k⁻¹ Σ_k). Used as the Monte Carlo reference of Tweedie.
 */
export function mixturePosteriorSample(mix: GaussianMixture, alpha: number, sigma: number, xt: Float64Array, rng: Rng): Float64Array {
  checkMixture(mix);
  checkAlphaSigma(alpha, sigma);
  if (!(sigma > 0)) throw new DiffusionInputError('sigma', sigma, 'p(x_0|x_t) is a point mass at σ = 0 (x_0 = x_t/α)');
  const p = prepare(mix, alpha, sigma);
  const row = rowsOf('xt', xt).rows[0];
  if (row.length !== mix.dim) throw new DiffusionInputError('xt', `length ${row.length}`, `shape mismatch: the mixture has dimension ${mix.dim}`);
  const e = evalRow(p, row);
  let u = rng.uniform();
  let k = 0;
  while (k < p.K - 1 && u > e.resp[k]) {
    u -= e.resp[k];
    k++;
  }
  const d = mix.dim;
  const c = mix.covs[k];
  const mean = new Float64Array(d);
  const z = rng.normals(d);
  const out = new Float64Array(d);
  if (c.kind === 'diag') {
    for (let i = 0; i < d; i++) {
      const v = c.variances[i];
      const ci = p.fac[k][i];
      mean[i] = mix.means[k][i] + alpha * v * e.w[k][i];
      out[i] = mean[i] + Math.sqrt((v * sigma * sigma) / ci) * z[i]; // Σ - α²Σ²/C = Σσ²/C (diagonal)
    }
    return out;
  }
  // Full: posterior covariance P = Σ - α² Σ C⁻¹ Σ; C⁻¹Σ by columns through the Cholesky factor.
  const S = c.cov;
  const L = p.fac[k];
  const CinvS = new Float64Array(d * d);
  const col = new Float64Array(d);
  const y = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) {
      let s = S[i * d + j];
      for (let m = 0; m < i; m++) s -= L[i * d + m] * y[m];
      y[i] = s / L[i * d + i];
    }
    for (let i = d - 1; i >= 0; i--) {
      let s = y[i];
      for (let m = i + 1; m < d; m++) s -= L[m * d + i] * col[m];
      col[i] = s / L[i * d + i];
    }
    for (let i = 0; i < d; i++) CinvS[i * d + j] = col[i];
  }
  const P = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let m = 0; m < d; m++) s += S[i * d + m] * CinvS[m * d + j];
      P[i * d + j] = S[i * d + j] - alpha * alpha * s;
    }
  }
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += S[i * d + j] * e.w[k][j];
    mean[i] = mix.means[k][i] + alpha * s;
  }
  const LP = choleskyLower(P, d);
  if (!LP) throw new DiffusionInputError('sigma', sigma, 'posterior covariance numerically not positive definite');
  for (let i = 0; i < d; i++) {
    let s = mean[i];
    for (let j = 0; j <= i; j++) s += LP[i * d + j] * z[j];
    out[i] = s;
  }
  return out;
}

/** n draws from the mixture, with their component indices. */
export function sampleMixtureLabeled(mix: GaussianMixture, n: number, rng: Rng): { x: Float64Array[]; components: number[] } {
  checkMixture(mix);
  checkPositiveInt('n', n);
  const d = mix.dim;
  const K = mix.weights.length;
  const facs = mix.covs.map((c) => (c.kind === 'diag' ? c.variances.map(Math.sqrt) : (choleskyLower(c.cov, d) as Float64Array)));
  const x: Float64Array[] = [];
  const components: number[] = [];
  for (let r = 0; r < n; r++) {
    let u = rng.uniform();
    let k = 0;
    while (k < K - 1 && u > mix.weights[k]) {
      u -= mix.weights[k];
      k++;
    }
    const z = rng.normals(d);
    const o = new Float64Array(d);
    const f = facs[k];
    for (let i = 0; i < d; i++) {
      if (mix.covs[k].kind === 'diag') o[i] = mix.means[k][i] + f[i] * z[i];
      else {
        let s = mix.means[k][i];
        for (let j = 0; j <= i; j++) s += f[i * d + j] * z[j];
        o[i] = s;
      }
    }
    x.push(o);
    components.push(k);
  }
  return { x, components };
}

/** n draws from the mixture (x = μ_k + Σ_k^{1/2} w, 004 eq. 8, Cholesky square root). */
export function sampleMixture(mix: GaussianMixture, n: number, rng: Rng): Float64Array[] {
  return sampleMixtureLabeled(mix, n, rng).x;
}

/**
 * CDF of coordinate `coord` of the mixture: Σ_k π_k Φ((x - μ_kj)/√Σ_k,jj) (the 1-D marginal of a
 * Gaussian mixture is the mixture of the component marginals). Used by the KS tests.
 */
export function mixtureMarginalCdf(mix: GaussianMixture, coord: number, x: number): number {
  checkMixture(mix);
  checkTimestep('coord', coord, 0, mix.dim - 1);
  checkFiniteNumber('x', x);
  let s = 0;
  for (let k = 0; k < mix.weights.length; k++) {
    const c = mix.covs[k];
    const v = c.kind === 'diag' ? c.variances[coord] : c.cov[coord * mix.dim + coord];
    s += mix.weights[k] * normalCdf((x - mix.means[k][coord]) / Math.sqrt(v));
  }
  return s;
}

/** Mean and per-coordinate variance of the mixture (law of total variance). */
export function mixtureMoments(mix: GaussianMixture): { mean: Float64Array; variance: Float64Array } {
  checkMixture(mix);
  const d = mix.dim;
  const mean = new Float64Array(d);
  const second = new Float64Array(d);
  mix.weights.forEach((w, k) => {
    const c = mix.covs[k];
    for (let i = 0; i < d; i++) {
      const v = c.kind === 'diag' ? c.variances[i] : c.cov[i * d + i];
      const m = mix.means[k][i];
      mean[i] += w * m;
      second[i] += w * (v + m * m);
    }
  });
  return { mean, variance: second.map((s, i) => s - mean[i] * mean[i]) };
}

/** The class-conditional mixture p(x | y): the components labelled y, weights renormalized. */
export function conditionalMixture(mix: GaussianMixture, y: number): GaussianMixture {
  checkMixture(mix);
  if (!mix.labels) throw new DiffusionInputError('mixture.labels', undefined, 'the mixture has no class labels (pass labels to makeMixture)');
  const idx = mix.labels.map((l, k) => (l === y ? k : -1)).filter((k) => k >= 0);
  if (idx.length === 0) throw new DiffusionInputError('y', y, `no component has this label (labels: ${[...new Set(mix.labels)].join(', ')})`);
  const tot = idx.reduce((s, k) => s + mix.weights[k], 0);
  const weights = Float64Array.from(idx.map((k) => mix.weights[k] / tot));
  // Renormalized weights sum to 1 up to rounding; rescale by the exact sum to keep makeMixture's check exact.
  const sw = weights.reduce((a, b) => a + b, 0);
  return { dim: mix.dim, weights: weights.map((w) => w / sw), means: idx.map((k) => mix.means[k]), covs: idx.map((k) => mix.covs[k]), labels: idx.map(() => y) };
}

/**
 * Gradient of the Bayes-optimal noisy classifier, ∇_x log p_t(y | x_t) (for classifier guidance,
 * E9): p_t(y|x) = Σ_{k: label k = y} r_k(x), so ∇log p_t(y|x) = Σ_{k∈y} r_k s_k / Σ_{k∈y} r_k - Σ_k r_k s_k
 * with s_k = -C_k⁻¹(x - α μ_k).
 */
export function mixtureClassifierGrad<X extends VecOrBatch>(mix: GaussianMixture, y: number, alpha: number, sigma: number, xt: X): Out<X> {
  checkMixture(mix);
  checkAlphaSigma(alpha, sigma);
  if (!mix.labels) throw new DiffusionInputError('mixture.labels', undefined, 'the mixture has no class labels (pass labels to makeMixture)');
  if (!mix.labels.includes(y)) throw new DiffusionInputError('y', y, 'no component has this label');
  const p = prepare(mix, alpha, sigma);
  const labels = mix.labels;
  return mapBatch('xt', xt, mix.dim, (row) => {
    const e = evalRow(p, row);
    const d = mix.dim;
    const out = scoreOfEval(e, d).map((v) => -v);
    let ry = 0;
    for (let k = 0; k < p.K; k++) if (labels[k] === y) ry += e.resp[k];
    if (!(ry > 0)) throw new DiffusionInputError('xt', row, `p_t(y=${y} | x_t) underflows to 0: the classifier gradient is undefined here`);
    for (let k = 0; k < p.K; k++) {
      if (labels[k] !== y) continue;
      for (let i = 0; i < d; i++) out[i] -= (e.resp[k] / ry) * e.w[k][i];
    }
    return out;
  });
}

/**
 * The exact oracle as a DiffusionModel (G): at time t of `process` it returns ε̂, x̂_0, v̂ or the
 * score of p_t for mixture data, so every sampler can be run against the true p_t.
 */
export function mixtureModel(mix: GaussianMixture, process: Process, output: ModelOutput = 'eps'): DiffusionModel {
  checkMixture(mix);
  return makeModel(process, output, (x: Rows, t: number) => {
    const alpha = process.alpha(t);
    const sigma = process.sigma(t);
    checkAlphaSigma(alpha, sigma);
    if (output === 'eps' || output === 'v' || output === 'flow') {
      if (!(sigma > 0)) throw new DiffusionInputError('t', t, `ε̂, v̂ and the flow velocity are undefined where σ(t) = 0; use output 'score' or 'x0'`);
    }
    const rates = output === 'flow' ? processRates(process, t) : null;
    const p = prepare(mix, alpha, sigma);
    const d = mix.dim;
    // One pass per row: no re-validation of the sampler's (already checked) batch.
    return x.map((row, r) => {
      if (row.length !== d) throw new DiffusionInputError(`x[${r}]`, `length ${row.length}`, `shape mismatch: the mixture has dimension ${d}`);
      const e = evalRow(p, row);
      if (output === 'score') return scoreOfEval(e, d);
      const x0 = posteriorMeanOfEval(p, e);
      if (output === 'x0') return x0;
      const eps = row.map((v, i) => (v - alpha * x0[i]) / sigma);
      if (rates) return eps.map((v, i) => rates.dAlpha * x0[i] + rates.dSigma * v);
      return output === 'eps' ? eps : eps.map((v, i) => alpha * v - sigma * x0[i]);
    });
  });
}

/** 004 §3.1 worked example: 0.6·N(2, 0.5²) + 0.4·N(-2, 0.2²) (Langevin with τ = 0.05). */
export function seedLangevinMixture(): GaussianMixture {
  return makeMixture({ weights: [0.6, 0.4], means: [2, -2], stds: [0.5, 0.2] });
}

/** 004 §4.3 worked example: 0.5·N(3, 1) + 0.5·N(-3, 1), diffused with constant β = 0.05. */
export function seedSdeMixture(): GaussianMixture {
  return makeMixture({ weights: [0.5, 0.5], means: [3, -3], stds: [1, 1] });
}
