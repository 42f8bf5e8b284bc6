/**
 * Validation and small helpers shared by the tensor formula files of the TensorFlow.js tier
 * (sections B-F). float64 twin: src/reference/common.ts.
 *
 * The tensor API takes data as a `tf.Tensor2D` of shape [batch, dim] and a timestep as either a
 * number (one t for every row) or an int32 `tf.Tensor1D` of per-row timesteps (length batch).
 * Every error is a `DiffusionInputError` naming the argument and the value, as in the reference.
 *
 * Cost of the checks: shapes are checked without reading data; a tensor of timesteps is read back
 * (batch integers) to check its range; finiteness of the data inputs and of the result is checked
 * with one fused reduction Σ(x·0) per tensor (0 iff every element is finite, NaN otherwise) and a
 * single `dataSync` per call. Only on failure is the offending tensor downloaded to name an index.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkTimestep } from '../reference/errors.js';
import type { TensorSchedule } from './schedules.js';
import { deferCheck, syncReadable } from './deferred.js';

/** A timestep argument: one t for all rows, or an int tensor [batch] of per-row t (1-based). */
export type Timesteps = number | tf.Tensor1D;

/** Throws unless `s` is a TensorSchedule built by `makeTensorSchedule` and not yet disposed. */
export function checkTensorSchedule(s: unknown, name = 'schedule'): TensorSchedule {
  const o = s as Partial<TensorSchedule> | null;
  if (!o || typeof o !== 'object' || typeof o.T !== 'number' || !(o.logAlphaBars instanceof tf.Tensor) || !(o.betas instanceof tf.Tensor)) {
    throw new DiffusionInputError(name, s, 'must be a TensorSchedule built by makeTensorSchedule(betas)');
  }
  if (o.logAlphaBars.isDisposed) throw new DiffusionInputError(name, `TensorSchedule(T=${o.T})`, 'has been disposed');
  return o as TensorSchedule;
}

/** A float32 tensor of rank 2, [batch, dim] with batch ≥ 1 and dim ≥ 1. */
export function checkBatch(name: string, x: unknown): tf.Tensor2D {
  if (!(x instanceof tf.Tensor)) throw new DiffusionInputError(name, x, 'must be a tf.Tensor2D of shape [batch, dim]');
  if (x.isDisposed) throw new DiffusionInputError(name, `tensor ${JSON.stringify(x.shape)}`, 'has been disposed');
  if (x.rank !== 2) throw new DiffusionInputError(name, `shape ${JSON.stringify(x.shape)}`, 'must be a tf.Tensor2D of shape [batch, dim]');
  if (x.dtype !== 'float32') throw new DiffusionInputError(name, `dtype ${x.dtype}`, 'must be float32');
  if (x.shape[0] < 1 || x.shape[1] < 1) throw new DiffusionInputError(name, `shape ${JSON.stringify(x.shape)}`, 'must not be empty');
  return x as tf.Tensor2D;
}

/** `y` must be a batch of the same shape as `ref` (named `refName`). */
export function checkBatchLike(name: string, y: unknown, refName: string, ref: tf.Tensor2D): tf.Tensor2D {
  const t = checkBatch(name, y);
  if (t.shape[0] !== ref.shape[0] || t.shape[1] !== ref.shape[1]) {
    throw new DiffusionInputError(name, `shape ${JSON.stringify(t.shape)}`, `shape mismatch: ${refName} has shape ${JSON.stringify(ref.shape)}`);
  }
  return t;
}

/**
 * Checks a timestep argument against the range {lo..hi} and the batch size. Returns the host values
 * (one per row, or a single value for a number) for checks that depend on t (e.g. ᾱ_t = 0).
 * A tensor of timesteps must be rank 1 with `batch` entries, int32 (or float32 holding integers).
 */
export function checkTimesteps(name: string, t: unknown, lo: number, hi: number, batch: number): number[] {
  if (typeof t === 'number') return [checkTimestep(name, t, lo, hi)];
  if (!(t instanceof tf.Tensor)) throw new DiffusionInputError(name, t, `must be an integer timestep in {${lo}..${hi}} or an int32 tf.Tensor1D of per-row timesteps`);
  if (t.isDisposed) throw new DiffusionInputError(name, `tensor ${JSON.stringify(t.shape)}`, 'has been disposed');
  if (t.rank !== 1 || t.shape[0] !== batch) {
    throw new DiffusionInputError(name, `shape ${JSON.stringify(t.shape)}`, `shape mismatch: per-row timesteps must have shape [${batch}] (the batch size)`);
  }
  if (t.dtype !== 'int32' && t.dtype !== 'float32') throw new DiffusionInputError(name, `dtype ${t.dtype}`, 'must be int32');
  const vals = Array.from(t.dataSync() as ArrayLike<number>);
  vals.forEach((v, i) => checkTimestep(`${name}[${i}]`, v, lo, hi));
  return vals;
}

