/* eslint-disable no-loss-of-precision -- the mpmath values below are quoted at 20+ digits on purpose (the
   literal rounds to the nearest double, which is the value the checks want); cutting them to 17 digits
   would lose the record of where they came from. */
/**
 * Unit tests of normal.ts (tail-accurate Φ) and elbo.ts (F1-F4).
 *
 * Reference values marked "mpmath" were computed with mpmath 1.3 at 40-60 significant digits
 * (mp.erfc, mp.log(mp.ncdf(z)), differences of ncdf) — independent of this code. Other expected
 * values are computed in the test from the formulas (T = 2 schedule β = [0.1, 0.2]).
 */
import { describe, expect, it } from 'vitest';
import {
  approxStandardNormalCdf,
  betaSchedule,
  discretizedGaussianLogLikelihood,
  epsMseWeight,
  erf,
  erfc,
  logErfc,
  makeRng,
  makeSchedule,
  minSnrWeight,
  normalCdf,
  normalKl,
  normalLogCdf,
  normalLogProbInterval,
  priorBpd,
  qSample,
  rescaleZeroTerminalSnr,
  simpleLoss,
  snrWeight,
  vbTerms,
  vlb,
  vlbWeight,
  x0MseWeight,
  type Rng,
} from './index.js';
import { expectInputError } from '../testing/expect-input-error.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** ∫_a^b φ(z) dz by composite Simpson (n even): an independent route to a bin mass. */
function simpsonNormal(a: number, b: number, n = 2000): number {
  const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
  const h = (b - a) / n;
  let s = phi(a) + phi(b);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * phi(a + i * h);
  return (s * h) / 3;
}

describe('normal.ts: Φ accurate in the tails (vs mpmath)', () => {
  it('erf and erfc', () => {
    const cases: [number, number, number][] = [
      // x, erfc(x), erf(x)  (mpmath, 40 digits)
      [1e-10, 0.99999999988716208329, 1.128379167095512615e-10],
      [0.3, 0.67137324054087258381, 0.32862675945912741619],
      [1.2, 0.089686021770364631634, 0.91031397822963536837],
      [1.5, 0.033894853524689272933, 0.96610514647531072707],
      [1.7, 0.016209541409225439159, 0.98379045859077456084],
      [2.5, 0.00040695201744495893956, 0.99959304798255504106],
      [4, 1.5417257900280018852e-8, 0.99999998458274209972],
      [6, 2.1519736712498913117e-17, 0.99999999999999997848],
      [10, 2.088487583762544757e-45, 1.0],
      [26, 5.6631924088561428465e-296, 1.0],
    ];
    for (const [x, c, e] of cases) {
      expect(rel(erfc(x), c), `erfc(${x})`).toBeLessThan(1e-14);
      expect(rel(erf(x), e), `erf(${x})`).toBeLessThan(1e-14);
      expect(rel(erf(-x), -e)).toBeLessThan(1e-14);
      expect(rel(erfc(-x), 2 - c)).toBeLessThan(1e-15);
      // log c itself loses digits when c ≈ 1: use log1p(-erf) there
      expect(rel(logErfc(x), x < 1 ? Math.log1p(-e) : Math.log(c)), `logErfc(${x})`).toBeLessThan(1e-14);
    }
    const logCases: [number, number][] = [
      [30, -903.9741171106438780796],
      [100, -10005.17758512266433257],
      [1e3, -1000007.480120721906212],
      [1e6, -1000000000014.387875501],
    ];
    for (const [x, l] of logCases) expect(rel(logErfc(x), l), `logErfc(${x})`).toBeLessThan(1e-15);
    expect(rel(logErfc(-3), Math.log(2 - 2.2090496998585441373e-5))).toBeLessThan(1e-15);
    expectInputError(() => erfc(NaN), 'x', 'NaN');
  });
  it('log Φ and interval masses', () => {
    const cases: [number, number][] = [
      [-40, -804.6084420137537881666],
      [-10, -53.23128515051247057835],
      [-3, -6.607726221510349543276],
      [0.5, -0.3689464152886563930656],
      [5, -2.866516129637635933846e-7],
      [12, -1.776482112077678997696e-33], // mpmath at 80 digits (40 are not enough for log(1 - 1.8e-33))
    ];
    // z/√2 is rounded (relative u = 2^-53) and erfc's condition number at x is 2x² = z², so the
    // bound is (z² + 10)·u (10 ulp for the evaluation itself).
    for (const [z, l] of cases) expect(rel(normalLogCdf(z), l), `log Φ(${z})`).toBeLessThan((z * z + 10) * 2 ** -53);
    expect(normalCdf(0)).toBe(0.5);
    const iv: [number, number, number][] = [
      [8, 8.01, -37.56385840089456474205],
      [-9, -8.5, -39.20937339174401101071],
      [-0.01, 0.02, -4.425546429024686540383],
      [30, 30.001, -457.8416564778847762038],
    ];
    for (const [a, b, l] of iv) expect(rel(normalLogProbInterval(a, b), l), `[${a}, ${b}]`).toBeLessThan(1e-12);
    expectInputError(() => normalLogProbInterval(1, 1), 'b', '1');
  });
});

