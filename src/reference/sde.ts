/**
 * Reverse-time SDE samplers (catalog E4, E5; 004 §4.2-4.5).
 *
 * Reverse SDE (Anderson 1982; 004 eq. 97): dx = [f(t)x - g(t)² ∇log p_t(x)] dt + g(t) dw̄.
 * Every sampler runs over a strictly decreasing time grid t_0 > t_1 > … > t_N and adds noise on
 * every step (so the output approximates p_{t_N}, the exact marginal at the last grid time);
 * `denoiseLastStep: true` drops the noise of the final step (Song et al.'s "noise removal").
 */
import { DiffusionInputError, checkFiniteNumber } from './errors.js';
import type { Rng } from './rng.js';
import { checkBatch, checkModel, checkTimeGrid, modelScore, requireRng, type Rows, type DiffusionModel } from './model.js';
import { requireProcessKind, type Process } from './processes.js';
import { readOption, type OptionSpec, type OptionsOf, type SamplerBaseOptions, type StepInfo } from './sampling.js';

/** Option of the reverse-SDE samplers (euler-maruyama, vp-reverse-sde, ve-reverse-sde). */
export const DENOISE_LAST_STEP = {
  name: 'denoiseLastStep',
  type: 'boolean',
  default: false,
  doc: 'add no noise on the last step (default: every step is noisy, so the output follows p_{t_N})',
} as const satisfies OptionSpec;
export const REVERSE_SDE_OPTIONS = [DENOISE_LAST_STEP] as const satisfies readonly OptionSpec[];
export type ReverseSdeOptions = SamplerBaseOptions & OptionsOf<typeof REVERSE_SDE_OPTIONS>;

/** Options of `predictor-corrector`. */
export const PREDICTOR_CORRECTOR_OPTIONS = [
  { name: 'correctorSteps', type: 'integer', min: 0, default: 1, doc: 'corrector steps per level (M of 004 Algorithm 1)' },
  { name: 'snr', type: 'number', min: 0, minExclusive: true, default: 0.16, doc: "signal-to-noise ratio r of the corrector step size (Song et al. 2021 Alg. 4-5; 0.16 = their CIFAR-10 VE value)" },
  { name: 'stepSize', type: 'number', min: 0, minExclusive: true, doc: 'fixed corrector step size ε (replaces the snr rule when given)' },
] as const satisfies readonly OptionSpec[];
export type PredictorCorrectorOptions = SamplerBaseOptions & OptionsOf<typeof PREDICTOR_CORRECTOR_OPTIONS>;

/** The reverse-SDE samplers' `denoiseLastStep` (validated; shared by both tiers). */
export function denoiseLastStepOf(options: OptionsOf<typeof REVERSE_SDE_OPTIONS>, sampler: string): boolean {
  return readOption(DENOISE_LAST_STEP, options.denoiseLastStep, sampler);
}

/** The corrector's M, snr and fixed step size from the options (shared by both tiers). */
export function predictorCorrectorParams(options: OptionsOf<typeof PREDICTOR_CORRECTOR_OPTIONS>, sampler: string): { M: number; snr: number; fixed: number | undefined } {
  const [m, r, f] = PREDICTOR_CORRECTOR_OPTIONS;
  return { M: readOption(m, options.correctorSteps, sampler), snr: readOption(r, options.snr, sampler), fixed: readOption(f, options.stepSize, sampler) };
}

/** The processes each reverse-SDE sampler needs (shared by both tiers and the descriptors). */
export const SDE_PROCESSES = {
  vpReverse: ['vp', 'discrete-vp'],
  veReverse: ['ve'],
  predictorCorrector: ['vp', 'discrete-vp', 've'],
} as const;

/**
 * One Euler-Maruyama step of a general SDE dx = b(x,t) dt + g(t) dw over [t, t+dt] (dt may be
 * negative for reverse time): x + b(x,t)·dt + g(t)·√|dt|·z (Kloeden & Platen; 004 §4.2).
 */
export function eulerMaruyamaStep(x: Rows, drift: Rows, diffusion: number, dt: number, z: Rows | null): Rows {
  const sq = Math.sqrt(Math.abs(dt)) * diffusion;
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const b = drift[r];
    for (let i = 0; i < row.length; i++) o[i] = row[i] + b[i] * dt + (z ? sq * z[r][i] : 0);
    return o;
  });
}

/**
 * Euler-Maruyama integration of a general SDE dx = b(x,t) dt + g(t) dw along any strictly
 * monotone grid (increasing: forward time; decreasing: reverse time with dw̄).
 */
