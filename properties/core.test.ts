/**
 * The core claims (properties/claims/core.ts) run against the float64 reference.
 */
import { registerClaims } from './suite.js';
import { coreClaims } from './claims/core.js';
import { referenceImpl } from './impls/reference.js';

registerClaims('core claims', coreClaims, referenceImpl);
