import { describe, it, expect } from 'vitest';
import {
  vpProcess, veProcess, discreteVpProcess, indiProcess, makeModel, checkModel, checkProcess, modelEps, modelScore, modelX0,
  checkTimeGrid, checkBatch, requireRng, makeTimeGrid, axpy, lincomb, normalsLike, softplus, type Process,
} from './model.js';
import { makeMixture, mixtureModel } from './mixture.js';
import { betaSchedule } from './schedules.js';
import { Rng } from './rng.js';
import { DiffusionInputError } from './errors.js';

const procs: [string, Process, number[]][] = [
  ['vp', vpProcess(), [0.01, 0.2, 0.5, 0.95]],
  ['vp constant β', vpProcess({ betaMin: 1, betaMax: 1 }), [0.1, 0.7]],
  ['ve', veProcess(), [0.05, 0.5, 0.9]],
  ['discrete', discreteVpProcess(betaSchedule('linear', 100)), [1.5, 10.25, 57.5, 99.5]],
  ['indi', indiProcess(), [0.05, 0.5, 0.9]],
  ['indi denoise', indiProcess({ signal: 1, noise: 2 }), [0.1, 0.6]],
  ['indi extra', indiProcess({ extraNoise: 1.5 }), [0.1, 0.4, 0.8]],
];

describe('processes', () => {
  for (const [name, p, ts] of procs) {
    it(`${name}: f = d log α/dt, g² = dσ²/dt - 2fσ², λ = log(α/σ) and its inverse`, () => {
      for (const t of ts) {
        const h = 1e-6;
        const dla = (Math.log(p.alpha(t + h)) - Math.log(p.alpha(t - h))) / (2 * h);
        const ds2 = (p.sigma(t + h) ** 2 - p.sigma(t - h) ** 2) / (2 * h);
        expect(p.f(t)).toBeCloseTo(dla, 5);
        expect(p.g2(t)).toBeCloseTo(ds2 - 2 * dla * p.sigma(t) ** 2, 4);
        expect(p.lambda(t)).toBeCloseTo(Math.log(p.alpha(t) / p.sigma(t)), 12);
        expect(p.tOfLambda(p.lambda(t))).toBeCloseTo(t, 9);
      }
    });
  }
  it('VP and discrete processes preserve variance (α² + σ² = 1); discrete matches ᾱ_t at integers', () => {
    const b = betaSchedule('linear', 50);
    const d = discreteVpProcess(b);
    let la = 0;
    for (let t = 1; t <= 50; t++) {
      la += Math.log1p(-b[t - 1]);
      expect(d.alpha(t) ** 2).toBeCloseTo(Math.exp(la), 14);
      expect(d.alpha(t) ** 2 + d.sigma(t) ** 2).toBeCloseTo(1, 14);
    }
    expect(d.tOfLambda(d.lambda(50))).toBeCloseTo(50, 9);
    const vp = vpProcess();
    expect(vp.alpha(0.3) ** 2 + vp.sigma(0.3) ** 2).toBeCloseTo(1, 14);
  });
  it('bad inputs name the argument', () => {
    expect(() => vpProcess({ betaMin: 0 })).toThrow(/options.betaMin/);
    expect(() => vpProcess({ betaMin: 1, betaMax: 0.5 })).toThrow(/options.betaMax/);
    expect(() => vpProcess({ tMin: 1 })).toThrow(/options.tMin/);
    expect(() => veProcess({ sigmaMin: 5, sigmaMax: 5 })).toThrow(/options.sigmaMin.*< sigmaMax/);
    expect(() => veProcess({ sigmaMin: -1 })).toThrow(/options.sigmaMin/);
    expect(() => vpProcess().alpha(1.5)).toThrow(/^t: time out of range/);
    expect(() => vpProcess().sigma(NaN)).toThrow(DiffusionInputError);
    expect(() => vpProcess().tOfLambda(-100)).toThrow(/lambda/);
    expect(() => veProcess().tOfLambda(100)).toThrow(/lambda/);
    expect(() => discreteVpProcess([0.1, 1])).toThrow(/zero terminal SNR/);
    expect(() => discreteVpProcess(betaSchedule('linear', 10)).tOfLambda(-50)).toThrow(/lambda/);
    expect(() => indiProcess({ noise: 0 })).toThrow(/options.noise/);
    expect(() => indiProcess({ signal: 2 as 0 })).toThrow(/options.signal/);
    expect(() => indiProcess({ extraNoise: 3 })).toThrow(/options.extraNoise/);
    expect(() => indiProcess({ tMin: 0 })).toThrow(/options.tMin/);
    expect(() => indiProcess({ signal: 1 }).tOfLambda(-10)).toThrow(/lambda/);
    expect(() => checkProcess({ kind: 'x' })).toThrow(/process/);
  });
  it('softplus is stable at both ends', () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
  });
});

