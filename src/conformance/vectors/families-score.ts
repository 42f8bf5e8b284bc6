/**
 * The score-family vector files (issue 8): mixture scores and Tweedie, process coefficients, single
 * sampler steps (Langevin, reverse SDEs, predictor-corrector, PF-ODE Euler/Heun/RK4, InDI),
 * DPM-Solver steps, and guidance. Operations and specs: src/conformance/vectors/score-ops.ts; time convention:
 * SCORE_TIME_CONVENTION (src/conformance/vectors/format.ts).
 *
 * A step's model is either given as values at the step's input (x, t_0) — one-evaluation steps — or,
 * for steps that evaluate it elsewhere (Heun, RK4, DPM-Solver-2/3, corrector steps, multistep), the
 * exact oracle of a small diagonal Gaussian mixture (an analytic function any implementation can
 * evaluate). Given values are the same oracle's outputs at (x, t_0), so the inputs are realistic.
 *
 * Keep ids stable; add cases under new names.
 */
import type { DiffusionImpl, MixtureSpec, ModelOutput } from '../interface.js';
import * as R from '../../reference/index.js';
import { FamilyBuilder, type FamilyFn, type GroupBuilder } from './builder.js';
import { SCORE_TIME_CONVENTION } from './format.js';
import { referenceProcess, type ProcessSpec } from './score-ops.js';
import { multistep } from './families-multistep.js';

// ---- mixtures -------------------------------------------------------------------------------

/** 004 §3.1: 0.6·N(2, 0.5²) + 0.4·N(-2, 0.2²). */
const SEED_LANGEVIN: MixtureSpec = { weights: [0.6, 0.4], means: [[2], [-2]], variances: [0.25, 0.04] };
/** 004 §4.3: 0.5·N(3, 1) + 0.5·N(-3, 1). */
const SEED_SDE: MixtureSpec = { weights: [0.5, 0.5], means: [[3], [-3]], variances: [1, 1] };
/** 2-D, three diagonal components, unequal weights (the analytic model of multi-stage steps). */
const MIX2: MixtureSpec = {
  weights: [0.5, 0.3, 0.2],
  means: [[1.5, -0.5], [-1, 1], [0.2, -1.8]],
  variances: [[0.3, 0.5], [0.2, 0.2], [0.6, 0.1]],
};
/** 3-D, two components with full (correlated) covariances. */
const MIX3: MixtureSpec = {
  weights: [0.7, 0.3],
  means: [[1, 0, -1], [-1, 0.5, 0.5]],
  covariances: [
    [[0.5, 0.2, 0.1], [0.2, 0.4, -0.1], [0.1, -0.1, 0.3]],
    [[0.3, -0.12, 0], [-0.12, 0.6, 0.15], [0, 0.15, 0.2]],
  ],
};

// ---- processes ------------------------------------------------------------------------------

const VP: ProcessSpec = { kind: 'vp', options: { betaMin: 0.1, betaMax: 20 } };
const VE: ProcessSpec = { kind: 've', options: { sigmaMin: 0.01, sigmaMax: 50 } };
const INDI: ProcessSpec = { kind: 'indi', options: { noise: 1, signal: 0, extraNoise: 0 } };
const INDI_NOISY: ProcessSpec = { kind: 'indi', options: { noise: 1, signal: 0, extraNoise: 0.5 } };
function discreteVp(impl: DiffusionImpl): ProcessSpec {
  return { kind: 'discrete-vp', betas: Array.from(impl.betaSchedule!('linear', 20, { betaStart: 0.001, betaEnd: 0.2 })) };
}

/** A point between the components of `mix` as seen at (α, σ): a random convex mix of α·means plus σ-scaled noise. */
function between(g: GroupBuilder, mix: MixtureSpec, alpha: number, sigma: number, spread = 0.5): number[] {
  const means = mix.means as number[][];
  const w = g.uniforms(means.length, 0.2, 1);
  const sw = w.reduce((a, b) => a + b, 0);
  const d = means[0].length;
  const z = g.normals(d);
  return Array.from({ length: d }, (_, i) => alpha * means.reduce((a, m, k) => a + (w[k] / sw) * m[i], 0) + spread * Math.max(sigma, 0.3) * z[i]);
}

/** The exact oracle's output at (x, t) of a process (a realistic "given" model value). */
function oracle(mix: MixtureSpec, process: ProcessSpec, output: ModelOutput, x: number[], t: number): number[] {
  const m = R.mixtureModel(R.makeMixture(mix), referenceProcess(process), output);
  return Array.from(m.apply([Float64Array.from(x)], t)[0]);
}

function given(mix: MixtureSpec, process: ProcessSpec, output: ModelOutput, x: number[], t: number) {
  return { kind: 'given', output, value: oracle(mix, process, output, x, t) };
}

function ab(process: ProcessSpec, t: number): { alpha: number; sigma: number } {
  const p = referenceProcess(process);
  return { alpha: p.alpha(t), sigma: p.sigma(t) };
}

// ---------------------------------------------------------------------------------------------

