/**
 * Flow matching / rectified flow (Liu et al. 2023 "Flow straight and fast", eq. 1; Lipman et al.
 * 2023 "Flow matching", eqs. 20-23 with σ_min = 0; Esser et al. 2024 "SD3", §2-3 and §5.3.2).
 *
 * The process is the straight interpolation x_t = (1-t) x_0 + t ε, t ∈ [0, 1] (α = 1-t, σ = t):
 * InDI's interpolation with noise 1, signal 0, no extra noise (004 §2.9 eq. 62; see indiProcess),
 * here with its own kind 'flow' so that samplers and conversions can take dα/dt = -1, dσ/dt = 1
 * exactly (also at t = 1, where f = d log α/dt is infinite). The regression target of flow
 * matching is the conditional velocity u = dx_t/dt = ε - x_0 (Liu et al. eq. 1; SD3 eq. 3 with
 * a = 1-t, b = t); its minimizer is the marginal velocity E[ε - x_0 | x_t] = (x_t - E[x_0|x_t])/t,
 * so for Gaussian-mixture data the exact velocity is the mixture posterior mean in closed form
 * (mixture.ts: mixtureModel(mix, flowProcess(), 'flow')). Sampling integrates dx/dt = u(x, t)
 * from t = 1 (pure noise) to t = 0 with Euler or Heun on a decreasing grid, optionally shifted by
 * the SD3 time shift t ↦ s t / (1 + (s-1) t) (Esser et al. eq. 23).
 */
import { DiffusionInputError, checkFiniteNumber, checkFiniteOutput, checkPositiveInt } from './errors.js';
import { checkBatch, checkModel, checkTimeGrid, modelEps, modelX0, processRates, type DiffusionModel, type Process, type Rows } from './model.js';
import type { SamplerBaseOptions } from './sampling.js';
import { mixturePosteriorMean, type GaussianMixture } from './mixture.js';
import { normalCdf } from './normal.js';
import type { Rng } from './rng.js';
import { requireProcessKind } from './processes.js';
import type { OptionSpec } from './sampling.js';

/** Options of flow-euler and flow-heun (none of their own). */
export const FLOW_OPTIONS = [] as const satisfies readonly OptionSpec[];

/**
 * The rectified-flow process x_t = (1-t) x_0 + t ε (Liu et al. 2023 eq. 1): α = 1-t, σ = t,
 * λ = log((1-t)/t), t(λ) = 1/(1+e^λ), f = d log α/dt = -1/(1-t), g² = dσ²/dt - 2fσ² = 2t/(1-t)
 * (Lu et al. 2022 eq. 2.3). tMin = 0 (the flow samplers end at the data); solvers in λ need a
 * grid inside (0, 1) (λ is infinite at both ends).
 */
export function flowProcess(options: { tMin?: number } = {}): Process {
  const tMin = checkFiniteNumber('options.tMin', options.tMin ?? 0);
  if (!(tMin >= 0 && tMin < 1)) throw new DiffusionInputError('options.tMin', tMin, 'must lie in [0, 1)');
  const label = 'rectified flow (α = 1-t, σ = t)';
  const check = (t: unknown): number => {
    const v = checkFiniteNumber('t', t);
    if (v < 0 || v > 1) throw new DiffusionInputError('t', v, `time out of range [0, 1] of ${label}`);
    return v;
  };
  return {
    kind: 'flow',
    tMin,
    tMax: 1,
    label,
    alpha: (t) => 1 - check(t),
    sigma: (t) => check(t),
    lambda: (t) => {
      const v = check(t);
      return Math.log1p(-v) - Math.log(v);
    },
    tOfLambda: (l) => {
      checkFiniteNumber('lambda', l);
      // 1/(1+e^λ) without overflow.
      return l > 0 ? Math.exp(-l) / (1 + Math.exp(-l)) : 1 / (1 + Math.exp(l));
    },
    f: (t) => -1 / (1 - check(t)),
    g2: (t) => {
      const v = check(t);
      return (2 * v) / (1 - v);
    },
  };
}

