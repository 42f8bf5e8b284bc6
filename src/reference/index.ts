/**
 * Public API of the float64 reference (`diffusion-oracle/reference`).
 *
 * A flat list of re-exports: each helper appends its own lines. Index convention: `t` is the
 * papers' 1-based step index (t ∈ {1..T}, ᾱ_0 = 1); see docs/reference-api.md.
 */
export * from './errors.js';
export * from './batch.js';
export * from './rng.js';
export * from './schedules.js';
export { checkSchedule, checkT, checkT0 } from './common.js';
export type { NumOrVec } from './common.js';
export * from './forward.js';
export * from './posterior.js';
export * from './parameterization.js';
export * from './ddpm.js';
export * from './ddim.js';
export * from './layers/index.js';
export * from './normal.js';
export * from './elbo.js';
export * from './gaussian.js';
export * from './embedding.js';
export * from './model.js';
export * from './mixture.js';
export * from './sde.js';
export * from './langevin.js';
export * from './ode.js';
export * from './dpm_solver.js';
export * from './indi.js';
export * from './guidance.js';
export * from './samplers.js';
export * from './score_matching.js';
export * from './vae.js';
export * from './ancestral.js';
export * from './sigma.js';
export * from './brownian.js';
export * from './k_euler.js';
export * from './k_dpmpp.js';
export * from './multistep.js';
export * from './pndm.js';
export * from './flow.js';
