/**
 * Self-check of the core claims: every deliberately broken implementation in
 * src/conformance/broken/core-bugs.ts (one classic bug each) must be rejected by the core claims, and
 * by at least one of the claims named as expected to catch it. Prints which claims caught each bug.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { failingClaims } from '../src/conformance/suite.js';
import { coreClaims, coreClaimOptions } from '../src/conformance/claims/core.js';
import { coreBugs } from '../src/conformance/broken/core-bugs.js';

describe('self-check: the core claims reject each broken implementation', () => {
  // A failing property needs no minimal counterexample here: skip fast-check's shrinking.
  beforeAll(() => {
    coreClaimOptions.shrink = false;
  });
  afterAll(() => {
    coreClaimOptions.shrink = true;
  });

  it('has at least 12 broken implementations with distinct ids, each naming existing claims', () => {
    expect(coreBugs.length).toBeGreaterThanOrEqual(12);
    expect(new Set(coreBugs.map((b) => b.id)).size).toBe(coreBugs.length);
    const ids = new Set(coreClaims.map((c) => c.id));
    for (const b of coreBugs) {
      expect(b.expectedCaughtBy.length).toBeGreaterThan(0);
      for (const c of b.expectedCaughtBy) expect(ids.has(c), `${b.id}: unknown claim ${c}`).toBe(true);
    }
  });

  for (const b of coreBugs) {
    it(`rejects ${b.id}: ${b.bug}`, async () => {
      const failed = await failingClaims(coreClaims, b.impl);
      const caught = failed.map((f) => f.id);
      console.log(`  ${b.id}: caught by ${caught.length ? caught.join(', ') : 'NOTHING'}`);
      for (const f of failed) console.log(`    ${f.id}: ${f.message.split('\n').find((l) => l.includes('[core.')) ?? f.message.split('\n')[0]}`);
      expect(caught.length, `${b.id} passed every core claim`).toBeGreaterThan(0);
      expect(
        b.expectedCaughtBy.some((c) => caught.includes(c)),
        `${b.id}: caught by [${caught.join(', ')}], none of the expected [${b.expectedCaughtBy.join(', ')}]`,
      ).toBe(true);
    });
  }
});
