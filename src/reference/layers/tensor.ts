/**
 * A minimal float64 n-d array for the reference layers: a shape and a row-major (C-order)
 * Float64Array. Images are NHWC ([batch, height, width, channels]) and convolution filters are
 * HWIO ([filterHeight, filterWidth, inChannels, outChannels]), the layouts of TensorFlow.
 *
 * Everything in `src/reference/layers/` is deliberately slow and obvious: plain nested loops that
 * read like the defining sums, so that a reader can check them against the formula line by line.
 */
import { DiffusionInputError, describe } from '../errors.js';

export interface NdArray {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Makes an NdArray, checking that the shape is a list of positive integers and that the data (if
 * given; zeros otherwise) has the matching length and only finite values.
 */
export function ndarray(shape: readonly number[], data?: ArrayLike<number>, name = 'data'): NdArray {
  checkShape(`${name}.shape`, shape);
  const n = sizeOf(shape);
  if (data === undefined) return { shape: [...shape], data: new Float64Array(n) };
  if (data.length !== n) {
    throw new DiffusionInputError(name, `length ${data.length}`, `shape mismatch: shape [${shape.join(', ')}] needs ${n} values`);
  }
  const out = Float64Array.from(data);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(out[i])) throw new DiffusionInputError(`${name}[${i}]`, out[i], 'must be finite (NaN or infinite data)');
  }
  return { shape: [...shape], data: out };
}

function checkShape(name: string, shape: unknown): void {
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1)) {
    throw new DiffusionInputError(name, shape, 'must be an array of positive integers');
  }
}

/**
 * Checks that `x` is an NdArray (of the given rank, if one is given) with finite data; returns its shape.
 * Every layer calls this on every argument, so a wrong layout is reported by argument name.
 */
export function checkNd(name: string, x: unknown, rank?: number): number[] {
  const t = x as NdArray;
  if (typeof x !== 'object' || x === null || !(t.data instanceof Float64Array) || !Array.isArray(t.shape)) {
    throw new DiffusionInputError(name, x, 'must be an NdArray {shape, data: Float64Array}');
  }
  checkShape(`${name}.shape`, t.shape);
  if (rank !== undefined && t.shape.length !== rank) {
    throw new DiffusionInputError(`${name}.shape`, t.shape, `must have rank ${rank}`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new DiffusionInputError(`${name}.data`, `length ${t.data.length}`, `shape mismatch: shape [${t.shape.join(', ')}] needs ${sizeOf(t.shape)} values`);
  }
  for (let i = 0; i < t.data.length; i++) {
    if (!Number.isFinite(t.data[i])) throw new DiffusionInputError(`${name}.data[${i}]`, t.data[i], 'must be finite (NaN or infinite data)');
  }
  return [...t.shape];
}

/** Throws unless two shapes are equal, naming the second argument. */
export function checkSameShape(nameA: string, a: readonly number[], nameB: string, b: readonly number[]): void {
  if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
    throw new DiffusionInputError(`${nameB}.shape`, b, `shape mismatch: ${nameA} has shape ${describe([...a])}`);
  }
}

/** Elementwise absolute value (used to evaluate "the same sum with |terms|" for error bounds). */
export function absNd(x: NdArray): NdArray {
  return { shape: [...x.shape], data: x.data.map(Math.abs) };
}

/** A positive integer argument. */
export function checkPosInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new DiffusionInputError(name, v, 'must be a positive integer');
  return v;
}
