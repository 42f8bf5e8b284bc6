/**
 * σ-space DPM-Solver++ samplers on tensors. float64 twin: src/reference/k_dpmpp.ts (derivation,
 * coefficients φ₂, φ₃, the 3M variants). Coefficients are float64 host scalars; the ancestral/SDE
 * noise is draw 1 (and, for dpmpp_sde's second stage, draw 2) of its step, or options.noiseSampler.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkFiniteNumber, checkOneOf } from '../reference/errors.js';
import { ancestralStep } from '../reference/sigma.js';
import { dpmppPhi2, dpmppPhi3 } from '../reference/k_dpmpp.js';
import { sdeNoiseSampler, type KSamplerOptions } from '../reference/k_euler.js';
import { lincomb, requireNoise, runSampler, type TensorDiffusionModel } from './model.js';
import { optNum, tensorKSetup, tensorStepNoise, toD, type TensorKSamplerOptions } from './k_euler.js';

/**
 * The SDE samplers' noise (float64 twin: sdeNoiseSampler): options.noiseSampler, else injected
 * options.noise (draws of the step), else the Brownian tree seeded from options.rng exactly as the
 * reference does (same seed draw, same path on both tiers).
 */
function sdeOptions(o: TensorKSamplerOptions, x: tf.Tensor2D, g: Float64Array, active: boolean, sampler: string): TensorKSamplerOptions {
  if (!active || o.noiseSampler || typeof o.noise === 'function') return o;
  requireNoise(o, sampler);
  const ns = sdeNoiseSampler(o as KSamplerOptions, [x.shape[0], x.shape[1]], g, sampler);
  return ns ? { ...o, noiseSampler: ns } : o;
}

