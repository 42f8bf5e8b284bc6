/**
 * The golden generator: a U-Net weights folder (a golden export, a training checkpoint or a run
 * directory) loaded by the one adapter (src/train/adapter.ts) as a tensor model on the discrete VP
 * process of its schedule, sampled with the tensor tier's DDPM / DDIM (src/gpu/ancestral.ts)
 * exactly as the `sample` CLI command does: integer grid ancestralTimeGrid(T, steps, 'leading') + 0,
 * initial noise and every draw from Rng(seed), classes i mod K for a class-conditional model (no
 * guidance).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpointDir } from '../train/checkpoint.js';
import { shapeSize } from '../train/nn.js';
import { sha256, writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import type { TensorDiffusionModel, TensorSamplerFn } from '../gpu/model.js';
import { getTensorSampler } from '../gpu/samplers.js';
import { GOLDEN_UNET_FORMAT, type GoldenUnetJson, type LoadedUnet, defaultLabels, loadUnet, unetTensorModel } from '../train/adapter.js';
import { unetParamSpecs } from '../train/unet.js';
import { ancestralTimeGrid } from '../reference/ancestral.js';
import { DiffusionInputError } from '../reference/errors.js';
import { Rng } from '../reference/rng.js';

/** A loaded U-Net (the adapter's LoadedUnet: config, process, betas, weight tensors, apply, dispose). */
export type GoldenUnet = LoadedUnet;
export { GOLDEN_UNET_FORMAT, type GoldenUnetJson };

/** Write the EMA weights of training checkpoint `ckptDir` as a golden U-Net folder `outDir`. */
export function exportGoldenUnet(ckptDir: string, outDir: string, source: Record<string, unknown> = {}): GoldenUnetJson {
  const { state } = loadCheckpointDir(ckptDir);
  const specs = unetParamSpecs(state.config.unet);
  const total = specs.reduce((a, s) => a + shapeSize(s.shape), 0);
  const buf = new Float32Array(total);
  let off = 0;
  for (const s of specs) {
    buf.set(state.ema.get(s.name)!, off);
    off += shapeSize(s.shape);
  }
  const bytes = new Uint8Array(buf.buffer);
  const json: GoldenUnetJson = {
    format: GOLDEN_UNET_FORMAT,
    config: state.config,
    step: state.step,
    source: { checkpoint: ckptDir, emaUpdates: state.emaUpdates, finalLosses: state.losses.slice(-20), evals: state.evals, ...source },
    weightsSha256: sha256(bytes),
    weightsManifest: [{ paths: ['ema.bin'], weights: specs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: 'float32' as const })) }],
  };
  writeFileAtomic(join(outDir, 'ema.bin'), bytes);
  writeJsonAtomic(join(outDir, 'model.json'), json);
  return json;
}

/**
 * Load a U-Net: a golden U-Net folder (model.json + ema.bin, see exportGoldenUnet), a training
 * checkpoint directory (manifest.json; its EMA (default) or raw weights) or a run directory (its
 * latest checkpoint). The adapter of src/train/adapter.ts.
 */
export function loadGoldenUnet(dir: string, which: 'ema' | 'raw' = 'ema'): GoldenUnet {
  return loadUnet(dir, { weights: which });
}

/** The sampler settings of one golden statistic configuration. */
export interface GenerateSpec {
  sampler: 'ddim' | 'ddpm';
  steps: number;
  n: number;
  /** DDIM η (default 0). */
  eta?: number;
}

/** The class labels used for n samples of a K-class model (i mod K), or null when unconditional. */
export function sampleLabels(g: GoldenUnet, n: number): number[] | null {
  return defaultLabels(g.unet, n);
}

/** The U-Net as a TensorDiffusionModel for a batch conditioned on `labels`. */
export function tensorModel(g: GoldenUnet, labels: number[] | null): TensorDiffusionModel {
  return unetTensorModel(g, { labels });
}

/**
 * n samples (n·D floats on [-1, 1], clamped) from seed: x_T = Rng(seed).normals(n·D), then the
 * sampler with the same Rng for its draws. `samplerOverride` replaces the registry's sampler
 * (golden/golden.test.ts uses it to show that a perturbed kernel fails the gate).
 */
export function generate(g: GoldenUnet, spec: GenerateSpec, seed: number, options: { samplerOverride?: TensorSamplerFn; onStep?: (i: number, total: number) => void } = {}): Float32Array {
  const T = g.config.schedule.T;
  if (!Number.isInteger(spec.steps) || spec.steps < 1 || spec.steps > T) throw new DiffusionInputError('spec.steps', spec.steps, `must be an integer in 1..${T}`);
  if (!Number.isInteger(spec.n) || spec.n < 1) throw new DiffusionInputError('spec.n', spec.n, 'must be a positive integer');
  const D = g.unet.imageSize * g.unet.imageSize * g.unet.inChannels;
  const model = tensorModel(g, sampleLabels(g, spec.n));
  const grid = ancestralTimeGrid(T, spec.steps, 'leading');
  const rng = new Rng(seed);
  const x0 = tf.tensor2d(Float32Array.from(rng.normals(spec.n * D)), [spec.n, D]);
  const fn = options.samplerOverride ?? getTensorSampler(spec.sampler);
  const out = fn(model, x0, grid, {
    rng,
    eta: spec.eta ?? 0,
    variance: 'posterior',
    denoiseLastStep: true,
    callback: options.onStep ? (info) => options.onStep!(info.i + 1, grid.length - 1) : undefined,
  } as Parameters<TensorSamplerFn>[3]);
  const px = Float32Array.from(out.dataSync() as Float32Array, (v) => Math.min(1, Math.max(-1, v)));
  out.dispose();
  x0.dispose();
  return px;
}
