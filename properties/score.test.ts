/**
 * The score-based family's claims (src/conformance/claims/score.ts) against the float64 reference.
 * Heavy claims (sampling distribution, convergence orders, weak convergence, Langevin, guidance
 * sampling, Tweedie Monte Carlo) take a few seconds each; see docs/samplers.md for timings.
 */
import { expect, it } from 'vitest';
import { registerClaims } from '../src/conformance/suite.js';
import { scoreClaims } from '../src/conformance/claims/score.js';
import { referenceScoreImpl } from '../src/conformance/impls/reference-score.js';

registerClaims('score family (claims 7-11)', scoreClaims, referenceScoreImpl);


it('every score claim of the catalog is registered (13 claims)', () => {
  expect(scoreClaims.length).toBe(13);
});
