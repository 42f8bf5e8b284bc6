/**
 * Batch iterators for training: a seeded, resumable shuffle over a finite data set (MNIST or any
 * array of examples) and an adapter that turns a sampler of synthetic data (e.g. a Gaussian
 * mixture with a known score) into batches of the same shape, so a trainer can be checked against
 * a known answer with the very code path it uses for images.
 *
 * Every source can save its position with `getState()` (a plain JSON-serialisable object) and
 * continue exactly where it was with `setState()`: a resumed training run sees the same batches,
 * in the same order, as an uninterrupted one.
 *
 * Shuffling: one Fisher-Yates permutation per epoch drawn from `Rng` (src/reference/rng.ts).
 * The state records the Rng state at the start of the epoch and the cursor inside it; restoring
 * regenerates the permutation from that state (nothing of size N is stored).
 */
import { DiffusionInputError, checkPositiveInt, describe } from '../reference/errors.js';
import { Rng, type RngState } from '../reference/rng.js';
import type { ImageDataset } from './idx.js';

/** One training batch. */
export interface Batch {
  /** size·dim values, row-major: example k occupies x[k·dim .. (k+1)·dim). */
  readonly x: Float32Array;
  /** Number of examples in this batch. */
  readonly size: number;
  /** Shape of one example, e.g. [28, 28] for MNIST or [d] for a d-dimensional synthetic point. */
  readonly shape: readonly number[];
  /** Labels, when the source has them. */
  readonly labels?: Uint8Array;
  /** Indices into the data set (finite sources only). */
  readonly indices?: Uint32Array;
  /** The float64 examples as drawn (synthetic sources only), for the float64 reference tier. */
  readonly rows?: Float64Array[];
  /** Number of batches this source produced before this one (0-based). */
  readonly step: number;
  /** Epoch this batch belongs to (0-based; synthetic sources: always 0). */
  readonly epoch: number;
}

export interface ShuffleState {
  readonly kind: 'shuffle';
  readonly n: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly epoch: number;
  readonly cursor: number;
  readonly step: number;
  readonly epochRng: RngState;
}

export interface SequentialState {
  readonly kind: 'sequential';
  readonly n: number;
  readonly batchSize: number;
  readonly cursor: number;
  readonly step: number;
  readonly epoch: number;
}

export interface SyntheticState {
  readonly kind: 'synthetic';
  readonly dim: number;
  readonly batchSize: number;
  readonly step: number;
  readonly rng: RngState;
}

export type BatchSourceState = ShuffleState | SequentialState | SyntheticState;

/** Anything a trainer draws batches from. */
export interface BatchSource {
  readonly shape: readonly number[];
  /** Product of `shape`: values per example. */
  readonly dim: number;
  readonly batchSize: number;
  next(): Batch;
  getState(): BatchSourceState;
  setState(state: BatchSourceState): void;
}

/** A finite data set of equally shaped examples stored contiguously. */
export interface ArrayDataset {
  readonly n: number;
  readonly shape: readonly number[];
  /** n·∏shape values. */
  readonly values: Float32Array;
  readonly labels?: Uint8Array;
  /** 'test' marks a held-out split: shuffledBatches refuses it. */
  readonly split?: string;
}

/** View an ImageDataset (MNIST) as an ArrayDataset of [height, width] examples. */
export function imageArrayDataset(data: ImageDataset): ArrayDataset {
  return { n: data.n, shape: [data.height, data.width], values: data.images, labels: data.labels, split: data.split };
}

function checkDataset(ds: ArrayDataset): number {
  if (!ds || typeof ds !== 'object') throw new DiffusionInputError('dataset', ds, 'must be an ArrayDataset');
  checkPositiveInt('dataset.n', ds.n);
  if (!Array.isArray(ds.shape) || ds.shape.length === 0) throw new DiffusionInputError('dataset.shape', ds.shape, 'must be a non-empty array of positive integers');
  ds.shape.forEach((s, i) => checkPositiveInt(`dataset.shape[${i}]`, s));
  const dim = ds.shape.reduce((a, b) => a * b, 1);
  if (!(ds.values instanceof Float32Array) || ds.values.length !== ds.n * dim) {
    throw new DiffusionInputError('dataset.values', ds.values instanceof Float32Array ? `length ${ds.values.length}` : ds.values, `must be a Float32Array of n·∏shape = ${ds.n * dim} values`);
  }
  if (ds.labels !== undefined && (!(ds.labels instanceof Uint8Array) || ds.labels.length !== ds.n)) {
    throw new DiffusionInputError('dataset.labels', ds.labels, `must be a Uint8Array of length n = ${ds.n}`);
  }
  return dim;
}

function gather(ds: ArrayDataset, dim: number, indices: Uint32Array, step: number, epoch: number): Batch {
  const x = new Float32Array(indices.length * dim);
  for (let k = 0; k < indices.length; k++) {
    const src = indices[k] * dim;
    x.set(ds.values.subarray(src, src + dim), k * dim);
  }
  let labels: Uint8Array | undefined;
  if (ds.labels) {
    labels = new Uint8Array(indices.length);
    for (let k = 0; k < indices.length; k++) labels[k] = ds.labels[indices[k]];
  }
  return { x, size: indices.length, shape: ds.shape, labels, indices, step, epoch };
}


