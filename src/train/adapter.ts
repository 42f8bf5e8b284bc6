/**
 * The one adapter from trained U-Net weights to a `TensorDiffusionModel` (src/gpu/model.ts), used by
 * the `sample` command, the report, the golden gate and the trainer's preview.
 *
 * A weights folder is any folder the project writes:
 *   - a run directory (the `train` command's --out: `latest` names its newest checkpoint),
 *   - a checkpoint directory (ckpt-<step>/ with manifest.json: raw and EMA weights, ./checkpoint.ts),
 *   - a golden U-Net export (model.json of format diffusion-oracle-golden-unet + ema.bin: the EMA
 *     weights only, src/golden/generate.ts exportGoldenUnet; e.g. golden/unet).
 * Every file is verified (checkpoint: size and SHA-256 of every file against its manifest; golden
 * export: SHA-256 of ema.bin against model.json, length against the architecture).
 *
 * The model: the U-Net predicts its training objective (ε̂, x̂_0 or v̂: `config.objective`) on the
 * discrete VP process of its schedule (reference discreteVpProcess; continuous t ∈ [0, T], fed the
 * same 1-based t as in training). A class-conditional model is conditioned on `labels` (one per
 * batch row; default i mod K); with a guidance weight w it is the tier's classifier-free guidance
 * (src/gpu/guidance.ts, E9: ε̃ = (1 + w) ε̂(x, y) - w ε̂(x, ∅), ∅ = the null class K).
 * Backend-agnostic: the caller selects the tfjs backend (src/backend/backend.ts) before loading.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { sha256 } from '../io/atomic.js';
import { DiffusionInputError } from '../reference/errors.js';
import { discreteVpProcess, type Process } from '../reference/model.js';
import { flowProcess } from '../reference/flow.js';
import { betaSchedule } from '../reference/schedules.js';
import { classifierFreeGuidance } from '../gpu/guidance.js';
import { makeTensorModel, type TensorDiffusionModel } from '../gpu/model.js';
import { CheckpointError, latestCheckpoint, loadCheckpointDir } from './checkpoint.js';
import type { TrainConfig, TrainerState } from './config.js';
import { type ParamSet, shapeSize } from './nn.js';
import { type UNetConfig, unetApply, unetParamSpecs, validateUNetConfig } from './unet.js';

export const GOLDEN_UNET_FORMAT = 'diffusion-oracle-golden-unet';

/**
 * The committed form of a golden U-Net (golden/unet/): model.json (the training config, step,
 * provenance and a tfjs weights manifest) and ema.bin (the EMA weights, float32, in
 * unetParamSpecs order): what a sampler needs, without the raw weights and Adam moments of a full
 * training checkpoint.
 */
export interface GoldenUnetJson {
  format: typeof GOLDEN_UNET_FORMAT;
  config: TrainConfig;
  step: number;
  source: Record<string, unknown>;
  weightsSha256: string;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: 'float32' }[] }[];
}

export type WeightsKind = 'ema' | 'raw';
export type WeightsFolderKind = 'run' | 'checkpoint' | 'golden';

/** A weights folder, read and verified on the host (no tensors). */
export interface WeightsFolder {
  /** The folder as given. */
  path: string;
  kind: WeightsFolderKind;
  /** The folder the weights were read from (a run directory's latest checkpoint; else `path`). */
  dir: string;
  config: TrainConfig;
  step: number;
  which: WeightsKind;
  weights: Map<string, Float32Array>;
  /** The full trainer state (losses, evaluations, …) of a run or checkpoint; absent for a golden export. */
  state?: TrainerState;
}

/** What kind of weights folder `path` is, and the directory that holds the weights. */
export function resolveWeightsFolder(path: string): { kind: WeightsFolderKind; dir: string } {
  if (!existsSync(path) || !statSync(path).isDirectory()) throw new DiffusionInputError('weights folder', path, 'no such directory');
  if (existsSync(join(path, 'manifest.json'))) return { kind: 'checkpoint', dir: path };
  if (existsSync(join(path, 'model.json'))) return { kind: 'golden', dir: path };
  const ck = latestCheckpoint(path);
  if (ck === null) {
    throw new DiffusionInputError('weights folder', path, "neither a checkpoint (no manifest.json) nor a golden U-Net export (no model.json) nor a run directory (no 'latest' file)");
  }
  return { kind: 'run', dir: ck };
}

