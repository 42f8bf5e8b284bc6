/**
 * The model interface every score-based sampler takes (catalog E3-E9, G).
 *
 * A *model* is a function of (x_t, t) returning one of ε̂, x̂_0, v̂ or the score ∇log p_t,
 * together with the process it was trained for. Samplers convert between these outputs with
 * `modelEps` / `modelScore` / `modelX0` (D1-D3 written for general α, σ).
 *
 * This file used to hold the processes, time grids, row helpers and sampler options too; they now
 * live in processes.ts, grids.ts, rows.ts and sampling.ts, and are re-exported here so that
 * imports from './model.js' keep working.
 */
import { DiffusionInputError, checkOneOf, checkFiniteOutput } from './errors.js';
import { checkProcess, type Process } from './processes.js';
import type { Rows } from './rows.js';

export * from './processes.js';
export * from './grids.js';
export * from './rows.js';
export * from './sampling.js';

export const MODEL_OUTPUTS = ['eps', 'x0', 'v', 'score', 'flow'] as const;
export type ModelOutput = (typeof MODEL_OUTPUTS)[number];

/**
 * A diffusion model (or an exact oracle): `apply(x, t)` returns the `output` quantity for every
 * row of the batch x at time t of `process`.
 */
export interface DiffusionModel {
  readonly process: Process;
  readonly output: ModelOutput;
  apply(x: Rows, t: number): Rows;
}

/** Wrap a function as a DiffusionModel (validates the output name and the process). */
export function makeModel(process: Process, output: ModelOutput, apply: (x: Rows, t: number) => Rows): DiffusionModel {
  checkProcess(process);
  checkOneOf('output', output, MODEL_OUTPUTS);
  if (typeof apply !== 'function') throw new DiffusionInputError('apply', apply, 'must be a function (x: batch, t) → batch');
  return { process, output, apply };
}

export function checkModel(m: unknown, name = 'model'): DiffusionModel {
  const o = m as Partial<DiffusionModel> | null;
  if (!o || typeof o !== 'object' || typeof o.apply !== 'function') {
    throw new DiffusionInputError(name, m, 'must be a DiffusionModel {process, output, apply(x, t)} (see makeModel)');
  }
  checkProcess(o.process, `${name}.process`);
  checkOneOf(`${name}.output`, o.output, MODEL_OUTPUTS);
  return o as DiffusionModel;
}

function callModel(model: DiffusionModel, x: Rows, t: number): Rows {
  const out = model.apply(x, t);
  if (!Array.isArray(out) || out.length !== x.length) {
    throw new DiffusionInputError('model output', Array.isArray(out) ? `batch of ${out.length}` : out, `shape mismatch: input batch has ${x.length} rows`);
  }
  for (let i = 0; i < out.length; i++) {
    if (!out[i] || out[i].length !== x[i].length) throw new DiffusionInputError(`model output[${i}]`, out[i]?.length, `shape mismatch: x[${i}] has length ${x[i].length}`);
    checkFiniteOutput(`model output[${i}] at t=${t}`, out[i]);
  }
  return out;
}

function mapRows(x: Rows, out: Rows, fn: (xi: number, oi: number) => number): Rows {
  return x.map((row, r) => {
    const o = new Float64Array(row.length);
    const m = out[r];
    for (let i = 0; i < row.length; i++) o[i] = fn(row[i], m[i]);
    return o;
  });
}

/**
 * (dα/dt, dσ/dt) of the process at t, from f = d log α/dt and g² = dσ²/dt - 2fσ² (Lu et al. 2022
 * eq. 2.3): α' = f α, σ' = (g² + 2fσ²)/(2σ). The rectified-flow process (α = 1-t, σ = t; Liu et al.
 * 2023 eq. 1) returns its exact (-1, 1), also at t = 1 where f = -1/α is infinite.
 */