export const scoreMixture: FamilyFn = (impl) => {
  const f = new FamilyBuilder(
    impl,
    'score-mixture',
    [
      'Catalog G: exact oracles of Gaussian-mixture data x_0 ~ Σ_k π_k N(μ_k, Σ_k) under x_t = α x_0 + σ ε: p_t = Σ_k π_k N(α μ_k, α²Σ_k + σ²I).',
      'mixtureLogPdf = log p_t(x); mixtureScore = ∇log p_t(x) = -Σ_k r_k(x)(α²Σ_k + σ²I)⁻¹(x - αμ_k); mixturePosteriorMean = E[x_0|x_t = x] (Tweedie: (x + σ²∇log p_t(x))/α).',
      'mixture = {weights, means, variances (per component: a number or a per-dimension vector) | covariances (d×d, symmetric positive definite)}.',
      'processCoefficients: α, σ, λ = log(α/σ), f, g² of a process at t; mixtureModelOutput: the exact ε̂, x̂_0, v̂ (v = α ε - σ x_0) or score of the mixture at (x, t) of a process (D1-D3 for general α, σ).',
    ],
    undefined,
    SCORE_TIME_CONVENTION,
  );
  const levels: [string, number, number][] = [
    ['a1-s0', 1, 0],
    ['a0.8-s0.6', 0.8, 0.6],
    ['a0.3-s0.95', 0.3, Math.sqrt(1 - 0.09)],
    ['a1-s2', 1, 2],
    ['a0-s1', 0, 1],
  ];
  const mixes: [string, MixtureSpec, boolean][] = [
    ['seed-langevin', SEED_LANGEVIN, true],
    ['seed-sde', SEED_SDE, false],
    ['mix2', MIX2, true],
    ['mix3-full', MIX3, true],
  ];
  for (const [op, gname, comment] of [
    ['mixtureLogPdf', 'log-pdf', 'log p_t(x) of the noisy mixture (log-sum-exp).'],
    ['mixtureScore', 'score', '∇log p_t(x) of the noisy mixture.'],
    ['mixturePosteriorMean', 'posterior-mean', 'E[x_0|x_t = x] (the MMSE denoiser; at α = 0 it is E[x_0], at σ = 0 it is x/α).'],
  ] as const) {
    for (const [mname, mix, unequal] of mixes) {
      const g = f.group(`${gname}-${mname}`, op, comment);
      for (const [lname, alpha, sigma] of levels) {
        if (op === 'mixturePosteriorMean' && sigma === 0 && mname !== 'mix2') continue;
        if (op !== 'mixturePosteriorMean' && alpha === 0 && mname !== 'mix2') continue;
        const flags: string[] = [];
        if (unequal && alpha > 0 && !(op === 'mixturePosteriorMean' && sigma === 0)) flags.push('MIXTURE_WEIGHTS');
        if (alpha > 0 && alpha < 1) flags.push('NOISY_MARGINAL');
        if (op === 'mixtureScore') flags.push('SCORE_SIGN');
        if (op === 'mixturePosteriorMean' && sigma > 0 && alpha > 0 && Math.abs(sigma - 1) > 0.05) flags.push('TWEEDIE_SCALE');
        g.valid(lname, { mixture: mix, alpha, sigma, x: between(g, mix, alpha, sigma) }, flags);
      }
    }
  }
  const inv = f.group('invalid-mixtures', 'mixtureScore', 'Inputs an implementation must reject.');
  const x2 = [0.3, -0.2];
  inv.invalid('weights-sum-0.9', { mixture: { ...MIX2, weights: [0.5, 0.3, 0.1] }, alpha: 1, sigma: 0.5, x: x2 }, 'mixture weights must sum to 1 (they sum to 0.9)');
  inv.invalid('weights-sum-1.1', { mixture: { ...MIX2, weights: [0.6, 0.3, 0.2] }, alpha: 1, sigma: 0.5, x: x2 }, 'mixture weights must sum to 1 (they sum to 1.1)');
  inv.invalid('weight-negative', { mixture: { ...MIX2, weights: [1.2, -0.4, 0.2] }, alpha: 1, sigma: 0.5, x: x2 }, 'a mixture weight is negative');
  inv.invalid('weight-zero', { mixture: { ...MIX2, weights: [0.7, 0.3, 0] }, alpha: 1, sigma: 0.5, x: x2 }, 'a mixture weight is 0 (components must have positive weight)');
  inv.invalid('variance-zero', { mixture: { ...MIX2, variances: [[0.3, 0.5], [0, 0.2], [0.6, 0.1]] }, alpha: 1, sigma: 0.5, x: x2 }, 'a component variance is 0 (covariance not positive definite)');
  inv.invalid('variance-negative', { mixture: { ...MIX2, variances: [[0.3, 0.5], [0.2, -0.2], [0.6, 0.1]] }, alpha: 1, sigma: 0.5, x: x2 }, 'a component variance is negative');
  const x3 = [0.1, 0.2, -0.3];
  inv.invalid('covariance-not-pd', {
    mixture: { ...MIX3, covariances: [MIX3.covariances![0], [[1, 2, 0], [2, 1, 0], [0, 0, 1]]] }, alpha: 1, sigma: 0.5, x: x3,
  }, 'covariance not positive definite (eigenvalues 3, -1, 1)');
  inv.invalid('covariance-not-symmetric', {
    mixture: { ...MIX3, covariances: [MIX3.covariances![0], [[0.3, -0.12, 0], [0.12, 0.6, 0.15], [0, 0.15, 0.2]]] }, alpha: 1, sigma: 0.5, x: x3,
  }, 'covariance not symmetric');
  inv.invalid('means-weights-mismatch', { mixture: { ...MIX2, means: [[1.5, -0.5], [-1, 1]] }, alpha: 1, sigma: 0.5, x: x2 }, '3 weights but 2 means');
  inv.invalid('x-shape-mismatch', { mixture: MIX2, alpha: 1, sigma: 0.5, x: [0.3, -0.2, 0.1] }, 'x has length 3, the mixture dimension 2');
  inv.invalid('x-nan', { mixture: MIX2, alpha: 1, sigma: 0.5, x: [0.3, 'NaN'] }, 'NaN in x');
  inv.invalid('sigma-negative', { mixture: MIX2, alpha: 1, sigma: -0.5, x: x2 }, 'σ must be ≥ 0');
  inv.invalid('alpha-negative', { mixture: MIX2, alpha: -0.5, sigma: 0.5, x: x2 }, 'α must be ≥ 0');
  inv.invalid('alpha-sigma-zero', { mixture: MIX2, alpha: 0, sigma: 0, x: x2 }, 'α = σ = 0: p_t is a point mass (no density, no score)');
  const invl = f.group('invalid-mixtures-log-pdf', 'mixtureLogPdf', 'Inputs an implementation must reject.');
  invl.invalid('weights-sum-0.9', { mixture: { ...MIX2, weights: [0.5, 0.3, 0.1] }, alpha: 1, sigma: 0.5, x: x2 }, 'mixture weights must sum to 1 (they sum to 0.9)');
  invl.invalid('covariance-not-pd', {
    mixture: { ...MIX3, covariances: [MIX3.covariances![0], [[1, 2, 0], [2, 1, 0], [0, 0, 1]]] }, alpha: 1, sigma: 0.5, x: x3,
  }, 'covariance not positive definite');
  const invp = f.group('invalid-mixtures-posterior-mean', 'mixturePosteriorMean', 'Inputs an implementation must reject.');
  invp.invalid('weights-sum-1.1', { mixture: { ...MIX2, weights: [0.6, 0.3, 0.2] }, alpha: 1, sigma: 0.5, x: x2 }, 'mixture weights must sum to 1 (they sum to 1.1)');
  invp.invalid('covariance-not-pd', {
    mixture: { ...MIX3, covariances: [[[0.5, 0.2, 0.1], [0.2, 0.4, -0.1], [0.1, -0.1, -0.3]], MIX3.covariances![1]] }, alpha: 1, sigma: 0.5, x: x3,
  }, 'covariance not positive definite (negative diagonal entry)');

  // Process coefficients.
  const DVP = discreteVp(impl);
  const pc = f.group('process-coefficients', 'processCoefficients', 'α(t), σ(t), λ(t) = log(α/σ), f(t), g²(t) of dx = f x dt + g dw (004 eqs. 96-105; Lu et al. 2022 eq. 2.3).');
  for (const t of [0.001, 0.3, 1]) pc.valid(`vp-t${t}`, { process: VP, t });
  for (const t of [0, 0.5, 1]) pc.valid(`ve-t${t}`, { process: VE, t });
  for (const t of [1, 7.5, 20]) pc.valid(`discrete-vp-t${t}`, { process: DVP, t }, [], t === 7.5 ? 'between integers: log ᾱ linear, f = ½Δlog ᾱ, g² = -Δlog ᾱ of the piece' : 'integer t: α = √ᾱ_t exactly');
  pc.valid('indi-t0.3', { process: INDI_NOISY, t: 0.3 });
  pc.valid('indi-denoise-t0.6', { process: { kind: 'indi', options: { noise: 0.5, signal: 1, extraNoise: 0 } }, t: 0.6 });
  pc.invalid('ve-sigma-min-above-max', { process: { kind: 've', options: { sigmaMin: 50, sigmaMax: 0.01 } }, t: 0.5 }, 'σ_min ≥ σ_max');
  pc.invalid('ve-sigma-min-equals-max', { process: { kind: 've', options: { sigmaMin: 1, sigmaMax: 1 } }, t: 0.5 }, 'σ_min ≥ σ_max');
  pc.invalid('vp-beta-max-below-min', { process: { kind: 'vp', options: { betaMin: 20, betaMax: 0.1 } }, t: 0.5 }, 'β_max < β_min');
  pc.invalid('vp-t-above-1', { process: VP, t: 1.5 }, 'time outside [0, 1]');
  pc.invalid('vp-t-negative', { process: VP, t: -0.1 }, 'time outside [0, 1]');
  pc.invalid('discrete-vp-t-above-T', { process: DVP, t: 21 }, 'time outside [0, T]');
  pc.invalid('discrete-vp-beta-zero', { process: { kind: 'discrete-vp', betas: [0.1, 0, 0.2] }, t: 1 }, 'β_2 = 0: invalid schedule');
  pc.invalid('indi-extra-noise-too-large', { process: { kind: 'indi', options: { noise: 1, signal: 0, extraNoise: 3 } }, t: 0.5 }, 'extra noise c > 2·noise: σ(t) not increasing');
  pc.invalid('unknown-kind', { process: { kind: 'sub-vp', options: {} }, t: 0.5 }, 'unknown process kind');

  // The oracle as a model: conversions for general α, σ.
  const mo = f.group('mixture-model-output', 'mixtureModelOutput', 'The exact model of mixture data at (x, t) of a process, in each output parameterization: ε̂ = (x - α x̂_0)/σ, v̂ = α ε̂ - σ x̂_0, score = (α x̂_0 - x)/σ².');
  const moCases: [string, ProcessSpec, number][] = [['vp', VP, 0.3], ['vp', VP, 0.7], ['ve', VE, 0.5], ['discrete-vp', DVP, 7.5], ['indi', INDI, 0.6]];
  for (const [pname, proc, t] of moCases) {
    const { alpha, sigma } = ab(proc, t);
    for (const output of ['eps', 'x0', 'v', 'score'] as const) {
      const flags = ['MIXTURE_WEIGHTS'];
      if (output === 'score' || output === 'eps') flags.push('SCORE_SIGN');
      if (alpha < 0.999 && alpha > 0.001) flags.push('NOISY_MARGINAL');
      if (output === 'x0' && Math.abs(sigma - 1) > 0.05) flags.push('TWEEDIE_SCALE');
      mo.valid(`${pname}-t${t}-${output}`, { mixture: MIX2, process: proc, output, t, x: between(mo, MIX2, alpha, sigma) }, flags);
    }
  }
  mo.invalid('unknown-output', { mixture: MIX2, process: VP, output: 'logp', t: 0.5, x: [0.1, 0.2] }, 'unknown output parameterization');
  mo.invalid('time-above-tmax', { mixture: MIX2, process: VE, output: 'eps', t: 2, x: [0.1, 0.2] }, 'time outside [0, 1]');
  mo.invalid('eps-at-sigma-zero', { mixture: MIX2, process: VP, output: 'eps', t: 0, x: [0.1, 0.2] }, 'ε̂ is undefined where σ(t) = 0 (VP at t = 0)');
  return f;
};

