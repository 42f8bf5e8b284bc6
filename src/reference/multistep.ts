/**
 * Multistep exponential integrators of the PF-ODE (catalog E7): DPM-Solver multistep 2-3 in noise
 * and data prediction (Lu et al. 2022a "DPM-Solver" §3.1, eq. 3.5; Lu et al. 2022b "DPM-Solver++"
 * §4, eq. 9 and Algorithm 2), singlestep DPM-Solver++(2S)/(3S) (2022b Algorithm 1 and its third-
 * order analogue of 2022a Algorithm 2), UniPC (Zhao et al. 2023: UniP-p, UniC-p, Theorem 3.1 and
 * §3.2, B(h) = bh1/bh2), DEIS tAB (Zhang & Chen 2023 §4, eqs. 14-15 in ρ = σ/α), with the
 * warm-up (lower order while history is short), `lowerOrderFinal`, the time-uniform / logSNR /
 * time-quadratic grids with λ clipping (Lu et al. 2022a §3.3 and App. D) and the discrete model-
 * time mapping of Lu et al. 2022a App. (discrete-time DPMs).
 *
 * One frame for all of them. With λ = log(α/σ) and h = λ_t - λ_s, the exact solution of the
 * PF-ODE is, for a noise model m = ε̂ (2022a eq. 3.5) and a data model m = x̂_0 (2022b eq. 9):
 *     x_t = base·x_s + scale · Σ_{n≥0} h^{n+1} φ_{n+1}(z) · m^{(n)}(λ_s)
 *   noise: base = α_t/α_s, scale = -σ_t, z = h;   data: base = σ_t/σ_s, scale = α_t, z = -h,
 * φ_k(z) = ∫_0^1 e^{(1-θ)z} θ^{k-1}/(k-1)! dθ (φ_1 = (e^z-1)/z, φ_{k+1} = (φ_k - 1/k!)/z), the
 * derivatives taken in λ. A step of order q keeps n < q and estimates d_n = h^n m^{(n)} from the
 * last q model outputs (multistep) or from intermediate evaluations (singlestep). Every update is
 * therefore x_t = base·x_s + Σ_j w_j m_j with float64 scalar weights w_j that depend only on the
 * times: `*Weights` functions compute them (shared by the tensor tier), the samplers combine rows.
 *
 * Order of a whole run. A step of order q has local error O(h^{q+1}); the warm-up steps (order 1,
 * 2, ...) and, with lowerOrderFinal, the last steps are O(1) in number, so the global error is
 * O(h^{min(p, q_min + 1)}) with q_min the lowest order used: order-2 and order-3 multistep runs
 * both converge at order 2 asymptotically (the "order drop" at the first and last steps).
 */
import { DiffusionInputError, checkFiniteNumber, checkOneOf, checkPositiveInt } from './errors.js';
import { validateBetas } from './schedules.js';
import { readOption, type OptionSpec, type SamplerBaseOptions } from './sampling.js';
import {
  checkBatch,
  checkModel,
  checkProcess,
  checkTimeGrid,
  discreteVpProcess,
  lincomb,
  makeModel,
  makeTimeGrid,
  modelEps,
  modelX0,
  type DiffusionModel,
  type ModelOutput,
  type Process,
  type Rows,
  type StepInfo,
} from './model.js';

// ---------------------------------------------------------------------------------------------
// φ functions, frames, small linear algebra

/**
 * φ_k(z) = Σ_{j≥0} z^j/(j+k)! (the exponential-integrator functions; Hochbruck & Ostermann 2010).
 * Series for |z| < 1, the recurrence φ_k = (φ_{k-1} - 1/(k-1)!)/z from φ_1 = expm1(z)/z otherwise.
 */
export function phi(k: number, z: number): number {
  checkPositiveInt('k', k);
  checkFiniteNumber('z', z);
  if (Math.abs(z) < 1) {
    let term = 1;
    for (let j = 2; j <= k; j++) term /= j; // 1/k!
    let sum = term;
    for (let j = 1; j < 40; j++) {
      term *= z / (j + k);
      sum += term;
      if (Math.abs(term) < 1e-18 * Math.abs(sum)) break;
    }
    return sum;
  }
  let v = Math.expm1(z) / z;
  let fact = 1; // (j-1)!
  for (let j = 2; j <= k; j++) {
    v = (v - 1 / fact) / z;
    fact *= j;
  }
  return v;
}

export const SOLVER_PREDICTIONS = ['noise', 'data'] as const;
/** What the history stores and the update integrates: ε̂ ('noise', DPM-Solver) or x̂_0 ('data', DPM-Solver++). */
export type SolverPrediction = (typeof SOLVER_PREDICTIONS)[number];

