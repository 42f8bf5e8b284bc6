/**
 * σ-space (Karras et al. 2022, "Elucidating the Design Space of Diffusion-Based Generative
 * Models", hereafter EDM; k-diffusion's conventions): definitions, conversions, the EDM
 * preconditioning, the denoiser D(x; σ) and the σ schedules.
 *
 * σ-space is the scaled variable x̃ = x_t/α(t) of a process x_t = α(t) x_0 + σ(t) ε:
 *     x̃ = x_0 + σ̃ ε,   σ̃(t) = σ(t)/α(t) = e^{-λ(t)}                         (EDM eq. 4 with s(t) = α(t))
 * so every Gaussian process is the VE process x_0 + σ̃ ε seen through a time change. For a discrete
 * VP schedule σ̃_t = √((1-ᾱ_t)/ᾱ_t) (EDM Table 1, VP column; k-diffusion DiscreteSchedule), for VE
 * σ̃ = σ. Below, "σ" means σ̃ unless a process's own σ(t) is named.
 *
 * The probability-flow ODE in σ-space is dx̃/dσ = (x̃ - D(x̃; σ))/σ (EDM eq. 3 with σ(t) = t,
 * s(t) = 1), D(x̃; σ) = E[x_0 | x_0 + σ ε = x̃] the ideal denoiser (EDM eq. 2-3). D does not
 * depend on the process: the same data seen through a VP and a VE process have the same D.
 *
 * Grid convention of the σ-space samplers (k_euler.ts, k_dpmpp.ts): they take a σ grid — strictly
 * decreasing positive σ's, optionally ending with one final 0 — and x in σ-space (x̃); the model's
 * process maps each σ to the time the network is evaluated at (timeOfSigma). This is what
 * k-diffusion passes (`sample_*(model, x, sigmas)`); a time grid converts with sigmasOfTimes.
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt, checkOneOf, checkFiniteOutput } from './errors.js';
import { validateBetas } from './schedules.js';
import { checkModel, checkProcess, processRates, type DiffusionModel, type Process, type Rows } from './model.js';

// ---------------------------------------------------------------------------------------------
// σ of a process and of a discrete schedule

/** σ̃(t) = σ(t)/α(t) = e^{-λ(t)} of a process (EDM eq. 4; ∞ where α = 0, 0 where σ = 0). */
export function sigmaOfTime(process: Process, t: number): number {
  checkProcess(process);
  const a = process.alpha(t);
  const s = process.sigma(t);
  if (!(a > 0)) return Infinity;
  return s / a;
}

/**
 * The time t of `process` with σ̃(t) = σ: t = t_λ(-log σ) (the process's own inverse of λ; for a
 * discrete VP process log ᾱ is linear between integers, see discreteVpProcess). σ = 0 maps to t = 0
 * (the data). Throws naming `sigma` outside the process's range.
 */
export function timeOfSigma(process: Process, sigma: number): number {
  checkProcess(process);
  const s = checkFiniteNumber('sigma', sigma);
  if (s < 0) throw new DiffusionInputError('sigma', s, 'must be ≥ 0');
  if (s === 0) return 0;
  const t = process.tOfLambda(-Math.log(s));
  return t;
}

/** σ̃ at each time of a grid (t = 0 gives σ = 0 for VP/VE-like processes with σ(0) = 0). */
export function sigmasOfTimes(process: Process, times: ArrayLike<number>): Float64Array {
  checkProcess(process);
  return Float64Array.from({ length: times.length }, (_, i) => sigmaOfTime(process, checkFiniteNumber(`times[${i}]`, times[i])));
}

/** x̃ = x_t/α(t) (EDM eq. 4): a batch at time t of `process` seen in σ-space. */
export function toSigmaSpace(process: Process, x: Rows, t: number): Rows {
  const a = checkProcess(process).alpha(t);
  if (!(a > 0)) throw new DiffusionInputError('t', t, 'α(t) = 0: no σ-space view');
  return x.map((r) => r.map((v) => v / a));
}

/** x_t = α(t) x̃: back from σ-space to the process's variable at time t. */
export function fromSigmaSpace(process: Process, x: Rows, t: number): Rows {
  const a = checkProcess(process).alpha(t);
  return x.map((r) => r.map((v) => v * a));
}