export function processRates(process: Process, t: number): { dAlpha: number; dSigma: number } {
  if (process.kind === 'flow') {
    process.alpha(t); // range check
    return { dAlpha: -1, dSigma: 1 };
  }
  const a = process.alpha(t);
  const s = process.sigma(t);
  const f = process.f(t);
  if (!(s > 0)) throw new DiffusionInputError('t', t, 'dσ/dt from g² needs σ(t) > 0');
  return { dAlpha: f * a, dSigma: (process.g2(t) + 2 * f * s * s) / (2 * s) };
}

/**
 * The flow-velocity output u = dx_t/dt along the conditional path, u = α' x_0 + σ' ε (rectified
 * flow: u = ε - x_0, Liu et al. 2023 eq. 1; Lipman et al. 2023 eq. 20 with σ_min = 0), converted:
 * with x = α x_0 + σ ε and det = α σ' - σ α' (> 0 when α decreases and σ increases):
 * x_0 = (σ' x - σ u)/det, ε = (α u - α' x)/det.
 */
function flowFactors(model: DiffusionModel, t: number): { a: number; s: number; da: number; ds: number; det: number } {
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  const { dAlpha: da, dSigma: ds } = processRates(model.process, t);
  const det = a * ds - s * da;
  if (!(det > 0) || !Number.isFinite(det)) throw new DiffusionInputError('t', t, "the flow velocity does not determine (x̂_0, ε̂) here (α σ' - σ α' ≤ 0)");
  return { a, s, da, ds, det };
}

/**
 * ε̂(x, t) from any model output (D1-D3 for general α, σ): score s → ε = -σ s;
 * x̂_0 → ε = (x - α x̂_0)/σ; v̂ (v = α ε - σ x_0) → ε = (α v + σ x)/(α² + σ²).
 */
export function modelEps(model: DiffusionModel, x: Rows, t: number): Rows {
  const out = callModel(model, x, t);
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  switch (model.output) {
    case 'eps':
      return out;
    case 'score':
      return mapRows(x, out, (_xi, si) => -s * si);
    case 'x0':
      if (!(s > 0)) throw new DiffusionInputError('t', t, 'ε̂ from x̂_0 is undefined where σ(t) = 0');
      return mapRows(x, out, (xi, x0) => (xi - a * x0) / s);
    case 'v':
      return mapRows(x, out, (xi, v) => (a * v + s * xi) / (a * a + s * s));
    case 'flow': {
      const k = flowFactors(model, t);
      return mapRows(x, out, (xi, u) => (a * u - k.da * xi) / k.det);
    }
  }
}

/** Score ∇log p_t(x) from any model output: s = -ε̂/σ (D3), or (α x̂_0 - x)/σ². */
export function modelScore(model: DiffusionModel, x: Rows, t: number): Rows {
  if (model.output === 'score') return callModel(model, x, t);
  const s = model.process.sigma(t);
  if (!(s > 0)) throw new DiffusionInputError('t', t, 'the score from ε̂ is undefined where σ(t) = 0; use a score model');
  const eps = modelEps(model, x, t);
  return eps.map((e) => e.map((v) => -v / s));
}

/** x̂_0 = E[x_0|x_t] from any model output: (x - σ ε̂)/α (D1); Tweedie (x + σ² s)/α (D3). */
export function modelX0(model: DiffusionModel, x: Rows, t: number): Rows {
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  if (model.output === 'x0') return callModel(model, x, t);
  if (model.output === 'v') {
    const out = callModel(model, x, t);
    return mapRows(x, out, (xi, v) => (a * xi - s * v) / (a * a + s * s));
  }
  if (model.output === 'flow') {
    const k = flowFactors(model, t);
    const out = callModel(model, x, t);
    return mapRows(x, out, (xi, u) => (k.ds * xi - s * u) / k.det);
  }
  if (!(a > 0)) throw new DiffusionInputError('t', t, 'x̂_0 from ε̂ or the score is undefined where α(t) = 0; use an x0- or v-model');
  if (model.output === 'score') {
    const out = callModel(model, x, t);
    return mapRows(x, out, (xi, sc) => (xi + s * s * sc) / a);
  }
  const eps = modelEps(model, x, t);
  return mapRows(x, eps, (xi, e) => (xi - s * e) / a);
}

