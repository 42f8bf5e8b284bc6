import { describe, it, expect } from 'vitest';
import { vpProcess, makeModel, makeTimeGrid, type Rows, type ModelOutput } from './model.js';
import { makeMixture, mixtureModel } from './mixture.js';
import { dpmSolver1Step } from './dpm_solver.js';
import { Rng } from './rng.js';
import { pndmTransfer, pndmTransferCoefficients, plmsCoefficients, pndmPrkStep, plmsStep, samplePndm, samplePlms } from './pndm.js';
import type { MultistepStepInfo } from './multistep.js';

const vp = vpProcess();
const maxErr = (a: Rows, b: Rows) => Math.max(...a.map((r, k) => Math.max(...r.map((v, i) => Math.abs(v - b[k][i])))));
const mix2 = makeMixture({ weights: [0.3, 0.7], means: [[1.5, -1], [-1, 0.5]], variances: [[0.5, 0.3], 0.2] });
const x = new Rng(4).normalBatch(4, 2);

describe('PNDM transfer part φ (Liu et al. 2022 eq. 11)', () => {
  it('is the DDIM η=0 / DPM-Solver-1 step', () => {
    const m = mixtureModel(mix2, vp, 'eps');
    const e = m.apply(x, 0.6);
    expect(maxErr(pndmTransfer(vp, x, e, 0.6, 0.5), dpmSolver1Step(m, x, 0.6, 0.5))).toBeLessThan(1e-13);
    expect(pndmTransferCoefficients(vp, 0.6, 0.6)[1]).toBeCloseTo(0, 15);
  });
  it('PLMS coefficients are Adams-Bashforth (sum 1; exact for polynomials of degree q-1 on unit steps)', () => {
    for (const q of [1, 2, 3, 4]) {
      const c = plmsCoefficients(q);
      expect(c.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
      // ∫_0^1 p(u) du from p(0), p(-1), ..., p(-(q-1)) for p(u) = u^k, k < q
      for (let k = 0; k < q; k++) expect(c.reduce((a, cj, j) => a + cj * (-j) ** k, 0)).toBeCloseTo(1 / (k + 1), 13);
    }
    expect(() => plmsCoefficients(5)).toThrow(/order/);
  });
  it('PRK and PLMS steps are exact for a constant ε̂ (the transfer carries the whole step)', () => {
    const e = [Float64Array.of(0.3, -0.2), Float64Array.of(1, 2), Float64Array.of(0, 0), Float64Array.of(-1, 0.5)];
    const m = makeModel(vp, 'eps', () => e.map((r) => Float64Array.from(r)));
    const exact = pndmTransfer(vp, x, e, 0.7, 0.6);
    expect(maxErr(pndmPrkStep(m, x, 0.7, 0.6).x, exact)).toBeLessThan(1e-14);
    expect(maxErr(plmsStep(vp, x, 0.7, 0.6, [e, e, e, e]), exact)).toBeLessThan(1e-14);
  });
});

describe('PNDM and PLMS samplers', () => {
  const g = makeTimeGrid(vp, 10, { spacing: 'logsnr' });
  for (const [name, fn] of [['pndm', samplePndm], ['plms', samplePlms]] as const) {
    it(`${name}: ε, x̂_0, v, flow-velocity models agree to round-off (history holds converted ε̂)`, () => {
      const outs = (['eps', 'x0', 'v', 'flow'] as ModelOutput[]).map((o) => fn(mixtureModel(mix2, vp, o), x, g));
      for (const o of outs.slice(1)) expect(maxErr(o, outs[0])).toBeLessThan(1e-10);
    });
  }
  it('model calls: PNDM 4 per PRK step then 1; PLMS 2 on the first step then 1; orders reported', () => {
    const count = (fn: typeof samplePndm) => {
      let n = 0;
      const oracle = mixtureModel(mix2, vp, 'eps');
      const infos: MultistepStepInfo[] = [];
      fn(makeModel(vp, 'eps', (xx, t) => (n++, oracle.apply(xx, t))), x, g, { callback: (i) => infos.push(i as MultistepStepInfo) });
      return { n, orders: infos.map((i) => i.order), hist: infos.map((i) => i.history.t.length) };
    };
    const p = count(samplePndm);
    expect(p.n).toBe(4 * 3 + 7);
    expect(p.hist).toEqual([1, 2, 3, 4, 4, 4, 4, 4, 4, 4]);
    const l = count(samplePlms);
    expect(l.n).toBe(11);
    expect(l.orders).toEqual([2, 2, 3, 4, 4, 4, 4, 4, 4, 4]);
  });
  it('converges (order 2 on a λ-uniform grid: the ε-combinations assume equal steps in ρ = σ/α)', () => {
    const m = mixtureModel(mix2, vp, 'eps');
    const ref = samplePndm(m, x, makeTimeGrid(vp, 1280, { spacing: 'logsnr' }));
    const e = [80, 160].map((N) => maxErr(samplePndm(m, x, makeTimeGrid(vp, N, { spacing: 'logsnr' })), ref));
    expect(Math.log2(e[0] / e[1])).toBeGreaterThan(1.6);
    expect(Math.log2(e[0] / e[1])).toBeLessThan(2.6);
  });
  it('refuses an increasing grid and α = 0', () => {
    const m = mixtureModel(mix2, vp, 'eps');
    expect(() => samplePndm(m, x, [0.1, 0.5])).toThrow(/timeGrid/);
    const alphaZero = { ...vp, alpha: () => 0 };
    expect(() => pndmTransferCoefficients(alphaZero, 0.5, 0.4)).toThrow(/α/);
  });
});
