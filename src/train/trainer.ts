/**
 * The diffusion trainer of the TensorFlow.js tier (issue 5; the run loop is ./loop.ts, the config ./config.ts): ε / x_0 / v objectives, the loss
 * weightings of catalog F4, uniform or loss-aware importance timestep sampling, Adam with warm-up
 * and global-norm clipping, EMA weights, class-conditional training with label dropout, a
 * held-out evaluation loss, and a state that a checkpoint captures completely.
 *
 * Reproducibility: every random number (initial weights, timesteps, label dropout, noise ε) comes
 * from the seeded `Rng` of src/reference/rng.ts and is generated in JS, then uploaded — never
 * tf.random*. With the same seed and the same backend two runs give identical loss arrays, and a
 * run resumed from a checkpoint continues the uninterrupted run's curve exactly.
 *
 * One step (Ho et al. 2020 Algorithm 1, generalized):
 *   x_0 ~ data, t ~ sampler, ε ~ N(0, I),  x_t = √ᾱ_t x_0 + √(1-ᾱ_t) ε       (B2, reference qSample)
 *   target = ε | x_0 | v = √ᾱ_t ε - √(1-ᾱ_t) x_0                              (D2, reference)
 *   L = (1/B) Σ_i  imp_i · w(t_i) · mean_pixels (f_θ(x_t, t, y) - target)²
 * where w is the weighting table (`lossWeightTable`) and imp_i the sampler's importance weight.
 * x_t and the target are computed in float64 on the host by the reference functions and uploaded
 * in float32.
 */
import * as tf from '@tensorflow/tfjs';
import { syncReadable } from '../gpu/deferred.js';
import { DiffusionInputError } from '../reference/errors.js';
import { qSample } from '../reference/forward.js';
import { flowTrainingPair, sampleLogitNormal } from '../reference/flow.js';
import { vFromEpsAndX0 } from '../reference/parameterization.js';
import { Rng } from '../reference/rng.js';
import { type Schedule, betaSchedule, makeSchedule } from '../reference/schedules.js';
import { type EvalRecord, type StepResult, type TrainConfig, type TrainerInit, type TrainerState, validateTrainConfig } from './config.js';
import { Ema } from './ema.js';
import type { ParamSet } from './nn.js';
import { Adam } from './optimizer.js';
import { type TimestepSampler, makeTimestepSampler } from './timestep_sampler.js';
import type { TrainData } from './train_data.js';
import { UNet, type UNetConfig, unetApply } from './unet.js';
import { lossWeightTable } from './weights.js';

/** A prepared batch (or a part of one) on the host: everything the loss needs. */
export interface Shard {
  /** 1-based timesteps. */
  t: Int32Array;
  /** Labels fed to the model (null class = numClasses) or null (unconditional). */
  y: Int32Array | null;
  /** x_t, NHWC flattened. */
  xt: Float32Array;
  /** The objective's target (ε, x_0 or v). */
  target: Float32Array;
  /** Per-example weights: importance weight × w(t). */
  w: Float32Array;
}

/** Split a batch into `count` contiguous shards (sizes differ by at most one; earlier ones larger). */
export function splitShards(prep: Shard, count: number): Shard[] {
  const n = prep.t.length;
  if (!Number.isInteger(count) || count < 1 || count > n) throw new DiffusionInputError('count', count, `must be an integer in 1..${n} (the batch size)`);
  const D = prep.xt.length / n;
  const out: Shard[] = [];
  let start = 0;
  for (let k = 0; k < count; k++) {
    const m = Math.floor(n / count) + (k < n % count ? 1 : 0);
    const end = start + m;
    out.push({
      t: prep.t.slice(start, end),
      y: prep.y ? prep.y.slice(start, end) : null,
      xt: prep.xt.slice(start * D, end * D),
      target: prep.target.slice(start * D, end * D),
      w: prep.w.slice(start, end),
    });
    start = end;
  }
  return out;
}

/**
 * The loss of a shard as tensors: per-example pixel-mean squared errors and
 * L_shard = (1/batchTotal)·Σ_{i∈shard} w_i·mse_i (summing L_shard over the shards of a batch gives
 * the batch loss).
 */
