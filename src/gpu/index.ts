/** Public API of the TensorFlow.js tier (`diffusion-oracle/gpu`). A flat list of re-exports: each helper appends its own lines. */
export * from './backend.js';
export * from './kernels/index.js';
// Core diffusion formulas on tensors (float32 twins of src/reference, file by file; see docs/tfjs-tier.md).
export { type Timesteps, atStep, atTime } from './common.js';
export * from './schedules.js';
export * from './forward.js';
export * from './posterior.js';
export * from './parameterization.js';
export * from './ddpm.js';
export * from './ddim.js';
export * from './elbo.js';
// U-Net denoiser and trainer (issue 5; see docs/training.md).
export * as nn from './nn.js';
export * from './unet.js';
export * from './optimizer.js';
export * from './ema.js';
export * from './timestep_sampler.js';
export { Trainer, lossWeightTable, validateTrainConfig, runTraining, sampleImages, writeLossChart, WEIGHTINGS, DEFAULT_TRAIN_CONFIG, type Weighting, type WeightOptions, type TrainConfig, type TrainerState, type EvalRecord, type StepResult, type RunOptions, type RunSummary, type SampleOptions, type ScheduleConfig } from './train.js';
export * from './train_data.js';
export * from './checkpoint.js';
export * from './parallel.js';
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
// Multistep solvers and rectified flow (issue 15; float64 twins src/reference/multistep.ts, pndm.ts, flow.ts).
export * as multistep from './multistep.js';
export * as pndm from './pndm.js';
export * as flow from './flow.js';
