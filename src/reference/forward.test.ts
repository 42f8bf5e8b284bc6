/**
 * Unit tests of forward.ts (B1-B4), posterior.ts (C1-C3) and parameterization.ts (D1-D4).
 * Expected values are computed in the test from the formulas (T = 2 schedule β = [0.1, 0.2]:
 * α = [0.9, 0.8], ᾱ = [1, 0.9, 0.72]) or by an independent route (Bayes' rule by completing the square).
 */
import { describe, expect, it } from 'vitest';
import {
  betaSchedule,
  epsFromScore,
  epsFromV,
  forwardVariance,
  makeRng,
  makeSchedule,
  meanFromEps,
  meanFromX0,
  posteriorLogVarianceClipped,
  posteriorMean,
  posteriorMeanFromEps,
  posteriorVariance,
  predictEpsFromX0,
  predictX0FromEps,
  qMeanVariance,
  qPosterior,
  qSample,
  qStep,
  rescaleZeroTerminalSnr,
  scoreFromEps,
  stepVariance,
  tweedieX0,
  vFromX0AndEps,
  vFromEps,
  vFromEpsAndX0,
  vFromEpsX0,
  validateSigmas,
  variancePreservingScale,
  veSigmas,
  veStep,
  x0FromPrediction,
  epsFromPrediction,
  x0FromV,
  checkSchedule,
  type Schedule,
} from './index.js';
import { broadcastMap, checkFiniteRows } from './common.js';
import { expectInputError } from '../testing/expect-input-error.js';


const S2 = makeSchedule([0.1, 0.2]);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-14) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
};

describe('B1-B2 forward steps', () => {
  it('qStep and qSample: hand-computed values, vector and batch', () => {
    close(qStep(S2, [1, -2], 2, [0.5, 0.25]), [Math.sqrt(0.8) * 1 + Math.sqrt(0.2) * 0.5, Math.sqrt(0.8) * -2 + Math.sqrt(0.2) * 0.25]);
    close(qSample(S2, [1, -2], 2, [0.5, 0.25]), [Math.sqrt(0.72) + Math.sqrt(0.28) * 0.5, -2 * Math.sqrt(0.72) + Math.sqrt(0.28) * 0.25]);
    close(qSample(S2, [3, 4], 0, [9, 9]), [3, 4]);
    const b = qSample(S2, [[1], [2]], 1, [[0], [1]]);
    expect(Array.isArray(b)).toBe(true);
    close(b[1], [2 * Math.sqrt(0.9) + Math.sqrt(0.1)]);
    // composing two qSteps with fixed noises gives a point of q(x_2|x_0) whose noise is the combination
    const e1 = 0.3;
    const e2 = -0.7;
    const x1 = qStep(S2, [1], 1, [e1]);
    const x2 = qStep(S2, x1, 2, [e2]);
    const epsCombined = (Math.sqrt(0.8) * Math.sqrt(0.1) * e1 + Math.sqrt(0.2) * e2) / Math.sqrt(0.28);
    close(x2, qSample(S2, [1], 2, [epsCombined]));
  });
  it('qMeanVariance', () => {
    const m = qMeanVariance(S2, [2], 2);
    close(m.mean, [2 * Math.sqrt(0.72)]);
    expect(m.variance).toBeCloseTo(0.28, 15);
    expect(m.logVariance).toBeCloseTo(Math.log(0.28), 14);
  });
  it('bad input: t, shapes, NaN data, non-schedule', () => {
    expectInputError(() => qSample(S2, [1], 3, [1]), 't', '3');
    expectInputError(() => qSample(S2, [1], -1, [1]), 't', '-1');
    expectInputError(() => qStep(S2, [1], 0, [1]), 't', '0');
    expectInputError(() => qStep(S2, [1], 1.5, [1]), 't', '1.5');
    expectInputError(() => qSample(S2, [1, 2], 1, [1]), 'eps', 'length 1');
    expectInputError(() => qSample(S2, [1, NaN], 1, [1, 2]), 'x0[1]', 'NaN');
    expectInputError(() => qStep(S2, [1], 1, [Infinity]), 'eps[0]', 'Infinity');
    expectInputError(() => qSample({ T: 2 } as unknown as Schedule, [1], 1, [1]), 'schedule');
    expectInputError(() => checkSchedule(null), 'schedule', 'null');
    expectInputError(() => qMeanVariance(S2, [1], 0), 't', '0');
    // the scalar path of the broadcasting helper guards its output too
    expectInputError(() => broadcastMap(['a', 'b'], [1, 0], (a, b) => a / b), 'a, b', 'non-finite');
    expect(broadcastMap(['a', 'b'], [1, 2], (a, b) => a + b)).toBe(3);
    expectInputError(() => checkFiniteRows('y', [new Float64Array([1]), new Float64Array([1, NaN])]), 'y', 'row 1, index 1');
    expectInputError(() => checkFiniteRows('y', new Float64Array([Infinity])), 'y', 'index 0');
  });
});

