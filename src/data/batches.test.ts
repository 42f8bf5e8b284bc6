import { describe, expect, it } from 'vitest';
import { DiffusionInputError } from '../reference/errors.js';
import { Rng } from '../reference/rng.js';
import { type ArrayDataset, type BatchSourceState, sequentialBatches, shuffledBatches, shuffledIndices, syntheticBatches, syntheticDataset } from './batches.js';

/** Example i is the 2×2 image filled with the value i, label i % 10. */
function toyDataset(n: number, split?: string): ArrayDataset {
  const values = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) values.fill(i, i * 4, i * 4 + 4);
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  return { n, shape: [2, 2], values, labels, split };
}

describe('shuffledBatches', () => {
  it('each epoch visits every example once (dropLast: 10 examples, batch 3 → 3 batches/epoch, 9 distinct)', () => {
    const src = shuffledBatches(toyDataset(10), { batchSize: 3, seed: 1 });
    expect(src.dim).toBe(4);
    const epochs: number[][] = [[], [], []];
    for (let k = 0; k < 9; k++) {
      const b = src.next();
      expect(b.size).toBe(3);
      expect(b.step).toBe(k);
      expect(b.epoch).toBe(Math.floor(k / 3));
      // rows are the examples named by indices, labels follow
      for (let r = 0; r < 3; r++) {
        expect(Array.from(b.x.subarray(r * 4, r * 4 + 4))).toEqual([0, 1, 2, 3].map(() => b.indices![r]));
        expect(b.labels![r]).toBe(b.indices![r] % 10);
      }
      epochs[b.epoch].push(...b.indices!);
    }
    for (const e of epochs) expect(new Set(e).size).toBe(9);
    expect(epochs[0]).not.toEqual(epochs[1]);
  });

  it('without dropLast the last batch of an epoch is short and the epoch covers all examples', () => {
    const src = shuffledBatches(toyDataset(7), { batchSize: 3, seed: 2, dropLast: false });
    const sizes = [src.next(), src.next(), src.next()].map((b) => b.size);
    expect(sizes).toEqual([3, 3, 1]);
    const b = src.next();
    expect(b.epoch).toBe(1);
  });

  it('save/restore: a resumed source yields exactly the batches of an uninterrupted one', () => {
    const a = shuffledBatches(toyDataset(23), { batchSize: 5, seed: 42 });
    for (let k = 0; k < 7; k++) a.next(); // into the second epoch (4 batches/epoch)
    const state = JSON.parse(JSON.stringify(a.getState())) as BatchSourceState;
    const expected = Array.from({ length: 10 }, () => Array.from(a.next().indices!));
    // A fresh source with a different seed: the state alone determines the continuation.
    const b = shuffledBatches(toyDataset(23), { batchSize: 5, seed: 7 });
    b.setState(state);
    const got = Array.from({ length: 10 }, () => Array.from(b.next().indices!));
    expect(got).toEqual(expected);
    expect(b.getState()).toEqual(a.getState());
  });

  it('state from a different source shape is rejected, naming the field', () => {
    const a = shuffledBatches(toyDataset(23), { batchSize: 5, seed: 42 });
    const b = shuffledBatches(toyDataset(24), { batchSize: 5, seed: 42 });
    expect(() => b.setState(a.getState())).toThrow(/state\.n/);
    const c = shuffledBatches(toyDataset(23), { batchSize: 4, seed: 42 });
    expect(() => c.setState(a.getState())).toThrow(/state\.batchSize/);
    expect(() => c.setState({ kind: 'synthetic' } as never)).toThrow(/not a shuffle/);
  });

  it('the held-out test split is refused for training unless asked for', () => {
    expect(() => shuffledBatches(toyDataset(10, 'test'), { batchSize: 2, seed: 0 })).toThrow(/held out/);
    expect(() => shuffledBatches(toyDataset(10, 'test'), { batchSize: 2, seed: 0, allowHeldOut: true })).not.toThrow();
  });

  it('bad arguments are named', () => {
    expect(() => shuffledBatches(toyDataset(4), { batchSize: 5, seed: 0 })).toThrow(/batchSize.*larger than the data set/);
    expect(() => shuffledBatches(toyDataset(4), { batchSize: 0, seed: 0 })).toThrow(DiffusionInputError);
    expect(() => shuffledBatches({ n: 2, shape: [3], values: new Float32Array(5) }, { batchSize: 1, seed: 0 })).toThrow(/dataset\.values/);
  });

  it('Fisher-Yates: the first element is uniform (χ², 4 dof, false-alarm rate 1e-3)', () => {
    // 5000 permutations of 5: counts of p[0] ~ Multinomial(5000, 1/5). The 0.999 quantile of χ²
    // with 4 degrees of freedom is 18.467 (standard table), so a correct shuffle fails with
    // probability 1e-3; the seed is fixed, so the outcome is reproducible.
    const rng = new Rng(12345);
    const counts = [0, 0, 0, 0, 0];
    const N = 5000;
    for (let k = 0; k < N; k++) counts[shuffledIndices(5, rng)[0]]++;
    const chi2 = counts.reduce((a, c) => a + (c - N / 5) ** 2 / (N / 5), 0);
    expect(chi2).toBeLessThan(18.467);
  });
});

