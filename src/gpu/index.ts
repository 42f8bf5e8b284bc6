/** Public API of the TensorFlow.js tier (`diffusion-oracle/gpu`). A flat list of re-exports: each helper appends its own lines. */
export * from '../backend/backend.js';
export * from '../backend/kernels/index.js';
// Core diffusion formulas on tensors (float32 twins of src/reference, file by file; see docs/tfjs-tier.md).
export { type Timesteps, atStep, atTime } from './common.js';
export * from './schedules.js';
export * from './forward.js';
export * from './posterior.js';
export * from './parameterization.js';
export * from './ddpm.js';
export * from './ddim.js';
export * from './elbo.js';
export * from './embedding.js';
// U-Net denoiser and trainer (issue 5; see docs/training.md).
export * as nn from '../train/nn.js';
export * from '../train/unet.js';
export * from '../train/optimizer.js';
export * from '../train/ema.js';
export * from '../train/timestep_sampler.js';
export { Trainer, lossWeightTable, validateTrainConfig, runTraining, sampleImages, writeLossChart, WEIGHTINGS, DEFAULT_TRAIN_CONFIG, type Weighting, type WeightOptions, type TrainConfig, type TrainerState, type EvalRecord, type StepResult, type RunOptions, type RunSummary, type SampleOptions, type ScheduleConfig } from '../train/train.js';
export * from '../train/train_data.js';
export * from '../train/checkpoint.js';
export * from '../train/parallel.js';
// Samplers on tensors (issue 5; float64 twins in src/reference; see docs/sampling.md).
export * from './model.js';
export * from './samplers.js';
export * from './ancestral.js';
export * from './langevin.js';
export * from './sde.js';
export * from './ode.js';
export * from './dpm_solver.js';
export * from './indi.js';
export * from './guidance.js';
