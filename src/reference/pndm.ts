/**
 * PNDM / PLMS (Liu et al. 2022 "Pseudo numerical methods for diffusion models on manifolds",
 * §3.2-3.3, eqs. 9-13).
 *
 * The "transfer part" φ(x_t, ε, t, t') moves x along the DDIM path with a fixed ε (eq. 11; the
 * same as DDIM η = 0 / DPM-Solver-1, written with α, σ of the process):
 *     φ(x, ε, t, t') = (α_{t'}/α_t) x + (σ_{t'} - α_{t'} σ_t/α_t) ε.
 * The "gradient part" combines ε̂ evaluations like a classical method:
 *   PRK (pseudo Runge-Kutta, eq. 12): e_1 = ε̂(x, t), x_1 = φ(x, e_1, t, t-δ/2), e_2 = ε̂(x_1, t-δ/2),
 *     x_2 = φ(x, e_2, t, t-δ/2), e_3 = ε̂(x_2, t-δ/2), x_3 = φ(x, e_3, t, t-δ), e_4 = ε̂(x_3, t-δ),
 *     e' = (e_1 + 2e_2 + 2e_3 + e_4)/6, x_{t-δ} = φ(x, e', t, t-δ)   (4 model calls);
 *   PLMS (pseudo linear multistep, eq. 13): e' = (55e_0 - 59e_1 + 37e_2 - 9e_3)/24 over the last
 *     four ε̂ at the grid points, x_{t-δ} = φ(x, e', t, t-δ)   (1 model call).
 * PNDM (Algorithm 1) takes 3 PRK steps to fill the history, then PLMS. The PLMS-only variant
 * starts with a pseudo improved-Euler step (e' = (ε̂(x,t) + ε̂(φ(x, ε̂(x,t), t, t-δ), t-δ))/2, 2 calls)
 * and then uses Adams-Bashforth of order 2, 3 and 4 ((3, -1)/2, (23, -16, 5)/12, eq. 13) while the
 * history grows. The coefficients are the constant-step ones: the grid should be uniform in t.
 *
 * Every history entry is ε̂, converted from the model output at its own (x, t) (modelEps): the
 * combination is linear in ε̂ only, so an x0-, v- or flow-model gives the same samples as the
 * ε-model to round-off. Combining raw v̂ outputs of different steps and converting once is a bug
 * (properties' parameterization equivalence rejects it).
 */
import { DiffusionInputError } from './errors.js';
import { checkBatch, checkModel, checkTimeGrid, lincomb, modelEps, type DiffusionModel, type Process, type Rows } from './model.js';
import type { SamplerBaseOptions } from './sampling.js';
import type { MultistepStepInfo } from './multistep.js';
import type { OptionSpec } from './sampling.js';

/** Options of pndm and plms (none of their own). */
export const PNDM_OPTIONS = [] as const satisfies readonly OptionSpec[];

/** Transfer coefficients of φ(x, ε, t, t') (PNDM eq. 11): [α_{t'}/α_t, σ_{t'} - α_{t'} σ_t/α_t]. */
export function pndmTransferCoefficients(process: Process, t: number, tNext: number): [number, number] {
  const a = process.alpha(t);
  if (!(a > 0)) throw new DiffusionInputError('timeGrid', t, 'the PNDM transfer needs α(t) > 0');
  const an = process.alpha(tNext);
  return [an / a, process.sigma(tNext) - (an * process.sigma(t)) / a];
}

/** φ(x, ε, t, t') (PNDM eq. 11). */
export function pndmTransfer(process: Process, x: Rows, eps: Rows, t: number, tNext: number): Rows {
  const [c1, c2] = pndmTransferCoefficients(process, t, tNext);
  return lincomb([c1, c2], [x, eps]);
}

/** PLMS / Adams-Bashforth coefficients of order q (newest first), PNDM eq. 13 for q = 4. */
export function plmsCoefficients(q: number): number[] {
  switch (q) {
    case 1:
      return [1];
    case 2:
      return [3 / 2, -1 / 2];
    case 3:
      return [23 / 12, -16 / 12, 5 / 12];
    case 4:
      return [55 / 24, -59 / 24, 37 / 24, -9 / 24];
    default:
      throw new DiffusionInputError('order', q, 'PLMS order must be 1-4');
  }
}

/** One PRK step (PNDM eq. 12): returns the new state and e_1 = ε̂(x, t) (the history entry). */
export function pndmPrkStep(model: DiffusionModel, x: Rows, t: number, tNext: number): { x: Rows; eps: Rows } {
  const p = model.process;
  const tm = 0.5 * (t + tNext);
  const e1 = modelEps(model, x, t);
  const e2 = modelEps(model, pndmTransfer(p, x, e1, t, tm), tm);
  const e3 = modelEps(model, pndmTransfer(p, x, e2, t, tm), tm);
  const e4 = modelEps(model, pndmTransfer(p, x, e3, t, tNext), tNext);
  const e = lincomb([1 / 6, 2 / 6, 2 / 6, 1 / 6], [e1, e2, e3, e4]);
  return { x: pndmTransfer(p, x, e, t, tNext), eps: e1 };
}

/** One PLMS step from the ε̂ history (newest first, history[0] = ε̂(x, t)), order = history length (≤ 4). */
export function plmsStep(process: Process, x: Rows, t: number, tNext: number, history: Rows[]): Rows {
  const c = plmsCoefficients(history.length);
  return pndmTransfer(process, x, lincomb(c, history), t, tNext);
}

function run(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerBaseOptions, prk: boolean): Float64Array[] {
  checkModel(model);
  const grid = checkTimeGrid(timeGrid, model.process, 'decreasing');
  const p = model.process;
  let cur = checkBatch(x);
  const hist: Rows[] = [];
  const times: number[] = [];
  const N = grid.length - 1;
  for (let i = 0; i < N; i++) {
    const t = grid[i];
    const tn = grid[i + 1];
    let order: number;
    if (prk && i < 3) {
      const r = pndmPrkStep(model, cur, t, tn);
      hist.unshift(r.eps);
      times.unshift(t);
      cur = r.x;
      order = 4;
    } else {
      const e0 = modelEps(model, cur, t);
      hist.unshift(e0);
      times.unshift(t);
      if (hist.length > 4) {
        hist.length = 4;
        times.length = 4;
      }
      if (!prk && i === 0) {
        const e1 = modelEps(model, pndmTransfer(p, cur, e0, t, tn), tn);
        cur = pndmTransfer(p, cur, lincomb([0.5, 0.5], [e0, e1]), t, tn);
        order = 2;
      } else {
        order = hist.length;
        cur = plmsStep(p, cur, t, tn, hist);
      }
    }
    const info: MultistepStepInfo = { i, t, tNext: tn, x: cur, order, history: { t: times.slice(), m: hist.slice() } };
    options.callback?.(info);
  }
  return cur;
}

/** PNDM (Liu et al. 2022 Algorithm 1): 3 PRK steps (4 calls each), then PLMS (1 call per step). */
export function samplePndm(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerBaseOptions = {}): Float64Array[] {
  return run(model, x, timeGrid, options, true);
}

/** PLMS only: a pseudo improved-Euler first step (2 calls), then Adams-Bashforth 2, 3, 4 (1 call per step). */
export function samplePlms(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerBaseOptions = {}): Float64Array[] {
  return run(model, x, timeGrid, options, false);
}
