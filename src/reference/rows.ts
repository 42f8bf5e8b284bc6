/**
 * Batches of float64 rows (the reference samplers' state): validation and rowwise linear algebra.
 */
import { DiffusionInputError } from './errors.js';
import type { Rng } from './rng.js';

/** A batch of float64 rows (samplers work on and return these). */
export type Rows = Float64Array[];

/** Validate the initial batch: non-empty array of equal-length finite vectors; returns copies. */
export function checkBatch(x: unknown, name = 'x'): Rows {
  if (!Array.isArray(x) || x.length === 0) throw new DiffusionInputError(name, x, 'must be a non-empty batch (array of vectors)');
  const d = (x[0] as ArrayLike<number>)?.length;
  return x.map((row, r) => {
    if (!row || typeof (row as ArrayLike<number>).length !== 'number' || (row as ArrayLike<number>).length !== d || d === 0) {
      throw new DiffusionInputError(`${name}[${r}]`, row, `shape mismatch: every row must have length ${d}`);
    }
    const o = Float64Array.from(row as ArrayLike<number>);
    for (let i = 0; i < o.length; i++) if (!Number.isFinite(o[i])) throw new DiffusionInputError(`${name}[${r}][${i}]`, o[i], 'must be finite (NaN or infinite data)');
    return o;
  });
}

/** x + a·y rowwise (small helper used by every sampler). */
export function axpy(x: Rows, a: number, y: Rows): Rows {
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const yr = y[r];
    for (let i = 0; i < row.length; i++) o[i] = row[i] + a * yr[i];
    return o;
  });
}

/** Σ_k c_k·y_k rowwise. */
export function lincomb(coefs: number[], ys: Rows[]): Rows {
  const n = ys[0].length;
  const out: Rows = [];
  for (let r = 0; r < n; r++) {
    const o = new Float64Array(ys[0][r].length);
    for (let k = 0; k < ys.length; k++) {
      const c = coefs[k];
      if (c === 0) continue;
      const y = ys[k][r];
      for (let i = 0; i < o.length; i++) o[i] += c * y[i];
    }
    out.push(o);
  }
  return out;
}

/** A batch of standard normals shaped like x. */
export function normalsLike(rng: Rng, x: Rows): Rows {
  return x.map((row) => rng.normals(row.length));
}
