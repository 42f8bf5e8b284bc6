/**
 * DPM-Solver (catalog E7; 004 §4.5 eqs. 111-113; Lu et al. 2022 "DPM-Solver", Algorithms 1-2;
 * Lu et al. 2022b "DPM-Solver++", Algorithm 2).
 *
 * Exact solution of the PF-ODE in ε-form (variation of constants, 004 eq. 113) with λ = log(α/σ):
 *     x_t = (α_t/α_s) x_s - α_t ∫_{λ_s}^{λ_t} e^{-λ} ε̂(x_λ, λ) dλ.
 * Seed 004 writes the integral as ∫ (dλ/dτ)(σ/α) ε dτ: the same thing (σ/α = e^{-λ}). The k-th
 * order solvers Taylor-expand ε̂ in λ; with h = λ_t - λ_s (h > 0 when denoising):
 *   order 1: x_t = (α_t/α_s) x_s - σ_t (e^h - 1) ε̂_s                                   (= DDIM, η = 0)
 *   order 2, 3: Lu et al. Algorithms 1-2 (singlestep, r_1 = 1/2; r_1 = 1/3, r_2 = 2/3).
 * The formulas hold for h of either sign, so the same functions encode along an increasing grid.
 */
import { DiffusionInputError } from './errors.js';
import { checkBatch, checkModel, checkTimeGrid, modelEps, modelX0, type Rows, type DiffusionModel } from './model.js';
import type { Process } from './processes.js';
import type { OptionSpec, SamplerBaseOptions } from './sampling.js';

/** The DPM-Solvers have no options of their own. */
export const DPM_SOLVER_OPTIONS = [] as const satisfies readonly OptionSpec[];
export type DpmSolverOptions = SamplerBaseOptions;

function comb(terms: [number, Rows][]): Rows {
  return terms[0][1].map((row, r) => {
    const o = new Float64Array(row.length);
    for (const [c, b] of terms) {
      const br = b[r];
      for (let i = 0; i < o.length; i++) o[i] += c * br[i];
    }
    return o;
  });
}

/** λ(t) of the model's process, finite (throws naming timeGrid otherwise; shared by both tiers). */
export function lambdaOf(model: { process: Process }, t: number): number {
  const l = model.process.lambda(t);
  if (!Number.isFinite(l)) throw new DiffusionInputError('timeGrid', t, 'λ = log(α/σ) is infinite at this time; DPM-Solver needs α > 0 and σ > 0');
  return l;
}

/** DPM-Solver-1 step s → t (Lu et al. eq. 3.7): (α_t/α_s) x - σ_t (e^h - 1) ε̂(x, s). */
export function dpmSolver1Step(model: DiffusionModel, x: Rows, s: number, t: number, epsS?: Rows): Rows {
  const p = model.process;
  const h = lambdaOf(model, t) - lambdaOf(model, s);
  const e = epsS ?? modelEps(model, x, s);
  return comb([
    [p.alpha(t) / p.alpha(s), x],
    [-p.sigma(t) * Math.expm1(h), e],
  ]);
}

/**
 * DPM-Solver-2 step s → t (Lu et al. Algorithm 1, r_1 = ½): s_1 = t_λ(λ_s + r_1 h),
 * u = (α_{s1}/α_s) x - σ_{s1}(e^{r_1 h} - 1) ε̂_s,
 * x_t = (α_t/α_s) x - σ_t (e^h - 1) ε̂_s - σ_t/(2 r_1) (e^h - 1)(ε̂(u, s_1) - ε̂_s).
 */
export function dpmSolver2Step(model: DiffusionModel, x: Rows, s: number, t: number, r1 = 0.5): Rows {
  const p = model.process;
  const ls = lambdaOf(model, s);
  const h = lambdaOf(model, t) - ls;
  const s1 = p.tOfLambda(ls + r1 * h);
  const es = modelEps(model, x, s);
  const u = comb([
    [p.alpha(s1) / p.alpha(s), x],
    [-p.sigma(s1) * Math.expm1(r1 * h), es],
  ]);
  const d1 = comb([
    [1, modelEps(model, u, s1)],
    [-1, es],
  ]);
  const em = Math.expm1(h);
  return comb([
    [p.alpha(t) / p.alpha(s), x],
    [-p.sigma(t) * em, es],
    [(-p.sigma(t) / (2 * r1)) * em, d1],
  ]);
}

/** φ(h) = (e^h - 1)/h - 1 without cancellation for small |h| (series below 1e-3; shared by both tiers). */
export function phi2(h: number): number {
  if (Math.abs(h) < 1e-3) return h / 2 + (h * h) / 6 + (h * h * h) / 24;
  return Math.expm1(h) / h - 1;
}

