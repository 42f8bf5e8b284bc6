/**
 * The U-Net's training loss and its gradient with respect to every parameter, in float64, composed
 * from the reference layers and their gradients (src/reference/layers: conv2dBackpropInput/Filter,
 * matmulGrad, groupNormBackward, siluGrad, avgPoolGrad, upsampleNearestGrad) by reverse-mode
 * differentiation over a tape: the forward pass of ./unet_reference.ts records, per operation, how
 * to send the gradient of its output back to its inputs and parameters. For the benchmark's
 * reference training step (workload 4) and as an independent check of the tfjs gradients.
 *
 * Loss (the trainer's shardLossTensors with unit weights): L = (1/B) Σ_i mean_pixels (f(x_i) - target_i)².
 */
import { DiffusionInputError } from '../errors.js';
import { timestepEmbedding } from '../embedding.js';
import { conv2d, conv2dBackpropFilter, conv2dBackpropInput } from './conv2d.js';
import { groupNorm, groupNormBackward } from './groupnorm.js';
import { matmul, matmulGrad } from './matmul.js';
import { avgPool, avgPoolGrad } from './pool.js';
import { silu, siluGrad } from './silu.js';
import { ndarray, type NdArray } from './tensor.js';
import { upsampleNearest, upsampleNearestGrad } from './upsample.js';
import { type UNetConfig, validateUNetConfig } from './unet_config.js';
import type { ReferenceParams } from './unet_reference.js';

class Tape {
  private readonly back: (() => void)[] = [];
  private readonly g = new Map<NdArray, NdArray>();
  readonly paramGrads = new Map<string, Float64Array>();
  constructor(private readonly p: ReferenceParams) {}

  param(name: string): ArrayLike<number> {
    const v = this.p.get(name);
    if (!v) throw new DiffusionInputError('params', name, 'missing parameter');
    return v;
  }
  private pg(name: string): Float64Array {
    let a = this.paramGrads.get(name);
    if (!a) {
      a = new Float64Array(this.param(name).length);
      this.paramGrads.set(name, a);
    }
    return a;
  }
  /** The gradient accumulated so far for x (zeros if none). */
  grad(x: NdArray): NdArray {
    return this.g.get(x) ?? ndarray(x.shape);
  }
  acc(x: NdArray, d: NdArray): void {
    const cur = this.g.get(x);
    if (!cur) this.g.set(x, d);
    else for (let i = 0; i < cur.data.length; i++) cur.data[i] += d.data[i];
  }
  record(fn: () => void): void {
    this.back.push(fn);
  }
  backward(out: NdArray, dOut: NdArray): void {
    this.g.set(out, dOut);
    for (let k = this.back.length - 1; k >= 0; k--) this.back[k]();
  }

  conv(name: string, x: NdArray): NdArray {
    const b = this.param(`${name}.b`);
    const wv = this.param(`${name}.w`);
    const cin = x.shape[3];
    const k = Math.round(Math.sqrt(wv.length / (cin * b.length)));
    const w = ndarray([k, k, cin, b.length], wv, `${name}.w`);
    const y = conv2d(x, w, { padding: 'same' });
    for (let i = 0; i < y.data.length; i++) y.data[i] += b[i % b.length];
    this.record(() => {
      const dy = this.grad(y);
      this.acc(x, conv2dBackpropInput(dy, w, x.shape, { padding: 'same' }));
      const dw = conv2dBackpropFilter(x, dy, w.shape, { padding: 'same' });
      const gw = this.pg(`${name}.w`);
      for (let i = 0; i < gw.length; i++) gw[i] += dw.data[i];
      const gb = this.pg(`${name}.b`);
      for (let i = 0; i < dy.data.length; i++) gb[i % gb.length] += dy.data[i];
    });
    return y;
  }

