/**
 * Self-check of the multistep / flow claims (issue 15): every broken implementation in
 * src/conformance/broken/multistep-bugs.ts must be rejected by at least one of the claims it names
 * (src/conformance/suite.ts registerSelfCheck: non-heavy claims plus the heavy ones named).
 */
import { registerSelfCheck } from '../src/conformance/suite.js';
import { multistepClaims } from '../src/conformance/claims/multistep.js';
import { multistepBugs } from '../src/conformance/broken/multistep-bugs.js';
import { scoreClaims } from '../src/conformance/claims/score.js';

/** The multistep claims plus score.sampling-distribution (which runs these samplers' KS cases). */
const claimsUnderTest = [...multistepClaims, ...scoreClaims.filter((c) => c.id === 'score.sampling-distribution')];

registerSelfCheck('self-check: the multistep claims reject each broken implementation', claimsUnderTest, multistepBugs, 6);