// ---------------------------------------------------------------------------------------------

export const scoreSteps: FamilyFn = (impl) => {
  const f = new FamilyBuilder(
    impl,
    'score-steps',
    [
      'Catalog E3-E6, E8: one step of a score-based sampler from timeGrid[0] to timeGrid[1] (Langevin: stepsPerLevel steps at each listed level), for a single sample x.',
      "sampler: langevin (x + τ s + √(2τ) z), annealed-langevin (τ_i = τσ_i²/σ_L²), euler-maruyama (x + [f x - g² s]Δt + g√|Δt| z), vp-reverse-sde ((x + β s)/√(1-β) + √β z, β = 1 - ᾱ(t_0)/ᾱ(t_1)),",
      've-reverse-sde (x + Δσ² s + √Δσ² z), predictor-corrector (reverse-diffusion predictor, then Langevin corrector at t_1 with ε = 2a(r‖z‖/‖s‖)²), ode-euler / ode-heun / ode-rk4 on dx/dt = f x - ½g² s, indi ((t_1/t_0)x + (1 - t_1/t_0)x̂_0 [+ t_1√(σ_e(t_1)² - σ_e(t_0)²) z]).',
      "model: {kind: 'given', output, value} = the model's output at the step's input (x, timeGrid[0]) (the only point the step may evaluate it at), or {kind: 'mixture', output, mixture} = the exact oracle of that Gaussian mixture on the process (steps that evaluate the model elsewhere).",
      'options.noise: the standard-normal draws in the order the step consumes them (predictor first, then each corrector step); other options as named (stepSize τ, stepsPerLevel, snr r, correctorSteps, denoiseLastStep, stochastic).',
    ],
    undefined,
    SCORE_TIME_CONVENTION,
  );
  const DVP = discreteVp(impl);
  const D = 2;
  const step = (g: GroupBuilder, name: string, sampler: string, proc: ProcessSpec, grid: number[], model: 'given' | 'mixture', output: ModelOutput, options: Record<string, unknown>, draws: number, flags: string[], comment?: string, mix: MixtureSpec = MIX2) => {
    const { alpha, sigma } = ab(proc, grid[0]);
    const x = between(g, mix, alpha, sigma);
    const m = model === 'given' ? given(mix, proc, output, x, grid[0]) : { kind: 'mixture', output, mixture: mix };
    const noise = draws > 0 ? Array.from({ length: draws }, () => g.normals((mix.means as number[][])[0].length)) : undefined;
    g.valid(name, { sampler, process: proc, model: m, x, timeGrid: grid, options: { ...options, ...(noise ? { noise } : {}) } }, flags, comment);
  };

  const lg = f.group('langevin', 'samplerStep', 'One unadjusted Langevin step x + τ∇log p(x) + √(2τ) z (004 eq. 68).');
  step(lg, 'seed-mixture-tau0.05', 'langevin', VP, [0], 'given', 'score', { stepSize: 0.05, stepsPerLevel: 1 }, 1, ['LANGEVIN_NOISE_SCALE', 'SCORE_SIGN'], '004 §3.1: the data mixture (t = 0, score model), τ = 0.05', SEED_LANGEVIN);
  step(lg, 'mix2-score-tau0.01', 'langevin', VP, [0], 'given', 'score', { stepSize: 0.01, stepsPerLevel: 1 }, 1, ['LANGEVIN_NOISE_SCALE', 'SCORE_SIGN']);
  step(lg, 'mix2-eps-vp-t0.4', 'langevin', VP, [0.4], 'given', 'eps', { stepSize: 0.02, stepsPerLevel: 1 }, 1, ['LANGEVIN_NOISE_SCALE', 'SCORE_SIGN'], 'an ε-model at t = 0.4: s = -ε̂/σ');
  step(lg, 'mix2-two-steps', 'langevin', VE, [0.3], 'mixture', 'score', { stepSize: 0.002, stepsPerLevel: 2 }, 2, ['LANGEVIN_NOISE_SCALE', 'SCORE_SIGN'], 'two steps at one level (the second evaluates the score at the new state)');
  const al = f.group('annealed-langevin', 'samplerStep', 'Annealed Langevin over two levels, one step each: τ_i = τ σ(t_i)²/σ(t_L)².');
  step(al, 've-0.6-0.5', 'annealed-langevin', VE, [0.6, 0.5], 'mixture', 'score', { stepSize: 0.001, stepsPerLevel: 1 }, 2, ['ANNEALED_STEP_SIZE', 'LANGEVIN_NOISE_SCALE']);
  step(al, 'vp-0.5-0.4-0.3', 'annealed-langevin', VP, [0.5, 0.4, 0.3], 'mixture', 'eps', { stepSize: 0.0005, stepsPerLevel: 1 }, 3, ['ANNEALED_STEP_SIZE', 'LANGEVIN_NOISE_SCALE', 'SCORE_SIGN'], 'three levels of an ε-model on VP: τ_i = τσ(t_i)²/σ(0.3)²');
  const em = f.group('euler-maruyama', 'samplerStep', 'One Euler-Maruyama step of the reverse SDE dx = [f x - g² s]dt + g dw̄ (004 eq. 97).');
  step(em, 'vp-eps-0.5-0.45', 'euler-maruyama', VP, [0.5, 0.45], 'given', 'eps', {}, 1, ['SCORE_SIGN']);
  step(em, 'vp-score-0.1-0.05', 'euler-maruyama', VP, [0.1, 0.05], 'given', 'score', {}, 1, ['SCORE_SIGN']);
  step(em, 've-score-0.5-0.45', 'euler-maruyama', VE, [0.5, 0.45], 'given', 'score', {}, 1, ['SCORE_SIGN']);
  step(em, 'discrete-vp-eps-10-9', 'euler-maruyama', DVP, [10, 9], 'given', 'eps', {}, 1, ['SCORE_SIGN']);
  step(em, 'vp-denoise-last-step', 'euler-maruyama', VP, [0.1, 0.05], 'given', 'eps', { denoiseLastStep: true, noise: [] }, 0, ['SCORE_SIGN'], 'denoiseLastStep: the (last) step adds no noise');
  const vp = f.group('vp-reverse-sde', 'samplerStep', 'One VP reverse-diffusion step (004 eq. 103, corrected: β_i on the score, not β_i/2).');
  step(vp, 'vp-score-0.5-0.45', 'vp-reverse-sde', VP, [0.5, 0.45], 'given', 'score', {}, 1, ['VP_SDE_DRIFT', 'SCORE_SIGN']);
  step(vp, 'vp-eps-0.2-0.1', 'vp-reverse-sde', VP, [0.2, 0.1], 'given', 'eps', {}, 1, ['VP_SDE_DRIFT', 'SCORE_SIGN']);
  step(vp, 'discrete-vp-eps-10-9', 'vp-reverse-sde', DVP, [10, 9], 'given', 'eps', {}, 1, ['VP_SDE_DRIFT', 'SCORE_SIGN'], '= a DDPM step with σ² = β_10');
  step(vp, 'discrete-vp-eps-15-10', 'vp-reverse-sde', DVP, [15, 10], 'given', 'eps', {}, 1, ['VP_SDE_DRIFT', 'SCORE_SIGN'], 'strided: β = 1 - ᾱ_15/ᾱ_10');
  const ve = f.group('ve-reverse-sde', 'samplerStep', 'One VE reverse-diffusion step (004 eq. 107): x + (σ_i² - σ_{i-1}²)s + √(σ_i² - σ_{i-1}²) z.');
  step(ve, 've-score-0.5-0.45', 've-reverse-sde', VE, [0.5, 0.45], 'given', 'score', {}, 1, ['VE_SDE_INCREMENT', 'SCORE_SIGN'], 'σ ≈ 0.71 → 0.46 (σ < 1)');
  step(ve, 've-score-0.9-0.8', 've-reverse-sde', VE, [0.9, 0.8], 'given', 'score', {}, 1, ['VE_SDE_INCREMENT', 'SCORE_SIGN'], 'σ ≈ 21.6 → 9.3 (σ > 1)');
  step(ve, 've-eps-0.7-0.6', 've-reverse-sde', VE, [0.7, 0.6], 'given', 'eps', {}, 1, ['VE_SDE_INCREMENT', 'SCORE_SIGN']);
  const pcg = f.group('predictor-corrector', 'samplerStep', 'One predictor-corrector step (004 Algorithm 1, corrected; Song et al. 2021 Algorithms 2-5): predictor noise first, then the corrector\'s.');
  step(pcg, 'vp-snr0.16-0.5-0.45', 'predictor-corrector', VP, [0.5, 0.45], 'mixture', 'eps', { snr: 0.16, correctorSteps: 1 }, 2, ['PC_SNR_STEP', 'SCORE_SIGN']);
  step(pcg, 've-snr0.16-0.5-0.45', 'predictor-corrector', VE, [0.5, 0.45], 'mixture', 'score', { snr: 0.16, correctorSteps: 1 }, 2, ['PC_SNR_STEP', 'SCORE_SIGN']);
  step(pcg, 'vp-snr0.3-0.3-0.25', 'predictor-corrector', VP, [0.3, 0.25], 'mixture', 'score', { snr: 0.3, correctorSteps: 1 }, 2, ['PC_SNR_STEP', 'SCORE_SIGN']);
  step(pcg, 've-fixed-step-0.5-0.45', 'predictor-corrector', VE, [0.5, 0.45], 'mixture', 'score', { stepSize: 0.001, correctorSteps: 1 }, 2, ['SCORE_SIGN'], 'fixed corrector step size ε = stepSize');
  step(pcg, 'vp-no-corrector', 'predictor-corrector', VP, [0.5, 0.45], 'given', 'score', { correctorSteps: 0 }, 1, ['SCORE_SIGN'], 'correctorSteps = 0: the predictor alone (= vp-reverse-sde)');
  const ode = f.group('pf-ode', 'samplerStep', 'One step of a PF-ODE solver on dx/dt = f x - ½g² s (004 §4.5): Euler, Heun (Karras et al. 2022 Alg. 1), classical RK4.');
  step(ode, 'euler-vp-eps-0.5-0.4', 'ode-euler', VP, [0.5, 0.4], 'given', 'eps', {}, 0, ['PF_ODE_DRIFT', 'SCORE_SIGN']);
  step(ode, 'euler-ve-score-0.5-0.4', 'ode-euler', VE, [0.5, 0.4], 'given', 'score', {}, 0, ['PF_ODE_DRIFT', 'SCORE_SIGN']);
  step(ode, 'heun-vp-0.5-0.4', 'ode-heun', VP, [0.5, 0.4], 'mixture', 'eps', {}, 0, ['HEUN_CORRECTION', 'PF_ODE_DRIFT']);
  step(ode, 'heun-ve-0.5-0.4', 'ode-heun', VE, [0.5, 0.4], 'mixture', 'score', {}, 0, ['HEUN_CORRECTION', 'PF_ODE_DRIFT']);
  step(ode, 'heun-discrete-vp-12-8', 'ode-heun', DVP, [12, 8], 'mixture', 'eps', {}, 0, ['HEUN_CORRECTION', 'PF_ODE_DRIFT']);
  step(ode, 'heun-vp-encode-0.3-0.4', 'ode-heun', VP, [0.3, 0.4], 'mixture', 'eps', {}, 0, ['HEUN_CORRECTION', 'PF_ODE_DRIFT'], 'an increasing grid encodes (forward in time)');
  step(ode, 'rk4-vp-0.5-0.3', 'ode-rk4', VP, [0.5, 0.3], 'mixture', 'eps', {}, 0, ['RK4_WEIGHTS', 'PF_ODE_DRIFT']);
  step(ode, 'rk4-ve-0.6-0.4', 'ode-rk4', VE, [0.6, 0.4], 'mixture', 'score', {}, 0, ['RK4_WEIGHTS', 'PF_ODE_DRIFT']);
  step(ode, 'rk4-vp-x0-model-0.4-0.2', 'ode-rk4', VP, [0.4, 0.2], 'mixture', 'x0', {}, 0, ['RK4_WEIGHTS', 'PF_ODE_DRIFT'], 'an x̂_0-model: s = (α x̂_0 - x)/σ²');
  const ind = f.group('indi', 'samplerStep', 'One InDI step (004 eqs. 64, 66; Delbracio & Milanfar 2023) with an x̂_0 (or score) model.');
  step(ind, 'deterministic-0.5-0.4', 'indi', INDI, [0.5, 0.4], 'given', 'x0', {}, 0, []);
  step(ind, 'stochastic-0.5-0.4', 'indi', INDI_NOISY, [0.5, 0.4], 'given', 'x0', { stochastic: true }, 1, ['INDI_EXTRA_NOISE'], 'σ_e(t) = 0.5(1-t): extra noise 0.4·√(0.3² - 0.25²) z');
  step(ind, 'stochastic-0.2-0.1', 'indi', INDI_NOISY, [0.2, 0.1], 'given', 'x0', { stochastic: true }, 1, ['INDI_EXTRA_NOISE']);
  step(ind, 'score-model-0.6-0.5', 'indi', INDI, [0.6, 0.5], 'given', 'score', {}, 0, ['TWEEDIE_SCALE'], 'x̂_0 from the score by Tweedie: (x + σ² s)/α, σ = 0.6');

  const inv = f.group('invalid-steps', 'samplerStep', 'Inputs an implementation must reject.');
  const x = [0.3, -0.2];
  const z = [[0.5, -1.1], [0.2, 0.7]];
  const mixModel = { kind: 'mixture', output: 'eps', mixture: MIX2 };
  const base = (sampler: string, proc: ProcessSpec, grid: unknown[], options: Record<string, unknown> = {}, model: unknown = mixModel) => ({ sampler, process: proc, model, x, timeGrid: grid, options });
  inv.invalid('non-monotone-grid', base('ode-heun', VP, [0.5, 0.3, 0.4]), 'non-monotone time grid');
  inv.invalid('repeated-time', base('ode-euler', VP, [0.5, 0.5]), 'time grid not strictly monotone (zero-length step)');
  inv.invalid('increasing-grid-sde', base('euler-maruyama', VP, [0.4, 0.5], { noise: z }), 'a reverse-SDE sampler needs a decreasing grid');
  inv.invalid('zero-steps-ode', base('ode-euler', VP, [0.5]), 'a one-time grid has zero steps');
  inv.invalid('zero-steps-sde', base('vp-reverse-sde', VP, [0.5], { noise: z }), 'a one-time grid has zero steps');
  inv.invalid('empty-grid', base('langevin', VP, [], { stepSize: 0.01, noise: z }), 'empty time grid');
  inv.invalid('langevin-zero-steps-per-level', base('langevin', VP, [0.5], { stepSize: 0.01, stepsPerLevel: 0, noise: z }), 'stepsPerLevel = 0: zero steps');
  inv.invalid('langevin-step-size-zero', base('langevin', VP, [0.5], { stepSize: 0, noise: z }), 'step size τ must be > 0');
  inv.invalid('langevin-step-size-negative', base('langevin', VP, [0.5], { stepSize: -0.01, noise: z }), 'step size τ must be > 0');
  inv.invalid('grid-above-tmax', base('ode-euler', VP, [1.5, 1]), 'time outside [0, 1]');
  inv.invalid('ve-sigma-min-above-max', base('ve-reverse-sde', { kind: 've', options: { sigmaMin: 50, sigmaMax: 0.01 } }, [0.5, 0.4], { noise: z }), 'σ_min ≥ σ_max');
  inv.invalid('vp-sde-on-ve', base('vp-reverse-sde', VE, [0.5, 0.4], { noise: z }), 'the VP reverse step needs a VP process');
  inv.invalid('unknown-sampler', base('euler-ancestral', VP, [0.5, 0.4], { noise: z }), 'unknown sampler name');
  inv.invalid('x-nan', { ...base('ode-euler', VP, [0.5, 0.4]), x: [0.3, 'NaN'] }, 'NaN in x');
  inv.invalid('pc-corrector-steps-negative', base('predictor-corrector', VP, [0.5, 0.4], { correctorSteps: -1, noise: z }), 'correctorSteps must be ≥ 0');
  inv.invalid('pc-snr-zero', base('predictor-corrector', VP, [0.5, 0.4], { snr: 0, noise: z }), 'snr must be > 0');
  inv.invalid('indi-deterministic-with-extra-noise', base('indi', INDI_NOISY, [0.5, 0.4], { stochastic: false }, { kind: 'mixture', output: 'x0', mixture: MIX2 }), 'a process with extra noise c > 0 needs the stochastic step');
  inv.invalid('indi-on-vp', base('indi', VP, [0.5, 0.4]), 'InDI needs an InDI process');
  void D;
  return f;
};