/** The step's exponential-integrator frame: x_t = base·x_s + scale·Σ_n h^{n+1} φ_{n+1}(z) m^{(n)}. */
export interface ExpFrame {
  base: number;
  scale: number;
  /** h = λ_t - λ_s (> 0 when denoising). */
  h: number;
  /** h (noise) or -h (data). */
  z: number;
}

export function lambdaAt(process: Process, t: number): number {
  const l = process.lambda(t);
  if (!Number.isFinite(l)) throw new DiffusionInputError('timeGrid', t, 'λ = log(α/σ) is infinite at this time; the exponential integrators need α > 0 and σ > 0 (end the grid inside (0, tMax))');
  return l;
}

export function expFrame(process: Process, prediction: SolverPrediction, s: number, t: number): ExpFrame {
  const h = lambdaAt(process, t) - lambdaAt(process, s);
  if (prediction === 'noise') return { base: process.alpha(t) / process.alpha(s), scale: -process.sigma(t), h, z: h };
  return { base: process.sigma(t) / process.sigma(s), scale: process.alpha(t), h, z: -h };
}

/** Solve A y = b (n ≤ 4) by Gaussian elimination with partial pivoting. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (!(Math.abs(M[piv][c]) > 0)) throw new DiffusionInputError('timeGrid', A, 'singular interpolation system: repeated times in the history');
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = c + 1; r < n; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  const y = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let v = M[r][n];
    for (let k = r + 1; k < n; k++) v -= M[r][k] * y[k];
    y[r] = v / M[r][r];
  }
  return y;
}

function factorial(n: number): number {
  let f = 1;
  for (let j = 2; j <= n; j++) f *= j;
  return f;
}

// ---------------------------------------------------------------------------------------------
// Weights of the updates (host scalars; the tensor tier uses these same functions)

export const SOLVER_TYPES = ['dpmsolver', 'taylor'] as const;
/**
 * 'dpmsolver': Lu et al. 2022b Algorithm 2's order-2 multistep update, whose first-derivative term
 * has coefficient ½ h φ_1(z) (D = (1 + 1/(2r)) m_0 - 1/(2r) m_1); 'taylor': the coefficient
 * h φ_2(z) of the expansion. Both are order 2; order 1 and 3 are the same for both (order 3 uses
 * the expansion: 2022a eq. 3.5 truncated at n = 2 with the quadratic through three outputs).
 */
export type SolverType = (typeof SOLVER_TYPES)[number];

/**
 * Multistep Taylor weights (2022a eq. 3.5, 2022b eq. 9; multistep form 2022b §4.2): `offsets` are
 * (λ_j - λ_s)/h of the history (offsets[0] = 0 for m_0 at s; ≤ 0 for older outputs), q = length.
 * d_n = h^n m^{(n)} from the degree-(q-1) interpolant of (offset_j, m_j): d = diag(n!) V⁻¹ m,
 * V_{jn} = offset_j^n. Returns w with x_t = frame.base·x + Σ_j w_j m_j.
 */
export function taylorWeights(frame: ExpFrame, offsets: number[], solverType: SolverType = 'dpmsolver'): number[] {
  const q = offsets.length;
  const { scale, h, z } = frame;
  const c = Array.from({ length: q }, (_, n) => scale * h * phi(n + 1, z));
  if (q === 2 && solverType === 'dpmsolver') c[1] = 0.5 * scale * h * phi(1, z);
  if (q === 1) return [c[0]];
  // Row n of V⁻¹: solve Vᵀ y = e_n for each n, V_{jn} = offset_j^n.
  const Vt = Array.from({ length: q }, (_, n) => offsets.map((o) => o ** n));
  const w = new Array<number>(q).fill(0);
  for (let n = 0; n < q; n++) {
    // Row n of V⁻¹ solves Vᵀ y = e_n (Vt[n][j] = offset_j^n = V_{jn}): y_j = (V⁻¹)_{nj}.
    const row = solve(
      Vt,
      Array.from({ length: q }, (_, k) => (k === n ? 1 : 0)),
    );
    for (let j = 0; j < q; j++) w[j] += c[n] * factorial(n) * row[j];
  }
  return w;
}

export const UNIPC_VARIANTS = ['bh1', 'bh2'] as const;
/** UniPC's B(h) (Zhao et al. 2023 §3.2): bh1 B = h, bh2 B = e^h - 1 (in the frame's z: (h/z)·expm1(z)). */
export type UniPCVariant = (typeof UNIPC_VARIANTS)[number];

