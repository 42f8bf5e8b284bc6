/**
 * Unit tests of the shared foundations: errors.ts, batch.ts, rng.ts, schedules.ts (section A).
 * Expected values are computed here from the formulas, independently of the implementation.
 */
import { describe, expect, it } from 'vitest';
import {
  betaSchedule,
  checkFiniteNumber,
  checkFiniteOutput,
  checkOneOf,
  checkPositiveInt,
  checkSameLength,
  checkTimestep,
  checkVec,
  describe as describeValue,
  fromZeroBased,
  gammaFromBeta,
  betaFromGamma,
  isBatch,
  makeRng,
  makeSchedule,
  rescaleZeroTerminalSnr,
  rowsLike,
  rowsOf,
  toZeroBased,
  validateBetas,
  zipMap,
  Rng,
} from './index.js';
import { expectInputError } from '../testing/expect-input-error.js';

/** Expect a DiffusionInputError whose message names `arg` (and optionally contains `value`). */

describe('errors.ts', () => {
  it('names the argument and the value', () => {
    expectInputError(() => checkFiniteNumber('x', NaN), 'x', 'NaN');
    expectInputError(() => checkPositiveInt('T', 2.5), 'T', '2.5');
    expectInputError(() => checkPositiveInt('T', 0), 'T', '0');
    expectInputError(() => checkTimestep('t', 1.5, 1, 10), 't', '1.5');
    expectInputError(() => checkTimestep('t', 11, 1, 10), 't', 'out of range');
    expectInputError(() => checkTimestep('t', '3', 1, 10), 't', '"3"');
    expectInputError(() => checkVec('x', [1, Infinity]), 'x[1]', 'Infinity');
    expectInputError(() => checkVec('x', []), 'x', 'empty');
    expectInputError(() => checkVec('x', 'abc'), 'x', '"abc"');
    expectInputError(() => checkSameLength('a', [1, 2], 'b', [1]), 'b', 'length 1');
    expectInputError(() => checkOneOf('name', 'foo', ['a', 'b'] as const), 'name', '"foo"');
    expectInputError(() => checkFiniteOutput('y', [1, NaN]), 'y', 'index 1');
  });
  it('describes values of every kind', () => {
    expect(describeValue([1, 2, 3, 4, 5, 6])).toBe('[1, 2, 3, 4, … (6 items)]');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(null)).toBe('null');
    expect(describeValue({ a: 1 })).toBe('{"a":1}');
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(describeValue(cyc)).toBe('[object Object]');
    expect(checkVec('x', new Float32Array([1, 2]))).toBeInstanceOf(Float64Array);
  });
});

describe('batch.ts', () => {
  it('maps vectors and batches, and rejects shape mismatch', () => {
    expect(isBatch([1, 2])).toBe(false);
    expect(isBatch([[1, 2]])).toBe(true);
    const y = zipMap(['a', 'b'], [[1, 2], [3, 4]], (a, b) => a * b);
    expect(Array.from(y)).toEqual([3, 8]);
    const yb = zipMap(['a', 'b'], [[[1], [2]], [[3], [4]]], (a, b) => a + b) as Float64Array[];
    expect(yb.map((r) => r[0])).toEqual([4, 6]);
    expectInputError(() => zipMap(['a', 'b'], [[1, 2], [3]], (a, b) => a + b), 'b', 'length 1');
    expectInputError(() => zipMap(['a', 'b'], [[1, 2], [[3, 4]]], (a, b) => a + b), 'b', 'batch of 1');
    expectInputError(() => rowsOf('x', [[1, 2], [3]]), 'x[1]', 'length 1');
    expectInputError(() => rowsOf('x', [[1, NaN]]), 'x[0][1]', 'NaN');
    const ref = rowsOf('x', [[1, 2], [3, 4]]);
    expectInputError(() => rowsLike('y', [[1, 2], [3]], 'x', ref), 'y', 'length');
  });
});