/**
 * σ_t = √((1-ᾱ_t)/ᾱ_t), t = 1..T, of a discrete schedule β_1..β_T (EDM Table 1 VP; k-diffusion
 * DiscreteSchedule's `sigmas`), array index t-1, increasing. Computed as √(expm1(-log ᾱ_t)) without
 * cancellation. A zero-terminal-SNR schedule (ᾱ_T = 0, σ_T = ∞) is refused naming `betas`.
 */
export function discreteSigmas(betas: ArrayLike<number>): Float64Array {
  validateBetas(betas);
  const T = betas.length;
  const out = new Float64Array(T);
  let la = 0;
  for (let t = 1; t <= T; t++) {
    la += Math.log1p(-betas[t - 1]);
    out[t - 1] = Math.sqrt(Math.expm1(-la));
  }
  if (!Number.isFinite(out[T - 1])) throw new DiffusionInputError('betas', betas, 'ᾱ_T = 0 (zero terminal SNR): σ_T = ∞ has no σ-space view');
  return out;
}

function checkSigmaTable(table: unknown, name = 'sigmaTable'): Float64Array {
  if (!table || typeof (table as ArrayLike<number>).length !== 'number' || (table as ArrayLike<number>).length < 2) {
    throw new DiffusionInputError(name, table, 'must be an increasing array of at least 2 σ_t (discreteSigmas)');
  }
  const t = Float64Array.from(table as ArrayLike<number>);
  for (let i = 0; i < t.length; i++) {
    if (!(Number.isFinite(t[i]) && t[i] > 0)) throw new DiffusionInputError(`${name}[${i}]`, t[i], 'must be a finite σ > 0');
    if (i > 0 && !(t[i] > t[i - 1])) throw new DiffusionInputError(`${name}[${i}]`, t[i], `must be > ${name}[${i - 1}] = ${t[i - 1]} (strictly increasing)`);
  }
  return t;
}

const REL_TOL = 1e-12;

function checkSigmaInTable(table: Float64Array, sigma: unknown): number {
  const s = checkFiniteNumber('sigma', sigma);
  const lo = table[0];
  const hi = table[table.length - 1];
  if (s < lo * (1 - REL_TOL) || s > hi * (1 + REL_TOL)) throw new DiffusionInputError('sigma', s, `outside the schedule's range [σ_1, σ_T] = [${lo}, ${hi}]`);
  return Math.min(Math.max(s, lo), hi);
}

/**
 * σ → t for a discrete schedule by linear interpolation of log σ between neighbouring timesteps
 * (k-diffusion DiscreteSchedule.sigma_to_t, quantize=False): t ∈ [1, T] fractional, 1-based
 * (k-diffusion's 0-based index is t - 1). Exact at the table's σ's.
 */
export function sigmaToTimeInterp(table: ArrayLike<number>, sigma: number): number {
  const tab = checkSigmaTable(table);
  const s = checkSigmaInTable(tab, sigma);
  const ls = Math.log(s);
  let lo = 0;
  let hi = tab.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (tab[mid] <= s) lo = mid;
    else hi = mid;
  }
  const l0 = Math.log(tab[lo]);
  const l1 = Math.log(tab[hi]);
  const w = Math.min(Math.max((ls - l0) / (l1 - l0), 0), 1);
  return lo + 1 + w;
}

/** t → σ for a discrete schedule, log σ linear between integer t (k-diffusion t_to_sigma), t ∈ [1, T] 1-based. */
export function timeToSigmaInterp(table: ArrayLike<number>, t: number): number {
  const tab = checkSigmaTable(table);
  const v = checkFiniteNumber('t', t);
  if (v < 1 || v > tab.length) throw new DiffusionInputError('t', v, `outside [1, T] = [1, ${tab.length}]`);
  const i = Math.min(Math.floor(v), tab.length - 1);
  const w = v - i;
  return Math.exp((1 - w) * Math.log(tab[i - 1]) + w * Math.log(tab[i]));
}

/**
 * σ → t quantized: the integer timestep whose σ_t is nearest to σ in log σ (k-diffusion
 * sigma_to_t with quantize=True; diffusers' rounded `_sigma_to_t`). 1-based. Neighbouring σ's of
 * a dense schedule can map to the same t: sigmasToTimesteps refuses such grids.
 */