function unipcB(frame: ExpFrame, variant: UniPCVariant): number {
  return variant === 'bh1' ? frame.h : (frame.h / frame.z) * Math.expm1(frame.z);
}

/**
 * UniPC coefficients a (Zhao et al. 2023 Theorem 3.1): R a = g/B with R_{n,m} = r_m^{n-1},
 * g_n = n!·h·φ_{n+1}(z) (n = 1..K). For K = 1 the paper's a_1 = ½ (§3.2; any ½ + O(h) keeps the
 * order), which is where bh1 and bh2 differ; for K ≥ 2 the system is solved (B cancels).
 */
function unipcCoefficients(frame: ExpFrame, rs: number[], variant: UniPCVariant): { a: number[]; B: number } {
  const B = unipcB(frame, variant);
  const K = rs.length;
  if (K === 1) return { a: [0.5], B };
  const R = Array.from({ length: K }, (_, n) => rs.map((r) => r ** n));
  const g = Array.from({ length: K }, (_, n) => (factorial(n + 1) * frame.h * phi(n + 2, frame.z)) / B);
  return { a: solve(R, g), B };
}

/**
 * UniP-q predictor weights (Zhao et al. 2023 eq. 8 / Algorithm "UniP-p"): x̃_t = base x +
 * scale [h φ_1(z) m_0 + B Σ_{m=1}^{q-1} a_m D_m/r_m], D_m = m_m - m_0, r_m = offsets[m].
 * Order q. q = 1 is DPM-Solver-1 / DDIM.
 */
export function unipcPredictorWeights(frame: ExpFrame, offsets: number[], variant: UniPCVariant): number[] {
  const q = offsets.length;
  const w = new Array<number>(q).fill(0);
  w[0] = frame.scale * frame.h * phi(1, frame.z);
  if (q === 1) return w;
  const rs = offsets.slice(1);
  const { a, B } = unipcCoefficients(frame, rs, variant);
  for (let m = 0; m < rs.length; m++) {
    const c = (frame.scale * B * a[m]) / rs[m];
    w[m + 1] += c;
    w[0] -= c;
  }
  return w;
}

/**
 * UniC-q corrector weights (Zhao et al. 2023 eq. 7 / Algorithm "UniC-p"): the predictor's history
 * plus the new output m_t = m(x̃_t, t) with r = 1; order q+1. Returns weights over
 * [m_0, ..., m_{q-1}, m_t] for x^c_t = base·x_s + Σ w_j m_j.
 */
export function unipcCorrectorWeights(frame: ExpFrame, offsets: number[], variant: UniPCVariant): number[] {
  const q = offsets.length;
  const w = new Array<number>(q + 1).fill(0);
  w[0] = frame.scale * frame.h * phi(1, frame.z);
  const rs = [...offsets.slice(1), 1];
  const { a, B } = unipcCoefficients(frame, rs, variant);
  for (let m = 0; m < rs.length; m++) {
    const c = (frame.scale * B * a[m]) / rs[m];
    w[m + 1] += c;
    w[0] -= c;
  }
  return w;
}

// Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n), for DEIS's coefficients.
const GL_N = 16;
const GL = (() => {
  const x = new Float64Array(GL_N);
  const w = new Float64Array(GL_N);
  for (let i = 0; i < GL_N; i++) {
    let z = Math.cos((Math.PI * (i + 0.75)) / (GL_N + 0.5));
    let dp = 0;
    for (let it = 0; it < 100; it++) {
      let p0 = 1;
      let p1 = z;
      for (let k = 2; k <= GL_N; k++) {
        const p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (GL_N * (z * p1 - p0)) / (z * z - 1);
      const dz = p1 / dp;
      z -= dz;
      if (Math.abs(dz) < 1e-16) break;
    }
    x[i] = z;
    w[i] = 2 / ((1 - z * z) * dp * dp);
  }
  return { x, w };
})();

/**
 * DEIS tAB-q weights (Zhang & Chen 2023 §4, eqs. 14-15): with ρ = σ/α, x_t/α_t = x_s/α_s +
 * ∫_{ρ_s}^{ρ_t} ε̂ dρ, and ε̂ extrapolated by the Lagrange polynomial in *time* through the last q
 * outputs (times τ_j, τ_0 = s): x_t = (α_t/α_s) x_s + α_t Σ_j C_j ε̂_j,
 *     C_j = ∫_s^t ℓ_j(τ) dρ(τ) = [ℓ_j ρ]_s^t - ∫_s^t ℓ_j'(τ) ρ(τ) dτ   (by parts: only α, σ needed),
 * the last integral by 16-point Gauss-Legendre. q = 1 gives C_0 = ρ_t - ρ_s (DDIM).
 */
export function deisWeights(process: Process, s: number, t: number, times: number[]): { base: number; w: number[] } {
  const q = times.length;
  const at = process.alpha(t);
  const rho = (tau: number) => process.sigma(tau) / process.alpha(tau);
  const base = at / process.alpha(s);
  if (!(process.alpha(s) > 0) || !(at > 0)) throw new DiffusionInputError('timeGrid', t, 'DEIS needs α > 0 on the grid');
  const rs = rho(s);
  const rt = rho(t);
  if (q === 1) return { base, w: [at * (rt - rs)] };
  const ell = (j: number, tau: number) => {
    let v = 1;
    for (let m = 0; m < q; m++) if (m !== j) v *= (tau - times[m]) / (times[j] - times[m]);
    return v;
  };
  const dell = (j: number, tau: number) => {
    let sum = 0;
    for (let k = 0; k < q; k++) {
      if (k === j) continue;
      let v = 1 / (times[j] - times[k]);
      for (let m = 0; m < q; m++) if (m !== j && m !== k) v *= (tau - times[m]) / (times[j] - times[m]);
      sum += v;
    }
    return sum;
  };
  const mid = 0.5 * (s + t);
  const half = 0.5 * (t - s);
  const w = times.map((_, j) => {
    let integral = 0;
    for (let k = 0; k < GL_N; k++) {
      const tau = mid + half * GL.x[k];
      integral += GL.w[k] * dell(j, tau) * rho(tau);
    }
    integral *= half;
    return at * (ell(j, t) * rt - ell(j, s) * rs - integral);
  });
  return { base, w };
}

// ---------------------------------------------------------------------------------------------
// Schemes and the shared multistep driver

export interface MultistepOptions extends SamplerBaseOptions {
  /** Solver order (1-3); default per sampler. */
  order?: number;
  /** Lower the order at the last steps: order at step i ≤ N - i (diffusers' lower_order_final; default true). */
  lowerOrderFinal?: boolean;
  /** DPM-Solver multistep / UniPC: 'noise' (ε̂) or 'data' (x̂_0); default per sampler. */
  prediction?: SolverPrediction;
  /** DPM-Solver order-2 update form (default 'dpmsolver'). */
  solverType?: SolverType;
  /** UniPC B(h) (default per sampler). */
  variant?: UniPCVariant;
  /** UniPC: apply the corrector UniC (default true). */
  corrector?: boolean;
}

const ORDER_OPTION = { name: 'order', type: 'integer', min: 1, max: 3, doc: "solver order (default: the sampler's: 2M 2, 3M 3, UniPC 2, DEIS 3)" } as const;
const LOWER_ORDER_FINAL_OPTION = { name: 'lowerOrderFinal', type: 'boolean', default: true, doc: 'order ≤ N - i at step i (first order on the last step; diffusers lower_order_final, applied at every N)' } as const;
const SOLVER_TYPE_OPTION = { name: 'solverType', type: 'enum', values: SOLVER_TYPES, default: 'dpmsolver', doc: "order-2 update: 'dpmsolver' (½hφ₁ on the difference, Lu et al. 2022b Alg. 2) or 'taylor' (hφ₂)" } as const;
/** Options of dpm-solver-2m, dpm-solver-3m, dpm-solver++3m. */
export const DPM_MULTISTEP_OPTIONS = [ORDER_OPTION, LOWER_ORDER_FINAL_OPTION, SOLVER_TYPE_OPTION] as const satisfies readonly OptionSpec[];
/** Options of unipc-bh1, unipc-bh2. */
export const UNIPC_OPTIONS = [
  ORDER_OPTION,
  LOWER_ORDER_FINAL_OPTION,
  { name: 'prediction', type: 'enum', values: SOLVER_PREDICTIONS, default: 'data', doc: "what UniPC integrates: 'data' (x̂₀, the paper's default) or 'noise' (ε̂)" },
  { name: 'corrector', type: 'boolean', default: true, doc: 'apply UniC after every step but the last (no extra model call)' },
] as const satisfies readonly OptionSpec[];
/** Options of deis. */
export const DEIS_OPTIONS = [ORDER_OPTION, LOWER_ORDER_FINAL_OPTION] as const satisfies readonly OptionSpec[];
/** Options of dpm-solver++2s, dpm-solver++3s. */
export const SINGLESTEP_PP_OPTIONS = [SOLVER_TYPE_OPTION] as const satisfies readonly OptionSpec[];

/** Per-step report of the multistep samplers: the order used and the history after the step. */
export interface MultistepStepInfo extends StepInfo {
  /** Order of the step's predictor. */
  order: number;
  /** The history buffer after the step (newest first): the times and the converted model outputs. */
  history: { t: number[]; m: Rows[] };
  /** UniPC: the corrected state x^c at the start of the step (replacing the previous report's x). */
  corrected?: Rows;
}

/** A multistep method: what it stores and its update weights from the times alone. */
export interface MultistepScheme {
  readonly name: string;
  readonly prediction: SolverPrediction;
  readonly maxOrder: number;
  predictor(process: Process, s: number, t: number, times: number[]): { base: number; w: number[] };
  /** Weights over [history..., new output at t] of the corrected state (UniC); absent for plain multistep. */
  corrector?(process: Process, s: number, t: number, times: number[]): { base: number; w: number[] };
}

function offsetsOf(process: Process, s: number, t: number, times: number[]): { frameH: number; offsets: number[] } {
  const ls = lambdaAt(process, s);
  const h = lambdaAt(process, t) - ls;
  return { frameH: h, offsets: times.map((tau) => (lambdaAt(process, tau) - ls) / h) };
}

/** DPM-Solver multistep (noise) / DPM-Solver++ multistep (data), orders 1-3. */
export function dpmSolverScheme(prediction: SolverPrediction, solverType: SolverType = 'dpmsolver'): MultistepScheme {
  checkOneOf('prediction', prediction, SOLVER_PREDICTIONS);
  checkOneOf('solverType', solverType, SOLVER_TYPES);
  return {
    name: prediction === 'data' ? 'DPM-Solver++ multistep' : 'DPM-Solver multistep',
    prediction,
    maxOrder: 3,
    predictor(process, s, t, times) {
      const frame = expFrame(process, prediction, s, t);
      return { base: frame.base, w: taylorWeights(frame, offsetsOf(process, s, t, times).offsets, solverType) };
    },
  };
}

/** UniPC: UniP-q predictor with the UniC-q corrector (Zhao et al. 2023), orders 1-3. */
export function unipcScheme(prediction: SolverPrediction = 'data', variant: UniPCVariant = 'bh2', corrector = true): MultistepScheme {
  checkOneOf('prediction', prediction, SOLVER_PREDICTIONS);
  checkOneOf('variant', variant, UNIPC_VARIANTS);
  const scheme: MultistepScheme = {
    name: `UniPC-${variant}`,
    prediction,
    maxOrder: 3,
    predictor(process, s, t, times) {
      const frame = expFrame(process, prediction, s, t);
      return { base: frame.base, w: unipcPredictorWeights(frame, offsetsOf(process, s, t, times).offsets, variant) };
    },
  };
  if (corrector) {
    return {
      ...scheme,
      corrector(process, s, t, times) {
        const frame = expFrame(process, prediction, s, t);
        return { base: frame.base, w: unipcCorrectorWeights(frame, offsetsOf(process, s, t, times).offsets, variant) };
      },
    };
  }
  return scheme;
}

/** DEIS tAB (Zhang & Chen 2023), orders 1-3, noise prediction. */
export function deisScheme(): MultistepScheme {
  return { name: 'DEIS tAB', prediction: 'noise', maxOrder: 3, predictor: (process, s, t, times) => deisWeights(process, s, t, times) };
}

/** The converted model output a scheme stores: ε̂ or x̂_0. */
export function predictionOf(model: DiffusionModel, x: Rows, t: number, prediction: SolverPrediction): Rows {
  return prediction === 'data' ? modelX0(model, x, t) : modelEps(model, x, t);
}

/**
 * Order of step i of N: min(order, i + 1) (warm-up: only i + 1 outputs exist) and, with
 * lowerOrderFinal, min(·, N - i) (Lu et al. 2022b App. D / diffusers' lower_order_final; diffusers
 * applies it only below 15 steps, here it is applied whenever set).
 */
export function stepOrder(order: number, i: number, N: number, lowerOrderFinal: boolean): number {
  let q = Math.min(order, i + 1);
  if (lowerOrderFinal) q = Math.min(q, N - i);
  return q;
}

function checkOrder(order: unknown, max: number): number {
  const q = checkPositiveInt('options.order', order);
  if (q > max) throw new DiffusionInputError('options.order', q, `must be ≤ ${max}`);
  return q;
}

/**
 * One multistep update from explicit history (used by the vectors and by the samplers):
 * x_t = base·x + Σ_j w_j m_j over the first q history entries (newest first, times[0] = s).
 */
export function multistepUpdate(scheme: MultistepScheme, process: Process, x: Rows, s: number, t: number, history: { t: number[]; m: Rows[] }, q: number): Rows {
  checkProcess(process);
  if (!(q >= 1 && q <= history.t.length && history.t[0] === s)) throw new DiffusionInputError('history', history.t, `needs ≥ ${q} entries, the newest at s = ${s}`);
  const { base, w } = scheme.predictor(process, s, t, history.t.slice(0, q));
  return lincomb([base, ...w], [x, ...history.m.slice(0, q)]);
}

/**
 * The shared multistep loop. Step i: evaluate the model at the current state (for UniPC, first
 * correct the previous step with it: UniC, whose output is *not* re-evaluated, so one model call
 * per step), push the output on the history, take the order-q update. The last step's predicted
 * state is not corrected (that would take an extra model call).
 */
export function runMultistep(scheme: MultistepScheme, model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}, order = scheme.maxOrder): Float64Array[] {
  checkModel(model);
  const q0 = checkOrder(readOption(ORDER_OPTION, options.order, scheme.name) ?? order, scheme.maxOrder);
  const lof = readOption(LOWER_ORDER_FINAL_OPTION, options.lowerOrderFinal, scheme.name);
  if (options.corrector !== undefined) readOption(UNIPC_OPTIONS[3], options.corrector, scheme.name);
  const grid = checkTimeGrid(timeGrid, model.process, 'any');
  const p = model.process;
  const N = grid.length - 1;
  let cur = checkBatch(x);
  const hist: { t: number[]; m: Rows[] } = { t: [], m: [] };
  let prev: { x: Rows; s: number; q: number } | null = null;
  for (let i = 0; i < N; i++) {
    const s = grid[i];
    const t = grid[i + 1];
    const m = predictionOf(model, cur, s, scheme.prediction);
    let corrected: Rows | undefined;
    if (prev && scheme.corrector && options.corrector !== false) {
      const { base, w } = scheme.corrector(p, prev.s, s, hist.t.slice(0, prev.q));
      cur = lincomb([base, ...w], [prev.x, ...hist.m.slice(0, prev.q), m]);
      corrected = cur;
    }
    hist.t.unshift(s);
    hist.m.unshift(m);
    if (hist.t.length > scheme.maxOrder) {
      hist.t.length = scheme.maxOrder;
      hist.m.length = scheme.maxOrder;
    }
    const q = stepOrder(q0, i, N, lof);
    prev = { x: cur, s, q };
    cur = multistepUpdate(scheme, p, cur, s, t, hist, q);
    const info: MultistepStepInfo = { i, t: s, tNext: t, x: cur, order: q, history: { t: hist.t.slice(), m: hist.m.slice() } };
    if (scheme.prediction === 'data') info.denoised = m;
    if (corrected) info.corrected = corrected;
    options.callback?.(info);
  }
  return cur;
}

