/**
 * The multistep / flow claims (src/conformance/claims/multistep.ts, issue 15) against the float64
 * reference. The heavy claim (convergence orders) takes a few seconds; the distribution tests of these
 * samplers are score.sampling-distribution's (read from the descriptors).
 */
import { expect, it } from 'vitest';
import { registerClaims } from '../src/conformance/suite.js';
import { multistepClaims } from '../src/conformance/claims/multistep.js';
import { referenceScoreImpl } from '../src/conformance/impls/reference-score.js';

registerClaims('multistep solvers and rectified flow (issue 15)', multistepClaims, referenceScoreImpl);

it('every multistep claim is registered (5 claims)', () => {
  expect(multistepClaims.length).toBe(5);
});
