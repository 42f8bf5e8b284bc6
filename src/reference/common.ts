/**
 * Validation and small helpers shared by the reference formula files (sections B-F).
 *
 * Every public function checks its schedule and timestep through these helpers so that the error
 * for a bad `t` or a non-schedule object reads the same everywhere (argument name + value).
 */
import { DiffusionInputError, checkFiniteNumber, checkTimestep } from './errors.js';
import { isBatch, rowsOf, rowsLike, shapeOut, type VecOrBatch } from './batch.js';
import type { Schedule } from './schedules.js';

/** Throws unless `s` is a Schedule built by `makeSchedule`. */
export function checkSchedule(s: unknown, name = 'schedule'): Schedule {
  const o = s as Partial<Schedule> | null;
  if (!o || typeof o !== 'object' || typeof o.T !== 'number' || !(o.logAlphaBars instanceof Float64Array) || !(o.betas instanceof Float64Array)) {
    throw new DiffusionInputError(name, s, 'must be a Schedule built by makeSchedule(betas)');
  }
  return o as Schedule;
}

/** t ∈ {1..T} (the papers' 1-based index). */
export function checkT(s: Schedule, t: unknown, name = 't'): number {
  return checkTimestep(name, t, 1, s.T);
}

/** t ∈ {0..T} where a function documents that t = 0 (ᾱ_0 = 1, "no noise") is allowed. */
export function checkT0(s: Schedule, t: unknown, name = 't'): number {
  return checkTimestep(name, t, 0, s.T);
}

/** √ᾱ_t and √(1-ᾱ_t), from the schedule's log-space quantities (no cancellation). */
export function sqrtAbPair(s: Schedule, t: number): [number, number] {
  return [Math.exp(0.5 * s.logAlphaBar(t)), Math.sqrt(s.oneMinusAlphaBar(t))];
}

/**
 * Throws naming `t` when ᾱ_t = 0 (a zero-terminal-SNR schedule at t = T): formulas that divide by
 * √ᾱ_t (x̂_0 from ε, v from (x_t, ε)) are undefined there, because x_t carries no information on x_0.
 */
export function requirePositiveAlphaBar(s: Schedule, t: number, what: string): void {
  if (s.logAlphaBar(t) === -Infinity) {
    throw new DiffusionInputError('t', t, `${what} is undefined where ᾱ_t = 0 (zero terminal SNR at t = T); use x0- or v-prediction there`);
  }
}

/** A number or a vector/batch, broadcast against `shapeRef` (numbers broadcast to every element). */
export type NumOrVec = number | VecOrBatch;

/**
 * Elementwise map with scalar broadcasting: each input may be a finite number or a vector/batch;
 * all non-number inputs must share one shape. Returns a number when every input is a number.
 */
export function broadcastMap(names: string[], inputs: NumOrVec[], fn: (...xs: number[]) => number): number | Float64Array | Float64Array[] {
  const refIdx = inputs.findIndex((x) => typeof x !== 'number');
  if (refIdx < 0) {
    const xs = inputs.map((x, k) => checkFiniteNumber(names[k], x));
    const y = fn(...xs);
    if (!Number.isFinite(y)) throw new DiffusionInputError(names.join(', '), xs, 'non-finite result: the inputs lead to an undefined value');
    return y;
  }
  const ref = rowsOf(names[refIdx], inputs[refIdx]);
  const parts = inputs.map((x, k) => {
    if (typeof x === 'number') return checkFiniteNumber(names[k], x);
    return k === refIdx ? ref.rows : rowsLike(names[k], x, names[refIdx], ref);
  });
  const out = ref.rows.map((row, r) => {
    const o = new Float64Array(row.length);
    const args = new Array<number>(inputs.length);
    for (let i = 0; i < row.length; i++) {
      for (let k = 0; k < parts.length; k++) {
        const p = parts[k];
        args[k] = typeof p === 'number' ? p : p[r][i];
      }
      o[i] = fn(...args);
    }
    return o;
  });
  return shapeOut(ref.batched, out);
}

/** Output guard over a vector or batch result. */
export function checkFiniteRows(what: string, v: Float64Array | Float64Array[]): void {
  const rows = v instanceof Float64Array ? [v] : v;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let i = 0; i < row.length; i++) {
      if (!Number.isFinite(row[i])) {
        throw new DiffusionInputError(what, row[i], `non-finite result at ${rows.length > 1 || Array.isArray(v) ? `row ${r}, ` : ''}index ${i}; the inputs lead to an undefined value`);
      }
    }
  }
}

export { isBatch };
