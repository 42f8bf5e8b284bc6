/**
 * Sampler registry (style: k-diffusion's sampling.py), read from one descriptor per sampler.
 *
 * Every sampler has the signature
 *     (model: DiffusionModel, x: batch, timeGrid, options?: {rng, callback, …}) → batch
 * so swapping samplers is changing one name: `getSampler('dpm-solver-2')(model, x, grid, opts)`.
 *
 * SAMPLER_TABLE is the single list of samplers. Each entry names the family file and the exported
 * function (the same name in src/reference/<family>.ts and in its tensor twin src/gpu/<family>.ts;
 * each tier resolves it from its own family modules), and carries what every consumer needs: grid
 * kind and default spacing, processes and model outputs, the options spec (from the family file),
 * the convergence order of an ODE solver, docs, and the cases the claims and the tier cross-check
 * run. The registries here and in src/gpu/samplers.ts, the CLI's `sample --sampler` choices and
 * flags, properties/claims/score.ts's cases, properties/samplers-crosscheck.test.ts's cases and the
 * docs/samplers.md table are all built from it.
 *
 * Adding a sampler to an existing family: the function in src/reference/<family>.ts, its twin of
 * the same name in src/gpu/<family>.ts, and one entry below.
 */
import { DiffusionInputError, checkOneOf } from './errors.js';
import type { DiffusionModel, ModelOutput } from './model.js';
import type { ProcessKind } from './processes.js';
import type { GridSpacing } from './grids.js';
import type { Spacing } from './ddim.js';
import type { Rows } from './rows.js';
import { parseOptions, type OptionSpec, type SamplerBaseOptions } from './sampling.js';
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
import { karrasSigmas } from './sigma.js';

/** Family files (the same file name in src/reference and src/gpu). */
export const SAMPLER_FAMILIES = ['langevin', 'sde', 'ode', 'dpm_solver', 'indi', 'ancestral', 'k_euler', 'k_dpmpp', 'multistep', 'pndm', 'flow'] as const;

export type SamplerFamily = (typeof SAMPLER_FAMILIES)[number];

const ALL_PROCESSES = ['vp', 've', 'discrete-vp', 'indi', 'flow'] as const satisfies readonly ProcessKind[];
const ALL_OUTPUTS = ['eps', 'x0', 'v', 'score', 'flow'] as const satisfies readonly ModelOutput[];

/**
 * A process named for a test harness. Each harness maps the names to its own parameters
 * (properties/claims/score.ts and properties/samplers-crosscheck.test.ts list theirs); 'seed-4.3'
 * is seed 004 §4.3's example (constant β = 0.05, T = 100, with its mixture).
 */
export type TestProcess = 'vp' | 've' | 'discrete-vp' | 'indi' | 'indi-extra-noise' | 'seed-4.3' | 'flow';

/** A run of claim 8 (score.sampling-distribution): KS + mean tests against the exact p_{t_end}. */
export interface DistributionCheck {
  readonly label: string;
  readonly process: TestProcess;
  readonly steps: number;
  /** Default 'time'. */
  readonly spacing?: GridSpacing;
  /** Default 'eps'. */
  readonly output?: ModelOutput;
  readonly options?: Readonly<Record<string, unknown>>;
  /** An explicit grid instead of makeTimeGrid(process, steps, {spacing}). */
  readonly grid?: readonly number[];
  /** The data (default: the claim's 2-D mixture; 'seed-4.3': seed 004 §4.3's mixture). */
  readonly mixture?: 'seed-4.3';
  /** Start from N(0, I) (InDI at t = 1) instead of the exact p_{t_0}. */
  readonly noiseStart?: boolean;
}

