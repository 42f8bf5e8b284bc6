import { describe, it, expect } from 'vitest';
import { normalQuantile, zTwoSided, bonferroni, ErrorTracker, ClaimFailure, unitRoundoff, applicable, missingMembers, type Claim } from '../src/conformance/harness.js';
import type { DiffusionImpl } from '../src/conformance/interface.js';

// Quantiles computed with mpmath at 30 digits (√2·erfinv(2p-1)) for the exact double p.
describe('harness: thresholds from false-alarm rates', () => {
  it('normalQuantile matches tabulated quantiles to 1e-14 relative', () => {
    const table: [number, number][] = [
      [0.975, 1.959963984540054],
      [0.5, 0],
      [0.025, -1.959963984540054],
      [1e-10, -6.361340902404056],
      [1 - 2 ** -24, 5.294704084854598], // p exactly representable, so the tail 1-p is exact
    ];
    for (const [p, z] of table) expect(Math.abs(normalQuantile(p) - z)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(z)));
    expect(() => normalQuantile(0)).toThrow(/p must be in/);
  });
  it('zTwoSided(α) leaves α in the two tails; bonferroni splits α evenly', () => {
    expect(zTwoSided(0.05)).toBeCloseTo(1.959963984540054, 13);
    expect(zTwoSided(1e-6)).toBeCloseTo(4.891638475699, 10);
    expect(bonferroni(1e-6, 100)).toBe(1e-8);
  });
});

describe('harness: ErrorTracker', () => {
  it('accepts errors within the bound and records the worst relative to its bound', () => {
    const tr = new ErrorTracker('x');
    tr.close('a', [1 + 1e-12], [1], 0, 1e-10);
    tr.close('b', [2 + 5e-11], [2], 0, 1e-10);
    expect(Math.abs(tr.worstError - 5e-11)).toBeLessThan(1e-15);
    expect(tr.result().bound).toBe(1e-10);
  });
  it('throws a ClaimFailure naming the case when an error exceeds its bound, or on NaN', () => {
    const tr = new ErrorTracker('claim.id');
    expect(() => tr.close('mean', [1.1], [1], 0, 1e-3)).toThrow(ClaimFailure);
    expect(() => tr.close('mean', [NaN], [1], 0, 1e-3)).toThrow(/\[claim\.id\] mean\[0\]/);
    expect(() => tr.close('len', [1, 2], [1], 0, 1)).toThrow(/length 2, expected 1/);
    expect(() => tr.atMost('ks', 0.3, 0.2)).toThrow(/exceeds/);
  });
});

describe('harness: applicability', () => {
  const claim: Claim = { id: 'c', title: 't', catalog: '-', requires: ['qSample', 'qStep'], run: () => ({ worstError: 0, bound: 1 }) };
  it('a claim applies only when every member it requires is present', () => {
    const partial: DiffusionImpl = { name: 'p', precision: 'float32', qSample: () => [0] };
    expect(applicable(claim, partial)).toBe(false);
    expect(missingMembers(claim, partial)).toEqual(['qStep']);
    expect(unitRoundoff(partial)).toBe(2 ** -24);
    expect(unitRoundoff({ name: 'q', precision: 'float64' })).toBe(2 ** -53);
  });
});