/**
 * The flow velocity u(x, t) = α' x̂_0 + σ' ε̂ of any model (the PF-ODE right-hand side dx/dt,
 * since x_t = α x_0 + σ ε along the ODE with x̂_0, ε̂ the conditional means). A 'flow' model is read
 * directly; an 'x0' model gives u = α' x̂_0 + σ'(x - α x̂_0)/σ; other outputs go through ε̂:
 * u = α'(x - σ ε̂)/α + σ' ε̂ (needs α > 0).
 */
export function modelFlowVelocity(model: DiffusionModel, x: Rows, t: number): Rows {
  const p = model.process;
  const { dAlpha: da, dSigma: ds } = processRates(p, t);
  const a = p.alpha(t);
  const s = p.sigma(t);
  if (model.output === 'flow') return checkedVelocity(model, x, t);
  if (model.output === 'x0') {
    if (!(s > 0)) throw new DiffusionInputError('t', t, 'the velocity from x̂_0 needs σ(t) > 0');
    const x0 = modelX0(model, x, t);
    return x.map((row, r) => row.map((v, i) => da * x0[r][i] + (ds * (v - a * x0[r][i])) / s));
  }
  if (!(a > 0)) throw new DiffusionInputError('t', t, 'the velocity from ε̂ needs α(t) > 0; use a flow- or x0-model');
  const e = modelEps(model, x, t);
  return x.map((row, r) => row.map((v, i) => (da * (v - s * e[r][i])) / a + ds * e[r][i]));
}

// A 'flow' model's raw output, with the shape and finiteness checks every model call gets.
function checkedVelocity(model: DiffusionModel, x: Rows, t: number): Rows {
  const out = model.apply(x, t);
  if (!Array.isArray(out) || out.length !== x.length) throw new DiffusionInputError('model output', Array.isArray(out) ? `batch of ${out.length}` : out, `shape mismatch: input batch has ${x.length} rows`);
  return out.map((row, r) => {
    if (!row || row.length !== x[r].length) throw new DiffusionInputError(`model output[${r}]`, row?.length, `shape mismatch: x[${r}] has length ${x[r].length}`);
    checkFiniteOutput(`model output[${r}] at t=${t}`, row);
    return Float64Array.from(row);
  });
}

function checkFlowGrid(model: DiffusionModel, timeGrid: ArrayLike<number>): Float64Array {
  checkModel(model);
  requireProcessKind(model.process, ['flow'], 'the flow samplers');
  return checkTimeGrid(timeGrid, model.process, 'decreasing');
}

/** Euler step of dx/dt = u (Liu et al. 2023 §2.1 "Euler method"): x + (t_next - t)·u(x, t). */
export function flowEulerStep(model: DiffusionModel, x: Rows, t: number, tNext: number, u?: Rows): Rows {
  const v = u ?? modelFlowVelocity(model, x, t);
  const dt = tNext - t;
  return x.map((row, r) => row.map((xi, i) => xi + dt * v[r][i]));
}

/**
 * Heun step (explicit trapezoid; Karras et al. 2022 Algorithm 1 in t): x̃ = x + Δ u(x,t);
 * x + Δ/2 (u(x,t) + u(x̃, t_next)). At t_next = 0 with a model whose velocity is undefined at σ = 0
 * ('eps', 'v', 'score' oracles) the step is the Euler step, as Karras et al. do at σ_next = 0.
 */
export function flowHeunStep(model: DiffusionModel, x: Rows, t: number, tNext: number): Rows {
  const u1 = modelFlowVelocity(model, x, t);
  const xe = flowEulerStep(model, x, t, tNext, u1);
  if (!(model.process.sigma(tNext) > 0)) return xe;
  const u2 = modelFlowVelocity(model, xe, tNext);
  const dt = tNext - t;
  return x.map((row, r) => row.map((xi, i) => xi + 0.5 * dt * (u1[r][i] + u2[r][i])));
}

