/**
 * Unit tests of ddpm.ts (E1), ddim.ts (E2) and embedding.ts (D5). Expected values are computed in
 * the test from the formulas on the T = 2 schedule β = [0.1, 0.2] (ᾱ = [1, 0.9, 0.72]).
 */
import { describe, expect, it } from 'vitest';
import {
  betaSchedule,
  ddimSigma,
  ddimStep,
  ddimTimesteps,
  ddpmStep,
  fixedLogVariance,
  makeRng,
  makeSchedule,
  pMeanVariance,
  posteriorMean,
  predictX0FromEps,
  qPosterior,
  qSample,
  rescaleZeroTerminalSnr,
  reverseLogVariance,
  timestepEmbedding,
  timestepFrequencies,
  vFromX0AndEps,
} from './index.js';
import { expectInputError } from '../testing/expect-input-error.js';


const S2 = makeSchedule([0.1, 0.2]);
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-14) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(b[i])));
};
const bt2 = (0.1 / 0.28) * 0.2; // β̃_2

describe('E1 ddpmStep', () => {
  it('ε-prediction, both fixed variances: hand-computed', () => {
    const mean = (1 - (0.2 / Math.sqrt(0.28)) * 0.5) / Math.sqrt(0.8);
    close(ddpmStep(S2, [1], 2, [0.5], { noise: [0.3] }), [mean + Math.sqrt(bt2) * 0.3]);
    close(ddpmStep(S2, [1], 2, [0.5], { noise: [0.3], variance: 'beta' }), [mean + Math.sqrt(0.2) * 0.3]);
  });
  it('t = 1 adds no noise and returns x̂_0 (seed 001 adds noise there: bug)', () => {
    const x0hat = (1 - Math.sqrt(0.1) * 0.5) / Math.sqrt(0.9);
    close(ddpmStep(S2, [1], 1, [0.5], { noise: [100] }), [x0hat]);
    close(ddpmStep(S2, [1], 1, [0.5]), [x0hat]);
  });
  it('x0- and v-prediction, clipping', () => {
    const [c0, ct] = [(Math.sqrt(0.9) * 0.2) / 0.28, (Math.sqrt(0.8) * 0.1) / 0.28];
    close(ddpmStep(S2, [0.4], 2, [2], { prediction: 'x0', clip: true, noise: [0] }), [c0 * 1 + ct * 0.4]);
    close(ddpmStep(S2, [0.4], 2, [2], { prediction: 'x0', noise: [0] }), [c0 * 2 + ct * 0.4]);
    // ε̂ = 0.5 with x_t = 0.4 ⇒ x̂_0 and v̂ implied; all three predictions give one step
    const x0hat = predictX0FromEps(S2, [0.4], 2, [0.5]);
    const vhat = vFromX0AndEps(S2, x0hat, 2, [0.5]);
    const a = ddpmStep(S2, [0.4], 2, [0.5], { noise: [0.7] });
    close(ddpmStep(S2, [0.4], 2, x0hat, { prediction: 'x0', noise: [0.7] }), a, 1e-13);
    close(ddpmStep(S2, [0.4], 2, vhat, { prediction: 'v', noise: [0.7] }), a, 1e-13);
    // clipping with an ε-prediction goes through x̂_0 (clipped to 1 here)
    close(ddpmStep(S2, [3], 2, [0], { clip: true, noise: [0] }), [c0 * 1 + ct * 3]);
  });
  it('with the true x_0 and σ² = β̃_t the step is an exact posterior draw', () => {
    const s = makeSchedule(betaSchedule('cosine', 40));
    const rng = makeRng(5);
    const x0 = rng.normals(3);
    const xt = qSample(s, x0, 17, rng.normals(3));
    const z = rng.normals(3);
    const q = qPosterior(s, x0, xt, 17);
    close(ddpmStep(s, xt, 17, x0, { prediction: 'x0', noise: z }), (q.mean as Float64Array).map((m, i) => m + Math.sqrt(q.variance) * z[i]), 1e-13);
  });
  it('variance options: learned range, given log variance, rng, batch', () => {
    const lvB = Math.log(0.2);
    const lvP = Math.log(bt2);
    close(reverseLogVariance(S2, [0, 0, 0], 2, { learnedRange: [0, 1, 0.5] }), [lvP, lvB, 0.5 * (lvP + lvB)]);
    close(reverseLogVariance(S2, [0], 2, { logVariance: [-3] }), [-3]);
    expect(fixedLogVariance(S2, 1, 'beta')).toBe(fixedLogVariance(S2, 1, 'posterior'));
    expect(fixedLogVariance(S2, 2, 'beta')).toBeCloseTo(lvB, 15);
    const p = pMeanVariance(S2, [1], 2, [0.5], { variance: { logVariance: [-3] } });
    close(p.logVariance, [-3]);
    close(p.predX0, predictX0FromEps(S2, [1], 2, [0.5]));
    const r1 = ddpmStep(S2, [[1], [2]], 2, [[0.5], [0.1]], { rng: makeRng(9) });
    const r2 = ddpmStep(S2, [[1], [2]], 2, [[0.5], [0.1]], { rng: makeRng(9) });
    expect(r1.length).toBe(2);
    close(r1[1], r2[1], 0);
    const z = makeRng(9).normalBatch(2, 1);
    close(r1[0], ddpmStep(S2, [1], 2, [0.5], { noise: z[0] }), 0);
  });
  it('bad input', () => {
    expectInputError(() => ddpmStep(S2, [1], 2, [0.5]), 'options.noise');
    expectInputError(() => ddpmStep(S2, [1], 3, [0.5], { noise: [0] }), 't', '3');
    expectInputError(() => ddpmStep(S2, [1], 2, [0.5, 1], { noise: [0] }), 'modelOutput', 'length 2');
    expectInputError(() => ddpmStep(S2, [1], 2, [0.5], { noise: [0, 1] }), 'options.noise', 'length 2');
    expectInputError(() => ddpmStep(S2, [1], 2, [0.5], { noise: [0], prediction: 'score' as 'eps' }), 'options.prediction', '"score"');
    expectInputError(() => ddpmStep(S2, [1], 2, [0.5], { noise: [0], variance: 'large' as 'beta' }), 'options.variance', '"large"');
    expectInputError(() => ddpmStep(S2, [1], 2, [0.5], { noise: [0], variance: {} as { logVariance: number[] } }), 'options.variance');
    expectInputError(() => reverseLogVariance(S2, [0], 2, { learnedRange: [1.5] }), 'options.variance.learnedRange[0]', '1.5');
    expectInputError(() => ddpmStep(S2, [NaN], 2, [0.5], { noise: [0] }), 'xt[0]', 'NaN');
    const z = makeSchedule(rescaleZeroTerminalSnr(betaSchedule('linear', 5)));
    expectInputError(() => ddpmStep(z, [1], 5, [0.5], { noise: [0] }), 't', '5');
    expect(ddpmStep(z, [1], 5, [0.5], { noise: [0], prediction: 'v' })[0]).toBeCloseTo(-0.5 * Math.sqrt(z.alphaBar(4)), 14);
  });
});