/** DPM-Solver multistep (options.prediction 'noise' default, or 'data' = DPM-Solver++), options.order 1-3 (default 2). */
export function sampleDpmSolverMultistep(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  const scheme = dpmSolverScheme(options.prediction ?? 'noise', options.solverType ?? 'dpmsolver');
  return runMultistep(scheme, model, x, timeGrid, options, 2);
}

/** DPM-Solver-2M (noise prediction, order 2, lowerOrderFinal). */
export function sampleDpmSolver2M(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return runMultistep(dpmSolverScheme('noise', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 2 });
}

/** DPM-Solver-3M (noise prediction, order 3, lowerOrderFinal). */
export function sampleDpmSolver3M(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return runMultistep(dpmSolverScheme('noise', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 3 });
}

/**
 * DPM-Solver++(2M) with lowerOrderFinal (2022b Algorithm 2 + App. D). With lowerOrderFinal false it
 * is dpm_solver.ts's sampleDpmSolverPP2M (the registry's 'dpm-solver++2m', kept as it was).
 */
export function sampleDpmSolverPP2MFinal(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return runMultistep(dpmSolverScheme('data', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 2 });
}

/** DPM-Solver++(3M) (data prediction, order 3, lowerOrderFinal). */
export function sampleDpmSolverPP3M(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return runMultistep(dpmSolverScheme('data', options.solverType ?? 'dpmsolver'), model, x, timeGrid, { ...options, order: options.order ?? 3 });
}

