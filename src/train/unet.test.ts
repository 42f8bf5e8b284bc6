/**
 * U-Net and layer tests (issue 5): layers against the float64 reference layers, every trainable
 * variable receives a nonzero gradient, shapes, parameter count, bad input.
 *
 * Backend: the best available one (selectBackend: tensorflow > wasm > cpu); the checks are
 * backend-independent up to float32 rounding.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backend/backend.js';
import { groupNorm, upsample2, timestepEmbedding, initParamValues, groupNormSpecs, type ParamSet } from './nn.js';
import { UNet, countParams, unetParamSpecs, validateUNetConfig, type UNetConfig } from './unet.js';
import { groupNorm as refGroupNorm } from '../reference/layers/groupnorm.js';
import { upsampleNearest, upsampleNearestGrad } from '../reference/layers/upsample.js';
import { ndarray } from '../reference/layers/tensor.js';
import { Rng } from '../reference/rng.js';

beforeAll(async () => {
  await selectBackend({ log: false });
});

/** float32 unit roundoff 2^-24. */
const U32 = 2 ** -24;

const TINY: Partial<UNetConfig> = { imageSize: 8, channels: [8, 16, 16], groups: 4, timeEmbedDim: 16, timeHiddenDim: 32 };

describe('layers vs the float64 reference layers', () => {
  it('groupNorm matches reference groupNorm', () => {
    const rng = new Rng(11);
    const shape = [3, 4, 4, 8];
    const x = Float64Array.from(rng.normals(3 * 4 * 4 * 8), (v, i) => 2 * v + (i % 8)); // offset channels: the mean matters
    const gamma = Float64Array.from(rng.normals(8));
    const beta = Float64Array.from(rng.normals(8));
    const ref = refGroupNorm(ndarray(shape, x), gamma, beta, 2);
    const p: ParamSet = { 'g.gamma': tf.tensor1d(Float32Array.from(gamma)), 'g.beta': tf.tensor1d(Float32Array.from(beta)) };
    const y = groupNorm(p, 'g', tf.tensor4d(Float32Array.from(x), shape as [number, number, number, number]), 2);
    const got = y.dataSync();
    // Tolerance: inputs are rounded to float32 (relative u), the group mean and variance are sums
    // of M = 4·4·4 = 64 terms (error ≤ M·u relative to Σ|x|), and x̂ = (x-μ)/σ amplifies the
    // relative error of (x-μ) by |x|/|x-μ| ≤ (max|x|+|μ|)/σ ≈ 10 here. So |Δy| ≤ |γ|·10·(M+4)·u·max|x̂|
    // ≈ |γ|·10·68·6e-8·4 ≈ 1.6e-4·|γ|; 2e-4·(|γ|+1) is a safe bound.
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref.data[i]) / (Math.abs(gamma[i % 8]) + 1));
    expect(worst).toBeLessThan(2e-4);
    expect(worst).toBeGreaterThanOrEqual(0);
  });

  it('upsample2 (reshape + broadcast) and its gradient match the reference nearest upsampling', () => {
    const rng = new Rng(12);
    const shape = [2, 3, 3, 4] as [number, number, number, number];
    const x = rng.normals(2 * 3 * 3 * 4);
    const dy = rng.normals(2 * 6 * 6 * 4);
    const ref = upsampleNearest(ndarray(shape, x));
    const refGrad = upsampleNearestGrad(ndarray([2, 6, 6, 4], dy));
    const xt = tf.tensor4d(Float32Array.from(x), shape);
    const dyt = tf.tensor4d(Float32Array.from(dy), [2, 6, 6, 4]);
    const y = upsample2(xt).dataSync();
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(upsample2(a as tf.Tensor4D), dyt)))(xt).dataSync();
    // Upsampling copies values: exact after float32 rounding of the input.
    for (let i = 0; i < y.length; i++) expect(y[i]).toBe(Math.fround(ref.data[i]));
    // The gradient sums 4 float32 products dy·1: error ≤ 3 additions · u · Σ|dy|.
    for (let i = 0; i < g.length; i++) expect(Math.abs(g[i] - refGrad.data[i])).toBeLessThanOrEqual(8 * U32 * 4 * 5);
  });

  it('timestepEmbedding is [sin(t·f_k), cos(t·f_k)] with f_k = 10000^(-k/(half-1))', () => {
    const e = timestepEmbedding([1, 37, 1000], 8).arraySync() as number[][];
    const half = 4;
    [1, 37, 1000].forEach((t, r) => {
      for (let k = 0; k < half; k++) {
        const arg = t * Math.exp((-Math.log(10000) * k) / (half - 1));
        // float32 argument (relative error u·|arg| ≤ 1000·6e-8) then float32 sin/cos.
        expect(Math.abs(e[r][k] - Math.sin(arg))).toBeLessThan(1e-4);
        expect(Math.abs(e[r][half + k] - Math.cos(arg))).toBeLessThan(1e-4);
      }
    });
  });

  it('initialization is a deterministic function of the seed', () => {
    const specs = [...groupNormSpecs('g', 4), { name: 'w', shape: [3, 5], init: 'fan-in-uniform' as const, fanIn: 3 }];
    const a = initParamValues(specs, new Rng(5)).get('w')!;
    const b = initParamValues(specs, new Rng(5)).get('w')!;
    const c = initParamValues(specs, new Rng(6)).get('w')!;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(3));
  });
});

