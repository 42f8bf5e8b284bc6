import { describe, it, expect } from 'vitest';
import {
  makeMixture, checkMixture, noisyMixture, atTime, atStep, mixtureLogPdf, mixtureResponsibilities, mixtureScore, mixtureNoisyScore,
  mixtureNoisyLogPdf, mixturePosteriorMean, mixtureOptimalEps, mixtureOptimalV, mixturePosteriorSample, sampleMixture, sampleMixtureLabeled,
  mixtureMarginalCdf, mixtureMoments, conditionalMixture, mixtureClassifierGrad, mixtureModel, seedLangevinMixture, seedSdeMixture,
} from './mixture.js';
import { vpProcess } from './model.js';
import { makeSchedule, betaSchedule } from './schedules.js';
import { Rng } from './rng.js';

const full = makeMixture({ weights: [0.25, 0.75], means: [[1, -1], [-0.5, 0.5]], covariances: [[[0.5, 0.2], [0.2, 0.3]], [[0.4, 0], [0, 0.6]]] });
const asDiag = makeMixture({ weights: [1], means: [[-0.5, 0.5]], variances: [[0.4, 0.6]] });
const asFull = makeMixture({ weights: [1], means: [[-0.5, 0.5]], covariances: [[[0.4, 0], [0, 0.6]]] });