describe('models and conversions', () => {
  const mix = makeMixture({ weights: [0.4, 0.6], means: [[1, 0], [-1, 2]], stds: [0.5, [0.3, 0.7]] });
  const vp = vpProcess();
  const x = new Rng(1).normalBatch(5, 2);
  it('ε, score, x̂_0, v outputs convert into each other (D1-D3 for general α, σ)', () => {
    for (const p of [vp, veProcess(), indiProcess({ signal: 1 })]) {
      for (const t of [0.1, 0.6]) {
        const ref = { eps: modelEps(mixtureModel(mix, p, 'eps'), x, t), score: modelScore(mixtureModel(mix, p, 'score'), x, t), x0: modelX0(mixtureModel(mix, p, 'x0'), x, t) };
        for (const out of ['eps', 'score', 'x0', 'v'] as const) {
          const m = mixtureModel(mix, p, out);
          const e = modelEps(m, x, t);
          const s = modelScore(m, x, t);
          const x0 = modelX0(m, x, t);
          x.forEach((_, r) => {
            for (let i = 0; i < 2; i++) {
              expect(e[r][i]).toBeCloseTo(ref.eps[r][i], 9);
              expect(s[r][i]).toBeCloseTo(ref.score[r][i], 7);
              expect(x0[r][i]).toBeCloseTo(ref.x0[r][i], 9);
            }
          });
        }
      }
    }
  });
  it('undefined conversions throw naming t', () => {
    const ve0 = veProcess();
    const xm = makeModel(ve0, 'x0', (xx) => xx);
    expect(() => modelEps(makeModel(indiProcess(), 'x0', (xx) => xx), x, 0)).toThrow(/σ\(t\) = 0/);
    expect(() => modelScore(makeModel(indiProcess(), 'eps', (xx) => xx), x, 0)).toThrow(/score model/);
    expect(() => modelX0(makeModel(indiProcess(), 'eps', (xx) => xx), x, 1)).toThrow(/α\(t\) = 0/);
    expect(modelX0(xm, x, 0.5)[0][0]).toBe(x[0][0]);
  });
  it('model output shape and finiteness are checked', () => {
    expect(() => modelEps(makeModel(vp, 'eps', (xx) => xx.slice(1)), x, 0.5)).toThrow(/model output.*shape mismatch/);
    expect(() => modelEps(makeModel(vp, 'eps', (xx) => xx.map((r) => r.slice(1))), x, 0.5)).toThrow(/model output\[0\]/);
    expect(() => modelEps(makeModel(vp, 'eps', (xx) => xx.map((r) => r.map(() => NaN))), x, 0.5)).toThrow(/non-finite/);
    expect(() => makeModel(vp, 'logits' as 'eps', (xx) => xx)).toThrow(/output/);
    expect(() => makeModel(vp, 'eps', 3 as unknown as (x: Float64Array[]) => Float64Array[])).toThrow(/apply/);
    expect(() => checkModel({})).toThrow(/model/);
  });
});

describe('grids, batches, options', () => {
  const vp = vpProcess();
  it('makeTimeGrid: uniform in t or λ, endpoints exact', () => {
    const g = makeTimeGrid(vp, 10);
    expect(g.length).toBe(11);
    expect(g[0]).toBe(1);
    expect(g[10]).toBe(vp.tMin);
    const l = makeTimeGrid(vp, 8, { spacing: 'logsnr' });
    const d = Array.from(l.slice(1), (t, i) => vp.lambda(t) - vp.lambda(l[i]));
    for (const v of d) expect(v).toBeCloseTo(d[0], 9);
  });
  it('bad grids and counts name the argument', () => {
    expect(() => makeTimeGrid(vp, 0)).toThrow(/^steps: must be a positive integer/);
    expect(() => makeTimeGrid(vp, 5, { tStart: 0.1, tEnd: 0.5 })).toThrow(/options.tEnd/);
    expect(() => makeTimeGrid(vp, 5, { spacing: 'logsnr', tEnd: 0 })).toThrow(/λ is infinite/);
    expect(() => makeTimeGrid(vp, 5, { spacing: 'karras' as 'time' })).toThrow(/options.spacing/);
    expect(() => checkTimeGrid([0.5], vp)).toThrow(/at least 2/);
    expect(() => checkTimeGrid(null, vp)).toThrow(/timeGrid/);
    expect(() => checkTimeGrid([0.2, 0.5], vp)).toThrow(/strictly decreasing/);
    expect(() => checkTimeGrid([0.5, 0.5], vp, 'any')).toThrow(/strictly monotone/);
    expect(() => checkTimeGrid([0.9, 0.5, 0.6], vp)).toThrow(/timeGrid\[2\].*non-monotone/);
    expect(() => checkTimeGrid([0.9, NaN], vp)).toThrow(/timeGrid\[1\]/);
    expect(() => checkTimeGrid([2, 0.5], vp)).toThrow(/out of range/);
    expect(checkTimeGrid([0.2, 0.5], vp, 'any')[1]).toBe(0.5);
    expect(() => checkBatch([])).toThrow(/non-empty batch/);
    expect(() => checkBatch([[1, 2], [1]])).toThrow(/x\[1\].*shape mismatch/);
    expect(() => checkBatch([[1, Infinity]])).toThrow(/x\[0\]\[1\]/);
    expect(() => requireRng({}, 'thing')).toThrow(/options.rng/);
  });
  it('row helpers', () => {
    const a = [Float64Array.of(1, 2)];
    const b = [Float64Array.of(3, 4)];
    expect(Array.from(axpy(a, 2, b)[0])).toEqual([7, 10]);
    expect(Array.from(lincomb([1, -1, 0], [a, b, b])[0])).toEqual([-2, -2]);
    expect(normalsLike(new Rng(2), a)[0].length).toBe(2);
  });
});
