/**
 * The score-family vector operations (issue 8, second part): how a vector of the score families is
 * run on an implementation through the members of src/conformance/interface.ts.
 *
 * Three score-family operations are interface members themselves (mixtureLogPdf, mixtureScore,
 * mixturePosteriorMean: arguments (mixture, α, σ, x)). The others are *derived*: the kit turns the
 * vector's language-neutral inputs (a process spec, a model spec, a time grid, the noise) into calls
 * of the members they need:
 *  - processCoefficients(process, t)       → scoreProcess(kind, options) and its α, σ, λ, f, g²;
 *  - mixtureModelOutput(mixture, process, output, t, x) → mixtureModel(mix, scoreProcess(…), output).apply([x], t);
 *  - samplerStep(sampler, process, model, x, timeGrid, options) → scoreSampler(name)(model, [x], timeGrid,
 *    {…options, rng}) where `rng` replays the vector's noise draws in order;
 *  - classifierGuidedEps / classifierFreeGuidedEps → classifierGuidance / classifierFreeGuidance
 *    wrapped around the vector's model(s), applied at (x, t), the result converted to ε.
 *
 * Specs (plain JSON, so that any language can read them):
 *  - process: {kind: 'vp', options: {betaMin, betaMax}} | {kind: 've', options: {sigmaMin, sigmaMax}}
 *    | {kind: 'indi', options: {noise, signal, extraNoise}} | {kind: 'discrete-vp', betas: [β_1..β_T]};
 *  - model: {kind: 'given', output, value}: the model's output (ε̂, x̂_0, v̂ or score) at the step's
 *    input (x, t_0) — the only point a one-evaluation step may call it at (the kit's model throws
 *    elsewhere); or {kind: 'mixture', output, mixture}: the exact oracle of Gaussian-mixture data
 *    (catalog G) on the vector's process, an analytic function any implementation can evaluate, for
 *    steps that call the model at intermediate points (Heun, RK4, DPM-Solver-2/3, corrector steps).
 *    The model is part of the vector (a fixture), so the kit evaluates it with the float64
 *    reference on the reference's process built from the same spec; the implementation's own
 *    process object (scoreProcess) is what its sampler sees as model.process.
 */
import * as R from '../../reference/index.js';
import type { Arr, DiffusionImpl, DiffusionModel, MixtureSpec, ModelOutput, Process } from '../interface.js';

export interface ProcessSpec {
  kind: 'vp' | 've' | 'indi' | 'discrete-vp' | 'flow';
  options?: Record<string, number>;
  betas?: number[];
}

export type ModelSpec =
  | { kind: 'given'; output: ModelOutput; value: number[] }
  | { kind: 'mixture'; output: ModelOutput; mixture: MixtureSpec }
  | { kind: 'sequence'; output: ModelOutput; times: number[]; values: number[][] };

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function checkProcessSpec(spec: unknown): ProcessSpec {
  if (!isObj(spec) || typeof spec.kind !== 'string') throw new TypeError(`not a process spec: ${JSON.stringify(spec)}`);
  return spec as unknown as ProcessSpec;
}

/** The argument scoreProcess takes after `kind`: the options, or β_1..β_T for 'discrete-vp'. */
function processArg(spec: ProcessSpec): Record<string, number> | Arr | undefined {
  return spec.kind === 'discrete-vp' ? (spec.betas as Arr) : spec.options;
}

/** The implementation's process for a spec. */
export function implProcess(impl: DiffusionImpl, specIn: unknown): Process {
  const spec = checkProcessSpec(specIn);
  return impl.scoreProcess!(spec.kind, processArg(spec));
}