export function sigmaToTimeQuantized(table: ArrayLike<number>, sigma: number): number {
  const tab = checkSigmaTable(table);
  const s = checkSigmaInTable(tab, sigma);
  const ls = Math.log(s);
  let best = 0;
  for (let i = 1; i < tab.length; i++) if (Math.abs(Math.log(tab[i]) - ls) < Math.abs(Math.log(tab[best]) - ls)) best = i;
  return best + 1;
}

export const SIGMA_TO_TIME = ['interp', 'quantized'] as const;
export type SigmaToTime = (typeof SIGMA_TO_TIME)[number];

/**
 * The timesteps a discrete network is evaluated at along a σ grid (the final σ = 0, if any, is
 * dropped: it is never evaluated). Throws naming `sigmas[i]` when two σ's map to the same
 * timestep (a rounded mapping on a dense grid), because that step would run the network twice
 * at one noise level while the sampler moves σ.
 */
export function sigmasToTimesteps(table: ArrayLike<number>, sigmas: ArrayLike<number>, mapping: SigmaToTime = 'interp'): Float64Array {
  const m = checkOneOf('mapping', mapping, SIGMA_TO_TIME);
  const g = checkSigmaGrid(sigmas, 'sigmas');
  const n = g[g.length - 1] === 0 ? g.length - 1 : g.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = m === 'interp' ? sigmaToTimeInterp(table, g[i]) : sigmaToTimeQuantized(table, g[i]);
    if (i > 0 && !(out[i] < out[i - 1])) throw new DiffusionInputError(`sigmas[${i}]`, g[i], `maps to timestep ${out[i]}, the same as sigmas[${i - 1}] = ${g[i - 1]} (duplicate timestep)`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Grids

/**
 * Validate a σ grid: at least 2 finite entries, every entry > 0 except a single final 0, strictly
 * decreasing (so no zero-length step and no duplicate final 0). Names the offending entry.
 */
export function checkSigmaGrid(grid: unknown, name = 'sigmas'): Float64Array {
  if (!grid || typeof (grid as ArrayLike<number>).length !== 'number') throw new DiffusionInputError(name, grid, 'must be an array of σ values');
  const g = grid as ArrayLike<number>;
  if (g.length < 2) throw new DiffusionInputError(name, grid, 'needs at least 2 σ values (one step)');
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = g[i];
    if (typeof s !== 'number' || !Number.isFinite(s)) throw new DiffusionInputError(`${name}[${i}]`, s, 'must be a finite σ');
    if (s < 0) throw new DiffusionInputError(`${name}[${i}]`, s, 'must be ≥ 0');
    if (s === 0 && i !== g.length - 1) throw new DiffusionInputError(`${name}[${i}]`, s, 'σ = 0 may only be the last entry (appended once)');
    if (i > 0 && !(s < out[i - 1])) throw new DiffusionInputError(`${name}[${i}]`, s, `must be < ${name}[${i - 1}] = ${out[i - 1]} (strictly decreasing; a repeated σ is a zero-length step)`);
    out[i] = s;
  }
  return out;
}

function withZero(sig: Float64Array): Float64Array {
  const out = new Float64Array(sig.length + 1);
  out.set(sig);
  return out; // the final entry is the appended 0
}

function checkRange(sigmaMin: unknown, sigmaMax: unknown): [number, number] {
  const lo = checkFiniteNumber('sigmaMin', sigmaMin);
  const hi = checkFiniteNumber('sigmaMax', sigmaMax);
  if (!(lo > 0)) throw new DiffusionInputError('sigmaMin', lo, 'must be > 0');
  if (!(hi > lo)) throw new DiffusionInputError('sigmaMax', hi, `must be > sigmaMin = ${lo}`);
  return [lo, hi];
}

/**
 * Karras et al. σ schedule (EDM eq. 5): σ_i = (σ_max^{1/ρ} + i/(n-1)·(σ_min^{1/ρ} - σ_max^{1/ρ}))^ρ,
 * i = 0..n-1, then σ_n = 0 (appended once). The endpoints are set exactly to σ_max and σ_min.
 * n = 1 gives [σ_max, 0]. Default ρ = 7 (EDM Table 1).
 */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): Float64Array {
  checkPositiveInt('n', n);
  const [lo, hi] = checkRange(sigmaMin, sigmaMax);
  const r = checkFiniteNumber('rho', rho);
  if (!(r > 0)) throw new DiffusionInputError('rho', r, 'must be > 0');
  const a = hi ** (1 / r);
  const b = lo ** (1 / r);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = n === 1 ? hi : (a + (i / (n - 1)) * (b - a)) ** r;
  s[0] = hi;
  if (n > 1) s[n - 1] = lo;
  return withZero(s);
}