/**
 * Per-row value of a table indexed by t itself (length T+1, entry t for t ∈ {0..T}, e.g. log ᾱ_t):
 * shape [1,1] for a number t, [batch,1] for a tensor, so it broadcasts against [batch, dim].
 * The caller has checked t (checkTimesteps).
 */
export function atTime(table: tf.Tensor1D, t: Timesteps): tf.Tensor2D {
  return tf.tidy(() => {
    if (typeof t === 'number') return tf.slice(table, [t], [1]).reshape([1, 1]) as tf.Tensor2D;
    return tf.gather(table, tf.cast(t, 'int32')).reshape([-1, 1]) as tf.Tensor2D;
  });
}

/**
 * Per-row value of a table indexed by the 0-based step index i = t-1 (length T, entry t-1 for
 * t ∈ {1..T}, e.g. β_t): the papers' 1-based t is converted to the array index t-1 *here*, once.
 * Shape [1,1] for a number t, [batch,1] for a tensor.
 */
export function atStep(table: tf.Tensor1D, t: Timesteps): tf.Tensor2D {
  return tf.tidy(() => {
    if (typeof t === 'number') return tf.slice(table, [t - 1], [1]).reshape([1, 1]) as tf.Tensor2D; // 1-based t → index t-1
    return tf.gather(table, tf.sub(tf.cast(t, 'int32'), tf.scalar(1, 'int32'))).reshape([-1, 1]) as tf.Tensor2D; // 1-based t → index t-1
  });
}

/**
 * Finiteness guard at the API boundary: every named input and the result are checked with one
 * `dataSync` of a few scalars. An input with NaN/±∞ is reported by name and index; a result that is
 * not finite although the inputs are is reported as `what` (never returned). On failure the result
 * is disposed before throwing.
 */
export function checkFiniteIo(what: string, inputs: [string, tf.Tensor][], result: tf.Tensor | tf.Tensor[]): void {
  const results = Array.isArray(result) ? result : [result];
  const all = [...inputs.map(([, x]) => x), ...results];
  if (!syncReadable()) {
    // webgpu: no synchronous read; the flags are read by flushDeferredChecks (./deferred.ts).
    deferCheck(
      tf.tidy(() => tf.stack(all.map((x) => tf.sum(tf.mul(x, 0))))),
      (f) => {
        const k = Array.from(f).findIndex((v) => v !== 0);
        if (k < 0) return undefined;
        if (k < inputs.length) return new DiffusionInputError(inputs[k][0], 'NaN or ±∞ (found after the call: deferred check)', 'must be finite (NaN or infinite data)');
        return new DiffusionInputError(what, 'NaN or ±∞ (found after the call: deferred check)', 'non-finite result; the inputs lead to an undefined value in float32 (overflow or ᾱ_t = 0)');
      },
    );
    return;
  }
  const flags = tf.tidy(() => tf.stack(all.map((x) => tf.sum(tf.mul(x, 0)))).dataSync());
  let bad = -1;
  for (let k = 0; k < flags.length; k++) {
    if (flags[k] !== 0) {
      bad = k;
      break;
    }
  }
  if (bad < 0) return;
  const culprit = all[bad];
  const label = bad < inputs.length ? inputs[bad][0] : what;
  const data = culprit.dataSync();
  let idx = 0;
  while (idx < data.length && Number.isFinite(data[idx])) idx++;
  const dim = culprit.rank === 2 ? culprit.shape[1]! : data.length;
  const where = culprit.rank === 2 ? `[${Math.floor(idx / dim)}][${idx % dim}]` : `[${idx}]`;
  for (const r of results) r.dispose();
  if (bad < inputs.length) throw new DiffusionInputError(`${label}${where}`, data[idx], 'must be finite (NaN or infinite data)');
  throw new DiffusionInputError(`${label}${where}`, data[idx], 'non-finite result; the inputs lead to an undefined value in float32 (overflow or ᾱ_t = 0)');
}

/**
 * Throws naming t when ᾱ_t = 0 for some row (zero terminal SNR at t = T): the formulas that divide
 * by √ᾱ_t are undefined there. Mirrors the reference's requirePositiveAlphaBar.
 */
export function requirePositiveAlphaBar(s: TensorSchedule, ts: number[], what: string, name = 't'): void {
  ts.forEach((t, i) => {
    if (s.host.logAlphaBars[t] === -Infinity) {
      throw new DiffusionInputError(ts.length > 1 ? `${name}[${i}]` : name, t, `${what} is undefined where ᾱ_t = 0 (zero terminal SNR at t = T); use x0- or v-prediction there`);
    }
  });
}

