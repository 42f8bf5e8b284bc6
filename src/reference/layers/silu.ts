/**
 * SiLU / swish activation (Elfwing, Uchibe & Doya 2018, "Sigmoid-weighted linear units";
 * Ramachandran et al. 2017), elementwise:
 *   silu(x) = x·σ(x),  σ(x) = 1/(1 + e^(−x)),
 *   silu'(x) = σ(x) + x·σ(x)·(1 − σ(x)) = σ(x)·(1 + x·(1 − σ(x))).
 * σ is evaluated without overflow for large |x| (e^(−x) only for x ≥ 0, e^x otherwise).
 */
import { checkNd, checkSameShape, ndarray, type NdArray } from './tensor.js';

/** Logistic sigmoid, overflow-free for every finite x. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

export function silu(x: NdArray): NdArray {
  checkNd('x', x);
  const y = ndarray(x.shape);
  for (let i = 0; i < y.data.length; i++) y.data[i] = x.data[i] * sigmoid(x.data[i]);
  return y;
}

/** ∂L/∂x = dy·silu'(x). */
export function siluGrad(x: NdArray, dy: NdArray): NdArray {
  const xs = checkNd('x', x);
  checkSameShape('x', xs, 'dy', checkNd('dy', dy));
  const dx = ndarray(xs);
  for (let i = 0; i < dx.data.length; i++) {
    const s = sigmoid(x.data[i]);
    dx.data[i] = dy.data[i] * s * (1 + x.data[i] * (1 - s));
  }
  return dx;
}
