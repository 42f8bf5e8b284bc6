/**
 * Whole-trajectory DDPM ancestral and DDIM samplers on the discrete VP process (catalog E1, E2),
 * with the registry's shared signature (model, x, timeGrid, options) of samplers.ts.
 *
 * Time grids are the papers' 1-based integer timesteps, strictly decreasing, ending at 0 (= x_0):
 * `ancestralTimeGrid(T, steps, spacing)` = ddimTimesteps(T, steps, spacing) followed by 0. The model
 * is called at the original timestep t (its own time), its output converted to ε̂ by `modelEps`.
 *
 * - DDPM (E1; Ho et al. 2020 Algorithm 2): x_{t-1} = μ_θ(x_t, t) + σ_t z, no noise on the last step.
 *   On a strided grid s_K > … > s_1 > s_0 = 0 the chain is the *respaced* DDPM of Nichol & Dhariwal
 *   2021 §4 (improved-diffusion's space_timesteps): the subsequence is itself a Markov chain with
 *   β'_k = 1 - ᾱ_{s_k}/ᾱ_{s_{k-1}}, so step k is `ddpmStep` of the schedule β' at index k (ᾱ'_k = ᾱ_{s_k}
 *   exactly), and the variances β'_k / β̃'_k are those of the subsequence. On the full grid
 *   T, T-1, …, 1, 0 the schedule is the original one (β'_k = β_k taken as given, not recomputed).
 * - DDIM (E2; Song et al. 2021 eq. 12): x_{t'} = √ᾱ_{t'} x̂_0 + √(1-ᾱ_{t'}-σ²) ε̂ + σ z with σ = σ_t(η),
 *   `ddimStep` on the original schedule from each grid time to the next (the last may be any t' ≥ 0).
 *
 * Random numbers: per step, when the step has noise, one `rng.normals(d)` per row in row order (the
 * order ddpmStep/ddimStep draw them); DDPM's last step and DDIM steps with σ = 0 draw nothing.
 */
import { DiffusionInputError } from './errors.js';
import { ddpmStep } from './ddpm.js';
import { ddimStep, ddimTimesteps, type Spacing } from './ddim.js';
import { makeSchedule, type Schedule } from './schedules.js';
import { checkBatch, checkModel, modelEps, requireRng, type DiffusionModel, type Process, type Rows } from './model.js';
import { readOption, type OptionSpec, type OptionsOf, type SamplerBaseOptions } from './sampling.js';

/** Options of `ddpm`. */
export const DDPM_OPTIONS = [
  { name: 'variance', type: 'enum', values: ['posterior', 'beta'], default: 'posterior', doc: "reverse-step variance: β̃_t ('posterior') or β_t ('beta')" },
] as const satisfies readonly OptionSpec[];
export type DdpmOptions = SamplerBaseOptions & OptionsOf<typeof DDPM_OPTIONS>;

/** Options of `ddim`. */
export const DDIM_OPTIONS = [
  { name: 'eta', type: 'number', min: 0, default: 0, doc: 'η of σ_t(η): 0 = deterministic, 1 = DDPM-like (needs rng when > 0)' },
] as const satisfies readonly OptionSpec[];
export type DdimOptions = SamplerBaseOptions & OptionsOf<typeof DDIM_OPTIONS>;

/** The sampling grid of E1/E2: ddimTimesteps(T, steps, spacing) (1-based, descending) followed by 0. */
export function ancestralTimeGrid(T: number, steps: number, spacing: Spacing = 'leading'): number[] {
  return [...ddimTimesteps(T, steps, spacing), 0];
}

/** The β_1..β_T of a discrete-VP process (throws naming `model.process` for any other process). */
export function processBetas(process: Process, sampler: string): Float64Array {
  if (process.kind !== 'discrete-vp' || !process.betas) {
    throw new DiffusionInputError('model.process', process.label, `${sampler} needs a discrete VP process (discreteVpProcess(betas))`);
  }
  return process.betas;
}

