/**
 * Langevin samplers (catalog E3; 004 §3.1 eq. 68, §3.3 eq. 88; Song & Ermon 2019 Algorithm 1).
 *
 * Unadjusted Langevin: x ← x + τ ∇log p(x) + √(2τ) z. Its stationary law differs from p by O(τ)
 * (for a Gaussian N(μ, s²) it is N(μ, s²/(1 - τ/(2s²))) exactly), and it only mixes between
 * modes as fast as the barrier allows: in 004 §3.1's example (τ = 0.05, component s = 0.2) the
 * narrow mode's variance comes out 2.7× too large and the mode weights keep those of the start.
 * Annealed Langevin runs it over decreasing noise levels with τ_i ∝ σ_i².
 */
import { DiffusionInputError } from './errors.js';
import { checkBatch, checkModel, modelScore, requireRng, type Rows, type DiffusionModel } from './model.js';
import type { Process } from './processes.js';
import { readOption, type OptionSpec, type OptionsOf, type SamplerBaseOptions } from './sampling.js';

/** Options of `langevin` and `annealed-langevin` (the registry's descriptors point here). */
export const LANGEVIN_OPTIONS = [
  { name: 'stepSize', type: 'number', required: true, min: 0, minExclusive: true, doc: 'step size τ (annealed: τ at the last grid level)' },
  { name: 'stepsPerLevel', type: 'integer', min: 1, default: 1, doc: 'Langevin steps per grid level' },
] as const satisfies readonly OptionSpec[];
export type LangevinOptions = SamplerBaseOptions & OptionsOf<typeof LANGEVIN_OPTIONS>;

/** One Langevin step, 004 eq. (68): x + τ s + √(2τ) z. */
export function langevinStep(x: Rows, score: Rows, tau: number, z: Rows): Rows {
  const sq = Math.sqrt(2 * tau);
  return x.map((row, r) => row.map((v, i) => v + tau * score[r][i] + sq * z[r][i]));
}

/**
 * Langevin grids may hold a single level (plain Langevin on one distribution); more must decrease.
 * Shared by both tiers.
 */
export function checkLangevinLevels(grid: unknown, model: { process: Process }): Float64Array {
  const g = grid as ArrayLike<number>;
  if (!g || typeof g.length !== 'number' || g.length < 1) throw new DiffusionInputError('timeGrid', grid, 'needs at least one time (noise level)');
  const out = Float64Array.from(g);
  out.forEach((t, i) => {
    if (!Number.isFinite(t) || t < 0 || t > model.process.tMax) throw new DiffusionInputError(`timeGrid[${i}]`, t, `time out of range [0, ${model.process.tMax}]`);
    if (i > 0 && !(t < out[i - 1])) throw new DiffusionInputError(`timeGrid[${i}]`, t, `non-monotone time grid: levels must strictly decrease (previous ${out[i - 1]})`);
  });
  return out;
}

/** τ and the steps per level from the options (shared by both tiers). */
export function langevinParams(options: OptionsOf<typeof LANGEVIN_OPTIONS>, name: string): { tau: number; M: number } {
  const [stepSize, stepsPerLevel] = LANGEVIN_OPTIONS;
  return { tau: readOption(stepSize, options.stepSize, name), M: readOption(stepsPerLevel, options.stepsPerLevel, name) };
}

/** σ at the last level, which annealed Langevin divides by (> 0; shared by both tiers). */
export function annealedLastSigma(levels: Float64Array, process: Process): number {
  const sL = process.sigma(levels[levels.length - 1]);
  if (!(sL > 0)) throw new DiffusionInputError('timeGrid', levels[levels.length - 1], 'annealed Langevin needs σ > 0 at the last level');
  return sL;
}

/**
 * Unadjusted Langevin (004 eq. 68 / 88): at each time of the grid (usually one), `stepsPerLevel`
 * steps with the constant step size τ = `stepSize`. With one grid time this samples (up to O(τ))
 * the model's p_t at that time, e.g. the data itself for a score model at t = 0.
 */
export function sampleLangevin(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: LangevinOptions = {}): Float64Array[] {
  checkModel(model);
  const levels = checkLangevinLevels(timeGrid, model);
  const { tau, M } = langevinParams(options, 'sampleLangevin');
  const rng = requireRng(options, 'sampleLangevin');
  let cur = checkBatch(x);
  let step = 0;
  for (let i = 0; i < levels.length; i++) {
    for (let m = 0; m < M; m++) {
      cur = langevinStep(cur, modelScore(model, cur, levels[i]), tau, cur.map((r) => rng.normals(r.length)));
      options.callback?.({ i: step++, t: levels[i], tNext: levels[i], x: cur });
    }
  }
  return cur;
}

/** Annealed step size τ_i = τ·σ_i²/σ_L² (Song & Ermon 2019 Algorithm 1, α_i = ε σ_i²/σ_L², α_i = 2τ_i). */
export function annealedStepSize(tau: number, sigma: number, sigmaLast: number): number {
  return (tau * sigma * sigma) / (sigmaLast * sigmaLast);
}

/**
 * Annealed Langevin dynamics (SMLD; 004 §3.3, §4.4; Song & Ermon 2019 Algorithm 1): for each
 * noise level t_i of a decreasing grid, `stepsPerLevel` Langevin steps with τ_i = τ σ(t_i)²/σ(t_L)²,
 * τ = `stepSize` being the step at the last level. σ(t) is the process's noise level.
 */
export function sampleAnnealedLangevin(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: LangevinOptions = {}): Float64Array[] {
  checkModel(model);
  const levels = checkLangevinLevels(timeGrid, model);
  const { tau, M } = langevinParams(options, 'sampleAnnealedLangevin');
  const rng = requireRng(options, 'sampleAnnealedLangevin');
  const sL = annealedLastSigma(levels, model.process);
  let cur = checkBatch(x);
  let step = 0;
  for (let i = 0; i < levels.length; i++) {
    const ti = annealedStepSize(tau, model.process.sigma(levels[i]), sL);
    for (let m = 0; m < M; m++) {
      cur = langevinStep(cur, modelScore(model, cur, levels[i]), ti, cur.map((r) => rng.normals(r.length)));
      options.callback?.({ i: step++, t: levels[i], tNext: levels[i], x: cur });
    }
  }
  return cur;
}
