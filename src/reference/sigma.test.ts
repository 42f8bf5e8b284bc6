import { describe, it, expect } from 'vitest';
import {
  sigmaOfTime,
  timeOfSigma,
  sigmasOfTimes,
  toSigmaSpace,
  fromSigmaSpace,
  discreteSigmas,
  sigmaToTimeInterp,
  timeToSigmaInterp,
  sigmaToTimeQuantized,
  sigmasToTimesteps,
  checkSigmaGrid,
  karrasSigmas,
  exponentialSigmas,
  polyexponentialSigmas,
  vpSigmas,
  discreteScheduleSigmas,
  ancestralStep,
  edmPreconditioning,
  modelDenoiser,
  denoiserFromNetwork,
  PRECONDITIONINGS,
} from './sigma.js';
import { BrownianTree, brownianNoiseSampler } from './brownian.js';
import { vpProcess, veProcess, discreteVpProcess, indiProcess, makeModel, type Rows } from './model.js';
import { makeMixture, mixtureModel, mixturePosteriorMean, mixtureOptimalEps, mixtureOptimalV } from './mixture.js';
import { betaSchedule, makeSchedule } from './schedules.js';
import { DiffusionInputError } from './errors.js';
import { Rng } from './rng.js';

const betas = betaSchedule('linear', 1000);
const table = discreteSigmas(betas);
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

describe('σ of a process and of a discrete schedule (EDM eq. 4, Table 1)', () => {
  it('discrete σ_t = √((1-ᾱ_t)/ᾱ_t), increasing; the discrete-vp process gives the same σ at integer t', () => {
    const s = makeSchedule(betas);
    const p = discreteVpProcess(betas);
    for (const t of [1, 2, 10, 500, 999, 1000]) {
      const want = Math.sqrt((1 - s.alphaBar(t)) / s.alphaBar(t));
      expect(Math.abs(table[t - 1] - want) / want).toBeLessThan(1e-12);
      expect(Math.abs(sigmaOfTime(p, t) - want) / want).toBeLessThan(1e-12);
    }
    for (let i = 1; i < table.length; i++) expect(table[i]).toBeGreaterThan(table[i - 1]);
    throwsNaming(() => discreteSigmas([0.5, 1]), 'betas');
  });
  it('timeOfSigma inverts sigmaOfTime for VP, VE, discrete VP and InDI; σ = 0 ↦ t = 0', () => {
    const cases: [ReturnType<typeof vpProcess>, number[]][] = [
      [vpProcess(), [0.01, 0.3, 0.9, 1]],
      [veProcess(), [0, 0.4, 1]],
      [discreteVpProcess(betas), [1, 17.5, 640, 1000]],
      [indiProcess(), [0.1, 0.5, 0.9]],
    ];
    for (const [p, ts] of cases) {
      for (const t of ts) expect(Math.abs(timeOfSigma(p, sigmaOfTime(p, t)) - t)).toBeLessThan(1e-9 * Math.max(1, t));
    }
    expect(timeOfSigma(vpProcess(), 0)).toBe(0);
    expect(sigmaOfTime(indiProcess(), 1)).toBe(Infinity);
    throwsNaming(() => timeOfSigma(vpProcess(), -1), 'sigma');
    throwsNaming(() => timeOfSigma(vpProcess(), NaN), 'sigma');
    const st = sigmasOfTimes(veProcess({ sigmaMin: 0.01, sigmaMax: 50 }), [1, 0]);
    expect(st[0]).toBeCloseTo(50, 12);
    expect(st[1]).toBe(0.01);
  });
  it('x̃ = x/α and back', () => {
    const p = vpProcess();
    const x = [Float64Array.of(1, -2)];
    const y = toSigmaSpace(p, x, 0.5);
    expect(y[0][0]).toBeCloseTo(1 / p.alpha(0.5), 14);
    expect(maxErr(fromSigmaSpace(p, y, 0.5), x)).toBeLessThan(1e-15);
    throwsNaming(() => toSigmaSpace(indiProcess(), x, 1), 't');
  });
});