export function shardLossTensors(config: UNetConfig, params: ParamSet, prep: Shard, batchTotal: number) {
  const n = prep.t.length;
  const S = config.imageSize;
  const C = config.inChannels;
  const xt = tf.tensor4d(prep.xt, [n, S, S, C]);
  const target = tf.tensor4d(prep.target, [n, S, S, C]);
  const pred = unetApply(config, params, xt, prep.t, prep.y);
  const perExample = tf.mean(tf.squaredDifference(pred, target), [1, 2, 3]);
  const loss = tf.div(tf.sum(tf.mul(perExample, tf.tensor1d(prep.w))), batchTotal) as tf.Scalar;
  return { perExample, loss };
}

/** Flow-objective times: t_i = ⌈T·sigmoid(z_i)⌉ clamped to {1..T} (sampleLogitNormal, then the T-level grid); weights 1. */
export function flowTimesteps(n: number, T: number, rng: Rng): { t: Int32Array; weights: Float64Array } {
  const tau = sampleLogitNormal(rng, n, 0, 1);
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = Math.min(T, Math.max(1, Math.ceil(T * tau[i])));
  return { t, weights: new Float64Array(n).fill(1) };
}

export interface ShardResult {
  /** L_shard (see shardLossTensors). */
  loss: number;
  perExample: Float32Array;
}

/** L_shard, its per-example MSEs, and ∇L_shard for every variable (in `varList` order; caller disposes). */
export function shardGradients(config: UNetConfig, vars: Record<string, tf.Variable>, varList: tf.Variable[], prep: Shard, batchTotal: number): ShardResult & { grads: tf.Tensor[] } {
  let perExample: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const r = shardLossTensors(config, vars, prep, batchTotal);
    perExample = tf.keep(r.perExample);
    return r.loss;
  }, varList);
  const loss = (value.dataSync() as Float32Array)[0];
  const pe = ((perExample as unknown as tf.Tensor).dataSync() as Float32Array).slice();
  value.dispose();
  (perExample as unknown as tf.Tensor).dispose();
  return { loss, perExample: pe, grads: varList.map((v) => grads[v.name]) };
}

/** shardGradients with asynchronous reads (webgpu: no synchronous read in Node). */
export async function shardGradientsAsync(config: UNetConfig, vars: Record<string, tf.Variable>, varList: tf.Variable[], prep: Shard, batchTotal: number): Promise<ShardResult & { grads: tf.Tensor[] }> {
  let perExample: tf.Tensor | null = null;
  const { value, grads } = tf.variableGrads(() => {
    const r = shardLossTensors(config, vars, prep, batchTotal);
    perExample = tf.keep(r.perExample);
    return r.loss;
  }, varList);
  const pet = perExample as unknown as tf.Tensor;
  const [lv, pv] = await Promise.all([value.data(), pet.data()]);
  value.dispose();
  pet.dispose();
  return { loss: (lv as Float32Array)[0], perExample: (pv as Float32Array).slice(), grads: varList.map((v) => grads[v.name]) };
}

/** Something that computes shard gradients elsewhere (worker threads: src/train/parallel.ts). */
export interface GradientWorkerPool {
  readonly count: number;
  /** Gradients of `shards[k]` on weights `values` (variable order), as float32 arrays. */
  compute(shards: Shard[], values: Float32Array[], batchTotal: number): Promise<(ShardResult & { grads: Float32Array[] })[]>;
}

export class Trainer {
  readonly config: TrainConfig;
  readonly data: TrainData;
  readonly schedule: Schedule;
  readonly weights: Float64Array;
  readonly model: UNet;
  readonly adam: Adam;
  readonly ema: Ema;
  readonly sampler: TimestepSampler;
  readonly rng: Rng;
  step = 0;
  losses: number[] = [];
  evals: EvalRecord[] = [];
  private readonly dim: number;

