/**
 * σ-space Euler/Heun-family samplers on tensors. float64 twin: src/reference/k_euler.ts (formulas,
 * grid and noise conventions there: σ grid, x̃ in σ-space, callback t/tNext = σ's).
 *
 * Noise: churn noise is draw 0 of its step, the ancestral noise draw 1 (options.noise(step, shape,
 * draw)), or options.rng consumed in the reference's order, or — for the ancestral noise —
 * options.noiseSampler(σ, σ_next) (the reference's Brownian tree: the same path on both tiers).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import { ancestralStep, checkSigmaGrid, SIGMA_TO_TIME } from '../reference/sigma.js';
import { lmsCoefficient, type KSamplerOptions } from '../reference/k_euler.js';
import { checkInitialBatch, checkTensorModel, lincomb, requireNoise, runSampler, type StepRunner, type TensorDiffusionModel, type TensorSamplerOptions } from './model.js';
import { tensorModelDenoiser, type TensorSigmaDenoiser } from './sigma.js';
import { noiseTensor } from './brownian.js';

/** The reference's σ-space options with the tensor tier's noise/callback. */
export type TensorKSamplerOptions = TensorSamplerOptions & Omit<KSamplerOptions, 'rng' | 'callback'>;

export interface TensorKSetup {
  D: TensorSigmaDenoiser;
  sigmas: Float64Array;
  x: tf.Tensor2D;
  o: TensorKSamplerOptions;
}

export function tensorKSetup(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options: TensorKSamplerOptions | undefined): TensorKSetup {
  checkTensorModel(model);
  const o = options ?? {};
  const mapping = checkOneOf('options.mapping', o.mapping ?? 'process', ['process', ...SIGMA_TO_TIME] as const);
  const g = checkSigmaGrid(sigmas);
  if (o.noiseSampler !== undefined && typeof o.noiseSampler !== 'function') throw new DiffusionInputError('options.noiseSampler', o.noiseSampler, 'must be a function (σ, σ_next) → batch of normals');
  return { D: tensorModelDenoiser(model, { mapping }), sigmas: g, x: checkInitialBatch(x), o };
}

