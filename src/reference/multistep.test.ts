import { describe, it, expect } from 'vitest';
import { vpProcess, discreteVpProcess, makeModel, type DiffusionModel, type Rows, type ModelOutput } from './model.js';
import { makeMixture, mixtureModel } from './mixture.js';
import { sampleDpmSolver1, sampleDpmSolverPP2M } from './dpm_solver.js';
import { sampleDdim } from './ancestral.js';
import { betaSchedule } from './schedules.js';
import { Rng } from './rng.js';
import {
  phi,
  expFrame,
  taylorWeights,
  unipcPredictorWeights,
  unipcCorrectorWeights,
  deisWeights,
  dpmSolverScheme,
  multistepUpdate,
  runMultistep,
  stepOrder,
  sampleDpmSolverMultistep,
  sampleDpmSolver2M,
  sampleDpmSolver3M,
  sampleDpmSolverPP2MFinal,
  sampleDpmSolverPP3M,
  sampleDpmSolverPP2S,
  sampleDpmSolverPP3S,
  sampleUniPC,
  sampleUniPCBh1,
  sampleUniPCBh2,
  sampleDeis,
  singlestepUpdate,
  makeSolverGrid,
  discreteModelTime,
  continuousTimeOfModelTime,
  discreteTimeModel,
  type MultistepStepInfo,
  type MultistepOptions,
} from './multistep.js';

const vp = vpProcess();
const maxErr = (a: Rows, b: Rows) => Math.max(...a.map((r, k) => Math.max(...r.map((v, i) => Math.abs(v - b[k][i])))));
// One Gaussian component: exact PF-ODE map x_t = α_t μ + (S_t/S_T)(x_T - α_T μ), S² = α²s² + σ².
const mu = [0.5, -0.5];
const s2 = 0.09;
const gauss = makeMixture({ weights: [1], means: [mu], variances: [s2] });
const exactFlow = (x: Rows, t0: number, t1: number) =>
  x.map((r) =>
    r.map((v, i) => {
      const S = (t: number) => Math.sqrt(vp.alpha(t) ** 2 * s2 + vp.sigma(t) ** 2);
      return vp.alpha(t1) * mu[i] + (S(t1) / S(t0)) * (v - vp.alpha(t0) * mu[i]);
    }),
  );
const mix2 = makeMixture({ weights: [0.3, 0.7], means: [[1.5, -1], [-1, 0.5]], variances: [[0.5, 0.3], 0.2] });
const x = new Rng(3).normalBatch(4, 2);

type Fn = (m: DiffusionModel, x: Rows, g: ArrayLike<number>, o?: MultistepOptions) => Rows;
const MULTISTEP: [string, Fn][] = [
  ['dpm-solver-2m', sampleDpmSolver2M],
  ['dpm-solver-3m', sampleDpmSolver3M],
  ['dpm-solver++2m (lower order final)', sampleDpmSolverPP2MFinal],
  ['dpm-solver++3m', sampleDpmSolverPP3M],
  ['dpm-solver++2s', sampleDpmSolverPP2S],
  ['dpm-solver++3s', sampleDpmSolverPP3S],
  ['unipc-bh1', sampleUniPCBh1],
  ['unipc-bh2', sampleUniPCBh2],
  ['unipc-bh2 order 3', (m, x, g, o) => sampleUniPC(m, x, g, { ...o, order: 3 })],
  ['deis-3', sampleDeis],
];

describe('φ functions (exponential-integrator basis)', () => {
  it('closed forms, φ_k(0) = 1/k!, and the series/recurrence seam at |z| = 1', () => {
    for (const z of [-3, -1.2, -0.3, 1e-6, 0.4, 2.5]) {
      expect(phi(1, z)).toBeCloseTo(Math.expm1(z) / z, 13);
      expect(phi(2, z)).toBeCloseTo((Math.expm1(z) - z) / (z * z), z === 1e-6 ? 6 : 12);
    }
    expect(phi(3, 0)).toBe(1 / 6);
    for (const k of [1, 2, 3, 4]) expect(Math.abs(phi(k, 0.9999999) - phi(k, 1.0000001))).toBeLessThan(1e-6);
    expect(() => phi(0, 1)).toThrow(/k/);
  });
});