/** Flow Euler sampler over a decreasing grid (1 model call per step). */
export function sampleFlowEuler(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerBaseOptions = {}): Float64Array[] {
  const grid = checkFlowGrid(model, timeGrid);
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    cur = flowEulerStep(model, cur, grid[i], grid[i + 1]);
    options.callback?.({ i, t: grid[i], tNext: grid[i + 1], x: cur });
  }
  return cur;
}

/** Flow Heun sampler over a decreasing grid (2 model calls per step, 1 on a last step to σ = 0). */
export function sampleFlowHeun(model: DiffusionModel, x: Rows, timeGrid: ArrayLike<number>, options: SamplerBaseOptions = {}): Float64Array[] {
  const grid = checkFlowGrid(model, timeGrid);
  let cur = checkBatch(x);
  for (let i = 0; i + 1 < grid.length; i++) {
    cur = flowHeunStep(model, cur, grid[i], grid[i + 1]);
    options.callback?.({ i, t: grid[i], tNext: grid[i + 1], x: cur });
  }
  return cur;
}

// ---------------------------------------------------------------------------------------------
// Time shift (SD3) and grids

function checkShift(shift: unknown): number {
  const s = checkFiniteNumber('shift', shift);
  if (!(s > 0)) throw new DiffusionInputError('shift', s, 'must be > 0');
  return s;
}

function checkUnitTime(name: string, t: unknown): number {
  const v = checkFiniteNumber(name, t);
  if (v < 0 || v > 1) throw new DiffusionInputError(name, v, 'must lie in [0, 1]');
  return v;
}

/**
 * SD3 time shift (Esser et al. 2024 eq. 23 with α = shift): t ↦ s·t / (1 + (s-1)·t). s > 1 moves
 * the grid toward noise (t = 1); fixed points 0 and 1; s = 1 is the identity. Equivalently the
 * shifted time has SNR_shifted = SNR/s² ((1-t')/t' = ((1-t)/t)/s).
 */
export function timeShift(t: number, shift: number): number {
  const s = checkShift(shift);
  const v = checkUnitTime('t', t);
  return (s * v) / (1 + (s - 1) * v);
}

/** Inverse of timeShift: t = t' / (s - (s-1) t'). */
export function inverseTimeShift(tShifted: number, shift: number): number {
  const s = checkShift(shift);
  const v = checkUnitTime('tShifted', tShifted);
  return v / (s - (s - 1) * v);
}

/**
 * Resolution-dependent shift (Esser et al. 2024 §5.3.2, eq. 23): a model trained at n pixels
 * (basePixels; SD3: 256²) sampled at m pixels keeps the same noise-level statistics with
 * s = √(m/n). (SD3 itself ships s = 3.0 at 1024², chosen by preference, not this formula's 4.)
 */
export function resolutionShift(pixels: number, basePixels = 256 * 256): number {
  const m = checkFiniteNumber('pixels', pixels);
  const n = checkFiniteNumber('basePixels', basePixels);
  if (!(m > 0)) throw new DiffusionInputError('pixels', m, 'must be > 0');
  if (!(n > 0)) throw new DiffusionInputError('basePixels', n, 'must be > 0');
  return Math.sqrt(m / n);
}

/**
 * Decreasing flow grid of `steps` steps: uniform in t from tStart (1) to tEnd (0), then shifted
 * by timeShift(·, shift) (SD3 / diffusers' FlowMatchEulerDiscrete convention: shift the uniform
 * grid, keep the end points).
 */