/** UniPC (UniP + UniC), options.variant 'bh1' | 'bh2', options.order 1-3 (default 2), data prediction by default. */
export function sampleUniPC(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  const scheme = unipcScheme(options.prediction ?? 'data', options.variant ?? 'bh2', options.corrector ?? true);
  return runMultistep(scheme, model, x, timeGrid, options, 2);
}

export function sampleUniPCBh1(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return sampleUniPC(model, x, timeGrid, { ...options, variant: 'bh1' });
}

export function sampleUniPCBh2(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return sampleUniPC(model, x, timeGrid, { ...options, variant: 'bh2' });
}

/** DEIS tAB, options.order 1-3 (default 3). */
export function sampleDeis(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] {
  return runMultistep(deisScheme(), model, x, timeGrid, options, 3);
}

// ---------------------------------------------------------------------------------------------
// Singlestep DPM-Solver++ (2S, 3S) in the same frame

/**
 * Singlestep update of order 1-3 (2022a Algorithms 1-2 in the frame; 2022b Algorithm 1 for data
 * prediction, order 2). Order 2: s_1 = t_λ(λ_s + h/2), u = order-1 update to s_1,
 * x_t = base x + scale h [φ_1 m_0 + c·(m(u, s_1) - m_0)/r_1] with c = φ_1/2 ('dpmsolver') or φ_2
 * ('taylor'). Order 3: r = 1/3, 2/3; u_1 order 1 to s_1; u_2 = base₂ x + scale₂ r_2 h [φ_1(z₂) m_0
 * + φ_2(z₂)(r_2/r_1)(m_1 - m_0)]; x_t = base x + scale h [φ_1 m_0 + φ_2 (m_2 - m_0)/r_2].
 */