/** The float64 reference's process for a spec (used to evaluate fixture models). */
export function referenceProcess(specIn: unknown): Process {
  const spec = checkProcessSpec(specIn);
  switch (spec.kind) {
    case 'vp':
      return R.vpProcess(spec.options ?? {});
    case 've':
      return R.veProcess(spec.options ?? {});
    case 'indi':
      return R.indiProcess((spec.options ?? {}) as { noise?: number; signal?: 0 | 1; extraNoise?: number });
    case 'discrete-vp':
      return R.discreteVpProcess(spec.betas as number[]);
    case 'flow':
      return R.flowProcess(spec.options ?? {});
    default:
      throw new R.DiffusionInputError('process.kind', spec.kind, 'unknown process kind');
  }
}

const ANCHOR_RTOL = 2 ** -20; // a float32 tier passes x rounded to float32 (relative error ≤ 2^-24)

function near(a: number, b: number): boolean {
  return Math.abs(a - b) <= ANCHOR_RTOL * Math.max(1, Math.abs(b));
}

/** Throws unless the model is called at the step's input (x, t) (given-value models). */
function checkAnchor(rows: Float64Array[], t: number, anchor: { x: ArrayLike<number>; t: number }, what: string): void {
  const ok = rows.length === 1 && rows[0].length === anchor.x.length && near(t, anchor.t) && Array.from(rows[0]).every((v, i) => near(v, anchor.x[i]));
  if (!ok) {
    throw new Error(
      `the vector gives the ${what} only at the step's input (x, t = ${anchor.t}); it was evaluated at t = ${t}` +
        (rows.length === 1 ? `, x = [${Array.from(rows[0]).join(', ')}]` : ` on a batch of ${rows.length}`),
    );
  }
}

/**
 * Generator hook (src/conformance/vectors/generate.ts, error-scale analysis): called with the index of every
 * evaluation of a mixture fixture model and its output, which it may perturb. Null otherwise.
 */
export const fixtureHook: { onOutput: ((k: number, out: Float64Array[]) => void) | null; count: number } = { onOutput: null, count: 0 };

/** The model of a vector: given values at (x, t) or the exact mixture oracle; model.process = the implementation's process. */
export function fixtureModel(specIn: unknown, process: Process, refProcess: () => Process, anchor: { x: ArrayLike<number>; t: number }): DiffusionModel {
  if (!isObj(specIn) || typeof specIn.output !== 'string') throw new TypeError(`not a model spec: ${JSON.stringify(specIn)}`);
  const spec = specIn as unknown as ModelSpec;
  const output = R.checkOneOf('model.output', spec.output, R.MODEL_OUTPUTS);
  if (spec.kind === 'given') {
    const value = Float64Array.from(spec.value);
    return { process, output, apply: (rows, t) => (checkAnchor(rows, t, anchor, 'model output'), [Float64Array.from(value)]) };
  }
  if (spec.kind === 'sequence') {
    // The multistep vectors' history as inputs: call k (at times[k]) returns values[k], whatever x is.
    let k = 0;
    return {
      process,
      output,
      apply: (rows, t) => {
        if (k >= spec.values.length) throw new Error(`the vector gives ${spec.values.length} model outputs; the sampler made call ${k + 1} (t = ${t})`);
        if (rows.length !== 1 || !near(t, spec.times[k])) throw new Error(`model call ${k + 1} at t = ${t}; the vector gives it at t = ${spec.times[k]}`);
        return [Float64Array.from(spec.values[k++])];
      },
    };
  }
  if (spec.kind === 'mixture') {
    // Built on first use: an invalid process spec is then reported by the implementation, not by the kit.
    let oracle: DiffusionModel | null = null;
    return {
      process,
      output,
      apply: (rows, t) => {
        oracle ??= R.mixtureModel(R.makeMixture(spec.mixture), refProcess(), output);
        const out = oracle.apply(rows.map((r) => Float64Array.from(r)), t);
        if (fixtureHook.onOutput) fixtureHook.onOutput(fixtureHook.count++, out);
        return out;
      },
    };
  }
  throw new TypeError(`unknown model kind ${JSON.stringify((spec as { kind?: unknown }).kind)}`);
}

