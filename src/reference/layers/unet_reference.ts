/**
 * The U-Net of src/train/unet.ts written with the float64 reference layers (src/reference/layers),
 * for the benchmark of workload (3): the same architecture, the same parameter names and the same
 * weights, evaluated by the defining sums in float64. Also its FLOP count, used to turn the
 * measured times into achieved GFLOP/s.
 *
 * The forward pass mirrors `unetApply` line by line (see its file comment for the architecture):
 *   temb = dense2(SiLU(dense1(emb(t)))) [+ E[y]];  h = conv(stem, x)
 *   down: h = block(h); skip, avgpool 2×2 (all but the last level)
 *   up:   h = block(concat(upsample2(h), skip))
 *   out = conv(head, SiLU(GN(h)))
 * with block(x) = skip(x) + conv2(SiLU(GN2(conv1(SiLU(GN1(x))) + dense(SiLU(temb))))).
 */
import { DiffusionInputError } from '../errors.js';
import { timestepEmbedding } from '../embedding.js';
import { conv2d } from './conv2d.js';
import { groupNorm } from './groupnorm.js';
import { matmul } from './matmul.js';
import { avgPool } from './pool.js';
import { silu } from './silu.js';
import { ndarray, type NdArray } from './tensor.js';
import { upsampleNearest } from './upsample.js';
import { type UNetConfig, validateUNetConfig } from './unet_config.js';

/** Parameters by name (the names of unetParamSpecs), any numeric arrays (float32 weights are widened exactly). */
export type ReferenceParams = Map<string, ArrayLike<number>>;

function param(p: ReferenceParams, name: string): ArrayLike<number> {
  const v = p.get(name);
  if (!v) throw new DiffusionInputError('params', name, 'missing parameter');
  return v;
}

function addBias(y: NdArray, b: ArrayLike<number>): NdArray {
  const c = y.shape[y.shape.length - 1];
  if (b.length !== c) throw new DiffusionInputError('bias', `length ${b.length}`, `shape mismatch: ${c} channels`);
  for (let i = 0; i < y.data.length; i++) y.data[i] += b[i % c];
  return y;
}

function conv(p: ReferenceParams, name: string, x: NdArray): NdArray {
  const w = param(p, `${name}.w`);
  const cin = x.shape[3];
  const cout = param(p, `${name}.b`).length;
  const k = Math.round(Math.sqrt(w.length / (cin * cout)));
  return addBias(conv2d(x, ndarray([k, k, cin, cout], w, `${name}.w`), { padding: 'same' }), param(p, `${name}.b`));
}

function dense(p: ReferenceParams, name: string, x: NdArray): NdArray {
  const w = param(p, `${name}.w`);
  const din = x.shape[1];
  const y = matmul(x, ndarray([din, w.length / din], w, `${name}.w`));
  const b = p.get(`${name}.b`);
  return b ? addBias(y, b) : y;
}

function gn(p: ReferenceParams, name: string, x: NdArray, groups: number): NdArray {
  return groupNorm(x, param(p, `${name}.gamma`), param(p, `${name}.beta`), groups);
}

function add(a: NdArray, b: NdArray): NdArray {
  const out = ndarray(a.shape);
  for (let i = 0; i < a.data.length; i++) out.data[i] = a.data[i] + b.data[i];
  return out;
}

/** Channel concatenation of two NHWC arrays with equal N, H, W. */
function concatChannels(a: NdArray, b: NdArray): NdArray {
  const [N, H, W, Ca] = a.shape;
  const Cb = b.shape[3];
  const out = ndarray([N, H, W, Ca + Cb]);
  for (let p = 0; p < N * H * W; p++) {
    out.data.set(a.data.subarray(p * Ca, (p + 1) * Ca), p * (Ca + Cb));
    out.data.set(b.data.subarray(p * Cb, (p + 1) * Cb), p * (Ca + Cb) + Ca);
  }
  return out;
}

function resBlock(p: ReferenceParams, name: string, x: NdArray, temb: NdArray, groups: number): NdArray {
  let h = conv(p, `${name}.conv1`, silu(gn(p, `${name}.gn1`, x, groups)));
  const e = dense(p, `${name}.temb`, silu(temb));
  const [N, H, W, C] = h.shape;
  for (let n = 0; n < N; n++) for (let q = 0; q < H * W; q++) for (let c = 0; c < C; c++) h.data[(n * H * W + q) * C + c] += e.data[n * C + c];
  h = conv(p, `${name}.conv2`, silu(gn(p, `${name}.gn2`, h, groups)));
  const skip = p.has(`${name}.skip.w`) ? conv(p, `${name}.skip`, x) : x;
  return add(skip, h);
}

