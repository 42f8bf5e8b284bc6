/**
 * The float64 reference's σ-space members (src/reference/sigma.ts; defined with the score members in
 * ./reference-score.ts, so every score-family implementation built on them has them too), for the
 * σ-space claims (src/conformance/claims/sigma.ts). The σ-space samplers are in the registry
 * (`scoreSampler`, k-diffusion names).
 */
import type { DiffusionImpl } from '../interface.js';
import { referenceScoreImpl, sigmaMembers, sigmaScheduleOf } from './reference-score.js';

export { sigmaMembers, sigmaScheduleOf };

export const referenceSigmaImpl: DiffusionImpl = { ...referenceScoreImpl, name: 'reference (float64) + score family + σ-space' };