describe('mixture oracle', () => {
  it('diagonal and full code paths agree on the same component', () => {
    const x = new Rng(3).normalBatch(6, 2);
    for (const [a, s] of [[1, 0], [0.7, 0.5], [0, 2]]) {
      const l1 = mixtureNoisyLogPdf(asDiag, a, s, x) as Float64Array;
      const l2 = mixtureNoisyLogPdf(asFull, a, s, x) as Float64Array;
      const s1 = mixtureNoisyScore(asDiag, a, s, x);
      const s2 = mixtureNoisyScore(asFull, a, s, x);
      const p1 = mixturePosteriorMean(asDiag, a, s, x);
      const p2 = mixturePosteriorMean(asFull, a, s, x);
      x.forEach((_, r) => {
        expect(l1[r]).toBeCloseTo(l2[r], 12);
        for (let i = 0; i < 2; i++) {
          expect(s1[r][i]).toBeCloseTo(s2[r][i], 12);
          expect(p1[r][i]).toBeCloseTo(p2[r][i], 12);
        }
      });
    }
  });
  it('single 1-D Gaussian: closed forms of score, posterior mean, ε̂ and v̂', () => {
    const g = makeMixture({ weights: [1], means: [0.8], stds: [0.6] });
    const [a, s, x] = [0.6, 0.8, 1.3];
    const c = a * a * 0.36 + s * s;
    expect(mixtureNoisyScore(g, a, s, [x])[0]).toBeCloseTo(-(x - a * 0.8) / c, 14);
    const pm = 0.8 + (a * 0.36 * (x - a * 0.8)) / c;
    expect(mixturePosteriorMean(g, a, s, [x])[0]).toBeCloseTo(pm, 14);
    expect(mixtureOptimalEps(g, a, s, [x])[0]).toBeCloseTo((x - a * pm) / s, 13);
    expect(mixtureOptimalV(g, a, s, [x])[0]).toBeCloseTo((a * (x - a * pm)) / s - s * pm, 13);
    expect(mixtureLogPdf(g, [x])).toBeCloseTo(-0.5 * Math.log(2 * Math.PI * 0.36) - (x - 0.8) ** 2 / 0.72, 13);
    expect(mixtureScore(g, [[x]])[0][0]).toBeCloseTo(-(x - 0.8) / 0.36, 13);
  });
  it('noisyMixture = the prepared marginal; responsibilities sum to 1', () => {
    const x = new Rng(4).normalBatch(4, 2);
    const nm = noisyMixture(full, 0.6, 0.8);
    const a = mixtureLogPdf(nm, x) as Float64Array;
    const b = mixtureNoisyLogPdf(full, 0.6, 0.8, x) as Float64Array;
    for (let r = 0; r < 4; r++) expect(a[r]).toBeCloseTo(b[r], 12);
    for (const r of mixtureResponsibilities(nm, x)) expect(r[0] + r[1]).toBeCloseTo(1, 14);
    expect(noisyMixture(asDiag, 0.5, 1).covs[0].kind).toBe('diag');
  });
  it('exact posterior draws average to E[x0|xt] (diagonal and full; z-test, 1e-6 false-alarm)', () => {
    const rng = new Rng(5);
    for (const mix of [full, makeMixture({ weights: [0.5, 0.5], means: [2, -2], stds: [0.5, 0.3] })]) {
      const xt = mix.dim === 2 ? Float64Array.of(0.3, -0.2) : Float64Array.of(0.4);
      const pm = mixturePosteriorMean(mix, 0.8, 0.6, xt);
      const n = 20000;
      const draws = Array.from({ length: n }, () => mixturePosteriorSample(mix, 0.8, 0.6, xt, rng));
      for (let i = 0; i < mix.dim; i++) {
        const m = draws.reduce((acc, d) => acc + d[i], 0) / n;
        const sd = Math.sqrt(draws.reduce((acc, d) => acc + (d[i] - m) ** 2, 0) / (n - 1));
        expect(Math.abs(m - pm[i]) / (sd / Math.sqrt(n))).toBeLessThan(5.33); // zTwoSided(1e-6/… ) ≈ 4.9-5.3
      }
    }
  });
  it('sampling matches the moments; marginal CDF is a CDF', () => {
    const rng = new Rng(6);
    const xs = sampleMixture(full, 20000, rng);
    const mom = mixtureMoments(full);
    for (let i = 0; i < 2; i++) {
      const m = xs.reduce((a, x) => a + x[i], 0) / xs.length;
      expect(Math.abs(m - mom.mean[i]) / Math.sqrt(mom.variance[i] / xs.length)).toBeLessThan(5.33);
    }
    expect(mixtureMarginalCdf(full, 0, -50)).toBeLessThan(1e-100);
    expect(mixtureMarginalCdf(full, 1, 50)).toBe(1);
    expect(mixtureMarginalCdf(full, 0, 0.1)).toBeGreaterThan(mixtureMarginalCdf(full, 0, 0));
    expect(sampleMixtureLabeled(full, 3, rng).components.length).toBe(3);
  });
  it('class-conditional mixture and Bayes classifier gradient (= finite differences of log p_t(y|x))', () => {
    const lab = makeMixture({ weights: [0.5, 0.3, 0.2], means: [[-1, 0], [1, 1], [1, -1]], variances: [0.3, 0.4, [0.2, 0.5]], labels: [0, 1, 1] });
    const c = conditionalMixture(lab, 1);
    expect(c.weights[0]).toBeCloseTo(0.6, 14);
    const [a, s] = [0.7, 0.7];
    const x = Float64Array.of(0.2, 0.3);
    const logpy = (v: Float64Array) => (mixtureNoisyLogPdf(c, a, s, v) as number) + Math.log(0.5) - (mixtureNoisyLogPdf(lab, a, s, v) as number);
    const g = mixtureClassifierGrad(lab, 1, a, s, x);
    for (let i = 0; i < 2; i++) {
      const xp = Float64Array.from(x);
      const xm = Float64Array.from(x);
      xp[i] += 1e-5;
      xm[i] -= 1e-5;
      expect(g[i]).toBeCloseTo((logpy(xp) - logpy(xm)) / 2e-5, 7);
    }
    expect(() => conditionalMixture(full, 0)).toThrow(/labels/);
    expect(() => conditionalMixture(lab, 7)).toThrow(/^y:/);
    expect(() => mixtureClassifierGrad(full, 0, a, s, x)).toThrow(/labels/);
    expect(() => mixtureClassifierGrad(lab, 7, a, s, x)).toThrow(/^y:/);
    const lab2 = makeMixture({ weights: [0.5, 0.5], means: [-1, 1], variances: [1, 0.01], labels: [0, 1] });
    expect(() => mixtureClassifierGrad(lab2, 1, a, s, [-60])).toThrow(/underflows/);
  });
  it('mixtureModel, helpers and seed examples', () => {
    const vp = vpProcess();
    const x = new Rng(7).normalBatch(3, 2);
    const e = mixtureModel(full, vp, 'v').apply(x, 0.4);
    expect(e[0].length).toBe(2);
    expect(() => mixtureModel(full, vp, 'eps').apply(x, 0)).toThrow(/σ\(t\) = 0|α = σ = 0|undefined/);
    expect(() => mixtureModel(full, vp, 'eps').apply([Float64Array.of(1)], 0.5)).toThrow(/x\[0\].*dimension 2/);
    expect(atTime(vp, 0.5).alpha).toBeCloseTo(vp.alpha(0.5), 15);
    const sch = makeSchedule(betaSchedule('constant', 100, { beta: 0.05 }));
    expect(atStep(sch, 0)).toEqual({ alpha: 1, sigma: 0 });
    expect(atStep(sch, 100).alpha).toBeCloseTo(0.95 ** 50, 12);
    expect(seedLangevinMixture().weights[0]).toBe(0.6);
    expect(seedSdeMixture().means[1][0]).toBe(-3);
  });
  it('bad inputs name the argument', () => {
    expect(() => makeMixture(null as never)).toThrow(/spec/);
    expect(() => makeMixture({ weights: [], means: [], stds: [] })).toThrow(/weights/);
    expect(() => makeMixture({ weights: [0.5, 0.6], means: [0, 1], stds: [1, 1] })).toThrow(/weights: must sum to 1/);
    expect(() => makeMixture({ weights: [1.5, -0.5], means: [0, 1], stds: [1, 1] })).toThrow(/weights\[1\]/);
    expect(() => makeMixture({ weights: [1], means: [0, 1], stds: [1] })).toThrow(/means/);
    expect(() => makeMixture({ weights: [0.5, 0.5], means: [[0, 1], [1]], stds: [1, 1] })).toThrow(/means\[1\].*shape mismatch/);
    expect(() => makeMixture({ weights: [1], means: [[NaN]], stds: [1] })).toThrow(/means\[0\]\[0\]/);
    expect(() => makeMixture({ weights: [1], means: [[]], stds: [1] })).toThrow(/means\[0\]/);
    expect(() => makeMixture({ weights: [1], means: [0], stds: [1], variances: [1] })).toThrow(/exactly one/);
    expect(() => makeMixture({ weights: [1], means: [0], variances: [0] })).toThrow(/variances\[0\].*positive definite/);
    expect(() => makeMixture({ weights: [1], means: [0], variances: [] })).toThrow(/variances/);
    expect(() => makeMixture({ weights: [1], means: [[0, 0]], variances: [[1, 2, 3]] })).toThrow(/variances\[0\].*shape mismatch/);
    expect(() => makeMixture({ weights: [1], means: [[0, 0]], covariances: [[[1, 2], [2, 1]]] })).toThrow(/covariances\[0\].*not positive definite/);
    expect(() => makeMixture({ weights: [1], means: [[0, 0]], covariances: [[[1, 0.5], [0.4, 1]]] })).toThrow(/covariances\[0\].*symmetric/);
    expect(() => makeMixture({ weights: [1], means: [[0, 0]], covariances: [[[1, 0]]] })).toThrow(/covariances\[0\]/);
    expect(() => makeMixture({ weights: [1], means: [[0, 0]], covariances: [[[1, 0], [0]]] })).toThrow(/covariances\[0\]\[1\]/);
    expect(() => makeMixture({ weights: [1], means: [[0, 0]], covariances: [[[1, NaN], [0, 1]]] })).toThrow(/covariances\[0\]\[0\]\[1\]/);
    expect(() => makeMixture({ weights: [1], means: [0], stds: [1], labels: [0.5] })).toThrow(/labels/);
    expect(() => checkMixture({})).toThrow(/mixture/);
    expect(() => noisyMixture(full, -1, 1)).toThrow(/^alpha/);
    expect(() => noisyMixture(full, 1, -1)).toThrow(/^sigma/);
    expect(() => noisyMixture(full, 0, 0)).toThrow(/^sigma.*point mass/);
    expect(() => mixtureOptimalEps(full, 1, 0, [0, 0])).toThrow(/^sigma/);
    expect(() => mixturePosteriorSample(full, 1, 0, Float64Array.of(0, 0), new Rng(1))).toThrow(/^sigma/);
    expect(() => mixturePosteriorSample(full, 1, 1, Float64Array.of(0), new Rng(1))).toThrow(/^xt.*dimension 2/);
    expect(() => mixtureLogPdf(full, [0])).toThrow(/^x.*dimension 2/);
    expect(() => mixtureNoisyLogPdf(full, 1, 1, [[0]])).toThrow(/^xt\[0\].*dimension 2/);
    expect(() => mixtureScore(full, [[0, 0], [1]])).toThrow(/x\[1\]/);
    expect(() => mixtureMarginalCdf(full, 2, 0)).toThrow(/coord/);
    expect(() => sampleMixture(full, 0, new Rng(1))).toThrow(/^n:/);
  });
});