describe('update weights integrate polynomials exactly (2022a eq. 3.5)', () => {
  // For m(λ) = (λ - λ_s)^k the exact sum is scale·h^{k+1}·φ_{k+1}(z)·k!.
  const s = 0.6;
  const t = 0.45;
  const times = [0.6, 0.75, 0.9];
  for (const prediction of ['noise', 'data'] as const) {
    it(`Taylor weights, order q reproduces degree q-1 (${prediction})`, () => {
      const F = expFrame(vp, prediction, s, t);
      for (const q of [1, 2, 3]) {
        const offs = times.slice(0, q).map((tau) => (vp.lambda(tau) - vp.lambda(s)) / F.h);
        const w = taylorWeights(F, offs, 'taylor');
        for (let k = 0; k < q; k++) {
          const got = w.reduce((a, wj, j) => a + wj * (offs[j] * F.h) ** k, 0);
          const fact = [1, 1, 2][k];
          expect(got).toBeCloseTo(F.scale * F.h ** (k + 1) * phi(k + 1, F.z) * fact, 12);
        }
      }
    });
    it(`UniC-q reproduces degree q and UniP-3 degree 2 (${prediction}); weights sum to scale·hφ_1`, () => {
      const F = expFrame(vp, prediction, s, t);
      const offs = times.map((tau) => (vp.lambda(tau) - vp.lambda(s)) / F.h);
      const wp = unipcPredictorWeights(F, offs, 'bh2');
      const wc = unipcCorrectorWeights(F, offs.slice(0, 2), 'bh1');
      const pts = [...offs.slice(0, 2), 1];
      for (let k = 0; k <= 2; k++) {
        const exact = F.scale * F.h ** (k + 1) * phi(k + 1, F.z) * [1, 1, 2][k];
        expect(wp.reduce((a, wj, j) => a + wj * (offs[j] * F.h) ** k, 0)).toBeCloseTo(exact, 12);
        expect(wc.reduce((a, wj, j) => a + wj * (pts[j] * F.h) ** k, 0)).toBeCloseTo(exact, 12);
      }
    });
  }
  it('DEIS tAB weights: Σ_j C_j = ρ_t - ρ_s, exact for ε polynomial in t', () => {
    const { base, w } = deisWeights(vp, s, t, times);
    expect(base).toBeCloseTo(vp.alpha(t) / vp.alpha(s), 15);
    const rho = (u: number) => vp.sigma(u) / vp.alpha(u);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(vp.alpha(t) * (rho(t) - rho(s)), 13);
    // ∫_s^t τ dρ = [τρ] - ∫ρ dτ, with ∫ρ by a fine trapezoid.
    let I = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const a = s + ((t - s) * i) / n;
      const b = s + ((t - s) * (i + 1)) / n;
      I += 0.5 * (b - a) * (rho(a) + rho(b));
    }
    const exact = vp.alpha(t) * (t * rho(t) - s * rho(s) - I);
    expect(w.reduce((a, wj, j) => a + wj * times[j], 0)).toBeCloseTo(exact, 8);
  });
});

describe('exact equivalences', () => {
  const g = makeSolverGrid(vp, 12, { spacing: 'logsnr' });
  it('first-order multistep = DPM-Solver-1 (ε and x̂_0 frames), DEIS-1, UniP-1 = DDIM η=0', () => {
    const m = mixtureModel(mix2, vp, 'eps');
    const ref = sampleDpmSolver1(m, x, g);
    expect(maxErr(sampleDpmSolverMultistep(m, x, g, { order: 1 }), ref)).toBeLessThan(1e-13);
    expect(maxErr(sampleDpmSolverMultistep(m, x, g, { order: 1, prediction: 'data' }), ref)).toBeLessThan(1e-12);
    expect(maxErr(sampleDeis(m, x, g, { order: 1 }), ref)).toBeLessThan(1e-12);
    expect(maxErr(sampleUniPC(m, x, g, { order: 1, corrector: false }), ref)).toBeLessThan(1e-12);
  });
  it('on the discrete schedule, first-order multistep = DDIM η=0 step for step', () => {
    const betas = betaSchedule('linear', 100);
    const m = mixtureModel(mix2, discreteVpProcess(betas), 'eps');
    const ig = [100, 80, 60, 40, 20, 1];
    const xd = new Rng(5).normalBatch(3, 2);
    expect(maxErr(sampleDpmSolverMultistep(m, xd, ig, { order: 1, prediction: 'data' }), sampleDdim(m, xd, ig))).toBeLessThan(1e-12);
  });
  it('multistep order 2, data, no lowerOrderFinal = the existing DPM-Solver++(2M); UniP-2 bh2 without corrector = it too', () => {
    const m = mixtureModel(mix2, vp, 'x0');
    const ref = sampleDpmSolverPP2M(m, x, g);
    expect(maxErr(sampleDpmSolverMultistep(m, x, g, { order: 2, prediction: 'data', lowerOrderFinal: false }), ref)).toBeLessThan(1e-13);
    expect(maxErr(sampleUniPCBh2(m, x, g, { corrector: false, lowerOrderFinal: false }), ref)).toBeLessThan(1e-13);
    expect(maxErr(sampleUniPCBh1(m, x, g, { corrector: false, lowerOrderFinal: false }), ref)).toBeGreaterThan(1e-6);
  });
  for (const [name, fn] of MULTISTEP) {
    it(`${name}: ε, x̂_0, v and flow-velocity models give the same samples to round-off`, () => {
      const outs = (['eps', 'x0', 'v', 'flow'] as ModelOutput[]).map((o) => fn(mixtureModel(mix2, vp, o), x, g));
      for (const o of outs.slice(1)) expect(maxErr(o, outs[0])).toBeLessThan(1e-10);
    });
  }
});