export function optNum(o: TensorKSamplerOptions, key: 'sNoise' | 'sChurn' | 'sTmin' | 'sTmax' | 'eta', dflt: number): number {
  const v = o[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DiffusionInputError(`options.${key}`, v, 'must be a finite number ≥ 0');
  return v;
}

/** Standard normals of the step σ → σ_next (noiseSampler, else draw `draw` of step i). */
export function tensorStepNoise(r: StepRunner, o: TensorKSamplerOptions, x: tf.Tensor2D, i: number, sigma: number, sigmaNext: number, draw: number, sampler: string): tf.Tensor2D {
  if (o.noiseSampler) {
    const z = noiseTensor(o.noiseSampler, sigma, sigmaNext);
    if (z.shape[0] !== x.shape[0] || z.shape[1] !== x.shape[1]) throw new DiffusionInputError('options.noiseSampler', `shape ${JSON.stringify(z.shape)}`, `must return a batch shaped like x ${JSON.stringify(x.shape)}`);
    return z;
  }
  requireNoise(o, sampler);
  return r.noise(i, draw);
}

/** d = (x - D)/σ. */
export function toD(x: tf.Tensor2D, denoised: tf.Tensor2D, sigma: number): tf.Tensor2D {
  return lincomb([[1 / sigma, x], [-1 / sigma, denoised]]);
}

/** EDM churn (Algorithm 2 lines 4-6), draw 0 of step i. float64 twin: churn. */
export function tensorChurn(r: StepRunner, o: TensorKSamplerOptions, x: tf.Tensor2D, i: number, sigma: number, steps: number, sampler: string): { x: tf.Tensor2D; sigmaHat: number } {
  const sChurn = optNum(o, 'sChurn', 0);
  const sTmin = optNum(o, 'sTmin', 0);
  const sTmax = o.sTmax === undefined ? Infinity : optNum(o, 'sTmax', 0);
  const sNoise = optNum(o, 'sNoise', 1);
  const gamma = sChurn > 0 && sigma >= sTmin && sigma <= sTmax ? Math.min(sChurn / steps, Math.SQRT2 - 1) : 0;
  if (gamma === 0) return { x, sigmaHat: sigma };
  requireNoise(o, sampler);
  const sigmaHat = sigma * (1 + gamma);
  return { x: lincomb([[1, x], [sNoise * Math.sqrt(sigmaHat * sigmaHat - sigma * sigma), r.noise(i, 0)]]), sigmaHat };
}

function churnFamily(name: string, kind: 'euler' | 'heun' | 'dpm_2') {
  return (model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D => {
    const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
    const N = g.length - 1;
    return runSampler(x0, o, name, (r) => {
      for (let i = 0; i < N; i++) {
        let sh = g[i];
        r.step(i, g[i], g[i + 1], (cur) => {
          const c = tensorChurn(r, o, cur, i, g[i], N, kind);
          sh = c.sigmaHat;
          const denoised = D(c.x, sh);
          const d = toD(c.x, denoised, sh);
          const dt = g[i + 1] - sh;
          let next: tf.Tensor2D;
          if (kind === 'euler' || g[i + 1] === 0) next = lincomb([[1, c.x], [dt, d]]);
          else if (kind === 'heun') {
            const x2 = lincomb([[1, c.x], [dt, d]]);
            const d2 = toD(x2, D(x2, g[i + 1]), g[i + 1]);
            next = lincomb([[1, c.x], [dt / 2, d], [dt / 2, d2]]);
          } else {
            const sm = Math.exp(0.5 * (Math.log(sh) + Math.log(g[i + 1])));
            const x2 = lincomb([[1, c.x], [sm - sh, d]]);
            const d2 = toD(x2, D(x2, sm), sm);
            next = lincomb([[1, c.x], [dt, d2]]);
          }
          return { x: next, denoised };
        });
      }
    });
  };
}

/** Euler in σ (with churn). float64 twin: sampleKEuler. */
export const sampleKEuler = churnFamily('sampleKEuler', 'euler');
/** Heun, EDM Algorithm 2. float64 twin: sampleKHeun. */
export const sampleKHeun = churnFamily('sampleKHeun', 'heun');
/** DPM-2 (log-σ midpoint). float64 twin: sampleKDpm2. */
export const sampleKDpm2 = churnFamily('sampleKDpm2', 'dpm_2');

function ancestralFamily(name: string, kind: 'euler_ancestral' | 'dpm_2_ancestral') {
  return (model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D => {
    const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
    const eta = optNum(o, 'eta', 1);
    const sNoise = optNum(o, 'sNoise', 1);
    return runSampler(x0, o, name, (r) => {
      for (let i = 0; i + 1 < g.length; i++) {
        r.step(i, g[i], g[i + 1], (cur) => {
          const denoised = D(cur, g[i]);
          const { sigmaDown, sigmaUp } = ancestralStep(g[i], g[i + 1], eta);
          const d = toD(cur, denoised, g[i]);
          let next: tf.Tensor2D;
          if (kind === 'euler_ancestral' || sigmaDown === 0) next = lincomb([[1, cur], [sigmaDown - g[i], d]]);
          else {
            const sm = Math.exp(0.5 * (Math.log(g[i]) + Math.log(sigmaDown)));
            const x2 = lincomb([[1, cur], [sm - g[i], d]]);
            const d2 = toD(x2, D(x2, sm), sm);
            next = lincomb([[1, cur], [sigmaDown - g[i], d2]]);
          }
          if (sigmaUp > 0) next = lincomb([[1, next], [sNoise * sigmaUp, tensorStepNoise(r, o, next, i, g[i], g[i + 1], 1, kind)]]);
          return { x: next, denoised };
        });
      }
    });
  };
}

/** Euler ancestral. float64 twin: sampleKEulerAncestral. */
export const sampleKEulerAncestral = ancestralFamily('sampleKEulerAncestral', 'euler_ancestral');
/** DPM-2 ancestral. float64 twin: sampleKDpm2Ancestral. */
export const sampleKDpm2Ancestral = ancestralFamily('sampleKDpm2Ancestral', 'dpm_2_ancestral');

/** Linear multistep in σ (order ≤ 4; coefficients are the reference's host scalars). float64 twin: sampleKLms. */
export function sampleKLms(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D {
  const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
  const order = o.order ?? 4;
  if (!Number.isInteger(order) || order < 1 || order > 4) throw new DiffusionInputError('options.order', order, 'must be an integer in 1..4');
  return runSampler(x0, o, 'sampleKLms', (r) => {
    for (let i = 0; i + 1 < g.length; i++) {
      r.step(i, g[i], g[i + 1], (cur) => {
        const denoised = D(cur, g[i]);
        const ds = [toD(cur, denoised, g[i]), ...(r.carry as tf.Tensor2D[])].slice(0, order);
        const k = Math.min(i + 1, order);
        const terms: [number, tf.Tensor2D][] = [[1, cur]];
        for (let j = 0; j < k; j++) terms.push([lmsCoefficient(k, g, i, j), ds[j]]);
        return { x: lincomb(terms), denoised, carry: ds.map((t) => tf.keep(t.clone())) };
      });
    }
  });
}
