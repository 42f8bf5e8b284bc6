/**
 * Sample statistics of the golden files: what a set of generated MNIST digits looks like to simple
 * pixel measures, to the project's classifier (src/golden/classifier.ts) and to the training set.
 *
 * Every statistic is computed the same way for real images (the scale) and for samples. Pixels are
 * reported in [0, 1] units, p = (x + 1)/2 with x ∈ [-1, 1] the project's data scaling.
 *   pixelMean, pixelStd  mean and standard deviation over all pixels of all images
 *   inkFraction          fraction of pixels with p > 0.5
 *   meanImageRmse        √(mean over the 784 pixels of (m_samples - m_test)²), m = per-pixel mean image
 *   fdLenet              Fréchet distance of classifier features to the 10,000 test images (src/golden/fd.ts)
 *   chi2Uniform          Σ_k (c_k - n/10)²/(n/10) of the classifier's argmax histogram c (Pearson χ², 9 dof)
 *   confidence           mean max-softmax probability
 *   confidentFraction    fraction of images with max-softmax probability ≥ 0.9
 *   labelAgreement       fraction classified as the label the sample was conditioned on (class-conditional only)
 *   nnMean, nnMin        mean and minimum over images of the Euclidean distance (784 pixels, [0, 1]
 *                        units) to the nearest training image: a memorizing model has nnMin ≈ 0 and
 *                        nnMean well below the real-data value
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { argmax, IMAGE_DIM, NUM_CLASSES, type Classifier } from './classifier.js';
import { featureMoments, frechetDistance, type Moments } from './fd.js';

export const STAT_NAMES = [
  'pixelMean',
  'pixelStd',
  'inkFraction',
  'meanImageRmse',
  'fdLenet',
  'chi2Uniform',
  'confidence',
  'confidentFraction',
  'labelAgreement',
  'nnMean',
  'nnMin',
] as const;
export type StatName = (typeof STAT_NAMES)[number];

export interface SampleStats {
  n: number;
  values: Partial<Record<StatName, number>>;
  classHistogram: number[];
}

/** What every statistic is measured against. */
export interface StatsReference {
  classifier: Classifier;
  /** Classifier feature moments of the 10,000 test images. */
  testMoments: Moments;
  /** Per-pixel mean of the test images, [0, 1] units. */
  testMeanImage: Float64Array;
}

/** Per-pixel mean image in [0, 1] units of n images on [-1, 1]. */
export function meanImage(images: Float32Array): Float64Array {
  const n = images.length / IMAGE_DIM;
  const m = new Float64Array(IMAGE_DIM);
  for (let i = 0; i < n; i++) for (let j = 0; j < IMAGE_DIM; j++) m[j] += images[i * IMAGE_DIM + j];
  for (let j = 0; j < IMAGE_DIM; j++) m[j] = (m[j] / n + 1) / 2;
  return m;
}

/**
 * Distance (784 pixels, [0, 1] units) from each image to its nearest neighbour in `pool`
 * (row-major images on [-1, 1]), by ‖a‖² + ‖b‖² - 2a·b on tensors in chunks of the pool. float32:
 * the squared norms are ≤ 784·4 = 3136, so the rounding of d² is ≲ 3136·2^-24·(few) ≈ 1e-3 absolute,
 * i.e. distances below ~0.03 (units of [0,1]) are not resolved; a near-copy is still ≪ any real NN
 * distance (≈ 4 for MNIST test digits).
 */
