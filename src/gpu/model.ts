/**
 * The tensor model of the samplers (catalog E1-E9 on TensorFlow.js) and its model-output
 * conversions. float64 twin: src/reference/model.ts. The sampler options (noise source, per-step
 * callback) and the step loop every sampler uses are in sampling.ts (re-exported here).
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
import { MODEL_OUTPUTS, checkProcess, processRates, type DiffusionModel, type ModelOutput, type Process, type Rows } from '../reference/model.js';

export type { Process, ModelOutput };
export * from './sampling.js';
import type { TensorSamplerOptions } from './sampling.js';

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
    // σ = 0: x̂_0 = x/α exactly (no model call; a new tensor, never x itself)
    if (!(s > 0)) return tf.mul(x, k.ds / k.det) as tf.Tensor2D;
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

/** The shared tensor sampler signature (method syntax for bivariant options, as SamplerFn's). */
export type TensorSamplerFn = { sampler(model: TensorDiffusionModel, x: tf.Tensor2D, timeGrid: ArrayLike<number>, options?: TensorSamplerOptions): tf.Tensor2D }['sampler'];
