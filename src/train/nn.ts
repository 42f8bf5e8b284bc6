/**
 * Neural-network layers of the TensorFlow.js tier, written as pure functions of a parameter set
 * (`ParamSet`: name → tensor). The same forward code therefore runs on the trainable variables,
 * on the EMA copy, or on weights read back from a checkpoint.
 *
 * Only kernels that have a correct gradient on the patched wasm backend are used (see
 * shared/wasm-facts.md): no max pooling (its wasm gradient is wrong), no `resizeNearestNeighbor`
 * (its `cpu` gradient is wrong for batch > 1; upsampling is a reshape + broadcast multiply), no
 * `gather` (its gradient `UnsortedSegmentSum` is missing on wasm; embeddings are one-hot × matrix),
 * no depthwise convolutions.
 *
 * Initialization draws every number from the seeded `Rng` of src/reference/rng.ts (never from
 * tf.random*), so a model is a deterministic function of its seed.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import type { Rng } from '../reference/rng.js';

/** A set of named parameters (tf.Variable for training, plain tensors for EMA / inference). */
export type ParamSet = Record<string, tf.Tensor>;

/** How a parameter is initialized. */
export type InitKind = 'fan-in-uniform' | 'zeros' | 'ones';

/** Shape and initialization of one parameter. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitKind;
  /** fan-in for 'fan-in-uniform': values ~ U(-1/√fanIn, 1/√fanIn) (PyTorch's default for Conv2d and Linear). */
  fanIn?: number;
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Initial values of every parameter, drawn in spec order from `rng` (deterministic in the seed). */
export function initParamValues(specs: readonly ParamSpec[], rng: Rng): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const n = shapeSize(s.shape);
    const v = new Float32Array(n);
    if (s.init === 'ones') v.fill(1);
    else if (s.init === 'fan-in-uniform') {
      if (!(s.fanIn && s.fanIn > 0)) throw new DiffusionInputError(`${s.name}.fanIn`, s.fanIn, 'must be positive');
      const bound = 1 / Math.sqrt(s.fanIn);
      for (let i = 0; i < n; i++) v[i] = (2 * rng.uniform() - 1) * bound;
    }
    out.set(s.name, v);
  }
  return out;
}

/** Spec list of a 2-D convolution (HWIO filter `name.w`, bias `name.b`). */
export function conv2dSpecs(name: string, k: number, cin: number, cout: number): ParamSpec[] {
  const fanIn = k * k * cin;
  return [
    { name: `${name}.w`, shape: [k, k, cin, cout], init: 'fan-in-uniform', fanIn },
    { name: `${name}.b`, shape: [cout], init: 'fan-in-uniform', fanIn },
  ];
}

/** Spec list of a dense layer y = xW + b. */
export function denseSpecs(name: string, din: number, dout: number, bias = true): ParamSpec[] {
  const s: ParamSpec[] = [{ name: `${name}.w`, shape: [din, dout], init: 'fan-in-uniform', fanIn: din }];
  if (bias) s.push({ name: `${name}.b`, shape: [dout], init: 'fan-in-uniform', fanIn: din });
  return s;
}

/** Spec list of a group norm (scale `name.gamma` = 1, shift `name.beta` = 0). */
export function groupNormSpecs(name: string, c: number): ParamSpec[] {
  return [
    { name: `${name}.gamma`, shape: [c], init: 'ones' },
    { name: `${name}.beta`, shape: [c], init: 'zeros' },
  ];
}

function param(p: ParamSet, name: string): tf.Tensor {
  const v = p[name];
  if (!v) throw new DiffusionInputError('params', name, 'missing parameter');
  return v;
}

/** 2-D convolution, stride 1, 'same' padding, NHWC. */
export function conv2d(p: ParamSet, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const w = param(p, `${name}.w`) as tf.Tensor4D;
  return tf.add(tf.conv2d(x, w, 1, 'same'), param(p, `${name}.b`));
}

/** Dense layer on [N, din]. */
export function dense(p: ParamSet, name: string, x: tf.Tensor2D): tf.Tensor2D {
  const y = tf.matMul(x, param(p, `${name}.w`) as tf.Tensor2D) as tf.Tensor2D;
  const b = p[`${name}.b`];
  return b ? (tf.add(y, b) as tf.Tensor2D) : y;
}

/** SiLU (swish) x·σ(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x));
}

/**
 * Group normalization (Wu & He 2018) on NHWC: channels split into `groups` groups; each sample and
 * group normalized by its mean and (biased) variance over H, W and the group's channels; then the
 * per-channel affine γ·x̂ + β.
 */
export function groupNorm(p: ParamSet, name: string, x: tf.Tensor4D, groups: number, eps = 1e-5): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  if (c % groups !== 0) throw new DiffusionInputError('groups', groups, `must divide the channel count ${c} (layer ${name})`);
  const xr = tf.reshape(x, [n, h * w, groups, c / groups]);
  const { mean, variance } = tf.moments(xr, [1, 3], true);
  const xn = tf.mul(tf.sub(xr, mean), tf.rsqrt(tf.add(variance, eps)));
  const y = tf.reshape(xn, [n, h, w, c]);
  return tf.add(tf.mul(y, param(p, `${name}.gamma`)), param(p, `${name}.beta`));
}

/** 2×2 average pooling, stride 2 (H and W must be even). */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) throw new DiffusionInputError('x.shape', x.shape, 'average pooling needs even height and width');
  return tf.avgPool(x, 2, 2, 'valid');
}

/**
 * Nearest-neighbour 2× upsampling as reshape + broadcast multiply by ones: its gradient is a sum
 * over the broadcast axes, correct on every backend (unlike ResizeNearestNeighborGrad on `cpu`).
 */
export function upsample2(x: tf.Tensor4D): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const ones = tf.ones([1, 1, 2, 1, 2, 1]);
  return tf.reshape(tf.mul(tf.reshape(x, [n, h, 1, w, 1, c]), ones), [n, 2 * h, 2 * w, c]);
}

/** D5's tensor twin lives in src/gpu/embedding.ts (re-exported here for the layers' callers). */
export { timestepEmbedding } from '../gpu/embedding.js';

/** One-hot rows (float32) of integer labels in {0..depth-1}, built in JS (no tf.oneHot/gather). */
export function oneHotRows(labels: ArrayLike<number>, depth: number): tf.Tensor2D {
  const out = new Float32Array(labels.length * depth);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= depth) throw new DiffusionInputError(`labels[${i}]`, y, `must be an integer in {0..${depth - 1}}`);
    out[i * depth + y] = 1;
  }
  return tf.tensor2d(out, [labels.length, depth]);
}
