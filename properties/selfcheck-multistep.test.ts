/**
 * Self-check of the multistep / flow claims (issue 15): every broken implementation in
 * src/conformance/broken/multistep-bugs.ts must be rejected by at least one of the claims it names.
 * Each bug runs against the non-heavy claims plus the heavy ones it names.
 */
import { describe, it, expect } from 'vitest';
import { failingClaims } from '../src/conformance/suite.js';
import { multistepClaims } from '../src/conformance/claims/multistep.js';
import { multistepBugs } from '../src/conformance/broken/multistep-bugs.js';
import { scoreClaims } from '../src/conformance/claims/score.js';

/** The multistep claims plus score.sampling-distribution (which runs these samplers' KS cases). */
const claimsUnderTest = [...multistepClaims, ...scoreClaims.filter((c) => c.id === 'score.sampling-distribution')];

describe('self-check: the multistep claims reject each broken implementation', () => {
  it('has distinct ids, each naming existing claims', () => {
    expect(multistepBugs.length).toBeGreaterThanOrEqual(6);
    expect(new Set(multistepBugs.map((b) => b.id)).size).toBe(multistepBugs.length);
    const ids = new Set(claimsUnderTest.map((c) => c.id));
    for (const b of multistepBugs) for (const c of b.expectedCaughtBy) expect(ids.has(c), `${b.id}: unknown claim ${c}`).toBe(true);
  });

  for (const b of multistepBugs) {
    it(`rejects ${b.id}: ${b.bug}`, async () => {
      const claims = claimsUnderTest.filter((c) => !c.heavy || b.expectedCaughtBy.includes(c.id));
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
