/**
 * Bug models: for every flag of the vector notes, an implementation with exactly that bug
 * (core flags: ./core-flags.ts; score flags and INPUT_VALIDATION: ./score-flags.ts).
 * vectors/vectors.test.ts runs each through the conformance kit and checks that every vector
 * carrying the flag fails. They double as the "deliberately broken adapters" of the kit's docs.
 */
import type { DiffusionImpl } from '../interface.js';
import { CORE_BUG_MODELS } from './core-flags.js';
import { SCORE_BUG_MODELS } from './score-flags.js';
import { SIGMA_BUG_MODELS } from './sigma-flags.js';

import { MULTISTEP_BUG_MODELS } from './multistep-flags.js';

/** Flag → an implementation with that bug. */
export const BUG_MODELS: Record<string, () => DiffusionImpl> = { ...CORE_BUG_MODELS, ...SCORE_BUG_MODELS, ...SIGMA_BUG_MODELS, ...MULTISTEP_BUG_MODELS };
