/**
 * Sampler registry (style: k-diffusion's sampling.py). Every sampler has the signature
 *     (model: DiffusionModel, x: batch, timeGrid, options?: {rng, callback, …}) → batch
 * so swapping samplers is changing one name: `getSampler('dpm-solver-2')(model, x, grid, opts)`.
 * Shared types (Process, DiffusionModel, SamplerOptions, time grids) live in model.ts.
 */
import { DiffusionInputError, checkOneOf } from './errors.js';
import type { SamplerFn } from './model.js';
import { sampleLangevin, sampleAnnealedLangevin } from './langevin.js';
import { sampleEulerMaruyama, sampleVpReverseSde, sampleVeReverseSde, samplePredictorCorrector } from './sde.js';
import { sampleOdeEuler, sampleOdeHeun, sampleOdeRk4 } from './ode.js';
import { sampleDpmSolver1, sampleDpmSolver2, sampleDpmSolver3, sampleDpmSolverPP2M } from './dpm_solver.js';
import { sampleIndi } from './indi.js';
import { sampleDdpm, sampleDdim } from './ancestral.js';
import { sampleDpmSolver2M, sampleDpmSolver3M, sampleDpmSolverPP3M, sampleDpmSolverPP2S, sampleDpmSolverPP3S, sampleUniPCBh1, sampleUniPCBh2, sampleDeis } from './multistep.js';
import { samplePndm, samplePlms } from './pndm.js';
import { sampleFlowEuler, sampleFlowHeun } from './flow.js';

export const SAMPLER_NAMES = [
  'langevin',
  'annealed-langevin',
  'euler-maruyama',
  'vp-reverse-sde',
  've-reverse-sde',
  'predictor-corrector',
  'ode-euler',
  'ode-heun',
  'ode-rk4',
  'dpm-solver-1',
  'dpm-solver-2',
  'dpm-solver-3',
  'dpm-solver++2m',
  'indi',
  'ddpm',
  'ddim',
  'dpm-solver-2m',
  'dpm-solver-3m',
  'dpm-solver++3m',
  'dpm-solver++2s',
  'dpm-solver++3s',
  'unipc-bh1',
  'unipc-bh2',
  'deis',
  'pndm',
  'plms',
  'flow-euler',
  'flow-heun',
] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** Name → sampler. Stochastic ones need `options.rng`. */
export const SAMPLERS: Readonly<Record<SamplerName, SamplerFn>> = Object.freeze({
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

/** The multistep / flow samplers of issue 15 (multistep.ts, pndm.ts, flow.ts). */
export const MULTISTEP_SAMPLERS: readonly SamplerName[] = ['dpm-solver-2m', 'dpm-solver-3m', 'dpm-solver++3m', 'dpm-solver++2s', 'dpm-solver++3s', 'unipc-bh1', 'unipc-bh2', 'deis', 'pndm', 'plms', 'flow-euler', 'flow-heun'];

/** Deterministic samplers (no rng): the PF-ODE solvers and DPM-Solvers (and InDI without noise). */
export const DETERMINISTIC_SAMPLERS: readonly SamplerName[] = ['ode-euler', 'ode-heun', 'ode-rk4', 'dpm-solver-1', 'dpm-solver-2', 'dpm-solver-3', 'dpm-solver++2m', ...MULTISTEP_SAMPLERS];

/** The sampler of that name; throws naming `name` and listing the known ones otherwise. */
export function getSampler(name: string): SamplerFn {
  const n = checkOneOf('name', name, SAMPLER_NAMES);
  const fn = SAMPLERS[n];
  if (!fn) throw new DiffusionInputError('name', name, 'unknown sampler');
  return fn;
}
