/**
 * The golden VLB (src/golden/bpd.ts) on a tiny random U-Net checkpoint (8×8 images, T = 12):
 * the 'all' estimator reproduces the float64 reference's `vlb` draw for draw (same Rng order, the
 * same float32 U-Net as the denoiser on both sides), and the stratified plan covers every t once.
 *
 * Tolerance of 'all' vs reference: the denoiser output is the same float32 function on both sides;
 * what differs is vbTerms' float32 arithmetic (x_t, posterior and model means, KL, decoder CDF)
 * against float64. Each per-dimension term has relative error ≲ 1e3·u_f32 ≈ 6e-5 (the KL of the
 * means is amplified by e^{-log σ²} with σ² ≥ β̃_2 ≈ 1e-3·β_1 here, and erf's absolute error 1.5e-7
 * in the decoder), and summing 64 non-negative terms keeps that relative bound: we allow 2e-4 of the
 * total per image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend.js';
import { saveCheckpoint } from '../train/checkpoint.js';
import { initParamValues, shapeSize } from '../train/nn.js';
import { validateTrainConfig, type TrainerState } from '../train/config.js';
import { unetParamSpecs, type UNetConfig } from '../train/unet.js';
import { vlb, type VlbResult } from '../reference/elbo.js';
import { Rng } from '../reference/rng.js';
import { makeSchedule } from '../reference/schedules.js';
import { timestepPlan, vlbBitsPerDim } from './bpd.js';
import { loadGoldenUnet, type GoldenUnet } from './generate.js';

const dir = mkdtempSync(join(tmpdir(), 'golden-bpd-'));
let g: GoldenUnet;

beforeAll(async () => {
  await selectBackend({ log: false });
  const unet: UNetConfig = { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 8], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses: 3 };
  const config = validateTrainConfig({ unet, schedule: { name: 'linear', T: 12 }, classCond: true, batchSize: 4, evalSize: 4 });
  const specs = unetParamSpecs(config.unet);
  const zeros = () => specs.map((s) => new Float32Array(shapeSize(s.shape)));
  const state: TrainerState = {
    config,
    step: 1,
    params: initParamValues(specs, new Rng(1)),
    ema: initParamValues(specs, new Rng(2)),
    emaUpdates: 1,
    adam: { step: 1, m: zeros(), v: zeros() },
    rng: new Rng(0).getState(),
    data: null,
    sampler: null,
    losses: [1],
    evals: [],
  };
  g = loadGoldenUnet(saveCheckpoint(dir, state), 'ema');
});
afterAll(() => {
  g?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('vlbBitsPerDim', () => {
  it("'all' reproduces the reference vlb draw for draw (class-conditional tiny U-Net)", () => {
    const m = 3;
    const D = 64;
    const rng = new Rng(7);
    const x0 = Float32Array.from({ length: m * D }, () => rng.int(256) / 127.5 - 1);
    const labels = [2, 0, 1];
    const ours = vlbBitsPerDim(g, x0, labels, { seed: 11, tSamples: 'all', rowsPerCall: 5 });
    const refRng = new Rng(11);
    const s = makeSchedule(g.betas);
    for (let i = 0; i < m; i++) {
      const row = Float64Array.from(x0.subarray(i * D, (i + 1) * D));
      const denoiser = (xt: Float64Array, t: number) =>
        tf.tidy(() => g.apply(tf.tensor2d(Float32Array.from(xt), [1, D]), [t], [labels[i]]).dataSync().slice() as Float32Array);
      const r = vlb(s, denoiser, row, refRng) as VlbResult;
      expect(Math.abs(ours.perImage[i] - r.total)).toBeLessThanOrEqual(2e-4 * r.total);
    }
    expect(ours.evaluations).toBe(m * 12);
    expect(ours.mean).toBeCloseTo((ours.perImage[0] + ours.perImage[1] + ours.perImage[2]) / 3, 10);
  });

  it('the stratified estimator evaluates K + 1 timesteps and needs labels for a conditional model', () => {
    const x0 = new Float32Array(2 * 64).fill(-1);
    const r = vlbBitsPerDim(g, x0, [0, 1], { seed: 1, tSamples: 4 });
    expect(r.evaluations).toBeLessThanOrEqual(2 * 5);
    expect(Number.isFinite(r.mean) && r.mean > 0).toBe(true);
    expect(() => vlbBitsPerDim(g, x0, null, { seed: 1, tSamples: 4 })).toThrow(/labels/);
    expect(() => vlbBitsPerDim(g, x0.subarray(0, 10), [0], { seed: 1, tSamples: 4 })).toThrow(/x0/);
  });
});

describe('timestepPlan', () => {
  it('t = 1 once, then one t per (log-spaced) stratum of 2..T with weights summing to T - 1 (unbiased stratified sum)', () => {
    const rng = new Rng(3);
    for (const [T, K] of [[1000, 24], [12, 4], [12, 11], [50, 7]]) {
      const plan = timestepPlan(T, K, rng);
      expect(plan[0]).toEqual({ t: 1, w: 1 });
      expect(plan.length).toBeLessThanOrEqual(K + 1);
      expect(plan.length).toBeGreaterThan(1);
      expect(plan[1]).toEqual({ t: 2, w: 1 }); // the first stratum is t = 2 alone
      expect(plan[plan.length - 1].w).toBe(Math.max(...plan.map((p) => p.w))); // the widest stratum is the last (log spacing)
      expect(plan.slice(1).reduce((a, p) => a + p.w, 0)).toBe(T - 1);
      let lo = 2;
      for (const p of plan.slice(1)) {
        expect(p.t).toBeGreaterThanOrEqual(lo);
        expect(p.t).toBeLessThan(lo + p.w);
        lo += p.w;
      }
      expect(lo).toBe(T + 1);
    }
    expect(timestepPlan(5, 'all', rng).map((p) => p.t)).toEqual([1, 2, 3, 4, 5]);
    expect(() => timestepPlan(5, 5, rng)).toThrow(/tSamples/);
  });
});
