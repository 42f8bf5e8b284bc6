/**
 * Bookkeeping of error-vs-bound checks: each tracker throws on the first element whose error
 * exceeds its bound and remembers the worst error/bound ratio, so the logs print the worst error
 * beside its bound. `BoundTracker` serves the kernel cross-checks (bounds of ./kernels.ts),
 * `Tracker` the tier cross-check (bounds of ./running-error.ts) with its summary table.
 */

/** Worst error against per-element bounds over many comparisons; throws on a violation. */
export class BoundTracker {
  /** Largest err/bound seen, and the err and bound it came from. */
  worstRatio = 0;
  worstErr = 0;
  worstBound = 0;
  /** Largest absolute error seen anywhere. */
  maxErr = 0;
  comparisons = 0;
  constructor(readonly label: string) {}

  check(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, bound: ArrayLike<number>): void {
    if (actual.length !== expected.length) throw new Error(`${this.label} ${what}: length ${actual.length}, expected ${expected.length}`);
    for (let i = 0; i < expected.length; i++) {
      this.comparisons++;
      const err = Math.abs(actual[i] - expected[i]);
      if (!(err <= bound[i])) {
        throw new Error(
          `${this.label} ${what}[${i}]: got ${actual[i]}, reference ${expected[i]}, |error| ${err.toExponential(3)} > bound ${bound[i].toExponential(3)}`,
        );
      }
      this.maxErr = Math.max(this.maxErr, err);
      const ratio = bound[i] > 0 ? err / bound[i] : 0;
      if (ratio > this.worstRatio) {
        this.worstRatio = ratio;
        this.worstErr = err;
        this.worstBound = bound[i];
      }
    }
  }

  /** One line for the log: worst error beside its bound. */
  report(): string {
    return (
      `${this.label}: ${this.comparisons} values; worst |err|/bound = ${this.worstRatio.toExponential(2)} ` +
      `(|err| ${this.worstErr.toExponential(2)} vs bound ${this.worstBound.toExponential(2)}); max |err| ${this.maxErr.toExponential(2)}`
    );
  }
}

/** Largest |a − b| / (max|b| + tiny): for demonstrating kernels that are wrong by O(1). */
export function relativeDiscrepancy(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / (scale + 1e-30);
}

/** Per formula × backend: the worst error, the bound beside it and the largest ratio error/bound. */
export interface Worst {
  /** The error and bound of the case with the largest error/bound. */
  err: number;
  bound: number;
  ratio: number;
  cases: number;
  /** The largest absolute error seen, with its own bound. */
  maxErr: number;
  maxErrBound: number;
}
const table: { formula: string; backend: string; w: Worst }[] = [];

/**
 * Worst error against per-element bounds of one formula on one backend, for the tier cross-check:
 * `check` throws on a violation; `done` logs the worst case and adds a row to the summary table
 * (`printTrackerTable`, called once per test file after all tests).
 */
export class Tracker {
  w: Worst = { err: 0, bound: 0, ratio: 0, cases: 0, maxErr: 0, maxErrBound: 0 };
  private record(err: number, b: number): void {
    const ratio = b > 0 ? err / b : 0;
    if (ratio >= this.w.ratio) this.w = { ...this.w, err, bound: b, ratio };
    if (err >= this.w.maxErr) this.w = { ...this.w, maxErr: err, maxErrBound: b };
  }
  constructor(readonly label: string) {}
  /** |got - ref| ≤ bound (elementwise), recording the worst ratio. */
  check(what: string, got: ArrayLike<number>, ref: ArrayLike<number>, bound: ArrayLike<number>): void {
    if (got.length !== ref.length) throw new Error(`${this.label} ${what}: length ${got.length}, expected ${ref.length}`);
    for (let i = 0; i < ref.length; i++) {
      const g = got[i];
      const r = ref[i];
      const b = bound[i];
      const err = g === r ? 0 : Math.abs(g - r);
      if (!(err <= b)) throw new Error(`${this.label} ${what}[${i}]: tfjs ${g}, reference ${r}, error ${err.toExponential(3)} > bound ${b.toExponential(3)}`);
      this.record(err, b);
    }
    this.w.cases++;
  }
  /** lo ≤ got ≤ hi; the "bound" reported is the allowed deviation on the side of the error. */
  interval(what: string, got: number, ref: number, lo: number, hi: number): void {
    if (!(got >= lo && got <= hi)) throw new Error(`${this.label} ${what}: tfjs ${got} outside [${lo}, ${hi}] (reference ${ref})`);
    const err = Math.abs(got - ref);
    this.record(err, got >= ref ? hi - ref : ref - lo);
  }
  done(backend: string): void {
    table.push({ formula: this.label, backend, w: this.w });
    const w = this.w;
    console.log(`  ${this.label} [${backend}]: max error/bound ${w.ratio.toFixed(3)} (error ${w.err.toExponential(2)}, bound ${w.bound.toExponential(2)}); largest error ${w.maxErr.toExponential(2)} (bound ${w.maxErrBound.toExponential(2)}); ${w.cases} cases`);
  }
}

/** The summary table of every `Tracker.done` so far: formula | backend | worst ratio | largest error | cases. */
export function printTrackerTable(): void {
  if (!table.length) return;
  console.log('\n  formula | backend | max error/bound (error, bound) | largest error (its bound) | cases');
  for (const r of table) {
    const w = r.w;
    console.log(`  ${r.formula} | ${r.backend} | ${w.ratio.toFixed(3)} (${w.err.toExponential(2)}, ${w.bound.toExponential(2)}) | ${w.maxErr.toExponential(2)} (${w.maxErrBound.toExponential(2)}) | ${w.cases}`);
  }
}
