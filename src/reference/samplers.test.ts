import { describe, it, expect } from 'vitest';
import { SAMPLERS, SAMPLER_NAMES, DETERMINISTIC_SAMPLERS, getSampler } from './samplers.js';
import { vpProcess, veProcess, indiProcess, discreteVpProcess, makeModel, makeTimeGrid, type Rows } from './model.js';
import { makeMixture, mixtureModel } from './mixture.js';
import { integrateEulerMaruyama, eulerMaruyamaStep, correctorStepSize, vpReverseStep, veReverseStep, sampleVpReverseSde, samplePredictorCorrector } from './sde.js';
import { langevinStep, annealedStepSize, sampleLangevin, sampleAnnealedLangevin } from './langevin.js';
import { eulerStep, heunStep, rk4Step } from './ode.js';
import { dpmSolver1Step } from './dpm_solver.js';
import { indiStep, indiStochasticStep, sampleIndi } from './indi.js';
import { classifierGuidedEps, classifierFreeEps, classifierGuidance, classifierFreeGuidance } from './guidance.js';
import { betaSchedule } from './schedules.js';
import { Rng } from './rng.js';

// One Gaussian component: the PF-ODE is linear with the exact solution
// x_t = α_t μ + √((α_t²s² + σ_t²)/(α_T²s² + σ_T²))·(x_T - α_T μ) (per coordinate).
const mu = 0.5;
const s2 = 0.09;
const gauss = makeMixture({ weights: [1], means: [[mu, -mu]], variances: [s2] });
const vp = vpProcess();
const exactFlow = (x: Rows, t0: number, t1: number, p = vp) =>
  x.map((r) => r.map((v, i) => {
    const m = i === 0 ? mu : -mu;
    const sd0 = Math.sqrt(p.alpha(t0) ** 2 * s2 + p.sigma(t0) ** 2);
    const sd1 = Math.sqrt(p.alpha(t1) ** 2 * s2 + p.sigma(t1) ** 2);
    return p.alpha(t1) * m + (sd1 / sd0) * (v - p.alpha(t0) * m);
  }));
const maxErr = (a: Rows, b: Rows) => Math.max(...a.map((r, k) => Math.max(...r.map((v, i) => Math.abs(v - b[k][i])))));

describe('deterministic samplers follow the exact probability flow of Gaussian data', () => {
  const x = new Rng(1).normalBatch(4, 2);
  const cases: [string, number, 'time' | 'logsnr', number, 'eps' | 'x0'][] = [
    ['ode-euler', 400, 'time', 2e-2, 'eps'],
    ['ode-heun', 100, 'time', 1e-3, 'eps'],
    ['ode-rk4', 50, 'time', 1e-5, 'eps'],
    ['dpm-solver-1', 50, 'logsnr', 0.2, 'eps'],
    ['dpm-solver-2', 100, 'logsnr', 1e-3, 'eps'],
    ['dpm-solver-3', 30, 'logsnr', 1e-4, 'eps'],
    ['dpm-solver++2m', 50, 'logsnr', 2e-3, 'x0'],
  ];
  for (const [name, N, spacing, tol, out] of cases) {
    it(`${name}: ${N} steps within ${tol}; callback once per step`, () => {
      const grid = makeTimeGrid(vp, N, { spacing });
      let calls = 0;
      const y = SAMPLERS[name as keyof typeof SAMPLERS](mixtureModel(gauss, vp, out), x, grid, { callback: () => calls++ });
      expect(calls).toBe(N);
      expect(maxErr(y, exactFlow(x, grid[0], grid[N]))).toBeLessThan(tol);
    });
  }
  it('DPM-Solver-1 step is exact for constant ε (exponential integrator)', () => {
    const m = makeModel(vp, 'eps', (xx) => xx.map((r) => r.map(() => 0.3)));
    const y = dpmSolver1Step(m, [Float64Array.of(1)], 0.8, 0.2);
    const exact = (vp.alpha(0.2) / vp.alpha(0.8)) * 1 - vp.sigma(0.2) * Math.expm1(vp.lambda(0.2) - vp.lambda(0.8)) * 0.3;
    expect(y[0][0]).toBeCloseTo(exact, 14);
  });
  it('generic one-step formulas on dx/dt = x: Euler 1+h, Heun 1+h+h²/2, RK4 Taylor to h⁴', () => {
    const F = (x: Rows) => x;
    const one = [Float64Array.of(1)];
    const h = 0.1;
    expect(eulerStep(F, one, 0, h)[0][0]).toBeCloseTo(1.1, 15);
    expect(heunStep(F, one, 0, h)[0][0]).toBeCloseTo(1 + h + h * h / 2, 15);
    expect(rk4Step(F, one, 0, h)[0][0]).toBeCloseTo(1 + h + h ** 2 / 2 + h ** 3 / 6 + h ** 4 / 24, 15);
  });
});