/** Log-uniform σ's from σ_max to σ_min (k-diffusion get_sigmas_exponential), then 0. */
export function exponentialSigmas(n: number, sigmaMin: number, sigmaMax: number): Float64Array {
  return polyexponentialSigmas(n, sigmaMin, sigmaMax, 1);
}

/**
 * Polyexponential σ's (k-diffusion get_sigmas_polyexponential): log σ_i = log σ_min + r_i^ρ
 * (log σ_max - log σ_min), r_i = 1 - i/(n-1); ρ = 1 is the exponential schedule. Then 0.
 */
export function polyexponentialSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 1): Float64Array {
  checkPositiveInt('n', n);
  const [lo, hi] = checkRange(sigmaMin, sigmaMax);
  const r = checkFiniteNumber('rho', rho);
  if (!(r > 0)) throw new DiffusionInputError('rho', r, 'must be > 0');
  const l0 = Math.log(lo);
  const l1 = Math.log(hi);
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) s[i] = n === 1 ? hi : Math.exp(l0 + (1 - i / (n - 1)) ** r * (l1 - l0));
  s[0] = hi;
  if (n > 1) s[n - 1] = lo;
  return withZero(s);
}

/**
 * σ's of the continuous VP SDE at n times uniform in t ∈ [1, ε_s] (k-diffusion
 * get_sigmas_vp; Song et al. 2021 VP SDE, EDM Table 1): σ(t) = √(e^{½β_d t² + β_min t} - 1),
 * β_d = β_max - β_min (defaults β_d = 19.9, β_min = 0.1, ε_s = 1e-3), then 0.
 */
export function vpSigmas(n: number, options: { betaD?: number; betaMin?: number; epsS?: number } = {}): Float64Array {
  checkPositiveInt('n', n);
  const bd = checkFiniteNumber('options.betaD', options.betaD ?? 19.9);
  const bm = checkFiniteNumber('options.betaMin', options.betaMin ?? 0.1);
  const eps = checkFiniteNumber('options.epsS', options.epsS ?? 1e-3);
  if (!(bd >= 0)) throw new DiffusionInputError('options.betaD', bd, 'must be ≥ 0');
  if (!(bm > 0)) throw new DiffusionInputError('options.betaMin', bm, 'must be > 0');
  if (!(eps > 0 && eps < 1)) throw new DiffusionInputError('options.epsS', eps, 'must lie in (0, 1)');
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? 1 : 1 + (i / (n - 1)) * (eps - 1);
    s[i] = Math.sqrt(Math.expm1(0.5 * bd * t * t + bm * t));
  }
  return withZero(s);
}

export const DISCRETE_SPACINGS = ['linspace', 'leading', 'trailing'] as const;
export type DiscreteSpacing = (typeof DISCRETE_SPACINGS)[number];

/**
 * n σ's of a discrete schedule's own table (then 0), picked at timesteps spaced as diffusers does:
 *   'linspace'  t_i from T to 1 uniformly (fractional; σ by log-σ interpolation, as k-diffusion's
 *               DiscreteSchedule.get_sigmas; `interpolation: 'sigma'` interpolates σ linearly, as
 *               diffusers' Euler schedulers' np.interp);
 *   'leading'   integer timesteps (0-based) k·⌊T/n⌋ + stepsOffset, k = n-1..0 (diffusers "leading");
 *   'trailing'  integer timesteps (0-based) round(T - k·T/n) - 1, k = 0..n-1 (diffusers "trailing",
 *               Lin et al. 2024 Table 2: starts at the last timestep).
 * Throws naming `n` when n > T (the timesteps would repeat).
 */
