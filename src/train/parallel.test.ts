/**
 * Data-parallel training (worker threads): the same step as the single-thread trainer up to
 * float32 summation order, reproducible for a fixed worker count, and clean failure reporting.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendChoice } from '../backend/backend.js';
import { GradientWorkers } from './parallel.js';
import { Trainer, splitShards, validateTrainConfig, type TrainConfig } from './index.js';
import { mixtureData } from './train_data.js';

let backend: BackendChoice;
let script: string;
beforeAll(async () => {
  backend = await selectBackend({ log: false });
  // The worker runs outside vitest's TypeScript transform: bundle it (packages stay external).
  const root = resolve(__dirname, '../..');
  const outDir = join(root, 'node_modules', '.cache', 'diffusion-oracle-tests');
  mkdirSync(outDir, { recursive: true });
  script = join(outDir, `parallel_worker-${process.pid}.mjs`);
  await build({ entryPoints: [join(root, 'src/train/parallel_worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: script, logLevel: 'error' });
});
afterAll(() => rmSync(script, { force: true }));

function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return validateTrainConfig({
    unet: { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 16, timeHiddenDim: 32, numClasses: 10 },
    batchSize: 15, // not divisible by 2: shards of 8 and 7
    lr: 2e-3,
    warmupSteps: 3,
    classCond: true,
    sampler: 'importance',
    schedule: { name: 'linear', T: 20 },
    ...over,
  });
}
const data = (c: TrainConfig) => mixtureData({ imageSize: 8, batchSize: c.batchSize, seed: c.seed, nTrain: 128, nTest: 16 });

describe('data-parallel gradients', () => {
  it('splitShards: contiguous, sizes differ by at most one, nothing lost', () => {
    const n = 7;
    const prep = { t: Int32Array.from({ length: n }, (_, i) => i + 1), y: null, xt: Float32Array.from({ length: 2 * n }, (_, i) => i), target: new Float32Array(2 * n), w: new Float32Array(n).fill(1) };
    const s = splitShards(prep, 3);
    expect(s.map((x) => x.t.length)).toEqual([3, 2, 2]);
    expect(s.flatMap((x) => Array.from(x.t))).toEqual(Array.from(prep.t));
    expect(s.flatMap((x) => Array.from(x.xt))).toEqual(Array.from(prep.xt));
    expect(() => splitShards(prep, 8)).toThrow(/count/);
  });

  it('2 threads = 1 thread up to float32 summation order; reproducible for a fixed thread count', async () => {
    const c = tinyConfig();
    const tensorsBefore = tf.memory().numTensors;
    const workers = await GradientWorkers.start({ count: 1, backend: backend.name, unet: c.unet, script });
    try {
      const runs: number[][] = [];
      for (const w of [null, workers, workers]) {
        const tr = new Trainer(c, data(c));
        for (let i = 0; i < 10; i++) await tr.trainStepAsync(w);
        runs.push([...tr.losses]);
        tr.dispose();
      }
      const [single, par1, par2] = runs;
      expect(par2).toEqual(par1);
      // Step 1: same weights, same batch; the loss is a sum of B = 15 float32 terms, summed in one
      // reduction or as two partial sums: |Δ| ≤ 2·B·u·Σ|terms| ≈ 2·15·6e-8 = 1.8e-6 relative.
      expect(Math.abs(par1[0] - single[0]) / single[0]).toBeLessThan(2e-6);
      // Later steps: gradients that differ by O(B·u) relatively move Adam's normalized updates by
      // about lr·B·u per step (≈ 2e-3·1e-6): after 10 steps the losses agree to far better than 1e-4.
      for (let i = 0; i < 10; i++) expect(Math.abs(par1[i] - single[i]) / single[i]).toBeLessThan(1e-4);
    } finally {
      await workers.terminate();
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore); // no tensors leak from the gradient summation
  });

  it('a missing worker script is reported by path', async () => {
    await expect(GradientWorkers.start({ count: 1, backend: backend.name, unet: tinyConfig().unet, script: '/nonexistent/worker.mjs' })).rejects.toThrow(/^script: gradient worker script not found.*"\/nonexistent\/worker\.mjs"/);
  });
});
