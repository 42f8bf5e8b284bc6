/**
 * Adam (Kingma & Ba 2015) with linear learning-rate warm-up and global-norm gradient clipping,
 * written out so that its whole state (step count, first and second moments) can be saved and
 * restored bit for bit — tf.train.adam keeps its moments in anonymous variables.
 *
 * Update (PyTorch's form of Algorithm 1, with ε added to √v̂):
 *   g ← g · min(1, clipNorm / (‖g‖₂ + 1e-6))         (‖·‖ over all parameters together)
 *   m ← β₁ m + (1-β₁) g,   v ← β₂ v + (1-β₂) g²
 *   θ ← θ - (η_k / (1-β₁^k)) · m / (√v / √(1-β₂^k) + ε),   k = step count after this update
 *   η_k = lr · min(1, k / warmupSteps)                (warm-up; η_k = lr when warmupSteps = 0)
 * The clip factor and the bias corrections are computed in float64 in JS and uploaded as scalars.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkFiniteNumber } from '../reference/errors.js';

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Linear warm-up length in steps (0 = none). */
  warmupSteps?: number;
  /** Clip the global gradient norm to this value (Infinity = no clipping). */
  clipNorm?: number;
}

export interface AdamState {
  step: number;
  /** First and second moments, in variable order. */
  m: Float32Array[];
  v: Float32Array[];
}

export interface AdamStepInfo {
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** The factor the gradients were multiplied by (1 = not clipped). */
  clipScale: number;
  /** The learning rate used in this step (after warm-up). */
  lr: number;
}

export class Adam {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly warmupSteps: number;
  readonly clipNorm: number;
  /** Number of updates applied so far. */
  step = 0;
  private readonly vars: tf.Variable[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(vars: tf.Variable[], options: AdamOptions) {
    this.lr = checkFiniteNumber('lr', options.lr);
    if (!(this.lr > 0)) throw new DiffusionInputError('lr', options.lr, 'must be positive');
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.clipNorm = options.clipNorm ?? Infinity;
    for (const [k, val] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(val >= 0 && val < 1)) throw new DiffusionInputError(k, val, 'must lie in [0, 1)');
    }
    if (!(this.eps > 0)) throw new DiffusionInputError('eps', this.eps, 'must be positive');
    if (!Number.isInteger(this.warmupSteps) || this.warmupSteps < 0) throw new DiffusionInputError('warmupSteps', this.warmupSteps, 'must be an integer ≥ 0');
    if (!(this.clipNorm > 0)) throw new DiffusionInputError('clipNorm', this.clipNorm, 'must be positive (Infinity disables clipping)');
    this.vars = vars;
    // tidy disposes the initial tensors (a variable keeps its own reference to the data)
    this.m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /** Learning rate of update number k (1-based). */
  lrAt(k: number): number {
    return this.warmupSteps > 0 ? this.lr * Math.min(1, k / this.warmupSteps) : this.lr;
  }

  /** Apply one update from gradients given in variable order. Does not dispose `grads`. */
  apply(grads: tf.Tensor[], knownGradNorm?: number): AdamStepInfo {
    if (grads.length !== this.vars.length) throw new DiffusionInputError('grads', `length ${grads.length}`, `expected ${this.vars.length} gradients`);
    let gradNorm = knownGradNorm ?? NaN;
    if (knownGradNorm === undefined) {
      const sq = this.sumOfSquares(grads);
      gradNorm = Math.sqrt((sq.dataSync() as Float32Array)[0]);
      sq.dispose();
    }
    if (!Number.isFinite(gradNorm)) throw new DiffusionInputError('grads', gradNorm, 'non-finite gradient norm: training diverged');
    const clipScale = Number.isFinite(this.clipNorm) ? Math.min(1, this.clipNorm / (gradNorm + 1e-6)) : 1;
    const k = this.step + 1;
    const lr = this.lrAt(k);
    const bc1 = 1 - this.beta1 ** k;
    const sqrtBc2 = Math.sqrt(1 - this.beta2 ** k);
    tf.tidy(() => {
      const scale = tf.scalar(clipScale);
      const b1 = tf.scalar(this.beta1);
      const b1c = tf.scalar(1 - this.beta1);
      const b2 = tf.scalar(this.beta2);
      const b2c = tf.scalar(1 - this.beta2);
      const stepSize = tf.scalar(lr / bc1);
      const invSqrtBc2 = tf.scalar(1 / sqrtBc2);
      const eps = tf.scalar(this.eps);
      for (let i = 0; i < this.vars.length; i++) {
        const g = clipScale === 1 ? grads[i] : tf.mul(grads[i], scale);
        const m = tf.add(tf.mul(this.m[i], b1), tf.mul(g, b1c));
        const v = tf.add(tf.mul(this.v[i], b2), tf.mul(tf.square(g), b2c));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const denom = tf.add(tf.mul(tf.sqrt(v), invSqrtBc2), eps);
        this.vars[i].assign(tf.sub(this.vars[i], tf.mul(stepSize, tf.div(m, denom))));
      }
    });
    this.step = k;
    return { gradNorm, clipScale, lr };
  }

  /** Σ‖g‖² over the gradients, as a scalar tensor (caller disposes). */
  sumOfSquares(grads: tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  }

  /** The global gradient norm, read asynchronously (for backends without synchronous reads: webgpu). */
  async gradNormAsync(grads: tf.Tensor[]): Promise<number> {
    const sq = this.sumOfSquares(grads);
    const v = (await sq.data())[0];
    sq.dispose();
    return Math.sqrt(v);
  }

  /** The moment variables (to read them asynchronously before getState on webgpu). */
  moments(): tf.Variable[] {
    return [...this.m, ...this.v];
  }

  getState(): AdamState {
    return {
      step: this.step,
      m: this.m.map((x) => (x.dataSync() as Float32Array).slice()),
      v: this.v.map((x) => (x.dataSync() as Float32Array).slice()),
    };
  }

  setState(state: AdamState): void {
    if (!state || !Number.isInteger(state.step) || state.step < 0) throw new DiffusionInputError('state.step', state?.step, 'must be an integer ≥ 0');
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new DiffusionInputError('state', `${state.m.length} moments`, `shape mismatch: optimizer has ${this.m.length} variables`);
    }
    for (let i = 0; i < this.m.length; i++) {
      if (state.m[i].length !== this.m[i].size || state.v[i].length !== this.v[i].size) {
        throw new DiffusionInputError(`state.m[${i}]`, `length ${state.m[i].length}`, `shape mismatch: variable has ${this.m[i].size} entries`);
      }
    }
    for (let i = 0; i < this.m.length; i++) {
      tf.tidy(() => {
        this.m[i].assign(tf.tensor(state.m[i], this.m[i].shape, 'float32'));
        this.v[i].assign(tf.tensor(state.v[i], this.v[i].shape, 'float32'));
      });
    }
    this.step = state.step;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
