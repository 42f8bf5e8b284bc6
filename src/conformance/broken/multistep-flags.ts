/**
 * Bug models of the multistep vector flags (issue 15): the score-family base (handwritten core +
 * the reference's score members) with one sampler replaced by the matching self-check bug of
 * ./multistep-bugs.ts, so each bug is written once. The buggy samplers validate their inputs like
 * the reference first (one bug, not two).
 */
import type { DiffusionImpl, SamplerFn } from '../interface.js';
import { handwrittenAdapter } from '../impls/handwritten.js';
import { scoreMembers } from '../impls/reference-score.js';
import { multistepBugs } from './multistep-bugs.js';
import * as R from '../../reference/index.js';
import { named } from './core-flags.js';

const HS: DiffusionImpl = { ...handwrittenAdapter, ...scoreMembers, name: 'handwritten + reference score members', precision: 'float64' };

function bugSampler(id: string, name: string): Partial<DiffusionImpl> {
  const b = multistepBugs.find((x) => x.id === id);
  if (!b) throw new Error(`no multistep self-check bug ${id}`);
  const fn = b.impl.scoreSampler!(name);
  const validated: SamplerFn = (m, x, g, o = {}) => {
    // the reference's input checks on a private copy of the model (no calls recorded on the fixture)
    R.parseSamplerOptions(name, { ...o, callback: undefined });
    return fn(m, x, g, o);
  };
  return { scoreSampler: (n: string) => (n === name ? validated : R.getSampler(n)) };
}

/** Multistep flag → an implementation with that bug. */
export const MULTISTEP_BUG_MODELS: Record<string, () => DiffusionImpl> = {
  MULTISTEP_WARMUP: () => named('MULTISTEP_WARMUP', HS, bugSampler('multistep-first-step-full-order', 'dpm-solver++3m')),
  LOWER_ORDER_FINAL: () => named('LOWER_ORDER_FINAL', HS, bugSampler('missing-lower-order-final', 'dpm-solver++3m')),
  PNDM_RAW_V: () => named('PNDM_RAW_V', HS, bugSampler('pndm-raw-v', 'pndm')),
  FLOW_VELOCITY_SIGN: () => named('FLOW_VELOCITY_SIGN', HS, bugSampler('flow-velocity-sign', 'flow-euler')),
};