describe('rng.ts', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const a = makeRng(42).normals(5);
    const b = makeRng(42).normals(5);
    const c = makeRng(43).normals(5);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
  it('round-trips its state mid-stream (including the cached Box-Muller spare)', () => {
    const r = new Rng(7);
    r.normal(); // leaves a spare
    const st = r.getState();
    const x = [r.normal(), r.uniform(), r.normal(), r.int(10)];
    const r2 = new Rng(999);
    r2.setState(st);
    expect([r2.normal(), r2.uniform(), r2.normal(), r2.int(10)]).toEqual(x);
    expectInputError(() => r2.setState({ s: [1, 2, 3] as unknown as [number, number, number, number], spare: null }), 'state');
    expectInputError(() => new Rng(1.5), 'seed', '1.5');
  });
  it('every state along the stream is a valid, restorable state (unsigned 32-bit words)', () => {
    const r = new Rng(42);
    for (let i = 0; i < 1000; i++) {
      r.next32();
      const st = r.getState();
      const r2 = new Rng(0);
      r2.setState(st); // throws if a word is negative or ≥ 2^32
      expect(r2.next32()).toBe(r.next32());
    }
  });
  it('draws uniforms in (0,1) and normals with plausible moments (fixed seed, 6σ band: false alarm < 1e-8)', () => {
    const r = makeRng(1);
    const n = 20000;
    const xs = r.normals(n);
    let m = 0;
    let v = 0;
    for (const x of xs) m += x / n;
    for (const x of xs) v += (x - m) ** 2 / (n - 1);
    expect(Math.abs(m)).toBeLessThan(6 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(6 * Math.sqrt(2 / n));
    const batch = r.normalBatch(3, 4);
    expect(batch.length).toBe(3);
    expect(batch[2].length).toBe(4);
    for (let i = 0; i < 1000; i++) {
      const u = r.uniform();
      expect(u > 0 && u < 1).toBe(true);
    }
  });
});

