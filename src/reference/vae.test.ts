import { describe, it, expect } from 'vitest';
import { vaeKlStandardNormal, gaussianDecoderLogLikelihood, vaeElbo, linearGaussianVae } from './vae.js';
import { Rng } from './rng.js';

describe('VAE objective (F6, 004 §1)', () => {
  it('KL(N(μ, σ²) ‖ N(0, 1)) closed form; 0 iff standard normal', () => {
    expect(vaeKlStandardNormal([0, 0], [0, 0])).toBe(0);
    expect(vaeKlStandardNormal([1], [Math.log(4)])).toBeCloseTo(0.5 * (4 + 1 - 1 - Math.log(4)), 15);
    // Isotropic form of 004 eq. 14 (corrected): ½(dσ² + μᵀμ - d - d log σ²).
    expect(vaeKlStandardNormal([1, 2, 0], [Math.log(0.5), Math.log(0.5), Math.log(0.5)])).toBeCloseTo(0.5 * (1.5 + 5 - 3 - 3 * Math.log(0.5)), 14);
  });
  it('ELBO = log p(x) when q is the exact posterior of the linear-Gaussian model (every sample, zero variance)', () => {
    const [c, d, s, x] = [1.3, 0.4, 0.5, 1.1];
    const lg = linearGaussianVae(c, d, s, x);
    // With q = exact posterior, log p(x|z) + log p(z) - log q(z|x) = log p(x) for every z.
    const rng = new Rng(1);
    const elbo = vaeElbo([x], () => ({ mean: [lg.posteriorMean], logVar: [lg.posteriorLogVar] }), (z) => [c * z[0] + d], s, rng, 1);
    // One sample: E_q[log p(x|z)] is estimated, not exact; average many to compare (z-test-free: the
    // exact ELBO from the closed-form expectation is below).
    const v = Math.exp(lg.posteriorLogVar);
    const exactRec = -0.5 * Math.log(2 * Math.PI * s * s) - ((x - c * lg.posteriorMean - d) ** 2 + c * c * v) / (2 * s * s);
    const exactElbo = exactRec - vaeKlStandardNormal([lg.posteriorMean], [lg.posteriorLogVar]);
    expect(exactElbo).toBeCloseTo(lg.logEvidence, 12);
    const mc = vaeElbo([x], () => ({ mean: [lg.posteriorMean], logVar: [lg.posteriorLogVar] }), (z) => [c * z[0] + d], s, rng, 20000);
    expect(Math.abs(mc - exactElbo)).toBeLessThan(0.05);
    expect(Number.isFinite(elbo)).toBe(true);
    // A worse q gives a lower ELBO (KL gap ≥ 0).
    const worse = vaeElbo([x], () => ({ mean: [0], logVar: [0] }), (z) => [c * z[0] + d], s, new Rng(2), 20000);
    expect(worse).toBeLessThan(lg.logEvidence);
  });
  it('decoder log-likelihood (004 eq. 11) and bad inputs', () => {
    expect(gaussianDecoderLogLikelihood([1, 2], [1, 2], 1)).toBeCloseTo(-Math.log(2 * Math.PI), 15);
    expect(() => gaussianDecoderLogLikelihood([1], [1], 0)).toThrow(/^sigmaDec/);
    expect(() => gaussianDecoderLogLikelihood([1], [1, 2], 1)).toThrow(/xHat/);
    expect(() => vaeKlStandardNormal([1], [NaN])).toThrow(/logVar\[0\]/);
    expect(() => vaeElbo([1], 3 as never, (z) => z, 1, new Rng(1))).toThrow(/^encoder/);
    expect(() => vaeElbo([1], () => ({ mean: [0], logVar: [0] }), 3 as never, 1, new Rng(1))).toThrow(/^decoder/);
    expect(() => vaeElbo([1], () => ({ mean: [0], logVar: [0] }), (z) => z, 1, new Rng(1), 0)).toThrow(/^samples/);
    expect(() => vaeElbo([1], () => ({ mean: [0, 1], logVar: [0] }), (z) => z, 1, new Rng(1))).toThrow(/logVar/);
    expect(() => linearGaussianVae(1, 0, 0, 1)).toThrow(/^s:/);
  });
});