describe('σ ↔ t for a discrete schedule (k-diffusion DiscreteSchedule)', () => {
  it('log-σ interpolation is exact at the table and monotone; t → σ inverts it', () => {
    for (const t of [1, 2, 500, 1000]) expect(sigmaToTimeInterp(table, table[t - 1])).toBeCloseTo(t, 10);
    const mid = Math.sqrt(table[9] * table[10]);
    expect(sigmaToTimeInterp(table, mid)).toBeCloseTo(10.5, 12);
    for (const t of [1, 3.25, 999.9, 1000]) expect(sigmaToTimeInterp(table, timeToSigmaInterp(table, t))).toBeCloseTo(t, 9);
    throwsNaming(() => sigmaToTimeInterp(table, table[0] / 2), 'sigma');
    throwsNaming(() => timeToSigmaInterp(table, 0.5), 't');
    throwsNaming(() => sigmaToTimeInterp([1, 1], 1), 'sigmaTable[1]');
    throwsNaming(() => sigmaToTimeInterp([1], 1), 'sigmaTable');
    throwsNaming(() => sigmaToTimeInterp([0, 1], 1), 'sigmaTable[0]');
  });
  it('quantized: the nearest timestep in log σ; a dense Karras grid maps two σ to one timestep and is refused', () => {
    expect(sigmaToTimeQuantized(table, table[41] * 1.0001)).toBe(42);
    expect(sigmaToTimeQuantized(table, Math.sqrt(table[41] * table[42]) * 1.001)).toBe(43);
    const dense = karrasSigmas(200, table[0], table[999]);
    expect(() => sigmasToTimesteps(table, dense, 'interp')).not.toThrow();
    throwsNaming(() => sigmasToTimesteps(table, dense, 'quantized'), 'sigmas[187]');
    const ts = sigmasToTimesteps(table, karrasSigmas(10, table[0], table[999]), 'quantized');
    expect(ts.length).toBe(10);
    expect(ts[0]).toBe(1000);
    expect(ts[9]).toBe(1);
  });
});

