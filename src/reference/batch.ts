/**
 * Batching convention: a sample is a vector (Float64Array or number[]); a batch is an array of
 * vectors. Every reference function that takes data accepts either and returns the same form
 * (Float64Array for a vector, Float64Array[] for a batch).
 */
import { DiffusionInputError, checkVec, type Vec } from './errors.js';

export type { Vec } from './errors.js';
export type Batch = Vec[];
export type VecOrBatch = Vec | Batch;
export type Out<X> = X extends Batch ? Float64Array[] : Float64Array;

export function isBatch(x: unknown): x is Batch {
  return Array.isArray(x) && x.length > 0 && typeof x[0] !== 'number';
}

/** Rows of `x` checked for finiteness, plus whether `x` was a batch. */
export function rowsOf(name: string, x: unknown): { rows: Float64Array[]; batched: boolean } {
  if (isBatch(x)) {
    const rows = x.map((r, i) => checkVec(`${name}[${i}]`, r));
    for (let i = 1; i < rows.length; i++) {
      if (rows[i].length !== rows[0].length) {
        throw new DiffusionInputError(`${name}[${i}]`, `length ${rows[i].length}`, `shape mismatch: ${name}[0] has length ${rows[0].length}`);
      }
    }
    return { rows, batched: true };
  }
  return { rows: [checkVec(name, x)], batched: false };
}

/** Rows of `y` that must match the shape of `ref` (same batch size, same row length). */
export function rowsLike(name: string, y: unknown, refName: string, ref: { rows: Float64Array[]; batched: boolean }): Float64Array[] {
  const r = rowsOf(name, y);
  if (r.batched !== ref.batched || r.rows.length !== ref.rows.length) {
    throw new DiffusionInputError(name, r.batched ? `batch of ${r.rows.length}` : 'a single vector',
      `shape mismatch: ${refName} is ${ref.batched ? `a batch of ${ref.rows.length}` : 'a single vector'}`);
  }
  for (let i = 0; i < r.rows.length; i++) {
    if (r.rows[i].length !== ref.rows[i].length) {
      throw new DiffusionInputError(name, `length ${r.rows[i].length}`, `shape mismatch: ${refName} has length ${ref.rows[i].length}`);
    }
  }
  return r.rows;
}

export function shapeOut(batched: boolean, rows: Float64Array[]): Float64Array | Float64Array[] {
  return batched ? rows : rows[0];
}

/**
 * Apply an elementwise formula across aligned inputs. `fn` receives the i-th element of each
 * input row and returns the output element.
 */
export function zipMap<X extends VecOrBatch>(
  names: string[],
  inputs: [X, ...VecOrBatch[]],
  fn: (...xs: number[]) => number,
): Out<X> {
  const ref = rowsOf(names[0], inputs[0]);
  const others = inputs.slice(1).map((y, k) => rowsLike(names[k + 1], y, names[0], ref));
  const out = ref.rows.map((row, r) => {
    const o = new Float64Array(row.length);
    const args = new Array<number>(inputs.length);
    for (let i = 0; i < row.length; i++) {
      args[0] = row[i];
      for (let k = 0; k < others.length; k++) args[k + 1] = others[k][r][i];
      o[i] = fn(...args);
    }
    return o;
  });
  return shapeOut(ref.batched, out) as Out<X>;
}