/** A run of claim 8 (score.sde-weak-convergence): variance error at 10/20/40 steps shrinks. */
export interface WeakCheck {
  readonly process: TestProcess;
  readonly output?: ModelOutput;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A run of the tier cross-check (properties/samplers-crosscheck.test.ts): tensor = float64 step by step. */
export interface CrossCheck {
  readonly label: string;
  readonly process: TestProcess;
  readonly output: ModelOutput;
  /** Grid: `grid` if given; else integer samplers ancestralTimeGrid(T, steps, spacing), others makeTimeGrid(process, steps, {spacing ?? 'time'}). */
  readonly steps?: number;
  readonly spacing?: GridSpacing | Spacing;
  readonly grid?: readonly number[];
  readonly options?: Readonly<Record<string, unknown>>;
  /** Scale of the initial batch (default 1). */
  readonly scale?: number;
}

/** A run of sigma.sampling-distribution (src/conformance/claims/sigma.ts): Karras σ grid 80 → 0.002 → 0 on the claim's mixture. */
export interface SigmaDistributionCheck {
  readonly label: string;
  readonly steps: number;
  /** Default 'vp'. */
  readonly process?: 'vp' | 've';
  /** Default 'eps'. */
  readonly output?: 'eps' | 'x0' | 'v';
  readonly options?: Readonly<Record<string, unknown>>;
}

/** A run of sigma.ode-order (deterministic, Gaussian flow) or sigma.sde-strong-order (Brownian tree): the expected order. */
export interface SigmaOrderCheck {
  readonly label: string;
  readonly order: number;
  readonly options?: Readonly<Record<string, unknown>>;
}

/** What the claims and the cross-check run for a sampler. */
export interface SamplerChecks {
  /** σ-space samplers (grid 'sigma'): sigma.sampling-distribution runs. */
  readonly sigmaDistribution?: readonly SigmaDistributionCheck[];
  /** σ-space samplers: sigma.ode-order runs (deterministic options). */
  readonly sigmaOrder?: readonly SigmaOrderCheck[];
  /** σ-space SDE samplers: sigma.sde-strong-order runs. */
  readonly sigmaStrong?: readonly SigmaOrderCheck[];
  /** score.sampling-distribution runs (in table order: the claim's seeds follow it). */
  readonly distribution?: readonly DistributionCheck[];
  /** score.ode-order: step counts of the fitted-order test (needs `order`; grid spacing = `spacing`). */
  readonly order?: { readonly steps: readonly [number, number, number]; readonly output?: ModelOutput };
  /** score.pf-ode-invertible: step counts of the encode→decode test (needs `order`). */
  readonly roundTrip?: { readonly steps: readonly [number, number, number] };
  /** score.sde-weak-convergence runs (the claim orders them by process, then table order). */
  readonly weak?: readonly WeakCheck[];
  /** Tier cross-check runs (at least one per sampler). */
  readonly crosscheck: readonly CrossCheck[];
}

export interface SamplerDescriptor {
  /** Registry name (CLI `--sampler`, getSampler). */
  readonly name: string;
  /** Family file: src/reference/<family>.ts and its twin src/gpu/<family>.ts. */
  readonly family: SamplerFamily;
  /** The exported function, the same name in both family files. */
  readonly fn: string;
  /** Deterministic (no rng) with its default options. */
  readonly deterministic: boolean;
  /**
   * 'integer': the papers' 1-based timesteps of a discrete schedule (ancestralTimeGrid);
   * 'continuous': times in [0, tMax] (makeTimeGrid); 'levels': one or more decreasing noise levels;
   * 'sigma': a σ grid (σ = σ_t/α_t, strictly decreasing, one final 0; src/reference/sigma.ts) with x
   * in σ-space (x_t/α), k-diffusion's convention.
   */
  readonly grid: 'integer' | 'continuous' | 'levels' | 'sigma';
  /** Accepts an increasing grid too (encoding): the deterministic ODE solvers. */
  readonly reversible: boolean;
  /** Default grid spacing (integer: ddimTimesteps spacing; sigma: the σ schedule; else makeTimeGrid spacing). */
  readonly spacing: GridSpacing | Spacing | SigmaScheduleName;
  /** Processes it runs on. */
  readonly processes: readonly ProcessKind[];
  /** Model outputs it accepts (converted by modelEps / modelScore / modelX0). */
  readonly outputs: readonly ModelOutput[];
  /** Its own options (the family file's spec). */
  readonly options: readonly OptionSpec[];
  /** Convergence order of a deterministic ODE solver (checked by score.ode-order). */
  readonly order?: number;
  /** The law its output follows with an exact model. */
  readonly target: string;
  /** Catalog section. */
  readonly catalog: string;
  /** One-line formula and source, for the docs table. */
  readonly summary: string;
  /** The k-diffusion / diffusers counterpart, if any. */
  readonly aka?: string;
  /** Example call, `s = getSampler(name)`. */
  readonly example: string;
  readonly checks: SamplerChecks;
}

const pt = 'p_{t_N} (the exact marginal at the last grid time)';

/** σ schedules of the σ-space samplers (src/reference/sigma.ts; CLI `--sigmas`). */
export const SIGMA_SCHEDULES = ['karras', 'exponential', 'polyexponential', 'vp', 'discrete'] as const;
export type SigmaScheduleName = (typeof SIGMA_SCHEDULES)[number];

/** σ-space descriptors' common fields. */
const K = { grid: 'sigma', reversible: false, spacing: 'karras', processes: ALL_PROCESSES, outputs: ALL_OUTPUTS, catalog: 'EDM (Karras et al. 2022) / issue 14' } as const;
const p0 = 'p_0 (the data) on a grid ending at σ = 0; p_{σ_N} otherwise';
/** The tier cross-check's σ grid: Karras, 8 steps, σ 20 → 0.02, then 0 (x in σ-space, scale 10). */
const XGRID = Array.from(karrasSigmas(8, 0.02, 20));
/** The same on the cross-check's VE process (σ ≤ 10). */
const XGRID_VE = Array.from(karrasSigmas(8, 0.02, 8));

/**
 * The samplers. Order matters for the claims' seeds (score.sampling-distribution numbers its runs
 * in this order), so append new samplers at the end of their group or accept new seeds.
 */
export const SAMPLER_TABLE = [
  {
    name: 'euler-maruyama',
    family: 'sde',
    fn: 'sampleEulerMaruyama',
    deterministic: false,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: sde.REVERSE_SDE_OPTIONS,
    target: pt,
    catalog: 'E4',
    summary: 'x ← x + [f x - g² s]Δt + g√|Δt| z on the reverse SDE (004 eq. 97)',
    aka: 'Song et al. EulerMaruyamaPredictor; k-diffusion `euler_ancestral` is its σ-space relative',
    example: 's(vpModel, x, R.makeTimeGrid(vp, 100), {rng})',
    checks: {
      distribution: [
        { label: 'Euler-Maruyama, VP', process: 'vp', steps: 100 },
        { label: 'Euler-Maruyama, VE', process: 've', steps: 100 },
      ],
      weak: [{ process: 'vp' }, { process: 've' }],
      crosscheck: [{ label: 'euler-maruyama VP (score)', process: 'vp', output: 'score', steps: 10, options: { denoiseLastStep: true } }],
    },
  },
  {
    name: 'vp-reverse-sde',
    family: 'sde',
    fn: 'sampleVpReverseSde',
    deterministic: false,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: sde.SDE_PROCESSES.vpReverse,
    outputs: ALL_OUTPUTS,
    options: sde.REVERSE_SDE_OPTIONS,
    target: pt,
    catalog: 'E4',
    summary: 'x ← (x + β_i s)/√(1-β_i) + √β_i z, β_i = 1 - ᾱ(t_i)/ᾱ(t_{i+1}) (004 eq. 103, corrected)',
    aka: 'Song et al. ReverseDiffusionPredictor (VP)',
    example: 's(R.mixtureModel(mix, R.discreteVpProcess(betas)), x, [100, 99, …, 1], {rng})',
    checks: {
      distribution: [
        { label: 'VP reverse SDE (004 eq. 103)', process: 'vp', steps: 100 },
        { label: 'VP reverse SDE, 004 §4.3 example (β=0.05, T=100)', process: 'seed-4.3', steps: 99, grid: Array.from({ length: 100 }, (_, i) => 100 - i), mixture: 'seed-4.3' },
      ],
      weak: [{ process: 'vp' }],
      crosscheck: [{ label: 'vp-reverse-sde (eq. 103)', process: 'vp', output: 'eps', steps: 10 }],
    },
  },
  {
    name: 've-reverse-sde',
    family: 'sde',
    fn: 'sampleVeReverseSde',
    deterministic: false,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: sde.SDE_PROCESSES.veReverse,
    outputs: ALL_OUTPUTS,
    options: sde.REVERSE_SDE_OPTIONS,
    target: pt,
    catalog: 'E4',
    summary: 'x ← x + (σ_i² - σ_{i+1}²)s + √(σ_i² - σ_{i+1}²) z (004 eq. 107)',
    aka: 'Song et al. ReverseDiffusionPredictor (VE)',
    example: 's(veModel, x, R.makeTimeGrid(ve, 100), {rng})',
    checks: {
      distribution: [{ label: 'VE reverse SDE (004 eq. 107)', process: 've', steps: 100 }],
      weak: [{ process: 've' }],
      crosscheck: [{ label: 've-reverse-sde (eq. 107)', process: 've', output: 'eps', steps: 10, scale: 10 }],
    },
  },
  {
    name: 'predictor-corrector',
    family: 'sde',
    fn: 'samplePredictorCorrector',
    deterministic: false,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: sde.SDE_PROCESSES.predictorCorrector,
    outputs: ALL_OUTPUTS,
    options: sde.PREDICTOR_CORRECTOR_OPTIONS,
    target: pt,
    catalog: 'E5',
    summary: 'predictor = eq. 103/107, then `correctorSteps` Langevin steps at the new level, ε = 2a(r‖z‖/‖s‖)² (004 Alg. 1; Song et al. 2021 Alg. 4-5)',
    aka: 'Song et al. PC sampler (ReverseDiffusionPredictor + LangevinCorrector)',
    example: 's(vpModel, x, grid, {rng, snr: 0.16, correctorSteps: 1})',
    checks: {
      distribution: [
        { label: 'predictor-corrector, VP', process: 'vp', steps: 60, options: { snr: 0.16, correctorSteps: 1 } },
        { label: 'predictor-corrector, VE', process: 've', steps: 60, options: { snr: 0.16, correctorSteps: 1 } },
      ],
      weak: [{ process: 've' }],
      crosscheck: [
        { label: 'predictor-corrector VP', process: 'vp', output: 'eps', steps: 8, options: { correctorSteps: 1, snr: 0.16 } },
        { label: 'predictor-corrector VE', process: 've', output: 'score', steps: 8, options: { correctorSteps: 2, snr: 0.16 }, scale: 10 },
      ],
    },
  },
  {
    name: 'ode-euler',
    family: 'ode',
    fn: 'sampleOdeEuler',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'time',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: ode.ODE_OPTIONS,
    order: 1,
    target: pt,
    catalog: 'E6',
    summary: 'PF-ODE dx/dt = f x - ½g² s (004 §4.5), Euler steps',
    aka: 'k-diffusion `euler` (in σ-space)',
    example: 's(vpModel, x, R.makeTimeGrid(vp, 100))',
    checks: {
      distribution: [{ label: 'PF-ODE Euler', process: 'vp', steps: 100 }],
      order: { steps: [50, 100, 200] },
      crosscheck: [{ label: 'ode-euler VP', process: 'vp', output: 'eps', steps: 10, spacing: 'logsnr' }],
    },
  },
  {
    name: 'ode-heun',
    family: 'ode',
    fn: 'sampleOdeHeun',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'time',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: ode.ODE_OPTIONS,
    order: 2,
    target: pt,
    catalog: 'E6',
    summary: 'PF-ODE, Heun steps (explicit trapezoid; Karras et al. 2022 Alg. 1)',
    aka: 'k-diffusion `heun` (in σ-space)',
    example: 's(vpModel, x, R.makeTimeGrid(vp, 30))',
    checks: {
      distribution: [{ label: 'PF-ODE Heun', process: 'vp', steps: 30 }],
      order: { steps: [25, 50, 100] },
      roundTrip: { steps: [25, 50, 100] },
      crosscheck: [{ label: 'ode-heun VP (v-model)', process: 'vp', output: 'v', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'ode-rk4',
    family: 'ode',
    fn: 'sampleOdeRk4',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'time',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: ode.ODE_OPTIONS,
    order: 4,
    target: pt,
    catalog: 'E6',
    summary: 'PF-ODE, classical RK4 steps (004 §4.5)',
    example: 's(vpModel, x, R.makeTimeGrid(vp, 15))',
    checks: {
      distribution: [
        { label: 'PF-ODE RK4', process: 'vp', steps: 15 },
        { label: 'PF-ODE RK4, VE', process: 've', steps: 15, output: 'score' },
      ],
      order: { steps: [25, 50, 100] },
      roundTrip: { steps: [10, 20, 40] },
      crosscheck: [{ label: 'ode-rk4 VP', process: 'vp', output: 'eps', steps: 6, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver-1',
    family: 'dpm_solver',
    fn: 'sampleDpmSolver1',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: dpm_solver.DPM_SOLVER_OPTIONS,
    order: 1,
    target: pt,
    catalog: 'E7',
    summary: 'exponential integrator in λ, order 1 (Lu et al. 2022 eq. 3.7; = DDIM η=0)',
    aka: 'diffusers DPMSolverSinglestepScheduler (order 1)',
    example: "s(vpModel, x, R.makeTimeGrid(vp, 10, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver-1', process: 'vp', steps: 50, spacing: 'logsnr' }],
      order: { steps: [20, 40, 80] },
      crosscheck: [{ label: 'dpm-solver-1', process: 'vp', output: 'eps', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver-2',
    family: 'dpm_solver',
    fn: 'sampleDpmSolver2',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: dpm_solver.DPM_SOLVER_OPTIONS,
    order: 2,
    target: pt,
    catalog: 'E7',
    summary: 'singlestep DPM-Solver-2, r₁ = ½ (Lu et al. 2022 Alg. 1)',
    aka: 'k-diffusion `dpm_2`-like (singlestep); diffusers DPMSolverSinglestepScheduler (order 2)',
    example: "s(vpModel, x, R.makeTimeGrid(vp, 10, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver-2', process: 'vp', steps: 20, spacing: 'logsnr' }],
      order: { steps: [20, 40, 80] },
      roundTrip: { steps: [20, 40, 80] },
      crosscheck: [{ label: 'dpm-solver-2', process: 'vp', output: 'eps', steps: 6, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver-3',
    family: 'dpm_solver',
    fn: 'sampleDpmSolver3',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: dpm_solver.DPM_SOLVER_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'singlestep DPM-Solver-3, r₁ = ⅓, r₂ = ⅔ (Lu et al. 2022 Alg. 2)',
    aka: 'diffusers DPMSolverSinglestepScheduler (order 3)',
    example: "s(vpModel, x, R.makeTimeGrid(vp, 10, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver-3', process: 'vp', steps: 10, spacing: 'logsnr' }],
      order: { steps: [40, 80, 160] },
      roundTrip: { steps: [20, 40, 80] },
      crosscheck: [{ label: 'dpm-solver-3', process: 'vp', output: 'eps', steps: 5, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver++2m',
    family: 'dpm_solver',
    fn: 'sampleDpmSolverPP2M',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: dpm_solver.DPM_SOLVER_OPTIONS,
    order: 2,
    target: pt,
    catalog: 'E7',
    summary: 'data-prediction multistep, order 2 (Lu et al. 2022b Alg. 2)',
    aka: 'k-diffusion `dpmpp_2m`; diffusers DPMSolverMultistepScheduler',
    example: "s(R.mixtureModel(mix, vp, 'x0'), x, grid)",
    checks: {
      distribution: [{ label: 'DPM-Solver++(2M)', process: 'vp', steps: 20, spacing: 'logsnr', output: 'x0' }],
      order: { steps: [20, 40, 80], output: 'x0' },
      crosscheck: [{ label: 'dpm-solver++2m (x0-model)', process: 'vp', output: 'x0', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'indi',
    family: 'indi',
    fn: 'sampleIndi',
    deterministic: false,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: ['indi'],
    outputs: ALL_OUTPUTS,
    options: indi.INDI_OPTIONS,
    target: pt,
    catalog: 'E8',
    summary: 'x ← (1-τ/t)x + (τ/t)x̂₀ (004 eq. 64); `stochastic: true` adds (t-τ)√(σ_e(t-τ)² - σ_e(t)²)z (eq. 66)',
    aka: 'Delbracio & Milanfar 2023',
    example: "s(R.mixtureModel(mix, R.indiProcess(), 'x0'), rng.normalBatch(n, d), R.makeTimeGrid(R.indiProcess(), 100, {tStart: 1}))",
    checks: {
      distribution: [
        { label: 'InDI (004 eq. 64)', process: 'indi', steps: 100, output: 'x0', noiseStart: true },
        { label: 'stochastic InDI (004 eq. 66)', process: 'indi-extra-noise', steps: 100, output: 'x0', noiseStart: true, options: { stochastic: true } },
      ],
      weak: [{ process: 'indi-extra-noise', output: 'x0', options: { stochastic: true } }],
      crosscheck: [
        { label: 'indi', process: 'indi', output: 'x0', steps: 10 },
        { label: 'indi stochastic (c=0.5)', process: 'indi-extra-noise', output: 'x0', steps: 10, options: { stochastic: true } },
      ],
    },
  },
  {
    name: 'langevin',
    family: 'langevin',
    fn: 'sampleLangevin',
    deterministic: false,
    grid: 'levels',
    reversible: false,
    spacing: 'time',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: langevin.LANGEVIN_OPTIONS,
    target: 'p_t at each level, up to an O(τ) bias (stationary law of unadjusted Langevin)',
    catalog: 'E3',
    summary: 'x ← x + τ∇log p + √(2τ)z, `stepsPerLevel` steps at each grid time (004 eq. 68)',
    example: 's(score0, x, [0], {rng, stepSize: 2e-3, stepsPerLevel: 500})',
    checks: {
      crosscheck: [{ label: 'langevin at VP t=0.05', process: 'vp', output: 'score', grid: [0.05], options: { stepSize: 0.002, stepsPerLevel: 10 } }],
    },
  },
  {
    name: 'annealed-langevin',
    family: 'langevin',
    fn: 'sampleAnnealedLangevin',
    deterministic: false,
    grid: 'levels',
    reversible: false,
    spacing: 'time',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: langevin.LANGEVIN_OPTIONS,
    target: 'p at the last level, up to the Langevin bias',
    catalog: 'E3',
    summary: 'Langevin over decreasing levels with τ_i = τσ_i²/σ_L² (Song & Ermon 2019 Alg. 1)',
    aka: 'SMLD / NCSN sampler',
    example: 's(veModel, x, R.makeTimeGrid(ve, 24), {rng, stepSize: 2e-5, stepsPerLevel: 30})',
    checks: {
      distribution: [{ label: 'annealed Langevin (SMLD)', process: 've', steps: 25, options: { stepSize: 2e-5, stepsPerLevel: 30 } }],
      crosscheck: [{ label: 'annealed-langevin VE', process: 've', output: 'eps', steps: 5, options: { stepSize: 2e-5, stepsPerLevel: 2 }, scale: 10 }],
    },
  },
  {
    name: 'ddpm',
    family: 'ancestral',
    fn: 'sampleDdpm',
    deterministic: false,
    grid: 'integer',
    reversible: false,
    spacing: 'leading',
    processes: ['discrete-vp'],
    outputs: ALL_OUTPUTS,
    options: ancestral.DDPM_OPTIONS,
    target: 'p_0 (the data; no noise on the last step)',
    catalog: 'E1',
    summary: 'ancestral step, σ² = β̃ or β, no noise at the last step; a strided grid is the respaced chain (Ho et al. 2020 Alg. 2; Nichol & Dhariwal 2021 §4)',
    aka: 'diffusers DDPMScheduler',
    example: "s(R.mixtureModel(mix, R.discreteVpProcess(betas)), x, R.ancestralTimeGrid(1000, 1000, 'leading'), {rng})",
    checks: {
      crosscheck: [
        { label: 'ddpm posterior, trailing 10', process: 'discrete-vp', output: 'eps', steps: 10, spacing: 'trailing', options: { variance: 'posterior' } },
        { label: 'ddpm beta, leading 10', process: 'discrete-vp', output: 'eps', steps: 10, spacing: 'leading', options: { variance: 'beta' } },
      ],
    },
  },
  {
    name: 'ddim',
    family: 'ancestral',
    fn: 'sampleDdim',
    deterministic: false,
    grid: 'integer',
    reversible: false,
    spacing: 'leading',
    processes: ['discrete-vp'],
    outputs: ALL_OUTPUTS,
    options: ancestral.DDIM_OPTIONS,
    target: 'p_{t_N} (η = 0: the deterministic DDIM map)',
    catalog: 'E2',
    summary: 'DDIM with η on strided grids, `leading`/`trailing`/`linspace` spacing (Song et al. 2021 eq. 12)',
    aka: 'diffusers DDIMScheduler',
    example: "s(m, x, R.ancestralTimeGrid(1000, 50, 'trailing'), {eta: 0})",
    checks: {
      crosscheck: [
        { label: 'ddim η=0, linspace 8', process: 'discrete-vp', output: 'eps', steps: 8, spacing: 'linspace', options: { eta: 0 } },
        { label: 'ddim η=0.5, leading 8', process: 'discrete-vp', output: 'v', steps: 8, spacing: 'leading', options: { eta: 0.5 } },
        { label: 'ddim η=1, trailing 8', process: 'discrete-vp', output: 'x0', steps: 8, spacing: 'trailing', options: { eta: 1 } },
      ],
    },
  },
  {
    name: 'euler',
    family: 'k_euler',
    fn: 'sampleKEuler',
    deterministic: true,
    ...K,
    options: k_euler.K_CHURN_OPTIONS,
    target: p0,
    summary: 'x ← x + (σ_{i+1} - σ̂)(x - D(x; σ̂))/σ̂, optional churn σ̂ = σ(1+γ) (EDM Alg. 2 without the correction)',
    aka: 'k-diffusion `sample_euler`; diffusers EulerDiscreteScheduler',
    example: 's(m, x, R.karrasSigmas(30, 0.002, 80))',
    checks: {
      sigmaDistribution: [{ label: 'euler', steps: 60 }],
      sigmaOrder: [{ label: 'euler', order: 1 }],
      crosscheck: [{ label: 'euler (k) VP, Karras 8', process: 'vp', output: 'eps', grid: XGRID, scale: 10 }],
    },
  },
  {
    name: 'euler_ancestral',
    family: 'k_euler',
    fn: 'sampleKEulerAncestral',
    deterministic: false,
    ...K,
    options: k_euler.K_ANCESTRAL_OPTIONS,
    target: p0,
    summary: 'Euler to σ_down, then + S_noise σ_up z (σ_down² + σ_up² = σ_{i+1}²)',
    aka: 'k-diffusion `sample_euler_ancestral`; diffusers EulerAncestralDiscreteScheduler',
    example: 's(m, x, R.karrasSigmas(30, 0.002, 80), {rng})',
    checks: {
      sigmaDistribution: [{ label: 'euler_ancestral', steps: 80 }],
      crosscheck: [{ label: 'euler_ancestral (k) VP, Karras 8', process: 'vp', output: 'eps', grid: XGRID, scale: 10 }],
    },
  },
  {
    name: 'heun',
    family: 'k_euler',
    fn: 'sampleKHeun',
    deterministic: true,
    ...K,
    options: k_euler.K_CHURN_OPTIONS,
    target: p0,
    summary: "EDM Alg. 2: churn to σ̂, Euler to σ_{i+1}, trapezoidal correction with D at σ_{i+1}; Euler on the step to 0",
    aka: 'k-diffusion `sample_heun`; diffusers HeunDiscreteScheduler',
    example: 's(m, x, R.karrasSigmas(18, 0.002, 80), {sChurn: 0})',
    checks: {
      sigmaDistribution: [
        { label: 'heun', steps: 25 },
        { label: 'heun (churn 10, VE x0-model)', steps: 40, options: { sChurn: 10 }, process: 've', output: 'x0' },
      ],
      sigmaOrder: [{ label: 'heun', order: 2 }],
      crosscheck: [{ label: 'heun (k) churn, VP x0, Karras 8', process: 'vp', output: 'x0', grid: XGRID, scale: 10, options: { sChurn: 4, sTmin: 0.1, sTmax: 10 } }],
    },
  },
  {
    name: 'dpm_2',
    family: 'k_euler',
    fn: 'sampleKDpm2',
    deterministic: true,
    ...K,
    options: k_euler.K_CHURN_OPTIONS,
    target: p0,
    summary: 'midpoint in log σ: Euler to √(σ̂σ_{i+1}), full step with the slope there (DPM-Solver-2 in σ); Euler on the step to 0',
    aka: 'k-diffusion `sample_dpm_2`; diffusers KDPM2DiscreteScheduler',
    example: 's(m, x, R.karrasSigmas(15, 0.002, 80))',
    checks: {
      sigmaDistribution: [{ label: 'dpm_2', steps: 20 }],
      sigmaOrder: [{ label: 'dpm_2', order: 2 }],
      crosscheck: [{ label: 'dpm_2 (k) VP v, Karras 8', process: 'vp', output: 'v', grid: XGRID, scale: 10 }],
    },
  },
  {
    name: 'dpm_2_ancestral',
    family: 'k_euler',
    fn: 'sampleKDpm2Ancestral',
    deterministic: false,
    ...K,
    options: k_euler.K_ANCESTRAL_OPTIONS,
    target: p0,
    summary: 'the DPM-2 step to σ_down, then + S_noise σ_up z',
    aka: 'k-diffusion `sample_dpm_2_ancestral`; diffusers KDPM2AncestralDiscreteScheduler',
    example: 's(m, x, R.karrasSigmas(30, 0.002, 80), {rng})',
    checks: {
      sigmaDistribution: [{ label: 'dpm_2_ancestral', steps: 40 }],
      crosscheck: [{ label: 'dpm_2_ancestral (k) VE, Karras 8', process: 've', output: 'eps', grid: XGRID_VE, scale: 8 }],
    },
  },
  {
    name: 'lms',
    family: 'k_euler',
    fn: 'sampleKLms',
    deterministic: true,
    ...K,
    options: k_euler.K_LMS_OPTIONS,
    target: p0,
    summary: 'linear multistep in σ, x ← x + Σ_j c_j d_{i-j}, c_j = ∫_{σ_i}^{σ_{i+1}} ℓ_j (Lagrange basis, exact quadrature), order ≤ 4 with warm-up',
    aka: 'k-diffusion `sample_lms`; diffusers LMSDiscreteScheduler',
    example: 's(m, x, R.karrasSigmas(25, 0.002, 80), {order: 4})',
    checks: {
      sigmaDistribution: [{ label: 'lms', steps: 25 }],
      sigmaOrder: [
        { label: 'lms (order 2)', order: 2, options: { order: 2 } },
        { label: 'lms (order 4)', order: 3.5, options: { order: 4 } },
      ],
      crosscheck: [{ label: 'lms (k) VP, Karras 8', process: 'vp', output: 'eps', grid: XGRID, scale: 10 }],
    },
  },
  {
    name: 'dpmpp_2s_ancestral',
    family: 'k_dpmpp',
    fn: 'sampleKDpmpp2sAncestral',
    deterministic: false,
    ...K,
    options: k_euler.K_ANCESTRAL_OPTIONS,
    target: p0,
    summary: 'DPM-Solver++(2S) (Lu et al. 2022b Alg. 1, r = ½) to σ_down, then + S_noise σ_up z',
    aka: 'k-diffusion `sample_dpmpp_2s_ancestral`; diffusers DPMSolverSinglestepScheduler (ancestral variant: none)',
    example: 's(m, x, R.karrasSigmas(20, 0.002, 80), {rng})',
    checks: {
      sigmaDistribution: [{ label: 'dpmpp_2s_ancestral', steps: 40 }],
      sigmaOrder: [{ label: 'dpmpp_2s_ancestral η=0', order: 2, options: { eta: 0 } }],
      crosscheck: [{ label: 'dpmpp_2s_ancestral (k) VP, Karras 8', process: 'vp', output: 'eps', grid: XGRID, scale: 10 }],
    },
  },
  {
    name: 'dpmpp_sde',
    family: 'k_dpmpp',
    fn: 'sampleKDpmppSde',
    deterministic: false,
    ...K,
    options: k_euler.K_DPMPP_SDE_OPTIONS,
    target: p0,
    summary: 'stochastic singlestep DPM-Solver++: ancestral half step to σ(λ + rh), D there, ancestral full step with (1-1/(2r))D_i + D₂/(2r); Brownian-tree noise',
    aka: 'k-diffusion `sample_dpmpp_sde`; diffusers DPMSolverSDEScheduler',
    example: 's(m, x, R.karrasSigmas(20, 0.002, 80), {rng})',
    checks: {
      sigmaDistribution: [{ label: 'dpmpp_sde', steps: 40 }],
      sigmaOrder: [{ label: 'dpmpp_sde η=0', order: 2, options: { eta: 0 } }],
      sigmaStrong: [{ label: 'dpmpp_sde', order: 1 }],
      crosscheck: [{ label: 'dpmpp_sde (k) VP, Karras 8', process: 'vp', output: 'eps', grid: XGRID, scale: 10 }],
    },
  },
  {
    name: 'dpmpp_2m',
    family: 'k_dpmpp',
    fn: 'sampleKDpmpp2m',
    deterministic: true,
    ...K,
    options: k_euler.K_MAPPING_OPTIONS,
    target: p0,
    summary: 'DPM-Solver++(2M) (Lu et al. 2022b Alg. 2) in σ: D_d = (1 + 1/(2r))D_i - D_{i-1}/(2r); first order on the first step and on the step to 0',
    aka: 'k-diffusion `sample_dpmpp_2m`; diffusers DPMSolverMultistepScheduler (algorithm_type="dpmsolver++", solver_order=2)',
    example: 's(m, x, R.karrasSigmas(20, 0.002, 80))',
    checks: {
      sigmaDistribution: [{ label: 'dpmpp_2m (v-model)', steps: 25, output: 'v' }],
      sigmaOrder: [{ label: 'dpmpp_2m', order: 2 }],
      crosscheck: [{ label: 'dpmpp_2m (k) discrete-VP, Karras 8', process: 'discrete-vp', output: 'eps', grid: Array.from(karrasSigmas(8, 0.02, 20)), scale: 10 }],
    },
  },
  {
    name: 'dpmpp_2m_sde',
    family: 'k_dpmpp',
    fn: 'sampleKDpmpp2mSde',
    deterministic: false,
    ...K,
    options: k_euler.K_DPMPP_2M_SDE_OPTIONS,
    target: p0,
    summary: 'SDE-DPM-Solver++(2M): x ← (σ_{i+1}/σ_i)e^{-ηh}x - expm1(-(1+η)h)D_i + correction (midpoint or heun) + σ_{i+1}√(1-e^{-2ηh}) z; Brownian-tree noise',
    aka: 'k-diffusion `sample_dpmpp_2m_sde`; diffusers DPMSolverMultistepScheduler (algorithm_type="sde-dpmsolver++")',
    example: "s(m, x, R.karrasSigmas(30, 0.002, 80), {rng, solverType: 'midpoint'})",
    checks: {
      sigmaDistribution: [
        { label: 'dpmpp_2m_sde', steps: 60 },
        { label: 'dpmpp_2m_sde heun', steps: 60, options: { solverType: 'heun' } },
      ],
      sigmaOrder: [{ label: 'dpmpp_2m_sde η=0 (heun)', order: 2, options: { eta: 0, solverType: 'heun' } }],
      sigmaStrong: [
        { label: 'dpmpp_2m_sde (midpoint)', order: 1 },
        { label: 'dpmpp_2m_sde (heun)', order: 1, options: { solverType: 'heun' } },
      ],
      crosscheck: [{ label: 'dpmpp_2m_sde (k) heun, VP, Karras 8', process: 'vp', output: 'eps', grid: XGRID, scale: 10, options: { solverType: 'heun' } }],
    },
  },
  {
    name: 'dpmpp_3m_sde',
    family: 'k_dpmpp',
    fn: 'sampleKDpmpp3mSde',
    deterministic: false,
    ...K,
    options: k_euler.K_DPMPP_3M_SDE_OPTIONS,
    target: p0,
    summary: "SDE-DPM-Solver++(3M): the 2M SDE step plus φ₂ d₁ - c₃φ₃ d₂ from three D's; c₃ = 1 (k-diffusion, second order) or 2 (variant 'taylor', third order)",
    aka: 'k-diffusion `sample_dpmpp_3m_sde`; diffusers DPMSolverMultistepScheduler (solver_order=3, "sde-dpmsolver++")',
    example: 's(m, x, R.karrasSigmas(30, 0.002, 80), {rng})',
    checks: {
      sigmaDistribution: [{ label: 'dpmpp_3m_sde', steps: 60 }],
      sigmaOrder: [
        { label: 'dpmpp_3m_sde η=0 (Taylor third-order term)', order: 3, options: { eta: 0, variant: 'taylor' } },
        { label: "dpmpp_3m_sde η=0 (k-diffusion's term: second order)", order: 2, options: { eta: 0 } },
      ],
      sigmaStrong: [{ label: 'dpmpp_3m_sde', order: 1 }],
      crosscheck: [{ label: 'dpmpp_3m_sde (k) taylor, VP x0, Karras 8', process: 'vp', output: 'x0', grid: XGRID, scale: 10, options: { variant: 'taylor' } }],
    },
  },
  // ---- issue 15: multistep exponential integrators, PNDM/PLMS, rectified flow -----------------
  // `order` is the interior order (score.ode-order does not run them: no checks.order); the
  // convergence checks, with the order drop at the first/last steps, are multistep.order's
  // (src/conformance/claims/multistep.ts), which also runs the history, equivalence and
  // parameterization claims.
  {
    name: 'dpm-solver-2m',
    family: 'multistep',
    fn: 'sampleDpmSolver2M',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.DPM_MULTISTEP_OPTIONS,
    order: 2,
    target: pt,
    catalog: 'E7',
    summary: 'noise-prediction multistep, order 2, warm-up and lowerOrderFinal (Lu et al. 2022a eq. 3.5 in multistep form, 2022b §4.2)',
    aka: "diffusers DPMSolverMultistepScheduler(algorithm_type='dpmsolver', solver_order=2)",
    example: "s(vpModel, x, R.makeSolverGrid(vp, 20, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver-2M', process: 'vp', steps: 40, spacing: 'logsnr' }],
      crosscheck: [{ label: 'dpm-solver-2m', process: 'vp', output: 'eps', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver-3m',
    family: 'multistep',
    fn: 'sampleDpmSolver3M',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.DPM_MULTISTEP_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'noise-prediction multistep, order 3 (quadratic through the last three ε̂ in λ)',
    aka: "diffusers DPMSolverMultistepScheduler(algorithm_type='dpmsolver', solver_order=3)",
    example: "s(vpModel, x, R.makeSolverGrid(vp, 20, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver-3M (v-model)', process: 'vp', steps: 25, spacing: 'logsnr', output: 'v' }],
      crosscheck: [{ label: 'dpm-solver-3m (v-model)', process: 'vp', output: 'v', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver++3m',
    family: 'multistep',
    fn: 'sampleDpmSolverPP3M',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.DPM_MULTISTEP_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'data-prediction multistep, order 3, warm-up and lowerOrderFinal (Lu et al. 2022b eq. 9)',
    aka: "k-diffusion `dpmpp_3m_sde` (η = 0); diffusers DPMSolverMultistepScheduler(solver_order=3)",
    example: "s(R.mixtureModel(mix, vp, 'x0'), x, R.makeSolverGrid(vp, 20, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver++(3M)', process: 'vp', steps: 25, spacing: 'logsnr', output: 'x0' }],
      crosscheck: [{ label: 'dpm-solver++3m (x0-model)', process: 'vp', output: 'x0', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver++2s',
    family: 'multistep',
    fn: 'sampleDpmSolverPP2S',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.SINGLESTEP_PP_OPTIONS,
    order: 2,
    target: pt,
    catalog: 'E7',
    summary: 'singlestep DPM-Solver++(2S), r₁ = ½ (Lu et al. 2022b Alg. 1)',
    aka: 'k-diffusion `dpmpp_2s_ancestral` (η = 0); diffusers DPMSolverSinglestepScheduler(solver_order=2)',
    example: "s(R.mixtureModel(mix, vp, 'x0'), x, R.makeSolverGrid(vp, 10, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver++(2S)', process: 'vp', steps: 25, spacing: 'logsnr', output: 'x0' }],
      crosscheck: [{ label: 'dpm-solver++2s', process: 'vp', output: 'x0', steps: 6, spacing: 'logsnr' }],
    },
  },
  {
    name: 'dpm-solver++3s',
    family: 'multistep',
    fn: 'sampleDpmSolverPP3S',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.SINGLESTEP_PP_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'singlestep DPM-Solver++(3S), r = ⅓, ⅔ (2022a Alg. 2 in data prediction)',
    aka: 'diffusers DPMSolverSinglestepScheduler(solver_order=3)',
    example: "s(vpModel, x, R.makeSolverGrid(vp, 8, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'DPM-Solver++(3S)', process: 'vp', steps: 12, spacing: 'logsnr' }],
      crosscheck: [{ label: 'dpm-solver++3s', process: 'vp', output: 'eps', steps: 5, spacing: 'logsnr' }],
    },
  },
  {
    name: 'unipc-bh1',
    family: 'multistep',
    fn: 'sampleUniPCBh1',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.UNIPC_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'UniP-p predictor + UniC-p corrector (order p+1), B(h) = h (Zhao et al. 2023 Thm. 3.1)',
    aka: "diffusers UniPCMultistepScheduler(solver_type='bh1')",
    example: "s(vpModel, x, R.makeSolverGrid(vp, 10, {spacing: 'logsnr'}), {order: 3})",
    checks: {
      distribution: [{ label: 'UniPC bh1', process: 'vp', steps: 25, spacing: 'logsnr' }],
      crosscheck: [{ label: 'unipc-bh1 order 3 (x0-model)', process: 'vp', output: 'x0', steps: 8, spacing: 'logsnr', options: { order: 3 } }],
    },
  },
  {
    name: 'unipc-bh2',
    family: 'multistep',
    fn: 'sampleUniPCBh2',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.UNIPC_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'UniP-p + UniC-p, B(h) = e^h - 1 (Zhao et al. 2023); without corrector at order 2 it is DPM-Solver++(2M)',
    aka: "diffusers UniPCMultistepScheduler(solver_type='bh2')",
    example: "s(vpModel, x, R.makeSolverGrid(vp, 10, {spacing: 'logsnr'}))",
    checks: {
      distribution: [{ label: 'UniPC bh2, order 3 (flow-velocity model)', process: 'vp', steps: 20, spacing: 'logsnr', output: 'flow', options: { order: 3 } }],
      crosscheck: [{ label: 'unipc-bh2', process: 'vp', output: 'eps', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'deis',
    family: 'multistep',
    fn: 'sampleDeis',
    deterministic: true,
    grid: 'continuous',
    reversible: true,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: multistep.DEIS_OPTIONS,
    order: 3,
    target: pt,
    catalog: 'E7',
    summary: 'DEIS tAB-k: ε̂ extrapolated by a polynomial in t, integrated exactly in ρ = σ/α (Zhang & Chen 2023 §4)',
    aka: "diffusers DEISMultistepScheduler(algorithm_type='deis')",
    example: "s(vpModel, x, R.makeSolverGrid(vp, 20, {spacing: 'logsnr'}), {order: 3})",
    checks: {
      distribution: [{ label: 'DEIS tAB3', process: 'vp', steps: 25, spacing: 'logsnr' }],
      crosscheck: [{ label: 'deis tAB3', process: 'vp', output: 'eps', steps: 8, spacing: 'logsnr' }],
    },
  },
  {
    name: 'pndm',
    family: 'pndm',
    fn: 'samplePndm',
    deterministic: true,
    grid: 'continuous',
    reversible: false,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: pndm.PNDM_OPTIONS,
    target: pt,
    catalog: 'E7',
    summary: '3 pseudo-RK4 steps, then pseudo linear multistep (55, -59, 37, -9)/24 on ε̂ (Liu et al. 2022 eqs. 11-13); order 2 on non-ρ-uniform grids',
    aka: 'diffusers PNDMScheduler',
    example: 's(vpModel, x, R.makeSolverGrid(vp, 50))',
    checks: {
      distribution: [{ label: 'PNDM', process: 'vp', steps: 40, spacing: 'logsnr' }],
      crosscheck: [{ label: 'pndm', process: 'vp', output: 'eps', steps: 8 }],
    },
  },
  {
    name: 'plms',
    family: 'pndm',
    fn: 'samplePlms',
    deterministic: true,
    grid: 'continuous',
    reversible: false,
    spacing: 'logsnr',
    processes: ALL_PROCESSES,
    outputs: ALL_OUTPUTS,
    options: pndm.PNDM_OPTIONS,
    target: pt,
    catalog: 'E7',
    summary: 'PLMS only: pseudo improved-Euler first step, then Adams-Bashforth 2-4 on ε̂ (Liu et al. 2022 eq. 13)',
    aka: 'diffusers PNDMScheduler(skip_prk_steps=True)',
    example: 's(vpModel, x, R.makeSolverGrid(vp, 50))',
    checks: {
      distribution: [{ label: 'PLMS (v-model)', process: 'vp', steps: 40, spacing: 'logsnr', output: 'v' }],
      crosscheck: [{ label: 'plms (v-model)', process: 'vp', output: 'v', steps: 8 }],
    },
  },
  {
    name: 'flow-euler',
    family: 'flow',
    fn: 'sampleFlowEuler',
    deterministic: true,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: ['flow'],
    outputs: ALL_OUTPUTS,
    options: flow.FLOW_OPTIONS,
    target: 'p_{t_N}; from t = 1 (pure noise) to t = 0 the data',
    catalog: 'E10 (issue 15)',
    summary: 'x ← x + (t_{i+1} - t_i)·u(x, t_i), u = ε̂ - x̂₀ on x_t = (1-t)x₀ + tε (Liu et al. 2023 eq. 1); grids: R.makeFlowGrid(n, {shift}) (SD3 shift)',
    aka: 'diffusers FlowMatchEulerDiscreteScheduler',
    example: "s(R.mixtureModel(mix, R.flowProcess(), 'flow'), rng.normalBatch(n, d), R.makeFlowGrid(28, {shift: 3}))",
    checks: {
      distribution: [{ label: 'flow Euler (from N(0, I) at t = 1 to the data)', process: 'flow', steps: 200, output: 'flow' }],
      crosscheck: [{ label: 'flow-euler (shift 3)', process: 'flow', output: 'flow', grid: Array.from(flow.makeFlowGrid(10, { shift: 3 })) }],
    },
  },
  {
    name: 'flow-heun',
    family: 'flow',
    fn: 'sampleFlowHeun',
    deterministic: true,
    grid: 'continuous',
    reversible: false,
    spacing: 'time',
    processes: ['flow'],
    outputs: ALL_OUTPUTS,
    options: flow.FLOW_OPTIONS,
    target: 'p_{t_N}; from t = 1 to t = 0 the data',
    catalog: 'E10 (issue 15)',
    summary: 'Heun on dx/dt = u(x, t), Euler on a last step to σ = 0 (Karras et al. 2022 Alg. 1 in t)',
    aka: 'diffusers FlowMatchHeunDiscreteScheduler',
    example: "s(R.mixtureModel(mix, R.flowProcess(), 'x0'), rng.normalBatch(n, d), R.makeFlowGrid(28))",
    checks: {
      distribution: [{ label: 'flow Heun (x0-model, from N(0, I) to the data)', process: 'flow', steps: 40, output: 'x0' }],
      crosscheck: [{ label: 'flow-heun (x0-model)', process: 'flow', output: 'x0', grid: Array.from(flow.makeFlowGrid(8, { shift: 3 })) }],
    },
  },
] as const satisfies readonly SamplerDescriptor[];

export type SamplerName = (typeof SAMPLER_TABLE)[number]['name'];

/** Every sampler name, in table order. */
export const SAMPLER_NAMES: readonly SamplerName[] = SAMPLER_TABLE.map((d) => d.name);

/** The descriptor of each sampler by name. */
export const SAMPLER_DESCRIPTORS: Readonly<Record<SamplerName, SamplerDescriptor>> = Object.freeze(Object.fromEntries(SAMPLER_TABLE.map((d) => [d.name, d])) as unknown as Record<SamplerName, SamplerDescriptor>);

/** The table widened to the descriptor type (for consumers that iterate over it). */
export const SAMPLER_LIST: readonly (SamplerDescriptor & { readonly name: SamplerName })[] = SAMPLER_TABLE;

/** Deterministic samplers (no rng): the PF-ODE solvers and DPM-Solvers. */
export const DETERMINISTIC_SAMPLERS: readonly SamplerName[] = SAMPLER_TABLE.filter((d) => d.deterministic).map((d) => d.name);

/** The descriptor of that name; throws naming `name` and listing the known ones otherwise. */
export function samplerDescriptor(name: string): SamplerDescriptor {
  return SAMPLER_DESCRIPTORS[checkOneOf('name', name, SAMPLER_NAMES)];
}

/**
 * A tier's sampler functions from its family modules: for each descriptor, `families[family][fn]`.
 * Throws (at load) naming the descriptor when a tier lacks the function. Used by both tiers.
 */
export function resolveSamplers<F>(families: Readonly<Record<SamplerFamily, object>>, tier: string): Readonly<Record<SamplerName, F>> {
  const out: Record<string, F> = {};
  for (const d of SAMPLER_TABLE) {
    const fn = (families[d.family] as Record<string, unknown>)[d.fn];
    if (typeof fn !== 'function') throw new Error(`sampler '${d.name}': ${tier} has no function ${d.family}.${d.fn}`);
    out[d.name] = fn as F;
  }
  return Object.freeze(out) as Record<SamplerName, F>;
}

// ---------------------------------------------------------------------------------------------
// The float64 registry

/** Every key of any member of the union T. */
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/**
 * One options bag for a union of option types: each field optional, typed as the union of what the
 * members that declare it accept (two families may share a field name with different values, e.g.
 * `solverType` of dpmpp_2m_sde and of the DPM-Solver multistep solvers).
 */
type UnionBag<T> = { [K in KeysOfUnion<T>]?: T extends unknown ? (K extends keyof T ? Exclude<T[K], undefined> : never) : never };

/**
 * Options of any sampler (the union of every sampler's fields; kept for source compatibility).
 * Each sampler's own type is in its family file (e.g. PredictorCorrectorOptions in sde.ts).
 */
export type SamplerOptions = SamplerBaseOptions &
  UnionBag<
    | langevin.LangevinOptions
    | sde.ReverseSdeOptions
    | sde.PredictorCorrectorOptions
    | ode.OdeOptions
    | dpm_solver.DpmSolverOptions
    | indi.IndiOptions
    | ancestral.DdpmOptions
    | ancestral.DdimOptions
    | k_euler.KSamplerOptions
    | Omit<multistep.MultistepOptions, 'rng' | 'callback'>
  >;

/**
 * The shared sampler signature. Declared with method syntax so that a sampler typed with its own
 * options (e.g. KSamplerOptions) is assignable: parameters of methods are compared bivariantly,
 * and each family's options type is assignable to the SamplerOptions bag.
 */
export type SamplerFn = { sampler(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options?: SamplerOptions): Float64Array[] }['sampler'];

/** The family modules of this tier, by family name. */
export const REFERENCE_FAMILIES: Readonly<Record<SamplerFamily, object>> = { langevin, sde, ode, dpm_solver, indi, ancestral, k_euler, k_dpmpp, multistep, pndm, flow };

/** Name → sampler. Stochastic ones need `options.rng`. */
export const SAMPLERS: Readonly<Record<SamplerName, SamplerFn>> = resolveSamplers<SamplerFn>(REFERENCE_FAMILIES, 'src/reference');

/** The sampler of that name; throws naming `name` and listing the known ones otherwise. */
export function getSampler(name: string): SamplerFn {
  const n = checkOneOf('name', name, SAMPLER_NAMES);
  const fn = SAMPLERS[n];
  if (!fn) throw new DiffusionInputError('name', name, 'unknown sampler');
  return fn;
}

/**
 * Strict check of a sampler's options against its spec: unknown keys (typos, another sampler's
 * fields) throw naming them; values are checked and defaults filled in. The samplers themselves
 * check their own fields but ignore foreign ones (callers pass one bag to several samplers).
 */
export function parseSamplerOptions(name: string, options: unknown): SamplerOptions & Record<string, unknown> {
  const d = samplerDescriptor(name);
  return parseOptions(d.options, options, name) as SamplerOptions & Record<string, unknown>;
}