/** DPM-Solver++(2S) ancestral. float64 twin: sampleKDpmpp2sAncestral. */
export function sampleKDpmpp2sAncestral(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D {
  const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
  const eta = optNum(o, 'eta', 1);
  const sNoise = optNum(o, 'sNoise', 1);
  return runSampler(x0, o, 'sampleKDpmpp2sAncestral', (r) => {
    for (let i = 0; i + 1 < g.length; i++) {
      r.step(i, g[i], g[i + 1], (cur) => {
        const denoised = D(cur, g[i]);
        const { sigmaDown, sigmaUp } = ancestralStep(g[i], g[i + 1], eta);
        let next: tf.Tensor2D;
        if (sigmaDown === 0) next = lincomb([[1, cur], [-g[i], toD(cur, denoised, g[i])]]);
        else {
          const h = Math.log(g[i]) - Math.log(sigmaDown);
          const sm = g[i] * Math.exp(-0.5 * h);
          const x2 = lincomb([[sm / g[i], cur], [-Math.expm1(-0.5 * h), denoised]]);
          next = lincomb([[sigmaDown / g[i], cur], [-Math.expm1(-h), D(x2, sm)]]);
        }
        if (sigmaUp > 0) next = lincomb([[1, next], [sNoise * sigmaUp, tensorStepNoise(r, o, next, i, g[i], g[i + 1], 1, 'dpmpp_2s_ancestral')]]);
        return { x: next, denoised };
      });
    }
  });
}

/** DPM-Solver++ SDE (two stages, r default ½). float64 twin: sampleKDpmppSde. */
export function sampleKDpmppSde(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D {
  const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
  const eta = optNum(o, 'eta', 1);
  const sNoise = optNum(o, 'sNoise', 1);
  const rr = checkFiniteNumber('options.r', o.r ?? 0.5);
  if (!(rr > 0 && rr < 1)) throw new DiffusionInputError('options.r', rr, 'must lie in (0, 1)');
  const fac = 1 / (2 * rr);
  const so = sdeOptions(o, x0, g, eta > 0 && sNoise > 0, 'dpmpp_sde');
  return runSampler(x0, o, 'sampleKDpmppSde', (r) => {
    for (let i = 0; i + 1 < g.length; i++) {
      r.step(i, g[i], g[i + 1], (cur) => {
        const denoised = D(cur, g[i]);
        if (g[i + 1] === 0) return { x: lincomb([[1, cur], [-g[i], toD(cur, denoised, g[i])]]), denoised };
        const h = Math.log(g[i]) - Math.log(g[i + 1]);
        const ss = g[i] * Math.exp(-rr * h);
        const a1 = ancestralStep(g[i], ss, eta);
        let x2 = lincomb([[a1.sigmaDown / g[i], cur], [-Math.expm1(Math.log(a1.sigmaDown / g[i])), denoised]]);
        if (a1.sigmaUp > 0) x2 = lincomb([[1, x2], [sNoise * a1.sigmaUp, tensorStepNoise(r, so, x2, i, g[i], ss, 1, 'dpmpp_sde')]]);
        const d2 = D(x2, ss);
        const a2 = ancestralStep(g[i], g[i + 1], eta);
        const dd = lincomb([[1 - fac, denoised], [fac, d2]]);
        let next = lincomb([[a2.sigmaDown / g[i], cur], [-Math.expm1(Math.log(a2.sigmaDown / g[i])), dd]]);
        if (a2.sigmaUp > 0) next = lincomb([[1, next], [sNoise * a2.sigmaUp, tensorStepNoise(r, so, next, i, g[i], g[i + 1], 2, 'dpmpp_sde')]]);
        return { x: next, denoised };
      });
    }
  });
}

/** DPM-Solver++(2M), first order on the first step and on the step to σ = 0. float64 twin: sampleKDpmpp2m. */
export function sampleKDpmpp2m(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D {
  const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
  return runSampler(x0, o, 'sampleKDpmpp2m', (r) => {
    let hLast = 0;
    for (let i = 0; i + 1 < g.length; i++) {
      r.step(i, g[i], g[i + 1], (cur) => {
        const denoised = D(cur, g[i]);
        const old = r.carry[0] as tf.Tensor2D | undefined;
        let next: tf.Tensor2D;
        if (g[i + 1] === 0) next = tf.clone(denoised) as tf.Tensor2D;
        else {
          const h = Math.log(g[i]) - Math.log(g[i + 1]);
          let dd = denoised;
          if (old) {
            const q = hLast / h;
            dd = lincomb([[1 + 1 / (2 * q), denoised], [-1 / (2 * q), old]]);
          }
          next = lincomb([[g[i + 1] / g[i], cur], [-Math.expm1(-h), dd]]);
        }
        return { x: next, denoised: tf.clone(denoised) as tf.Tensor2D, carry: [denoised] };
      });
      if (g[i + 1] > 0) hLast = Math.log(g[i]) - Math.log(g[i + 1]);
    }
  });
}

/** SDE-DPM-Solver++(2M), 'midpoint' or 'heun'. float64 twin: sampleKDpmpp2mSde. */
export function sampleKDpmpp2mSde(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D {
  const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
  const eta = optNum(o, 'eta', 1);
  const sNoise = optNum(o, 'sNoise', 1);
  const solver = checkOneOf('options.solverType', o.solverType ?? 'midpoint', ['midpoint', 'heun'] as const);
  const so = sdeOptions(o, x0, g, eta > 0 && sNoise > 0, 'dpmpp_2m_sde');
  return runSampler(x0, o, 'sampleKDpmpp2mSde', (r) => {
    let hLast = 0;
    for (let i = 0; i + 1 < g.length; i++) {
      const h = g[i + 1] === 0 ? 0 : Math.log(g[i]) - Math.log(g[i + 1]);
      r.step(i, g[i], g[i + 1], (cur) => {
        const denoised = D(cur, g[i]);
        const old = r.carry[0] as tf.Tensor2D | undefined;
        if (g[i + 1] === 0) return { x: tf.clone(denoised) as tf.Tensor2D, denoised: tf.clone(denoised) as tf.Tensor2D, carry: [denoised] };
        const k = (1 + eta) * h;
        const terms: [number, tf.Tensor2D][] = [
          [(g[i + 1] / g[i]) * Math.exp(-eta * h), cur],
          [-Math.expm1(-k), denoised],
        ];
        if (old) {
          const q = hLast / h;
          const c = solver === 'midpoint' ? (-0.5 * Math.expm1(-k)) / q : dpmppPhi2(k) / q;
          terms.push([c, denoised], [-c, old]);
        }
        let next = lincomb(terms);
        if (eta > 0 && sNoise > 0) next = lincomb([[1, next], [sNoise * g[i + 1] * Math.sqrt(-Math.expm1(-2 * eta * h)), tensorStepNoise(r, so, next, i, g[i], g[i + 1], 1, 'dpmpp_2m_sde')]]);
        return { x: next, denoised: tf.clone(denoised) as tf.Tensor2D, carry: [denoised] };
      });
      if (g[i + 1] > 0) hLast = h;
    }
  });
}

/** SDE-DPM-Solver++(3M), variant 'k-diffusion' (default) or 'taylor'. float64 twin: sampleKDpmpp3mSde. */
export function sampleKDpmpp3mSde(model: TensorDiffusionModel, x: tf.Tensor2D, sigmas: ArrayLike<number>, options?: TensorKSamplerOptions): tf.Tensor2D {
  const { D, sigmas: g, x: x0, o } = tensorKSetup(model, x, sigmas, options);
  const eta = optNum(o, 'eta', 1);
  const sNoise = optNum(o, 'sNoise', 1);
  const c3 = checkOneOf('options.variant', o.variant ?? 'k-diffusion', ['k-diffusion', 'taylor'] as const) === 'taylor' ? 2 : 1;
  const so = sdeOptions(o, x0, g, eta > 0 && sNoise > 0, 'dpmpp_3m_sde');
  return runSampler(x0, o, 'sampleKDpmpp3mSde', (r) => {
    let h1 = 0;
    let h2 = 0;
    for (let i = 0; i + 1 < g.length; i++) {
      const h = g[i + 1] === 0 ? 0 : Math.log(g[i]) - Math.log(g[i + 1]);
      r.step(i, g[i], g[i + 1], (cur) => {
        const denoised = D(cur, g[i]);
        const [d1m, d2m] = r.carry as tf.Tensor2D[];
        const carry = d1m ? [denoised, tf.clone(d1m) as tf.Tensor2D] : [denoised];
        if (g[i + 1] === 0) return { x: tf.clone(denoised) as tf.Tensor2D, denoised: tf.clone(denoised) as tf.Tensor2D, carry };
        const k = (1 + eta) * h;
        const terms: [number, tf.Tensor2D][] = [
          [(g[i + 1] / g[i]) * Math.exp(-eta * h), cur],
          [-Math.expm1(-k), denoised],
        ];
        if (d1m && d2m) {
          const r0 = h1 / h;
          const r1 = h2 / h;
          const w = r0 / (r0 + r1);
          const p2 = dpmppPhi2(k);
          const p3 = c3 * dpmppPhi3(k);
          const a0 = p2 * (1 + w) - p3 / (r0 + r1);
          const a1 = -p2 * w + p3 / (r0 + r1);
          const delta0 = lincomb([[1 / r0, denoised], [-1 / r0, d1m]]);
          const delta1 = lincomb([[1 / r1, d1m], [-1 / r1, d2m]]);
          terms.push([a0, delta0], [a1, delta1]);
        } else if (d1m) {
          const p2 = dpmppPhi2(k) / (h1 / h);
          terms.push([p2, denoised], [-p2, d1m]);
        }
        let next = lincomb(terms);
        if (eta > 0 && sNoise > 0) next = lincomb([[1, next], [sNoise * g[i + 1] * Math.sqrt(-Math.expm1(-2 * eta * h)), tensorStepNoise(r, so, next, i, g[i], g[i + 1], 1, 'dpmpp_3m_sde')]]);
        return { x: next, denoised: tf.clone(denoised) as tf.Tensor2D, carry };
      });
      if (g[i + 1] > 0) {
        h2 = h1;
        h1 = h;
      }
    }
  });
}