export function discreteScheduleSigmas(
  table: ArrayLike<number>,
  n: number,
  options: { spacing?: DiscreteSpacing; stepsOffset?: number; interpolation?: 'log-sigma' | 'sigma' } = {},
): Float64Array {
  const tab = checkSigmaTable(table, 'table');
  checkPositiveInt('n', n);
  const T = tab.length;
  if (n > T) throw new DiffusionInputError('n', n, `more steps than the schedule's T = ${T} timesteps (timesteps would repeat)`);
  const spacing = checkOneOf('options.spacing', options.spacing ?? 'linspace', DISCRETE_SPACINGS);
  const interp = checkOneOf('options.interpolation', options.interpolation ?? 'log-sigma', ['log-sigma', 'sigma'] as const);
  const off = options.stepsOffset ?? 0;
  if (!Number.isInteger(off) || off < 0) throw new DiffusionInputError('options.stepsOffset', off, 'must be a non-negative integer');
  const s = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    if (spacing === 'linspace') {
      const i0 = n === 1 ? T - 1 : (T - 1) * (1 - k / (n - 1)); // 0-based fractional index
      const i = Math.min(Math.floor(i0), T - 2);
      const w = i0 - i;
      if (w === 0 || w === 1) s[k] = tab[i + w]; // on a timestep: the table's σ exactly
      else s[k] = interp === 'log-sigma' ? Math.exp((1 - w) * Math.log(tab[i]) + w * Math.log(tab[i + 1])) : (1 - w) * tab[i] + w * tab[i + 1];
    } else {
      const idx = spacing === 'leading' ? (n - 1 - k) * Math.floor(T / n) + off : Math.round(T - (k * T) / n) - 1;
      if (idx < 0 || idx >= T) throw new DiffusionInputError('options.stepsOffset', off, `timestep index ${idx} outside 0..${T - 1}`);
      s[k] = tab[idx];
    }
  }
  return checkSigmaGrid(withZero(s), 'sigmas');
}

// ---------------------------------------------------------------------------------------------
// Ancestral step

/**
 * The ancestral split of a step σ_from → σ_to (k-diffusion get_ancestral_step; Song et al. 2021
 * App. F ancestral sampling for VE, Ho et al. 2020 posterior variance in σ-space):
 *     σ_up = min(σ_to, η·√(σ_to²(σ_from² - σ_to²)/σ_from²)),   σ_down = √(σ_to² - σ_up²),
 * so σ_down² + σ_up² = σ_to² and 0 ≤ σ_up ≤ σ_to (the min keeps σ_down real in any precision and
 * for η > 1). Evaluated as σ_up = σ_to·a, σ_down = σ_to·√((1-a)(1+a)), a = min(1, η√((1-q)(1+q))),
 * q = σ_to/σ_from (the same values; no σ is squared). η = 0 gives σ_up = 0, σ_down = σ_to
 * (deterministic). σ_to = 0 gives (0, 0).
 */
export function ancestralStep(sigmaFrom: number, sigmaTo: number, eta = 1): { sigmaDown: number; sigmaUp: number } {
  const f = checkFiniteNumber('sigmaFrom', sigmaFrom);
  const t = checkFiniteNumber('sigmaTo', sigmaTo);
  const e = checkFiniteNumber('eta', eta);
  if (!(f > 0)) throw new DiffusionInputError('sigmaFrom', f, 'must be > 0');
  if (!(t >= 0 && t <= f)) throw new DiffusionInputError('sigmaTo', t, `must lie in [0, sigmaFrom = ${f}]`);
  if (!(e >= 0)) throw new DiffusionInputError('eta', e, 'must be ≥ 0');
  if (e === 0 || t === 0) return { sigmaDown: t, sigmaUp: 0 };
  // Scaled by σ_to (q = σ_to/σ_from ≤ 1): the same numbers without squaring σ's, so no overflow for
  // huge σ (cosine schedules in float32) and no underflow for tiny ones; a = σ_up/σ_to ≤ 1 exactly.
  const q = t / f;
  const a = Math.min(1, e * Math.sqrt((1 - q) * (1 + q)));
  return { sigmaDown: t * Math.sqrt((1 - a) * (1 + a)), sigmaUp: t * a };
}

// ---------------------------------------------------------------------------------------------
// EDM preconditioning and the denoiser

export const PRECONDITIONINGS = ['eps', 'x0', 'v', 'edm', 've'] as const;
export type Preconditioning = (typeof PRECONDITIONINGS)[number];

export interface Precond {
  cSkip: number;
  cOut: number;
  cIn: number;
  /** EDM ¼ ln σ, VE ln(σ/2); for the VP kinds the network's own time t(σ) (not computed here: NaN). */
  cNoise: number;
}

