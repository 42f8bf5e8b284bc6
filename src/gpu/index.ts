/** Public API of the TensorFlow.js tier (`diffusion-oracle/gpu`). A flat list of re-exports: each helper appends its own lines. */
// Compatibility (issue 13): the backend (src/backend) and the training area (src/train) moved out of
// src/gpu; these re-exports keep `diffusion-oracle/gpu` importers working for one release. New code
// imports `diffusion-oracle/backend` and `diffusion-oracle/train`. They are the only imports from
// src/gpu upward (the layer check exempts this file).
export * from '../backend/index.js';
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
// U-Net denoiser and trainer (issue 5; see docs/training.md): compatibility re-exports of src/train (above).
export * as nn from '../train/nn.js';
export * from '../train/unet.js';
export * from '../train/optimizer.js';
export * from '../train/ema.js';
export * from '../train/timestep_sampler.js';
export { validateTrainConfig, WEIGHTINGS, DEFAULT_TRAIN_CONFIG, type Weighting, type TrainConfig, type TrainerState, type EvalRecord, type StepResult, type ScheduleConfig } from '../train/config.js';
export { lossWeightTable, type WeightOptions } from '../train/weights.js';
export { Trainer } from '../train/trainer.js';
export { runTraining, writeLossChart, type RunOptions, type RunSummary } from '../train/loop.js';
export { sampleImages, type SampleOptions } from '../train/preview.js';
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
// σ-space (EDM/Karras) and the k-diffusion sampler family on tensors (issue 14; float64 twins in src/reference).
export * from './sigma.js';
export * from './brownian.js';
export * from './k_euler.js';
export * from './k_dpmpp.js';
// Multistep solvers and rectified flow (issue 15; float64 twins src/reference/multistep.ts, pndm.ts, flow.ts).
export * as multistep from './multistep.js';
export * as pndm from './pndm.js';
export * as flow from './flow.js';
