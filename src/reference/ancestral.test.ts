/**
 * Unit tests of ancestral.ts: whole-trajectory DDPM (E1, with respacing) and DDIM (E2) samplers.
 * Expected values come from independent routes: the single-step functions replayed by hand, the
 * closed-form marginals of point-mass data, DPM-Solver-1 (= DDIM η = 0) and the η = 1 identity
 * DDIM = DDPM with σ² = β̃ (Song et al. 2021 §4.1).
 */
import { describe, expect, it } from 'vitest';
import {
  ancestralTimeGrid,
  betaSchedule,
  ddimStep,
  ddimTimesteps,
  ddpmStep,
  discreteVpProcess,
  getSampler,
  makeModel,
  makeRng,
  makeSchedule,
  respacedBetas,
  sampleDdim,
  sampleDdpm,
  sampleDpmSolver1,
  vpProcess,
  type DiffusionModel,
  type Rng,
  type Rows,
} from './index.js';
import { expectInputError } from '../testing/expect-input-error.js';


const maxDiff = (a: Rows, b: Rows) => Math.max(...a.map((r, i) => Math.max(...r.map((v, j) => Math.abs(v - b[i][j])))));

const T = 40;
const betas = betaSchedule('linear', T, { scaleToT: true });
const proc = discreteVpProcess(betas);
const sched = makeSchedule(betas);

/** A fixed affine ε-model (not an oracle): ε̂ = 0.3·x + 0.1·t/T. */
const affine: DiffusionModel = makeModel(proc, 'eps', (x, t) => x.map((r) => r.map((v) => 0.3 * v + (0.1 * t) / T)));

/** Exact ε̂ for data that is a point mass at μ: ε̂ = (x - √ᾱ_t μ)/√(1-ᾱ_t), so x̂_0 = μ exactly. */
const MU = 0.7;
const pointMass: DiffusionModel = makeModel(proc, 'eps', (x, t) => x.map((r) => r.map((v) => (v - proc.alpha(t) * MU) / proc.sigma(t))));

/** An "rng" that returns the constant z for every normal (to read off the affine step map). */
function constRng(z: number): Rng {
  return { normal: () => z, normals: (n: number) => new Float64Array(n).fill(z) } as unknown as Rng;
}

describe('sampleDdpm (E1)', () => {
  it('full grid = ddpmStep replayed t = T..1 with the same random stream, both variances', () => {
    for (const variance of ['posterior', 'beta'] as const) {
      const x0 = makeRng(1).normalBatch(3, 2);
      const got = sampleDdpm(affine, x0, ancestralTimeGrid(T, T, 'leading'), { rng: makeRng(5), variance });
      const rng = makeRng(5);
      let x: Rows = x0;
      for (let t = T; t >= 1; t--) x = ddpmStep(sched, x, t, affine.apply(x, t), { rng, variance });
      expect(maxDiff(got, x)).toBe(0);
    }
  });

  it('the full grid keeps the original β (not recomputed) and the last step draws no noise', () => {
    const rb = respacedBetas(betas, ancestralTimeGrid(T, T, 'leading'));
    expect(Array.from(rb)).toEqual(Array.from(betas));
    let draws = 0;
    const counting = { normals: (n: number) => ((draws += n), new Float64Array(n)), normal: () => (draws++, 0) } as unknown as Rng;
    sampleDdpm(affine, [new Float64Array(2)], ancestralTimeGrid(T, 5, 'trailing'), { rng: counting });
    expect(draws).toBe(2 * 4); // 5 steps, noise on the first 4 only
  });

  it('respaced step s → s′ on point-mass data maps N(√ᾱ_s μ, 1-ᾱ_s) to N(√ᾱ_s′ μ, 1-ᾱ_s′) exactly (posterior variance)', () => {
    for (const [s, sp] of [
      [40, 31],
      [25, 7],
      [9, 8],
      [5, 2],
    ]) {
      const step = (x: number, z: number, variance: 'beta' | 'posterior') => {
        let out = NaN;
        sampleDdpm(pointMass, [Float64Array.of(x)], [s, sp, 0], {
          rng: constRng(z),
          variance,
          callback: (info) => {
            if (info.i === 0) out = info.x[0][0];
          },
        });
        return out;
      };
      const b = step(0, 0, 'posterior');
      const a = step(1, 0, 'posterior') - b; // affine: x' = a x + b + c z
      const c = step(0, 1, 'posterior') - b;
      const abS = sched.alphaBar(s);
      const abP = sched.alphaBar(sp);
      expect(Math.abs(a * Math.sqrt(abS) * MU + b - Math.sqrt(abP) * MU)).toBeLessThan(1e-13);
      expect(Math.abs(a * a * (1 - abS) + c * c - (1 - abP))).toBeLessThan(1e-13);
      // 'beta': σ² = β' = 1 - ᾱ_s/ᾱ_s′ of the subsequence.
      const cb = step(0, 1, 'beta') - step(0, 0, 'beta');
      expect(Math.abs(cb * cb - (1 - abS / abP))).toBeLessThan(1e-13);
    }
  });

  it('rejects bad input naming the argument', () => {
    const x = [new Float64Array(2)];
    const rng = makeRng(0);
    expectInputError(() => sampleDdpm(affine, x, [T, 10], { rng }), 'timeGrid[1]');
    expectInputError(() => sampleDdpm(affine, x, [T, 10.5, 0], { rng }), 'timeGrid[1]');
    expectInputError(() => sampleDdpm(affine, x, [T + 1, 0], { rng }), 'timeGrid[0]');
    expectInputError(() => sampleDdpm(affine, x, [5, 6, 0], { rng }), 'timeGrid[1]');
    expectInputError(() => sampleDdpm(affine, x, [5], { rng }), 'timeGrid');
    expectInputError(() => sampleDdpm(affine, x, [5, 0]), 'options.rng');
    expectInputError(() => sampleDdpm(affine, x, [5, 0], { rng, variance: 'large' as 'beta' }), 'options.variance');
    const vp = makeModel(vpProcess(), 'eps', (xx) => xx);
    expectInputError(() => sampleDdpm(vp, x, [1, 0], { rng }), 'model.process');
    expectInputError(() => sampleDdim(vp, x, [1, 0]), 'model.process');
  });
});

