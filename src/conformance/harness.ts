/**
 * The claim harness: a claim is data (id, title, catalog entry, the interface members it needs)
 * plus a `run` that checks it against one implementation and either returns its worst observed
 * error beside the bound, or throws `ClaimFailure`. Claims are independent of the test runner:
 * `src/conformance/suite.ts` turns them into vitest tests, and the conformance kit into a report.
 *
 * Randomized claims use fast-check with a seed (`FC_SEED`: DEFAULT_SEED unless DIFFUSION_ORACLE_SEED
 * or `setSeed` chooses another) so every run is reproducible and every failure names its seed.
 * Monte Carlo claims state their false-alarm rate and derive thresholds from it (`zTwoSided`).
 */
import type { DiffusionImpl, ImplMember, Arr } from './interface.js';
import { erfc } from '../reference/normal.js';

export interface ClaimResult {
  /** Largest error observed across all checked cases (same units as `bound`). */
  worstError: number;
  /** The bound that error was checked against (the largest one, where bounds vary per case). */
  bound: number;
  /** Free text: what was checked, how many cases, the false-alarm rate of a statistical test. */
  note?: string;
}

export interface Claim {
  /** Stable id, e.g. "core.variance-preservation". */
  id: string;
  /** What is claimed, in words; the test is named by it. */
  title: string;
  /** Catalog reference, e.g. "claim 1 (B3, A4, A5)". */
  catalog: string;
  /** Interface members the claim calls: it applies only to implementations that provide all. */
  requires: ImplMember[];
  /** Roughly how long it takes on the reference, for the suite's time budget. */
  heavy?: boolean;
  /**
   * The probability that a correct implementation fails this claim for a random seed: 0 for an
   * exact error bound (rounding analysis), the Bonferroni-combined α of its statistical tests
   * otherwise. Stated in the note and checked by the soak run (`npm run soak`).
   */
  falseAlarmRate?: number;
  run(impl: DiffusionImpl): ClaimResult | Promise<ClaimResult>;
}

export class ClaimFailure extends Error {
  constructor(claimId: string, message: string) {
    // Every failure names its seed (fast-check failures already carry seed and path).
    super(`[${claimId}] ${message}${/\bseed \d/.test(message) ? '' : seedNote()}`);
    this.name = 'ClaimFailure';
  }
}

/** The default seed: `npm test` without DIFFUSION_ORACLE_SEED is reproducible run to run. */
export const DEFAULT_SEED = 20261123;

/** The environment variable that chooses the seed of every fast-check property and Monte Carlo draw. */
export const SEED_ENV = 'DIFFUSION_ORACLE_SEED';

/** Parses a seed (an integer in [0, 2^31)); throws on anything else so a typo is not silently ignored. */
export function parseSeed(text: string, source = SEED_ENV): number {
  const t = text.trim();
  if (!/^[0-9]+$/.test(t) || Number(t) >= 2 ** 31) throw new RangeError(`${source}: the seed must be an integer in [0, 2^31), got "${text}"`);
  return Number(t);
}

function seedFromEnv(): number {
  const env = typeof process !== 'undefined' ? process.env?.[SEED_ENV] : undefined;
  return env === undefined || env === '' ? DEFAULT_SEED : parseSeed(env);
}

/**
 * The seed of every fast-check property and Monte Carlo draw in the suite: DIFFUSION_ORACLE_SEED
 * when set, else DEFAULT_SEED. A live binding: `setSeed` (the kit's `seed` option, the soak
 * runner) changes it for every claim, which read it when they run, not when they are imported.
 * Claims derive their streams from it by small offsets (FC_SEED + k); fast-check failures print
 * it with the replay path, and Monte Carlo failures print it via `seedNote()`.
 */
export let FC_SEED = seedFromEnv();

/** Sets the seed for every claim run from now on (returns the previous one, for restoring). */
export function setSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 31) throw new RangeError(`setSeed: the seed must be an integer in [0, 2^31), got ${seed}`);
  const prev = FC_SEED;
  FC_SEED = seed;
  return prev;
}

/** " (seed N)" for failure messages of Monte Carlo checks, so every failure can be replayed. */
export function seedNote(): string {
  return ` (seed ${FC_SEED}; rerun with ${SEED_ENV}=${FC_SEED})`;
}

export function applicable(claim: Claim, impl: DiffusionImpl): boolean {
  return claim.requires.every((m) => typeof (impl as unknown as Record<string, unknown>)[m] === 'function');
}

export function missingMembers(claim: Claim, impl: DiffusionImpl): ImplMember[] {
  return claim.requires.filter((m) => typeof (impl as unknown as Record<string, unknown>)[m] !== 'function');
}