describe('B3 variance preservation, B4 VE step', () => {
  it('Var x_t = ᾱ_t Var x_0 + 1 - ᾱ_t; = 1 for unit variance', () => {
    expect(forwardVariance(S2, 2, 1)).toBeCloseTo(1, 15);
    expect(forwardVariance(S2, 2, 3)).toBeCloseTo(0.72 * 3 + 0.28, 14);
    close(forwardVariance(S2, 1, [0, 2]) as Float64Array, [0.1, 0.9 * 2 + 0.1]);
    expectInputError(() => forwardVariance(S2, 1, -1), 'var0', '-1');
    expect(stepVariance(1, 0.3)).toBeCloseTo(1, 15);
    expect(stepVariance(2, 0.3, 1)).toBeCloseTo(2.3, 15);
    expect(variancePreservingScale(0.36)).toBeCloseTo(0.8, 15);
    expectInputError(() => stepVariance(-1, 0.3), 'v', '-1');
    expectInputError(() => stepVariance(1, 0), 'beta', '0');
    expectInputError(() => variancePreservingScale(1.5), 'beta', '1.5');
    // iterating stepVariance reproduces the closed form for any schedule
    const s = makeSchedule(betaSchedule('cosine', 50));
    let v = 0.25;
    for (let t = 1; t <= 50; t++) v = stepVariance(v, s.beta(t));
    expect(v).toBeCloseTo(forwardVariance(s, 50, 0.25) as number, 13);
  });
  it('veSigmas is geometric with exact endpoints; veStep adds √(σ_i²-σ_{i-1}²) z', () => {
    const sg = veSigmas(0.01, 50, 10);
    expect(sg[0]).toBe(0.01);
    expect(sg[9]).toBe(50);
    for (let i = 1; i < 9; i++) expect(sg[i + 1] / sg[i]).toBeCloseTo(sg[1] / sg[0], 12);
    close(veStep(sg, [1, 2], 1, [1, -1]), [1 + 0.01, 2 - 0.01]);
    close(veStep(sg, [1], 3, [2]), [1 + 2 * Math.sqrt(sg[2] ** 2 - sg[1] ** 2)], 1e-13);
    expectInputError(() => veStep(sg, [1], 11, [2]), 'i', '11');
    expectInputError(() => validateSigmas([1, 1]), 'sigmas[1] (σ_2)', '1');
    expectInputError(() => validateSigmas([0, 1]), 'sigmas[0] (σ_1)', '0');
    expectInputError(() => veSigmas(0, 1, 3), 'sigmaMin', '0');
    expectInputError(() => veSigmas(2, 1, 3), 'sigmaMax', '1');
    expectInputError(() => veSigmas(1, 2, 1), 'N', '1');
  });
});

