/**
 * Score-matching objectives (catalog F5; 004 §3.3 eqs. 80-87; Vincent 2011; Hyvärinen 2005).
 *
 * With the Gaussian-kernel density estimate q(x) = (1/M) Σ_m N(x; x_m, h² I) (004 eq. 80 with
 * K = the standard normal density in d dimensions, so the normalization is h^{-d}):
 *   J_ESM(θ) = E_{q(x)} ½‖s_θ(x) - ∇log q(x)‖²                                      (004 eq. 81)
 *   J_DSM(θ) = E_{q(x')} E_z ½‖s_θ(x' + h z) + z/h‖²                                  (004 eq. 85)
 * and J_DSM(θ) = J_ESM(θ) + C for every θ (Vincent; 004 eq. 87). Seed 004 writes eq. (81) without
 * the ½ and eq. (84) with ∇q(x|x') instead of ∇log q(x|x'); its own proof uses ½ and ∇log, as
 * Vincent does, and so do these functions (without the ½ on one side the constant would depend on θ).
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt } from './errors.js';
import { rowsOf } from './batch.js';
import type { Rng } from './rng.js';

export type ScoreFn = (x: Float64Array) => ArrayLike<number>;

function dataRows(data: unknown, name = 'data'): Float64Array[] {
  const { rows, batched } = rowsOf(name, data);
  if (!batched) throw new DiffusionInputError(name, data, 'must be a batch (array of vectors)');
  return rows;
}

function checkH(h: unknown, name = 'h'): number {
  const v = checkFiniteNumber(name, h);
  if (!(v > 0)) throw new DiffusionInputError(name, v, 'the bandwidth / noise level must be > 0');
  return v;
}

/** log q(x) of the Gaussian KDE (004 eq. 80), log-sum-exp over the M data points. */
export function kdeLogDensity(data: Float64Array[] | number[][], h: number, x: ArrayLike<number>): number {
  const X = dataRows(data);
  checkH(h);
  const xv = rowsOf('x', x).rows[0];
  const d = xv.length;
  let mx = -Infinity;
  const l = X.map((xm, m) => {
    if (xm.length !== d) throw new DiffusionInputError(`data[${m}]`, `length ${xm.length}`, `shape mismatch: x has length ${d}`);
    let q = 0;
    for (let i = 0; i < d; i++) q += (xv[i] - xm[i]) ** 2;
    const v = -q / (2 * h * h);
    mx = Math.max(mx, v);
    return v;
  });
  const s = l.reduce((acc, v) => acc + Math.exp(v - mx), 0);
  return mx + Math.log(s / X.length) - d * Math.log(h) - 0.5 * d * Math.log(2 * Math.PI);
}

/** ∇log q(x) of the Gaussian KDE: Σ_m w_m (x_m - x)/h², w_m ∝ exp(-‖x - x_m‖²/(2h²)) (softmax). */
export function kdeScore(data: Float64Array[] | number[][], h: number, x: ArrayLike<number>): Float64Array {
  const X = dataRows(data);
  checkH(h);
  const xv = rowsOf('x', x).rows[0];
  const d = xv.length;
  const l = X.map((xm, m) => {
    if (xm.length !== d) throw new DiffusionInputError(`data[${m}]`, `length ${xm.length}`, `shape mismatch: x has length ${d}`);
    let q = 0;
    for (let i = 0; i < d; i++) q += (xv[i] - xm[i]) ** 2;
    return -q / (2 * h * h);
  });
  const mx = Math.max(...l);
  const w = l.map((v) => Math.exp(v - mx));
  const sw = w.reduce((a, b) => a + b, 0);
  const out = new Float64Array(d);
  X.forEach((xm, m) => {
    for (let i = 0; i < d; i++) out[i] += (w[m] / sw) * (xm[i] - xv[i]);
  });
  return out.map((v) => v / (h * h));
}

/**
 * n draws from the KDE as (index m, noise z) pairs with x = x_m + h z: the same pairs give the
 * ESM samples and the DSM pairs (x', z), which makes J_DSM - J_ESM estimable with common randomness.
 */
export function sampleKdePairs(data: Float64Array[] | number[][], h: number, n: number, rng: Rng): { x: Float64Array[]; clean: Float64Array[]; noise: Float64Array[] } {
  const X = dataRows(data);
  checkH(h);
  checkPositiveInt('n', n);
  const x: Float64Array[] = [];
  const clean: Float64Array[] = [];
  const noise: Float64Array[] = [];
  for (let r = 0; r < n; r++) {
    const m = rng.int(X.length);
    const z = rng.normals(X[m].length);
    clean.push(X[m]);
    noise.push(z);
    x.push(X[m].map((v, i) => v + h * z[i]));
  }
  return { x, clean, noise };
}

function scoreAt(score: ScoreFn, x: Float64Array, where: string): ArrayLike<number> {
  const s = score(x);
  if (!s || s.length !== x.length) throw new DiffusionInputError('score output', s?.length, `shape mismatch at ${where}: x has length ${x.length}`);
  return s;
}

/** Ĵ_ESM = (1/n) Σ_i ½‖s_θ(x_i) - ∇log q(x_i)‖² over samples x_i ~ q (004 eq. 81, with ½). */
export function explicitScoreMatchingLoss(score: ScoreFn, data: Float64Array[] | number[][], h: number, samples: Float64Array[] | number[][]): number {
  if (typeof score !== 'function') throw new DiffusionInputError('score', score, 'must be a function x → s(x)');
  const S = dataRows(samples, 'samples');
  let acc = 0;
  S.forEach((x, i) => {
    const s = scoreAt(score, x, `samples[${i}]`);
    const g = kdeScore(data, h, x);
    for (let k = 0; k < x.length; k++) acc += 0.5 * (s[k] - g[k]) ** 2;
  });
  return acc / S.length;
}

/** Ĵ_DSM = (1/n) Σ_i ½‖s_θ(x'_i + σ z_i) + z_i/σ‖² (004 eqs. 85-86). */
export function denoisingScoreMatchingLoss(score: ScoreFn, clean: Float64Array[] | number[][], sigma: number, noise: Float64Array[] | number[][]): number {
  if (typeof score !== 'function') throw new DiffusionInputError('score', score, 'must be a function x → s(x)');
  const C = dataRows(clean, 'clean');
  const Z = dataRows(noise, 'noise');
  checkH(sigma, 'sigma');
  if (C.length !== Z.length) throw new DiffusionInputError('noise', `batch of ${Z.length}`, `shape mismatch: clean is a batch of ${C.length}`);
  let acc = 0;
  C.forEach((x0, i) => {
    const z = Z[i];
    if (z.length !== x0.length) throw new DiffusionInputError(`noise[${i}]`, `length ${z.length}`, `shape mismatch: clean[${i}] has length ${x0.length}`);
    const x = x0.map((v, k) => v + sigma * z[k]);
    const s = scoreAt(score, x, `clean[${i}] + σ·noise[${i}]`);
    for (let k = 0; k < x.length; k++) acc += 0.5 * (s[k] + z[k] / sigma) ** 2;
  });
  return acc / C.length;
}