// ---------------------------------------------------------------------------------------------

export const dpmSolver: FamilyFn = (impl) => {
  const f = new FamilyBuilder(
    impl,
    'dpm-solver',
    [
      'Catalog E7: one DPM-Solver step s = timeGrid[0] → t = timeGrid[1] (Lu et al. 2022 eq. 3.7, Algorithms 1-2; 004 eqs. 111-113), h = λ(t) - λ(s), λ = log(α/σ):',
      'order 1: (α_t/α_s)x - σ_t(e^h - 1)ε̂_s (= DDIM η = 0); order 2 (r_1 = ½) and 3 (r_1 = ⅓, r_2 = ⅔): intermediate times s_i = t_λ(λ_s + r_i h) (uniform in λ).',
      'dpm-solver++2m: Lu et al. 2022b Algorithm 2 (data prediction, multistep; a two-step grid: the second step extrapolates x̂_0 with r = h_1/h_2).',
      "Models as in score-steps: 'given' at (x, s) for one-evaluation steps, the exact mixture oracle otherwise. Increasing grids encode.",
    ],
    undefined,
    SCORE_TIME_CONVENTION,
  );
  const DVP = discreteVp(impl);
  const step = (g: GroupBuilder, name: string, sampler: string, proc: ProcessSpec, grid: number[], model: 'given' | 'mixture', output: ModelOutput, flags: string[], comment?: string) => {
    const { alpha, sigma } = ab(proc, grid[0]);
    const x = between(g, MIX2, alpha, sigma);
    const m = model === 'given' ? given(MIX2, proc, output, x, grid[0]) : { kind: 'mixture', output, mixture: MIX2 };
    g.valid(name, { sampler, process: proc, model: m, x, timeGrid: grid, options: {} }, flags, comment);
  };
  const g1 = f.group('dpm-solver-1', 'samplerStep', 'DPM-Solver-1: one model evaluation at (x, s).');
  step(g1, 'vp-eps-0.5-0.3', 'dpm-solver-1', VP, [0.5, 0.3], 'given', 'eps', ['DPM_LAMBDA_DIRECTION']);
  step(g1, 'vp-score-0.9-0.6', 'dpm-solver-1', VP, [0.9, 0.6], 'given', 'score', ['DPM_LAMBDA_DIRECTION', 'SCORE_SIGN']);
  step(g1, 've-eps-0.6-0.4', 'dpm-solver-1', VE, [0.6, 0.4], 'given', 'eps', ['DPM_LAMBDA_DIRECTION']);
  step(g1, 'discrete-vp-eps-15-10', 'dpm-solver-1', DVP, [15, 10], 'given', 'eps', ['DPM_LAMBDA_DIRECTION'], 'integer times of a discrete schedule: equals ddimStep(t = 15 → 10, η = 0)');
  step(g1, 'vp-encode-0.3-0.5', 'dpm-solver-1', VP, [0.3, 0.5], 'given', 'eps', ['DPM_LAMBDA_DIRECTION'], 'increasing grid: h < 0 (encoding)');
  const g2 = f.group('dpm-solver-2', 'samplerStep', 'Singlestep DPM-Solver-2 (r_1 = ½) with the exact mixture model.');
  step(g2, 'vp-0.6-0.4', 'dpm-solver-2', VP, [0.6, 0.4], 'mixture', 'eps', ['DPM_LAMBDA_DIRECTION', 'DPM_INTERMEDIATE_TIME']);
  step(g2, 'vp-0.9-0.5', 'dpm-solver-2', VP, [0.9, 0.5], 'mixture', 'eps', ['DPM_LAMBDA_DIRECTION', 'DPM_INTERMEDIATE_TIME']);
  step(g2, 've-0.7-0.4', 'dpm-solver-2', VE, [0.7, 0.4], 'mixture', 'score', ['DPM_LAMBDA_DIRECTION'], 'on VE, λ = -log σ(t) is linear in t: λ-uniform and t-uniform intermediate times coincide');
  step(g2, 'discrete-vp-16-8', 'dpm-solver-2', DVP, [16, 8], 'mixture', 'eps', ['DPM_LAMBDA_DIRECTION', 'DPM_INTERMEDIATE_TIME']);
  step(g2, 'vp-x0-model-0.5-0.2', 'dpm-solver-2', VP, [0.5, 0.2], 'mixture', 'x0', ['DPM_LAMBDA_DIRECTION', 'DPM_INTERMEDIATE_TIME']);
  const g3 = f.group('dpm-solver-3', 'samplerStep', 'Singlestep DPM-Solver-3 (r_1 = ⅓, r_2 = ⅔) with the exact mixture model.');
  step(g3, 'vp-0.6-0.3', 'dpm-solver-3', VP, [0.6, 0.3], 'mixture', 'eps', ['DPM_SOLVER3_COEF', 'DPM_INTERMEDIATE_TIME', 'DPM_LAMBDA_DIRECTION']);
  step(g3, 've-0.7-0.3', 'dpm-solver-3', VE, [0.7, 0.3], 'mixture', 'score', ['DPM_SOLVER3_COEF', 'DPM_LAMBDA_DIRECTION'], 'on VE, λ is linear in t (intermediate times the same either way)');
  step(g3, 'discrete-vp-18-6', 'dpm-solver-3', DVP, [18, 6], 'mixture', 'eps', ['DPM_SOLVER3_COEF', 'DPM_INTERMEDIATE_TIME', 'DPM_LAMBDA_DIRECTION']);
  const gp = f.group('dpm-solver-pp-2m', 'samplerStep', 'DPM-Solver++(2M): the first step (x̂_0 at (x, s)) and a two-step grid (the multistep extrapolation).');
  step(gp, 'vp-first-step-x0-0.6-0.4', 'dpm-solver++2m', VP, [0.6, 0.4], 'given', 'x0', [], 'first step: (σ_t/σ_s)x - α_t(e^{-h} - 1)x̂_0');
  step(gp, 'vp-score-model-0.6-0.4', 'dpm-solver++2m', VP, [0.6, 0.4], 'given', 'score', ['TWEEDIE_SCALE'], 'x̂_0 from the score by Tweedie');
  step(gp, 'vp-two-steps-0.7-0.5-0.3', 'dpm-solver++2m', VP, [0.7, 0.5, 0.3], 'mixture', 'x0', []);
  const inv = f.group('invalid-steps', 'samplerStep', 'Inputs an implementation must reject.');
  const x = [0.3, -0.2];
  const mm = { kind: 'mixture', output: 'eps', mixture: MIX2 };
  inv.invalid('non-monotone-grid', { sampler: 'dpm-solver-2', process: VP, model: mm, x, timeGrid: [0.6, 0.3, 0.4], options: {} }, 'non-monotone time grid');
  inv.invalid('zero-steps', { sampler: 'dpm-solver-1', process: VP, model: mm, x, timeGrid: [0.6], options: {} }, 'a one-time grid has zero steps');
  inv.invalid('lambda-infinite-at-t0', { sampler: 'dpm-solver-1', process: VP, model: { kind: 'mixture', output: 'score', mixture: MIX2 }, x, timeGrid: [0.5, 0], options: {} }, 'λ(0) = +∞ on a VP process (σ(0) = 0): DPM-Solver needs σ > 0');
  inv.invalid('unknown-sampler', { sampler: 'dpm-solver-4', process: VP, model: mm, x, timeGrid: [0.6, 0.4], options: {} }, 'unknown sampler name');
  return f;
};

