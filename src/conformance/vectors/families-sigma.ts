/**
 * The σ-space vector file (issue 14): σ schedules with the final 0, a discrete schedule's own σ's in
 * diffusers' spacings, the ancestral split, and short runs of every σ-space sampler (k-diffusion
 * names) with the model given as data — D(x̃; σ_0) at the run's input for one-evaluation single steps,
 * else the exact denoiser of a small diagonal mixture — and the noise given as draws.
 * Operations: src/conformance/vectors/format.ts OPS (sigmaSchedule, discreteScheduleSigmas,
 * ancestralStep, kSamplerRun); specs: src/conformance/vectors/score-ops.ts (sigmaFixtureModel).
 *
 * Keep ids stable; add cases under new names.
 */
import type { DiffusionImpl, MixtureSpec } from '../interface.js';
import * as R from '../../reference/index.js';
import { FamilyBuilder, type FamilyFn } from './builder.js';

const SIGMA_TIME_CONVENTION =
  'σ-space (Karras et al. 2022; k-diffusion): σ = σ_t/α_t; a σ grid is strictly decreasing and ends with exactly one 0; x is in σ-space (x_t/α_t). Samplers take (model, x, sigmas, options); D(x; σ) = E[x_0 | x_0 + σε = x].';

/** 2-D, two diagonal components: the analytic denoiser of multi-evaluation runs. */
const MIXK: MixtureSpec = { weights: [0.4, 0.6], means: [[1.2, -0.6], [-0.8, 0.9]], variances: [[0.3, 0.2], [0.25, 0.4]] };

