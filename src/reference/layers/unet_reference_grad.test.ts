/**
 * The float64 U-Net gradient (src/reference/layers/unet_reference_grad.ts) against (a) central finite
 * differences of its own float64 loss on a few coordinates of every parameter, and (b) the tfjs
 * gradients (tf.variableGrads through the trainer's shardGradients, cpu backend) of every parameter.
 *
 * (a) Central differences with step h have truncation error O(h²·|L'''|) and rounding error
 *     O(u64·|L|/h); with h = 1e-5 both are ≲ 1e-9 relative to the gradient scale here, so the bound
 *     is 1e-6 relative to the parameter's largest gradient entry (plus 1e-10 absolute).
 * (b) float32 vs float64, per parameter, normwise (max|Δ| / max|g64|): the backward pass runs every
 *     layer twice more (input and weight gradient), each a dot product of length ≤ K with error
 *     ≤ K·u·√K relative to the typical entry (see unet_reference.test.ts), and the errors of the
 *     3·n_layers products add: bound = 3·n_layers·K·u·√K. A wrong gradient (a missing path, a
 *     transposed filter) is off by order 1.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../backend/backend.js';
import { initParamValues } from '../../train/nn.js';
import { shardGradients } from '../../train/trainer.js';
import { UNet, unetParamSpecs, type UNetConfig } from '../../train/unet.js';
import { ndarray } from './tensor.js';
import { Rng } from '../rng.js';
import { referenceUnetForward } from './unet_reference.js';
import { referenceUnetLossAndGrads } from './unet_reference_grad.js';

const U = 2 ** -24;
const B = 3;

function setup(numClasses: number) {
  const config: UNetConfig = { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses };
  const values = initParamValues(unetParamSpecs(config), new Rng(11));
  const rng = new Rng(12);
  const x = Float32Array.from(rng.normals(B * 64));
  const target = Float32Array.from(rng.normals(B * 64));
  const t = [3, 20, 47];
  const labels = numClasses ? [0, numClasses, 1] : null;
  return { config, values, x, target, t, labels };
}

describe('float64 U-Net gradient (reference training step)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  it('the loss is the mean squared error of the float64 forward pass', () => {
    const { config, values, x, target, t } = setup(0);
    const { loss } = referenceUnetLossAndGrads(config, values, ndarray([B, 8, 8, 1], x), t, ndarray([B, 8, 8, 1], target));
    const y = referenceUnetForward(config, values, ndarray([B, 8, 8, 1], x), t);
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += (y.data[i] - target[i]) ** 2;
    expect(Math.abs(loss - s / y.data.length)).toBeLessThanOrEqual(1e-14 * loss);
  });

  it('matches central finite differences on sampled coordinates of every parameter', () => {
    const { config, values, x, target, t, labels } = setup(2);
    const X = ndarray([B, 8, 8, 1], x);
    const T = ndarray([B, 8, 8, 1], target);
    const wide = new Map([...values].map(([k, v]) => [k, Float64Array.from(v)]));
    const { grads } = referenceUnetLossAndGrads(config, wide, X, t, T, labels);
    const h = 1e-5;
    const rng = new Rng(13);
    for (const [name, v] of wide) {
      const g = grads.get(name)!;
      const scale = Math.max(...Array.from(g, Math.abs));
      for (let k = 0; k < 2; k++) {
        const i = rng.int(v.length);
        const keep = v[i];
        v[i] = keep + h;
        const lp = referenceUnetLossAndGrads(config, wide, X, t, T, labels).loss;
        v[i] = keep - h;
        const lm = referenceUnetLossAndGrads(config, wide, X, t, T, labels).loss;
        v[i] = keep;
        const fd = (lp - lm) / (2 * h);
        expect(Math.abs(fd - g[i]), `${name}[${i}]: fd ${fd} vs ${g[i]}`).toBeLessThanOrEqual(1e-6 * scale + 1e-10);
      }
    }
  });

  it('matches the tfjs gradients of every parameter (cpu backend) within the float32 bound', () => {
    for (const numClasses of [0, 2]) {
      const { config, values, x, target, t, labels } = setup(numClasses);
      const ref = referenceUnetLossAndGrads(config, values, ndarray([B, 8, 8, 1], x), t, ndarray([B, 8, 8, 1], target), labels);
      const net = new UNet(config, { values });
      const vars = net.varList();
      const r = shardGradients(config, net.vars, vars, { t: Int32Array.from(t), y: labels ? Int32Array.from(labels) : null, xt: x, target, w: new Float32Array(B).fill(1) }, B);
      const ch = config.channels;
      const K = Math.max(9 * (ch[0] + ch[1]), config.timeHiddenDim, B * 64);
      const nLayers = 2 + 1 + 4 * ch.length + 4 * (ch.length - 1) + 1;
      const bound = 3 * nLayers * K * U * Math.sqrt(K);
      expect(Math.abs(r.loss - ref.loss) / ref.loss).toBeLessThanOrEqual(bound);
      net.specs.forEach((s, k) => {
        const g32 = r.grads[k].dataSync();
        const g64 = ref.grads.get(s.name)!;
        let m = 0;
        let e = 0;
        for (let i = 0; i < g64.length; i++) {
          m = Math.max(m, Math.abs(g64[i]));
          e = Math.max(e, Math.abs(g64[i] - g32[i]));
        }
        expect(e / m, `${s.name} (classes ${numClasses})`).toBeLessThanOrEqual(bound);
      });
      for (const g of r.grads) g.dispose();
      net.dispose();
    }
  });
});