  dense(name: string, x: NdArray): NdArray {
    const wv = this.param(`${name}.w`);
    const din = x.shape[1];
    const w = ndarray([din, wv.length / din], wv, `${name}.w`);
    const y = matmul(x, w);
    const hasBias = this.p.has(`${name}.b`);
    if (hasBias) {
      const b = this.param(`${name}.b`);
      for (let i = 0; i < y.data.length; i++) y.data[i] += b[i % b.length];
    }
    this.record(() => {
      const dy = this.grad(y);
      const { da, db } = matmulGrad(x, w, dy);
      this.acc(x, da);
      const gw = this.pg(`${name}.w`);
      for (let i = 0; i < gw.length; i++) gw[i] += db.data[i];
      if (hasBias) {
        const gb = this.pg(`${name}.b`);
        for (let i = 0; i < dy.data.length; i++) gb[i % gb.length] += dy.data[i];
      }
    });
    return y;
  }

  silu(x: NdArray): NdArray {
    const y = silu(x);
    this.record(() => this.acc(x, siluGrad(x, this.grad(y))));
    return y;
  }

  gn(name: string, x: NdArray, groups: number): NdArray {
    const gamma = this.param(`${name}.gamma`);
    const y = groupNorm(x, gamma, this.param(`${name}.beta`), groups);
    this.record(() => {
      const { dx, dgamma, dbeta } = groupNormBackward(x, gamma, this.grad(y), groups);
      this.acc(x, dx);
      const gg = this.pg(`${name}.gamma`);
      const gb = this.pg(`${name}.beta`);
      for (let i = 0; i < gg.length; i++) {
        gg[i] += dgamma[i];
        gb[i] += dbeta[i];
      }
    });
    return y;
  }

  add(a: NdArray, b: NdArray): NdArray {
    const y = ndarray(a.shape);
    for (let i = 0; i < y.data.length; i++) y.data[i] = a.data[i] + b.data[i];
    this.record(() => {
      const dy = this.grad(y);
      this.acc(a, dy);
      this.acc(b, ndarray(dy.shape, dy.data));
    });
    return y;
  }

  /** h [N,H,W,C] + e [N,C] broadcast over H, W. */
  addChannels(h: NdArray, e: NdArray): NdArray {
    const [N, H, W, C] = h.shape;
    const y = ndarray(h.shape, h.data);
    for (let n = 0; n < N; n++) for (let q = 0; q < H * W; q++) for (let c = 0; c < C; c++) y.data[(n * H * W + q) * C + c] += e.data[n * C + c];
    this.record(() => {
      const dy = this.grad(y);
      this.acc(h, ndarray(dy.shape, dy.data));
      const de = ndarray(e.shape);
      for (let n = 0; n < N; n++) for (let q = 0; q < H * W; q++) for (let c = 0; c < C; c++) de.data[n * C + c] += dy.data[(n * H * W + q) * C + c];
      this.acc(e, de);
    });
    return y;
  }

  avgPool(x: NdArray): NdArray {
    const y = avgPool(x, { filterSize: 2 });
    this.record(() => this.acc(x, avgPoolGrad(this.grad(y), x.shape, { filterSize: 2 })));
    return y;
  }

  upsample(x: NdArray): NdArray {
    const y = upsampleNearest(x, 2);
    this.record(() => this.acc(x, upsampleNearestGrad(this.grad(y), 2)));
    return y;
  }

  concat(a: NdArray, b: NdArray): NdArray {
    const [N, H, W, Ca] = a.shape;
    const Cb = b.shape[3];
    const y = ndarray([N, H, W, Ca + Cb]);
    for (let p = 0; p < N * H * W; p++) {
      y.data.set(a.data.subarray(p * Ca, (p + 1) * Ca), p * (Ca + Cb));
      y.data.set(b.data.subarray(p * Cb, (p + 1) * Cb), p * (Ca + Cb) + Ca);
    }
    this.record(() => {
      const dy = this.grad(y);
      const da = ndarray(a.shape);
      const db = ndarray(b.shape);
      for (let p = 0; p < N * H * W; p++) {
        da.data.set(dy.data.subarray(p * (Ca + Cb), p * (Ca + Cb) + Ca), p * Ca);
        db.data.set(dy.data.subarray(p * (Ca + Cb) + Ca, (p + 1) * (Ca + Cb)), p * Cb);
      }
      this.acc(a, da);
      this.acc(b, db);
    });
    return y;
  }

