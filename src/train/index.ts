/**
 * The training area (`diffusion-oracle/train`): U-Net, layers, optimizer, EMA, timestep sampling,
 * data feeding, the trainer and its run loop, checkpoints, data-parallel workers, and the adapter
 * from a weights folder to a TensorDiffusionModel. See docs/training.md.
 */
export * as nn from './nn.js';
export * from './unet.js';
export * from './optimizer.js';
export * from './ema.js';
export * from './timestep_sampler.js';
export * from './config.js';
export * from './weights.js';
export * from './trainer.js';
export * from './preview.js';
export * from './loop.js';
export * from './train_data.js';
export * from './checkpoint.js';
export * from './parallel.js';
export * from './adapter.js';