describe('C1-C3 posterior', () => {
  it('hand-computed T = 2 moments; t = 1 is a point mass at x_0', () => {
    const q = qPosterior(S2, [1, -1], [0.5, 2], 2);
    const c0 = (Math.sqrt(0.9) * 0.2) / 0.28;
    const ct = (Math.sqrt(0.8) * 0.1) / 0.28;
    close(q.mean, [c0 + ct * 0.5, -c0 + ct * 2]);
    expect(q.variance).toBeCloseTo((0.1 / 0.28) * 0.2, 15);
    expect(q.logVariance).toBeCloseTo(Math.log((0.1 / 0.28) * 0.2), 14);
    const q1 = qPosterior(S2, [1.25, -3], [7, 8], 1);
    close(q1.mean, [1.25, -3]);
    expect(q1.variance).toBe(0);
    expect(q1.logVariance).toBe(q.logVariance); // C3: clipped to log β̃_2
    expect(posteriorVariance(S2, 2)).toBe(q.variance);
    expect(posteriorLogVarianceClipped(S2, 1)).toBe(q.logVariance);
    expectInputError(() => qPosterior(S2, [1], [1], 0), 't', '0');
    expectInputError(() => qPosterior(S2, [1], [1, 2], 1), 'xt', 'length 2');
  });
  it('C1 = Bayes by completing the square (independent route), on a cosine schedule', () => {
    const s = makeSchedule(betaSchedule('cosine', 30));
    for (const t of [2, 7, 30]) {
      const x0 = 0.7;
      const xt = -1.3;
      const abPrev = s.alphaBar(t - 1);
      const a = s.alpha(t);
      const b = s.beta(t);
      // prior x_{t-1} ~ N(√ᾱ_{t-1} x0, 1-ᾱ_{t-1}); likelihood x_t | x_{t-1} ~ N(√α x_{t-1}, β)
      const prec = 1 / (1 - abPrev) + a / b;
      const mean = ((Math.sqrt(abPrev) * x0) / (1 - abPrev) + (Math.sqrt(a) * xt) / b) / prec;
      const q = qPosterior(s, [x0], [xt], t);
      close(q.mean, [mean], 1e-12);
      expect(Math.abs(q.variance * prec - 1)).toBeLessThan(1e-12);
    }
  });
  it('C2 ε-form equals C1 with x_0 implied by (x_t, ε)', () => {
    const s = makeSchedule(betaSchedule('linear', 100));
    const rng = makeRng(3);
    for (const t of [1, 2, 50, 100]) {
      const x0 = rng.normals(4);
      const eps = rng.normals(4);
      const xt = qSample(s, x0, t, eps);
      close(posteriorMeanFromEps(s, xt, t, eps), posteriorMean(s, x0, xt, t), 1e-12);
    }
    const z = makeSchedule(rescaleZeroTerminalSnr(betaSchedule('linear', 10)));
    expectInputError(() => posteriorMeanFromEps(z, [1], 10, [1]), 't', '10');
  });
});

