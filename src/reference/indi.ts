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
import { checkBatch, checkModel, checkTimeGrid, modelX0, requireRng, type Rows, type DiffusionModel, type SamplerOptions } from './model.js';

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
  const dv = sigmaENext * sigmaENext - sigmaE * sigmaE;
  if (dv < 0) throw new DiffusionInputError('sigmaENext', sigmaENext, `σ_e must not increase as t decreases (σ_e(t) = ${sigmaE})`);
  const c = tNext * Math.sqrt(dv);
  const det = indiStep(x, denoised, t, tNext);
  return det.map((row, r) => row.map((v, i) => v + c * z[r][i]));
}

/**
 * InDI sampler: eq. (64) over a decreasing grid in (0, 1]; with `stochastic: true` (or a process
 * with extra noise c > 0, which requires it) eq. (66) with σ_e(t) = c(1-t) from the process.
 */
export function sampleIndi(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerOptions = {}): Float64Array[] {
  checkModel(model);
  if (model.process.kind !== 'indi') throw new DiffusionInputError('model.process', model.process.label, 'sampleIndi needs an indiProcess');
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  if (!(grid[grid.length - 1] >= 0) || !(grid[0] > 0)) throw new DiffusionInputError('timeGrid', timeGrid, 'InDI times must lie in (0, 1]');
  const c = model.process.indiExtraNoise ?? 0;
  const stochastic = options.stochastic ?? c > 0;
  if (!stochastic && c > 0) throw new DiffusionInputError('options.stochastic', false, `the process has extra noise c = ${c}: only the stochastic step (66) keeps its marginals`);
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
