/**
 * The trainer's sample preview: deterministic DDIM (E2, η = 0) with the tensor tier's registry
 * sampler (src/gpu/samplers.ts `ddim`) on the model the adapter builds (./adapter.ts), so the
 * preview runs the formulas the suite checks, classifier-free guidance included (src/gpu/guidance.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { flushDeferredChecks } from '../gpu/deferred.js';
import { ancestralTimeGrid } from '../reference/ancestral.js';
import { Rng } from '../reference/rng.js';
import { getTensorSampler } from '../gpu/samplers.js';
import { makeFlowGrid } from '../reference/flow.js';
import { unetCore, unetTensorModel } from './adapter.js';
import type { TrainConfig } from './config.js';
import type { ParamSet } from './nn.js';

export interface SampleOptions {
  n: number;
  /** Number of DDIM steps (η = 0, 'trailing' spacing: the first step starts at t = T). */
  steps: number;
  /** Seed of the initial noise x_T. */
  seed: number;
  /** Labels for a class-conditional model (default i mod K). */
  labels?: ArrayLike<number>;
  /** Classifier-free guidance weight w (E9: ε̃ = (1+w)ε̂(x,y) - w·ε̂(x,∅); default: none). */
  guidance?: number;
}

/**
 * Draw images with deterministic DDIM from a U-Net parameter set (not disposed) — a preview of
 * what the model has learned: x_T = Rng(seed).normals(n·D), then the registry's `ddim` sampler
 * (η = 0) on ancestralTimeGrid(T, min(steps, T), 'trailing'). Returns N·H·W·C values (not clipped).
 */
export async function sampleImages(config: TrainConfig, params: ParamSet, opts: SampleOptions): Promise<Float32Array> {
  const core = unetCore(config, params);
  const u = core.unet;
  const D = u.imageSize * u.imageSize * u.inChannels;
  const n = opts.n;
  const labels = u.numClasses > 0 && opts.labels ? Array.from({ length: n }, (_, i) => opts.labels![i]) : undefined;
  const guidance = u.numClasses > 0 && opts.guidance !== undefined && opts.guidance !== 0 ? opts.guidance : undefined;
  const model = unetTensorModel(core, { labels, guidance });
  const T = config.schedule.T;
  const flow = config.objective === 'flow';
  // a flow model: flow Euler from τ = 1 (pure noise) to 0 on the uniform grid (one model call per step)
  const grid = flow ? Array.from(makeFlowGrid(Math.min(opts.steps, T))) : ancestralTimeGrid(T, Math.min(opts.steps, T), 'trailing');
  const rng = new Rng(opts.seed);
  const x = tf.tensor2d(Float32Array.from(rng.normals(n * D)), [n, D]);
  try {
    const out = flow
      ? getTensorSampler('flow-euler')(model, x, grid, {})
      : getTensorSampler('ddim')(model, x, grid, { rng, eta: 0 } as Parameters<ReturnType<typeof getTensorSampler>>[3]);
    // Deferred finiteness checks (webgpu: no synchronous reads), then one asynchronous read.
    await flushDeferredChecks();
    const px = ((await out.data()) as Float32Array).slice();
    out.dispose();
    return px;
  } finally {
    x.dispose();
  }
}
