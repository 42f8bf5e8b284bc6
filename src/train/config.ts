/**
 * The configuration and state types of a training run (what every checkpoint stores), their
 * defaults and validation. Imported by the checkpoint writer/reader (./checkpoint.ts) without the
 * trainer, so that checkpoint and trainer do not import each other.
 */
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import { OBJECTIVES, type Objective } from '../reference/elbo.js';
import type { RngState } from '../reference/rng.js';
import { type ScheduleName, SCHEDULE_NAMES } from '../reference/schedules.js';
import { type UNetConfig, validateUNetConfig } from '../reference/layers/unet_config.js';
import type { AdamState } from './optimizer.js';

export { OBJECTIVES, type Objective };
/**
 * What the network is trained to predict: ε, x_0 or v on the run's discrete VP schedule, or 'flow':
 * the rectified-flow velocity ε - x_0 on x_τ = (1-τ)x_0 + τε (Liu et al. 2023 eq. 1), τ = t/T on
 * the T-level grid drawn logit-normally (Esser et al. 2024 eq. 19, m = 0, s = 1: t = ⌈T·sigmoid(z)⌉),
 * the network's time input t = T·τ (SD3's 1000·τ for T = 1000). 'flow' takes weighting 'simple'
 * and sampler 'uniform' (the logit-normal draw replaces the timestep sampler).
 */
export const TRAIN_OBJECTIVES = [...OBJECTIVES, 'flow'] as const;
export type TrainObjective = (typeof TRAIN_OBJECTIVES)[number];
/** The loss weightings over t (catalog F4; tables in ./weights.ts). */
export const WEIGHTINGS = ['simple', 'snr', 'min-snr', 'vlb'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

export interface ScheduleConfig {
  name: ScheduleName;
  T: number;
}

/** Everything that defines a run (stored in every checkpoint). */
export interface TrainConfig {
  unet: UNetConfig;
  schedule: ScheduleConfig;
  objective: TrainObjective;
  weighting: Weighting;
  minSnrGamma: number;
  vlbVariance: 'beta' | 'posterior';
  sampler: 'uniform' | 'importance';
  batchSize: number;
  lr: number;
  warmupSteps: number;
  clipNorm: number;
  emaDecay: number;
  /** Class-conditional training (labels fed to the model; the null class = numClasses). */
  classCond: boolean;
  /** Probability of replacing a label with the null class (classifier-free guidance). */
  labelDropout: number;
  seed: number;
  /** Held-out examples used by `evaluate`. */
  evalSize: number;
  /**
   * Fine-tuning: the run started from another run's checkpoint (its raw weights, and its EMA weights
   * with their update count) instead of a seeded initialization; Adam, the data order and the
   * timestep sampler start fresh. Absent for a run trained from scratch.
   */
  initFrom?: InitFrom;
}

/** Where a fine-tuning run's starting weights came from (recorded in every checkpoint of the run). */
export interface InitFrom {
  /** The source checkpoint directory, as given. */
  checkpoint: string;
  /** Its training step. */
  step: number;
  /** SHA-256 of its weights.bin and ema.bin (from its manifest). */
  weightsSha256: string;
  emaSha256: string;
}

/** Starting weights of a fine-tuning run (see TrainConfig.initFrom). */
export interface TrainerInit {
  params: Map<string, Float32Array>;
  ema: Map<string, Float32Array>;
  emaUpdates: number;
}

export const DEFAULT_TRAIN_CONFIG: Omit<TrainConfig, 'unet'> = {
  schedule: { name: 'linear', T: 1000 },
  objective: 'eps',
  weighting: 'simple',
  minSnrGamma: 5,
  vlbVariance: 'posterior',
  sampler: 'uniform',
  batchSize: 64,
  lr: 1e-3,
  warmupSteps: 100,
  clipNorm: 1,
  emaDecay: 0.999,
  classCond: false,
  labelDropout: 0.1,
  seed: 0,
  evalSize: 256,
};

export function validateTrainConfig(c: Omit<Partial<TrainConfig>, 'unet'> & { unet: Partial<UNetConfig> }): TrainConfig {
  const cfg = { ...DEFAULT_TRAIN_CONFIG, ...c } as TrainConfig;
  cfg.unet = validateUNetConfig(c.unet);
  checkOneOf('objective', cfg.objective, TRAIN_OBJECTIVES);
  if (cfg.objective === 'flow') {
    if (cfg.weighting !== 'simple') throw new DiffusionInputError('weighting', cfg.weighting, "the flow objective is trained with weighting 'simple' (the logit-normal time density is the weighting)");
    if (cfg.sampler !== 'uniform') throw new DiffusionInputError('sampler', cfg.sampler, "the flow objective draws its times logit-normally: use sampler 'uniform'");
  }
  checkOneOf('weighting', cfg.weighting, WEIGHTINGS);
  checkOneOf('sampler', cfg.sampler, ['uniform', 'importance'] as const);
  checkOneOf('schedule.name', cfg.schedule?.name, SCHEDULE_NAMES);
  const pos = (k: keyof TrainConfig, v: unknown) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new DiffusionInputError(k, v, 'must be a positive integer');
  };
  pos('batchSize', cfg.batchSize);
  pos('evalSize', cfg.evalSize);
  if (!Number.isInteger(cfg.schedule.T) || cfg.schedule.T < 1) throw new DiffusionInputError('schedule.T', cfg.schedule.T, 'must be a positive integer');
  if (!Number.isInteger(cfg.seed)) throw new DiffusionInputError('seed', cfg.seed, 'must be an integer');
  if (!(cfg.labelDropout >= 0 && cfg.labelDropout < 1)) throw new DiffusionInputError('labelDropout', cfg.labelDropout, 'must lie in [0, 1)');
  if (cfg.classCond && cfg.unet.numClasses < 1) throw new DiffusionInputError('unet.numClasses', cfg.unet.numClasses, 'class-conditional training needs numClasses ≥ 1');
  if (!cfg.classCond && cfg.unet.numClasses !== 0) throw new DiffusionInputError('unet.numClasses', cfg.unet.numClasses, 'must be 0 for unconditional training');
  return cfg;
}

export interface EvalRecord {
  step: number;
  /** Held-out loss of the raw weights and of the EMA weights (same noise, same t every time). */
  loss: number;
  emaLoss: number;
}

export interface StepResult {
  step: number;
  loss: number;
  gradNorm: number;
  lr: number;
}

/** The complete state of a run (what a checkpoint stores). */
export interface TrainerState {
  config: TrainConfig;
  step: number;
  params: Map<string, Float32Array>;
  ema: Map<string, Float32Array>;
  emaUpdates: number;
  adam: AdamState;
  rng: RngState;
  data: unknown;
  sampler: unknown;
  losses: number[];
  evals: EvalRecord[];
}
