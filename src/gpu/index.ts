/** Public API of the TensorFlow.js tier (`diffusion-oracle/gpu`). A flat list of re-exports: each helper appends its own lines. */
export * from './backend.js';
export * from './kernels/index.js';