/**
 * The scalings of D(x̃; σ) = c_skip(σ) x̃ + c_out(σ) F(c_in(σ) x̃; c_noise(σ)) (EDM eq. 7, Table 1):
 *   'eps' (VP ε-network, k-diffusion DiscreteEpsDDPMDenoiser): c_skip 1, c_out -σ, c_in 1/√(σ²+1);
 *   'x0'  (VP x_0-network):                                     c_skip 0, c_out 1,  c_in 1/√(σ²+1);
 *   'v'   (VP v-network, v = αε - σ_t x_0; k-diffusion DiscreteVDDPMDenoiser):
 *         c_skip 1/(σ²+1), c_out -σ/√(σ²+1), c_in 1/√(σ²+1) (= EDM with σ_data = 1 up to F's sign);
 *   'edm' c_skip σ_d²/(σ²+σ_d²), c_out σσ_d/√(σ²+σ_d²), c_in 1/√(σ²+σ_d²), c_noise ¼ ln σ;
 *   've'  (VE ε-network of EDM Table 1's VE column, F = -ε): c_skip 1, c_out σ, c_in 1, c_noise ln(σ/2).
 * For VP, c_in = α(t) exactly: the network sees x_t = α x̃.
 */
export function edmPreconditioning(sigma: number, kind: Preconditioning, options: { sigmaData?: number } = {}): Precond {
  const s = checkFiniteNumber('sigma', sigma);
  if (!(s > 0)) throw new DiffusionInputError('sigma', s, 'must be > 0 (D(x; 0) = x needs no network)');
  const k = checkOneOf('kind', kind, PRECONDITIONINGS);
  const sd = checkFiniteNumber('options.sigmaData', options.sigmaData ?? 0.5);
  if (!(sd > 0)) throw new DiffusionInputError('options.sigmaData', sd, 'must be > 0');
  const vpIn = 1 / Math.sqrt(s * s + 1);
  switch (k) {
    case 'eps':
      return { cSkip: 1, cOut: -s, cIn: vpIn, cNoise: NaN };
    case 'x0':
      return { cSkip: 0, cOut: 1, cIn: vpIn, cNoise: NaN };
    case 'v':
      return { cSkip: 1 / (s * s + 1), cOut: -s * vpIn, cIn: vpIn, cNoise: NaN };
    case 'edm': {
      const q = s * s + sd * sd;
      return { cSkip: (sd * sd) / q, cOut: (s * sd) / Math.sqrt(q), cIn: 1 / Math.sqrt(q), cNoise: 0.25 * Math.log(s) };
    }
    case 've':
      return { cSkip: 1, cOut: s, cIn: 1, cNoise: Math.log(s / 2) };
  }
}

/** D(x̃; σ) as a function of a σ-space batch (what every σ-space sampler calls). */
export type SigmaDenoiser = (x: Rows, sigma: number) => Rows;

function combine(x: Rows, f: Rows, cSkip: number, cOut: number): Rows {
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const fr = f[r];
    for (let i = 0; i < row.length; i++) o[i] = cSkip * row[i] + cOut * fr[i];
    return o;
  });
}

/**
 * The denoiser of a DiffusionModel (EDM eq. 7 with the model's process): σ → t = timeOfSigma
 * (or, for a discrete-vp process with `mapping`, the log-σ-interpolated or quantized timestep
 * of the schedule's σ table, as k-diffusion's discrete wrappers do); the network sees
 * x_t = α(t)·x̃ and D = c_skip x̃ + c_out F with the scalings of the model's output kind:
 *   eps: D = x̃ - σ ε̂;  x0: D = x̂_0;  v: D = x̃/(σ²+1) - σ v̂/√(σ²+1) (VP); score: D = x̃ + σ² ŝ·α.
 * For VE (α = 1) and VP the three forms give the same D for the same underlying denoiser (claim).
 * With the process mapping the network input is α(t)x̃; with a discrete mapping it is c_in(σ)x̃ at
 * the mapped timestep, exactly like k-diffusion (the oracle is then evaluated at a slightly
 * different noise level: that is the mapping's error, not the denoiser's).
 */
