/**
 * The golden generator: a U-Net checkpoint (src/train/checkpoint.ts format) loaded as a tensor model
 * on the discrete VP process of its schedule, sampled with the tensor tier's DDPM / DDIM
 * (src/gpu/ancestral.ts) exactly as the `sample` CLI command does: integer grid
 * ancestralTimeGrid(T, steps, 'leading') + 0, initial noise and every draw from Rng(seed), classes
 * i mod K for a class-conditional model (no guidance).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadCheckpointDir } from '../train/checkpoint.js';
import { shapeSize } from '../train/nn.js';
import { sha256, writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';
import { makeTensorModel, type TensorDiffusionModel, type TensorSamplerFn } from '../gpu/model.js';
import { getTensorSampler } from '../gpu/samplers.js';
import type { TrainConfig } from '../train/train.js';
import { unetApply, unetParamSpecs, validateUNetConfig, type UNetConfig } from '../train/unet.js';
import { ancestralTimeGrid } from '../reference/ancestral.js';
import { DiffusionInputError } from '../reference/errors.js';
import { discreteVpProcess, type Process } from '../reference/model.js';
import { Rng } from '../reference/rng.js';
import { betaSchedule } from '../reference/schedules.js';

export interface GoldenUnet {
  dir: string;
  config: TrainConfig;
  unet: UNetConfig;
  step: number;
  process: Process;
  betas: Float64Array;
  params: Record<string, tf.Tensor>;
  /** ε̂/x̂_0/v̂ (config.objective) of x [n, D] at per-row 1-based timesteps t, conditioned on labels (or null). */
  apply(x: tf.Tensor2D, t: ArrayLike<number>, labels: ArrayLike<number> | null): tf.Tensor2D;
  dispose(): void;
}

export const GOLDEN_UNET_FORMAT = 'diffusion-oracle-golden-unet';

/**
 * The committed form of the golden U-Net (golden/unet/): model.json (the training config, step,
 * provenance and a tfjs weights manifest) and ema.bin (the EMA weights, float32, in
 * unetParamSpecs order): the ~1.8 MB a sampler needs, without the raw weights and Adam moments
 * of a full training checkpoint (src/train/checkpoint.ts).
 */
export interface GoldenUnetJson {
  format: typeof GOLDEN_UNET_FORMAT;
  config: TrainConfig;
  step: number;
  source: Record<string, unknown>;
  weightsSha256: string;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

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

function readGoldenUnetFolder(dir: string): { config: TrainConfig; step: number; weights: Map<string, Float32Array>; sha: string } {
  const j = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as GoldenUnetJson;
  if (j.format !== GOLDEN_UNET_FORMAT) throw new DiffusionInputError('unet', join(dir, 'model.json'), `not a ${GOLDEN_UNET_FORMAT} file`);
  const raw = readFileSync(join(dir, 'ema.bin'));
  const sha = sha256(raw);
  if (sha !== j.weightsSha256) throw new DiffusionInputError('unet', join(dir, 'ema.bin'), 'SHA-256 does not match model.json: corrupt or replaced weights');
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const weights = new Map<string, Float32Array>();
  let off = 0;
  for (const s of unetParamSpecs(j.config.unet)) {
    const k = shapeSize(s.shape);
    if (off + k > all.length) throw new DiffusionInputError('unet', join(dir, 'ema.bin'), 'too short for the architecture in model.json');
    weights.set(s.name, all.subarray(off, off + k));
    off += k;
  }
  if (off !== all.length) throw new DiffusionInputError('unet', join(dir, 'ema.bin'), 'longer than the architecture in model.json');
  return { config: j.config, step: j.step, weights, sha };
}

/**
 * Load a U-Net: a golden U-Net folder (model.json + ema.bin, see exportGoldenUnet) or a training
 * checkpoint directory (manifest.json; its EMA (default) or raw weights).
 */
export function loadGoldenUnet(dir: string, which: 'ema' | 'raw' = 'ema'): GoldenUnet {
  let config: TrainConfig;
  let step: number;
  let src: Map<string, Float32Array>;
  if (existsSync(join(dir, 'manifest.json'))) {
    const { state } = loadCheckpointDir(dir);
    config = state.config;
    step = state.step;
    src = which === 'ema' ? state.ema : state.params;
  } else if (existsSync(join(dir, 'model.json'))) {
    if (which !== 'ema') throw new DiffusionInputError('which', which, 'a golden U-Net folder holds only the EMA weights');
    ({ config, step, weights: src } = readGoldenUnetFolder(dir));
  } else throw new DiffusionInputError('unet', dir, 'neither a golden U-Net folder (model.json) nor a training checkpoint (manifest.json)');
  const unet = validateUNetConfig(config.unet);
  const params: Record<string, tf.Tensor> = {};
  for (const s of unetParamSpecs(unet)) params[s.name] = tf.tensor(src.get(s.name)!, s.shape, 'float32');
  const betas = betaSchedule(config.schedule.name, config.schedule.T);
  const [H, C] = [unet.imageSize, unet.inChannels];
  return {
    dir,
    config,
    unet,
    step,
    process: discreteVpProcess(betas),
    betas: Float64Array.from(betas),
    params,
    apply(x, t, labels) {
      const n = x.shape[0];
      return tf.tidy(() => unetApply(unet, params, x.reshape([n, H, H, C]) as tf.Tensor4D, t, labels).reshape([n, H * H * C]) as tf.Tensor2D);
    },
    dispose() {
      for (const p of Object.values(params)) p.dispose();
    },
  };
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
  const K = g.unet.numClasses;
  return K > 0 ? Array.from({ length: n }, (_, i) => i % K) : null;
}

/** The U-Net as a TensorDiffusionModel for a batch conditioned on `labels`. */
export function tensorModel(g: GoldenUnet, labels: number[] | null): TensorDiffusionModel {
  return makeTensorModel(g.process, g.config.objective, (x, t) => g.apply(x, new Array(x.shape[0]).fill(t), labels));
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
