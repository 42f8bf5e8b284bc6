/**
 * The float64 U-Net of the benchmark (src/reference/layers/unet_reference.ts) computes the same function as
 * the tfjs U-Net (src/train/unet.ts), and its FLOP count is the hand count. Speed is not tested.
 *
 * Tolerance (normwise: max|y64 - y32| / max|y64|). Every layer's float32 dot products of length
 * ≤ K obey |fl(Σ) - Σ| ≤ γ_K·Σ|x_i w_i| with γ_K ≈ K·u (u = 2^-24), and Σ|x_i w_i| is at most
 * √K·(typical |y|) for weights of random sign; the normalized blocks pass errors on with gain ≈ 1,
 * so the errors of the n_layers matrix/conv layers add: bound = n_layers · K·u · √K. The sinusoid
 * arguments t·ω are rounded at magnitude t_max, adding t_max·u (here t ≤ 50: negligible). A wiring
 * mistake (skip order, wrong group norm, missing time embedding) gives errors of order 1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../../backend/backend.js';
import { initParamValues } from '../../train/nn.js';
import { UNet, unetParamSpecs, type UNetConfig } from '../../train/unet.js';
import { ndarray } from './tensor.js';
import { Rng } from '../rng.js';
import { referenceUnetForward, unetForwardFlops, unetTrainFlops } from './unet_reference.js';

const U = 2 ** -24;

function compare(config: UNetConfig, labels: number[] | null): { rel: number; bound: number } {
  const values = initParamValues(unetParamSpecs(config), new Rng(3));
  const B = 3;
  const S = config.imageSize;
  const rng = new Rng(4);
  const x = Float32Array.from(rng.normals(B * S * S));
  const t = [1, 17, 50];
  const ref = referenceUnetForward(config, values, ndarray([B, S, S, 1], x), t, labels);
  const net = new UNet(config, { values });
  const X = tf.tensor4d(x, [B, S, S, 1]);
  const y = net.apply(X, t, labels);
  const got = y.dataSync();
  tf.dispose([X, y]);
  net.dispose();
  let m = 0;
  let e = 0;
  for (let i = 0; i < got.length; i++) {
    m = Math.max(m, Math.abs(ref.data[i]));
    e = Math.max(e, Math.abs(ref.data[i] - got[i]));
  }
  // Largest reduction: a 3×3 conv over the concatenated channels of the top up-block.
  const ch = config.channels;
  const K = Math.max(9 * (ch[0] + ch[1]), config.timeHiddenDim);
  const nLayers = 2 + 1 + 4 * ch.length + 4 * (ch.length - 1) + 1; // time MLP, stem, blocks (2 convs, dense, skip), head
  return { rel: e / m, bound: nLayers * K * U * Math.sqrt(K) + 50 * U };
}

describe('float64 reference U-Net (benchmark workload 3)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('matches the tfjs U-Net (cpu backend) on the same weights: unconditional', () => {
    const config: UNetConfig = { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses: 0 };
    const { rel, bound } = compare(config, null);
    expect(rel).toBeLessThanOrEqual(bound);
  });

  it('matches with class conditioning (one-hot × embedding, null class)', () => {
    const config: UNetConfig = { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses: 3 };
    const { rel, bound } = compare(config, [0, 2, 3]);
    expect(rel).toBeLessThanOrEqual(bound);
  });

  it('rejects a wrong input shape and missing labels, naming the argument', () => {
    const config: UNetConfig = { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses: 2 };
    const values = initParamValues(unetParamSpecs(config), new Rng(3));
    expect(() => referenceUnetForward(config, values, ndarray([1, 4, 4, 1]), [1])).toThrow(/x\.shape/);
    expect(() => referenceUnetForward(config, values, ndarray([1, 8, 8, 1]), [1])).toThrow(/labels/);
    expect(() => referenceUnetForward(config, values, ndarray([1, 8, 8, 1]), [1, 2], [0])).toThrow(/\bt\b/);
  });

  it('FLOP count = the hand count of every conv and dense layer', () => {
    // imageSize 4, one level of 8 channels: time MLP 8→16→16, stem 1→8, block 8→8 (two 3×3 convs,
    // dense 16→8, no skip conv), head 8→1; 16 pixels.
    const config: UNetConfig = { imageSize: 4, inChannels: 1, outChannels: 1, channels: [8], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses: 0 };
    const px = 16;
    const hand = 2 * 8 * 16 + 2 * 16 * 16 + 2 * px * 9 * 1 * 8 + 2 * (2 * px * 9 * 8 * 8) + 2 * 16 * 8 + 2 * px * 9 * 8 * 1;
    expect(unetForwardFlops(config)).toBe(hand);
    expect(unetTrainFlops(config)).toBe(3 * hand);
    // Two levels add a 1×1 skip conv where the channel count changes (8 → 16 at 2×2, 24 → 8 back up).
    const two: UNetConfig = { ...config, channels: [8, 16] };
    const lvl1 = 2 * 4 * 9 * 8 * 16 + 2 * 4 * 9 * 16 * 16 + 2 * 16 * 16 + 2 * 4 * 8 * 16;
    const up0 = 2 * px * 9 * 24 * 8 + 2 * px * 9 * 8 * 8 + 2 * 16 * 8 + 2 * px * 24 * 8;
    expect(unetForwardFlops(two)).toBe(hand + lvl1 + up0);
  });
});
