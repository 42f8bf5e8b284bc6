/**
 * Turns claims into vitest tests, named by the claim. A claim that does not apply to an
 * implementation (missing members) is registered as skipped with the reason in its name, so the
 * output says so; it is never silently passed.
 */
import { describe, it, expect } from 'vitest';
import type { DiffusionImpl } from './interface.js';
import { FC_SEED, applicable, missingMembers, type Claim, type ClaimResult } from './harness.js';

export function registerClaims(label: string, claims: Claim[], impl: DiffusionImpl): void {
  describe(`${label} [${impl.name}, ${impl.precision}]`, () => {
    it('the claim list is well formed: unique ids, a title, a catalog entry and at least one required member each', () => {
      expect(claims.length).toBeGreaterThan(0);
      expect(new Set(claims.map((c) => c.id)).size).toBe(claims.length);
      for (const c of claims) {
        expect(c.title.length, c.id).toBeGreaterThan(0);
        expect(c.catalog.length, c.id).toBeGreaterThan(0);
        expect(c.requires.length, c.id).toBeGreaterThan(0);
      }
    });
    for (const claim of claims) {
      const name = `${claim.id}: ${claim.title} (${claim.catalog})`;
      if (!applicable(claim, impl)) {
        it.skip(`${name} — not applicable: ${impl.name} lacks ${missingMembers(claim, impl).join(', ')}`, () => {});
        continue;
      }
      it(name, async () => {
        const r: ClaimResult = await claim.run(impl);
        const far = claim.falseAlarmRate === undefined ? '' : claim.falseAlarmRate === 0 ? ' [exact bound: false-alarm rate 0]' : ` [false-alarm rate ${claim.falseAlarmRate} per seed]`;
        console.log(`  ${claim.id} (seed ${FC_SEED}): worst error ${r.worstError.toExponential(3)} vs bound ${r.bound.toExponential(3)}${far}${r.note ? ` — ${r.note}` : ''}`);
        expect(r.worstError).toBeLessThanOrEqual(r.bound);
      });
    }
  });
}

/**
 * Runs every applicable claim on `impl` and returns the ids of those that failed, with messages.
 * Used by the self-check (each broken implementation must be rejected) and the conformance report.
 */
export async function failingClaims(claims: Claim[], impl: DiffusionImpl): Promise<{ id: string; message: string }[]> {
  const failed: { id: string; message: string }[] = [];
  for (const claim of claims) {
    if (!applicable(claim, impl)) continue;
    try {
      const r = await claim.run(impl);
      if (!(r.worstError <= r.bound)) failed.push({ id: claim.id, message: `worst error ${r.worstError} > bound ${r.bound}` });
    } catch (e) {
      failed.push({ id: claim.id, message: (e as Error).message });
    }
  }
  return failed;
}

/** A deliberately broken implementation and the claims expected to reject it (the self-checks). */
export interface SelfCheckBug {
  id: string;
  bug: string;
  impl: DiffusionImpl;
  expectedCaughtBy: string[];
}

/**
 * The self-check of a claim family as vitest tests: the bug list is well formed (at least `min`
 * bugs, distinct ids, each naming claims that exist), and every bug is rejected by one of the claims
 * it names. To keep the time modest each bug runs against the non-heavy claims plus the heavy ones
 * it names; the output lists what caught it.
 */
export function registerSelfCheck(title: string, claims: Claim[], bugs: SelfCheckBug[], min: number): void {
  describe(title, () => {
    it(`has at least ${min} broken implementations with distinct ids, each naming existing claims`, () => {
      expect(bugs.length).toBeGreaterThanOrEqual(min);
      expect(new Set(bugs.map((b) => b.id)).size).toBe(bugs.length);
      const ids = new Set(claims.map((c) => c.id));
      for (const b of bugs) {
        expect(b.expectedCaughtBy.length, b.id).toBeGreaterThan(0);
        for (const c of b.expectedCaughtBy) expect(ids.has(c), `${b.id}: unknown claim ${c}`).toBe(true);
      }
    });
    for (const b of bugs) {
      it(`rejects ${b.id}: ${b.bug}`, async () => {
        const failed = await failingClaims(claims.filter((c) => !c.heavy || b.expectedCaughtBy.includes(c.id)), b.impl);
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
}
