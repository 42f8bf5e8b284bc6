import { describe, it, expect } from 'vitest';
import { sampleKEuler, sampleKEulerAncestral, sampleKHeun, sampleKDpm2, sampleKDpm2Ancestral, sampleKLms, lmsCoefficient, type KSamplerOptions } from './k_euler.js';
import { sampleKDpmpp2sAncestral, sampleKDpmppSde, sampleKDpmpp2m, sampleKDpmpp2mSde, sampleKDpmpp3mSde, dpmppPhi2, dpmppPhi3, dpmppFirstOrder } from './k_dpmpp.js';
import { karrasSigmas, discreteSigmas, timeOfSigma, sigmaOfTime, exponentialSigmas } from './sigma.js';
import { BrownianTree, brownianNoiseSampler } from './brownian.js';
import { vpProcess, veProcess, discreteVpProcess, makeModel, type Rows, type DiffusionModel } from './model.js';
import { makeMixture, mixtureModel } from './mixture.js';
import { sampleDpmSolver1 } from './dpm_solver.js';
import { sampleDdim } from './ancestral.js';
import { betaSchedule } from './schedules.js';
import { DiffusionInputError } from './errors.js';
import { Rng } from './rng.js';

type KFn = (m: DiffusionModel, x: Rows, s: ArrayLike<number>, o?: KSamplerOptions) => Float64Array[];
const maxErr = (a: Rows, b: Rows) => Math.max(...a.map((r, k) => Math.max(...r.map((v, i) => Math.abs(v - b[k][i])))));
const throwsNaming = (fn: () => unknown, arg: string) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DiffusionInputError);
    expect((e as DiffusionInputError).argument).toBe(arg);
    return;
  }
  throw new Error(`expected a DiffusionInputError naming ${arg}`);
};

// Gaussian data N(μ, s²): D(x̃; σ) = μ + s²/(s²+σ²)(x̃ - μ) and the σ-space PF-ODE has the exact
// flow x̃(σ') = μ + (x̃(σ) - μ)·√((s²+σ'²)/(s²+σ²)).
const mu = 0.5;
const s2 = 0.64;
const gauss = makeMixture({ weights: [1], means: [mu], stds: [Math.sqrt(s2)] });
const flow = (x: Rows, a: number, b: number) => x.map((r) => r.map((v) => mu + (v - mu) * Math.sqrt((s2 + b * b) / (s2 + a * a))));
const vpModel = mixtureModel(gauss, vpProcess(), 'eps');

const DETERMINISTIC: [string, KFn, KSamplerOptions & { variant?: 'taylor' }, number][] = [
  ['euler', sampleKEuler, {}, 1],
  ['heun', sampleKHeun, {}, 2],
  ['dpm_2', sampleKDpm2, {}, 2],
  ['lms', sampleKLms, {}, 3],
  ['dpmpp_2m', sampleKDpmpp2m, {}, 2],
  ['dpmpp_2m_sde η=0 heun', sampleKDpmpp2mSde, { eta: 0, solverType: 'heun' }, 2],
  ['dpmpp_3m_sde η=0 taylor', sampleKDpmpp3mSde as KFn, { eta: 0, variant: 'taylor' }, 2.7],
  ['dpmpp_2s_ancestral η=0', sampleKDpmpp2sAncestral, { eta: 0 }, 2],
];

describe('σ-space samplers converge to the exact flow of Gaussian data at their order', () => {
  const x = [Float64Array.of(3), Float64Array.of(-7)];
  for (const [name, fn, opts, order] of DETERMINISTIC) {
    it(`${name}: error ratio from 32 to 64 Karras steps ≥ 2^(order - 0.3)`, () => {
      const err = (n: number) => {
        const g = karrasSigmas(n, 0.05, 10).subarray(0, n);
        return maxErr(fn(vpModel, x, g, opts), flow(x, 10, 0.05));
      };
      const e1 = err(32);
      const e2 = err(64);
      expect(Math.log2(e1 / e2)).toBeGreaterThan(order - 0.3);
    });
  }
});

