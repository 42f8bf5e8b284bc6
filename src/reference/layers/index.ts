/** Float64 reference layers (no tfjs): the oracle for the tfjs kernels a U-Net training step uses. */
export * from './tensor.js';
export * from './conv2d.js';
export * from './matmul.js';
export * from './groupnorm.js';
export * from './silu.js';
export * from './upsample.js';
export * from './pool.js';
export * from './adam.js';
export * from './gradcheck.js';