// ---------------------------------------------------------------------------------------------

export const guidance: FamilyFn = (impl) => {
  const f = new FamilyBuilder(
    impl,
    'guidance',
    [
      'Catalog E9 (002 §4; Dhariwal & Nichol 2021 eq. 14; Ho & Salimans 2022 eq. 6): the guided ε̃ at (x, t).',
      'classifierGuidedEps: ε̃ = ε̂(x) - w σ_t ∇log p(y|x) (w ≥ 0); classifierFreeGuidedEps: ε̃ = (1 + w) ε̂(x, y) - w ε̂(x, ∅) (w ≥ -1; w = 0 is the conditional model).',
      "Models are given as their outputs at (x, t) ({kind: 'given', output, value}; an x̂_0-model's output converts to ε̂ = (x - α x̂_0)/σ), the classifier gradient as its value at (x, t).",
      'The result is compared as ε (a wrapper returning another parameterization is converted with the process\'s α, σ).',
    ],
    undefined,
    SCORE_TIME_CONVENTION,
  );
  const mixY = { ...MIX2, labels: [0, 1, 1] };
  const cg = f.group('classifier-guidance', 'classifierGuidedEps', 'ε̂ - w σ_t ∇log p_t(y|x) with the Bayes classifier gradient of a labelled mixture (label y = 1).');
  const cgCase = (name: string, proc: ProcessSpec, t: number, w: number, output: ModelOutput, flags: string[], comment?: string) => {
    const { alpha, sigma } = ab(proc, t);
    const x = between(cg, MIX2, alpha, sigma, 0.3);
    const grad = Array.from(R.mixtureClassifierGrad(R.makeMixture(mixY), 1, alpha, sigma, Float64Array.from(x)) as Float64Array);
    cg.valid(name, { process: proc, model: given(MIX2, proc, output, x, t), classifierGrad: grad, w, x, t }, flags, comment);
  };
  cgCase('vp-t0.1-w1', VP, 0.1, 1, 'eps', ['GUIDANCE_ON_X0', 'GUIDANCE_SIGMA_SCALE'], 'σ ≈ 0.32: w = 1 with the Bayes classifier gives the class-conditional ε');
  cgCase('vp-t0.5-w3', VP, 0.5, 3, 'eps', ['GUIDANCE_ON_X0'], 'σ ≈ 0.996');
  cgCase('ve-t0.5-w2', VE, 0.5, 2, 'eps', ['GUIDANCE_ON_X0', 'GUIDANCE_SIGMA_SCALE'], 'σ ≈ 0.71');
  cgCase('vp-t0.2-w1.5-x0-model', VP, 0.2, 1.5, 'x0', ['GUIDANCE_ON_X0', 'GUIDANCE_SIGMA_SCALE'], 'the wrapped model predicts x̂_0');
  cgCase('vp-t0.3-w0', VP, 0.3, 0, 'eps', [], 'w = 0: the unguided ε̂');
  const cfg = f.group('classifier-free-guidance', 'classifierFreeGuidedEps', '(1 + w) ε̂(x, y) - w ε̂(x, ∅), conditional model = the class-1 components, unconditional = the whole mixture.');
  const cond = { weights: [0.6, 0.4], means: [MIX2.means[1], MIX2.means[2]], variances: [MIX2.variances![1], MIX2.variances![2]] } as MixtureSpec;
  const cfgCase = (name: string, proc: ProcessSpec, t: number, w: number, output: ModelOutput, flags: string[], comment?: string) => {
    const { alpha, sigma } = ab(proc, t);
    const x = between(cfg, MIX2, alpha, sigma, 0.3);
    cfg.valid(name, { process: proc, condModel: given(cond, proc, output, x, t), uncondModel: given(MIX2, proc, output, x, t), w, x, t }, flags, comment);
  };
  cfgCase('vp-t0.3-w3', VP, 0.3, 3, 'eps', ['CFG_SCALE_CONVENTION']);
  cfgCase('vp-t0.6-w0.5', VP, 0.6, 0.5, 'eps', ['CFG_SCALE_CONVENTION']);
  cfgCase('vp-t0.3-w0', VP, 0.3, 0, 'eps', ['CFG_SCALE_CONVENTION'], 'w = 0: the conditional model');
  cfgCase('vp-t0.3-w-1', VP, 0.3, -1, 'eps', ['CFG_SCALE_CONVENTION'], 'w = -1: the unconditional model');
  cfgCase('ve-t0.5-w2', VE, 0.5, 2, 'eps', ['CFG_SCALE_CONVENTION']);
  cfgCase('vp-t0.4-w2-x0-models', VP, 0.4, 2, 'x0', ['CFG_SCALE_CONVENTION'], 'x̂_0-models: CFG in x̂_0 space equals CFG in ε space (affine, weights sum to 1)');
  const x = [0.3, -0.2];
  const gm = { kind: 'given', output: 'eps', value: [0.1, 0.2] };
  cg.invalid('w-negative', { process: VP, model: gm, classifierGrad: [0.5, -0.5], w: -0.5, x, t: 0.3 }, 'negative classifier guidance scale');
  cg.invalid('w-nan', { process: VP, model: gm, classifierGrad: [0.5, -0.5], w: 'NaN', x, t: 0.3 }, 'NaN guidance scale');
  cfg.invalid('w-below-minus-1', { process: VP, condModel: gm, uncondModel: gm, w: -2, x, t: 0.3 }, 'classifier-free guidance scale w < -1 (negative weight on the conditional model)');
  cfg.invalid('w-infinite', { process: VP, condModel: gm, uncondModel: gm, w: 'Infinity', x, t: 0.3 }, 'infinite guidance scale');
  return f;
};