describe('stochastic samplers', () => {
  it('every stochastic sampler demands an rng (options.rng)', () => {
    const m = mixtureModel(gauss, vp);
    const mine = ['langevin', 'annealed-langevin', 'euler-maruyama', 'vp-reverse-sde', 've-reverse-sde', 'predictor-corrector', 'indi'] as const;
    expect(mine.every((n) => (SAMPLER_NAMES as readonly string[]).includes(n) && !DETERMINISTIC_SAMPLERS.includes(n))).toBe(true);
    for (const name of mine) {
      const proc = name === 've-reverse-sde' ? veProcess() : name === 'indi' ? indiProcess({ extraNoise: 1 }) : vp;
      const model = mixtureModel(gauss, proc, name === 'indi' ? 'x0' : 'eps');
      expect(() => getSampler(name)(model, [Float64Array.of(0, 0)], [0.9, 0.5], { stepSize: 0.01 }), name).toThrow(/options.rng/);
    }
    expect(m.output).toBe('eps');
  });
  it('Euler-Maruyama integrates a general SDE; noise scales as g√|dt|', () => {
    const rng = new Rng(2);
    const x = Array.from({ length: 20000 }, () => Float64Array.of(0));
    // dx = -x dt + √2 dw from 0 (forward in time): Var x(T) = 1 - e^{-2T}; Euler-Maruyama with
    // h = 0.01 gives the AR(1) variance 2h Σ (1-h)^{2k} → ≈ (1 - e^{-2T})/(1 - h/2).
    const y = integrateEulerMaruyama((xx) => xx.map((r) => r.map((v) => -v)), () => Math.SQRT2, x, makeTimeGrid(vp, 100, { tStart: 1, tEnd: 0 }).reverse(), { rng });
    const v = y.reduce((a, r) => a + r[0] * r[0], 0) / y.length;
    const h = 0.01;
    const exact = (2 * h * (1 - (1 - h) ** 200)) / (1 - (1 - h) ** 2);
    expect(Math.abs(v - exact) / (exact * Math.sqrt(2 / y.length))).toBeLessThan(5.3);
    expect(eulerMaruyamaStep([Float64Array.of(1)], [Float64Array.of(2)], 3, -0.25, null)[0][0]).toBe(0.5);
    expect(() => integrateEulerMaruyama(3 as never, () => 1, x, [0, 1], { rng })).toThrow(/drift/);
    expect(() => integrateEulerMaruyama((xx) => xx, 1 as never, x, [0, 1], { rng })).toThrow(/diffusion/);
    expect(() => integrateEulerMaruyama((xx) => xx, () => 1, x, [0], { rng })).toThrow(/timeGrid/);
    expect(() => integrateEulerMaruyama((xx) => xx, () => 1, x, [0, 1, 0.5], { rng })).toThrow(/timeGrid\[2\]/);
  });
  it('step formulas: VP eq. 103 (β, not β/2), VE eq. 107, Langevin eq. 68, corrector SNR rule, InDI eqs. 64/66', () => {
    const x = [Float64Array.of(1)];
    const s = [Float64Array.of(-2)];
    const z = [Float64Array.of(0.5)];
    expect(vpReverseStep(x, s, 0.19, z)[0][0]).toBeCloseTo((1 - 0.38) / 0.9 + Math.sqrt(0.19) * 0.5, 14);
    expect(veReverseStep(x, s, 2, 1, z)[0][0]).toBeCloseTo(1 - 6 + Math.sqrt(3) * 0.5, 14);
    expect(langevinStep(x, s, 0.02, z)[0][0]).toBeCloseTo(1 - 0.04 + 0.2 * 0.5, 14);
    expect(correctorStepSize(0.16, 3, 2, 0.5)).toBeCloseTo(2 * 0.5 * (0.24) ** 2, 15);
    expect(annealedStepSize(1e-3, 2, 0.5)).toBeCloseTo(0.016, 15);
    expect(indiStep(x, [Float64Array.of(3)], 0.5, 0.4)[0][0]).toBeCloseTo(0.8 + 0.2 * 3, 15);
    expect(indiStochasticStep(x, [Float64Array.of(3)], 0.5, 0.4, 0.5, 0.6, z)[0][0]).toBeCloseTo(1.4 + 0.4 * Math.sqrt(0.11) * 0.5, 14);
    expect(() => indiStochasticStep(x, x, 0.5, 0.4, 0.6, 0.5, z)).toThrow(/sigmaENext/);
  });
  it('samplers run on their processes and keep the Gaussian target (mean within 5.3 SE)', () => {
    const g1 = makeMixture({ weights: [1], means: [0.5], stds: [0.3] });
    const n = 4000;
    const runs: [string, Parameters<typeof getSampler>[0], ReturnType<typeof vpProcess>, Record<string, unknown>, 'eps' | 'x0'][] = [
      ['PC fixed step, VP', 'predictor-corrector', vp, { stepSize: 1e-3, correctorSteps: 2 }, 'eps'],
      ['vp reverse, denoise last', 'vp-reverse-sde', vp, { denoiseLastStep: true }, 'eps'],
      ['EM, denoise last', 'euler-maruyama', vp, { denoiseLastStep: true }, 'eps'],
      ['VE reverse', 've-reverse-sde', veProcess(), { denoiseLastStep: true }, 'eps'],
      ['indi stochastic', 'indi', indiProcess({ extraNoise: 0.5 }), {}, 'x0'],
      ['indi deterministic', 'indi', indiProcess(), { stochastic: false }, 'x0'],
    ];
    for (const [label, name, p, opt, out] of runs) {
      const rng = new Rng(9);
      const x0 = rng.normalBatch(n, 1);
      const grid = makeTimeGrid(p, 60);
      const y = getSampler(name)(mixtureModel(g1, p, out), x0, grid, { rng, ...opt });
      const m = y.reduce((a, r) => a + r[0], 0) / n;
      const target = p.alpha(grid[60]) * 0.5;
      expect(Math.abs(m - target) / (0.35 / Math.sqrt(n)), label).toBeLessThan(5.3);
    }
  });
  it('discrete VP: the reverse SDE on the integer grid uses the schedule β_t', () => {
    const b = betaSchedule('constant', 20, { beta: 0.05 });
    const p = discreteVpProcess(b);
    const m = makeModel(p, 'score', (xx) => xx.map((r) => r.map(() => 0)));
    const y = sampleVpReverseSde(m, [Float64Array.of(1)], [20, 19], { rng: new Rng(1), denoiseLastStep: true });
    expect(y[0][0]).toBeCloseTo(1 / Math.sqrt(0.95), 13);
  });
  it('Langevin: single-level grid allowed; bad options name the argument', () => {
    const m = mixtureModel(gauss, veProcess(), 'score');
    const rng = new Rng(3);
    let calls = 0;
    sampleLangevin(m, [Float64Array.of(0, 0)], [0], { rng, stepSize: 0.01, stepsPerLevel: 3, callback: () => calls++ });
    expect(calls).toBe(3);
    sampleAnnealedLangevin(m, [Float64Array.of(0, 0)], [0.5, 0], { rng, stepSize: 0.01, callback: () => calls++ });
    expect(calls).toBe(5);
    expect(() => sampleLangevin(m, [Float64Array.of(0, 0)], [0], { rng })).toThrow(/options.stepSize/);
    expect(() => sampleLangevin(m, [Float64Array.of(0, 0)], [0], { rng, stepSize: -1 })).toThrow(/options.stepSize/);
    expect(() => sampleLangevin(m, [Float64Array.of(0, 0)], [0], { rng, stepSize: 0.1, stepsPerLevel: 0 })).toThrow(/options.stepsPerLevel/);
    expect(() => sampleLangevin(m, [Float64Array.of(0, 0)], [], { rng, stepSize: 0.1 })).toThrow(/timeGrid/);
    expect(() => sampleLangevin(m, [Float64Array.of(0, 0)], [0.2, 0.5], { rng, stepSize: 0.1 })).toThrow(/timeGrid\[1\].*non-monotone/);
    expect(() => sampleLangevin(m, [Float64Array.of(0, 0)], [3], { rng, stepSize: 0.1 })).toThrow(/timeGrid\[0\]/);
    expect(() => sampleAnnealedLangevin(mixtureModel(gauss, vp, 'score'), [Float64Array.of(0, 0)], [0.5, 0], { rng, stepSize: 0.1 })).toThrow(/σ > 0/);
  });
  it('process requirements and PC options name the argument', () => {
    const rng = new Rng(4);
    const x = [Float64Array.of(0, 0)];
    const mvp = mixtureModel(gauss, vp);
    const mve = mixtureModel(gauss, veProcess());
    expect(() => getSampler('vp-reverse-sde')(mve, x, [0.9, 0.5], { rng })).toThrow(/model.process/);
    expect(() => getSampler('ve-reverse-sde')(mvp, x, [0.9, 0.5], { rng })).toThrow(/model.process/);
    expect(() => getSampler('predictor-corrector')(mixtureModel(gauss, indiProcess(), 'x0'), x, [0.9, 0.5], { rng })).toThrow(/model.process/);
    expect(() => getSampler('indi')(mvp, x, [0.9, 0.5], { rng })).toThrow(/model.process/);
    expect(() => samplePredictorCorrector(mvp, x, [0.9, 0.5], { rng, correctorSteps: -1 })).toThrow(/options.correctorSteps/);
    expect(() => samplePredictorCorrector(mvp, x, [0.9, 0.5], { rng, snr: 0 })).toThrow(/options.snr/);
    expect(() => samplePredictorCorrector(mvp, x, [0.9, 0.5], { rng, stepSize: 0 })).toThrow(/options.stepSize/);
    expect(() => sampleIndi(mixtureModel(gauss, indiProcess({ extraNoise: 1 }), 'x0'), x, [0.9, 0.5], { stochastic: false })).toThrow(/options.stochastic/);
    expect(() => getSampler('ode-heun')(mvp, x, [0.5, 0.5])).toThrow(/timeGrid/);
    expect(() => getSampler('euler-maruyama')(mvp, x, [0.5, 0.9], { rng })).toThrow(/strictly decreasing/);
    expect(() => getSampler('dpm-solver-2')(mvp, x, [0.5, 0])).toThrow(/λ = log\(α\/σ\) is infinite/);
    expect(() => getSampler('dpm-solver-1')(mvp, [], [0.9, 0.5])).toThrow(/^x: must be a non-empty batch/);
    expect(() => getSampler('no-such')).toThrow(/^name: unknown value/);
    const enc = getSampler('dpm-solver++2m')(mvp, x, [0.2, 0.5, 0.9]);
    expect(enc[0].length).toBe(2);
  });
});