export function integrateEulerMaruyama(
  drift: (x: Rows, t: number) => Rows,
  diffusion: (t: number) => number,
  x: Rows,
  grid: ArrayLike<number>,
  options: { rng: Rng; callback?: (info: StepInfo) => void; denoiseLastStep?: boolean },
): Float64Array[] {
  if (typeof drift !== 'function') throw new DiffusionInputError('drift', drift, 'must be a function (x, t) → batch');
  if (typeof diffusion !== 'function') throw new DiffusionInputError('diffusion', diffusion, 'must be a function t → g(t)');
  let cur = checkBatch(x);
  const g = Array.from(grid as ArrayLike<number>);
  if (g.length < 2) throw new DiffusionInputError('timeGrid', grid, 'needs at least 2 times (one step)');
  for (let i = 1; i < g.length; i++) {
    if (!Number.isFinite(g[i]) || Math.sign(g[i] - g[i - 1]) !== Math.sign(g[1] - g[0]) || g[i] === g[i - 1]) {
      throw new DiffusionInputError(`timeGrid[${i}]`, g[i], 'non-monotone time grid');
    }
  }
  const rng = requireRng(options, 'integrateEulerMaruyama');
  for (let i = 0; i + 1 < g.length; i++) {
    const t = g[i];
    const dt = g[i + 1] - t;
    const last = i + 2 === g.length;
    const gt = checkFiniteNumber('diffusion(t)', diffusion(t));
    const z = last && options.denoiseLastStep ? null : cur.map((row) => rng.normals(row.length));
    cur = eulerMaruyamaStep(cur, drift(cur, t), gt, dt, z);
    options.callback?.({ i, t, tNext: g[i + 1], x: cur });
  }
  return cur;
}

/** Reverse-SDE drift f(t)x - g(t)² ∇log p_t(x) (004 eq. 97). */
export function reverseSdeDrift(model: DiffusionModel, x: Rows, t: number): Rows {
  const f = model.process.f(t);
  const g2 = model.process.g2(t);
  const s = modelScore(model, x, t);
  return x.map((row, r) => row.map((v, i) => f * v - g2 * s[r][i]));
}

/**
 * Euler-Maruyama on the reverse SDE of the model's process (E4; Song et al. 2021's
 * EulerMaruyamaPredictor): x ← x + [f x - g² s](t_{i+1} - t_i) + g √(t_i - t_{i+1}) z.
 */
export function sampleEulerMaruyama(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: ReverseSdeOptions = {}): Float64Array[] {
  checkModel(model);
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  return integrateEulerMaruyama(
    (xx, t) => reverseSdeDrift(model, xx, t),
    (t) => Math.sqrt(model.process.g2(t)),
    checkBatch(x),
    grid,
    { rng: requireRng(options, 'sampleEulerMaruyama'), callback: options.callback, denoiseLastStep: denoiseLastStepOf(options, 'sampleEulerMaruyama') },
  );
}

/** The discrete β of the VP forward step from t_next to t (t_next < t): 1 - ᾱ(t)/ᾱ(t_next). */
export function vpStepBeta(model: { process: Process }, t: number, tNext: number): number {
  const r = model.process.alpha(t) / model.process.alpha(tNext);
  return -Math.expm1(2 * Math.log(r));
}

/**
 * One reverse step of the VP SDE, 004 eq. (103) — corrected: x_{i-1} = (x_i + β_i s(x_i, i))/√(1-β_i)
 * + √β_i z. The seed prints β_i/2 inside the bracket; its own derivation (the line before, with
 * (1+β_i/2)(x_i + β_i s)) and Song et al. 2021 eq. (47) / Ho et al.'s μ̃ = (x - β/√(1-ᾱ) ε)/√α
 * give β_i. `z = null`: no noise.
 */
export function vpReverseStep(x: Rows, score: Rows, beta: number, z: Rows | null): Rows {
  const c = 1 / Math.sqrt(1 - beta);
  const sb = Math.sqrt(beta);
  return x.map((row, r) => row.map((v, i) => c * (v + beta * score[r][i]) + (z ? sb * z[r][i] : 0)));
}

/**
 * One reverse step of the VE SDE, 004 eq. (107): x_{i-1} = x_i + (σ_i² - σ_{i-1}²) s(x_i, σ_i)
 * + √(σ_i² - σ_{i-1}²) z.
 */
export function veReverseStep(x: Rows, score: Rows, sigma: number, sigmaNext: number, z: Rows | null): Rows {
  const dv = sigma * sigma - sigmaNext * sigmaNext;
  const sd = Math.sqrt(dv);
  return x.map((row, r) => row.map((v, i) => v + dv * score[r][i] + (z ? sd * z[r][i] : 0)));
}