/**
 * Unit roundoff of the implementation's arithmetic: 2^-53 for float64, 2^-24 for float32.
 * Tolerances in claims are written as (condition factor) × u, so a float32 tier gets bounds that
 * follow from its precision rather than from what it happened to achieve.
 */
export function unitRoundoff(impl: DiffusionImpl): number {
  return impl.precision === 'float64' ? 2 ** -53 : 2 ** -24;
}

/**
 * Absolute floor of every elementwise bound for an implementation: gradual underflow. In Higham's
 * model with underflow, fl(x op y) = (x op y)(1+δ) + η with |η| ≤ ½·(smallest subnormal): 2^-1075
 * in float64, 2^-150 in float32. A relative bound cannot cover a result that lands in the
 * subnormal range (its ulp is absolute), so every close() allows 64 such ulps (the longest chains
 * of operations in the claims are shorter). Issue 21: float32 ᾱ_75 = 0.25^75 = 2^-150 rounds to
 * 2^-149 (seed 77), and a qSample output of 7.4e-40 is off by 3.5e-46 (a quarter ulp) — both
 * failed relative bounds on the tfjs tier. 64·2^-149 = 9e-44 is far below any bug's effect.
 */
export function underflowFloor(impl: { precision: 'float64' | 'float32' }): number {
  return 64 * (impl.precision === 'float64' ? 2 ** -1074 : 2 ** -149);
}

/**
 * Tracks the worst error against a bound across many comparisons; `check` throws a ClaimFailure
 * naming the case on the first violation. `floor` is added to every close() bound (underflowFloor).
 */
export class ErrorTracker {
  worstError = 0;
  worstBound = 0;
  cases = 0;
  constructor(
    readonly claimId: string,
    readonly floor = 0,
  ) {}

  /** |actual - expected| ≤ absTol + relTol·|expected|, elementwise. */
  close(label: string, actual: Arr | number, expected: Arr | number, relTol: number, absTol = relTol): void {
    const a = typeof actual === 'number' ? [actual] : actual;
    const e = typeof expected === 'number' ? [expected] : expected;
    if (a.length !== e.length) throw new ClaimFailure(this.claimId, `${label}: length ${a.length}, expected ${e.length}`);
    this.cases++;
    for (let i = 0; i < e.length; i++) {
      const bound = absTol + relTol * Math.abs(e[i]) + this.floor;
      const err = Math.abs(a[i] - e[i]);
      if (!(err <= bound)) {
        throw new ClaimFailure(this.claimId, `${label}[${i}]: got ${a[i]}, expected ${e[i]} (error ${err.toExponential(3)} > bound ${bound.toExponential(3)})`);
      }
      // Report errors relative to their bound's scale so different magnitudes compare.
      if (err / bound > this.worstError / (this.worstBound || 1) || this.worstBound === 0) {
        this.worstError = err;
        this.worstBound = bound;
      }
    }
  }

  /** A scalar statistic must not exceed a threshold (for statistical tests). */
  atMost(label: string, value: number, threshold: number): void {
    this.cases++;
    if (!(value <= threshold)) throw new ClaimFailure(this.claimId, `${label}: ${value} exceeds ${threshold}`);
    if (this.worstBound === 0 || value / threshold > this.worstError / this.worstBound) {
      this.worstError = value;
      this.worstBound = threshold;
    }
  }

  fail(message: string): never {
    throw new ClaimFailure(this.claimId, message);
  }

  result(note?: string): ClaimResult {
    return { worstError: this.worstError, bound: this.worstBound, note: note ?? `${this.cases} comparisons` };
  }
}

/** Inverse of the standard normal CDF (Acklam's rational approximation refined by one Halley step). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0,1), got ${p}`);
  // Upper half by symmetry: 1-p is exact for p ≥ ½ (Sterbenz), so the upper tail keeps full accuracy.
  if (p > 0.5) return -normalQuantile(1 - p);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // One Halley refinement using erfc for full double accuracy.
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * Complementary error function: the reference's float64 erfc (src/reference/normal.ts, checked
 * against 40-digit mpmath values in its unit tests). Used here only to turn false-alarm rates into
 * thresholds, never to compute an expected value of a claim.
 */
export { erfc };

/** Two-sided z threshold for a false-alarm rate α: P(|Z| > z) = α. */
export function zTwoSided(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}

/**
 * Bonferroni: a claim that runs k independent statistical checks at an overall false-alarm rate
 * α uses α/k for each.
 */
export function bonferroni(alpha: number, k: number): number {
  return alpha / k;
}

/** The suite's per-claim false-alarm rate for Monte Carlo claims (with fixed seeds, a false alarm would recur deterministically; this is the rate over seeds). */
export const FALSE_ALARM_RATE = 1e-6;