export function singlestepUpdate(model: DiffusionModel, x: Rows, s: number, t: number, order: 1 | 2 | 3, prediction: SolverPrediction, solverType: SolverType = 'dpmsolver'): { x: Rows; m0: Rows } {
  const p = model.process;
  const F = expFrame(p, prediction, s, t);
  const ls = lambdaAt(p, s);
  const m0 = predictionOf(model, x, s, prediction);
  const first = (fr: ExpFrame) => fr.scale * fr.h * phi(1, fr.z);
  if (order === 1) return { x: lincomb([F.base, first(F)], [x, m0]), m0 };
  if (order === 2) {
    const r1 = 0.5;
    const s1 = p.tOfLambda(ls + r1 * F.h);
    const F1 = expFrame(p, prediction, s, s1);
    const u = lincomb([F1.base, first(F1)], [x, m0]);
    const m1 = predictionOf(model, u, s1, prediction);
    const c = solverType === 'dpmsolver' ? 0.5 * F.scale * F.h * phi(1, F.z) : F.scale * F.h * phi(2, F.z);
    return { x: lincomb([F.base, first(F) - c / r1, c / r1], [x, m0, m1]), m0 };
  }
  const r1 = 1 / 3;
  const r2 = 2 / 3;
  const s1 = p.tOfLambda(ls + r1 * F.h);
  const s2 = p.tOfLambda(ls + r2 * F.h);
  const F1 = expFrame(p, prediction, s, s1);
  const u1 = lincomb([F1.base, first(F1)], [x, m0]);
  const m1 = predictionOf(model, u1, s1, prediction);
  const F2 = expFrame(p, prediction, s, s2);
  const c2 = (F2.scale * F2.h * phi(2, F2.z) * r2) / r1; // d_1 of the s → s_2 frame: r_2 h m' ≈ (r_2/r_1)(m_1 - m_0)
  const u2 = lincomb([F2.base, first(F2) - c2, c2], [x, m0, m1]);
  const m2 = predictionOf(model, u2, s2, prediction);
  const c = (F.scale * F.h * phi(2, F.z)) / r2;
  return { x: lincomb([F.base, first(F) - c, c], [x, m0, m2]), m0 };
}

function singlestepSampler(order: 2 | 3) {
  return (model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: MultistepOptions = {}): Float64Array[] => {
    checkModel(model);
    const grid = checkTimeGrid(timeGrid, model.process, 'any');
    const prediction = options.prediction ?? 'data';
    checkOneOf('options.prediction', prediction, SOLVER_PREDICTIONS);
    const solverType = checkOneOf('options.solverType', options.solverType ?? 'dpmsolver', SOLVER_TYPES);
    let cur = checkBatch(x);
    for (let i = 0; i + 1 < grid.length; i++) {
      const r = singlestepUpdate(model, cur, grid[i], grid[i + 1], order, prediction, solverType);
      cur = r.x;
      options.callback?.({ i, t: grid[i], tNext: grid[i + 1], x: cur, denoised: prediction === 'data' ? r.m0 : undefined });
    }
    return cur;
  };
}

/** DPM-Solver++(2S) (2022b Algorithm 1; 2 model calls per step). */
export const sampleDpmSolverPP2S = singlestepSampler(2);
/** DPM-Solver++(3S) (third-order singlestep in data prediction; 3 model calls per step). */
export const sampleDpmSolverPP3S = singlestepSampler(3);