/** A strictly decreasing grid of integer timesteps in {0..T}; `endAtZero` requires the last to be 0. */
export function checkIntegerGrid(grid: unknown, T: number, endAtZero: boolean, name = 'timeGrid'): number[] {
  if (!grid || typeof (grid as ArrayLike<number>).length !== 'number') throw new DiffusionInputError(name, grid, 'must be an array of integer timesteps');
  const g = Array.from(grid as ArrayLike<number>);
  if (g.length < 2) throw new DiffusionInputError(name, grid, 'needs at least 2 times (one step)');
  g.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > T) throw new DiffusionInputError(`${name}[${i}]`, t, `must be an integer timestep in {0..${T}}`);
    if (i > 0 && !(t < g[i - 1])) throw new DiffusionInputError(`${name}[${i}]`, t, `non-monotone time grid: must be strictly decreasing (previous ${g[i - 1]})`);
  });
  if (endAtZero && g[g.length - 1] !== 0) throw new DiffusionInputError(`${name}[${g.length - 1}]`, g[g.length - 1], 'the DDPM grid must end at 0 (the last step returns x_0)');
  return g;
}

/** DDIM's grid: strictly decreasing integer timesteps in {0..T}, starting at t ≥ 1 (shared by both tiers). */
export function checkDdimGrid(grid: unknown, T: number): number[] {
  const g = checkIntegerGrid(grid, T, false);
  if (g[0] === 0) throw new DiffusionInputError('timeGrid[0]', 0, 'DDIM starts at a timestep t ≥ 1');
  return g;
}

/**
 * The respaced schedule of a descending grid s_K > … > s_1 > s_0 = 0 (Nichol & Dhariwal 2021 §4):
 * β'_k = β_{s_k} where s_k - s_{k-1} = 1, else 1 - ᾱ_{s_k}/ᾱ_{s_{k-1}} = -expm1(log ᾱ_{s_k} - log ᾱ_{s_{k-1}}).
 * Returns β'_1..β'_K (index k-1), so ᾱ'_k = ᾱ_{s_k}.
 */
export function respacedBetas(betas: ArrayLike<number>, grid: readonly number[]): Float64Array {
  const la = new Float64Array(betas.length + 1);
  for (let t = 1; t <= betas.length; t++) la[t] = la[t - 1] + Math.log1p(-betas[t - 1]);
  const asc = [...grid].reverse(); // s_0 = 0 < s_1 < … < s_K
  if (asc[0] !== 0) throw new DiffusionInputError('timeGrid', grid, 'must end at 0');
  const out = new Float64Array(asc.length - 1);
  for (let k = 1; k < asc.length; k++) {
    out[k - 1] = asc[k] - asc[k - 1] === 1 ? betas[asc[k] - 1] : -Math.expm1(la[asc[k]] - la[asc[k - 1]]);
  }
  return out;
}

/**
 * DDPM ancestral sampling (E1) over a grid ending at 0: full (T, …, 1, 0) or strided (respaced, see
 * the file comment). `options.variance`: 'posterior' (σ² = β̃, default) or 'beta' (σ² = β);
 * `options.rng` required. No noise on the last step.
 */
export function sampleDdpm(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: DdpmOptions = {}): Float64Array[] {
  checkModel(model);
  const betas = processBetas(model.process, 'sampleDdpm');
  const grid = checkIntegerGrid(timeGrid, betas.length, true);
  const variance = readOption(DDPM_OPTIONS[0], options.variance, 'sampleDdpm');
  const rng = requireRng(options, 'sampleDdpm');
  const K = grid.length - 1;
  const schedule: Schedule = makeSchedule(respacedBetas(betas, grid));
  let cur = checkBatch(x);
  for (let i = 0; i < K; i++) {
    const k = K - i; // index of grid[i] in the respaced schedule (grid[i] = s_k)
    const eps = modelEps(model, cur, grid[i]);
    cur = ddpmStep(schedule, cur, k, eps, { variance, rng });
    options.callback?.({ i, t: grid[i], tNext: grid[i + 1], x: cur });
  }
  return cur;
}

/**
 * DDIM sampling (E2) from each grid time t to the next t' (integers, strictly decreasing, in {0..T};
 * usually ancestralTimeGrid). `options.eta` ≥ 0 (default 0, deterministic: no rng needed).
 */
export function sampleDdim(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: DdimOptions = {}): Float64Array[] {
  checkModel(model);
  const betas = processBetas(model.process, 'sampleDdim');
  const grid = checkDdimGrid(timeGrid, betas.length);
  const eta = readOption(DDIM_OPTIONS[0], options.eta, 'sampleDdim');
  const rng = eta > 0 ? requireRng(options, 'sampleDdim (η > 0)') : undefined;
  const schedule = makeSchedule(betas);
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    const eps = modelEps(model, cur, grid[i]);
    cur = ddimStep(schedule, cur, grid[i], grid[i + 1], eps, { eta, rng });
    options.callback?.({ i, t: grid[i], tNext: grid[i + 1], x: cur });
  }
  return cur;
}