describe('convergence to the exact Gaussian probability flow', () => {
  const cases: [string, Fn, number[], number][] = [
    ['dpm-solver-2m', sampleDpmSolver2M, [40, 80], 2],
    ['dpm-solver-3m', sampleDpmSolver3M, [40, 80], 3],
    ['dpm-solver++3s', sampleDpmSolverPP3S, [20, 40], 3],
    ['dpm-solver++2s', sampleDpmSolverPP2S, [40, 80], 2],
    ['unipc-bh2 (order 2 + UniC: 3)', sampleUniPCBh2, [40, 80], 3],
    ['deis-3', sampleDeis, [40, 80], 3],
  ];
  for (const [name, fn, Ns, p] of cases) {
    it(`${name}: error ratio per doubling ≈ 2^${p}`, () => {
      const m = mixtureModel(gauss, vp, 'eps');
      const errs = Ns.map((N) => {
        const g = makeSolverGrid(vp, N, { spacing: 'logsnr' });
        return maxErr(fn(m, x, g), exactFlow(x, g[0], g[N]));
      });
      expect(Math.log2(errs[0] / errs[1])).toBeGreaterThan(p - 0.5);
      expect(Math.log2(errs[0] / errs[1])).toBeLessThan(p + 1.2);
    });
  }
});

describe('history, warm-up and lowerOrderFinal', () => {
  it('stepOrder: warm-up and final steps', () => {
    expect(Array.from({ length: 6 }, (_, i) => stepOrder(3, i, 6, true))).toEqual([1, 2, 3, 3, 2, 1]);
    expect(Array.from({ length: 6 }, (_, i) => stepOrder(3, i, 6, false))).toEqual([1, 2, 3, 3, 3, 3]);
    expect(Array.from({ length: 2 }, (_, i) => stepOrder(3, i, 2, true))).toEqual([1, 1]);
  });
  it('the callback reports the order and the history (times newest first, converted outputs at the states)', () => {
    const g = makeSolverGrid(vp, 6, { spacing: 'logsnr' });
    const calls: { x: Rows; t: number }[] = [];
    const oracle = mixtureModel(mix2, vp, 'v');
    const spy = makeModel(vp, 'v', (xx, t) => {
      calls.push({ x: xx.map((r) => Float64Array.from(r)), t });
      return oracle.apply(xx, t);
    });
    const infos: MultistepStepInfo[] = [];
    sampleDpmSolverPP3M(spy, x, g, { callback: (i) => infos.push(i as MultistepStepInfo) });
    expect(infos.map((i) => i.order)).toEqual([1, 2, 3, 3, 2, 1]);
    expect(calls.map((c) => c.t)).toEqual(Array.from(g.slice(0, 6)));
    infos.forEach((info, i) => {
      expect(info.history.t).toEqual(Array.from(g.slice(Math.max(0, i - 2), i + 1)).reverse());
      // history[0] = x̂_0 at the state the model was called with at t_i
      const x0 = mixtureModel(mix2, vp, 'x0').apply(calls[i].x, g[i]);
      expect(maxErr(info.history.m[0], x0)).toBeLessThan(1e-12);
      if (i > 0) expect(maxErr(calls[i].x, infos[i - 1].x)).toBe(0);
    });
    // the last step is first order: x_N = DPM-Solver-1 step from x_{N-1} with the newest output only
    const last = multistepUpdate(dpmSolverScheme('data'), vp, infos[4].x, g[5], g[6], { t: [g[5]], m: [infos[5].history.m[0]] }, 1);
    expect(maxErr(last, infos[5].x)).toBeLessThan(1e-14);
  });
  it('UniPC reports the corrected state of the previous step; the model sees the uncorrected one', () => {
    const g = makeSolverGrid(vp, 5, { spacing: 'logsnr' });
    const infos: MultistepStepInfo[] = [];
    sampleUniPCBh2(mixtureModel(mix2, vp, 'eps'), x, g, { callback: (i) => infos.push(i as MultistepStepInfo) });
    expect(infos[0].corrected).toBeUndefined();
    expect(maxErr(infos[1].corrected!, infos[0].x)).toBeGreaterThan(1e-8);
    expect(infos.map((i) => i.order)).toEqual([1, 2, 2, 2, 1]);
  });
  it('runMultistep refuses an order above the scheme and a grid reaching λ = ±∞', () => {
    const m = mixtureModel(mix2, vp, 'eps');
    expect(() => runMultistep(dpmSolverScheme('noise'), m, x, [1, 0.5, 0.1], { order: 4 })).toThrow(/options\.order/);
    expect(() => sampleDpmSolver2M(m, x, [1, 0.5, 0])).toThrow(/timeGrid/);
    expect(() => multistepUpdate(dpmSolverScheme('noise'), vp, x, 0.5, 0.4, { t: [0.6], m: [x] }, 1)).toThrow(/history/);
    expect(() => dpmSolverScheme('eps' as never)).toThrow(/prediction/);
    expect(() => sampleDpmSolverPP2S(m, x, [1, 0.5], { solverType: 'x' as never })).toThrow(/solverType/);
  });
  it('singlestep order 1 is DPM-Solver-1; 2S taylor and dpmsolver differ at O(h³)', () => {
    const m = mixtureModel(mix2, vp, 'eps');
    const a = singlestepUpdate(m, x, 0.5, 0.4, 1, 'noise').x;
    expect(maxErr(a, sampleDpmSolver1(m, x, [0.5, 0.4]))).toBeLessThan(1e-14);
    const b = singlestepUpdate(m, x, 0.5, 0.4, 2, 'data', 'taylor').x;
    const c = singlestepUpdate(m, x, 0.5, 0.4, 2, 'data', 'dpmsolver').x;
    expect(maxErr(b, c)).toBeGreaterThan(0);
    expect(maxErr(b, c)).toBeLessThan(1e-2);
  });
});

