/**
 * Exponential moving average of the weights (Polyak averaging, as used by Ho et al. 2020 with
 * decay 0.9999 and by most diffusion trainers): ema ← d·ema + (1-d)·θ after each update.
 *
 * With warm-up (default), the decay of update k (1-based) is d_k = min(decay, (1+k)/(10+k)),
 * so that a short run's EMA is not dominated by the random initialization (with a fixed 0.999,
 * 0.999^1800 ≈ 17 % of the EMA would still be the initial weights after 1,800 steps).
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import type { ParamSet } from './nn.js';

export interface EmaOptions {
  decay?: number;
  warmup?: boolean;
}

export class Ema {
  readonly decay: number;
  readonly warmup: boolean;
  /** Number of updates folded in so far. */
  updates = 0;
  readonly names: string[];
  private readonly shadow: Record<string, tf.Variable>;
  private readonly source: Record<string, tf.Variable>;

  /** The shadow variables (to read them asynchronously before values() on webgpu). */
  variables(): tf.Variable[] {
    return this.names.map((n) => this.shadow[n]);
  }

  constructor(source: Record<string, tf.Variable>, names: string[], options: EmaOptions = {}) {
    this.decay = options.decay ?? 0.999;
    this.warmup = options.warmup ?? true;
    if (!(this.decay >= 0 && this.decay < 1)) throw new DiffusionInputError('decay', this.decay, 'must lie in [0, 1)');
    this.names = names;
    this.source = source;
    this.shadow = {};
    for (const n of names) {
      if (!source[n]) throw new DiffusionInputError('names', n, 'no such variable');
      this.shadow[n] = tf.tidy(() => tf.variable(source[n].clone(), false));
    }
  }

  /** Decay used for update k (1-based). */
  decayAt(k: number): number {
    return this.warmup ? Math.min(this.decay, (1 + k) / (10 + k)) : this.decay;
  }

  update(): void {
    const k = this.updates + 1;
    const d = this.decayAt(k);
    tf.tidy(() => {
      const ds = tf.scalar(d);
      const dc = tf.scalar(1 - d);
      for (const n of this.names) this.shadow[n].assign(tf.add(tf.mul(this.shadow[n], ds), tf.mul(this.source[n], dc)));
    });
    this.updates = k;
  }

  /** The EMA weights as a parameter set for unetApply (do not dispose). */
  params(): ParamSet {
    return this.shadow;
  }

  values(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const n of this.names) m.set(n, (this.shadow[n].dataSync() as Float32Array).slice());
    return m;
  }

  setValues(values: Map<string, Float32Array>, updates: number): void {
    for (const n of this.names) {
      const v = values.get(n);
      if (!v || v.length !== this.shadow[n].size) throw new DiffusionInputError(`ema.${n}`, v ? `length ${v.length}` : v, `expected ${this.shadow[n].size} values`);
    }
    tf.tidy(() => {
      for (const n of this.names) this.shadow[n].assign(tf.tensor(values.get(n)!, this.shadow[n].shape, 'float32'));
    });
    if (!Number.isInteger(updates) || updates < 0) throw new DiffusionInputError('updates', updates, 'must be an integer ≥ 0');
    this.updates = updates;
  }

  dispose(): void {
    for (const v of Object.values(this.shadow)) v.dispose();
  }
}
