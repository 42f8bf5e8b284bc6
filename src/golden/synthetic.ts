/**
 * Deliberately bad "sample sets" that the quality floors must reject (golden/golden.test.ts):
 *   noise      i.i.d. uniform pixels on [-1, 1] (a generator that outputs noise)
 *   blur       the per-pixel mean test image blurred by a 5×5 box filter, plus small noise (blobs)
 *   oneDigit   n copies of one test digit with small noise (mode collapse to one digit)
 * All are n·784 floats on [-1, 1], from a seeded Rng.
 */
import { Rng } from '../reference/rng.js';
import { IMAGE_DIM } from './classifier.js';

export const BAD_SETS = ['noise', 'blur', 'oneDigit'] as const;
export type BadSet = (typeof BAD_SETS)[number];

const clamp = (v: number) => Math.min(1, Math.max(-1, v));

export function badSampleSet(kind: BadSet, n: number, testImages: Float32Array, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(n * IMAGE_DIM);
  if (kind === 'noise') {
    for (let i = 0; i < out.length; i++) out[i] = 2 * rng.uniform() - 1;
    return out;
  }
  let base: Float64Array;
  if (kind === 'blur') {
    const nt = testImages.length / IMAGE_DIM;
    const mean = new Float64Array(IMAGE_DIM);
    for (let i = 0; i < nt; i++) for (let j = 0; j < IMAGE_DIM; j++) mean[j] += testImages[i * IMAGE_DIM + j] / nt;
    base = new Float64Array(IMAGE_DIM);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        let s = 0;
        let c = 0;
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || yy >= 28 || xx < 0 || xx >= 28) continue;
            s += mean[yy * 28 + xx];
            c++;
          }
        }
        base[y * 28 + x] = s / c;
      }
    }
  } else {
    base = Float64Array.from(testImages.subarray(0, IMAGE_DIM)); // test digit 0 (a 7)
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < IMAGE_DIM; j++) out[i * IMAGE_DIM + j] = clamp(base[j] + 0.05 * rng.normal());
  return out;
}