describe('exact equivalences', () => {
  it('euler in σ-space = DPM-Solver-1 on the mapped time grid (VP, exact ε)', () => {
    const p = vpProcess();
    const times = [1, 0.6, 0.3, 0.1, 0.02];
    const sig = times.map((t) => sigmaOfTime(p, t));
    const x = new Rng(1).normalBatch(3, 1).map((r) => r.map((v) => v * 1.1));
    const a = sampleKEuler(vpModel, x.map((r) => r.map((v) => v / p.alpha(1))), sig);
    const b = sampleDpmSolver1(vpModel, x, times);
    expect(maxErr(a.map((r) => r.map((v) => v * p.alpha(0.02))), b)).toBeLessThan(1e-12);
    expect(Math.abs(timeOfSigma(p, sig[2]) - 0.3)).toBeLessThan(1e-12);
  });
  it('euler in σ-space ending at σ = 0 = DDIM η = 0 on integer timesteps ending at 0 (discrete VP)', () => {
    const betas = betaSchedule('linear', 1000);
    const p = discreteVpProcess(betas);
    const tab = discreteSigmas(betas);
    const ts = [999, 750, 500, 250, 100, 10, 0];
    const sig = ts.map((t) => (t === 0 ? 0 : tab[t - 1]));
    const m = mixtureModel(gauss, p, 'eps');
    const x = new Rng(2).normalBatch(3, 1);
    const a = sampleKEuler(m, x.map((r) => r.map((v) => v / p.alpha(999))), sig);
    const b = sampleDdim(m, x, ts);
    expect(maxErr(a, b)).toBeLessThan(1e-10);
  });
  it('η = 0 ancestral variants equal their deterministic counterparts; 2M SDE (η = 0, midpoint) = 2M; SDE (η = 0) = 2S', () => {
    const g = karrasSigmas(12, 0.02, 20);
    const x = [Float64Array.of(4), Float64Array.of(-9), Float64Array.of(0.3)];
    expect(maxErr(sampleKEulerAncestral(vpModel, x, g, { eta: 0 }), sampleKEuler(vpModel, x, g))).toBe(0);
    expect(maxErr(sampleKDpm2Ancestral(vpModel, x, g, { eta: 0 }), sampleKDpm2(vpModel, x, g))).toBeLessThan(1e-13);
    expect(maxErr(sampleKDpmpp2mSde(vpModel, x, g, { eta: 0 }), sampleKDpmpp2m(vpModel, x, g))).toBeLessThan(1e-12);
    expect(maxErr(sampleKDpmppSde(vpModel, x, g, { eta: 0 }), sampleKDpmpp2sAncestral(vpModel, x, g, { eta: 0 }))).toBeLessThan(1e-12);
    expect(maxErr(sampleKLms(vpModel, x, g, { order: 1 }), sampleKEuler(vpModel, x, g))).toBeLessThan(1e-12);
  });
  it('the same samplers on a VE and a VP process with the same data give the same x̃ (D is process-free)', () => {
    const ve = mixtureModel(gauss, veProcess({ sigmaMin: 0.01, sigmaMax: 100 }), 'x0');
    const g = exponentialSigmas(8, 0.05, 20);
    const x = [Float64Array.of(10), Float64Array.of(-20)];
    for (const fn of [sampleKHeun, sampleKLms, sampleKDpmpp2m]) expect(maxErr(fn(ve, x, g), fn(vpModel, x, g))).toBeLessThan(1e-10);
  });
});

