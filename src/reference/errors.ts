/**
 * Input validation shared by every reference function.
 *
 * Every error names the argument and shows the offending value, so that a user
 * who passes `t = 0` to a function that needs `t ∈ {1..T}` reads exactly that.
 * Nothing in the reference returns NaN silently: inputs are checked here, and
 * outputs that could still become non-finite are checked with `checkFiniteOutput`.
 */

export type Vec = Float64Array | number[];

/** Thrown for any invalid argument: the message names the argument and the value. */
export class DiffusionInputError extends Error {
  readonly argument: string;
  readonly value: unknown;
  constructor(argument: string, value: unknown, reason: string) {
    super(`${argument}: ${reason} (got ${describe(value)})`);
    this.name = 'DiffusionInputError';
    this.argument = argument;
    this.value = value;
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Float64Array || value instanceof Float32Array || Array.isArray(value)) {
    const arr = value as ArrayLike<unknown>;
    const head = Array.from({ length: Math.min(arr.length, 4) }, (_, i) => describe(arr[i]));
    return `[${head.join(', ')}${arr.length > 4 ? `, … (${arr.length} items)` : ''}]`;
  }
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function checkFiniteNumber(name: string, x: unknown): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) {
    throw new DiffusionInputError(name, x, 'must be a finite number');
  }
  return x;
}

export function checkPositiveInt(name: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
    throw new DiffusionInputError(name, n, 'must be a positive integer');
  }
  return n;
}

/** t must be an integer in [lo, hi] (the papers' 1-based index unless stated). */
export function checkTimestep(name: string, t: unknown, lo: number, hi: number): number {
  if (typeof t !== 'number' || !Number.isInteger(t)) {
    throw new DiffusionInputError(name, t, `must be an integer timestep in {${lo}..${hi}}`);
  }
  if (t < lo || t > hi) {
    throw new DiffusionInputError(name, t, `timestep out of range {${lo}..${hi}}`);
  }
  return t;
}

/** A vector of finite numbers; returned as a Float64Array (a copy only when needed). */
export function checkVec(name: string, v: unknown): Float64Array {
  if (!(v instanceof Float64Array) && !Array.isArray(v) && !(v instanceof Float32Array)) {
    throw new DiffusionInputError(name, v, 'must be a Float64Array or number[]');
  }
  const arr = v as ArrayLike<unknown>;
  if (arr.length === 0) throw new DiffusionInputError(name, v, 'must not be empty');
  for (let i = 0; i < arr.length; i++) {
    const x = arr[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) {
      throw new DiffusionInputError(`${name}[${i}]`, x, 'must be finite (NaN or infinite data)');
    }
  }
  return v instanceof Float64Array ? v : Float64Array.from(arr as ArrayLike<number>);
}

export function checkSameLength(nameA: string, a: ArrayLike<number>, nameB: string, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new DiffusionInputError(nameB, `length ${b.length}`, `shape mismatch: ${nameA} has length ${a.length}`);
  }
}

export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new DiffusionInputError(name, value, `unknown value; expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

/** Guard on outputs: a computation that produced NaN/∞ from valid inputs is reported, never returned. */
export function checkFiniteOutput(what: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new DiffusionInputError(what, v[i], `non-finite result at index ${i}; the inputs lead to an undefined value`);
    }
  }
}
