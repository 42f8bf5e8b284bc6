/**
 * A seeded Brownian tree: a Brownian motion W on [t0, t1] whose value at any time is a
 * deterministic function of (seed, time), so the noise of a σ-interval is the same whatever the
 * step count (the "virtual Brownian tree" of Li et al. 2020, "Scalable Gradients for SDEs", §4;
 * k-diffusion's BrownianTreeNoiseSampler uses torchsde's implementation of it).
 *
 * Construction (Lévy's midpoint construction of Brownian motion): W(t0) = 0,
 * W(t1) = √(t1-t0)·z_root; for a dyadic interval [a, b] with known W(a), W(b), the midpoint
 * m = (a+b)/2 has the Brownian-bridge law
 *     W(m) = (W(a) + W(b))/2 + √((b-a)/4)·z_node                                     (bridge, Lévy)
 * with z_node standard normals drawn from an Rng seeded by a hash of (seed, depth, index), so every
 * node's draw is fixed once the seed is. A query at t descends the tree until t lies within
 * `tol·(t1-t0)` of a node, or the depth limit, and returns the bridge mean between the two
 * nearest nodes (linear interpolation; the neglected bridge variance is ≤ (t1-t0)·2^-depth/4).
 *
 * W is a batch (rows × dim) of independent motions, one per entry of the sampler's state.
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt } from './errors.js';
import { Rng } from './rng.js';
import type { Rows } from './model.js';

function mix32(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/** A 52-bit integer seed for node (depth, index) of the tree with `seed`. */
function nodeSeed(seed: number, depth: number, index: number): number {
  const lo = mix32(mix32(seed >>> 0) ^ mix32((depth * 0x27d4eb2d) >>> 0) ^ (index >>> 0));
  const hi = mix32(lo ^ mix32(Math.floor(seed / 2 ** 32) >>> 0) ^ mix32(Math.floor(index / 2 ** 32) + depth));
  return (hi & 0xfffff) * 2 ** 32 + lo;
}

export interface BrownianTreeOptions {
  seed: number;
  /** Interval [t0, t1] of the motion (for σ-space samplers: [σ_min, σ_max] of the grid). */
  t0: number;
  t1: number;
  /** Batch shape [rows, dim]. */
  shape: [number, number];
  /** Relative tolerance of a query (default 1e-10); sets the depth (≤ 48). */
  tol?: number;
}

export class BrownianTree {
  readonly seed: number;
  readonly t0: number;
  readonly t1: number;
  readonly shape: [number, number];
  readonly maxDepth: number;
  private readonly root: Float64Array;
  private readonly cache = new Map<number, Float64Array>();

  constructor(options: BrownianTreeOptions) {
    const o = options ?? ({} as BrownianTreeOptions);
    if (typeof o.seed !== 'number' || !Number.isInteger(o.seed) || o.seed < 0) throw new DiffusionInputError('options.seed', o.seed, 'must be a non-negative integer');
    const t0 = checkFiniteNumber('options.t0', o.t0);
    const t1 = checkFiniteNumber('options.t1', o.t1);
    if (!(t1 > t0)) throw new DiffusionInputError('options.t1', t1, `must be > t0 = ${t0}`);
    if (!Array.isArray(o.shape) || o.shape.length !== 2) throw new DiffusionInputError('options.shape', o.shape, 'must be [rows, dim]');
    checkPositiveInt('options.shape[0]', o.shape[0]);
    checkPositiveInt('options.shape[1]', o.shape[1]);
    const tol = checkFiniteNumber('options.tol', o.tol ?? 1e-10);
    if (!(tol > 0 && tol < 1)) throw new DiffusionInputError('options.tol', tol, 'must lie in (0, 1)');
    this.seed = o.seed;
    this.t0 = t0;
    this.t1 = t1;
    this.shape = [o.shape[0], o.shape[1]];
    this.maxDepth = Math.min(48, Math.ceil(-Math.log2(tol)));
    const z = this.draw(0, 0);
    const sc = Math.sqrt(t1 - t0);
    for (let i = 0; i < z.length; i++) z[i] *= sc;
    this.root = z;
  }

  private draw(depth: number, index: number): Float64Array {
    return new Rng(nodeSeed(this.seed, depth, index)).normals(this.shape[0] * this.shape[1]);
  }

  /** W(t) as a flat row-major array (rows·dim). */
  valueFlat(t: number): Float64Array {
    const v = checkFiniteNumber('t', t);
    const span = this.t1 - this.t0;
    if (v < this.t0 - 1e-12 * span || v > this.t1 + 1e-12 * span) throw new DiffusionInputError('t', v, `outside the tree's interval [${this.t0}, ${this.t1}]`);
    const cached = this.cache.get(v);
    if (cached) return cached;
    const n = this.root.length;
    let a = this.t0;
    let b = this.t1;
    let wa = new Float64Array(n);
    let wb = this.root;
    let out: Float64Array | undefined;
    if (v <= a) out = wa;
    else if (v >= b) out = wb;
    let index = 0;
    for (let depth = 1; !out && depth <= this.maxDepth; depth++) {
      const m = 0.5 * (a + b);
      const z = this.draw(depth, index);
      const sc = Math.sqrt((b - a) / 4);
      const wm = new Float64Array(n);
      for (let i = 0; i < n; i++) wm[i] = 0.5 * (wa[i] + wb[i]) + sc * z[i];
      if (Math.abs(v - m) <= 0.5 ** this.maxDepth * span) out = wm;
      else if (v < m) {
        b = m;
        wb = wm;
        index = 2 * index;
      } else {
        a = m;
        wa = wm;
        index = 2 * index + 1;
      }
    }
    if (!out) {
      const w = (v - a) / (b - a);
      out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = (1 - w) * wa[i] + w * wb[i];
    }
    if (this.cache.size >= 8) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(v, out);
    return out;
  }

  /** W(t) - W(s) as a batch. */
  increment(s: number, t: number): Rows {
    const a = this.valueFlat(s);
    const b = this.valueFlat(t);
    const [rows, dim] = this.shape;
    return Array.from({ length: rows }, (_, r) => {
      const o = new Float64Array(dim);
      for (let i = 0; i < dim; i++) o[i] = b[r * dim + i] - a[r * dim + i];
      return o;
    });
  }
}

/**
 * Noise for a σ-space step σ → σ_next: standard normals (W(σ_next) - W(σ))/√|σ_next - σ| of a
 * Brownian tree on [σ_min, σ_max] (k-diffusion's BrownianTreeNoiseSampler with the identity
 * transform). The same σ-interval gets the same noise for any grid that contains it, and the
 * noises of adjacent intervals are independent; refining a step splits its noise consistently.
 */
export type NoiseSampler = (sigma: number, sigmaNext: number) => Rows;

export function brownianNoiseSampler(tree: BrownianTree): NoiseSampler {
  if (!(tree instanceof BrownianTree)) throw new DiffusionInputError('tree', tree, 'must be a BrownianTree');
  return (sigma: number, sigmaNext: number) => {
    const a = Math.min(sigma, sigmaNext);
    const b = Math.max(sigma, sigmaNext);
    if (!(b > a)) throw new DiffusionInputError('sigmaNext', sigmaNext, `must differ from sigma = ${sigma}`);
    const inc = tree.increment(a, b);
    const sc = 1 / Math.sqrt(b - a);
    return inc.map((r) => r.map((v) => v * sc));
  };
}
