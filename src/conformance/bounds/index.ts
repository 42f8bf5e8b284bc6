/**
 * The bounds library of the suite, in one place: float32 constants (./float32.ts), a-priori
 * bounds of the U-Net training-step kernels (./kernels.ts), the running error analysis of the
 * tfjs diffusion formulas (./running-error.ts) and the error-vs-bound bookkeeping (./tracker.ts).
 * All bounds are derived from the operation sequence (Higham, 2nd ed., ch. 2-3), never tuned.
 */
export * from './float32.js';
export { C_FN, adamBounds, avgPoolBound, avgPoolGradBound, dotBound, groupNormBounds, magnitude, siluBounds, upsampleGradBound } from './kernels.js';
export * from './running-error.js';
export * from './tracker.js';
