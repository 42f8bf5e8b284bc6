/**
 * What every tensor sampler shares besides the model (float64 twin: src/reference/sampling.ts): the
 * per-step report, the options (rng or injected noise, callback; each sampler's own fields come from
 * the reference family file's option spec), and the step loop (StepRunner, runSampler). The memory
 * and random-number rules are in src/gpu/model.ts's header.
 */
import * as tf from '@tensorflow/tfjs';
import { deferCheck, syncReadable } from './deferred.js';
import { DiffusionInputError } from '../reference/errors.js';
import type { Rng } from '../reference/rng.js';
import type { SamplerBaseOptions } from '../reference/sampling.js';
import type { SamplerOptions } from '../reference/samplers.js';
import { checkBatch as checkTensorBatch } from './common.js';

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
export interface TensorSamplerBaseOptions extends Omit<SamplerBaseOptions, 'callback'> {
  /** Injected noise; takes precedence over `rng` (which is consumed in the reference sampler's order). */
  noise?: NoiseFn;
  /** Called after every step. */
  callback?: (info: TensorStepInfo) => void;
}

/** A sampler's tensor options from its reference options type O (same own fields; tensor callback, noise). */
export type TensorOptionsOf<O> = Omit<O, 'callback'> & TensorSamplerBaseOptions;

/** Options of any tensor sampler (the union of every sampler's fields; kept for source compatibility). */
export type TensorSamplerOptions = TensorOptionsOf<SamplerOptions>;


/** Throws naming options.rng unless a noise source (rng or noise function) is given. */
export function requireNoise(options: TensorSamplerBaseOptions | undefined, sampler: string): void {
  if (typeof options?.noise === 'function') return;
  const rng = options?.rng;
  if (!rng || typeof (rng as Rng).normal !== 'function') throw new DiffusionInputError('options.rng', rng, `${sampler} is stochastic: pass a seeded Rng or options.noise`);
}

/** Validates the initial batch: a float32 tf.Tensor2D with finite entries (one sync). */
export function checkInitialBatch(x: unknown, name = 'x'): tf.Tensor2D {
  const t = checkTensorBatch(name, x);
  if (!syncReadable()) {
    deferCheck(tf.tidy(() => tf.sum(tf.mul(t, 0))), (f) => (f[0] !== 0 ? new DiffusionInputError(name, 'NaN or ±∞ (found after the call: deferred check)', 'must be finite (NaN or infinite data)') : undefined));
    return t;
  }
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
    private readonly options: TensorSamplerBaseOptions,
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
    const where = `${this.sampler} step ${i} (t=${t} → ${tNext})`;
    const diverged = 'the sampler diverged: the new state has NaN or ±∞ (step size too large for the model, or a non-finite model output)';
    let bad = 0;
    // webgpu: no synchronous read; checked by flushDeferredChecks (./deferred.ts) after the loop.
    if (!syncReadable()) deferCheck(tf.tidy(() => tf.sum(tf.mul(out.x, 0))), (f) => (f[0] !== 0 ? new DiffusionInputError(where, 'non-finite state (deferred check)', diverged) : undefined));
    else bad = tf.tidy(() => tf.sum(tf.mul(out.x, 0)).dataSync()[0]);
    if (bad !== 0) {
      out.x.dispose();
      for (const e of extra) e.dispose();
      throw new DiffusionInputError(where, 'non-finite state', diverged);
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
export function runSampler(x: tf.Tensor2D, options: TensorSamplerBaseOptions, sampler: string, body: (r: StepRunner) => void): tf.Tensor2D {
  const runner = new StepRunner(x, options, sampler);
  try {
    body(runner);
  } catch (e) {
    runner.abort();
    throw e;
  }
  return runner.result();
}
