/**
 * Core property claims (issue 2): catalog claims 1-6 and 12 of shared/formulas.md, plus the
 * schedule definitions (A1-A5), the successor claim for strided samplers, exact moment
 * propagation of the DDPM step, and the equivalence of the three parameterizations along whole
 * trajectories.
 *
 * Every claim is written against the `DiffusionImpl` interface only (../interface.ts). The
 * expected values are computed here, independently of any implementation: ᾱ_t from the β handed
 * in (`Sched`, core/helpers.ts), Bayes' rule through ml-matrix (C4), Gaussian quadrature from ml-matrix's
 * eigen-solver, Monte Carlo with the project's seeded `Rng`.
 *
 * Linearity as an exact oracle. Almost every map checked here (x_0, ε ↦ x_t; a reverse step with a
 * model that is affine in x_t; a DDIM step with the true x̂_0) is affine in its random inputs.
 * Probing it with unit vectors recovers the coefficients exactly (up to rounding), and the
 * distribution of the output follows from them in closed form: if y = a·x_0 + b·ε with
 * ε ~ N(0, I) then E y = a·x_0 and Var y = b². This turns claims about distributions (variance
 * preservation, composition, DDIM marginals) into deterministic checks at a few ulps, so a bug that
 * changes a variance by 1e-6 is caught, which no Monte Carlo test of affordable size could do.
 * Each probe is accompanied by a linearity check on random inputs, so an implementation that is not
 * affine (e.g. adds a constant) cannot pass by agreeing at the probe points only.
 *
 * Tolerances. Every bound is (condition factor)·u with u = unitRoundoff(impl) (2^-53 for float64,
 * 2^-24 for float32), so the same claims serve the float32 tier. The factors:
 *  - ᾱ_t is a product of t factors 1-β_s. Formed as a product its relative error is ≤ 2t·u; formed
 *    as exp(Σ log1p(-β_s)) the sum's absolute error is ≤ t·u·|log ᾱ_t| (recursive summation), which
 *    exp turns into a relative error. `Ka(t) = (t+2)(1+|log ᾱ_t|)` covers both.
 *  - 1-ᾱ_t has absolute error ≤ Ka·u either way (expm1 or subtraction); relative to 1-ᾱ_t that is
 *    Ka·u/(1-ᾱ_t), which matters for quantities divided by 1-ᾱ_t (posterior coefficients, ε from
 *    x_0): `Kom(t) = Ka(t)·max(1, ᾱ_t/(1-ᾱ_t))`. A float64 reference using expm1 is far better
 *    than this (the bound is then loose by up to 1/β_1), but an implementation that subtracts is
 *    entitled to it, and even the loose bound is < 1e-9 relative in float64, far below any bug.
 *  - Each claim multiplies these by a small constant (8…64) for the handful of further roundings in
 *    the formula, and by the scale of the inputs for absolute errors; the comment at each check
 *    names the extra amplification (a division by √ᾱ_t, √α_t, …) where there is one.
 *
 * Layout: one file per catalog section of shared/formulas.md under core/ (schedules.ts A,
 * forward.ts B, posterior.ts C, parameterizations.ts D, samplers.ts E, elbo.ts F) and the
 * implementation-independent helpers in core/helpers.ts; this file assembles `coreClaims`.
 */
import type { Claim } from '../harness.js';
import { scheduleDefinitions } from './core/schedules.js';
import { variancePreservation, composition } from './core/forward.js';
import { posteriorMoments } from './core/posterior.js';
import { parameterizationRoundTrips, parameterizationEquivalence } from './core/parameterizations.js';
import { ddimMarginals, successor, exactMomentPropagation } from './core/samplers.js';
import { elboDecomposition, decoderNormalization, klProperties } from './core/elbo.js';

export { coreClaimOptions } from './core/helpers.js';
export { expectedTimesteps } from './core/samplers.js';

/** The core claims, in the suite's order (ids and order are part of the reports). */
export const coreClaims: Claim[] = [
  variancePreservation,
  scheduleDefinitions,
  composition,
  posteriorMoments,
  ddimMarginals,
  successor,
  exactMomentPropagation,
  parameterizationRoundTrips,
  parameterizationEquivalence,
  elboDecomposition,
  decoderNormalization,
  klProperties,
];
