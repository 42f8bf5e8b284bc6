/**
 * The σ-space claims (properties/claims/sigma.ts: EDM/Karras machinery and the k-diffusion sampler
 * family, issue 14) against the float64 reference. The sampling-distribution claim is heavy
 * (13 samplers × 2000 draws); the others take well under a second each.
 */
import { expect, it } from 'vitest';
import { registerClaims } from '../src/conformance/suite.js';
import { sigmaClaims } from '../src/conformance/claims/sigma.js';
import { referenceSigmaImpl } from '../src/conformance/impls/reference-sigma.js';

registerClaims('σ-space (issue 14)', sigmaClaims, referenceSigmaImpl);

it('every σ-space claim is registered (9 claims)', () => {
  expect(sigmaClaims.length).toBe(9);
});
