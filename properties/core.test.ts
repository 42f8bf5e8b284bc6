/**
 * The core claims (src/conformance/claims/core.ts) run against the float64 reference.
 */
import { expect, it } from 'vitest';
import { registerClaims } from '../src/conformance/suite.js';
import { coreClaims } from '../src/conformance/claims/core.js';
import { referenceImpl } from '../src/conformance/impls/reference.js';

registerClaims('core claims', coreClaims, referenceImpl);


it('every core claim of the catalog is registered (12 claims)', () => {
  expect(coreClaims.length).toBe(12);
});
