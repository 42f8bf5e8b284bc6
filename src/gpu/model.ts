/**
 * Shared types of the tensor samplers (catalog E1-E9 on TensorFlow.js): the tensor model, model-output
 * conversions, sampler options (noise source, per-step callback) and the step loop every sampler uses.
 * float64 twin: src/reference/model.ts.
 *
 * Design (the same in every tensor sampler):
 * - The *process* is the float64 reference's `Process` object (vpProcess, veProcess, discreteVpProcess,
 *   indiProcess), shared with the reference tier. Its scalars α(t), σ(t), λ(t), f(t), g²(t) and every
 *   coefficient built from them are computed in float64 JavaScript, once per step: they are scalars
 *   per step, not tensor work, and computing them on the host keeps the tier's only float32 error in
 *   the per-element arithmetic (each coefficient is rounded once to float32 when it meets a tensor).
 * - The per-element arithmetic (x, ε̂, x̂_0, noise, their linear combinations) runs on tensors in
 *   float32, batched: x is a tf.Tensor2D [batch, dim] (an image is a flattened row).
 * - Memory: every step runs inside tf.tidy; the sampler owns the intermediate states and disposes each
 *   one when the next exists. The caller's x is never disposed; the returned tensor belongs to the caller.
 *   After a run tf.memory().numTensors is what it was before plus the returned tensor.
 * - Random numbers: `options.rng` (src/reference/rng.ts) is consumed in exactly the order of the
 *   reference sampler (per noise draw, rng.normals(batch·dim), i.e. row after row, the reference's
 *   per-row rng.normals(dim) calls), so the same seed gives the same normals (rounded to float32) on
 *   both tiers. `options.noise(step, shape, draw)` injects noise instead (draw = index of the noise
 *   draw within the step: 0 for the step's own noise, 1..M for predictor-corrector's corrector steps).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkOneOf } from '../reference/errors.js';
import type { Rng } from '../reference/rng.js';
import { MODEL_OUTPUTS, checkProcess, processRates, type DiffusionModel, type ModelOutput, type Process, type Rows, type SamplerOptions } from '../reference/model.js';
import { checkBatch as checkTensorBatch } from './common.js';

export type { Process, ModelOutput };

/** A tensor model: `apply(x, t)` returns the `output` quantity (ε̂, x̂_0, v̂ or score) for every row of x. */
export interface TensorDiffusionModel {
  readonly process: Process;
  readonly output: ModelOutput;
  apply(x: tf.Tensor2D, t: number): tf.Tensor2D;
}

/** Wrap a tensor function as a TensorDiffusionModel (validates the process and the output name). */
export function makeTensorModel(process: Process, output: ModelOutput, apply: (x: tf.Tensor2D, t: number) => tf.Tensor2D): TensorDiffusionModel {
  checkProcess(process);
  checkOneOf('output', output, MODEL_OUTPUTS);
  if (typeof apply !== 'function') throw new DiffusionInputError('apply', apply, 'must be a function (x: tf.Tensor2D, t) → tf.Tensor2D');
  return { process, output, apply };
}

export function checkTensorModel(m: unknown, name = 'model'): TensorDiffusionModel {
  const o = m as Partial<TensorDiffusionModel> | null;
  if (!o || typeof o !== 'object' || typeof o.apply !== 'function') {
    throw new DiffusionInputError(name, m, 'must be a TensorDiffusionModel {process, output, apply(x: tf.Tensor2D, t)} (see makeTensorModel)');
  }
  checkProcess(o.process, `${name}.process`);
  checkOneOf(`${name}.output`, o.output, MODEL_OUTPUTS);
  return o as TensorDiffusionModel;
}

/**
 * A float64 reference model run on tensors: download x (float32 → float64), apply the reference
 * model, upload the result (rounded once to float32). Used for the exact mixture oracles, whose
 * float64 evaluation is the point: the denoiser is the same function on both tiers.
 */