describe('F2 normalKl', () => {
  it('hand value, zero for equal arguments, broadcasting, small log-variance gaps', () => {
    // KL(N(1, 1) ‖ N(0, 2)) = ½(1/2 - 1 + log 2 + 1/2) = ½ log 2
    expect(normalKl(1, 0, 0, Math.log(2))).toBeCloseTo(0.5 * Math.log(2), 15);
    expect(normalKl(0.3, -1, 0.3, -1)).toBe(0);
    const v = normalKl([1, 2], 0, [0, 2], [0, 0]) as Float64Array;
    expect(Array.from(v)).toEqual([0.5, 0]);
    const d = 1e-6;
    // ½(e^d - 1 - d) = d²/4 + d³/12 + …
    expect(rel(normalKl(0, d, 0, 0) as number, d * d / 4 + (d * d * d) / 12)).toBeLessThan(1e-12);
    expect(normalKl(0, -d, 0, 0) as number).toBeGreaterThan(0);
    const b = normalKl([[1], [2]], [[0], [0]], 0, 0) as Float64Array[];
    expect(b[1][0]).toBe(2);
    expectInputError(() => normalKl([1, 2], 0, [1], 0), 'mean2', 'length 1');
    expectInputError(() => normalKl(NaN, 0, 0, 0), 'mean1', 'NaN');
    expectInputError(() => normalKl(0, 800, 0, -800), 'logVar2', '-800');
  });
});

