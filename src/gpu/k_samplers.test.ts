/**
 * Tensor twins of the σ-space samplers (src/gpu/k_euler.ts, k_dpmpp.ts, sigma.ts, brownian.ts)
 * against the float64 reference: same exact mixture denoiser (hostModel), same noise (same Rng seed,
 * or the same Brownian tree), same trajectory to float32 accuracy. The tolerance here is a smoke
 * bound (the final state to 2e-4 relative); the derived step-by-step float32 bound runs in the
 * sampler cross-check (properties/samplers-crosscheck.test.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../backend/index.js';
import * as R from '../reference/index.js';
import * as G from './index.js';
import { hostModel } from './model.js';

beforeAll(async () => {
  await selectBackend({ log: false });
});

const mix = R.makeMixture({ weights: [0.5, 0.5], means: [[1, 1], [-1, -0.5]], stds: [0.3, 0.5] });
const model = R.mixtureModel(mix, R.vpProcess(), 'eps');
const tmodel = hostModel(model);
const sig = R.karrasSigmas(8, 0.02, 20);
const x0 = new R.Rng(4).normalBatch(5, 2).map((r) => Float64Array.from(r.map((v) => Math.fround(20 * v))));

const PAIRS: [string, R.SamplerFn, G.TensorSamplerFn, Record<string, unknown>][] = [
  ['euler', R.sampleKEuler, G.sampleKEuler, {}],
  ['euler churn', R.sampleKEuler, G.sampleKEuler, { sChurn: 4 }],
  ['euler_ancestral', R.sampleKEulerAncestral, G.sampleKEulerAncestral, {}],
  ['heun', R.sampleKHeun, G.sampleKHeun, { sChurn: 4, sTmin: 0.1, sTmax: 10 }],
  ['dpm_2', R.sampleKDpm2, G.sampleKDpm2, {}],
  ['dpm_2_ancestral', R.sampleKDpm2Ancestral, G.sampleKDpm2Ancestral, {}],
  ['lms', R.sampleKLms, G.sampleKLms, {}],
  ['dpmpp_2s_ancestral', R.sampleKDpmpp2sAncestral, G.sampleKDpmpp2sAncestral, {}],
  ['dpmpp_sde', R.sampleKDpmppSde, G.sampleKDpmppSde, {}],
  ['dpmpp_2m', R.sampleKDpmpp2m, G.sampleKDpmpp2m, {}],
  ['dpmpp_2m_sde', R.sampleKDpmpp2mSde, G.sampleKDpmpp2mSde, {}],
  ['dpmpp_2m_sde heun', R.sampleKDpmpp2mSde, G.sampleKDpmpp2mSde, { solverType: 'heun' }],
  ['dpmpp_3m_sde', R.sampleKDpmpp3mSde, G.sampleKDpmpp3mSde, {}],
  ['dpmpp_3m_sde taylor', R.sampleKDpmpp3mSde, G.sampleKDpmpp3mSde, { variant: 'taylor', eta: 0 }],
];

const rowsOf = (t: tf.Tensor2D): Float64Array[] => {
  const [n, d] = t.shape;
  const f = t.dataSync();
  return Array.from({ length: n }, (_, r) => Float64Array.from(f.subarray(r * d, (r + 1) * d)));
};

describe('σ-space tensor samplers follow the float64 reference (same denoiser, same noise)', () => {
  for (const [name, ref, ten, opts] of PAIRS) {
    it(`${name}: rng path and Brownian-tree path; no tensor leak`, () => {
      const a = ref(model, x0, sig, { ...opts, rng: new R.Rng(9) });
      const xt = tf.tensor2d(x0.map((r) => Array.from(r)));
      const before = tf.memory().numTensors;
      const bt = ten(tmodel, xt, sig, { ...opts, rng: new R.Rng(9) } as G.TensorSamplerOptions);
      const b = rowsOf(bt);
      bt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const scale = Math.max(1, ...a.flatMap((r) => Array.from(r, Math.abs)));
      const err = Math.max(...a.flatMap((r, k) => Array.from(r, (v, i) => Math.abs(v - b[k][i]))));
      expect(err).toBeLessThan(2e-4 * scale);
      const tree = () => new R.BrownianTree({ seed: 5, t0: 0.02, t1: 20, shape: [5, 2] });
      const c = ref(model, x0, sig, { ...opts, rng: new R.Rng(1), noiseSampler: R.brownianNoiseSampler(tree()) } as R.SamplerOptions);
      const dt = ten(tmodel, xt, sig, { ...opts, rng: new R.Rng(1), noiseSampler: R.brownianNoiseSampler(tree()) } as G.TensorSamplerOptions);
      const d = rowsOf(dt);
      dt.dispose();
      xt.dispose();
      const err2 = Math.max(...c.flatMap((r, k) => Array.from(r, (v, i) => Math.abs(v - d[k][i]))));
      expect(err2).toBeLessThan(2e-4 * scale);
    });
  }
  it('tensor denoiser = reference denoiser for every output kind; input errors name the argument', () => {
    const x = tf.tensor2d(x0.map((r) => Array.from(r)));
    for (const out of ['eps', 'x0', 'v', 'score'] as const) {
      for (const p of [R.vpProcess(), R.veProcess({ sigmaMin: 0.01, sigmaMax: 80 }), R.discreteVpProcess(R.betaSchedule('linear', 1000))]) {
        const m = R.mixtureModel(mix, p, out);
        const want = R.modelDenoiser(m)(x0, 3);
        const got = rowsOf(G.tensorModelDenoiser(hostModel(m))(x, 3));
        expect(Math.max(...want.flatMap((r, k) => Array.from(r, (v, i) => Math.abs(v - got[k][i]))))).toBeLessThan(1e-4);
      }
    }
    const dm = R.mixtureModel(mix, R.discreteVpProcess(R.betaSchedule('linear', 1000)), 'eps');
    const q = rowsOf(G.tensorModelDenoiser(hostModel(dm), { mapping: 'quantized' })(x, 3));
    const qr = R.modelDenoiser(dm, { mapping: 'quantized' })(x0, 3);
    expect(Math.abs(q[0][0] - qr[0][0])).toBeLessThan(1e-4);
    expect(() => G.tensorModelDenoiser(tmodel)(x, 0)).toThrow(/sigma/);
    expect(() => G.tensorModelDenoiser(tmodel, { mapping: 'interp' })).toThrow(/options.mapping/);
    expect(() => G.sampleKEulerAncestral(tmodel, x, sig)).toThrow(/options.rng/);
    expect(() => G.sampleKLms(tmodel, x, sig, { order: 7 } as G.TensorKSamplerOptions)).toThrow(/options.order/);
    expect(() => G.sampleKEuler(tmodel, x, [1, 1, 0])).toThrow(/sigmas\[1\]/);
    x.dispose();
  });
});