export function hostModel(model: DiffusionModel): TensorDiffusionModel {
  return makeTensorModel(model.process, model.output, (x, t) => {
    const [n, d] = x.shape;
    const flat = x.dataSync();
    const rows: Rows = Array.from({ length: n }, (_, r) => Float64Array.from(flat.subarray(r * d, (r + 1) * d)));
    const out = model.apply(rows, t);
    const buf = new Float32Array(n * d);
    out.forEach((row, r) => buf.set(row, r * d));
    return tf.tensor2d(buf, [n, d]);
  });
}

function callModel(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  const out = model.apply(x, t);
  if (!(out instanceof tf.Tensor) || out.rank !== 2 || out.shape[0] !== x.shape[0] || out.shape[1] !== x.shape[1]) {
    throw new DiffusionInputError('model output', out instanceof tf.Tensor ? `shape ${JSON.stringify(out.shape)}` : out, `shape mismatch: input x has shape ${JSON.stringify(x.shape)}`);
  }
  return out as tf.Tensor2D;
}

/**
 * ε̂(x, t) from any model output (D1-D3 for general α, σ; float64 twin: modelEps):
 * score s → ε = -σ s; x̂_0 → ε = (x - α x̂_0)/σ; v̂ → ε = (α v + σ x)/(α² + σ²).
 */
export function modelEps(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  const out = callModel(model, x, t);
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  switch (model.output) {
    case 'eps':
      return out;
    case 'score':
      return tf.mul(out, -s);
    case 'x0':
      if (!(s > 0)) throw new DiffusionInputError('t', t, 'ε̂ from x̂_0 is undefined where σ(t) = 0');
      return tf.mul(tf.sub(x, tf.mul(out, a)), 1 / s);
    case 'v':
      return lincomb([
        [a / (a * a + s * s), out],
        [s / (a * a + s * s), x],
      ]);
    case 'flow': {
      const k = flowFactors(model, t);
      return lincomb([
        [a / k.det, out],
        [-k.da / k.det, x],
      ]);
    }
  }
}

/** float64 twin: flowFactors of src/reference/model.ts (u = α' x_0 + σ' ε; det = α σ' - σ α'). */
function flowFactors(model: TensorDiffusionModel, t: number): { ds: number; da: number; det: number } {
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  const { dAlpha: da, dSigma: ds } = processRates(model.process, t);
  const det = a * ds - s * da;
  if (!(det > 0) || !Number.isFinite(det)) throw new DiffusionInputError('t', t, "the flow velocity does not determine (x̂_0, ε̂) here (α σ' - σ α' ≤ 0)");
  return { ds, da, det };
}

/** Score ∇log p_t(x) from any model output: -ε̂/σ (D3). float64 twin: modelScore. */
export function modelScore(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  if (model.output === 'score') return callModel(model, x, t);
  const s = model.process.sigma(t);
  if (!(s > 0)) throw new DiffusionInputError('t', t, 'the score from ε̂ is undefined where σ(t) = 0; use a score model');
  return tf.mul(modelEps(model, x, t), -1 / s);
}

/** x̂_0 = E[x_0|x_t] from any model output: (x - σ ε̂)/α (D1), Tweedie (x + σ² s)/α (D3). float64 twin: modelX0. */
export function modelX0(model: TensorDiffusionModel, x: tf.Tensor2D, t: number): tf.Tensor2D {
  const a = model.process.alpha(t);
  const s = model.process.sigma(t);
  if (model.output === 'x0') return callModel(model, x, t);
  if (model.output === 'v') {
    return lincomb([
      [a / (a * a + s * s), x],
      [-s / (a * a + s * s), callModel(model, x, t)],
    ]);
  }
  if (model.output === 'flow') {
    const k = flowFactors(model, t);
    return lincomb([
      [k.ds / k.det, x],
      [-s / k.det, callModel(model, x, t)],
    ]);
  }
  if (!(a > 0)) throw new DiffusionInputError('t', t, 'x̂_0 from ε̂ or the score is undefined where α(t) = 0; use an x0- or v-model');
  if (model.output === 'score') return tf.mul(tf.add(x, tf.mul(callModel(model, x, t), s * s)), 1 / a);
  return tf.mul(tf.sub(x, tf.mul(modelEps(model, x, t), s)), 1 / a);
}

