/**
 * The rectified-flow objective (`--objective flow`, issue 15): config rules, the batch the trainer
 * prepares (x_τ = (1-τ)x_0 + τε, target ε - x_0, τ = t/T logit-normal on the T-level grid), a tiny
 * run whose loss falls, and the adapter's flow model (process, network time T·τ).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend.js';
import { Trainer, validateTrainConfig, type TrainConfig } from './index.js';
import { flowTimesteps } from './trainer.js';
import { mixtureData } from './train_data.js';
import { unetCore, unetTensorModel } from './adapter.js';
import { sampleImages } from './preview.js';
import { modelX0 } from '../gpu/model.js';
import { Rng } from '../reference/rng.js';
import { logitNormalCdf } from '../reference/flow.js';

beforeAll(async () => {
  await selectBackend({ log: false });
});

function tinyFlow(over: Partial<TrainConfig> = {}): TrainConfig {
  return validateTrainConfig({
    unet: { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 16, timeHiddenDim: 32, numClasses: 0 },
    batchSize: 16,
    lr: 2e-3,
    warmupSteps: 10,
    evalSize: 32,
    objective: 'flow',
    ...over,
  });
}
const tinyData = (c: TrainConfig) => mixtureData({ imageSize: 8, batchSize: c.batchSize, seed: c.seed, nTrain: 512, nTest: 64 });

describe('flow objective', () => {
  it('config: weighting simple and uniform timesteps only', () => {
    expect(tinyFlow().objective).toBe('flow');
    expect(() => tinyFlow({ weighting: 'snr' })).toThrow(/weighting/);
    expect(() => tinyFlow({ sampler: 'importance' })).toThrow(/sampler/);
  });

  it('times: ⌈T·sigmoid(z)⌉ on {1..T}, the logit-normal CDF on the grid (KS at the grid points, fixed seed)', () => {
    const T = 1000;
    const n = 4000;
    const { t, weights } = flowTimesteps(n, T, new Rng(5));
    expect(weights.every((w) => w === 1)).toBe(true);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...t)).toBeLessThanOrEqual(T);
    // P(t ≤ k) = P(sigmoid(z) ≤ k/T) = Φ(logit(k/T)); two-sided KS critical value at α = 1e-3 is 1.949/√n
    const sorted = Array.from(t).sort((a, b) => a - b);
    let D = 0;
    for (const k of [50, 200, 400, 500, 600, 800, 950]) {
      const emp = sorted.filter((v) => v <= k).length / n;
      D = Math.max(D, Math.abs(emp - logitNormalCdf(k / T)));
    }
    expect(D).toBeLessThan(1.949 / Math.sqrt(n));
  });

  it('the prepared batch is x_τ = (1-τ)x_0 + τε with target ε - x_0 (same random numbers)', () => {
    const c = tinyFlow();
    const tr = new Trainer(c, tinyData(c));
    const x0 = new Float32Array(16 * 64).map((_, i) => Math.sin(i));
    const labels = new Int32Array(16);
    const prep = tr.prepareBatch(x0, labels, new Rng(3), tr.sampler, 0);
    const rng = new Rng(3);
    const { t } = flowTimesteps(16, c.schedule.T, rng);
    expect(Array.from(prep.t)).toEqual(Array.from(t));
    for (let i = 0; i < 16; i++) {
      const eps = rng.normals(64);
      const tau = t[i] / c.schedule.T;
      for (let j = 0; j < 64; j++) {
        const x = x0[i * 64 + j];
        expect(prep.xt[i * 64 + j]).toBeCloseTo(Math.fround((1 - tau) * x + tau * eps[j]), 6);
        expect(prep.target[i * 64 + j]).toBeCloseTo(Math.fround(eps[j] - x), 6);
      }
    }
    expect(Array.from(prep.w).every((w) => w === 1)).toBe(true);
    tr.dispose();
  });

  it('a tiny run learns (mean loss of the last 25 of 100 steps < 0.8 × the first 25) and samples through flow Euler', async () => {
    const c = tinyFlow();
    const tr = new Trainer(c, tinyData(c));
    for (let i = 0; i < 100; i++) tr.trainStep();
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(tr.losses.slice(75))).toBeLessThan(0.8 * mean(tr.losses.slice(0, 25)));
    const core = unetCore(c, tr.model.vars);
    expect(core.process.kind).toBe('flow');
    const m = unetTensorModel(core);
    expect(m.output).toBe('flow');
    // the network's time is T·τ: the model at τ = 0.25 is the network at t = 250
    const x = tf.randomNormal([2, 64]) as tf.Tensor2D;
    const a = m.apply(x, 0.25);
    const b = core.apply(x, [250, 250], null);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    // x̂_0 at τ = 0 (σ = 0) is x itself, as a new tensor (the CLI's final x̂_0 step disposes its input)
    const x0 = modelX0(m, x, 0);
    expect(x0).not.toBe(x);
    expect(tf.max(tf.abs(tf.sub(x0, x))).dataSync()[0]).toBe(0);
    tf.dispose([x, a, b, x0]);
    const px = await sampleImages(c, tr.model.vars, { n: 4, steps: 10, seed: 1 });
    expect(px.length).toBe(4 * 64);
    expect(px.every(Number.isFinite)).toBe(true);
    tr.dispose();
  });
});
