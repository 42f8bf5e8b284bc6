/**
 * Self-check of the score-family claims: every broken implementation in
 * src/conformance/broken/score-bugs.ts must be rejected by at least one of the claims named as expected
 * to catch it. To keep the time modest, each bug is run against every non-heavy claim plus the
 * heavy claims it names (the heavy ones take seconds each); the output lists what caught it.
 */
import { describe, it, expect } from 'vitest';
import { failingClaims } from '../src/conformance/suite.js';
import { scoreClaims } from '../src/conformance/claims/score.js';
import { scoreBugs } from '../src/conformance/broken/score-bugs.js';

describe('self-check: the score claims reject each broken sampler / oracle', () => {
  it('has at least 8 broken implementations with distinct ids, each naming existing claims', () => {
    expect(scoreBugs.length).toBeGreaterThanOrEqual(8);
    expect(new Set(scoreBugs.map((b) => b.id)).size).toBe(scoreBugs.length);
    const ids = new Set(scoreClaims.map((c) => c.id));
    for (const b of scoreBugs) {
      expect(b.expectedCaughtBy.length).toBeGreaterThan(0);
      for (const c of b.expectedCaughtBy) expect(ids.has(c), `${b.id}: unknown claim ${c}`).toBe(true);
    }
  });

  for (const b of scoreBugs) {
    it(`rejects ${b.id}: ${b.bug}`, async () => {
      const claims = scoreClaims.filter((c) => !c.heavy || b.expectedCaughtBy.includes(c.id));
      const failed = await failingClaims(claims, b.impl);
      const caught = failed.map((f) => f.id);
      console.log(`  ${b.id}: caught by ${caught.length ? caught.join(', ') : 'NOTHING'}`);
      for (const f of failed) console.log(`    ${f.message.split('\n')[0].slice(0, 300)}`);
      expect(
        b.expectedCaughtBy.some((c) => caught.includes(c)),
        `${b.id}: caught by [${caught.join(', ')}], none of the expected [${b.expectedCaughtBy.join(', ')}]`,
      ).toBe(true);
    });
  }
});
