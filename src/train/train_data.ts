/**
 * Training data for the U-Net trainer: the `TrainData` interface (batches with a saveable
 * position plus a fixed held-out set), an adapter over the seeded, resumable batch sources of
 * src/data/batches.ts, MNIST, and a synthetic Gaussian-mixture image set.
 */
import { type ArrayDataset, type BatchSource, imageArrayDataset, shuffledBatches } from '../data/batches.js';
import { loadMnist } from '../data/mnist.js';
import { DiffusionInputError } from '../reference/errors.js';
import { Rng } from '../reference/rng.js';

export interface Batch {
  /** N·H·W·C pixels (NHWC), scaled to [-1, 1] for MNIST. */
  x: Float32Array;
  /** N labels in {0..numClasses-1} (all 0 when the data set has no labels). */
  labels: Int32Array;
}

export interface HeldOut extends Batch {
  n: number;
}

/** A training set with a seeded batch iterator whose position can be saved and restored. */
export interface TrainData {
  readonly name: string;
  readonly imageSize: number;
  readonly channels: number;
  readonly numClasses: number;
  nextBatch(n: number): Batch;
  /** The first `n` examples of the held-out split (fixed: the same every call). */
  heldOut(n: number): HeldOut;
  getState(): unknown;
  setState(state: unknown): void;
}

export interface ImageArrays {
  /** n·H·W·C pixels. */
  images: Float32Array;
  labels: Uint8Array;
  n: number;
}

/** TrainData over a shuffled, resumable BatchSource (src/data/batches.ts) and a held-out set. */
export class SourceData implements TrainData {
  readonly name: string;
  readonly imageSize: number;
  readonly channels: number;
  readonly numClasses: number;
  private readonly source: BatchSource;
  private readonly test: ImageArrays;
  private readonly dim: number;

  constructor(opts: { name: string; imageSize: number; channels: number; numClasses: number; source: BatchSource; test: ImageArrays }) {
    this.name = opts.name;
    this.imageSize = opts.imageSize;
    this.channels = opts.channels;
    this.numClasses = opts.numClasses;
    this.source = opts.source;
    this.test = opts.test;
    this.dim = opts.imageSize * opts.imageSize * opts.channels;
    if (this.source.dim !== this.dim) throw new DiffusionInputError('source.dim', this.source.dim, `shape mismatch: expected ${this.dim} values per image`);
    if (this.test.images.length !== this.test.n * this.dim || this.test.labels.length !== this.test.n) {
      throw new DiffusionInputError('test', `n=${this.test.n}`, 'shape mismatch between held-out images, labels and n');
    }
  }

  nextBatch(n: number): Batch {
    if (n !== this.source.batchSize) throw new DiffusionInputError('n', n, `this data source yields batches of ${this.source.batchSize}`);
    const b = this.source.next();
    return { x: b.x, labels: b.labels ? Int32Array.from(b.labels) : new Int32Array(b.size) };
  }

  heldOut(n: number): HeldOut {
    const m = Math.min(n, this.test.n);
    return { x: this.test.images.slice(0, m * this.dim), labels: Int32Array.from(this.test.labels.subarray(0, m)), n: m };
  }

  getState(): unknown {
    return { name: this.name, source: this.source.getState() };
  }

  setState(state: unknown): void {
    const s = state as { name?: string; source?: unknown };
    if (!s || s.name !== this.name) throw new DiffusionInputError('data state', s?.name, `belongs to another data set (this one is ${JSON.stringify(this.name)})`);
    this.source.setState(s.source as ReturnType<BatchSource['getState']>);
  }
}

/** MNIST (src/data/mnist.ts): the train split (optionally its first `limit` images) shuffled by `seed`; held out = the test split. */
export function mnistData(opts: { batchSize: number; seed: number; limit?: number }): SourceData {
  const train = loadMnist({ split: 'train', limit: opts.limit });
  const test = loadMnist({ split: 'test' });
  const source = shuffledBatches(imageArrayDataset(train), { batchSize: opts.batchSize, seed: opts.seed });
  return new SourceData({
    name: `mnist-train${opts.limit ? `-first${opts.limit}` : ''}`,
    imageSize: 28,
    channels: 1,
    numClasses: 10,
    source,
    test: { images: test.images, labels: test.labels, n: test.n },
  });
}

/**
 * A Gaussian mixture of images: K template images μ_k (a bright rectangle on a dark background,
 * rectangles drawn from Rng(templateSeed)), each example μ_k + σ·z with z ~ N(0, I) and k uniform.
 * A data set whose every noised marginal p_t is known in closed form (catalog section G), so a
 * trained model can be compared with the exact optimal denoiser.
 */
export function mixtureTemplates(imageSize: number, K: number, templateSeed = 20240917): Float32Array[] {
  const rng = new Rng(templateSeed);
  const S = imageSize;
  const out: Float32Array[] = [];
  for (let k = 0; k < K; k++) {
    const t = new Float32Array(S * S).fill(-1);
    const h = 2 + rng.int(Math.max(1, Math.floor(S / 2)));
    const w = 2 + rng.int(Math.max(1, Math.floor(S / 2)));
    const r0 = rng.int(Math.max(1, S - h + 1));
    const c0 = rng.int(Math.max(1, S - w + 1));
    for (let r = r0; r < Math.min(S, r0 + h); r++) for (let c = c0; c < Math.min(S, c0 + w); c++) t[r * S + c] = 1;
    out.push(t);
  }
  return out;
}

export function sampleMixtureImages(templates: Float32Array[], n: number, sigma: number, rng: Rng): ImageArrays {
  const D = templates[0].length;
  const images = new Float32Array(n * D);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(templates.length);
    labels[i] = k;
    const t = templates[k];
    for (let j = 0; j < D; j++) images[i * D + j] = t[j] + sigma * rng.normal();
  }
  return { images, labels, n };
}

/** The synthetic mixture data set (train and held-out splits drawn from disjoint seeds), shuffled by `seed`. */
export function mixtureData(opts: { imageSize: number; batchSize: number; seed: number; K?: number; sigma?: number; nTrain?: number; nTest?: number }): SourceData {
  const K = opts.K ?? 10;
  if (!Number.isInteger(K) || K < 1 || K > 255) throw new DiffusionInputError('K', K, 'must be an integer in 1..255');
  const sigma = opts.sigma ?? 0.1;
  const templates = mixtureTemplates(opts.imageSize, K);
  const train = sampleMixtureImages(templates, opts.nTrain ?? 4096, sigma, new Rng(1_000_003));
  const test = sampleMixtureImages(templates, opts.nTest ?? 512, sigma, new Rng(1_000_033));
  const ds: ArrayDataset = { n: train.n, shape: [opts.imageSize, opts.imageSize], values: train.images, labels: train.labels, split: 'train' };
  return new SourceData({
    name: `mixture-${opts.imageSize}px-K${K}-sigma${sigma}-n${train.n}`,
    imageSize: opts.imageSize,
    channels: 1,
    numClasses: K,
    source: shuffledBatches(ds, { batchSize: opts.batchSize, seed: opts.seed }),
    test,
  });
}
