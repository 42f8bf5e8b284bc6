/**
 * Finite-difference gradient checker (central differences), for testing the hand-written
 * backward passes of the reference layers.
 *
 * For a scalar function f and a step h_i = h·max(1, |x_i|):
 *   ∂f/∂x_i ≈ (f(x + h_i e_i) − f(x − h_i e_i)) / (2 h_i),
 * whose error is at most h_i²/6 · max|∂³f/∂x_i³| (truncation) + ε_f / h_i (the rounding error ε_f
 * of evaluating f, about 2^-53 · Σ|terms of f| in float64). With h = 1e-5 both are ≈ 1e-10 relative
 * for the smooth layers here, and the piecewise-linear ones (pooling, upsampling, convolution,
 * matmul) have no truncation error at all.
 */
import { DiffusionInputError, checkFiniteNumber } from '../errors.js';

/** Numerical gradient of f at x by central differences (x is not modified). */
export function finiteDifferenceGradient(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-5): Float64Array {
  checkFiniteNumber('h', h);
  if (!(h > 0)) throw new DiffusionInputError('h', h, 'must be positive');
  const xx = Float64Array.from(x);
  const g = new Float64Array(xx.length);
  for (let i = 0; i < xx.length; i++) {
    const x0 = xx[i];
    const hi = h * Math.max(1, Math.abs(x0));
    xx[i] = x0 + hi;
    const fp = f(xx);
    xx[i] = x0 - hi;
    const fm = f(xx);
    xx[i] = x0;
    g[i] = (fp - fm) / (2 * hi);
    if (!Number.isFinite(g[i])) throw new DiffusionInputError(`f at x[${i}] ± ${hi}`, g[i], 'the function is not finite near x');
  }
  return g;
}

/**
 * Largest difference between an analytic gradient and the finite-difference one, relative to the
 * gradient's scale: max_i |a_i − n_i| / (max_j |n_j| + tiny). A correct backward pass gives ~1e-9;
 * a wrong one (a missing term, a transposed index) gives O(1).
 */
export function gradientError(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  if (analytic.length !== numeric.length) {
    throw new DiffusionInputError('analytic', `length ${analytic.length}`, `shape mismatch: numeric gradient has length ${numeric.length}`);
  }
  let scale = 0;
  for (let i = 0; i < numeric.length; i++) scale = Math.max(scale, Math.abs(numeric[i]));
  let worst = 0;
  for (let i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]));
  return worst / (scale + 1e-300);
}

/** Σ_i a_i·b_i, the scalar loss L = ⟨y, dy⟩ whose gradient with respect to y is dy. */
export function innerProduct(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new DiffusionInputError('b', `length ${b.length}`, `shape mismatch: a has length ${a.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
