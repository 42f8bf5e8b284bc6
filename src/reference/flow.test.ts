import { describe, it, expect } from 'vitest';
import { makeModel, processRates, vpProcess, modelEps, modelX0, type Rows, type ModelOutput } from './model.js';
import { makeMixture, mixtureModel, mixturePosteriorMean } from './mixture.js';
import { sampleDpmSolver1 } from './dpm_solver.js';
import { Rng } from './rng.js';
import {
  flowProcess,
  modelFlowVelocity,
  flowEulerStep,
  sampleFlowEuler,
  sampleFlowHeun,
  timeShift,
  inverseTimeShift,
  resolutionShift,
  makeFlowGrid,
  logitNormalPdf,
  logitNormalCdf,
  sampleLogitNormal,
  flowTrainingPair,
  mixtureFlowVelocity,
} from './flow.js';

const fp = flowProcess();
const maxErr = (a: Rows, b: Rows) => Math.max(...a.map((r, k) => Math.max(...r.map((v, i) => Math.abs(v - b[k][i])))));
const mix2 = makeMixture({ weights: [0.3, 0.7], means: [[1.5, -1], [-1, 0.5]], variances: [[0.5, 0.3], 0.2] });
const x = new Rng(8).normalBatch(5, 2);

describe('rectified-flow process (Liu et al. 2023 eq. 1)', () => {
  it('α = 1-t, σ = t, λ and its inverse, f = dlogα/dt, g² = dσ²/dt - 2fσ²', () => {
    for (const t of [0.01, 0.3, 0.77]) {
      expect(fp.alpha(t)).toBe(1 - t);
      expect(fp.sigma(t)).toBe(t);
      expect(fp.tOfLambda(fp.lambda(t))).toBeCloseTo(t, 14);
      expect(fp.f(t) * fp.alpha(t)).toBeCloseTo(-1, 14);
      expect(fp.g2(t) + 2 * fp.f(t) * t * t).toBeCloseTo(2 * t, 13);
    }
    expect(fp.tOfLambda(800)).toBeGreaterThanOrEqual(0);
    expect(fp.tOfLambda(-800)).toBe(1);
    expect(processRates(fp, 1)).toEqual({ dAlpha: -1, dSigma: 1 });
    // the generic rates from f and g² agree on a non-flow process (VP: α' = fα, finite differences)
    const vp = vpProcess();
    const r = processRates(vp, 0.4);
    expect(r.dAlpha).toBeCloseTo((vp.alpha(0.4 + 1e-6) - vp.alpha(0.4 - 1e-6)) / 2e-6, 6);
    expect(r.dSigma).toBeCloseTo((vp.sigma(0.4 + 1e-6) - vp.sigma(0.4 - 1e-6)) / 2e-6, 6);
    expect(() => processRates(vp, 0)).toThrow(/σ/);
    expect(() => fp.alpha(1.5)).toThrow(/t/);
    expect(() => flowProcess({ tMin: 1 })).toThrow(/tMin/);
  });
});