describe('grids, λ clipping and discrete model time', () => {
  it('time-quadratic is uniform in √t; logsnr uniform in λ; lambdaMin clips the start', () => {
    const g = makeSolverGrid(vp, 4, { spacing: 'time-quadratic', tEnd: 0.01 });
    const r = Array.from(g, Math.sqrt);
    for (let i = 1; i < 4; i++) expect(r[i + 1] - r[i]).toBeCloseTo(r[1] - r[0], 14);
    const l = makeSolverGrid(vp, 4, { spacing: 'logsnr' });
    expect(vp.lambda(l[2]) - vp.lambda(l[1])).toBeCloseTo(vp.lambda(l[1]) - vp.lambda(l[0]), 10);
    const c = makeSolverGrid(vp, 4, { lambdaMin: -3 });
    expect(vp.lambda(c[0])).toBeCloseTo(-3, 10);
    expect(makeSolverGrid(vp, 4, { lambdaMin: -10 })[0]).toBe(1);
    expect(() => makeSolverGrid(vp, 4, { lambdaMin: 5 })).toThrow(/lambdaMin/);
    expect(() => makeSolverGrid(vp, 4, { spacing: 'cosine' as never })).toThrow(/spacing/);
    expect(() => makeSolverGrid(vp, 4, { spacing: 'time-quadratic', tStart: 0.1, tEnd: 0.2 })).toThrow(/tEnd/);
  });
  it('n = N(t_c - 1/N): 1000(t_c - 1/N) only for N = 1000; the wrapper passes n = τ - 1', () => {
    expect(discreteModelTime(0.5, 1000)).toBeCloseTo(1000 * (0.5 - 1 / 1000), 10);
    expect(discreteModelTime(0.5, 100)).toBeCloseTo(49, 12);
    expect(discreteModelTime(0.5, 100)).not.toBeCloseTo(1000 * (0.5 - 1 / 100), 0);
    expect(continuousTimeOfModelTime(49, 100)).toBeCloseTo(0.5, 14);
    expect(() => discreteModelTime(0.001, 100)).toThrow(/tContinuous/);
    expect(() => continuousTimeOfModelTime(100, 100)).toThrow(/n/);
    const seen: number[] = [];
    const betas = betaSchedule('linear', 100);
    const m = discreteTimeModel(betas, 'eps', (xx, n) => {
      seen.push(n);
      return xx.map((r) => r.map(() => 0));
    });
    m.apply(x, 37.5);
    expect(seen[0]).toBeCloseTo(36.5, 12);
    expect(() => m.apply(x, 0.5)).toThrow(/t/);
  });
});