  /** A fresh run (`state` absent) or a restored one. */
  constructor(config: TrainConfig, data: TrainData, state?: TrainerState, init?: TrainerInit) {
    this.config = validateTrainConfig(config);
    const u = this.config.unet;
    if (data.imageSize !== u.imageSize || data.channels !== u.inChannels || u.outChannels !== u.inChannels) {
      throw new DiffusionInputError('data', `${data.name} (${data.imageSize}×${data.imageSize}×${data.channels})`, `shape mismatch: the U-Net expects ${u.imageSize}×${u.imageSize}×${u.inChannels} in and out`);
    }
    if (this.config.classCond && data.numClasses !== u.numClasses) {
      throw new DiffusionInputError('unet.numClasses', u.numClasses, `must equal the data set's ${data.numClasses} classes`);
    }
    this.data = data;
    this.dim = u.imageSize * u.imageSize * u.inChannels;
    this.schedule = makeSchedule(betaSchedule(this.config.schedule.name, this.config.schedule.T));
    this.weights =
      this.config.objective === 'flow'
        ? new Float64Array(this.config.schedule.T).fill(1)
        : lossWeightTable(this.schedule, this.config.objective, this.config.weighting, {
            minSnrGamma: this.config.minSnrGamma,
            vlbVariance: this.config.vlbVariance,
          });
    // Stream layout of the seed: Rng(seed) initializes the weights; Rng(seed + 1) drives training.
    if (init && state) throw new DiffusionInputError('init', '(starting weights)', 'a resumed run takes its weights from its own checkpoint');
    if (init && !this.config.initFrom) throw new DiffusionInputError('config.initFrom', undefined, 'starting weights need their provenance in config.initFrom');
    if (!init && !state && this.config.initFrom) throw new DiffusionInputError('init', undefined, `config.initFrom names ${this.config.initFrom.checkpoint} but no starting weights were given`);
    this.model = state ? new UNet(u, { values: state.params }) : init ? new UNet(u, { values: init.params }) : new UNet(u, { seed: this.config.seed });
    this.adam = new Adam(this.model.varList(), { lr: this.config.lr, warmupSteps: this.config.warmupSteps, clipNorm: this.config.clipNorm });
    this.ema = new Ema(this.model.vars, this.model.specs.map((s) => s.name), { decay: this.config.emaDecay });
    this.sampler = makeTimestepSampler(this.config.sampler, this.config.schedule.T);
    this.rng = new Rng(this.config.seed + 1);
    if (init) this.ema.setValues(init.ema, init.emaUpdates);
    if (state) {
      if (JSON.stringify(validateTrainConfig(state.config)) !== JSON.stringify(this.config)) {
        throw new DiffusionInputError('state.config', '(checkpoint config)', 'does not match the trainer config');
      }
      this.adam.setState(state.adam);
      this.ema.setValues(state.ema, state.emaUpdates);
      this.rng.setState(state.rng);
      this.data.setState(state.data);
      this.sampler.setState(state.sampler);
      this.step = state.step;
      this.losses = [...state.losses];
      this.evals = state.evals.map((e) => ({ ...e }));
      if (this.losses.length !== this.step) throw new DiffusionInputError('state.losses', `length ${this.losses.length}`, `must have one loss per step (step = ${this.step})`);
    }
  }