export function makeFlowGrid(steps: number, options: { shift?: number; tStart?: number; tEnd?: number } = {}): Float64Array {
  checkPositiveInt('steps', steps);
  const s = checkShift(options.shift ?? 1);
  const t0 = checkUnitTime('options.tStart', options.tStart ?? 1);
  const t1 = checkUnitTime('options.tEnd', options.tEnd ?? 0);
  if (!(t0 > t1)) throw new DiffusionInputError('options.tEnd', t1, `must be < tStart = ${t0}`);
  const g = new Float64Array(steps + 1);
  for (let i = 0; i <= steps; i++) g[i] = timeShift(t0 + ((t1 - t0) * i) / steps, s);
  return g;
}

// ---------------------------------------------------------------------------------------------
// Training: logit-normal times and the flow-matching pair

function checkLogitNormal(mean: unknown, std: unknown): [number, number] {
  const m = checkFiniteNumber('mean', mean);
  const s = checkFiniteNumber('std', std);
  if (!(s > 0)) throw new DiffusionInputError('std', s, 'must be > 0');
  return [m, s];
}

/**
 * Logit-normal density of the training time (Esser et al. 2024 eq. 19):
 * π(t; m, s) = 1/(s√(2π)) · 1/(t(1-t)) · exp(-(logit t - m)²/(2s²)), t ∈ (0, 1); 0 at the ends.
 */
export function logitNormalPdf(t: number, mean = 0, std = 1): number {
  const [m, s] = checkLogitNormal(mean, std);
  const v = checkUnitTime('t', t);
  if (v === 0 || v === 1) return 0;
  const z = (Math.log(v) - Math.log1p(-v) - m) / s;
  return Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI) * v * (1 - v));
}

/** Its CDF Φ((logit t - m)/s). */
export function logitNormalCdf(t: number, mean = 0, std = 1): number {
  const [m, s] = checkLogitNormal(mean, std);
  const v = checkUnitTime('t', t);
  if (v === 0) return 0;
  if (v === 1) return 1;
  return normalCdf((Math.log(v) - Math.log1p(-v) - m) / s);
}

/** n training times t = sigmoid(m + s·z), z ~ N(0, 1) (Esser et al. §3.1 "Logit-Normal Sampling"). */
export function sampleLogitNormal(rng: Rng, n: number, mean = 0, std = 1): Float64Array {
  const [m, s] = checkLogitNormal(mean, std);
  checkPositiveInt('n', n);
  const z = rng.normals(n);
  return z.map((v) => {
    const u = m + s * v;
    return u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
  });
}

/**
 * The flow-matching training pair (Lipman et al. 2023 eq. 23; Liu et al. 2023 eq. 1):
 * x_t = (1-t) x_0 + t ε and the regression target u = ε - x_0.
 */
export function flowTrainingPair(x0: ArrayLike<number>, eps: ArrayLike<number>, t: number): { xt: Float64Array; target: Float64Array } {
  const v = checkUnitTime('t', t);
  if (x0.length !== eps.length) throw new DiffusionInputError('eps', `length ${eps.length}`, `shape mismatch: x0 has length ${x0.length}`);
  const xt = new Float64Array(x0.length);
  const target = new Float64Array(x0.length);
  for (let i = 0; i < x0.length; i++) {
    xt[i] = (1 - v) * x0[i] + v * eps[i];
    target[i] = eps[i] - x0[i];
  }
  return { xt, target };
}

/**
 * Exact marginal velocity for Gaussian-mixture data (the flow-matching minimizer):
 * u(x, t) = E[ε - x_0 | x_t = x] = (x - E[x_0|x_t = x])/t, t ∈ (0, 1], with the mixture
 * posterior mean of mixture.ts at (α, σ) = (1-t, t).
 */
export function mixtureFlowVelocity(mix: GaussianMixture, t: number, x: Rows): Rows {
  const v = checkUnitTime('t', t);
  if (!(v > 0)) throw new DiffusionInputError('t', v, 'the velocity is E[ε] - x = -x at t = 0 only in the limit; use t > 0');
  const x0 = mixturePosteriorMean(mix, 1 - v, v, x) as Float64Array[];
  return x.map((row, r) => row.map((xi, i) => (xi - x0[r][i]) / v));
}