/** The U-Net forward pass in float64 (twin of train/unet.ts `unetApply`); x is NHWC, t one timestep per image. */
export function referenceUnetForward(config: Partial<UNetConfig>, params: ReferenceParams, x: NdArray, t: readonly number[], labels?: readonly number[] | null): NdArray {
  const c = validateUNetConfig(config);
  const [n, h, w, cin] = x.shape;
  if (h !== c.imageSize || w !== c.imageSize || cin !== c.inChannels) {
    throw new DiffusionInputError('x.shape', x.shape, `shape mismatch: expected [N, ${c.imageSize}, ${c.imageSize}, ${c.inChannels}]`);
  }
  if (t.length !== n) throw new DiffusionInputError('t', `length ${t.length}`, `shape mismatch: batch has ${n} images`);
  const emb = timestepEmbedding([...t], c.timeEmbedDim);
  const e0 = ndarray([n, c.timeEmbedDim]);
  emb.forEach((row, i) => e0.data.set(row, i * c.timeEmbedDim));
  const temb = dense(params, 'time.dense2', silu(dense(params, 'time.dense1', e0)));
  if (c.numClasses > 0) {
    if (!labels || labels.length !== n) throw new DiffusionInputError('labels', labels, `required: ${n} labels in {0..${c.numClasses}} (class-conditional model)`);
    const E = param(params, 'class.embed');
    const D = c.timeHiddenDim;
    labels.forEach((y, i) => {
      if (!Number.isInteger(y) || y < 0 || y > c.numClasses) throw new DiffusionInputError(`labels[${i}]`, y, `must be an integer in {0..${c.numClasses}}`);
      for (let k = 0; k < D; k++) temb.data[i * D + k] += E[y * D + k];
    });
  } else if (labels) {
    throw new DiffusionInputError('labels', labels, 'the model is unconditional (numClasses = 0)');
  }
  const L = c.channels.length;
  let cur = conv(params, 'stem', x);
  const skips: NdArray[] = [];
  for (let l = 0; l < L; l++) {
    cur = resBlock(params, `down${l}`, cur, temb, c.groups);
    if (l < L - 1) {
      skips.push(cur);
      cur = avgPool(cur, { filterSize: 2 });
    }
  }
  for (let l = L - 2; l >= 0; l--) {
    cur = resBlock(params, `up${l}`, concatChannels(upsampleNearest(cur, 2), skips[l]), temb, c.groups);
  }
  return conv(params, 'head.conv', silu(gn(params, 'head.gn', cur, c.groups)));
}

/**
 * Multiply-add FLOPs (2 per multiply-add) of one image's forward pass through the convolutions and
 * dense layers; normalizations, activations, pooling and additions (a few percent) are not counted.
 */
export function unetForwardFlops(config: Partial<UNetConfig>): number {
  const c = validateUNetConfig(config);
  const ch = c.channels;
  const L = ch.length;
  let f = 2 * c.timeEmbedDim * c.timeHiddenDim + 2 * c.timeHiddenDim * c.timeHiddenDim;
  const convF = (res: number, k: number, ci: number, co: number) => 2 * res * res * k * k * ci * co;
  const block = (res: number, ci: number, co: number) => convF(res, 3, ci, co) + convF(res, 3, co, co) + 2 * c.timeHiddenDim * co + (ci !== co ? convF(res, 1, ci, co) : 0);
  f += convF(c.imageSize, 3, c.inChannels, ch[0]);
  let cur = ch[0];
  for (let l = 0; l < L; l++) {
    f += block(c.imageSize / 2 ** l, cur, ch[l]);
    cur = ch[l];
  }
  for (let l = L - 2; l >= 0; l--) {
    f += block(c.imageSize / 2 ** l, cur + ch[l], ch[l]);
    cur = ch[l];
  }
  f += convF(c.imageSize, 3, cur, c.outChannels);
  return f;
}

/**
 * FLOPs of one image's training step: the forward pass plus the two gradients of every
 * convolution / dense layer (input and weight), each as costly as the forward product: 3×.
 */
export function unetTrainFlops(config: Partial<UNetConfig>): number {
  return 3 * unetForwardFlops(config);
}