/**
 * An Rng stand-in that hands out the vector's noise draws in order (one standard-normal vector per
 * draw: `normals(d)` with d = the data dimension, the order in which the reference samplers draw).
 */
export function replayRng(noise: unknown): R.Rng {
  const draws = Array.isArray(noise) ? (noise as unknown[]) : [];
  let k = 0;
  const next = (n: number): Float64Array => {
    if (k >= draws.length) throw new Error(`the vector gives ${draws.length} noise draw(s); the sampler asked for draw ${k + 1}`);
    const z = draws[k++] as number[];
    if (!Array.isArray(z) || z.length !== n) throw new Error(`noise draw ${k} has length ${Array.isArray(z) ? z.length : '?'}, the sampler asked for ${n}`);
    return Float64Array.from(z);
  };
  const rng = {
    normals: next,
    normalBatch: (r: number, d: number) => Array.from({ length: r }, () => next(d)),
    normal: () => next(1)[0],
    uniform: () => {
      throw new Error('a vector step draws no uniform numbers');
    },
  };
  return rng as unknown as R.Rng;
}

/** The VE process that carries σ-space fixtures (α = 1, σ(t) = σ; covers σ ∈ [1e-3, 1e3]). */
export const SIGMA_SPACE_VE = { sigmaMin: 1e-3, sigmaMax: 1e3 };

/**
 * A σ-space vector's model: {kind: 'given', value} = D(x̃; σ_0) at the run's input only, or {kind:
 * 'mixture', mixture} = the exact denoiser E[x_0 | x_0 + σε = x̃] of that mixture, as an x0-model on
 * the implementation's VE process (σ read back as process.sigma(t)).
 */
export function sigmaFixtureModel(specIn: unknown, process: Process, anchor: { x: ArrayLike<number>; sigma: number }): DiffusionModel {
  if (!isObj(specIn)) throw new TypeError(`not a model spec: ${JSON.stringify(specIn)}`);
  const spec = specIn as { kind: string; value?: number[]; mixture?: MixtureSpec };
  if (spec.kind === 'given') {
    const value = Float64Array.from(spec.value ?? []);
    return {
      process,
      output: 'x0',
      apply: (rows, t) => {
        const s = process.sigma(t);
        const ok = rows.length === 1 && near(s, anchor.sigma) && Array.from(rows[0]).every((v, i) => near(v, anchor.x[i]));
        if (!ok) throw new Error(`the vector gives D only at the run's input (x̃, σ = ${anchor.sigma}); it was evaluated at σ = ${s}`);
        return [Float64Array.from(value)];
      },
    };
  }
  if (spec.kind === 'mixture') {
    let mix: R.GaussianMixture | null = null;
    return {
      process,
      output: 'x0',
      apply: (rows, t) => {
        mix ??= R.makeMixture(spec.mixture!);
        const out = R.mixturePosteriorMean(mix, 1, process.sigma(t), rows.map((r) => Float64Array.from(r))) as Float64Array[];
        if (fixtureHook.onOutput) fixtureHook.onOutput(fixtureHook.count++, out);
        return out;
      },
    };
  }
  throw new TypeError(`unknown model kind ${JSON.stringify(spec.kind)}`);
}

function row(x: unknown): Float64Array {
  return Float64Array.from(x as ArrayLike<number>);
}

/** ε from a model output at (x, t) of `process` (D1-D3 for general α, σ), for guided models. */
function toEps(output: ModelOutput, out: ArrayLike<number>, x: Float64Array, process: Process, t: number): number[] {
  const a = process.alpha(t);
  const s = process.sigma(t);
  return Array.from(x, (xi, i) => {
    const o = out[i];
    switch (output) {
      case 'eps':
        return o;
      case 'score':
        return -s * o;
      case 'x0':
        return (xi - a * o) / s;
      case 'v':
        return (a * o + s * xi) / (a * a + s * s);
      case 'flow': {
        const { dAlpha, dSigma } = R.processRates(process, t);
        return (a * o - dAlpha * xi) / (a * dSigma - s * dAlpha);
      }
    }
  });
}