describe('one-step formulas', () => {
  it('LMS coefficients integrate the Lagrange basis: Σ_j c_j = Δσ, order 1 = Euler, exact on a cubic', () => {
    const g = [10, 6, 3, 1.5, 0.5];
    for (const order of [1, 2, 3, 4]) {
      const i = order - 1;
      let s = 0;
      for (let j = 0; j < order; j++) s += lmsCoefficient(order, g, i, j);
      expect(s).toBeCloseTo(g[i + 1] - g[i], 13);
    }
    // ∫_{σ_3}^{σ_4} τ³ dτ from the 4 nodes σ_3..σ_0 (exact for degree ≤ 3)
    let q = 0;
    for (let j = 0; j < 4; j++) q += lmsCoefficient(4, g, 3, j) * g[3 - j] ** 3;
    expect(q).toBeCloseTo((0.5 ** 4 - 1.5 ** 4) / 4, 12);
    throwsNaming(() => lmsCoefficient(5, g, 3, 0), 'order');
    throwsNaming(() => lmsCoefficient(2, g, 0, 0), 'i');
    throwsNaming(() => lmsCoefficient(2, g, 1, 2), 'j');
  });
  it('φ₂, φ₃ match their closed forms across the series switch', () => {
    for (const k of [1e-6, 5e-4, 2e-3, 0.5, 3]) {
      expect(dpmppPhi2(k)).toBeCloseTo(Math.expm1(-k) / k + 1, 12);
      const exact3 = (Math.expm1(-k) / k + 1) / k - 0.5;
      expect(Math.abs(dpmppPhi3(k) - exact3)).toBeLessThan(1e-9 * Math.max(1, Math.abs(exact3)) + 1e-12);
    }
  });
  it('DPM-Solver++1 to σ = 0 returns D; the last DPM++ 2M step (to 0) drops to first order and returns D', () => {
    const x = [Float64Array.of(2)];
    expect(dpmppFirstOrder(x, 1, 0, [Float64Array.of(0.7)])[0][0]).toBe(0.7);
    const seen: Rows[] = [];
    const out = sampleKDpmpp2m(vpModel, x, karrasSigmas(4, 0.1, 10), { callback: (i) => seen.push(i.denoised!) });
    expect(out[0][0]).toBe(seen[3][0][0]);
  });
  it('3M (k-diffusion coefficients) differs from the Taylor variant once three D are known', () => {
    const g = karrasSigmas(6, 0.05, 10);
    const x = [Float64Array.of(3)];
    const a = sampleKDpmpp3mSde(vpModel, x, g.subarray(0, 6), { eta: 0 });
    const b = sampleKDpmpp3mSde(vpModel, x, g.subarray(0, 6), { eta: 0, variant: 'taylor' });
    expect(Math.abs(a[0][0] - b[0][0])).toBeGreaterThan(1e-6);
    const two = sampleKDpmpp3mSde(vpModel, x, g.subarray(0, 3), { eta: 0 });
    expect(two[0][0]).toBe(sampleKDpmpp3mSde(vpModel, x, g.subarray(0, 3), { eta: 0, variant: 'taylor' })[0][0]);
  });
});

