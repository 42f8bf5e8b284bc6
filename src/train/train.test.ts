/**
 * Trainer tests (issue 5): Adam against the float64 reference Adam, clipping, EMA, timestep
 * samplers, the loss weightings' objective conversion, the loss falls on a tiny U-Net, and
 * reproducibility (same seed → identical loss arrays).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend.js';
import { Adam } from './optimizer.js';
import { Ema } from './ema.js';
import { LossSecondMomentSampler, UniformSampler } from './timestep_sampler.js';
import { Trainer, lossWeightTable, validateTrainConfig, type TrainConfig } from './index.js';
import { mixtureData } from './train_data.js';
import { adamStep } from '../reference/layers/adam.js';
import { Rng } from '../reference/rng.js';
import { betaSchedule, makeSchedule } from '../reference/schedules.js';
import { qSample } from '../reference/forward.js';
import { vFromEpsAndX0, predictEpsFromX0 } from '../reference/parameterization.js';

beforeAll(async () => {
  await selectBackend({ log: false });
});

const U32 = 2 ** -24;

/** A tiny run: 8×8 mixture images, U-Net 8-16, batch 16. */
function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return validateTrainConfig({
    unet: { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 16, timeHiddenDim: 32, numClasses: over.classCond ? 10 : 0 },
    batchSize: 16,
    lr: 2e-3,
    warmupSteps: 10,
    evalSize: 32,
    ...over,
  });
}
const tinyData = (c: TrainConfig) => mixtureData({ imageSize: 8, batchSize: c.batchSize, seed: c.seed, nTrain: 512, nTest: 64 });

describe('Adam', () => {
  it('matches the float64 reference Adam step for step (no clipping, no warm-up)', () => {
    const rng = new Rng(21);
    const n = 50;
    const theta0 = rng.normals(n);
    const v = tf.variable(tf.tensor1d(Float32Array.from(theta0)));
    const opt = new Adam([v], { lr: 0.01, eps: 1e-8 });
    let ref = { theta: Float64Array.from(theta0, Math.fround), state: { m: new Float64Array(n), v: new Float64Array(n) } };
    for (let k = 1; k <= 5; k++) {
      const g = Float64Array.from(rng.normals(n), Math.fround);
      const gt = tf.tensor1d(Float32Array.from(g));
      opt.apply([gt]);
      ref = adamStep(ref.theta, g, ref.state, k, { lr: 0.01, eps: 1e-8 });
    }
    const got = v.dataSync();
    // Tolerance: each update lr·m̂/(√v̂+ε) is computed in float32 with ~10 roundings (relative
    // error ≤ 10u of a step of size ≤ lr·(1-β1)/√(1-β2)·… ≈ lr), plus the rounding of θ itself
    // (u·|θ|) per step: |Δθ| ≤ 5·(10u·lr·3 + u·|θ|). With u = 6e-8, lr = 0.01, |θ| ≤ 4: ≤ 1.3e-6.
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i] - ref.theta[i]) / (U32 * (150 * 0.01 + 5 * (Math.abs(ref.theta[i]) + 1))));
    expect(worst).toBeLessThanOrEqual(1);
    const st = opt.getState();
    expect(st.step).toBe(5);
    for (let i = 0; i < n; i++) expect(Math.abs(st.m[0][i] - ref.state.m[i])).toBeLessThan(1e-6);
    opt.dispose();
    v.dispose();
  });

  it('clips the global gradient norm and warms the learning rate up linearly', () => {
    const a = tf.variable(tf.tensor1d([0, 0]));
    const b = tf.variable(tf.tensor1d([0]));
    const opt = new Adam([a, b], { lr: 1, beta1: 0.5, clipNorm: 1, warmupSteps: 4 });
    // global norm of ([3, 0], [4]) = 5 → scaled by 1/5
    const info = opt.apply([tf.tensor1d([3, 0]), tf.tensor1d([4])]);
    expect(info.gradNorm).toBeCloseTo(5, 6);
    expect(info.clipScale).toBeCloseTo(1 / 5, 6);
    expect(info.lr).toBe(0.25);
    const st = opt.getState();
    // m = (1-β1)·g·(1/5) = 0.5·[0.6, 0], [0.8]
    expect(st.m[0][0]).toBeCloseTo(0.3, 6);
    expect(st.m[1][0]).toBeCloseTo(0.4, 6);
    // an unclipped small gradient is left alone
    const info2 = opt.apply([tf.tensor1d([0.1, 0]), tf.tensor1d([0])]);
    expect(info2.clipScale).toBe(1);
    expect(info2.lr).toBe(0.5);
    expect(() => opt.apply([tf.tensor1d([NaN, 0]), tf.tensor1d([0])])).toThrow(/non-finite gradient norm/);
    expect(() => new Adam([a], { lr: -1 })).toThrow(/^lr:/);
    opt.dispose();
  });

  it('getState/setState restores the exact moments and step count', () => {
    const rng = new Rng(5);
    const v = tf.variable(tf.tensor1d(Float32Array.from(rng.normals(7))));
    const opt = new Adam([v], { lr: 0.1 });
    opt.apply([tf.tensor1d(Float32Array.from(rng.normals(7)))]);
    const st = opt.getState();
    const opt2 = new Adam([v], { lr: 0.1 });
    opt2.setState(st);
    const st2 = opt2.getState();
    expect(st2.step).toBe(1);
    expect(Array.from(st2.m[0])).toEqual(Array.from(st.m[0]));
    expect(Array.from(st2.v[0])).toEqual(Array.from(st.v[0]));
    expect(() => opt2.setState({ step: 1, m: [new Float32Array(3)], v: [new Float32Array(3)] })).toThrow(/shape mismatch/);
  });
});