describe('E2 DDIM', () => {
  it('timesteps: leading, trailing, linspace in 1-based form (diffusers 0-based + 1)', () => {
    expect(ddimTimesteps(1000, 10, 'leading')).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(ddimTimesteps(1000, 10, 'leading', 1)).toEqual([902, 802, 702, 602, 502, 402, 302, 202, 102, 2]);
    expect(ddimTimesteps(1000, 10, 'trailing')).toEqual([1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]);
    expect(ddimTimesteps(1000, 10, 'linspace')).toEqual([1000, 889, 778, 667, 556, 445, 334, 223, 112, 1]);
    // numpy rounds half to even: linspace(0, 9, 3) = [0, 4.5, 9] → [0, 4, 9]
    expect(ddimTimesteps(10, 3, 'linspace')).toEqual([10, 5, 1]);
    // trailing with a non-integer ratio: round(7 - k·7/3) - 1 = [6, 4, 1] (4.667 → 5, 2.333 → 2)
    expect(ddimTimesteps(7, 3, 'trailing')).toEqual([7, 5, 2]);
    for (const sp of ['leading', 'trailing', 'linspace'] as const) {
      expect(ddimTimesteps(5, 5, sp)).toEqual([5, 4, 3, 2, 1]);
    }
    expect(ddimTimesteps(5, 1, 'linspace')).toEqual([1]);
    expectInputError(() => ddimTimesteps(10, 11, 'leading'), 'steps', '11');
    expectInputError(() => ddimTimesteps(10, 0, 'leading'), 'steps', '0');
    expectInputError(() => ddimTimesteps(10, 2, 'uniform' as 'leading'), 'spacing', '"uniform"');
    expectInputError(() => ddimTimesteps(10, 2, 'leading', -1), 'stepsOffset', '-1');
    expectInputError(() => ddimTimesteps(10, 2, 'leading', 6), 'stepsOffset', '6');
  });
  it('σ_t(η): η = 1 on the full sequence gives β̃_t; η = 0 gives 0', () => {
    const s = makeSchedule(betaSchedule('linear', 100));
    for (const t of [2, 50, 100]) expect(ddimSigma(s, t, t - 1, 1) ** 2 / s.posteriorVariance(t)).toBeCloseTo(1, 13);
    expect(ddimSigma(s, 50, 10, 0)).toBe(0);
    expect(ddimSigma(S2, 2, 0, 1)).toBe(0);
    expectInputError(() => ddimSigma(s, 50, 50, 1), 'tPrev', '50');
    expectInputError(() => ddimSigma(s, 50, 10, -1), 'eta', '-1');
  });
  it('η = 0 hand-computed; tPrev = 0 returns x̂_0', () => {
    const x0hat = (1 - Math.sqrt(0.28) * 0.5) / Math.sqrt(0.72);
    close(ddimStep(S2, [1], 2, 1, [0.5]), [Math.sqrt(0.9) * x0hat + Math.sqrt(0.1) * 0.5]);
    close(ddimStep(S2, [1], 2, 0, [0.5]), [x0hat]);
  });
  it('η = 1 with tPrev = t-1 is the DDPM posterior step', () => {
    const s = makeSchedule(betaSchedule('cosine', 50));
    const rng = makeRng(8);
    const xt = rng.normals(4);
    const eps = rng.normals(4);
    const z = rng.normals(4);
    const x0 = predictX0FromEps(s, xt, 30, eps);
    const m = posteriorMean(s, x0, xt, 30);
    const sd = Math.sqrt(s.posteriorVariance(30));
    close(ddimStep(s, xt, 30, 29, eps, { eta: 1, noise: z }), m.map((v, i) => v + sd * z[i]), 1e-12);
    close(ddimStep(s, xt, 30, 29, x0, { eta: 1, noise: z, prediction: 'x0' }), m.map((v, i) => v + sd * z[i]), 1e-12);
  });
  it('bad input: inadmissible η, missing noise, tPrev', () => {
    expectInputError(() => ddimStep(S2, [1], 2, 1, [0.5], { eta: 5, noise: [0] }), 'options.eta', '5');
    expectInputError(() => ddimStep(S2, [1], 2, 1, [0.5], { eta: -1 }), 'options.eta', '-1');
    expectInputError(() => ddimStep(S2, [1], 2, 1, [0.5], { eta: 1 }), 'options.noise');
    expectInputError(() => ddimStep(S2, [1], 2, 2, [0.5]), 'tPrev', '2');
    expectInputError(() => ddimStep(S2, [1], 2, 1.5, [0.5]), 'tPrev', '1.5');
    const a = ddimStep(S2, [1], 2, 1, [0.5], { eta: 0.5, rng: makeRng(2) });
    close(a, ddimStep(S2, [1], 2, 1, [0.5], { eta: 0.5, noise: [makeRng(2).normal()] }), 0);
  });
});

describe('D5 timestep embedding (Ho et al. convention)', () => {
  it('sin half then cos half, ω_k = 10000^{-k/(h-1)}, zero pad for odd dim', () => {
    const e = timestepEmbedding(2, 6);
    close(e, [Math.sin(2), Math.sin(0.02), Math.sin(2e-4), Math.cos(2), Math.cos(0.02), Math.cos(2e-4)]);
    const o = timestepEmbedding([0, 3], 7);
    close(o[0], [0, 0, 0, 1, 1, 1, 0]);
    expect(o[1][6]).toBe(0);
    const w = timestepFrequencies(8);
    expect(w[0]).toBe(1);
    expect(w[3]).toBeCloseTo(1e-4, 18);
    expectInputError(() => timestepEmbedding(1, 3), 'dim', '3');
    expectInputError(() => timestepEmbedding(NaN, 8), 'timesteps', 'NaN');
    expectInputError(() => timestepEmbedding([1, Infinity], 8), 'timesteps[1]', 'Infinity');
    expectInputError(() => timestepEmbedding([], 8), 'timesteps');
    expectInputError(() => timestepFrequencies(8, 1), 'maxPeriod', '1');
  });
});
