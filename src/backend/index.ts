/** TensorFlow.js backend selection and kernel patches (`diffusion-oracle/backend`; see docs/backends.md). */
export * from './backend.js';
export * from './kernels/index.js';
