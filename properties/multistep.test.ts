/**
 * The multistep / flow claims (properties/claims/multistep.ts, issue 15) against the float64
 * reference. The two heavy claims (sampling distribution, convergence orders) take a few seconds.
 */
import { expect, it } from 'vitest';
import { registerClaims } from './suite.js';
import { multistepClaims } from './claims/multistep.js';
import { referenceScoreImpl } from './impls/reference-score.js';

registerClaims('multistep solvers and rectified flow (issue 15)', multistepClaims, referenceScoreImpl);

it('every multistep claim is registered (6 claims)', () => {
  expect(multistepClaims.length).toBe(6);
});