describe('EMA', () => {
  it('follows ema_k = d_k·ema_{k-1} + (1-d_k)·θ_k with the warm-up decay', () => {
    const p = tf.variable(tf.tensor1d([1]));
    const ema = new Ema({ p }, ['p'], { decay: 0.9 });
    let expected = 1;
    const thetas = [2, 4, -1, 3, 3, 0.5];
    thetas.forEach((th, i) => {
      p.assign(tf.tensor1d([th]));
      ema.update();
      const d = Math.min(0.9, (2 + i) / (11 + i));
      expected = d * expected + (1 - d) * th;
    });
    expect(ema.params().p.dataSync()[0]).toBeCloseTo(expected, 5);
    expect(ema.updates).toBe(6);
    expect(ema.decayAt(1000)).toBe(0.9);
  });
});

describe('timestep samplers', () => {
  it('uniform: t ∈ {1..T}, weight 1, every t reachable', () => {
    const s = new UniformSampler(5);
    const { t, weights } = s.sample(2000, new Rng(1));
    const counts = new Array(6).fill(0);
    for (const x of t) counts[x]++;
    expect(counts[0]).toBe(0);
    for (let k = 1; k <= 5; k++) expect(counts[k]).toBeGreaterThan(0);
    expect(Array.from(weights).every((w) => w === 1)).toBe(true);
  });

  it('importance (loss second moment): uniform until warmed up, then p ∝ √E[L²], unbiased weights', () => {
    const T = 4;
    const s = new LossSecondMomentSampler(T, 3, 0.01);
    expect(s.warmedUp()).toBe(false);
    expect(Array.from(s.probabilities())).toEqual([0.25, 0.25, 0.25, 0.25]);
    // losses: t=1 → 1, t=2 → 2, t=3 → 3, t=4 → 4, three each
    for (let r = 0; r < 3; r++) s.update([1, 2, 3, 4], [1, 2, 3, 4]);
    expect(s.warmedUp()).toBe(true);
    const p = s.probabilities();
    for (let t = 1; t <= T; t++) expect(p[t - 1]).toBeCloseTo(0.99 * (t / 10) + 0.01 / T, 12);
    // unbiasedness: Σ_t p(t)·w(t)·f(t) = mean_t f(t) for the weights the sampler returns
    const f = [0.3, -1, 7, 2];
    const { t, weights } = s.sample(4000, new Rng(3));
    const wOf = new Map<number, number>();
    t.forEach((x, i) => wOf.set(x, weights[i]));
    let acc = 0;
    for (let k = 1; k <= T; k++) acc += p[k - 1] * wOf.get(k)! * f[k - 1];
    expect(acc).toBeCloseTo((0.3 - 1 + 7 + 2) / 4, 10);
    // and the empirical frequencies follow p: a z-test per t at false-alarm rate 1e-6 (Bonferroni
    // over 4 values: |z| < 5.45 each)
    for (let k = 1; k <= T; k++) {
      const c = Array.from(t).filter((x) => x === k).length;
      const z = (c - 4000 * p[k - 1]) / Math.sqrt(4000 * p[k - 1] * (1 - p[k - 1]));
      expect(Math.abs(z)).toBeLessThan(5.45);
    }
    // state round trip
    const s2 = new LossSecondMomentSampler(T, 3, 0.01);
    s2.setState(JSON.parse(JSON.stringify(s.getState())));
    expect(Array.from(s2.probabilities())).toEqual(Array.from(p));
    expect(() => s2.update([5], [1])).toThrow(/t\[0\].*out of range/);
    expect(() => s2.setState({ kind: 'uniform', T })).toThrow(/importance sampler state/);
  });
});