  /** temb + E[labels] (one-hot × matrix). */
  classEmbed(temb: NdArray, labels: readonly number[]): NdArray {
    const E = this.param('class.embed');
    const D = temb.shape[1];
    const y = ndarray(temb.shape, temb.data);
    labels.forEach((l, i) => {
      for (let k = 0; k < D; k++) y.data[i * D + k] += E[l * D + k];
    });
    this.record(() => {
      const dy = this.grad(y);
      this.acc(temb, ndarray(dy.shape, dy.data));
      const gE = this.pg('class.embed');
      labels.forEach((l, i) => {
        for (let k = 0; k < D; k++) gE[l * D + k] += dy.data[i * D + k];
      });
    });
    return y;
  }
}

export interface ReferenceLossGrads {
  loss: number;
  /** ∂L/∂θ for every parameter (zeros where the loss does not depend on it). */
  grads: Map<string, Float64Array>;
}

/**
 * L = (1/B) Σ_i mean_pixels (f(x_i, t_i, y_i) - target_i)² and its gradient for every parameter of
 * `params`, in float64. x and target are NHWC [B, S, S, C].
 */
export function referenceUnetLossAndGrads(
  config: Partial<UNetConfig>,
  params: ReferenceParams,
  x: NdArray,
  t: readonly number[],
  target: NdArray,
  labels?: readonly number[] | null,
): ReferenceLossGrads {
  const c = validateUNetConfig(config);
  const [n, h, w, cin] = x.shape;
  if (h !== c.imageSize || w !== c.imageSize || cin !== c.inChannels) {
    throw new DiffusionInputError('x.shape', x.shape, `shape mismatch: expected [N, ${c.imageSize}, ${c.imageSize}, ${c.inChannels}]`);
  }
  if (t.length !== n) throw new DiffusionInputError('t', `length ${t.length}`, `shape mismatch: batch has ${n} images`);
  if (target.data.length !== n * c.imageSize * c.imageSize * c.outChannels) throw new DiffusionInputError('target', `length ${target.data.length}`, 'shape mismatch with the output');
  const tape = new Tape(params);
  const e0 = ndarray([n, c.timeEmbedDim]);
  timestepEmbedding([...t], c.timeEmbedDim).forEach((row, i) => e0.data.set(row, i * c.timeEmbedDim));
  let temb = tape.dense('time.dense2', tape.silu(tape.dense('time.dense1', e0)));
  if (c.numClasses > 0) {
    if (!labels || labels.length !== n) throw new DiffusionInputError('labels', labels, `required: ${n} labels (class-conditional model)`);
    temb = tape.classEmbed(temb, labels);
  }
  const block = (name: string, xin: NdArray): NdArray => {
    let hh = tape.conv(`${name}.conv1`, tape.silu(tape.gn(`${name}.gn1`, xin, c.groups)));
    hh = tape.addChannels(hh, tape.dense(`${name}.temb`, tape.silu(temb)));
    hh = tape.conv(`${name}.conv2`, tape.silu(tape.gn(`${name}.gn2`, hh, c.groups)));
    const skip = params.has(`${name}.skip.w`) ? tape.conv(`${name}.skip`, xin) : xin;
    return tape.add(skip, hh);
  };
  const L = c.channels.length;
  let cur = tape.conv('stem', x);
  const skips: NdArray[] = [];
  for (let l = 0; l < L; l++) {
    cur = block(`down${l}`, cur);
    if (l < L - 1) {
      skips.push(cur);
      cur = tape.avgPool(cur);
    }
  }
  for (let l = L - 2; l >= 0; l--) cur = block(`up${l}`, tape.concat(tape.upsample(cur), skips[l]));
  const y = tape.conv('head.conv', tape.silu(tape.gn('head.gn', cur, c.groups)));
  const D = y.data.length / n;
  let loss = 0;
  const dy = ndarray(y.shape);
  for (let i = 0; i < y.data.length; i++) {
    const r = y.data[i] - target.data[i];
    loss += r * r;
    dy.data[i] = (2 * r) / (n * D);
  }
  loss /= n * D;
  tape.backward(y, dy);
  const grads = new Map<string, Float64Array>();
  for (const [name, v] of params) grads.set(name, tape.paramGrads.get(name) ?? new Float64Array(v.length));
  return { loss, grads };
}