describe('schedules.ts', () => {
  it('linear: from β_1 to β_T inclusive (seed 001 stops short: bug not followed)', () => {
    const b = betaSchedule('linear', 1000);
    expect(b[0]).toBe(1e-4);
    expect(b[999]).toBe(0.02);
    expect(b[1] - b[0]).toBeCloseTo((0.02 - 1e-4) / 999, 15);
    const scaled = betaSchedule('linear', 500, { scaleToT: true });
    expect(scaled[0]).toBeCloseTo(2e-4, 15);
    expect(scaled[499]).toBeCloseTo(0.04, 15);
    expect(Array.from(betaSchedule('linear', 1, { betaStart: 0.3 }))).toEqual([0.3]);
  });
  it('cosine: ᾱ_t = f(t)/f(0) where no β is clipped', () => {
    const T = 100;
    const s0 = 0.008;
    const f = (t: number) => Math.cos(((t / T + s0) / (1 + s0)) * (Math.PI / 2)) ** 2;
    const sched = makeSchedule(betaSchedule('cosine', T));
    for (const t of [1, 10, 50, 90, 98]) {
      expect(Math.abs(sched.alphaBar(t) / (f(t) / f(0)) - 1)).toBeLessThan(1e-12);
    }
    expect(sched.beta(T)).toBe(0.999); // clipped (f(T) = 0 would give β_T = 1)
  });
  it('scaled-linear endpoints: √β linear from √0.00085 to √0.012', () => {
    const b = betaSchedule('scaled-linear', 1000);
    expect(b[0]).toBeCloseTo(0.00085, 17);
    expect(b[999]).toBeCloseTo(0.012, 17);
    const mid = Math.sqrt(b[500]);
    expect(mid).toBeCloseTo(Math.sqrt(0.00085) + (500 / 999) * (Math.sqrt(0.012) - Math.sqrt(0.00085)), 15);
  });
  it('sigmoid: strictly increasing within (betaStart, betaEnd)', () => {
    const b = betaSchedule('sigmoid', 200);
    for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThan(b[i - 1]);
    expect(b[0]).toBeGreaterThan(1e-4);
    expect(b[199]).toBeLessThan(0.02);
  });
  it('constant and constant-gamma: geometric variance Var z_t = γ^{2t}·Var x + 1 - γ^{2t}', () => {
    expect(Array.from(betaSchedule('constant', 3))).toEqual([0.05, 0.05, 0.05]);
    const g = 0.9;
    const sched = makeSchedule(betaSchedule('constant-gamma', 20, { gamma: g }));
    for (const t of [1, 5, 20]) {
      expect(sched.alphaBar(t)).toBeCloseTo(g ** (2 * t), 14);
      // Var x = 4: ᾱ·4 + 1 - ᾱ
      let v = 4;
      for (let s = 1; s <= t; s++) v = g * g * v + (1 - g * g);
      expect(v).toBeCloseTo(g ** (2 * t) * 4 + 1 - g ** (2 * t), 13);
    }
    expect(gammaFromBeta(betaFromGamma(g))).toBeCloseTo(g, 15);
    expectInputError(() => betaSchedule('constant-gamma', 3, { gamma: 1 }), 'options.gamma', '1');
  });
  it('rescaleZeroTerminalSnr: ᾱ_T = 0 exactly, √ᾱ_1 kept', () => {
    const b = betaSchedule('linear', 1000);
    const r = rescaleZeroTerminalSnr(b);
    const s0 = makeSchedule(b);
    const s1 = makeSchedule(r);
    expect(r[999]).toBe(1);
    expect(s1.alphaBar(1000)).toBe(0);
    expect(s1.snr(1000)).toBe(0);
    expect(s1.logSnr(1000)).toBe(-Infinity);
    expect(Math.sqrt(s1.alphaBar(1))).toBeCloseTo(Math.sqrt(s0.alphaBar(1)), 14);
    expectInputError(() => rescaleZeroTerminalSnr([0.1]), 'betas', 'T ≥ 2');
  });
  it('invalid schedules: β outside (0,1), NaN, empty, unknown name, bad T', () => {
    expectInputError(() => makeSchedule([0.1, 0, 0.2]), 'betas[1] (β_2)', '0');
    expectInputError(() => makeSchedule([0.1, 1, 0.2]), 'betas[1] (β_2)', '1');
    expectInputError(() => makeSchedule([0.1, 1.2]), 'betas[1] (β_2)', '1.2');
    expectInputError(() => makeSchedule([0.1, NaN]), 'betas[1] (β_2)', 'NaN');
    expectInputError(() => makeSchedule([]), 'betas', 'empty');
    expectInputError(() => validateBetas(null as unknown as number[]), 'betas');
    expectInputError(() => betaSchedule('quadratic' as 'linear', 10), 'name', '"quadratic"');
    expectInputError(() => betaSchedule('linear', 0), 'T', '0');
    expectInputError(() => betaSchedule('linear', 10, { betaEnd: NaN }), 'options.betaEnd', 'NaN');
    expectInputError(() => betaSchedule('linear', 10, { betaEnd: 2 }), 'betas[5] (β_6)', '1.11');
  });
  it('schedule object: hand-computed T = 2 values and t validation', () => {
    const s = makeSchedule([0.1, 0.2]);
    expect(s.alpha(2)).toBeCloseTo(0.8, 16);
    expect(s.alphaBar(0)).toBe(1);
    expect(s.alphaBar(2)).toBeCloseTo(0.72, 15);
    expect(s.oneMinusAlphaBar(2)).toBeCloseTo(0.28, 15);
    expect(s.snr(2)).toBeCloseTo(0.72 / 0.28, 13);
    expect(s.posteriorVariance(1)).toBe(0);
    expect(s.posteriorVariance(2)).toBeCloseTo((0.1 / 0.28) * 0.2, 15);
    expect(s.posteriorLogVarianceClipped(1)).toBeCloseTo(Math.log((0.1 / 0.28) * 0.2), 14);
    expect(makeSchedule([0.3]).posteriorLogVarianceClipped(1)).toBeCloseTo(Math.log(0.3), 15);
    const [c0, ct] = s.posteriorMeanCoefs(2);
    expect(c0).toBeCloseTo((Math.sqrt(0.9) * 0.2) / 0.28, 14);
    expect(ct).toBeCloseTo((Math.sqrt(0.8) * 0.1) / 0.28, 14);
    expectInputError(() => s.beta(0), 't', '0');
    expectInputError(() => s.alphaBar(3), 't', '3');
    expectInputError(() => s.snr(1.5), 't', '1.5');
    expect(toZeroBased(1, 10)).toBe(0);
    expect(fromZeroBased(9, 10)).toBe(10);
    expectInputError(() => toZeroBased(0, 10), 't', '0');
    expectInputError(() => fromZeroBased(10, 10), 'i', '10');
  });
  it('1-ᾱ_t keeps its digits near t → 0 (no cancellation)', () => {
    const s = makeSchedule([1e-12, 1e-12]);
    expect(s.oneMinusAlphaBar(1) / 1e-12 - 1).toBeLessThan(1e-12);
    expect(Math.abs(s.oneMinusAlphaBar(2) / (2e-12 - 1e-24) - 1)).toBeLessThan(1e-12);
  });
});
