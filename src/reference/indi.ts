/**
 * Inversion by Direct Denoising (catalog E8; 004 §2.9 eqs. 62-67; Delbracio & Milanfar 2023).
 *
 * With x_t = (1-t)x_0 + t·y, E[x_{t-τ} | x_t] = (1-τ/t) x_t + (τ/t) E[x_0 | x_t] (004 eq. 63) for
 * any y, so the step (64) uses the denoiser x̂_0 = E[x_0|x_t]. The stochastic variant (66) adds
 * (t-τ)√(σ_e(t-τ)² - σ_e(t)²) z for a non-increasing extra-noise level σ_e; it keeps the marginal
 * law x_t = (1-t)x_0 + t y + t σ_e(t) n' exactly when the denoiser is exact (Delbracio & Milanfar
 * §3.3). The model's process must be `indiProcess` (it carries σ_e(t) = c(1-t)).
 */
import { DiffusionInputError } from './errors.js';
import { checkBatch, checkModel, checkTimeGrid, modelX0, requireRng, type Rows, type DiffusionModel } from './model.js';
import type { Process } from './processes.js';
import { readOption, type OptionSpec, type OptionsOf, type SamplerBaseOptions } from './sampling.js';

/** Options of `indi`. */
export const INDI_OPTIONS = [
  { name: 'stochastic', type: 'boolean', doc: 'use the stochastic step (004 eq. 66); default: true exactly when the process has extra noise c > 0, which requires it' },
] as const satisfies readonly OptionSpec[];
export type IndiOptions = SamplerBaseOptions & OptionsOf<typeof INDI_OPTIONS>;

/**
 * The InDI rules shared by both tiers: an indiProcess, a decreasing grid in (0, 1], and the
 * stochastic step whenever the process has extra noise. Returns the grid, c and the variant.
 */
export function indiSetup(model: { process: Process }, timeGrid: ArrayLike<number>, options: OptionsOf<typeof INDI_OPTIONS>): { grid: Float64Array; c: number; stochastic: boolean } {
  if (model.process.kind !== 'indi') throw new DiffusionInputError('model.process', model.process.label, 'sampleIndi needs an indiProcess');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  if (!(grid[grid.length - 1] >= 0) || !(grid[0] > 0)) throw new DiffusionInputError('timeGrid', timeGrid, 'InDI times must lie in (0, 1]');
  const c = model.process.indiExtraNoise ?? 0;
  const stochastic = readOption(INDI_OPTIONS[0], options.stochastic, 'sampleIndi') ?? c > 0;
  if (!stochastic && c > 0) throw new DiffusionInputError('options.stochastic', false, `the process has extra noise c = ${c}: only the stochastic step (66) keeps its marginals`);
  return { grid, c, stochastic };
}

/** The noise coefficient (t-τ)·√(σ_e(t-τ)² - σ_e(t)²) of eq. (66); throws if σ_e increases as t decreases (shared by both tiers). */
export function indiNoiseScale(tNext: number, sigmaE: number, sigmaENext: number): number {
  const dv = sigmaENext * sigmaENext - sigmaE * sigmaE;
  if (dv < 0) throw new DiffusionInputError('sigmaENext', sigmaENext, `σ_e must not increase as t decreases (σ_e(t) = ${sigmaE})`);
  return tNext * Math.sqrt(dv);
}

/** InDI step, 004 eq. (64): x̂_{t-τ} = (1 - τ/t) x̂_t + (τ/t) denoise(x̂_t), τ = t - tNext. */
export function indiStep(x: Rows, denoised: Rows, t: number, tNext: number): Rows {
  const a = tNext / t; // 1 - τ/t
  return x.map((row, r) => row.map((v, i) => a * v + (1 - a) * denoised[r][i]));
}

/**
 * Stochastic InDI step, 004 eq. (66): eq. (64) + (t-τ)·√(σ_e(t-τ)² - σ_e(t)²)·z, with σ_e
 * non-increasing in t (so the root is real).
 */
export function indiStochasticStep(x: Rows, denoised: Rows, t: number, tNext: number, sigmaE: number, sigmaENext: number, z: Rows): Rows {
  const c = indiNoiseScale(tNext, sigmaE, sigmaENext);
  const det = indiStep(x, denoised, t, tNext);
  return det.map((row, r) => row.map((v, i) => v + c * z[r][i]));
}

/**
 * InDI sampler: eq. (64) over a decreasing grid in (0, 1]; with `stochastic: true` (or a process
 * with extra noise c > 0, which requires it) eq. (66) with σ_e(t) = c(1-t) from the process.
 */
export function sampleIndi(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: IndiOptions = {}): Float64Array[] {
  checkModel(model);
  const { grid, c, stochastic } = indiSetup(model, timeGrid, options);
  const rng = stochastic ? requireRng(options, 'sampleIndi (stochastic)') : null;
  const sigmaE = (t: number) => c * (1 - t);
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i];
    const tn = grid[i + 1];
    const d = modelX0(model, cur, t);
    cur = rng ? indiStochasticStep(cur, d, t, tn, sigmaE(t), sigmaE(tn), cur.map((r) => rng.normals(r.length))) : indiStep(cur, d, t, tn);
    options.callback?.({ i, t, tNext: tn, x: cur, denoised: d });
  }
  return cur;
}