/**
 * Σ_k c_k·y_k elementwise (the float64 coefficients c_k are rounded to float32 when they meet the
 * tensor; terms with c_k = 0 are skipped). Summed left to right, as the reference's loops do.
 */
export function lincomb(terms: [number, tf.Tensor2D][]): tf.Tensor2D {
  let acc: tf.Tensor2D | null = null;
  for (const [c, y] of terms) {
    if (c === 0) continue;
    const term = c === 1 ? y : (tf.mul(y, c) as tf.Tensor2D);
    acc = acc ? (tf.add(acc, term) as tf.Tensor2D) : term;
  }
  return acc ?? (tf.zerosLike(terms[0][1]) as tf.Tensor2D);
}

// ---------------------------------------------------------------------------------------------
// Options, noise and the step loop

/** Per-step report (k-diffusion style). The tensors belong to the sampler: read them, clone to keep, never dispose. */
export interface TensorStepInfo {
  i: number;
  t: number;
  tNext: number;
  /** State after the step. */
  x: tf.Tensor2D;
  /** x̂_0 at the start of the step where the sampler computed it. */
  denoised?: tf.Tensor2D;
}

/**
 * Injected noise: the standard normals of draw `draw` of step `step`, shape [batch, dim]
 * (row-major Float64Array/Float32Array of batch·dim values, or a tensor, which the sampler does not dispose).
 */
export type NoiseFn = (step: number, shape: [number, number], draw: number) => Float64Array | Float32Array | tf.Tensor2D;

/**
 * The reference's sampler options (same names, same meanings: see src/reference/model.ts), with the
 * per-step callback reporting tensors and, besides `rng`, an injected-noise source.
 */
export interface TensorSamplerOptions extends Omit<SamplerOptions, 'callback'> {
  /** Injected noise; takes precedence over `rng` (which is consumed in the reference sampler's order). */
  noise?: NoiseFn;
  /** Called after every step. */
  callback?: (info: TensorStepInfo) => void;
}

export type TensorSamplerFn = (model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options?: TensorSamplerOptions) => tf.Tensor2D;

/** Throws naming options.rng unless a noise source (rng or noise function) is given. */
export function requireNoise(options: TensorSamplerOptions | undefined, sampler: string): void {
  if (typeof options?.noise === 'function') return;
  const rng = options?.rng;
  if (!rng || typeof (rng as Rng).normal !== 'function') throw new DiffusionInputError('options.rng', rng, `${sampler} is stochastic: pass a seeded Rng or options.noise`);
}

/** Validates the initial batch: a float32 tf.Tensor2D with finite entries (one sync). */
export function checkInitialBatch(x: unknown, name = 'x'): tf.Tensor2D {
  const t = checkTensorBatch(name, x);
  const bad = tf.tidy(() => tf.sum(tf.mul(t, 0)).dataSync()[0]);
  if (bad !== 0) {
    const data = t.dataSync();
    const idx = data.findIndex((v) => !Number.isFinite(v));
    const d = t.shape[1];
    throw new DiffusionInputError(`${name}[${Math.floor(idx / d)}][${idx % d}]`, data[idx], 'must be finite (NaN or infinite data)');
  }
  return t;
}

/**
 * The step loop shared by every tensor sampler: runs `fn` in tf.tidy, checks the new state is finite
 * (one sync per step; a diverging sampler throws naming the step instead of returning NaN), reports
 * it, and disposes the previous state. Carried tensors (multistep history) go in `carry`.
 */
export class StepRunner {
  private cur: tf.Tensor2D;
  private carried: tf.Tensor[] = [];
  constructor(
    private readonly input: tf.Tensor2D,
    private readonly options: TensorSamplerOptions,
    private readonly sampler: string,
  ) {
    this.cur = input;
  }