describe('D1-D4 parameterizations', () => {
  const s = makeSchedule(betaSchedule('linear', 1000));
  const rng = makeRng(11);
  it('D1 round trips and hand values', () => {
    close(predictX0FromEps(S2, [1], 2, [0.5]), [(1 - Math.sqrt(0.28) * 0.5) / Math.sqrt(0.72)]);
    close(predictEpsFromX0(S2, [1], 2, [0.5]), [(1 - Math.sqrt(0.72) * 0.5) / Math.sqrt(0.28)]);
    for (const t of [1, 10, 500, 1000]) {
      const x0 = rng.normals(5);
      const eps = rng.normals(5);
      const xt = qSample(s, x0, t, eps);
      close(predictX0FromEps(s, xt, t, eps), x0, 1e-10);
      close(predictEpsFromX0(s, xt, t, x0), eps, 1e-10);
    }
  });
  it('D2: v from (x_t, ε) = v from (ε, x_0); ε and x_0 recovered from v', () => {
    close(vFromX0AndEps(S2, [1], 2, [0.5]), [Math.sqrt(0.72) * 0.5 - Math.sqrt(0.28)]);
    for (const t of [1, 300, 1000]) {
      const x0 = rng.normals(3);
      const eps = rng.normals(3);
      const xt = qSample(s, x0, t, eps);
      const v = vFromX0AndEps(s, x0, t, eps);
      close(vFromEps(s, xt, t, eps), v, 1e-9);
      // the deprecated names: same values, their old argument orders
      close(vFromEpsAndX0(s, t, eps, x0), v, 0);
      close(vFromEpsX0(s, xt, t, eps), vFromEps(s, xt, t, eps), 0);
      close(epsFromV(s, xt, t, v), eps, 1e-12);
      close(x0FromV(s, xt, t, v), x0, 1e-12);
      close(x0FromPrediction(s, xt, t, v, 'v'), x0, 1e-12);
      close(epsFromPrediction(s, xt, t, x0, 'x0'), eps, 1e-9);
      close(epsFromPrediction(s, xt, t, eps, 'eps'), eps, 0);
      close(x0FromPrediction(s, xt, t, x0, 'x0'), x0, 0);
      close(epsFromPrediction(s, xt, t, v, 'v'), eps, 1e-12);
    }
    expectInputError(() => x0FromPrediction(s, [1], 1, [1], 'score' as 'eps'), 'prediction', '"score"');
  });
  it('D3: score and Tweedie', () => {
    close(scoreFromEps(S2, [9], 2, [0.5]), [-0.5 / Math.sqrt(0.28)]);
    close(epsFromScore(S2, [9], 2, [2]), [-2 * Math.sqrt(0.28)]);
    const xt = [0.3, -0.4];
    const eps = [1.1, 0.2];
    close(tweedieX0(s, xt, 400, scoreFromEps(s, xt, 400, eps)), predictX0FromEps(s, xt, 400, eps), 1e-13);
    close(tweedieX0(S2, [1], 2, [2]), [(1 + 0.28 * 2) / Math.sqrt(0.72)]);
  });
  it('D4: μ_θ from x̂_0 (eq. 52) equals μ_θ from ε̂ (eq. 58)', () => {
    for (const t of [1, 2, 999]) {
      const xt = rng.normals(4);
      const epsHat = rng.normals(4);
      close(meanFromX0(s, xt, t, predictX0FromEps(s, xt, t, epsHat)), meanFromEps(s, xt, t, epsHat), 1e-11);
    }
  });
  it('zero terminal SNR: ε-based formulas throw naming t, v-based ones work', () => {
    const z = makeSchedule(rescaleZeroTerminalSnr(betaSchedule('linear', 10)));
    expectInputError(() => predictX0FromEps(z, [1], 10, [1]), 't', '10');
    expectInputError(() => vFromEps(z, [1], 10, [1]), 't', '10');
    expectInputError(() => tweedieX0(z, [1], 10, [1]), 't', '10');
    close(x0FromV(z, [0.3], 10, [2]), [-2]);
    close(epsFromV(z, [0.3], 10, [2]), [0.3]);
  });
  it('near t → 0 the conversions keep their digits (tiny β)', () => {
    const tiny = makeSchedule([1e-14, 1e-14, 1e-14]);
    const x0 = [0.123456789];
    const eps = [0.987654321];
    const xt = qSample(tiny, x0, 1, eps);
    // ε from (x_t, x_0) divides by √(1-ᾱ) = 1e-7: its error is ~ulp(x_t)/1e-7 ≈ 1e-9
    close(predictEpsFromX0(tiny, xt, 1, x0), eps, 1e-8);
    close(predictX0FromEps(tiny, xt, 1, eps), x0, 1e-15);
  });
});
