/**
 * Langevin samplers (catalog E3; 004 §3.1 eq. 68, §3.3 eq. 88; Song & Ermon 2019 Algorithm 1).
 *
 * Unadjusted Langevin: x ← x + τ ∇log p(x) + √(2τ) z. Its stationary law differs from p by O(τ)
 * (for a Gaussian N(μ, s²) it is N(μ, s²/(1 - τ/(2s²))) exactly), and it only mixes between
 * modes as fast as the barrier allows: in 004 §3.1's example (τ = 0.05, component s = 0.2) the
 * narrow mode's variance comes out 2.7× too large and the mode weights keep those of the start.
 * Annealed Langevin runs it over decreasing noise levels with τ_i ∝ σ_i².
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt } from './errors.js';
import { checkBatch, checkModel, modelScore, requireRng, type Rows, type DiffusionModel, type SamplerOptions } from './model.js';

/** One Langevin step, 004 eq. (68): x + τ s + √(2τ) z. */
export function langevinStep(x: Rows, score: Rows, tau: number, z: Rows): Rows {
  const sq = Math.sqrt(2 * tau);
  return x.map((row, r) => row.map((v, i) => v + tau * score[r][i] + sq * z[r][i]));
}

/** Langevin grids may hold a single level (plain Langevin on one distribution); more must decrease. */
function checkLevels(grid: unknown, model: DiffusionModel): Float64Array {
  const g = grid as ArrayLike<number>;
  if (!g || typeof g.length !== 'number' || g.length < 1) throw new DiffusionInputError('timeGrid', grid, 'needs at least one time (noise level)');
  const out = Float64Array.from(g);
  out.forEach((t, i) => {
    if (!Number.isFinite(t) || t < 0 || t > model.process.tMax) throw new DiffusionInputError(`timeGrid[${i}]`, t, `time out of range [0, ${model.process.tMax}]`);
    if (i > 0 && !(t < out[i - 1])) throw new DiffusionInputError(`timeGrid[${i}]`, t, `non-monotone time grid: levels must strictly decrease (previous ${out[i - 1]})`);
  });
  return out;
}

function langevinParams(options: SamplerOptions, name: string): { tau: number; M: number } {
  const tau = checkFiniteNumber('options.stepSize', options.stepSize);
  if (!(tau > 0)) throw new DiffusionInputError('options.stepSize', tau, `${name}: the step size τ must be > 0`);
  const M = checkPositiveInt('options.stepsPerLevel', options.stepsPerLevel ?? 1);
  return { tau, M };
}

/**
 * Unadjusted Langevin (004 eq. 68 / 88): at each time of the grid (usually one), `stepsPerLevel`
 * steps with the constant step size τ = `stepSize`. With one grid time this samples (up to O(τ))
 * the model's p_t at that time, e.g. the data itself for a score model at t = 0.
 */
export function sampleLangevin(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerOptions = {}): Float64Array[] {
  checkModel(model);
  const levels = checkLevels(timeGrid, model);
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
export function sampleAnnealedLangevin(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerOptions = {}): Float64Array[] {
  checkModel(model);
  const levels = checkLevels(timeGrid, model);
  const { tau, M } = langevinParams(options, 'sampleAnnealedLangevin');
  const rng = requireRng(options, 'sampleAnnealedLangevin');
  const sL = model.process.sigma(levels[levels.length - 1]);
  if (!(sL > 0)) throw new DiffusionInputError('timeGrid', levels[levels.length - 1], 'annealed Langevin needs σ > 0 at the last level');
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