describe('U-Net', () => {
  it('the default (recommended) architecture has 459,009 parameters', () => {
    // Counted by hand from the architecture (w + b of each layer):
    //   time MLP 64·256+256 + 256·256+256 = 82,432; stem 9·1·32+32 = 320
    //   down0 (32→32):  GN 64 + conv 9,248 + temb 8,224 + GN 64 + conv 9,248            = 26,848
    //   down1 (32→64):  GN 64 + 18,496 + temb 16,448 + GN 128 + 36,928 + skip 2,112     = 74,176
    //   down2 (64→64):  GN 128 + 36,928 + 16,448 + GN 128 + 36,928                      = 90,560
    //   up1 (128→64):   GN 256 + 73,792 + 16,448 + GN 128 + 36,928 + skip 8,256         = 135,808
    //   up0 (96→32):    GN 192 + 27,680 + 8,224 + GN 64 + 9,248 + skip 3,104            = 48,512
    //   head GN 64 + conv 9·32·1+1 = 353.  Total 459,009; class embedding adds 11·256 = 2,816.
    expect(countParams(unetParamSpecs({}))).toBe(459_009);
    expect(countParams(unetParamSpecs({ numClasses: 10 }))).toBe(459_009 + 2_816);
  });

  it('maps [N,H,W,C] to [N,H,W,C] and depends on t and on the class label', () => {
    const net = new UNet({ ...TINY, numClasses: 3 }, { seed: 1 });
    const x = tf.tensor4d(Float32Array.from(new Rng(2).normals(2 * 64)), [2, 8, 8, 1]);
    const a = net.apply(x, [5, 5], [0, 3]);
    const b = net.apply(x, [6, 500], [0, 3]);
    const c = net.apply(x, [5, 5], [1, 2]);
    expect(a.shape).toEqual([2, 8, 8, 1]);
    const diff = (p: tf.Tensor, q: tf.Tensor) => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0];
    expect(diff(a, b)).toBeGreaterThan(1e-4);
    expect(diff(a, c)).toBeGreaterThan(1e-4);
    // the batch rows are independent: row 0 is the same whatever row 1 is
    const a0 = net.apply(tf.slice(x, [0, 0, 0, 0], [1, 8, 8, 1]) as tf.Tensor4D, [5], [0]);
    expect(diff(tf.slice(a, [0, 0, 0, 0], [1, 8, 8, 1]), a0)).toBeLessThan(1e-5);
    net.dispose();
  });

  it('every trainable variable receives a nonzero gradient on a random batch (no dead layers)', () => {
    for (const numClasses of [0, 10]) {
      const net = new UNet({ ...TINY, numClasses }, { seed: 3 });
      const rng = new Rng(4);
      const n = 4;
      const x = tf.tensor4d(Float32Array.from(rng.normals(n * 64)), [n, 8, 8, 1]);
      const target = tf.tensor4d(Float32Array.from(rng.normals(n * 64)), [n, 8, 8, 1]);
      const t = [1, 250, 600, 1000];
      const labels = numClasses ? [0, 3, 9, 10] : null;
      const deadVariables = () => {
        const { grads } = tf.variableGrads(() => tf.mean(tf.squaredDifference(net.apply(x, t, labels), target)) as tf.Scalar, net.varList());
        const dead: string[] = [];
        for (const s of net.specs) {
          const maxAbs = tf.max(tf.abs(grads[net.vars[s.name].name])).dataSync()[0];
          if (!(maxAbs > 0) || !Number.isFinite(maxAbs)) dead.push(s.name);
        }
        return { dead, grads };
      };
      const { dead, grads } = deadVariables();
      expect(dead).toEqual([]);
      expect(Object.keys(grads).length).toBe(net.specs.length);
      // the class embedding gets gradient only in the rows of classes present in the batch
      if (numClasses) {
        const ge = grads[net.vars['class.embed'].name].arraySync() as number[][];
        const rowNorm = ge.map((r) => Math.max(...r.map(Math.abs)));
        for (const k of [0, 3, 9, 10]) expect(rowNorm[k]).toBeGreaterThan(0);
        expect(rowNorm[5]).toBe(0);
      }
      // The check can fail: zero the bottom block's second conv (as a zero-initialized layer would
      // be) and the layers feeding only into it are reported dead.
      net.vars['down2.conv2.w'].assign(tf.zerosLike(net.vars['down2.conv2.w']));
      const broken = deadVariables().dead;
      expect(broken).toEqual(expect.arrayContaining(['down2.conv1.w', 'down2.gn1.gamma', 'down2.temb.w']));
      net.dispose();
    }
  });

  it('rejects bad configs and inputs with errors naming the argument', () => {
    expect(() => validateUNetConfig({ channels: [12, 16], groups: 8 })).toThrow(/config\.channels\[0\].*divisible by groups/);
    expect(() => validateUNetConfig({ imageSize: 28, channels: [8, 8, 8, 8] })).toThrow(/config\.imageSize.*2\^\(levels-1\) = 8/);
    expect(() => validateUNetConfig({ timeEmbedDim: 7 })).toThrow(/config\.timeEmbedDim/);
    const net = new UNet({ ...TINY, numClasses: 2 }, { seed: 1 });
    const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
    expect(() => net.apply(tf.zeros([2, 6, 6, 1]) as tf.Tensor4D, [1, 1], [0, 0])).toThrow(/x\.shape.*shape mismatch/);
    expect(() => net.apply(x, [1], [0, 0])).toThrow(/^t: .*shape mismatch/);
    expect(() => net.apply(x, [1, NaN], [0, 0])).toThrow(/t\[1\]/);
    expect(() => net.apply(x, [1, 1])).toThrow(/labels: required/);
    expect(() => net.apply(x, [1, 1], [0, 3])).toThrow(/labels\[1\].*\{0\.\.2\}/);
    net.dispose();
    const unc = new UNet(TINY, { seed: 1 });
    expect(() => unc.apply(x, [1, 1], [0, 0])).toThrow(/unconditional/);
    unc.dispose();
  });
});