describe('exact velocity of mixture data and the flow output', () => {
  it("mixtureModel(…, 'flow') = ε̂ - x̂_0 = (x - E[x_0|x_t])/t, and the conversions invert it", () => {
    const t = 0.4;
    const u = mixtureModel(mix2, fp, 'flow').apply(x, t);
    const x0 = mixturePosteriorMean(mix2, 1 - t, t, x) as Float64Array[];
    const eps = mixtureModel(mix2, fp, 'eps').apply(x, t);
    expect(maxErr(u, eps.map((e, r) => e.map((v, i) => v - x0[r][i])))).toBeLessThan(1e-13);
    expect(maxErr(u, mixtureFlowVelocity(mix2, t, x))).toBeLessThan(1e-13);
    const fm = mixtureModel(mix2, fp, 'flow');
    expect(maxErr(modelX0(fm, x, t), x0)).toBeLessThan(1e-13);
    expect(maxErr(modelEps(fm, x, t), eps)).toBeLessThan(1e-13);
    for (const o of ['eps', 'x0', 'v', 'score'] as ModelOutput[]) expect(maxErr(modelFlowVelocity(mixtureModel(mix2, fp, o), x, t), u)).toBeLessThan(1e-12);
    expect(() => mixtureFlowVelocity(mix2, 0, x)).toThrow(/t/);
  });
  it('Gaussian data: the velocity is m_t\' + (S_t\'/S_t)(x - m_t), m_t = (1-t)μ, S_t² = (1-t)²s² + t²', () => {
    const g = makeMixture({ weights: [1], means: [[0.7, -0.3]], variances: [0.25] });
    const t = 0.35;
    const S2 = (1 - t) ** 2 * 0.25 + t * t;
    const dS2 = -2 * (1 - t) * 0.25 + 2 * t;
    const u = mixtureFlowVelocity(g, t, x);
    x.forEach((row, r) =>
      row.forEach((v, i) => {
        const mu = [0.7, -0.3][i];
        expect(u[r][i]).toBeCloseTo(-mu + (0.5 * dS2 / S2) * (v - (1 - t) * mu), 12);
      }),
    );
  });
  it('a flow model is validated like any model (shape, finiteness)', () => {
    const bad = makeModel(fp, 'flow', (xx) => xx.map((r) => r.map(() => NaN)));
    expect(() => modelFlowVelocity(bad, x, 0.5)).toThrow(/model output/);
    const short = makeModel(fp, 'flow', () => [Float64Array.of(1, 2)]);
    expect(() => modelFlowVelocity(short, x, 0.5)).toThrow(/shape/);
    expect(() => modelFlowVelocity(mixtureModel(mix2, fp, 'eps'), x, 1)).toThrow(/α/);
  });
});

describe('flow samplers', () => {
  it('Euler on the flow process = DDIM η=0 = DPM-Solver-1 (x = (1-t)x̂_0 + tε̂ with both held)', () => {
    const g = [0.9, 0.7, 0.4, 0.2, 0.05];
    const m = mixtureModel(mix2, fp, 'x0');
    expect(maxErr(sampleFlowEuler(m, x, g), sampleDpmSolver1(m, x, g))).toBeLessThan(1e-13);
  });
  it('Euler order 1, Heun order 2 against the exact Gaussian flow; outputs flow/x0 agree', () => {
    const mu = [0.7, -0.3];
    const g1 = makeMixture({ weights: [1], means: [mu], variances: [0.25] });
    const S = (t: number) => Math.sqrt((1 - t) ** 2 * 0.25 + t * t);
    const exact = (xx: Rows, t0: number, t1: number) => xx.map((r) => r.map((v, i) => (1 - t1) * mu[i] + (S(t1) / S(t0)) * (v - (1 - t0) * mu[i])));
    for (const [fn, p] of [[sampleFlowEuler, 1], [sampleFlowHeun, 2]] as const) {
      const e = [32, 64].map((N) => maxErr(fn(mixtureModel(g1, fp, 'flow'), x, makeFlowGrid(N)), exact(x, 1, 0)));
      expect(Math.log2(e[0] / e[1])).toBeGreaterThan(p - 0.25);
      expect(Math.log2(e[0] / e[1])).toBeLessThan(p + 0.25);
      expect(maxErr(fn(mixtureModel(g1, fp, 'x0'), x, makeFlowGrid(16)), fn(mixtureModel(g1, fp, 'flow'), x, makeFlowGrid(16)))).toBeLessThan(1e-12);
    }
    // Heun's last step to σ = 0 with an ε-oracle falls back to Euler
    const ge = [0.999, 0.5, 0];
    const me = mixtureModel(g1, fp, 'eps');
    expect(() => sampleFlowHeun(me, x, ge)).not.toThrow();
    const callbacks: number[] = [];
    sampleFlowEuler(me, x, [0.9, 0.5], { callback: (i) => callbacks.push(i.tNext) });
    expect(callbacks).toEqual([0.5]);
    expect(maxErr(flowEulerStep(me, x, 0.9, 0.5, x), x.map((r) => r.map((v) => v - 0.4 * v)))).toBeLessThan(1e-15);
    expect(() => sampleFlowEuler(me, x, [0.2, 0.9])).toThrow(/timeGrid/);
  });
});

