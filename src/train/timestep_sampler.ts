/**
 * Timestep samplers for training (t is the catalog's 1-based index, t ∈ {1..T}).
 *
 * Each sampler returns timesteps and importance weights w_i = 1/(T·p(t_i)), so that
 * E_{t~p}[w·L_t] = E_{t~uniform}[L_t] = (1/T)·Σ_t L_t: the weighted batch loss is an unbiased
 * estimate of the uniformly-averaged objective whatever p is.
 *
 * - `UniformSampler`: p(t) = 1/T, w = 1.
 * - `LossSecondMomentSampler`: loss-aware importance sampling (Nichol & Dhariwal 2021, §3.3,
 *   "L_vlb with importance sampling"): p(t) ∝ √E[L_t²], with E[L_t²] estimated from the last
 *   `historyPerTerm` losses seen at each t; uniform until every t has a full history; mixed with
 *   the uniform distribution (weight `uniformProb`) so that every t keeps a nonzero probability.
 *   Its state (the loss histories) is plain JSON so that a checkpoint resumes it exactly.
 */
import { DiffusionInputError } from '../reference/errors.js';
import type { Rng } from '../reference/rng.js';

export interface TimestepBatch {
  /** 1-based timesteps. */
  t: Int32Array;
  /** Importance weights 1/(T·p(t)). */
  weights: Float64Array;
}

export interface TimestepSampler {
  readonly kind: 'uniform' | 'importance';
  readonly T: number;
  sample(n: number, rng: Rng): TimestepBatch;
  /** Report the (unweighted by importance) per-example losses of a batch. */
  update(t: ArrayLike<number>, losses: ArrayLike<number>): void;
  getState(): unknown;
  setState(state: unknown): void;
}

function checkT(T: number): number {
  if (!Number.isInteger(T) || T < 1) throw new DiffusionInputError('T', T, 'must be a positive integer');
  return T;
}

export class UniformSampler implements TimestepSampler {
  readonly kind = 'uniform' as const;
  readonly T: number;
  constructor(T: number) {
    this.T = checkT(T);
  }
  sample(n: number, rng: Rng): TimestepBatch {
    const t = new Int32Array(n);
    for (let i = 0; i < n; i++) t[i] = 1 + rng.int(this.T);
    return { t, weights: new Float64Array(n).fill(1) };
  }
  update(): void {}
  getState(): unknown {
    return { kind: 'uniform', T: this.T };
  }
  setState(state: unknown): void {
    const s = state as { kind?: string; T?: number };
    if (!s || s.kind !== 'uniform' || s.T !== this.T) throw new DiffusionInputError('sampler state', state, `expected a uniform sampler state with T = ${this.T}`);
  }
}

interface SecondMomentState {
  kind: 'importance';
  T: number;
  historyPerTerm: number;
  uniformProb: number;
  /** history[t-1] = most recent losses at t (oldest first), at most historyPerTerm. */
  history: number[][];
}

export class LossSecondMomentSampler implements TimestepSampler {
  readonly kind = 'importance' as const;
  readonly T: number;
  readonly historyPerTerm: number;
  readonly uniformProb: number;
  private history: number[][];

  constructor(T: number, historyPerTerm = 10, uniformProb = 0.001) {
    this.T = checkT(T);
    if (!Number.isInteger(historyPerTerm) || historyPerTerm < 1) throw new DiffusionInputError('historyPerTerm', historyPerTerm, 'must be a positive integer');
    if (!(uniformProb > 0 && uniformProb <= 1)) throw new DiffusionInputError('uniformProb', uniformProb, 'must lie in (0, 1]');
    this.historyPerTerm = historyPerTerm;
    this.uniformProb = uniformProb;
    this.history = Array.from({ length: T }, () => []);
  }

  /** True once every t has a full loss history (before that, sampling is uniform). */
  warmedUp(): boolean {
    return this.history.every((h) => h.length === this.historyPerTerm);
  }

  /** p(t) for t = 1..T (array index t-1). */
  probabilities(): Float64Array {
    const p = new Float64Array(this.T);
    if (!this.warmedUp()) return p.fill(1 / this.T);
    let sum = 0;
    for (let i = 0; i < this.T; i++) {
      const h = this.history[i];
      let s2 = 0;
      for (const l of h) s2 += l * l;
      p[i] = Math.sqrt(s2 / h.length);
      sum += p[i];
    }
    if (!(sum > 0) || !Number.isFinite(sum)) return p.fill(1 / this.T);
    for (let i = 0; i < this.T; i++) p[i] = (1 - this.uniformProb) * (p[i] / sum) + this.uniformProb / this.T;
    return p;
  }

  sample(n: number, rng: Rng): TimestepBatch {
    const p = this.probabilities();
    const cdf = new Float64Array(this.T);
    let acc = 0;
    for (let i = 0; i < this.T; i++) cdf[i] = acc += p[i];
    const t = new Int32Array(n);
    const weights = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const u = rng.uniform() * acc;
      let lo = 0;
      let hi = this.T - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      t[j] = lo + 1;
      weights[j] = 1 / (this.T * (p[lo] / acc));
    }
    return { t, weights };
  }

  update(t: ArrayLike<number>, losses: ArrayLike<number>): void {
    if (t.length !== losses.length) throw new DiffusionInputError('losses', `length ${losses.length}`, `shape mismatch: ${t.length} timesteps`);
    for (let i = 0; i < t.length; i++) {
      const ti = t[i];
      if (!Number.isInteger(ti) || ti < 1 || ti > this.T) throw new DiffusionInputError(`t[${i}]`, ti, `timestep out of range {1..${this.T}}`);
      if (!Number.isFinite(losses[i])) throw new DiffusionInputError(`losses[${i}]`, losses[i], 'must be finite');
      const h = this.history[ti - 1];
      h.push(losses[i]);
      if (h.length > this.historyPerTerm) h.shift();
    }
  }

  getState(): SecondMomentState {
    return { kind: 'importance', T: this.T, historyPerTerm: this.historyPerTerm, uniformProb: this.uniformProb, history: this.history.map((h) => [...h]) };
  }

  setState(state: unknown): void {
    const s = state as SecondMomentState;
    if (!s || s.kind !== 'importance' || s.T !== this.T || !Array.isArray(s.history) || s.history.length !== this.T) {
      throw new DiffusionInputError('sampler state', state === undefined ? state : '(object)', `expected an importance sampler state with T = ${this.T}`);
    }
    this.history = s.history.map((h) => [...h]);
  }
}

export function makeTimestepSampler(kind: 'uniform' | 'importance', T: number): TimestepSampler {
  if (kind === 'uniform') return new UniformSampler(T);
  if (kind === 'importance') return new LossSecondMomentSampler(T);
  throw new DiffusionInputError('sampler', kind, 'unknown value; expected "uniform" or "importance"');
}
