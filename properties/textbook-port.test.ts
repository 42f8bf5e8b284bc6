/**
 * The claims must not reject correct code written the ordinary way. A textbook float64 port of
 * the posterior (ᾱ by cumulative product, 1-ᾱ by subtraction, as diffusers and improved-diffusion
 * write it) loses digits where SNR is large, and the claims' bounds carry that condition number
 * (Kom(t) in claims/core.ts); this test keeps them from becoming stricter than the mathematics.
 * Its counterpart, that the claims still reject real bugs, is the self-check (selfcheck-core).
 */
import { it, expect } from 'vitest';
import { coreClaims } from '../src/conformance/claims/core.js';
import { referenceImpl } from '../src/conformance/impls/reference.js';
import type { DiffusionImpl } from '../src/conformance/interface.js';

const alphaBarCumprod = (b: ArrayLike<number>, t: number) => {
  let p = 1;
  for (let i = 0; i < t; i++) p *= 1 - b[i];
  return p;
};

const textbook: DiffusionImpl = {
  ...referenceImpl,
  name: 'textbook cumprod posterior',
  qPosterior(b, x0, xt, t) {
    const a = alphaBarCumprod(b, t);
    const ap = alphaBarCumprod(b, t - 1);
    const beta = b[t - 1];
    const v = ((1 - ap) / (1 - a)) * beta;
    const v2 = b.length >= 2 ? ((1 - alphaBarCumprod(b, 1)) / (1 - alphaBarCumprod(b, 2))) * b[1] : beta;
    const mean = Array.from(x0, (x, i) => ((Math.sqrt(ap) * beta) / (1 - a)) * x + ((Math.sqrt(1 - beta) * (1 - ap)) / (1 - a)) * xt[i]);
    return { mean, variance: v, logVariance: Math.log(t === 1 ? v2 : v) };
  },
};

it('core.posterior-moments accepts a textbook cumprod port of qPosterior (bounds carry the 1-ᾱ condition number)', async () => {
  const claim = coreClaims.find((c) => c.id === 'core.posterior-moments')!;
  const r = await claim.run(textbook);
  expect(r.worstError).toBeLessThanOrEqual(r.bound);
});