describe('loss weightings (F4) across objectives', () => {
  it('weight·MSE is the same for ε, x_0 and v predictions derived from one x̂_0 (snr, min-snr, vlb)', () => {
    const sched = makeSchedule(betaSchedule('linear', 1000));
    const rng = new Rng(8);
    const D = 16;
    for (const weighting of ['snr', 'min-snr', 'vlb'] as const) {
      const w = { eps: lossWeightTable(sched, 'eps', weighting), x0: lossWeightTable(sched, 'x0', weighting), v: lossWeightTable(sched, 'v', weighting) };
      for (const t of [1, 2, 50, 500, 999, 1000]) {
        const x0 = rng.normals(D);
        const eps = rng.normals(D);
        const xt = qSample(sched, x0, t, eps);
        const x0hat = Float64Array.from(x0, (v) => v + 0.1 * rng.normal());
        const epsHat = predictEpsFromX0(sched, xt, t, x0hat);
        const vTrue = vFromEpsAndX0(sched, t, eps, x0);
        const vHat = vFromEpsAndX0(sched, t, epsHat, x0hat);
        const mse = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, x, i) => s + (x - b[i]) ** 2, 0) / D;
        const lx = w.x0[t - 1] * mse(x0, x0hat);
        const le = w.eps[t - 1] * mse(eps, epsHat);
        const lv = w.v[t - 1] * mse(vTrue, vHat);
        // float64 throughout; x̂_0 → ε̂ divides by √(1-ᾱ_t) (≈ 0.01 at t = 1): relative error ≲ 1e-10
        expect(Math.abs(le - lx) / lx).toBeLessThan(1e-8);
        expect(Math.abs(lv - lx) / lx).toBeLessThan(1e-8);
      }
    }
    expect(Array.from(lossWeightTable(sched, 'v', 'simple')).every((x) => x === 1)).toBe(true);
    expect(() => lossWeightTable(sched, 'eps', 'bogus' as 'snr')).toThrow(/weighting/);
  });
});

describe('training a tiny U-Net', () => {
  it('the loss falls: mean of the last 50 of 200 steps < 0.8 × mean of the first 50 (seed 0)', () => {
    const c = tinyConfig();
    const tensorsAtStart = tf.memory().numTensors;
    const tr = new Trainer(c, tinyData(c));
    const tensorsBefore = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) tr.trainStep();
    expect(tf.memory().numTensors).toBe(tensorsBefore); // no tensor leak per step
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const first = mean(tr.losses.slice(0, 50));
    const last = mean(tr.losses.slice(150));
    expect(last).toBeLessThan(0.8 * first);
    const ev = tr.evaluate();
    expect(ev.loss).toBeLessThan(first);
    tr.dispose();
    expect(tf.memory().numTensors).toBe(tensorsAtStart); // dispose frees weights, moments and EMA
  });

  it('is reproducible: same seed → identical loss arrays; another seed → different (all objectives, importance sampling, class-conditional)', () => {
    const run = (over: Partial<TrainConfig>, steps: number) => {
      const c = tinyConfig(over);
      const tr = new Trainer(c, tinyData(c));
      for (let i = 0; i < steps; i++) tr.trainStep();
      const out = { losses: [...tr.losses], ev: tr.evaluate() };
      tr.dispose();
      return out;
    };
    for (const over of [{ objective: 'eps' as const }, { objective: 'v' as const, weighting: 'min-snr' as const, classCond: true }, { objective: 'x0' as const, weighting: 'vlb' as const, sampler: 'importance' as const, schedule: { name: 'linear' as const, T: 20 } }]) {
      const a = run({ ...over, seed: 7 }, 25);
      const b = run({ ...over, seed: 7 }, 25);
      const c = run({ ...over, seed: 8 }, 25);
      expect(b.losses).toEqual(a.losses);
      expect(b.ev).toEqual(a.ev);
      expect(c.losses).not.toEqual(a.losses);
      expect(a.losses.every(Number.isFinite)).toBe(true);
    }
  });

  it('importance sampling kicks in once every t has its history (T = 20)', () => {
    const c = tinyConfig({ sampler: 'importance', schedule: { name: 'linear', T: 20 } });
    const tr = new Trainer(c, tinyData(c));
    const s = tr.sampler as LossSecondMomentSampler;
    let k = 0;
    while (!s.warmedUp() && k < 200) {
      tr.trainStep();
      k++;
    }
    expect(s.warmedUp()).toBe(true);
    // 20 t × 10 losses each = 200 examples at least, i.e. ≥ 13 steps of 16
    expect(k).toBeGreaterThanOrEqual(13);
    const p = s.probabilities();
    expect(p.every((x) => x >= 0.001 / 20)).toBe(true);
    expect(Math.max(...p)).toBeGreaterThan(Math.min(...p));
    // the next batch is drawn from p, with importance weights 1/(T·p(t))
    const { t, weights } = s.sample(8, new Rng(1));
    t.forEach((x, i) => expect(weights[i]).toBeCloseTo(1 / (20 * p[x - 1]), 9));
    tr.dispose();
  });

  it('rejects inconsistent configs naming the field', () => {
    expect(() => tinyConfig({ objective: 'score' as 'eps' })).toThrow(/objective/);
    expect(() => tinyConfig({ labelDropout: 1 })).toThrow(/labelDropout/);
    expect(() => validateTrainConfig({ unet: { imageSize: 8, channels: [8], groups: 4 }, classCond: true })).toThrow(/numClasses/);
    const c = tinyConfig();
    expect(() => new Trainer(c, mixtureData({ imageSize: 16, batchSize: 16, seed: 0, nTrain: 32, nTest: 8 }))).toThrow(/shape mismatch/);
  });
});