describe('guidance', () => {
  const e = [Float64Array.of(1, -1)];
  const u = [Float64Array.of(0.5, 0.5)];
  it('formulas (E9) and scale checks', () => {
    expect(Array.from(classifierGuidedEps(e, 0.5, [Float64Array.of(2, 4)], 1.5)[0])).toEqual([1 - 1.5, -1 - 3]);
    expect(Array.from(classifierFreeEps(e, u, 2)[0])).toEqual([3 - 1, -3 - 1]);
    expect(Array.from(classifierFreeEps(e, u, -1)[0])).toEqual([0.5, 0.5]);
    expect(() => classifierGuidedEps(e, 0.5, e, -0.1)).toThrow(/^w: .*≥ 0/);
    expect(() => classifierFreeEps(e, u, -1.5)).toThrow(/^w: .*≥ -1/);
    expect(() => classifierFreeEps(e, u, NaN)).toThrow(/^w/);
  });
  it('wrappers', () => {
    const m1 = mixtureModel(gauss, vp);
    const m2 = mixtureModel(gauss, vpProcess());
    expect(() => classifierFreeGuidance(m1, m2, 1)).toThrow(/uncondModel.process/);
    expect(() => classifierGuidance(m1, 3 as never, 1)).toThrow(/classifierGrad/);
    expect(() => classifierGuidance(m1, (x) => x, -2)).toThrow(/^w/);
    const g = classifierGuidance(m1, (x) => x.map((r) => r.map(() => 1)), 2);
    const x = [Float64Array.of(0.1, 0.2)];
    expect(g.apply(x, 0.5)[0][0]).toBeCloseTo(m1.apply(x, 0.5)[0][0] - 2 * vp.sigma(0.5), 14);
    expect(classifierFreeGuidance(m1, m1, 3).apply(x, 0.5)[0][1]).toBeCloseTo(m1.apply(x, 0.5)[0][1], 14);
  });
});