describe('sequentialBatches', () => {
  it('walks the data in order with a short last batch, then starts over; resumable', () => {
    const src = sequentialBatches(toyDataset(5, 'test'), { batchSize: 2 });
    const idx = [src.next(), src.next(), src.next(), src.next()].map((b) => Array.from(b.indices!));
    expect(idx).toEqual([[0, 1], [2, 3], [4], [0, 1]]);
    const s = src.getState();
    const after = Array.from(src.next().indices!);
    src.setState(s);
    expect(Array.from(src.next().indices!)).toEqual(after);
  });
});

describe('synthetic batches (e.g. a Gaussian mixture with a known answer)', () => {
  /** Two-component mixture in 2-D, written here so the test needs no other module. */
  const mixture = (rng: Rng, n: number) =>
    Array.from({ length: n }, () => {
      const c = rng.uniform() < 0.5 ? -2 : 2;
      return Float64Array.from([c + 0.1 * rng.normal(), -c + 0.1 * rng.normal()]);
    });

  it('batches have the image-batch layout: x = float32 packing of the float64 rows', () => {
    const src = syntheticBatches(mixture, { dim: 2, batchSize: 4, seed: 3 });
    const b = src.next();
    expect(b.size).toBe(4);
    expect(b.shape).toEqual([2]);
    expect(b.x.length).toBe(8);
    for (let k = 0; k < 4; k++) for (let i = 0; i < 2; i++) expect(b.x[k * 2 + i]).toBe(Math.fround(b.rows![k][i]));
    // the draws come from the sampler with the source's seeded rng
    const direct = mixture(new Rng(3), 4);
    expect(b.rows).toEqual(direct);
  });

  it('resume reproduces the continuation', () => {
    const a = syntheticBatches(mixture, { dim: 2, batchSize: 3, seed: 9 });
    a.next();
    a.next();
    const s = JSON.parse(JSON.stringify(a.getState()));
    const want = [a.next(), a.next()].map((b) => Array.from(b.x));
    const b = syntheticBatches(mixture, { dim: 2, batchSize: 3, seed: 0 });
    b.setState(s);
    expect([b.next(), b.next()].map((x) => Array.from(x.x))).toEqual(want);
    expect(b.next().step).toBe(4);
  });

  it('a sampler returning wrong shapes or non-finite values is reported', () => {
    const short = syntheticBatches((_r, n) => Array.from({ length: n - 1 }, () => new Float64Array(2)), { dim: 2, batchSize: 3, seed: 0 });
    expect(() => short.next()).toThrow(/must return 3 vectors/);
    const wide = syntheticBatches((_r, n) => Array.from({ length: n }, () => new Float64Array(3)), { dim: 2, batchSize: 3, seed: 0 });
    expect(() => wide.next()).toThrow(/length dim = 2/);
    const nan = syntheticBatches((_r, n) => Array.from({ length: n }, () => Float64Array.from([0, NaN])), { dim: 2, batchSize: 1, seed: 0 });
    expect(() => nan.next()).toThrow(/\[0\]\[1\].*non-finite/);
    expect(() => syntheticBatches(mixture, { dim: 4, batchSize: 1, seed: 0, shape: [3] })).toThrow(/shape/);
  });

  it('syntheticDataset: a fixed finite sample that shuffledBatches can iterate', () => {
    const ds = syntheticDataset(mixture, { n: 50, dim: 2, seed: 5 });
    expect(ds.values.length).toBe(100);
    const src = shuffledBatches(ds, { batchSize: 10, seed: 1 });
    const seen = new Set<number>();
    for (let k = 0; k < 5; k++) src.next().indices!.forEach((i) => seen.add(i));
    expect(seen.size).toBe(50);
  });
});