type Bridge = (impl: DiffusionImpl, args: unknown[]) => unknown;

/** The derived operations: positional vector arguments (OPS order) → interface calls. */
export const BRIDGES: Record<string, Bridge> = {
  processCoefficients: (impl, [process, t]) => {
    const p = implProcess(impl, process);
    const tt = t as number;
    return { alpha: p.alpha(tt), sigma: p.sigma(tt), lambda: p.lambda(tt), f: p.f(tt), g2: p.g2(tt) };
  },
  mixtureModelOutput: (impl, [mixture, process, output, t, x]) => {
    const m = impl.mixtureModel!(mixture as MixtureSpec, implProcess(impl, process), output as ModelOutput);
    return m.apply([row(x)], t as number)[0];
  },
  samplerStep: (impl, [sampler, process, model, x, timeGrid, options]) => {
    const p = implProcess(impl, process);
    const grid = Array.from(timeGrid as ArrayLike<number>);
    const x0 = row(x);
    const m = fixtureModel(model, p, () => referenceProcess(process), { x: x0, t: grid[0] });
    const { noise, ...rest } = (options ?? {}) as Record<string, unknown>;
    const fn = impl.scoreSampler!(sampler as string);
    const out = fn(m, [x0], grid, { ...rest, rng: noise === undefined ? undefined : replayRng(noise) });
    if (!Array.isArray(out) || out.length !== 1) throw new Error(`the sampler returned ${Array.isArray(out) ? `a batch of ${out.length}` : typeof out}, expected a batch of 1`);
    return out[0];
  },
  kSamplerRun: (impl, [sampler, model, x, sigmas, options]) => {
    // σ-space: the fixture is the denoiser D(x̃; σ) itself. It reaches the sampler as an x0-model on a VE
    // process (α = 1, σ(t) = σ), the implementation's own scoreProcess('ve', SIGMA_SPACE_VE).
    const p = implProcess(impl, { kind: 've', options: SIGMA_SPACE_VE });
    const grid = Array.from(sigmas as ArrayLike<number>);
    const x0 = row(x);
    const m = sigmaFixtureModel(model, p, { x: x0, sigma: grid[0] });
    const { noise, ...rest } = (options ?? {}) as Record<string, unknown>;
    const out = impl.scoreSampler!(sampler as string)(m, [x0], grid, { ...rest, rng: noise === undefined ? undefined : replayRng(noise) });
    if (!Array.isArray(out) || out.length !== 1) throw new Error(`the sampler returned ${Array.isArray(out) ? `a batch of ${out.length}` : typeof out}, expected a batch of 1`);
    return out[0];
  },
  classifierGuidedEps: (impl, [process, model, classifierGrad, w, x, t]) => {
    const p = implProcess(impl, process);
    const x0 = row(x);
    const tt = t as number;
    const anchor = { x: x0, t: tt };
    const m = fixtureModel(model, p, () => referenceProcess(process), anchor);
    const grad = row(classifierGrad);
    const g = impl.classifierGuidance!(m, (rows, ts) => (checkAnchor(rows, ts, anchor, 'classifier gradient'), [Float64Array.from(grad)]), w as number);
    return toEps(g.output, g.apply([x0], tt)[0], x0, p, tt);
  },
  classifierFreeGuidedEps: (impl, [process, condModel, uncondModel, w, x, t]) => {
    const p = implProcess(impl, process);
    const ref = () => referenceProcess(process);
    const x0 = row(x);
    const tt = t as number;
    const anchor = { x: x0, t: tt };
    const g = impl.classifierFreeGuidance!(fixtureModel(condModel, p, ref, anchor), fixtureModel(uncondModel, p, ref, anchor), w as number);
    return toEps(g.output, g.apply([x0], tt)[0], x0, p, tt);
  },
};