// ---------------------------------------------------------------------------------------------

export const scoreMatching: FamilyFn = (impl) => {
  const f = new FamilyBuilder(
    impl,
    'score-matching',
    [
      'Catalog F5 (004 §3.3 eqs. 80-87; Vincent 2011): score-matching losses of a score model s_θ(x) = matrix·x + shift (given as data).',
      'explicitScoreMatchingLoss: (1/n) Σ_i ½‖s_θ(x_i) - ∇log q(x_i)‖², q = the Gaussian KDE (1/M) Σ_m N(x_m, h²I) of `data`, x_i = `samples`;',
      'denoisingScoreMatchingLoss: (1/n) Σ_i ½‖s_θ(x\'_i + σ z_i) + z_i/σ‖², x\'_i = `clean`, z_i = `noise`.',
    ],
    undefined,
    'No time index: plain batches of vectors (arrays of equal-length arrays).',
  );
  const d = 2;
  const score = (g: GroupBuilder) => ({ kind: 'affine', matrix: [g.uniforms(d, -1.2, -0.3), g.uniforms(d, -0.3, 0.3)].map((r, i) => (i === 1 ? [r[0], -0.8] : r)), shift: g.uniforms(d, -0.3, 0.3) });
  const batch = (g: GroupBuilder, n: number, scale = 1) => Array.from({ length: n }, () => g.normals(d).map((v) => scale * v));
  const esm = f.group('explicit', 'explicitScoreMatchingLoss', 'Ĵ_ESM against the Gaussian KDE score.');
  for (const h of [0.3, 1]) esm.valid(`h${h}`, { score: score(esm), data: batch(esm, 6), h, samples: batch(esm, 5, 1.2) }, ['SCORE_MATCHING_HALF']);
  esm.invalid('h-zero', { score: score(esm), data: batch(esm, 3), h: 0, samples: batch(esm, 2) }, 'the KDE bandwidth must be > 0');
  esm.invalid('shape-mismatch', { score: score(esm), data: [[0.1, 0.2, 0.3]], h: 0.5, samples: batch(esm, 2) }, 'data and samples have different dimensions');
  const dsm = f.group('denoising', 'denoisingScoreMatchingLoss', 'Ĵ_DSM with the noise given.');
  for (const sigma of [0.1, 0.5, 2]) dsm.valid(`sigma${sigma}`, { score: score(dsm), clean: batch(dsm, 5), sigma, noise: batch(dsm, 5) }, ['SCORE_MATCHING_HALF', 'DSM_TARGET']);
  dsm.invalid('sigma-negative', { score: score(dsm), clean: batch(dsm, 2), sigma: -0.5, noise: batch(dsm, 2) }, 'σ must be > 0');
  dsm.invalid('batch-mismatch', { score: score(dsm), clean: batch(dsm, 3), sigma: 0.5, noise: batch(dsm, 2) }, 'clean and noise batches differ in size');
  dsm.invalid('noise-nan', { score: score(dsm), clean: [[0.1, 0.2]], sigma: 0.5, noise: [[0.3, 'NaN']] }, 'NaN in the noise');
  return f;
};

/** File name → score family, in the order files are written (after the core families). */
export const SCORE_FAMILIES: [string, FamilyFn][] = [
  ['score-mixture.json', scoreMixture],
  ['score-steps.json', scoreSteps],
  ['dpm-solver.json', dpmSolver],
  ['guidance.json', guidance],
  ['score-matching.json', scoreMatching],
  ['multistep.json', multistep],
];
