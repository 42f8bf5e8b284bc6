/**
 * Shared inputs of the tier cross-check (properties/tier-crosscheck*.test.ts): the named T = 1000
 * schedules, fast-check arbitraries of schedules, timesteps (biased to t = 1, 2, T-1, T) and vectors,
 * the fast-check options with the suite's seed, and the rule that both tiers reject the same input.
 */
import fc from 'fast-check';
import * as R from '../reference/index.js';
import { DiffusionInputError } from '../reference/errors.js';
import { FC_SEED } from './harness.js';

export const T = 1000;
export const SCHEDULES: Record<string, Float64Array> = {
  linear: R.betaSchedule('linear', T),
  cosine: R.betaSchedule('cosine', T),
  'zero-terminal-SNR': R.rescaleZeroTerminalSnr(R.betaSchedule('linear', T)),
};
export const arbSchedule: fc.Arbitrary<{ name: string; betas: Float64Array }> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Object.keys(SCHEDULES)).map((name) => ({ name, betas: SCHEDULES[name] })) },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.double({ min: 1e-5, max: 0.3, noNaN: true }), { minLength: 2, maxLength: 12 })
      .map((b) => ({ name: `random T=${b.length}`, betas: Float64Array.from(b) })),
  },
);
export const arbT = (TT: number, lo = 1) => fc.oneof(fc.constantFrom(lo, Math.min(lo + 1, TT), Math.max(TT - 1, lo), TT), fc.integer({ min: lo, max: TT }));
export const arbVal = fc.oneof({ weight: 4, arbitrary: fc.double({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: fc.constantFrom(0, 1, -1, 1e-6) });
export const arbVecs = (k: number) => fc.integer({ min: 1, max: 5 }).chain((d) => fc.tuple(...Array.from({ length: k }, () => fc.array(arbVal, { minLength: d, maxLength: d }))));

export const fcOpts = (numRuns: number) => ({ seed: FC_SEED, numRuns });

/** Both tiers must reject the same input, with a DiffusionInputError. */
export function bothThrow(a: () => unknown, b: () => unknown): boolean {
  let ea: unknown = null;
  let eb: unknown = null;
  try {
    a();
  } catch (e) {
    ea = e;
  }
  try {
    b();
  } catch (e) {
    eb = e;
  }
  if (ea === null && eb === null) return false;
  if (!(ea instanceof DiffusionInputError)) throw new Error(`reference threw ${String(ea)} but tfjs threw ${String(eb)}: expected a DiffusionInputError`);
  if (!(eb instanceof DiffusionInputError)) throw new Error(`tfjs threw ${String(eb)} but reference threw ${String(ea)}: expected a DiffusionInputError`);
  return true;
}