  /**
   * Host-side preparation of a batch: x_t and the target (float64 → float32) and per-example
   * weights. Draws t (sampler), label dropout (one uniform per example, always drawn), then ε
   * (row by row), in this order, from `rng`.
   */
  prepareBatch(x0: Float32Array, labels: Int32Array, rng: Rng, sampler: TimestepSampler, labelDropout: number): Shard {
    const n = labels.length;
    const D = this.dim;
    const flow = this.config.objective === 'flow';
    const T = this.config.schedule.T;
    // flow: t = ⌈T·sigmoid(z)⌉ ∈ {1..T}, z ~ N(0, 1) (logit-normal on the T-level grid; config.ts)
    const { t, weights: imp } = flow ? flowTimesteps(n, T, rng) : sampler.sample(n, rng);
    let y: Int32Array | null = null;
    if (this.config.classCond) {
      y = new Int32Array(n);
      const K = this.config.unet.numClasses;
      for (let i = 0; i < n; i++) y[i] = rng.uniform() < labelDropout ? K : labels[i];
    }
    const xt = new Float32Array(n * D);
    const target = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      const x0row = Float64Array.from(x0.subarray(i * D, (i + 1) * D));
      const eps = rng.normals(D);
      if (flow) {
        const pair = flowTrainingPair(x0row, eps, t[i] / T);
        xt.set(pair.xt, i * D);
        target.set(pair.target, i * D);
        continue;
      }
      xt.set(qSample(this.schedule, x0row, t[i], eps), i * D);
      const tgt = this.config.objective === 'eps' ? eps : this.config.objective === 'x0' ? x0row : vFromEpsAndX0(this.schedule, t[i], eps, x0row);
      target.set(tgt, i * D);
    }
    const w = new Float32Array(n);
    for (let i = 0; i < n; i++) w[i] = imp[i] * this.weights[t[i] - 1];
    return { t, y, xt, target, w };
  }

  private lossTensors(params: ParamSet, prep: Shard) {
    return shardLossTensors(this.config.unet, params, prep, prep.t.length);
  }

  /** One optimization step (single thread). */
  trainStep(): StepResult {
    const prep = this.nextPrepared();
    const r = shardGradients(this.config.unet, this.model.vars, this.model.varList(), prep, prep.t.length);
    return this.finishStep(prep, r.loss, r.perExample, r.grads);
  }

  /**
   * One optimization step, data-parallel when `workers` is given: the batch (prepared exactly as
   * in `trainStep`, same random numbers) is split into 1 + workers.count contiguous shards; this
   * thread computes the first, each worker one more, on a copy of the current weights; the
   * gradients ∇(1/B)Σ_{i∈shard} w_i·mse_i are summed in shard order. The result equals trainStep's
   * up to float32 rounding of the sums, and is reproducible for a fixed worker count.
   */
  async trainStepAsync(workers?: GradientWorkerPool | null): Promise<StepResult> {
    if (!syncReadable()) {
      // webgpu: every read asynchronous (no worker threads: the GPU is the parallelism).
      if (workers && workers.count > 0) throw new DiffusionInputError('workers', workers.count, 'gradient worker threads are not supported on the webgpu backend (use 1)');
      const prep = this.nextPrepared();
      const r = await shardGradientsAsync(this.config.unet, this.model.vars, this.model.varList(), prep, prep.t.length);
      let norm: number;
      try {
        norm = await this.adam.gradNormAsync(r.grads);
      } catch (e) {
        for (const g of r.grads) g.dispose();
        throw e;
      }
      return this.finishStep(prep, r.loss, r.perExample, r.grads, norm);
    }
    if (!workers || workers.count === 0) return this.trainStep();
    const prep = this.nextPrepared();
    const B = prep.t.length;
    const shards = splitShards(prep, 1 + workers.count);
    const vars = this.model.varList();
    const values = vars.map((v) => v.dataSync() as Float32Array);
    const pending = workers.compute(shards.slice(1), values, B);
    const mine = shardGradients(this.config.unet, this.model.vars, vars, shards[0], B);
    let others: (ShardResult & { grads: Float32Array[] })[];
    try {
      others = await pending;
    } catch (err) {
      for (const g of mine.grads) g.dispose();
      throw err;
    }
    const grads = mine.grads.map((g, i) =>
      tf.tidy(() => others.reduce<tf.Tensor>((acc, o) => tf.add(acc, tf.tensor(o.grads[i], g.shape, 'float32')), g)),
    );
    for (const g of mine.grads) g.dispose();
    let loss = mine.loss;
    for (const o of others) loss += o.loss;
    const pe = new Float32Array(B);
    let off = 0;
    for (const r of [mine, ...others]) {
      pe.set(r.perExample, off);
      off += r.perExample.length;
    }
    return this.finishStep(prep, Math.fround(loss), pe, grads);
  }

  private nextPrepared(): Shard {
    const batch = this.data.nextBatch(this.config.batchSize);
    return this.prepareBatch(batch.x, batch.labels, this.rng, this.sampler, this.config.labelDropout);
  }

  /** Adam update (disposes `grads`), EMA, sampler history, bookkeeping. */
  private finishStep(prep: Shard, loss: number, pe: Float32Array, grads: tf.Tensor[], gradNorm?: number): StepResult {
    let info;
    try {
      if (!Number.isFinite(loss)) throw new DiffusionInputError('loss', loss, `non-finite loss at step ${this.step + 1}: training diverged`);
      info = this.adam.apply(grads, gradNorm);
    } finally {
      for (const g of grads) g.dispose();
    }
    this.ema.update();
    // The importance sampler learns from the weighted (not importance-reweighted) per-example losses.
    const lossesForSampler = Array.from(pe, (l, i) => l * this.weights[prep.t[i] - 1]);
    this.sampler.update(prep.t, lossesForSampler);
    this.step += 1;
    this.losses.push(loss);
    return { step: this.step, loss, gradNorm: info.gradNorm, lr: info.lr };
  }

  /**
   * Held-out loss of the raw and of the EMA weights: the first `evalSize` held-out examples, t
   * uniform, the true labels, and noise from Rng(seed + 2) drawn afresh at every evaluation — the
   * same (t, ε) every time, so evaluations are comparable across steps and touch no training state.
   */
  evaluate(): EvalRecord {
    let sum = 0;
    let sumEma = 0;
    for (const { prep, m } of this.heldOutBatches()) {
      for (const [params, isEma] of [[this.model.vars as ParamSet, false], [this.ema.params(), true]] as const) {
        const l = tf.tidy(() => this.lossTensors(params, prep).loss);
        const v = (l.dataSync() as Float32Array)[0] * m;
        l.dispose();
        if (isEma) sumEma += v;
        else sum += v;
      }
    }
    return this.recordEval(sum, sumEma);
  }

  /** `evaluate` with asynchronous reads (the same numbers; for webgpu, which has no synchronous read). */
  async evaluateAsync(): Promise<EvalRecord> {
    if (syncReadable()) return this.evaluate();
    let sum = 0;
    let sumEma = 0;
    for (const { prep, m } of this.heldOutBatches()) {
      for (const [params, isEma] of [[this.model.vars as ParamSet, false], [this.ema.params(), true]] as const) {
        const l = tf.tidy(() => this.lossTensors(params, prep).loss);
        const v = (await l.data())[0] * m;
        l.dispose();
        if (isEma) sumEma += v;
        else sum += v;
      }
    }
    return this.recordEval(sum, sumEma);
  }

  /**
   * The held-out batches of an evaluation: the first `evalSize` held-out examples, t uniform, the
   * true labels, and noise from Rng(seed + 2) drawn afresh at every evaluation — the same (t, ε)
   * every time, so evaluations are comparable across steps and touch no training state.
   */
  private heldOutBatches(): { prep: Shard; m: number }[] {
    const held = this.data.heldOut(this.config.evalSize);
    const rng = new Rng(this.config.seed + 2);
    const uniform = makeTimestepSampler('uniform', this.config.schedule.T);
    const B = this.config.batchSize;
    const out: { prep: Shard; m: number }[] = [];
    for (let start = 0; start < held.n; start += B) {
      const m = Math.min(B, held.n - start);
      const x0 = held.x.subarray(start * this.dim, (start + m) * this.dim);
      const labels = held.labels.subarray(start, start + m);
      out.push({ prep: this.prepareBatch(x0, labels, rng, uniform, 0), m });
    }
    return out;
  }

  private recordEval(sum: number, sumEma: number): EvalRecord {
    const n = this.data.heldOut(this.config.evalSize).n;
    const rec = { step: this.step, loss: sum / n, emaLoss: sumEma / n };
    this.evals.push(rec);
    return rec;
  }

  /**
   * Reads every variable of the model, the EMA and Adam asynchronously, so that `getState` (which
   * reads synchronously) then finds their values cached on the host: needed on webgpu.
   */
  async prefetchState(): Promise<void> {
    if (syncReadable()) return;
    await Promise.all([...this.model.varList(), ...this.ema.variables(), ...this.adam.moments()].map((v) => v.data()));
  }

  getState(): TrainerState {
    return {
      config: this.config,
      step: this.step,
      params: this.model.values(),
      ema: this.ema.values(),
      emaUpdates: this.ema.updates,
      adam: this.adam.getState(),
      // Rng.getState can report a state word as a signed int32 (an XOR in rng.ts is not coerced to
      // uint32) which Rng.setState rejects; the arithmetic is mod 2^32, so normalize.
      rng: this.rng.getState(),
      data: this.data.getState(),
      sampler: this.sampler.getState(),
      losses: [...this.losses],
      evals: this.evals.map((e) => ({ ...e })),
    };
  }

  dispose(): void {
    this.model.dispose();
    this.adam.dispose();
    this.ema.dispose();
  }
}