export function modelDenoiser(model: DiffusionModel, options: { mapping?: 'process' | SigmaToTime } = {}): SigmaDenoiser {
  checkModel(model);
  const p = model.process;
  const mapping = checkOneOf('options.mapping', options.mapping ?? 'process', ['process', ...SIGMA_TO_TIME] as const);
  let table: Float64Array | undefined;
  if (mapping !== 'process') {
    if (p.kind !== 'discrete-vp' || !p.betas) throw new DiffusionInputError('options.mapping', mapping, `needs a discrete-vp process (got ${p.label})`);
    table = discreteSigmas(p.betas);
  }
  const sigmaTop = sigmaOfTime(p, p.tMax);
  return (x: Rows, sigma: number) => {
    const s = checkFiniteNumber('sigma', sigma);
    if (!(s > 0)) throw new DiffusionInputError('sigma', s, 'the denoiser is evaluated at σ > 0 only (D(x; 0) = x)');
    if (!table && s > sigmaTop * (1 + 1e-12)) throw new DiffusionInputError('sigma', s, `above the largest σ of ${p.label} (σ(tMax)/α(tMax) = ${sigmaTop}); with churn (σ̂ = σ(1+γ)) keep sTmax below σ_max/(1+γ)`);
    const t = table ? (mapping === 'quantized' ? sigmaToTimeQuantized(table, s) : sigmaToTimeInterp(table, s)) : timeOfSigma(p, Math.min(s, sigmaTop));
    // The process's α(t) is the exact network-input scale; k-diffusion's discrete wrappers use c_in(σ) = 1/√(σ²+1).
    const a = table ? 1 / Math.sqrt(s * s + 1) : p.alpha(t);
    const xin = x.map((r) => r.map((v) => v * a));
    const out = model.apply(xin, t);
    if (!Array.isArray(out) || out.length !== x.length) throw new DiffusionInputError('model output', Array.isArray(out) ? `batch of ${out.length}` : out, `shape mismatch: input batch has ${x.length} rows`);
    for (let r = 0; r < out.length; r++) {
      if (!out[r] || out[r].length !== x[r].length) throw new DiffusionInputError(`model output[${r}]`, out[r]?.length, `shape mismatch: x[${r}] has length ${x[r].length}`);
      checkFiniteOutput(`model output[${r}] at σ=${s}`, out[r]);
    }
    switch (model.output) {
      case 'eps':
        return combine(x, out, 1, -s);
      case 'x0':
        return out.map((r) => Float64Array.from(r));
      case 'v': {
        // v = α ε - σ_t x_0: x̂_0 = (α x_t - σ_t v̂)/(α² + σ_t²); for VP (α² + σ_t² = 1) these are EDM's 'v' scalings.
        if (p.kind === 'vp' || p.kind === 'discrete-vp') {
          const c = edmPreconditioning(s, 'v');
          return combine(x, out, c.cSkip, c.cOut);
        }
        const al = p.alpha(t);
        const st = p.sigma(t);
        const q = al * al + st * st;
        return combine(xin, out, al / q, -st / q);
      }
      case 'score': {
        // Tweedie: x̂_0 = (x_t + σ_t² s)/α = x̃ + σ_t²/α · s.
        const al = p.alpha(t);
        const st = p.sigma(t);
        return combine(x, out, 1, (st * st) / al);
      }
      case 'flow': {
        // Flow velocity u = α' x_0 + σ' ε at the network input x_t = α x̃ (issue 15, model.ts's modelX0):
        // x̂_0 = (σ' x_t - σ_t u)/(α σ' - σ_t α').
        const al = p.alpha(t);
        const st = p.sigma(t);
        const { dAlpha, dSigma } = processRates(p, t);
        const det = al * dSigma - st * dAlpha;
        return combine(xin, out, dSigma / det, -st / det);
      }
    }
  };
}

/** D from a raw network output F with the given preconditioning: c_skip x̃ + c_out F (EDM eq. 7). */
export function denoiserFromNetwork(x: Rows, sigma: number, f: Rows, kind: Preconditioning, options: { sigmaData?: number } = {}): Rows {
  const c = edmPreconditioning(sigma, kind, options);
  if (!Array.isArray(x) || !Array.isArray(f) || f.length !== x.length) throw new DiffusionInputError('f', f, `must be a batch of ${Array.isArray(x) ? x.length : '?'} rows like x`);
  return combine(x, f, c.cSkip, c.cOut);
}