describe('σ grids and schedules: strictly decreasing, one final 0, exact endpoints', () => {
  it('checkSigmaGrid refuses duplicates, a doubled final 0, increasing, negative and non-finite entries', () => {
    expect(Array.from(checkSigmaGrid([3, 2, 0]))).toEqual([3, 2, 0]);
    expect(Array.from(checkSigmaGrid([3, 2]))).toEqual([3, 2]);
    throwsNaming(() => checkSigmaGrid([3, 2, 0, 0]), 'sigmas[2]');
    throwsNaming(() => checkSigmaGrid([3, 2, 2, 0]), 'sigmas[2]');
    throwsNaming(() => checkSigmaGrid([3, 4]), 'sigmas[1]');
    throwsNaming(() => checkSigmaGrid([3, -1]), 'sigmas[1]');
    throwsNaming(() => checkSigmaGrid([3, NaN]), 'sigmas[1]');
    throwsNaming(() => checkSigmaGrid([3]), 'sigmas');
    throwsNaming(() => checkSigmaGrid(3), 'sigmas');
  });
  it('Karras (EDM eq. 5): endpoints exact, the ρ-power ramp in between, one final 0', () => {
    const g = karrasSigmas(10, 0.002, 80, 7);
    expect(g.length).toBe(11);
    expect(g[0]).toBe(80);
    expect(g[9]).toBe(0.002);
    expect(g[10]).toBe(0);
    const a = 80 ** (1 / 7);
    const b = 0.002 ** (1 / 7);
    expect(g[4]).toBeCloseTo((a + (4 / 9) * (b - a)) ** 7, 12);
    checkSigmaGrid(g);
    expect(Array.from(karrasSigmas(1, 0.1, 10))).toEqual([10, 0]);
    throwsNaming(() => karrasSigmas(0, 0.1, 10), 'n');
    throwsNaming(() => karrasSigmas(3, 10, 1), 'sigmaMax');
    throwsNaming(() => karrasSigmas(3, 0, 1), 'sigmaMin');
    throwsNaming(() => karrasSigmas(3, 0.1, 1, 0), 'rho');
  });
  it('exponential is log-uniform = polyexponential ρ = 1; polyexponential ρ = 2 bends towards σ_min', () => {
    const e = exponentialSigmas(5, 0.1, 10);
    expect(e[2]).toBeCloseTo(1, 13);
    expect(Array.from(e)).toEqual(Array.from(polyexponentialSigmas(5, 0.1, 10, 1)));
    const p = polyexponentialSigmas(5, 0.1, 10, 2);
    expect(p[0]).toBe(10);
    expect(p[4]).toBe(0.1);
    expect(p[2]).toBeLessThan(e[2]);
    expect(Array.from(polyexponentialSigmas(1, 0.1, 10))).toEqual([10, 0]);
    throwsNaming(() => polyexponentialSigmas(3, 0.1, 1, -1), 'rho');
  });
  it('VP-continuous σ values are σ/α of the VP SDE (β_min 0.1, β_max 20) at t uniform in [1, ε_s]', () => {
    const g = vpSigmas(6);
    const p = vpProcess({ betaMin: 0.1, betaMax: 20 });
    for (let i = 0; i < 6; i++) expect(g[i] / sigmaOfTime(p, 1 + (i / 5) * (1e-3 - 1))).toBeCloseTo(1, 12);
    expect(g[6]).toBe(0);
    expect(vpSigmas(1)[0]).toBeCloseTo(sigmaOfTime(p, 1), 12);
    throwsNaming(() => vpSigmas(3, { betaD: -1 }), 'options.betaD');
    throwsNaming(() => vpSigmas(3, { betaMin: 0 }), 'options.betaMin');
    throwsNaming(() => vpSigmas(3, { epsS: 1 }), 'options.epsS');
  });
  it("a discrete schedule's own σ's in diffusers' spacings", () => {
    const lin = discreteScheduleSigmas(table, 10);
    expect(lin[0]).toBe(table[999]);
    expect(lin[9]).toBe(table[0]);
    expect(lin[10]).toBe(0);
    const linS = discreteScheduleSigmas(table, 8, { interpolation: 'sigma' });
    expect(linS[0]).toBe(table[999]);
    expect(Math.abs(linS[4] - discreteScheduleSigmas(table, 8)[4])).toBeGreaterThan(0);
    const lead = discreteScheduleSigmas(table, 10, { spacing: 'leading', stepsOffset: 1 });
    expect(lead[0]).toBe(table[901]);
    expect(lead[9]).toBe(table[1]);
    const trail = discreteScheduleSigmas(table, 10, { spacing: 'trailing' });
    expect(trail[0]).toBe(table[999]);
    expect(trail[9]).toBe(table[99]);
    expect(discreteScheduleSigmas(table, 1)[0]).toBe(table[999]);
    throwsNaming(() => discreteScheduleSigmas(table, 1001), 'n');
    throwsNaming(() => discreteScheduleSigmas(table, 10, { stepsOffset: -1 }), 'options.stepsOffset');
    throwsNaming(() => discreteScheduleSigmas(table, 10, { spacing: 'leading', stepsOffset: 200 }), 'options.stepsOffset');
  });
});

describe('ancestral split (k-diffusion get_ancestral_step)', () => {
  it('σ_down² + σ_up² = σ_to², 0 ≤ σ_up ≤ σ_to; η = 0 and σ_to = 0 are deterministic; η > 1 is clamped', () => {
    for (const [f, t, eta] of [[10, 3, 1], [1, 0.999, 1], [80, 1e-3, 0.5], [2, 1, 3]] as const) {
      const { sigmaDown, sigmaUp } = ancestralStep(f, t, eta);
      expect(Math.abs(sigmaDown ** 2 + sigmaUp ** 2 - t * t)).toBeLessThan(1e-14 * t * t + 1e-300);
      expect(sigmaUp).toBeGreaterThanOrEqual(0);
      expect(sigmaUp).toBeLessThanOrEqual(t);
    }
    expect(ancestralStep(2, 1, 3)).toEqual({ sigmaDown: 0, sigmaUp: 1 });
    expect(ancestralStep(2, 1, 0)).toEqual({ sigmaDown: 1, sigmaUp: 0 });
    expect(ancestralStep(2, 0)).toEqual({ sigmaDown: 0, sigmaUp: 0 });
    throwsNaming(() => ancestralStep(0, 0), 'sigmaFrom');
    throwsNaming(() => ancestralStep(1, 2), 'sigmaTo');
    throwsNaming(() => ancestralStep(2, 1, -1), 'eta');
  });
});