describe('sampleDdim (E2)', () => {
  it('= ddimStep replayed along ddimTimesteps + 0, every spacing, η ∈ {0, 0.5, 1}', () => {
    for (const spacing of ['leading', 'trailing', 'linspace'] as const) {
      for (const eta of [0, 0.5, 1]) {
        const x0 = makeRng(2).normalBatch(2, 3);
        const grid = ancestralTimeGrid(T, 7, spacing);
        expect(grid.slice(0, -1)).toEqual(ddimTimesteps(T, 7, spacing));
        const ticks: [number, number][] = [];
        const got = sampleDdim(affine, x0, grid, { eta, rng: makeRng(9), callback: (i) => ticks.push([i.t, i.tNext]) });
        const rng = makeRng(9);
        let x: Rows = x0;
        for (let i = 0; i + 1 < grid.length; i++) x = ddimStep(sched, x, grid[i], grid[i + 1], affine.apply(x, grid[i]), { eta, rng });
        expect(maxDiff(got, x)).toBe(0);
        expect(ticks).toEqual(grid.slice(0, -1).map((t, i) => [t, grid[i + 1]]));
      }
    }
  });

  it('η = 0 equals DPM-Solver-1 on the same grid (claim 7)', () => {
    const x0 = makeRng(3).normalBatch(3, 2);
    const grid = [40, 33, 20, 11, 4, 1];
    const d = sampleDdim(affine, x0, grid);
    const p = sampleDpmSolver1(affine, x0, grid);
    expect(maxDiff(d, p)).toBeLessThan(1e-12);
  });

  it('η = 1 on the full grid equals DDPM with σ² = β̃ (same random stream)', () => {
    const x0 = makeRng(4).normalBatch(2, 2);
    const grid = ancestralTimeGrid(T, T, 'leading');
    const d = sampleDdim(affine, x0, grid, { eta: 1, rng: makeRng(11) });
    const p = sampleDdpm(affine, x0, grid, { variance: 'posterior', rng: makeRng(11) });
    expect(maxDiff(d, p)).toBeLessThan(1e-12);
  });

  it('η = 0 needs no rng; η > 0 does; bad grids and η are named', () => {
    const x = [new Float64Array(2)];
    expect(() => sampleDdim(affine, x, [10, 0])).not.toThrow();
    expectInputError(() => sampleDdim(affine, x, [10, 3, 0], { eta: 0.5 }), 'options.rng');
    expectInputError(() => sampleDdim(affine, x, [10, 3, 0], { eta: -1, rng: makeRng(0) }), 'options.eta');
    expectInputError(() => sampleDdim(affine, x, [10, 3, 0], { eta: 5, rng: makeRng(0) }), 'options.eta');
    expectInputError(() => sampleDdim(affine, x, [0, 0]), 'timeGrid[1]');
    expectInputError(() => sampleDdim(affine, x, [3, 5]), 'timeGrid[1]');
  });

  it('is registered as "ddpm" and "ddim"', () => {
    expect(getSampler('ddpm')).toBe(sampleDdpm);
    expect(getSampler('ddim')).toBe(sampleDdim);
  });
});
