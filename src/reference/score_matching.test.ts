import { describe, it, expect } from 'vitest';
import { kdeLogDensity, kdeScore, sampleKdePairs, explicitScoreMatchingLoss, denoisingScoreMatchingLoss } from './score_matching.js';
import { Rng } from './rng.js';

const data = [Float64Array.of(0, 1), Float64Array.of(1, -1), Float64Array.of(-2, 0.5)];

describe('score matching (F5)', () => {
  it('KDE density integrates its normalization; score = finite differences of log q', () => {
    // One data point: q = N(x_1, h²I) exactly.
    const h = 0.7;
    expect(kdeLogDensity([data[0]], h, [0.3, 0.2])).toBeCloseTo(-Math.log(2 * Math.PI * h * h) - (0.09 + 0.64) / (2 * h * h), 13);
    const x = Float64Array.of(0.2, 0.1);
    const s = kdeScore(data, h, x);
    for (let i = 0; i < 2; i++) {
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[i] += 1e-5;
      xm[i] -= 1e-5;
      expect(s[i]).toBeCloseTo((kdeLogDensity(data, h, xp) - kdeLogDensity(data, h, xm)) / 2e-5, 7);
    }
  });
  it('losses: ESM is 0 for the true KDE score; DSM of the zero score is E‖z‖²/(2h²)', () => {
    const h = 0.5;
    const { x, clean, noise } = sampleKdePairs(data, h, 200, new Rng(1));
    expect(explicitScoreMatchingLoss((v) => kdeScore(data, h, v), data, h, x)).toBeLessThan(1e-28);
    const dsm0 = denoisingScoreMatchingLoss((v) => new Float64Array(v.length), clean, h, noise);
    const direct = noise.reduce((a, z) => a + (z[0] ** 2 + z[1] ** 2) / (2 * h * h), 0) / noise.length;
    expect(dsm0).toBeCloseTo(direct, 12);
    // x = x' + h z reconstructs the pair.
    expect(x[0][0]).toBeCloseTo(clean[0][0] + h * noise[0][0], 15);
  });
  it('bad inputs name the argument', () => {
    expect(() => kdeScore(data, 0, [0, 0])).toThrow(/^h:/);
    expect(() => kdeScore([[0, 0]], 1, [0])).toThrow(/data\[0\].*shape mismatch/);
    expect(() => kdeLogDensity([[0, 0]], 1, [0])).toThrow(/data\[0\].*shape mismatch/);
    expect(() => kdeLogDensity([0, 1] as never, 1, [0])).toThrow(/^data: must be a batch/);
    expect(() => sampleKdePairs(data, 1, 0, new Rng(1))).toThrow(/^n:/);
    expect(() => explicitScoreMatchingLoss(3 as never, data, 1, data)).toThrow(/^score/);
    expect(() => explicitScoreMatchingLoss(() => [1], data, 1, data)).toThrow(/score output/);
    expect(() => denoisingScoreMatchingLoss(3 as never, data, 1, data)).toThrow(/^score/);
    expect(() => denoisingScoreMatchingLoss((v) => v, data, 1, data.slice(1))).toThrow(/^noise.*shape mismatch/);
    expect(() => denoisingScoreMatchingLoss((v) => v, data, 1, [[1], [1], [1]])).toThrow(/noise\[0\]/);
    expect(() => denoisingScoreMatchingLoss((v) => v, data, -1, data)).toThrow(/^sigma/);
  });
});
