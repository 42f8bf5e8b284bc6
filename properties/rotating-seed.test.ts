/**
 * CI guard of issue 21: the claims run a second time at a *rotating* seed, so a threshold tuned to
 * the fixed default seed cannot return unnoticed. The seed is DIFFUSION_ORACLE_ROTATING_SEED when
 * set, else derived from the commit under test (the first 7 hex digits of `git rev-parse HEAD`),
 * else from the UTC date; it is printed, and a failure here is replayed with
 * DIFFUSION_ORACLE_SEED=<seed> on the failing claim's test file. To keep `npm test` short the core
 * properties run a quarter of their fast-check runs and the heavy score claims are left to the
 * soak (`npm run soak`), which runs every claim over many seeds.
 */
import { execFileSync } from 'node:child_process';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { FC_SEED, setSeed, type Claim } from '../src/conformance/harness.js';
import { coreClaims, coreClaimOptions } from '../src/conformance/claims/core.js';
import { scoreClaims } from '../src/conformance/claims/score.js';
import { referenceImpl } from '../src/conformance/impls/reference.js';
import { referenceScoreImpl } from '../src/conformance/impls/reference-score.js';

function rotatingSeed(): { seed: number; source: string } {
  const env = process.env.DIFFUSION_ORACLE_ROTATING_SEED;
  if (env) return { seed: Number(env) % 2 ** 31, source: 'DIFFUSION_ORACLE_ROTATING_SEED' };
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (/^[0-9a-f]{7,}$/.test(head)) return { seed: parseInt(head.slice(0, 7), 16), source: `commit ${head.slice(0, 12)}` };
  } catch {
    // not a git checkout (e.g. an installed package): fall through
  }
  const day = Math.floor(Date.now() / 86_400_000);
  return { seed: (day * 2654435761) % 2 ** 31, source: `UTC day ${day}` };
}

const { seed, source } = rotatingSeed();
const previous = FC_SEED;

describe(`claims at the rotating seed ${seed} (from ${source}; replay with DIFFUSION_ORACLE_SEED=${seed})`, () => {
  beforeAll(() => {
    console.log(`rotating seed: ${seed} (from ${source})`);
    setSeed(seed);
    coreClaimOptions.runsScale = 0.25;
  });
  afterAll(() => {
    setSeed(previous);
    coreClaimOptions.runsScale = 1;
  });
  const run = (c: Claim, impl: typeof referenceImpl) =>
    it(`${c.id} at seed ${seed}`, async () => {
      expect(FC_SEED).toBe(seed);
      const r = await c.run(impl);
      console.log(`  ${c.id} (seed ${seed}): worst error/bound ${(r.worstError / r.bound).toFixed(3)}`);
      expect(r.worstError).toBeLessThanOrEqual(r.bound);
    });
  for (const c of coreClaims) run(c, referenceImpl);
  for (const c of scoreClaims.filter((c) => !c.heavy)) run(c, referenceScoreImpl);
});
