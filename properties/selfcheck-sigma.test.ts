/**
 * Self-check of the σ-space claims: every broken implementation in properties/broken/sigma-bugs.ts
 * must be rejected by at least one of the claims named as expected to catch it. Each bug runs
 * against every non-heavy claim plus the heavy claims it names; the output lists what caught it.
 */
import { describe, it, expect } from 'vitest';
import { failingClaims } from '../src/conformance/suite.js';
import { sigmaClaims } from '../src/conformance/claims/sigma.js';
import { sigmaBugs } from '../src/conformance/broken/sigma-bugs.js';

describe('self-check: the σ-space claims reject each broken implementation', () => {
  it('has at least 10 broken implementations with distinct ids, each naming existing claims', () => {
    expect(sigmaBugs.length).toBeGreaterThanOrEqual(10);
    expect(new Set(sigmaBugs.map((b) => b.id)).size).toBe(sigmaBugs.length);
    const ids = new Set(sigmaClaims.map((c) => c.id));
    for (const b of sigmaBugs) {
      expect(b.expectedCaughtBy.length).toBeGreaterThan(0);
      for (const c of b.expectedCaughtBy) expect(ids.has(c), `${b.id}: unknown claim ${c}`).toBe(true);
    }
  });

  for (const b of sigmaBugs) {
    it(`rejects ${b.id}: ${b.bug}`, async () => {
      const claims = sigmaClaims.filter((c) => !c.heavy || b.expectedCaughtBy.includes(c.id));
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
