/**
 * Self-check of the score-family claims: every broken implementation in
 * src/conformance/broken/score-bugs.ts must be rejected by at least one of the claims named as expected
 * to catch it (src/conformance/suite.ts registerSelfCheck: non-heavy claims plus the heavy ones named).
 */
import { registerSelfCheck } from '../src/conformance/suite.js';
import { scoreClaims } from '../src/conformance/claims/score.js';
import { scoreBugs } from '../src/conformance/broken/score-bugs.js';

registerSelfCheck('self-check: the score claims reject each broken sampler / oracle', scoreClaims, scoreBugs, 8);
