/**
 * The seeded Brownian tree for the tensor samplers. float64 twin: src/reference/brownian.ts — the
 * tree itself is host-side float64 (it is the noise source, not tensor work), so both tiers see the
 * same Brownian path; this file turns its standardized increments into float32 tensors.
 */
import * as tf from '@tensorflow/tfjs';
import { BrownianTree, brownianNoiseSampler, type NoiseSampler } from '../reference/brownian.js';

export { BrownianTree, brownianNoiseSampler, type NoiseSampler, type BrownianTreeOptions } from '../reference/brownian.js';

/** (σ, σ_next) → standard normals as a float32 tensor [rows, dim] (the reference noise sampler's values, rounded once). */
export function noiseTensor(sampler: NoiseSampler, sigma: number, sigmaNext: number): tf.Tensor2D {
  const rows = sampler(sigma, sigmaNext);
  const d = rows[0].length;
  const buf = new Float32Array(rows.length * d);
  rows.forEach((r, i) => buf.set(r, i * d));
  return tf.tensor2d(buf, [rows.length, d]);
}

/** A tensor-tier noise sampler over a Brownian tree. */
export function tensorBrownianNoiseSampler(tree: BrownianTree): (sigma: number, sigmaNext: number) => tf.Tensor2D {
  const s = brownianNoiseSampler(tree);
  return (sigma, sigmaNext) => noiseTensor(s, sigma, sigmaNext);
}