describe('EDM preconditioning and the denoiser D(x̃; σ)', () => {
  const mix = makeMixture({ weights: [0.3, 0.7], means: [[1, -1], [-2, 0.5]], stds: [0.4, 0.7] });
  const x = new Rng(3).normalBatch(5, 2).map((r) => r.map((v) => 2 * v));
  it('the exact ε-, x_0- and v-networks give the same D through their scalings (EDM eq. 7)', () => {
    for (const s of [0.05, 1, 30]) {
      const a = 1 / Math.sqrt(1 + s * s);
      const sv = s * a;
      const xt = x.map((r) => r.map((v) => v * a));
      const want = mixturePosteriorMean(mix, 1, s, x) as Float64Array[];
      const fromEps = denoiserFromNetwork(x, s, mixtureOptimalEps(mix, a, sv, xt) as Float64Array[], 'eps');
      const fromX0 = denoiserFromNetwork(x, s, mixturePosteriorMean(mix, a, sv, xt) as Float64Array[], 'x0');
      const fromV = denoiserFromNetwork(x, s, mixtureOptimalV(mix, a, sv, xt) as Float64Array[], 'v');
      for (const d of [fromEps, fromX0, fromV]) expect(maxErr(d, want)).toBeLessThan(1e-11 * (1 + s));
    }
  });
  it('EDM scalings: unit-variance input, c_skip = σ_d²/(σ²+σ_d²), c_noise = ¼ ln σ; VE: c_noise = ln(σ/2)', () => {
    const c = edmPreconditioning(2, 'edm', { sigmaData: 0.5 });
    expect(c.cIn ** 2 * (4 + 0.25)).toBeCloseTo(1, 14);
    expect(c.cSkip).toBeCloseTo(0.25 / 4.25, 15);
    expect(c.cOut).toBeCloseTo((2 * 0.5) / Math.sqrt(4.25), 15);
    expect(c.cNoise).toBeCloseTo(0.25 * Math.log(2), 15);
    expect(edmPreconditioning(3, 've')).toEqual({ cSkip: 1, cOut: 3, cIn: 1, cNoise: Math.log(1.5) });
    for (const k of PRECONDITIONINGS) expect(Number.isFinite(edmPreconditioning(1, k).cIn)).toBe(true);
    throwsNaming(() => edmPreconditioning(0, 'edm'), 'sigma');
    throwsNaming(() => edmPreconditioning(1, 'edm', { sigmaData: 0 }), 'options.sigmaData');
    throwsNaming(() => edmPreconditioning(1, 'foo' as 'edm'), 'kind');
    throwsNaming(() => denoiserFromNetwork(x, 1, [x[0]], 'eps'), 'f');
  });
  it('modelDenoiser: every output kind on VP, VE and discrete VP gives the exact E[x_0 | x_0 + σε = x̃] (process-free)', () => {
    const procs = [vpProcess(), veProcess({ sigmaMin: 0.01, sigmaMax: 80 }), discreteVpProcess(betas)];
    for (const p of procs) {
      for (const out of ['eps', 'x0', 'v', 'score'] as const) {
        const D = modelDenoiser(mixtureModel(mix, p, out));
        for (const s of [0.1, 0.9, 5]) {
          const want = mixturePosteriorMean(mix, 1, s, x) as Float64Array[];
          expect(maxErr(D(x, s), want)).toBeLessThan(1e-9 * (1 + s));
        }
      }
    }
  });
  it("discrete mappings (k-diffusion's wrappers): exact at the table's σ's; quantized is off between them", () => {
    const p = discreteVpProcess(betas);
    const m = mixtureModel(mix, p, 'eps');
    const Di = modelDenoiser(m, { mapping: 'interp' });
    const Dq = modelDenoiser(m, { mapping: 'quantized' });
    const s = table[99];
    const want = mixturePosteriorMean(mix, 1, s, x) as Float64Array[];
    expect(maxErr(Di(x, s), want)).toBeLessThan(1e-9);
    expect(maxErr(Dq(x, s), want)).toBeLessThan(1e-9);
    const between = Math.sqrt(table[2] * table[3]);
    const w2 = mixturePosteriorMean(mix, 1, between, x) as Float64Array[];
    expect(maxErr(Dq(x, between), w2)).toBeGreaterThan(1e-6);
    throwsNaming(() => modelDenoiser(mixtureModel(mix, vpProcess(), 'eps'), { mapping: 'interp' }), 'options.mapping');
  });
  it('validates σ and the model output shape', () => {
    const D = modelDenoiser(mixtureModel(mix, vpProcess(), 'eps'));
    throwsNaming(() => D(x, 0), 'sigma');
    const bad = makeModel(vpProcess(), 'eps', (xx) => xx.slice(1));
    throwsNaming(() => modelDenoiser(bad)(x, 1), 'model output');
    const badRow = makeModel(vpProcess(), 'eps', (xx) => xx.map(() => Float64Array.of(1)));
    throwsNaming(() => modelDenoiser(badRow)(x, 1), 'model output[0]');
  });
});