  get x(): tf.Tensor2D {
    return this.cur;
  }

  /** Standard normals for draw `draw` of step `step`, shaped like x; call inside the step (tidy) only. */
  noise(step: number, draw = 0): tf.Tensor2D {
    const [b, d] = this.input.shape;
    if (typeof this.options.noise === 'function') {
      const z = this.options.noise(step, [b, d], draw);
      if (z instanceof tf.Tensor) {
        if (z.rank !== 2 || z.shape[0] !== b || z.shape[1] !== d) throw new DiffusionInputError(`options.noise(${step}, ·, ${draw})`, `shape ${JSON.stringify(z.shape)}`, `shape mismatch: x has shape [${b},${d}]`);
        return z.dtype === 'float32' ? (z as tf.Tensor2D) : (tf.cast(z, 'float32') as tf.Tensor2D);
      }
      if (!(z instanceof Float64Array || z instanceof Float32Array) || z.length !== b * d) {
        throw new DiffusionInputError(`options.noise(${step}, ·, ${draw})`, z instanceof Object ? `length ${(z as ArrayLike<number>).length}` : z, `must return batch·dim = ${b * d} normals`);
      }
      return tf.tensor2d(z instanceof Float32Array ? z : Float32Array.from(z), [b, d]);
    }
    return tf.tensor2d(Float32Array.from(this.options.rng!.normals(b * d)), [b, d]);
  }

  /**
   * One step: `fn(x)` returns the next state (and optionally x̂_0 and tensors to carry to the next
   * step); everything else it creates is freed.
   */
  step(i: number, t: number, tNext: number, fn: (x: tf.Tensor2D) => tf.Tensor2D | { x: tf.Tensor2D; denoised?: tf.Tensor2D; carry?: tf.Tensor[] }): void {
    const out = tf.tidy(() => {
      const r = fn(this.cur);
      return r instanceof tf.Tensor ? { x: r } : r;
    });
    const extra = [...(out.denoised ? [out.denoised] : []), ...(out.carry ?? [])];
    const bad = tf.tidy(() => tf.sum(tf.mul(out.x, 0)).dataSync()[0]);
    if (bad !== 0) {
      out.x.dispose();
      for (const e of extra) e.dispose();
      throw new DiffusionInputError(`${this.sampler} step ${i} (t=${t} → ${tNext})`, 'non-finite state', 'the sampler diverged: the new state has NaN or ±∞ (step size too large for the model, or a non-finite model output)');
    }
    this.options.callback?.({ i, t, tNext, x: out.x, denoised: out.denoised });
    out.denoised?.dispose();
    if (this.cur !== this.input) this.cur.dispose();
    this.cur = out.x;
    for (const c of this.carried) if (!(out.carry ?? []).includes(c)) c.dispose();
    this.carried = out.carry ?? [];
  }

  /** Carried tensors of the previous step (multistep solvers). */
  get carry(): tf.Tensor[] {
    return this.carried;
  }

  /** The final state, owned by the caller (a copy when no step ran). */
  result(): tf.Tensor2D {
    for (const c of this.carried) c.dispose();
    this.carried = [];
    return this.cur === this.input ? (tf.clone(this.input) as tf.Tensor2D) : this.cur;
  }

  /** Frees the sampler's tensors after an error. */
  abort(): void {
    for (const c of this.carried) c.dispose();
    this.carried = [];
    if (this.cur !== this.input) this.cur.dispose();
    this.cur = this.input;
  }
}

/** Runs a sampler body with a StepRunner, freeing its tensors if the body throws. */
export function runSampler(x: tf.Tensor2D, options: TensorSamplerOptions, sampler: string, body: (r: StepRunner) => void): tf.Tensor2D {
  const runner = new StepRunner(x, options, sampler);
  try {
    body(runner);
  } catch (e) {
    runner.abort();
    throw e;
  }
  return runner.result();
}