describe('F3 discretized Gaussian decoder', () => {
  const grid = Array.from({ length: 256 }, (_, k) => k / 127.5 - 1);
  it('the 256 bin probabilities sum to 1 (exact and tanh)', () => {
    for (const [m, ls] of [[0, 0], [0.3, Math.log(0.05)], [-0.99, Math.log(0.002)], [2, Math.log(0.5)]] as const) {
      const lp = discretizedGaussianLogLikelihood(grid, m, ls) as Float64Array;
      const sum = lp.reduce((a, b) => a + Math.exp(b), 0);
      expect(Math.abs(sum - 1), `mean ${m}`).toBeLessThan(1e-13);
      const lt = discretizedGaussianLogLikelihood(grid, m, ls, { approx: 'tanh' }) as Float64Array;
      // the tanh CDF is exact at ±∞ and telescopes, so clamping at 1e-12 only adds ≤ 256e-12
      expect(Math.abs(lt.reduce((a, b) => a + Math.exp(b), 0) - 1)).toBeLessThan(256e-12 + 1e-13);
    }
  });
  it('interior and edge bins vs independent values; tanh parity', () => {
    const x = 1 / 255; // k = 128: bin [0, 2/255]
    const m = 0.3;
    const sd = 0.05;
    const lp = discretizedGaussianLogLikelihood([x], [m], [Math.log(sd)]) as Float64Array;
    expect(rel(lp[0], -20.26916859107624825863)).toBeLessThan(1e-13); // mpmath
    const lp2 = discretizedGaussianLogLikelihood([x], 0.01, Math.log(0.4)) as Float64Array;
    expect(rel(Math.exp(lp2[0]), simpsonNormal((x - 0.01 - 1 / 255) / 0.4, (x - 0.01 + 1 / 255) / 0.4))).toBeLessThan(1e-12);
    // edge bin k = 0 far in the tail: log Φ((-1 + 1/255)/0.01)
    const e0 = discretizedGaussianLogLikelihood([-1], 0, Math.log(0.01)) as Float64Array;
    expect(rel(e0[0], -4966.381487432610273915)).toBeLessThan(1e-14); // mpmath
    const e1 = discretizedGaussianLogLikelihood([1], 0, Math.log(0.01)) as Float64Array;
    expect(e1[0]).toBe(e0[0]); // symmetric
    // tanh approximation, computed here from its definition
    const zp = (x - m + 1 / 255) / sd;
    const zm = (x - m - 1 / 255) / sd;
    const t = discretizedGaussianLogLikelihood([x, -1, 1], [0.2, 0.9, -0.9], Math.log(sd), { approx: 'tanh' }) as Float64Array;
    const f = approxStandardNormalCdf;
    expect(t[0]).toBeCloseTo(Math.log(f((x - 0.2 + 1 / 255) / sd) - f((x - 0.2 - 1 / 255) / sd)), 12);
    expect(t[1]).toBe(Math.log(1e-12)); // clamp
    expect(t[2]).toBe(Math.log(1e-12));
    expect(approxStandardNormalCdf(0)).toBe(0.5);
    expect(Math.abs(f(zp) - normalCdf(zp))).toBeLessThan(1e-3);
    expect(zm).toBeLessThan(zp);
  });
  it('bad input', () => {
    expectInputError(() => discretizedGaussianLogLikelihood([0], 0, 0), 'x', 'grid');
    expectInputError(() => discretizedGaussianLogLikelihood([1.5], 0, 0), 'x', '1.5');
    expectInputError(() => discretizedGaussianLogLikelihood([1], 0, 0, { approx: 'logistic' as 'exact' }), 'options.approx', '"logistic"');
    expectInputError(() => discretizedGaussianLogLikelihood([1], 0, -800), 'logScale', '-800');
    expectInputError(() => discretizedGaussianLogLikelihood(1 as unknown as number[], 0, 0), 'x', '1');
    expectInputError(() => discretizedGaussianLogLikelihood([1, -1], [0], 0), 'mean', 'length 1');
  });
});