describe('stochastic samplers: reproducible noise, churn, Brownian tree', () => {
  const g = karrasSigmas(10, 0.02, 20);
  const x = new Rng(5).normalBatch(6, 2).map((r) => r.map((v) => 20 * v));
  const m2 = mixtureModel(makeMixture({ weights: [0.5, 0.5], means: [[1, 1], [-1, -1]], stds: [0.3, 0.3] }), vpProcess(), 'eps');
  const STOCH: [string, KFn, KSamplerOptions][] = [
    ['euler_ancestral', sampleKEulerAncestral, {}],
    ['dpm_2_ancestral', sampleKDpm2Ancestral, {}],
    ['dpmpp_2s_ancestral', sampleKDpmpp2sAncestral, {}],
    ['dpmpp_sde', sampleKDpmppSde, {}],
    ['dpmpp_2m_sde', sampleKDpmpp2mSde, {}],
    ['dpmpp_2m_sde heun', sampleKDpmpp2mSde, { solverType: 'heun' }],
    ['dpmpp_3m_sde', sampleKDpmpp3mSde, {}],
    ['euler churn', sampleKEuler, { sChurn: 5 }],
    ['heun churn', sampleKHeun, { sChurn: 5, sTmin: 0.05, sTmax: 10 }],
    ['dpm_2 churn', sampleKDpm2, { sChurn: 5 }],
  ];
  for (const [name, fn, opts] of STOCH) {
    it(`${name}: same seed same output, rng required, callback per step, Brownian noise accepted`, () => {
      const a = fn(m2, x, g, { ...opts, rng: new Rng(11) });
      const b = fn(m2, x, g, { ...opts, rng: new Rng(11) });
      expect(maxErr(a, b)).toBe(0);
      expect(maxErr(a, fn(m2, x, g, { ...opts, rng: new Rng(12) }))).toBeGreaterThan(0);
      throwsNaming(() => fn(m2, x, g, opts), 'options.rng');
      let calls = 0;
      const tree = new BrownianTree({ seed: 3, t0: 0.02, t1: 20, shape: [6, 2] });
      const c = fn(m2, x, g, { ...opts, rng: new Rng(1), noiseSampler: brownianNoiseSampler(tree), callback: () => calls++ });
      expect(calls).toBe(10);
      expect(c.every((r) => r.every(Number.isFinite))).toBe(true);
    });
  }
  it('a Brownian tree makes the SDE samplers converge pathwise as the grid is refined (strong convergence)', () => {
    const tree = new BrownianTree({ seed: 9, t0: 0.05, t1: 10, shape: [6, 2] });
    const ns = brownianNoiseSampler(tree);
    const run = (n: number) => sampleKDpmpp2mSde(m2, x.map((r) => r.map((v) => v / 2)), karrasSigmas(n, 0.05, 10).subarray(0, n), { noiseSampler: ns });
    const ref = run(512);
    const e1 = maxErr(run(32), ref);
    const e2 = maxErr(run(128), ref);
    expect(e2).toBeLessThan(e1 / 2);
  });
  it('validates options and the noise sampler output', () => {
    throwsNaming(() => sampleKEulerAncestral(m2, x, g, { eta: -1, rng: new Rng(1) }), 'options.eta');
    throwsNaming(() => sampleKEuler(m2, x, g, { sChurn: -1 }), 'options.sChurn');
    throwsNaming(() => sampleKLms(m2, x, g, { order: 5 }), 'options.order');
    throwsNaming(() => sampleKDpmppSde(m2, x, g, { r: 1, rng: new Rng(1) }), 'options.r');
    throwsNaming(() => sampleKDpmpp2mSde(m2, x, g, { solverType: 'rk' as 'heun', rng: new Rng(1) }), 'options.solverType');
    throwsNaming(() => sampleKDpmpp3mSde(m2, x, g, { variant: 'x' as 'taylor', rng: new Rng(1) }), 'options.variant');
    throwsNaming(() => sampleKEulerAncestral(m2, x, g, { noiseSampler: () => [Float64Array.of(1)] }), 'options.noiseSampler');
    throwsNaming(() => sampleKEulerAncestral(m2, x, g, { noiseSampler: 3 as unknown as () => Rows }), 'options.noiseSampler');
    throwsNaming(() => sampleKEuler(m2, x, [1, 1, 0]), 'sigmas[1]');
    throwsNaming(() => sampleKEuler(m2, x, g, { mapping: 'nearest' as 'interp' }), 'options.mapping');
    throwsNaming(() => sampleKEuler(makeModel(vpProcess(), 'eps', (xx) => xx) as DiffusionModel, [], g), 'x');
  });
});

describe("SDE samplers' noise source", () => {
  it("noiseSource 'rng' draws independent normals from options.rng; the default Brownian tree is seeded from it", () => {
    const m = mixtureModel(makeMixture({ weights: [1], means: [[0, 0]], stds: [1] }), vpProcess(), 'eps');
    const g = karrasSigmas(5, 0.1, 10);
    const x = [Float64Array.of(1, 2)];
    for (const fn of [sampleKDpmppSde, sampleKDpmpp2mSde, sampleKDpmpp3mSde] as KFn[]) {
      const a = fn(m, x, g, { rng: new Rng(3), noiseSource: 'rng' });
      const b = fn(m, x, g, { rng: new Rng(3) });
      expect(maxErr(a, fn(m, x, g, { rng: new Rng(3), noiseSource: 'rng' }))).toBe(0);
      expect(maxErr(a, b)).toBeGreaterThan(0);
      throwsNaming(() => fn(m, x, g, { rng: new Rng(3), noiseSource: 'x' as 'rng' }), 'options.noiseSource');
    }
    expect(sampleKDpmpp2mSde(m, x, [10, 0], { rng: new Rng(1) })[0].every(Number.isFinite)).toBe(true);
  });
});