function norm2(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/**
 * VP reverse-diffusion sampler (004 eq. 103, corrected; = DDPM ancestral sampling with σ_t² = β_t
 * on the grid's own β_i = 1 - ᾱ(t_i)/ᾱ(t_{i+1})). Needs a VP process (vp or discrete-vp).
 */
export function sampleVpReverseSde(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: ReverseSdeOptions = {}): Float64Array[] {
  checkModel(model);
  requireProcessKind(model.process, SDE_PROCESSES.vpReverse, 'sampleVpReverseSde');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  const rng = requireRng(options, 'sampleVpReverseSde');
  const denoiseLast = denoiseLastStepOf(options, 'sampleVpReverseSde');
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i];
    const beta = vpStepBeta(model, t, grid[i + 1]);
    const z = i + 2 === grid.length && denoiseLast ? null : cur.map((row) => rng.normals(row.length));
    cur = vpReverseStep(cur, modelScore(model, cur, t), beta, z);
    options.callback?.({ i, t, tNext: grid[i + 1], x: cur });
  }
  return cur;
}

/** VE reverse-diffusion sampler (004 eq. 107; SMLD's ReverseDiffusionPredictor). Needs a VE process. */
export function sampleVeReverseSde(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: ReverseSdeOptions = {}): Float64Array[] {
  checkModel(model);
  requireProcessKind(model.process, SDE_PROCESSES.veReverse, 'sampleVeReverseSde');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  const rng = requireRng(options, 'sampleVeReverseSde');
  const denoiseLast = denoiseLastStepOf(options, 'sampleVeReverseSde');
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i];
    const z = i + 2 === grid.length && denoiseLast ? null : cur.map((row) => rng.normals(row.length));
    cur = veReverseStep(cur, modelScore(model, cur, t), model.process.sigma(t), model.process.sigma(grid[i + 1]), z);
    options.callback?.({ i, t, tNext: grid[i + 1], x: cur });
  }
  return cur;
}

/**
 * Langevin corrector step size from a target signal-to-noise ratio r (Song et al. 2021,
 * Algorithms 4-5): ε = 2·a·(r‖z‖/‖s‖)², with a = α_i = 1-β_i for VP and a = 1 for VE. Norms are
 * per-sample norms averaged over the batch, as in Song et al.'s code.
 */
export function correctorStepSize(snr: number, noiseNorm: number, scoreNorm: number, a = 1): number {
  const q = (snr * noiseNorm) / scoreNorm;
  return 2 * a * q * q;
}

/**
 * Predictor-corrector sampler (E5; 004 §4.5 Algorithm 1; Song et al. 2021 Algorithms 2-3).
 * Predictor: the reverse-diffusion step of the process (VP eq. 103 or VE eq. 107) from t_i to
 * t_{i+1}; corrector: M Langevin steps x ← x + ε s(x, t_{i+1}) + √(2ε) z at the new level
 * (004 eq. 110). Seed 004's Algorithm 1 applies the corrector to x_i with s(x_i, i); the corrector
 * must act on the predicted state at its own level, as in Song et al. The step size ε comes from
 * `snr` (default 0.16, Song et al.'s CIFAR-10 VE value), or is fixed by `stepSize`.
 */
export function samplePredictorCorrector(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: PredictorCorrectorOptions = {}): Float64Array[] {
  checkModel(model);
  requireProcessKind(model.process, SDE_PROCESSES.predictorCorrector, 'samplePredictorCorrector');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  const rng = requireRng(options, 'samplePredictorCorrector');
  const { M, snr, fixed } = predictorCorrectorParams(options, 'samplePredictorCorrector');
  const ve = model.process.kind === 've';
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i];
    const tn = grid[i + 1];
    const s = modelScore(model, cur, t);
    const z = cur.map((row) => rng.normals(row.length));
    const beta = ve ? 0 : vpStepBeta(model, t, tn);
    cur = ve ? veReverseStep(cur, s, model.process.sigma(t), model.process.sigma(tn), z) : vpReverseStep(cur, s, beta, z);
    for (let m = 0; m < M; m++) {
      const sc = modelScore(model, cur, tn);
      const zc = cur.map((row) => rng.normals(row.length));
      let eps: number;
      if (fixed !== undefined) eps = fixed;
      else {
        // Song et al.'s rule with norms averaged over the batch (per-sample norms are unstable in
        // low dimension: ‖s‖ → 0 at a mode would give an unbounded step).
        let nz = 0;
        let ns = 0;
        for (let r = 0; r < cur.length; r++) {
          nz += norm2(zc[r]);
          ns += norm2(sc[r]);
        }
        eps = ns > 0 ? correctorStepSize(snr, nz / cur.length, ns / cur.length, ve ? 1 : 1 - beta) : 0;
      }
      const sq = Math.sqrt(2 * eps);
      cur = cur.map((row, r) => row.map((v, k) => v + eps * sc[r][k] + sq * zc[r][k]));
    }
    options.callback?.({ i, t, tNext: tn, x: cur });
  }
  return cur;
}