describe('F1 vbTerms, priorBpd, vlb', () => {
  const S2 = makeSchedule([0.1, 0.2]);
  const model = (xt: Float64Array) => xt.map((v) => 0.5 * v); // ε̂ = x_t/2
  const x0 = [-1 + 2 / 255 * 100, 1];
  const noise = [0.3, -0.8];
  it('t = 2: KL of equal-variance Gaussians, (μ̃ - μ_θ)²/(2β̃_2), mean over dims, in bits', () => {
    const bt2 = (0.1 / 0.28) * 0.2;
    let sum = 0;
    for (let i = 0; i < 2; i++) {
      const xt = Math.sqrt(0.72) * x0[i] + Math.sqrt(0.28) * noise[i];
      const mq = ((Math.sqrt(0.9) * 0.2) / 0.28) * x0[i] + ((Math.sqrt(0.8) * 0.1) / 0.28) * xt;
      const mp = (xt - (0.2 / Math.sqrt(0.28)) * 0.5 * xt) / Math.sqrt(0.8);
      sum += (mq - mp) ** 2 / (2 * bt2);
    }
    expect(rel(vbTerms(S2, model, x0, 2, noise) as number, sum / (2 * Math.LN2))).toBeLessThan(1e-12);
    // a batch gives one value per row
    const b = vbTerms(S2, model, [x0, x0], 2, [noise, noise]) as number[];
    expect(b[1]).toBe(b[0]);
  });
  it('t = 1: decoder NLL with mean x̂_0 and log σ = ½ log β̃_2', () => {
    const sd = Math.sqrt((0.1 / 0.28) * 0.2);
    const x1 = x0.map((v, i) => Math.sqrt(0.9) * v + Math.sqrt(0.1) * noise[i]);
    const mean = x1.map((v) => (v - Math.sqrt(0.1) * 0.5 * v) / Math.sqrt(0.9));
    // bin of x0[0] (interior) by Simpson; x0[1] = 1 is the open top bin: Φ((mean - (1 - 1/255))/sd)
    const p0 = simpsonNormal((x0[0] - mean[0] - 1 / 255) / sd, (x0[0] - mean[0] + 1 / 255) / sd);
    const p1 = normalCdf((mean[1] - (1 - 1 / 255)) / sd);
    const expected = -(Math.log(p0) + Math.log(p1)) / (2 * Math.LN2);
    expect(rel(vbTerms(S2, model, x0, 1, noise) as number, expected)).toBeLessThan(1e-10);
  });
  it('prior term and the full bound; reproducible from the seed', () => {
    const ab = 0.72;
    const kl = x0.reduce((a, v) => a + 0.5 * (-Math.log(1 - ab) + (1 - ab) + ab * v * v - 1), 0);
    expect(rel(priorBpd(S2, x0) as number, kl / (2 * Math.LN2))).toBeLessThan(1e-13);
    const r = vlb(S2, model, x0, makeRng(4)) as { total: number; prior: number; terms: Float64Array };
    const rng = makeRng(4);
    const t1 = vbTerms(S2, model, x0, 1, rng.normals(2)) as number;
    const t2 = vbTerms(S2, model, x0, 2, rng.normals(2)) as number;
    expect(Array.from(r.terms)).toEqual([t1, t2]);
    expect(r.prior).toBe(priorBpd(S2, x0));
    expect(r.total).toBeCloseTo(r.prior + t1 + t2, 14);
    const rb = vlb(S2, model, [x0, x0], makeRng(4)) as { total: number }[];
    expect(rb[0].total).toBe(r.total);
  });
  it('options: x0-prediction, learned variance functions', () => {
    const s = makeSchedule(betaSchedule('linear', 10));
    const x = [0, 1 / 255 * 51, -1];
    const eps = [0.1, -0.2, 0.3];
    // a perfect x0-predictor with the true posterior variance has L_{t-1} = 0
    const perfect = () => x;
    expect(vbTerms(s, perfect, x, 5, eps, { prediction: 'x0' })).toBe(0);
    // learnedRange v = 0 is the posterior variance; logVariance given directly equals it too
    const a = vbTerms(s, model, x, 5, eps) as number;
    expect(vbTerms(s, model, x, 5, eps, { variance: () => ({ learnedRange: [0, 0, 0] }) })).toBeCloseTo(a, 14);
    const lv = s.posteriorLogVarianceClipped(5);
    expect(vbTerms(s, model, x, 5, eps, { variance: () => ({ logVariance: [lv, lv, lv] }) })).toBeCloseTo(a, 14);
    expect(vbTerms(s, model, x, 5, eps, { variance: 'beta' })).not.toBeCloseTo(a, 6);
  });
  it('bad input', () => {
    expectInputError(() => vbTerms(S2, model, x0, 3, noise), 't', '3');
    expectInputError(() => vbTerms(S2, () => [1], x0, 2, noise), 'model(x_t, t=2)', 'length 1');
    expectInputError(() => vbTerms(S2, () => [1, NaN], x0, 2, noise), 'model(x_t, t=2)[1]', 'NaN');
    expectInputError(() => vbTerms(S2, 3 as unknown as typeof model, x0, 2, noise), 'model', '3');
    expectInputError(() => vbTerms(S2, model, x0, 2, [1]), 'noise', 'length 1');
    expectInputError(() => vbTerms(S2, model, x0, 2, noise, { prediction: 'mu' as 'eps' }), 'options.prediction', '"mu"');
    expectInputError(() => vbTerms(S2, model, x0, 2, noise, { variance: () => ({}) as { logVariance: number[] } }), 'options.variance');
    expectInputError(() => vbTerms(S2, model, [0.5, 1], 1, noise), 'x', '0.5');
    expectInputError(() => vlb(S2, model, x0, {} as Rng), 'rng');
    expectInputError(() => vlb(S2, model, x0, makeRng(1), { prediction: 'mu' as 'eps' }), 'options.prediction', '"mu"');
  });
});

