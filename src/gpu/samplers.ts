/**
 * Tensor sampler registry (style: k-diffusion's sampling.py): the same names as the float64 registry
 * (src/reference/samplers.ts) and one signature
 *     (model: TensorDiffusionModel, x: tf.Tensor2D [batch, dim], timeGrid, options?) → tf.Tensor2D
 * with options {rng | noise, callback, …} (src/gpu/model.ts). Each sampler is the tensor twin of the
 * reference sampler of the same name: same equation, same grid rules, same random-number order, so
 * with the same denoiser and the same noise both tiers produce the same trajectory up to float32
 * rounding (properties/samplers-crosscheck.test.ts checks this step by step).
 */
import { DiffusionInputError } from '../reference/errors.js';
import { SAMPLER_NAMES, type SamplerName } from '../reference/samplers.js';
import type { TensorSamplerFn } from './model.js';
import { sampleLangevin, sampleAnnealedLangevin } from './langevin.js';
import { sampleEulerMaruyama, sampleVpReverseSde, sampleVeReverseSde, samplePredictorCorrector } from './sde.js';
import { sampleOdeEuler, sampleOdeHeun, sampleOdeRk4 } from './ode.js';
import { sampleDpmSolver1, sampleDpmSolver2, sampleDpmSolver3, sampleDpmSolverPP2M } from './dpm_solver.js';
import { sampleIndi } from './indi.js';
import { sampleDdpm, sampleDdim } from './ancestral.js';
import { sampleDpmSolver2M, sampleDpmSolver3M, sampleDpmSolverPP3M, sampleDpmSolverPP2S, sampleDpmSolverPP3S, sampleUniPCBh1, sampleUniPCBh2, sampleDeis } from './multistep.js';
import { samplePndm, samplePlms } from './pndm.js';
import { sampleFlowEuler, sampleFlowHeun } from './flow.js';

export { SAMPLER_NAMES, type SamplerName };

/** Name → tensor sampler (every name of the reference registry). */
export const TENSOR_SAMPLERS: Readonly<Record<SamplerName, TensorSamplerFn>> = Object.freeze({
  langevin: sampleLangevin,
  'annealed-langevin': sampleAnnealedLangevin,
  'euler-maruyama': sampleEulerMaruyama,
  'vp-reverse-sde': sampleVpReverseSde,
  've-reverse-sde': sampleVeReverseSde,
  'predictor-corrector': samplePredictorCorrector,
  'ode-euler': sampleOdeEuler,
  'ode-heun': sampleOdeHeun,
  'ode-rk4': sampleOdeRk4,
  'dpm-solver-1': sampleDpmSolver1,
  'dpm-solver-2': sampleDpmSolver2,
  'dpm-solver-3': sampleDpmSolver3,
  'dpm-solver++2m': sampleDpmSolverPP2M,
  indi: sampleIndi,
  ddpm: sampleDdpm,
  ddim: sampleDdim,
  'dpm-solver-2m': sampleDpmSolver2M,
  'dpm-solver-3m': sampleDpmSolver3M,
  'dpm-solver++3m': sampleDpmSolverPP3M,
  'dpm-solver++2s': sampleDpmSolverPP2S,
  'dpm-solver++3s': sampleDpmSolverPP3S,
  'unipc-bh1': sampleUniPCBh1,
  'unipc-bh2': sampleUniPCBh2,
  deis: sampleDeis,
  pndm: samplePndm,
  plms: samplePlms,
  'flow-euler': sampleFlowEuler,
  'flow-heun': sampleFlowHeun,
});

/** The tensor sampler of that name; throws naming `name` and listing the known ones otherwise. */
export function getTensorSampler(name: string): TensorSamplerFn {
  const fn = (TENSOR_SAMPLERS as Record<string, TensorSamplerFn | undefined>)[name];
  if (!fn || !Object.prototype.hasOwnProperty.call(TENSOR_SAMPLERS, name)) throw new DiffusionInputError('name', name, `unknown sampler; expected one of ${SAMPLER_NAMES.join(', ')}`);
  return fn;
}
