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
