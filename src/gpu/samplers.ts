/**
 * Tensor sampler registry (style: k-diffusion's sampling.py): the same names as the float64 registry
 * (src/reference/samplers.ts) and one signature
 *     (model: TensorDiffusionModel, x: tf.Tensor2D [batch, dim], timeGrid, options?) → tf.Tensor2D
 * with options {rng | noise, callback, …} (src/gpu/sampling.ts). Each sampler is the tensor twin of the
 * reference sampler of the same name: same equation, same grid rules, same random-number order, so
 * with the same denoiser and the same noise both tiers produce the same trajectory up to float32
 * rounding (properties/samplers-crosscheck.test.ts checks this step by step).
 *
 * The registry is read from the reference's descriptor table (SAMPLER_TABLE): each descriptor's
 * `family` and `fn` name the function here, in src/gpu/<family>.ts (the same export name as the
 * float64 function in src/reference/<family>.ts).
 */
import { DiffusionInputError } from '../reference/errors.js';
import { SAMPLER_NAMES, resolveSamplers, type SamplerFamily, type SamplerName } from '../reference/samplers.js';
import type { TensorSamplerFn } from './model.js';
import * as langevin from './langevin.js';
import * as sde from './sde.js';
import * as ode from './ode.js';
import * as dpm_solver from './dpm_solver.js';
import * as indi from './indi.js';
import * as ancestral from './ancestral.js';
import * as k_euler from './k_euler.js';
import * as k_dpmpp from './k_dpmpp.js';
import * as multistep from './multistep.js';
import * as pndm from './pndm.js';
import * as flow from './flow.js';

export { SAMPLER_NAMES, type SamplerName };

/** The family modules of this tier, by family name. */
export const TENSOR_FAMILIES: Readonly<Record<SamplerFamily, object>> = { langevin, sde, ode, dpm_solver, indi, ancestral, k_euler, k_dpmpp, multistep, pndm, flow };

/** Name → tensor sampler (every name of the reference registry). */
export const TENSOR_SAMPLERS: Readonly<Record<SamplerName, TensorSamplerFn>> = resolveSamplers<TensorSamplerFn>(TENSOR_FAMILIES, 'src/gpu');

/** The tensor sampler of that name; throws naming `name` and listing the known ones otherwise. */
export function getTensorSampler(name: string): TensorSamplerFn {
  const fn = (TENSOR_SAMPLERS as Record<string, TensorSamplerFn | undefined>)[name];
  if (!fn || !Object.prototype.hasOwnProperty.call(TENSOR_SAMPLERS, name)) throw new DiffusionInputError('name', name, `unknown sampler; expected one of ${SAMPLER_NAMES.join(', ')}`);
  return fn;
}