/**
 * DPM-Solver-3 step s → t (Lu et al. Algorithm 2, r_1 = 1/3, r_2 = 2/3):
 *  u_1 = (α_{s1}/α_s) x - σ_{s1}(e^{r_1 h} - 1) ε̂_s,           D_1 = ε̂(u_1, s_1) - ε̂_s
 *  u_2 = (α_{s2}/α_s) x - σ_{s2}(e^{r_2 h} - 1) ε̂_s - (σ_{s2} r_2/r_1)((e^{r_2 h} - 1)/(r_2 h) - 1) D_1
 *  D_2 = ε̂(u_2, s_2) - ε̂_s
 *  x_t = (α_t/α_s) x - σ_t (e^h - 1) ε̂_s - (σ_t/r_2)((e^h - 1)/h - 1) D_2.
 */
export function dpmSolver3Step(model: DiffusionModel, x: Rows, s: number, t: number, r1 = 1 / 3, r2 = 2 / 3): Rows {
  const p = model.process;
  const ls = lambdaOf(model, s);
  const h = lambdaOf(model, t) - ls;
  const s1 = p.tOfLambda(ls + r1 * h);
  const s2 = p.tOfLambda(ls + r2 * h);
  const es = modelEps(model, x, s);
  const u1 = comb([
    [p.alpha(s1) / p.alpha(s), x],
    [-p.sigma(s1) * Math.expm1(r1 * h), es],
  ]);
  const d1 = comb([
    [1, modelEps(model, u1, s1)],
    [-1, es],
  ]);
  const u2 = comb([
    [p.alpha(s2) / p.alpha(s), x],
    [-p.sigma(s2) * Math.expm1(r2 * h), es],
    [((-p.sigma(s2) * r2) / r1) * phi2(r2 * h), d1],
  ]);
  const d2 = comb([
    [1, modelEps(model, u2, s2)],
    [-1, es],
  ]);
  return comb([
    [p.alpha(t) / p.alpha(s), x],
    [-p.sigma(t) * Math.expm1(h), es],
    [(-p.sigma(t) / r2) * phi2(h), d2],
  ]);
}

function singlestep(order: 1 | 2 | 3) {
  return (model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: DpmSolverOptions = {}): Float64Array[] => {
    checkModel(model);
    const grid = checkTimeGrid(timeGrid, model.process, 'any');
    let cur = checkBatch(x);
    for (let i = 0; i + 1 < grid.length; i++) {
      const s = grid[i];
      const t = grid[i + 1];
      cur = order === 1 ? dpmSolver1Step(model, cur, s, t) : order === 2 ? dpmSolver2Step(model, cur, s, t) : dpmSolver3Step(model, cur, s, t);
      options.callback?.({ i, t: s, tNext: t, x: cur });
    }
    return cur;
  };
}

/** DPM-Solver-1 over the grid (one model call per step; = DDIM η = 0). */
export const sampleDpmSolver1 = singlestep(1);
/** Singlestep DPM-Solver-2 over the grid (2 model calls per step). Best with a λ-uniform grid. */
export const sampleDpmSolver2 = singlestep(2);
/** Singlestep DPM-Solver-3 over the grid (3 model calls per step). */
export const sampleDpmSolver3 = singlestep(3);

/**
 * DPM-Solver++ first-order (data-prediction) step s → t (Lu et al. 2022b eq. 8 with k = 1):
 * x_t = (σ_t/σ_s) x_s - α_t (e^{-h} - 1) D, D = x̂_0 (or its multistep extrapolation).
 */
export function dpmSolverPPStep(model: DiffusionModel, x: Rows, s: number, t: number, D: Rows): Rows {
  const p = model.process;
  const h = lambdaOf(model, t) - lambdaOf(model, s);
  return comb([
    [p.sigma(t) / p.sigma(s), x],
    [-p.alpha(t) * Math.expm1(-h), D],
  ]);
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022b Algorithm 2): multistep second order in data prediction.
 * Step 1 uses D = x̂_0(x_{t_0}); step i ≥ 2 uses D = (1 + 1/(2r)) x̂_0^{(i-1)} - 1/(2r) x̂_0^{(i-2)}
 * with r = h_{i-1}/h_i. One model call per step.
 */
export function sampleDpmSolverPP2M(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: DpmSolverOptions = {}): Float64Array[] {
  checkModel(model);
  const grid = checkTimeGrid(timeGrid, model.process, 'any');
  let cur = checkBatch(x);
  let prevD: Rows | null = null;
  let prevH = 0;
  for (let i = 0; i + 1 < grid.length; i++) {
    const s = grid[i];
    const t = grid[i + 1];
    const h = lambdaOf(model, t) - lambdaOf(model, s);
    const d0 = modelX0(model, cur, s);
    let D = d0;
    if (prevD) {
      const r = prevH / h;
      D = comb([
        [1 + 1 / (2 * r), d0],
        [-1 / (2 * r), prevD],
      ]);
    }
    cur = dpmSolverPPStep(model, cur, s, t, D);
    options.callback?.({ i, t: s, tNext: t, x: cur, denoised: d0 });
    prevD = d0;
    prevH = h;
  }
  return cur;
}