// ---------------------------------------------------------------------------------------------
// Grids, λ clipping, discrete model time

export const SOLVER_SPACINGS = ['time', 'logsnr', 'time-quadratic'] as const;
export type SolverSpacing = (typeof SOLVER_SPACINGS)[number];

/**
 * Decreasing grid of `steps` steps for the solvers (Lu et al. 2022a §3.3 and App. D): uniform in t
 * ('time'), in λ ('logsnr'), or in √t ('time-quadratic': t_i = (√t_0 + (√t_N - √t_0) i/N)²).
 * `lambdaMin` clips the start: if λ(tStart) < lambdaMin, the grid starts at t_λ(lambdaMin)
 * (diffusers' lambda_min_clipped, for schedules whose λ → -∞ at tMax, e.g. cosine).
 */
export function makeSolverGrid(process: Process, steps: number, options: { spacing?: SolverSpacing; tStart?: number; tEnd?: number; lambdaMin?: number } = {}): Float64Array {
  checkProcess(process);
  checkPositiveInt('steps', steps);
  const spacing = checkOneOf('options.spacing', options.spacing ?? 'time', SOLVER_SPACINGS);
  let t0 = checkFiniteNumber('options.tStart', options.tStart ?? process.tMax);
  const t1 = checkFiniteNumber('options.tEnd', options.tEnd ?? process.tMin);
  if (options.lambdaMin !== undefined) {
    const lmin = checkFiniteNumber('options.lambdaMin', options.lambdaMin);
    const l0 = process.lambda(t0);
    if (!(l0 >= lmin)) t0 = process.tOfLambda(lmin);
    if (!(t0 > t1)) throw new DiffusionInputError('options.lambdaMin', lmin, `clips the start to t = ${t0}, not above tEnd = ${t1}`);
  }
  if (spacing !== 'time-quadratic') return makeTimeGrid(process, steps, { spacing, tStart: t0, tEnd: t1 });
  if (!(t0 > t1)) throw new DiffusionInputError('options.tEnd', t1, `must be < tStart = ${t0}`);
  if (t1 < 0) throw new DiffusionInputError('options.tEnd', t1, 'must be ≥ 0');
  const a = Math.sqrt(t0);
  const b = Math.sqrt(t1);
  const g = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) g[i] = (a + ((b - a) * i) / steps) ** 2;
  g[0] = t0;
  g[steps] = t1;
  return checkTimeGrid(g, process, 'decreasing');
}

/**
 * Lu et al. 2022a App. (discrete-time DPMs): a network trained on N discrete steps takes the
 * 0-based step n ∈ {0..N-1}; the continuous time t_c ∈ [1/N, 1] maps to n = N·(t_c - 1/N)
 * (= (t_c - 1/N)·1000 in the published code, which is this map only for N = 1000).
 */
export function discreteModelTime(tContinuous: number, N: number): number {
  checkPositiveInt('N', N);
  const tc = checkFiniteNumber('tContinuous', tContinuous);
  if (tc < 1 / N - 1e-12 || tc > 1 + 1e-12) throw new DiffusionInputError('tContinuous', tc, `must lie in [1/N, 1] = [${1 / N}, 1]`);
  return N * (tc - 1 / N);
}

/** Inverse of discreteModelTime: t_c = (n + 1)/N. */
export function continuousTimeOfModelTime(n: number, N: number): number {
  checkPositiveInt('N', N);
  const v = checkFiniteNumber('n', n);
  if (v < -1e-12 || v > N - 1 + 1e-12) throw new DiffusionInputError('n', v, `must lie in [0, N-1] = [0, ${N - 1}]`);
  return (v + 1) / N;
}

/**
 * A network indexed by the 0-based discrete step n, as a DiffusionModel of discreteVpProcess(betas)
 * (whose time τ is the papers' 1-based index, τ ∈ [1, N] on the sampling range): t_c = τ/N and
 * n = discreteModelTime(t_c, N) = τ - 1. Fractional n (intermediate solver times) is passed as is.
 */
export function discreteTimeModel(betas: ArrayLike<number>, output: ModelOutput, net: (x: Rows, n: number) => Rows): DiffusionModel {
  validateBetas(betas);
  const N = betas.length;
  const process = discreteVpProcess(betas);
  return makeModel(process, output, (x, tau) => {
    if (tau < 1) throw new DiffusionInputError('t', tau, 'a discrete-time network is defined for τ ∈ [1, N] (n = τ - 1 ≥ 0)');
    return net(x, discreteModelTime(tau / N, N));
  });
}