export function nearestNeighbourDistances(images: Float32Array, pool: Float32Array, chunk = 5000): Float64Array {
  const n = images.length / IMAGE_DIM;
  const m = pool.length / IMAGE_DIM;
  if (!Number.isInteger(n) || !Number.isInteger(m) || m < 1) throw new DiffusionInputError('pool', `length ${pool.length}`, `must hold whole images of ${IMAGE_DIM} pixels`);
  const best = new Float64Array(n).fill(Infinity);
  const a = tf.tensor2d(images, [n, IMAGE_DIM]);
  const a2 = tf.tidy(() => tf.sum(tf.square(a), 1, true));
  try {
    for (let s = 0; s < m; s += chunk) {
      const b = Math.min(chunk, m - s);
      const d2 = tf.tidy(() => {
        const p = tf.tensor2d(pool.subarray(s * IMAGE_DIM, (s + b) * IMAGE_DIM), [b, IMAGE_DIM]);
        const p2 = tf.reshape(tf.sum(tf.square(p), 1), [1, b]);
        return tf.min(tf.sub(tf.add(a2, p2), tf.mul(2, tf.matMul(a, p, false, true))), 1);
      });
      const v = d2.dataSync();
      d2.dispose();
      for (let i = 0; i < n; i++) if (v[i] < best[i]) best[i] = v[i];
    }
  } finally {
    a.dispose();
    a2.dispose();
  }
  // [-1, 1] → [0, 1] halves distances.
  return best.map((d2) => Math.sqrt(Math.max(d2, 0)) / 2);
}

/**
 * All statistics of n images (n·784 on [-1, 1]); `labels` = the classes the samples were
 * conditioned on (omit for unconditional samples or real data); `nnPool` = the training images to
 * measure memorization against.
 */
export function sampleStats(images: Float32Array, ref: StatsReference, options: { labels?: ArrayLike<number> | null; nnPool?: Float32Array } = {}): SampleStats {
  if (!(images instanceof Float32Array) || images.length === 0 || images.length % IMAGE_DIM !== 0) {
    throw new DiffusionInputError('images', images instanceof Float32Array ? `length ${images.length}` : images, `must be a Float32Array of n·${IMAGE_DIM} pixels`);
  }
  const n = images.length / IMAGE_DIM;
  for (let i = 0; i < images.length; i++) {
    if (!Number.isFinite(images[i])) throw new DiffusionInputError(`images[${i}]`, images[i], 'must be finite (NaN or infinite pixel)');
  }
  const values: Partial<Record<StatName, number>> = {};
  let s = 0;
  let s2 = 0;
  let ink = 0;
  for (let i = 0; i < images.length; i++) {
    const p = (Math.min(1, Math.max(-1, images[i])) + 1) / 2;
    s += p;
    s2 += p * p;
    if (p > 0.5) ink++;
  }
  const N = images.length;
  values.pixelMean = s / N;
  values.pixelStd = Math.sqrt(Math.max(0, s2 / N - (s / N) ** 2));
  values.inkFraction = ink / N;
  const mi = meanImage(images);
  let se = 0;
  for (let j = 0; j < IMAGE_DIM; j++) se += (mi[j] - ref.testMeanImage[j]) ** 2;
  values.meanImageRmse = Math.sqrt(se / IMAGE_DIM);

  const { features, probs } = ref.classifier.evaluate(images);
  values.fdLenet = frechetDistance(featureMoments(features, ref.classifier.featureDim), ref.testMoments);
  const hist = new Array<number>(NUM_CLASSES).fill(0);
  let conf = 0;
  let confident = 0;
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const k = argmax(probs, i * NUM_CLASSES, NUM_CLASSES);
    hist[k]++;
    const p = probs[i * NUM_CLASSES + k];
    conf += p;
    if (p >= 0.9) confident++;
    if (options.labels && options.labels[i] === k) agree++;
  }
  const e = n / NUM_CLASSES;
  values.chi2Uniform = hist.reduce((acc, c) => acc + (c - e) ** 2 / e, 0);
  values.confidence = conf / n;
  values.confidentFraction = confident / n;
  if (options.labels) {
    if (options.labels.length !== n) throw new DiffusionInputError('labels', `length ${options.labels.length}`, `shape mismatch: ${n} images`);
    values.labelAgreement = agree / n;
  }
  if (options.nnPool) {
    const nn = nearestNeighbourDistances(images, options.nnPool);
    values.nnMean = nn.reduce((a, b) => a + b, 0) / n;
    values.nnMin = nn.reduce((a, b) => Math.min(a, b), Infinity);
  }
  return { n, values, classHistogram: hist };
}