describe('Brownian tree (Lévy midpoint construction, Li et al. 2020)', () => {
  const tree = () => new BrownianTree({ seed: 7, t0: 0.01, t1: 80, shape: [400, 2] });
  it('W(t0) = 0; values are a function of (seed, t); increments add up across any partition', () => {
    const a = tree();
    const b = tree();
    expect(Array.from(a.valueFlat(0.01)).every((v) => v === 0)).toBe(true);
    expect(Array.from(a.valueFlat(3.7))).toEqual(Array.from(b.valueFlat(3.7)));
    const whole = a.increment(1, 20);
    const parts = [a.increment(1, 2.5), b.increment(2.5, 11), a.increment(11, 20)];
    const sum = whole.map((r, k) => r.map((_, i) => parts[0][k][i] + parts[1][k][i] + parts[2][k][i]));
    expect(maxErr(sum, whole)).toBeLessThan(1e-12);
    const c = new BrownianTree({ seed: 8, t0: 0.01, t1: 80, shape: [400, 2] });
    expect(c.valueFlat(3.7)[0]).not.toBe(a.valueFlat(3.7)[0]);
    expect(a.valueFlat(80).length).toBe(800);
  });
  it('increments have variance |t - s| (χ² with 800 dof, two-sided 1e-6 band) and disjoint ones are uncorrelated', () => {
    const a = tree();
    // 800 standardized increments: Σ z² ~ χ²_800; P(|Σz² - 800| > 6·√1600) < 1e-6 (normal approx. is conservative here).
    for (const [s, t] of [[0.02, 0.05], [1, 1.001], [5, 70]]) {
      const z = brownianNoiseSampler(a)(t, s).flatMap((r) => Array.from(r));
      const ss = z.reduce((u, v) => u + v * v, 0);
      expect(Math.abs(ss - 800)).toBeLessThan(6 * 40);
    }
    const z1 = brownianNoiseSampler(a)(1, 2).flatMap((r) => Array.from(r));
    const z2 = brownianNoiseSampler(a)(2, 3).flatMap((r) => Array.from(r));
    const cor = z1.reduce((u, v, i) => u + v * z2[i], 0) / 800;
    expect(Math.abs(cor)).toBeLessThan(6 / Math.sqrt(800));
  });
  it('validates its options and queries', () => {
    throwsNaming(() => new BrownianTree({ seed: -1, t0: 0, t1: 1, shape: [1, 1] }), 'options.seed');
    throwsNaming(() => new BrownianTree({ seed: 1, t0: 1, t1: 1, shape: [1, 1] }), 'options.t1');
    throwsNaming(() => new BrownianTree({ seed: 1, t0: 0, t1: 1, shape: [1] as unknown as [number, number] }), 'options.shape');
    throwsNaming(() => new BrownianTree({ seed: 1, t0: 0, t1: 1, shape: [1, 1], tol: 2 }), 'options.tol');
    throwsNaming(() => tree().valueFlat(100), 't');
    throwsNaming(() => brownianNoiseSampler(tree())(1, 1), 'sigmaNext');
    throwsNaming(() => brownianNoiseSampler({} as BrownianTree), 'tree');
  });
});

describe('the denoiser refuses σ above the process range (churn past σ_max)', () => {
  it('names sigma and suggests sTmax', () => {
    const p = discreteVpProcess(betaSchedule('linear', 50));
    const top = sigmaOfTime(p, 50);
    const D = modelDenoiser(mixtureModel(makeMixture({ weights: [1], means: [0], stds: [1] }), p, 'eps'));
    expect(D([Float64Array.of(1)], top)[0].length).toBe(1);
    throwsNaming(() => D([Float64Array.of(1)], top * 1.01), 'sigma');
    expect(() => D([Float64Array.of(1)], top * 1.01)).toThrow(/sTmax/);
  });
});
