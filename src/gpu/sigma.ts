/**
 * σ-space on tensors (EDM, Karras et al. 2022). float64 twin: src/reference/sigma.ts (definitions,
 * equations and the grid convention there).
 *
 * σ schedules, σ ↔ t mappings, the ancestral split and the EDM scalings are per-step host scalars:
 * they are the reference's float64 functions, re-exported. The tensor part is the denoiser
 * D(x̃; σ) = c_skip x̃ + c_out F(c_in x̃; t(σ)) of a TensorDiffusionModel (float32 per element,
 * coefficients rounded once to float32 when they meet a tensor).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkFiniteNumber, checkOneOf } from '../reference/errors.js';
import { discreteSigmas, edmPreconditioning, sigmaOfTime, sigmaToTimeInterp, sigmaToTimeQuantized, timeOfSigma, SIGMA_TO_TIME, type SigmaToTime } from '../reference/sigma.js';
import { checkTensorModel, lincomb, type TensorDiffusionModel } from './model.js';
import { processRates } from '../reference/model.js';

export {
  sigmaOfTime,
  timeOfSigma,
  sigmasOfTimes,
  discreteSigmas,
  sigmaToTimeInterp,
  timeToSigmaInterp,
  sigmaToTimeQuantized,
  sigmasToTimesteps,
  checkSigmaGrid,
  karrasSigmas,
  exponentialSigmas,
  polyexponentialSigmas,
  vpSigmas,
  discreteScheduleSigmas,
  ancestralStep,
  edmPreconditioning,
  SIGMA_TO_TIME,
  DISCRETE_SPACINGS,
  PRECONDITIONINGS,
  type SigmaToTime,
  type DiscreteSpacing,
  type Preconditioning,
  type Precond,
} from '../reference/sigma.js';

/** D(x̃; σ) on a σ-space batch tensor. */
export type TensorSigmaDenoiser = (x: tf.Tensor2D, sigma: number) => tf.Tensor2D;

/** The denoiser of a TensorDiffusionModel. float64 twin: modelDenoiser (same mappings and scalings). */
export function tensorModelDenoiser(model: TensorDiffusionModel, options: { mapping?: 'process' | SigmaToTime } = {}): TensorSigmaDenoiser {
  checkTensorModel(model);
  const p = model.process;
  const mapping = checkOneOf('options.mapping', options.mapping ?? 'process', ['process', ...SIGMA_TO_TIME] as const);
  let table: Float64Array | undefined;
  if (mapping !== 'process') {
    if (p.kind !== 'discrete-vp' || !p.betas) throw new DiffusionInputError('options.mapping', mapping, `needs a discrete-vp process (got ${p.label})`);
    table = discreteSigmas(p.betas);
  }
  const sigmaTop = sigmaOfTime(p, p.tMax);
  return (x: tf.Tensor2D, sigma: number) => {
    const s = checkFiniteNumber('sigma', sigma);
    if (!(s > 0)) throw new DiffusionInputError('sigma', s, 'the denoiser is evaluated at σ > 0 only (D(x; 0) = x)');
    if (!table && s > sigmaTop * (1 + 1e-12)) throw new DiffusionInputError('sigma', s, `above the largest σ of ${p.label} (σ(tMax)/α(tMax) = ${sigmaTop}); with churn (σ̂ = σ(1+γ)) keep sTmax below σ_max/(1+γ)`);
    const t = table ? (mapping === 'quantized' ? sigmaToTimeQuantized(table, s) : sigmaToTimeInterp(table, s)) : timeOfSigma(p, Math.min(s, sigmaTop));
    const a = table ? 1 / Math.sqrt(s * s + 1) : p.alpha(t);
    const xin = tf.mul(x, a) as tf.Tensor2D;
    const out = model.apply(xin, t);
    if (!(out instanceof tf.Tensor) || out.rank !== 2 || out.shape[0] !== x.shape[0] || out.shape[1] !== x.shape[1]) {
      throw new DiffusionInputError('model output', out instanceof tf.Tensor ? `shape ${JSON.stringify(out.shape)}` : out, `shape mismatch: input x has shape ${JSON.stringify(x.shape)}`);
    }
    switch (model.output) {
      case 'eps':
        return lincomb([[1, x], [-s, out]]);
      case 'x0':
        return out;
      case 'v': {
        if (p.kind === 'vp' || p.kind === 'discrete-vp') {
          const c = edmPreconditioning(s, 'v');
          return lincomb([[c.cSkip, x], [c.cOut, out]]);
        }
        const al = p.alpha(t);
        const st = p.sigma(t);
        const q = al * al + st * st;
        return lincomb([[al / q, xin], [-st / q, out]]);
      }
      case 'score': {
        const al = p.alpha(t);
        const st = p.sigma(t);
        return lincomb([[1, x], [(st * st) / al, out]]);
      }
      case 'flow': {
        // float64 twin: the 'flow' case of sigmaDenoiser (x̂_0 = (σ' x_t - σ_t u)/(α σ' - σ_t α')).
        const al = p.alpha(t);
        const st = p.sigma(t);
        const { dAlpha, dSigma } = processRates(p, t);
        const det = al * dSigma - st * dAlpha;
        return lincomb([[dSigma / det, xin], [-st / det, out]]);
      }
    }
  };
}