function readGoldenExport(dir: string): { config: TrainConfig; step: number; weights: Map<string, Float32Array> } {
  const mPath = join(dir, 'model.json');
  let j: GoldenUnetJson;
  try {
    j = JSON.parse(readFileSync(mPath, 'utf8')) as GoldenUnetJson;
  } catch (e) {
    throw new CheckpointError(mPath, `not valid JSON (${(e as Error).message})`);
  }
  if (j.format !== GOLDEN_UNET_FORMAT) throw new CheckpointError(mPath, `not a ${GOLDEN_UNET_FORMAT} file (a tfjs model.json of a checkpoint lives beside a manifest.json)`);
  const bPath = join(dir, 'ema.bin');
  if (!existsSync(bPath)) throw new CheckpointError(bPath, 'missing');
  const raw = readFileSync(bPath);
  const sha = sha256(raw);
  if (sha !== j.weightsSha256) throw new CheckpointError(bPath, `checksum mismatch: model.json says sha256 ${j.weightsSha256}, file has ${sha} (corrupt or replaced weights)`);
  const all = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const weights = new Map<string, Float32Array>();
  let off = 0;
  for (const s of unetParamSpecs(j.config.unet)) {
    const k = shapeSize(s.shape);
    if (off + k > all.length) throw new CheckpointError(bPath, 'too short for the architecture in model.json');
    weights.set(s.name, all.subarray(off, off + k));
    off += k;
  }
  if (off !== all.length) throw new CheckpointError(bPath, 'longer than the architecture in model.json');
  return { config: j.config, step: j.step, weights };
}

/**
 * Read and verify the weights of a run directory, checkpoint directory or golden export: the EMA
 * weights by default (every folder kind has them), the raw weights on request (checkpoints only).
 * Throws CheckpointError naming the file on a corrupt or incomplete folder.
 */
export function readWeightsFolder(path: string, which: WeightsKind = 'ema'): WeightsFolder {
  if (which !== 'ema' && which !== 'raw') throw new DiffusionInputError('weights', which, 'must be "ema" or "raw"');
  const { kind, dir } = resolveWeightsFolder(path);
  if (kind === 'golden') {
    if (which !== 'ema') throw new DiffusionInputError('weights', which, `${path} is a golden U-Net export: it holds only the EMA weights`);
    const g = readGoldenExport(dir);
    return { path, kind, dir, config: g.config, step: g.step, which, weights: g.weights };
  }
  const { state } = loadCheckpointDir(dir);
  return { path, kind, dir, config: state.config, step: state.step, which, weights: which === 'ema' ? state.ema : state.params, state };
}

/** Options of the model built from a U-Net. */
export interface UnetModelOptions {
  /**
   * Class labels, one per batch row, for a class-conditional model (default: row i gets i mod K;
   * the null class K gives the unconditional model). Must be absent or null for an unconditional model.
   */
  labels?: ArrayLike<number> | null;
  /** Classifier-free guidance weight w (class-conditional models; src/gpu/guidance.ts). */
  guidance?: number;
}

/** A U-Net with its weights as tensors, on the discrete VP process of its schedule. */
export interface LoadedUnet {
  /** The folder as given. */
  dir: string;
  kind: WeightsFolderKind;
  /** Where the weights came from (a run's latest checkpoint, or `dir`). */
  weightsDir: string;
  which: WeightsKind;
  config: TrainConfig;
  unet: UNetConfig;
  step: number;
  process: Process;
  betas: Float64Array;
  params: ParamSet;
  /** The trainer state of a run or checkpoint (absent for a golden export). */
  state?: TrainerState;
  /** ε̂/x̂_0/v̂ (config.objective) of x [n, D] at per-row 1-based timesteps t, conditioned on labels (or null). */
  apply(x: tf.Tensor2D, t: ArrayLike<number>, labels: ArrayLike<number> | null): tf.Tensor2D;
  dispose(): void;
}

/** The part of a LoadedUnet that a model needs. */
export type UnetCore = Pick<LoadedUnet, 'config' | 'unet' | 'process' | 'apply'>;