describe('SD3 time shift, resolution shift, logit-normal times (Esser et al. 2024)', () => {
  it('shift: identity at s = 1, fixed ends, inverse, SNR divided by s²', () => {
    expect(timeShift(0.3, 1)).toBeCloseTo(0.3, 15);
    expect(timeShift(0, 3)).toBe(0);
    expect(timeShift(1, 3)).toBe(1);
    const t = 0.3;
    const ts = timeShift(t, 3);
    expect(inverseTimeShift(ts, 3)).toBeCloseTo(t, 15);
    expect(((1 - ts) / ts) ** 2).toBeCloseTo(((1 - t) / t) ** 2 / 9, 12);
    expect(resolutionShift(1024 * 1024)).toBe(4);
    expect(resolutionShift(512 * 512, 512 * 512)).toBe(1);
    const g = makeFlowGrid(4, { shift: 3 });
    expect(g[0]).toBe(1);
    expect(g[4]).toBe(0);
    expect(g[2]).toBeCloseTo(timeShift(0.5, 3), 15);
    expect(() => timeShift(0.5, 0)).toThrow(/shift/);
    expect(() => timeShift(1.5, 2)).toThrow(/t/);
    expect(() => resolutionShift(-1)).toThrow(/pixels/);
    expect(() => resolutionShift(4, 0)).toThrow(/basePixels/);
    expect(() => makeFlowGrid(4, { tStart: 0.2, tEnd: 0.5 })).toThrow(/tEnd/);
  });
  it('logit-normal: density integrates to 1, CDF matches it, samples pass KS (fixed seed)', () => {
    let I = 0;
    const n = 20000;
    for (let i = 1; i < n; i++) I += logitNormalPdf(i / n, 0.2, 0.8) / n;
    expect(I).toBeCloseTo(1, 4);
    expect(logitNormalCdf(0.5, 0, 1)).toBeCloseTo(0.5, 14);
    expect((logitNormalCdf(0.6001, 0.2, 0.8) - logitNormalCdf(0.5999, 0.2, 0.8)) / 2e-4).toBeCloseTo(logitNormalPdf(0.6, 0.2, 0.8), 5);
    expect(logitNormalPdf(0)).toBe(0);
    expect(logitNormalCdf(1)).toBe(1);
    expect(logitNormalCdf(0)).toBe(0);
    const ts = Array.from(sampleLogitNormal(new Rng(11), 4000, 0.2, 0.8)).sort((a, b) => a - b);
    let D = 0;
    ts.forEach((t, i) => {
      const F = logitNormalCdf(t, 0.2, 0.8);
      D = Math.max(D, Math.abs(F - i / ts.length), Math.abs(F - (i + 1) / ts.length));
    });
    // Kolmogorov critical value at α = 1e-3: 1.949/√n
    expect(D).toBeLessThan(1.949 / Math.sqrt(ts.length));
    expect(() => logitNormalPdf(0.5, 0, 0)).toThrow(/std/);
    expect(() => sampleLogitNormal(new Rng(1), 0)).toThrow(/n/);
  });
  it('training pair: x_t = (1-t)x_0 + tε, target ε - x_0', () => {
    const { xt, target } = flowTrainingPair([1, 2], [0.5, -1], 0.25);
    expect(Array.from(xt)).toEqual([0.875, 1.25]);
    expect(Array.from(target)).toEqual([-0.5, -3]);
    expect(() => flowTrainingPair([1], [1, 2], 0.5)).toThrow(/eps/);
  });
});
