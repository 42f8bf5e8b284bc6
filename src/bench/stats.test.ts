/**
 * The benchmark harness's arithmetic (issue 7): quantiles, median and spread, the timing loop with
 * an injected clock (warm-up, calibration of inner calls, per-call times), and the crossover
 * interpolation. No timing assertions: every expected value is derived by hand from the inputs.
 */
import { describe, expect, it } from 'vitest';
import { crossover, measure, measureAsync, median, quantileSorted, summarize } from './stats.js';

describe('quantiles and summary', () => {
  it('type-7 quantiles: h = (n-1)p, linear between order statistics', () => {
    const s = [1, 2, 3, 4];
    // h = 0.75 → 1 + 0.75·(2-1); h = 1.5 → 2.5; h = 2.25 → 3 + 0.25
    expect(quantileSorted(s, 0.25)).toBe(1.75);
    expect(quantileSorted(s, 0.5)).toBe(2.5);
    expect(quantileSorted(s, 0.75)).toBe(3.25);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
    expect(quantileSorted([7], 0.3)).toBe(7);
    expect(() => quantileSorted([], 0.5)).toThrow(/no values/);
    expect(() => quantileSorted([1], 1.5)).toThrow(/p must lie/);
  });

  it('median of an unsorted list, odd and even length', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([10, 2, 4, 8])).toBe(6);
  });

  it('summarize: median, quartiles, MAD, relative IQR, mean, extremes', () => {
    const s = summarize([4, 1, 100, 2, 3]); // sorted 1 2 3 4 100
    expect(s.n).toBe(5);
    expect(s.median).toBe(3);
    expect(s.min).toBe(1);
    expect(s.max).toBe(100);
    expect(s.q1).toBe(2); // h = 1
    expect(s.q3).toBe(4); // h = 3
    expect(s.mean).toBe(22);
    expect(s.mad).toBe(1); // |x - 3| = 2 1 0 1 97 → median 1
    expect(s.relIqr).toBeCloseTo(2 / 3, 15);
    expect(summarize([5]).relIqr).toBe(0);
  });

  it('summarize rejects empty and non-finite samples, naming the sample', () => {
    expect(() => summarize([])).toThrow(/at least one sample/);
    expect(() => summarize([1, NaN])).toThrow(/samples\[1\] = NaN/);
    expect(() => summarize([Infinity])).toThrow(/samples\[0\]/);
  });
});

/** A clock that advances by `cost` ms per call of the timed function. */
function fakeClock(cost: number) {
  let t = 0;
  let calls = 0;
  return {
    now: () => t,
    fn: () => {
      calls++;
      t += cost;
    },
    calls: () => calls,
  };
}

describe('measure', () => {
  it('warm-up calls are untimed; each sample is the time per call', () => {
    const c = fakeClock(2);
    const m = measure(c.fn, { warmup: 2, repeats: 4, now: c.now });
    expect(c.calls()).toBe(6);
    expect(m.inner).toBe(1);
    expect(m.samplesMs).toEqual([2, 2, 2, 2]);
    expect(m.summary.median).toBe(2);
  });

  it('calibrates inner calls so one sample lasts at least minSampleMs', () => {
    const c = fakeClock(0.3);
    const m = measure(c.fn, { warmup: 1, repeats: 3, minSampleMs: 3, now: c.now });
    expect(m.inner).toBe(10); // ceil(3 / 0.3)
    expect(c.calls()).toBe(1 + 3 * 10);
    for (const v of m.samplesMs) expect(v).toBeCloseTo(0.3, 12);
  });

  it('calibrates from an extra call when there is no warm-up, and caps inner at maxInner', () => {
    const c = fakeClock(0.001);
    const m = measure(c.fn, { warmup: 0, repeats: 2, minSampleMs: 100, maxInner: 50, now: c.now });
    expect(m.inner).toBe(50);
    expect(c.calls()).toBe(1 + 2 * 50);
  });

  it('rejects bad repeat counts', () => {
    expect(() => measure(() => {}, { repeats: 0 })).toThrow(/repeats/);
    expect(() => measure(() => {}, { warmup: -1 })).toThrow(/warmup/);
  });

  it('measureAsync times awaited work', async () => {
    let t = 0;
    const m = await measureAsync(
      async () => {
        t += 5;
      },
      { warmup: 1, repeats: 3, now: () => t },
    );
    expect(m.samplesMs).toEqual([5, 5, 5]);
  });
});

describe('crossover', () => {
  it('interpolates log(time) in log(size): A = n, B = 10·√n cross at n = 100 exactly', () => {
    const sizes = [10, 1000, 1e5];
    const a = sizes.map((n) => n);
    const b = sizes.map((n) => 10 * Math.sqrt(n));
    const x = crossover(sizes, a, b);
    expect(typeof x).toBe('number');
    expect(x as number).toBeCloseTo(100, 9);
  });

  it("'always' when B is faster everywhere, null when never", () => {
    expect(crossover([1, 2], [5, 5], [1, 1])).toBe('always');
    expect(crossover([1, 2], [1, 1], [5, 5])).toBeNull();
    expect(() => crossover([1], [1, 2], [1])).toThrow(/same non-zero length/);
  });
});