export const sigmaFamily: FamilyFn = (impl: DiffusionImpl) => {
  const f = new FamilyBuilder(
    impl,
    'sigma',
    [
      'Issue 14: σ-space machinery (EDM, Karras et al. 2022) and the k-diffusion sampler family.',
      "sigmaSchedule(name, n, options): 'karras' (sigmaMin, sigmaMax, rho; EDM eq. 5), 'exponential', 'polyexponential' (rho), 'vp' (betaD, betaMin, epsS): n σ's then one 0.",
      "discreteScheduleSigmas(betas, n, spacing): n of the schedule's σ_t = √((1-ᾱ_t)/ᾱ_t) at diffusers' 'linspace' (log-σ interpolated), 'leading' (steps offset 1) or 'trailing' timesteps, then 0.",
      'ancestralStep(σ_from, σ_to, η): σ_up = min(σ_to, η√(σ_to²(σ_from²-σ_to²)/σ_from²)), σ_down = √(σ_to² - σ_up²).',
      "kSamplerRun(sampler, model, x, sigmas, options): the sampler over the whole (short) grid for one sample; model {kind: 'given', value} = D at (x, sigmas[0]) only, or {kind: 'mixture', mixture} = the exact denoiser; options.noise = the standard-normal draws in the order the sampler takes them (churn, then ancestral/SDE noise; SDE samplers with noiseSource 'rng').",
    ],
    undefined,
    SIGMA_TIME_CONVENTION,
  );

  // σ schedules.
  const ks = f.group('karras', 'sigmaSchedule', 'Karras et al. eq. 5 with exact endpoints, then 0.');
  for (const [lo, hi, rho] of [[0.002, 80, 7], [0.0292, 14.6, 7], [0.1, 10, 3]] as const) {
    for (const n of [1, 3, 10]) ks.valid(`n${n}-${lo}-${hi}-rho${rho}`, { name: 'karras', n, options: { sigmaMin: lo, sigmaMax: hi, rho } }, ['KARRAS_RHO_POWER', 'SIGMA_FINAL_ZERO']);
  }
  ks.invalid('n0', { name: 'karras', n: 0, options: { sigmaMin: 0.1, sigmaMax: 10, rho: 7 } }, 'n must be a positive integer');
  ks.invalid('min-above-max', { name: 'karras', n: 5, options: { sigmaMin: 10, sigmaMax: 1, rho: 7 } }, 'σ_min ≥ σ_max');
  ks.invalid('rho-zero', { name: 'karras', n: 5, options: { sigmaMin: 0.1, sigmaMax: 10, rho: 0 } }, 'ρ must be > 0');
  const es = f.group('exponential-poly-vp', 'sigmaSchedule', "Log-uniform ('exponential'), polyexponential (ρ) and continuous-VP σ's, then 0.");
  for (const n of [1, 4, 12]) {
    es.valid(`exponential-n${n}`, { name: 'exponential', n, options: { sigmaMin: 0.002, sigmaMax: 80 } }, ['SIGMA_FINAL_ZERO']);
    es.valid(`polyexponential-rho2-n${n}`, { name: 'polyexponential', n, options: { sigmaMin: 0.002, sigmaMax: 80, rho: 2 } }, ['SIGMA_FINAL_ZERO']);
    es.valid(`vp-n${n}`, { name: 'vp', n, options: { betaD: 19.9, betaMin: 0.1, epsS: 1e-3 } }, ['SIGMA_FINAL_ZERO']);
  }
  es.invalid('unknown-name', { name: 'cosine', n: 5, options: {} }, 'unknown σ schedule');

  const betas = R.betaSchedule('linear', 1000);
  const ds = f.group('discrete-linear-1000', 'discreteScheduleSigmas', "The linear 1000-step schedule's own σ_t in diffusers' spacings, then 0.", betas);
  for (const spacing of ['linspace', 'leading', 'trailing'] as const) for (const n of [1, 10, 50]) ds.valid(`${spacing}-n${n}`, { n, spacing }, ['SIGMA_FINAL_ZERO']);
  ds.invalid('n-above-T', { n: 1001, spacing: 'linspace' }, 'more steps than timesteps');

  const an = f.group('ancestral-split', 'ancestralStep', 'σ_down, σ_up of a step σ_from → σ_to.');
  for (const [a, b, eta] of [[10, 5, 1], [80, 60, 1], [1, 0.01, 1], [2, 1, 0], [2, 1, 0.5], [2, 1, 1.5], [5, 4.9, 2], [3, 0, 1]] as const) {
    const clamped = b > 0 && eta * Math.sqrt(1 - (b / a) ** 2) > 1;
    an.valid(`${a}-${b}-eta${eta}`, { sigmaFrom: a, sigmaTo: b, eta }, clamped ? ['ANCESTRAL_CLAMP'] : [], clamped ? 'clamped: σ_up = σ_to, σ_down = 0' : undefined);
  }
  an.invalid('to-above-from', { sigmaFrom: 1, sigmaTo: 2, eta: 1 }, 'σ_to > σ_from');
  an.invalid('eta-negative', { sigmaFrom: 2, sigmaTo: 1, eta: -1 }, 'η < 0');

  // Sampler runs.
  const mixture = { kind: 'mixture', output: 'x0', mixture: MIXK };
  const given = f.group('single-steps-given', 'kSamplerRun', 'One step with one model evaluation: D(x̃; σ_0) given.');
  const g1 = given.normals(2).map((v) => 6 * v);
  const D1 = Array.from(R.mixturePosteriorMean(R.makeMixture(MIXK), 1, 6, Float64Array.from(g1)) as Float64Array);
  given.valid('euler-6-to-2', { sampler: 'euler', model: { kind: 'given', output: 'x0', value: D1 }, x: g1, sigmas: [6, 2], options: {} });
  given.valid('euler-6-to-0', { sampler: 'euler', model: { kind: 'given', output: 'x0', value: D1 }, x: g1, sigmas: [6, 0], options: {} }, [], 'the step to σ = 0 returns D');
  given.valid('euler_ancestral-6-to-2', { sampler: 'euler_ancestral', model: { kind: 'given', output: 'x0', value: D1 }, x: g1, sigmas: [6, 2], options: { noise: [given.normals(2)] } }, ['ANCESTRAL_NOISE_LEVEL']);
  given.valid('dpmpp_2m-6-to-2', { sampler: 'dpmpp_2m', model: { kind: 'given', output: 'x0', value: D1 }, x: g1, sigmas: [6, 2], options: {} }, [], 'first step: DPM-Solver++1 = (σ_1/σ_0)x + (1 - σ_1/σ_0)D');
  given.valid('lms-6-to-2', { sampler: 'lms', model: { kind: 'given', output: 'x0', value: D1 }, x: g1, sigmas: [6, 2], options: {} }, [], 'first step: Euler');

  const runs = f.group('runs-mixture', 'kSamplerRun', "Runs over Karras(4, 0.1, 10) + 0 with the mixture's exact denoiser.");
  const grid = Array.from(R.karrasSigmas(4, 0.1, 10));
  const cases: [string, string, Record<string, unknown>, string[]][] = [
    ['euler', 'euler', {}, []],
    ['euler-churn', 'euler', { sChurn: 2 }, []],
    ['euler_ancestral', 'euler_ancestral', {}, ['ANCESTRAL_NOISE_LEVEL']],
    ['euler_ancestral-eta0.5', 'euler_ancestral', { eta: 0.5, sNoise: 1.2 }, ['ANCESTRAL_NOISE_LEVEL']],
    ['heun', 'heun', {}, ['HEUN_SECOND_STAGE_SIGMA']],
    ['heun-churn', 'heun', { sChurn: 2, sTmin: 0.5, sTmax: 8 }, ['HEUN_SECOND_STAGE_SIGMA']],
    ['dpm_2', 'dpm_2', {}, []],
    ['dpm_2_ancestral', 'dpm_2_ancestral', {}, []],
    ['lms', 'lms', {}, ['LMS_COEFFICIENTS']],
    ['lms-order2', 'lms', { order: 2 }, ['LMS_COEFFICIENTS']],
    ['dpmpp_2s_ancestral', 'dpmpp_2s_ancestral', {}, []],
    ['dpmpp_sde', 'dpmpp_sde', { noiseSource: 'rng' }, []],
    ['dpmpp_2m', 'dpmpp_2m', {}, ['DPMPP_2M_FINAL_ORDER']],
    ['dpmpp_2m_sde', 'dpmpp_2m_sde', { noiseSource: 'rng' }, []],
    ['dpmpp_2m_sde-heun', 'dpmpp_2m_sde', { noiseSource: 'rng', solverType: 'heun' }, []],
    ['dpmpp_3m_sde', 'dpmpp_3m_sde', { noiseSource: 'rng' }, []],
    ['dpmpp_3m_sde-eta0-taylor', 'dpmpp_3m_sde', { eta: 0, variant: 'taylor' }, ['DPMPP_3M_SECOND_DERIVATIVE']],
  ];
  for (const [name, sampler, options, flags] of cases) {
    const x = runs.normals(2).map((v) => 10 * v);
    const noise = Array.from({ length: 10 }, () => runs.normals(2));
    runs.valid(name, { sampler, model: mixture, x, sigmas: grid, options: { ...options, noise } }, flags);
  }
  const inv = f.group('invalid-runs', 'kSamplerRun', 'Inputs an implementation must reject.');
  inv.invalid('zero-appended-twice', { sampler: 'euler', model: mixture, x: [1, 2], sigmas: [10, 1, 0, 0], options: {} }, 'σ = 0 appended twice (zero-length last step)');
  inv.invalid('repeated-sigma', { sampler: 'heun', model: mixture, x: [1, 2], sigmas: [10, 1, 1, 0], options: {} }, 'a repeated σ (zero-length step)');
  inv.invalid('increasing', { sampler: 'dpmpp_2m', model: mixture, x: [1, 2], sigmas: [1, 10, 0], options: {} }, 'σ grid increasing');
  inv.invalid('x-nan', { sampler: 'euler', model: mixture, x: [1, 'NaN'], sigmas: [10, 1, 0], options: {} }, 'NaN in x');
  inv.invalid('lms-order5', { sampler: 'lms', model: mixture, x: [1, 2], sigmas: [10, 1, 0], options: { order: 5 } }, 'lms order > 4');
  inv.invalid('ancestral-no-noise', { sampler: 'euler_ancestral', model: mixture, x: [1, 2], sigmas: [10, 1, 0], options: {} }, 'a stochastic sampler without noise');
  return f;
};

export const SIGMA_FAMILIES: [string, FamilyFn][] = [['sigma.json', sigmaFamily]];