describe('F2/F4 weights and L_simple', () => {
  const s = makeSchedule(betaSchedule('linear', 100));
  it('ε weight = β²/(2σ²α(1-ᾱ)) and reproduces the KL of equal-variance Gaussians', () => {
    const t = 40;
    const b = s.beta(t);
    const sig2 = s.posteriorVariance(t);
    expect(rel(epsMseWeight(s, t), (b * b) / (2 * sig2 * (1 - b) * s.oneMinusAlphaBar(t)))).toBeLessThan(1e-14);
    // KL(q ‖ p_θ) with μ's from ε and ε̂ (eq. 57/58) = weight · (ε - ε̂)²
    const xt = 0.4;
    const e = 0.9;
    const eh = -0.3;
    const mu = (ee: number) => (xt - (b / Math.sqrt(s.oneMinusAlphaBar(t))) * ee) / Math.sqrt(1 - b);
    const kl = normalKl(mu(e), Math.log(sig2), mu(eh), Math.log(sig2)) as number;
    expect(rel(kl, epsMseWeight(s, t) * (e - eh) ** 2)).toBeLessThan(1e-10);
    expect(rel(epsMseWeight(s, t, 'beta'), (b * b) / (2 * b * (1 - b) * s.oneMinusAlphaBar(t)))).toBeLessThan(1e-14);
    expect(rel(epsMseWeight(s, t, 0.5), (b * b) / (2 * 0.5 * (1 - b) * s.oneMinusAlphaBar(t)))).toBeLessThan(1e-14);
  });
  it('x_0 weight (004 eq. 55) = ε weight · SNR; v weight = x_0 weight/(SNR+1)', () => {
    for (const t of [2, 50, 100]) {
      const b = s.beta(t);
      const om = s.oneMinusAlphaBar(t);
      const w0 = (b * b * s.alphaBar(t - 1)) / (2 * s.posteriorVariance(t) * om * om);
      expect(rel(x0MseWeight(s, t), w0)).toBeLessThan(1e-13);
      expect(rel(epsMseWeight(s, t) * s.snr(t), w0)).toBeLessThan(1e-12);
      expect(rel(vlbWeight(s, t, 'x0'), w0)).toBeLessThan(1e-13);
      expect(rel(vlbWeight(s, t, 'eps'), epsMseWeight(s, t))).toBe(0);
      expect(rel(vlbWeight(s, t, 'v'), w0 / (s.snr(t) + 1))).toBeLessThan(1e-13);
    }
  });
  it('SNR and min-SNR-γ weights (Hang et al. 2023)', () => {
    const t = 10; // SNR(10) ≫ 5
    const snr = s.snr(t);
    expect(snr).toBeGreaterThan(5);
    expect(minSnrWeight(s, t, 5, 'x0')).toBe(5);
    expect(rel(minSnrWeight(s, t, 5, 'eps'), 5 / snr)).toBeLessThan(1e-15);
    expect(rel(minSnrWeight(s, t, 5, 'v'), 5 / (snr + 1))).toBeLessThan(1e-15);
    const tl = 100; // SNR(100) < 5: weight = SNR on x0, 1 on ε
    expect(s.snr(tl)).toBeLessThan(5);
    expect(minSnrWeight(s, tl, 5)).toBe(1);
    expect(snrWeight(s, tl, 'eps')).toBe(1);
    expect(snrWeight(s, tl)).toBe(s.snr(tl));
    expect(rel(snrWeight(s, tl, 'v'), s.alphaBar(tl))).toBeLessThan(1e-13);
    expectInputError(() => minSnrWeight(s, 5, 0), 'gamma', '0');
    expectInputError(() => minSnrWeight(s, 5, 5, 'score' as 'eps'), 'objective', '"score"');
    expectInputError(() => snrWeight(s, 5, 'score' as 'eps'), 'objective', '"score"');
    expectInputError(() => vlbWeight(s, 5, 'score' as 'eps'), 'objective', '"score"');
    expectInputError(() => epsMseWeight(s, 5, -1), 'variance', '-1');
    const z = makeSchedule(rescaleZeroTerminalSnr(betaSchedule('linear', 10)));
    expectInputError(() => epsMseWeight(z, 10), 't', '10');
    expectInputError(() => minSnrWeight(z, 10, 5, 'eps'), 't', '10');
    expect(minSnrWeight(z, 10, 5, 'v')).toBe(0);
  });
  it('L_simple: mean squared error over dimensions', () => {
    expect(simpleLoss([1, 2], [0, 0])).toBe(2.5);
    expect(simpleLoss([[1, 2], [0, 0]], [[0, 0], [0, 1]])).toEqual([2.5, 0.5]);
    expectInputError(() => simpleLoss([1, 2], [1]), 'prediction', 'length 1');
    const eps = makeRng(1).normals(3);
    const xt = qSample(s, [0.1, 0.2, 0.3], 7, eps);
    expect(xt.length).toBe(3);
  });
});