function checkStateKind<K extends BatchSourceState['kind']>(state: unknown, kind: K): Extract<BatchSourceState, { kind: K }> {
  if (!state || typeof state !== 'object' || (state as { kind?: unknown }).kind !== kind) {
    throw new DiffusionInputError('state', state, `not a ${kind} batch-source state`);
  }
  return state as Extract<BatchSourceState, { kind: K }>;
}

function checkStateField(state: object, field: string, expected: unknown): void {
  const got = (state as Record<string, unknown>)[field];
  if (got !== expected) {
    throw new DiffusionInputError(`state.${field}`, got, `does not match this source (${field} = ${describe(expected)})`);
  }
}

export interface ShuffleOptions {
  batchSize: number;
  seed: number;
  /**
   * Drop the incomplete batch at the end of each epoch so every batch has exactly batchSize
   * examples (default true: constant shapes for training).
   */
  dropLast?: boolean;
  /** Allow a dataset whose split is 'test' (default false: the test split is held out). */
  allowHeldOut?: boolean;
}

/** Fisher-Yates permutation of 0..n-1 from rng (uniform over all n! orders). */
export function shuffledIndices(n: number, rng: Rng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Endless seeded shuffled batches over a finite data set: epoch e visits every example once in
 * its own random order. Refuses a held-out split (split === 'test') unless allowHeldOut is set.
 */
export function shuffledBatches(ds: ArrayDataset, options: ShuffleOptions): BatchSource {
  const dim = checkDataset(ds);
  const batchSize = checkPositiveInt('batchSize', options?.batchSize);
  const dropLast = options.dropLast ?? true;
  if (ds.split === 'test' && !options.allowHeldOut) {
    throw new DiffusionInputError('dataset.split', ds.split, 'the test split is held out for evaluation; train on the train split');
  }
  if (dropLast && batchSize > ds.n) {
    throw new DiffusionInputError('batchSize', batchSize, `larger than the data set (n = ${ds.n}) with dropLast`);
  }
  const rng = new Rng(options.seed);
  let epoch = 0;
  let cursor = 0;
  let step = 0;
  let epochRng = rng.getState();
  let perm = shuffledIndices(ds.n, rng);
  const startEpoch = () => {
    epoch++;
    cursor = 0;
    epochRng = rng.getState();
    perm = shuffledIndices(ds.n, rng);
  };
  return {
    shape: ds.shape,
    dim,
    batchSize,
    next() {
      const remaining = ds.n - cursor;
      if (remaining === 0 || (dropLast && remaining < batchSize)) startEpoch();
      const take = Math.min(batchSize, ds.n - cursor);
      const indices = perm.slice(cursor, cursor + take);
      const b = gather(ds, dim, indices, step, epoch);
      cursor += take;
      step++;
      return b;
    },
    getState(): ShuffleState {
      return { kind: 'shuffle', n: ds.n, batchSize, dropLast, epoch, cursor, step, epochRng: structuredClone(epochRng) };
    },
    setState(state) {
      const s = checkStateKind(state, 'shuffle');
      checkStateField(s, 'n', ds.n);
      checkStateField(s, 'batchSize', batchSize);
      checkStateField(s, 'dropLast', dropLast);
      if (!Number.isInteger(s.cursor) || s.cursor < 0 || s.cursor > ds.n) throw new DiffusionInputError('state.cursor', s.cursor, `must be an integer in 0..${ds.n}`);
      if (!Number.isInteger(s.step) || s.step < 0) throw new DiffusionInputError('state.step', s.step, 'must be a non-negative integer');
      if (!Number.isInteger(s.epoch) || s.epoch < 0) throw new DiffusionInputError('state.epoch', s.epoch, 'must be a non-negative integer');
      rng.setState(s.epochRng);
      epochRng = rng.getState();
      perm = shuffledIndices(ds.n, rng);
      epoch = s.epoch;
      cursor = s.cursor;
      step = s.step;
    },
  };
}

/**
 * The data set in its stored order, batch after batch (the last batch may be short), starting
 * over after the end. For evaluation, e.g. on the held-out test split.
 */
export function sequentialBatches(ds: ArrayDataset, options: { batchSize: number }): BatchSource {
  const dim = checkDataset(ds);
  const batchSize = checkPositiveInt('batchSize', options?.batchSize);
  let cursor = 0;
  let step = 0;
  let epoch = 0;
  return {
    shape: ds.shape,
    dim,
    batchSize,
    next() {
      if (cursor === ds.n) {
        cursor = 0;
        epoch++;
      }
      const take = Math.min(batchSize, ds.n - cursor);
      const indices = new Uint32Array(take);
      for (let k = 0; k < take; k++) indices[k] = cursor + k;
      const b = gather(ds, dim, indices, step, epoch);
      cursor += take;
      step++;
      return b;
    },
    getState(): SequentialState {
      return { kind: 'sequential', n: ds.n, batchSize, cursor, step, epoch };
    },
    setState(state) {
      const s = checkStateKind(state, 'sequential');
      checkStateField(s, 'n', ds.n);
      checkStateField(s, 'batchSize', batchSize);
      if (!Number.isInteger(s.cursor) || s.cursor < 0 || s.cursor > ds.n) throw new DiffusionInputError('state.cursor', s.cursor, `must be an integer in 0..${ds.n}`);
      cursor = s.cursor;
      step = s.step;
      epoch = s.epoch;
    },
  };
}

/** A sampler of synthetic data: n independent draws, each a vector of the data dimension. */
export type SyntheticSampler = (rng: Rng, n: number) => Float64Array[];

export interface SyntheticOptions {
  /** Data dimension d: every drawn vector must have this length. */
  dim: number;
  batchSize: number;
  seed: number;
  /** Shape of one example (default [dim]); its product must equal dim. */
  shape?: readonly number[];
}

function checkDraw(draw: unknown, n: number, dim: number, what: string): Float64Array[] {
  if (!Array.isArray(draw) || draw.length !== n) {
    throw new DiffusionInputError(what, Array.isArray(draw) ? `${draw.length} vectors` : draw, `the sampler must return ${n} vectors`);
  }
  for (let k = 0; k < n; k++) {
    const v = draw[k];
    if (!(v instanceof Float64Array) || v.length !== dim) {
      throw new DiffusionInputError(`${what}[${k}]`, v instanceof Float64Array ? `length ${v.length}` : v, `must be a Float64Array of length dim = ${dim}`);
    }
    for (let i = 0; i < dim; i++) {
      if (!Number.isFinite(v[i])) throw new DiffusionInputError(`${what}[${k}][${i}]`, v[i], 'non-finite value from the sampler');
    }
  }
  return draw as Float64Array[];
}

function packRows(rows: Float64Array[], dim: number): Float32Array {
  const x = new Float32Array(rows.length * dim);
  for (let k = 0; k < rows.length; k++) x.set(rows[k], k * dim);
  return x;
}

function checkShape(shape: readonly number[] | undefined, dim: number): readonly number[] {
  if (shape === undefined) return [dim];
  if (!Array.isArray(shape) || shape.length === 0) throw new DiffusionInputError('shape', shape, 'must be a non-empty array of positive integers');
  shape.forEach((s, i) => checkPositiveInt(`shape[${i}]`, s));
  const prod = shape.reduce((a, b) => a * b, 1);
  if (prod !== dim) throw new DiffusionInputError('shape', shape, `product ${prod} must equal dim = ${dim}`);
  return [...shape];
}

/**
 * Endless batches of fresh synthetic draws: batch k = sampler(rng, batchSize) with the source's own
 * seeded Rng. Each batch carries the float32 packing (`x`, same layout as image batches) and the
 * float64 draws (`rows`). Resumable: the state is the Rng state.
 */
export function syntheticBatches(sampler: SyntheticSampler, options: SyntheticOptions): BatchSource {
  if (typeof sampler !== 'function') throw new DiffusionInputError('sampler', sampler, 'must be a function (rng, n) => Float64Array[]');
  const dim = checkPositiveInt('dim', options?.dim);
  const batchSize = checkPositiveInt('batchSize', options.batchSize);
  const shape = checkShape(options.shape, dim);
  const rng = new Rng(options.seed);
  let step = 0;
  return {
    shape,
    dim,
    batchSize,
    next() {
      const rows = checkDraw(sampler(rng, batchSize), batchSize, dim, `sampler output (batch ${step})`);
      const b: Batch = { x: packRows(rows, dim), size: batchSize, shape, rows, step, epoch: 0 };
      step++;
      return b;
    },
    getState(): SyntheticState {
      return { kind: 'synthetic', dim, batchSize, step, rng: rng.getState() };
    },
    setState(state) {
      const s = checkStateKind(state, 'synthetic');
      checkStateField(s, 'dim', dim);
      checkStateField(s, 'batchSize', batchSize);
      rng.setState(s.rng);
      step = s.step;
    },
  };
}

/**
 * A finite synthetic training set: n draws made once with `seed`, as an ArrayDataset, so that
 * `shuffledBatches` runs over it exactly as over MNIST (epochs, shuffling, resume).
 */
export function syntheticDataset(sampler: SyntheticSampler, options: { n: number; dim: number; seed: number; shape?: readonly number[] }): ArrayDataset {
  if (typeof sampler !== 'function') throw new DiffusionInputError('sampler', sampler, 'must be a function (rng, n) => Float64Array[]');
  const n = checkPositiveInt('n', options?.n);
  const dim = checkPositiveInt('dim', options.dim);
  const shape = checkShape(options.shape, dim);
  const rows = checkDraw(sampler(new Rng(options.seed), n), n, dim, 'sampler output');
  return { n, shape, values: packRows(rows, dim), split: 'synthetic' };
}
