/**
 * Seeded float64 random numbers, so that every stochastic reference function is reproducible.
 *
 * Uniforms come from sfc32 (Chris Doty-Humphrey's small fast counting generator, 128-bit state),
 * two 32-bit outputs combined into a 53-bit mantissa, so `uniform()` ∈ (0, 1) has full float64
 * resolution and never returns 0 or 1. Normals use the Box-Muller transform (both values used).
 * The state is a plain array of numbers: `getState()`/`setState()` let a training run checkpoint
 * and resume its random stream exactly.
 */
import { DiffusionInputError } from './errors.js';

export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private spare: number | null = null;

  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isInteger(seed)) {
      throw new DiffusionInputError('seed', seed, 'must be an integer');
    }
    // splitmix32 to spread the seed over the state, then discard the first outputs.
    let x = seed >>> 0;
    const mix = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix() ^ Math.floor(seed / 2 ** 32);
    this.d = 1;
    for (let i = 0; i < 16; i++) this.next32();
  }

  /** One 32-bit unsigned integer. */
  next32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = (this.b ^ (this.b >>> 9)) >>> 0; // keep every state word an unsigned 32-bit integer
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform on the open interval (0, 1), 53 random bits. */
  uniform(): number {
    for (;;) {
      const hi = this.next32() >>> 5; // 27 bits
      const lo = this.next32() >>> 6; // 26 bits
      const u = (hi * 67108864 + lo) / 9007199254740992;
      if (u > 0) return u;
    }
  }

  /** Integer uniform in {0..n-1}. */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal N(0, 1). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const th = 2 * Math.PI * u2;
    this.spare = r * Math.sin(th);
    return r * Math.cos(th);
  }

  /** A vector of n independent standard normals. */
  normals(n: number): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }

  /** A batch of `rows` vectors of length `dim`, independent standard normals. */
  normalBatch(rows: number, dim: number): Float64Array[] {
    return Array.from({ length: rows }, () => this.normals(dim));
  }

  getState(): RngState {
    return { s: [this.a, this.b, this.c, this.d], spare: this.spare };
  }

  setState(state: RngState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4 || state.s.some((v) => !Number.isInteger(v) || v < 0 || v >= 2 ** 32)) {
      throw new DiffusionInputError('state', state, 'not an Rng state (expected {s: four uint32, spare})');
    }
    [this.a, this.b, this.c, this.d] = state.s;
    this.spare = state.spare ?? null;
  }
}

export function makeRng(seed: number): Rng {
  return new Rng(seed);
}