/** Wrap U-Net parameters (variables, EMA tensors or loaded weights; not owned) as a LoadedUnet-like core. */
export function unetCore(config: TrainConfig, params: ParamSet): UnetCore & { betas: Float64Array } {
  const unet = validateUNetConfig(config.unet);
  const betas = Float64Array.from(betaSchedule(config.schedule.name, config.schedule.T));
  const [H, C] = [unet.imageSize, unet.inChannels];
  return {
    config,
    unet,
    betas,
    // 'flow': the rectified-flow process, network time T·τ (see unetTensorModel)
    process: config.objective === 'flow' ? flowProcess() : discreteVpProcess(betas),
    apply(x, t, labels) {
      const n = x.shape[0];
      return tf.tidy(() => unetApply(unet, params, x.reshape([n, H, H, C]) as tf.Tensor4D, t, labels).reshape([n, H * H * C]) as tf.Tensor2D);
    },
  };
}

/** The class labels of n rows of a K-class model (i mod K), or null for an unconditional one. */
export function defaultLabels(unet: UNetConfig, n: number): number[] | null {
  const K = unet.numClasses;
  return K > 0 ? Array.from({ length: n }, (_, i) => i % K) : null;
}

/** The U-Net as a TensorDiffusionModel: conditioned on `labels`, classifier-free guided when `guidance` is given. */
export function unetTensorModel(g: UnetCore, options: UnetModelOptions = {}): TensorDiffusionModel {
  const K = g.unet.numClasses;
  if (K === 0 && options.labels != null) throw new DiffusionInputError('labels', options.labels, 'the model is unconditional (numClasses = 0)');
  if (K === 0 && options.guidance !== undefined) throw new DiffusionInputError('guidance', options.guidance, 'classifier-free guidance needs a class-conditional model');
  const rowLabels = (n: number): number[] | null => {
    if (K === 0) return null;
    if (options.labels == null) return defaultLabels(g.unet, n);
    if (options.labels.length !== n) throw new DiffusionInputError('labels', `length ${options.labels.length}`, `shape mismatch: batch has ${n} rows`);
    return Array.from(options.labels);
  };
  const conditioned = (labelsOf: (n: number) => number[] | null) =>
    makeTensorModel(g.process, g.config.objective, (x, t) => {
      const n = x.shape[0];
      // a flow model's process time τ ∈ [0, 1] is the network's time T·τ (its training grid t/T)
      const tm = g.config.objective === 'flow' ? g.config.schedule.T * t : t;
      return g.apply(x, new Array(n).fill(tm), labelsOf(n));
    });
  const model = conditioned(rowLabels);
  if (options.guidance === undefined) return model;
  return classifierFreeGuidance(model, conditioned((n) => new Array(n).fill(K)), options.guidance);
}

/**
 * Load a weights folder (run directory, checkpoint directory or golden export) as a U-Net with
 * tensor weights (EMA by default). The caller disposes it.
 */
export function loadUnet(path: string, options: { weights?: WeightsKind } = {}): LoadedUnet {
  const f = readWeightsFolder(path, options.weights ?? 'ema');
  const unet = validateUNetConfig(f.config.unet);
  const params: Record<string, tf.Tensor> = {};
  for (const s of unetParamSpecs(unet)) params[s.name] = tf.tensor(f.weights.get(s.name)!, s.shape, 'float32');
  const core = unetCore(f.config, params);
  return {
    dir: path,
    kind: f.kind,
    weightsDir: f.dir,
    which: f.which,
    step: f.step,
    state: f.state,
    params,
    ...core,
    dispose() {
      for (const p of Object.values(params)) p.dispose();
    },
  };
}

/** A loaded U-Net and its model (see unetTensorModel). */
export interface LoadedTensorModel extends LoadedUnet {
  model: TensorDiffusionModel;
}

/**
 * The adapter: a weights folder → a TensorDiffusionModel (+ the U-Net, its config, process,
 * schedule and step). Options: `weights` 'ema' (default) | 'raw', `labels`, `guidance`.
 */
export function loadTensorModel(path: string, options: UnetModelOptions & { weights?: WeightsKind } = {}): LoadedTensorModel {
  const g = loadUnet(path, { weights: options.weights });
  try {
    return { ...g, model: unetTensorModel(g, options) };
  } catch (e) {
    g.dispose();
    throw e;
  }
}
