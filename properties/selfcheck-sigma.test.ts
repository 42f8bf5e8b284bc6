/**
 * Self-check of the σ-space claims: every broken implementation in src/conformance/broken/sigma-bugs.ts
 * must be rejected by at least one of the claims named as expected to catch it
 * (src/conformance/suite.ts registerSelfCheck: non-heavy claims plus the heavy ones named).
 */
import { registerSelfCheck } from '../src/conformance/suite.js';
import { sigmaClaims } from '../src/conformance/claims/sigma.js';
import { sigmaBugs } from '../src/conformance/broken/sigma-bugs.js';

registerSelfCheck('self-check: the σ-space claims reject each broken implementation', sigmaClaims, sigmaBugs, 10);
