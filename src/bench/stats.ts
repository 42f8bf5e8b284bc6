/**
 * Statistics and timing of the benchmark harness (issue 7).
 *
 * A measurement is: `warmup` untimed calls, then `repeats` timed samples; each sample times `inner`
 * back-to-back calls (inner is calibrated so that one sample lasts at least `minSampleMs`, which
 * keeps timer resolution and call overhead out of microsecond-scale kernels), and the time per
 * call is sample / inner. The summary is the median (robust to the occasional stall of a loaded
 * machine) with the spread given as the minimum, maximum, quartiles and the median absolute
 * deviation. Nothing here asserts a speed: the test suite checks only the arithmetic.
 */

export interface Summary {
  /** Number of samples. */
  n: number;
  median: number;
  min: number;
  max: number;
  /** First and third quartiles (linear interpolation between order statistics, type 7). */
  q1: number;
  q3: number;
  mean: number;
  /** Median absolute deviation from the median (unscaled). */
  mad: number;
  /** (q3 - q1) / median: the relative spread quoted in tables (0 for a single sample). */
  relIqr: number;
}

/** The p-quantile (0 ≤ p ≤ 1) of sorted values by linear interpolation (R's type 7, numpy's default). */
export function quantileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) throw new RangeError('quantileSorted: no values');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`quantileSorted: p must lie in [0, 1], got ${p}`);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

export function median(xs: readonly number[]): number {
  return quantileSorted([...xs].sort((a, b) => a - b), 0.5);
}

/** Summary statistics of a non-empty list of finite samples (throws naming the bad sample otherwise). */
export function summarize(samples: readonly number[]): Summary {
  if (!Array.isArray(samples) || samples.length === 0) throw new RangeError('summarize: at least one sample is needed');
  samples.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`summarize: samples[${i}] = ${v} is not a finite number`);
  });
  const s = [...samples].sort((a, b) => a - b);
  const med = quantileSorted(s, 0.5);
  const q1 = quantileSorted(s, 0.25);
  const q3 = quantileSorted(s, 0.75);
  const dev = s.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, median: med, min: s[0], max: s[s.length - 1], q1, q3, mean, mad: quantileSorted(dev, 0.5), relIqr: med > 0 ? (q3 - q1) / med : 0 };
}

export interface MeasureOptions {
  /** Untimed calls before the samples (default 1). */
  warmup?: number;
  /** Timed samples (default 5). */
  repeats?: number;
  /** Calibrate `inner` so one sample lasts at least this long (default 0: one call per sample). */
  minSampleMs?: number;
  /** Upper limit of inner calls per sample (default 10,000). */
  maxInner?: number;
  /** Clock in milliseconds (default performance.now; injectable for tests). */
  now?: () => number;
}

export interface Measurement {
  /** Milliseconds per call, one per sample. */
  samplesMs: number[];
  /** Calls per sample. */
  inner: number;
  warmup: number;
  summary: Summary;
}

/**
 * Times `fn` (which must finish its work before returning: read back a value from an asynchronous
 * backend). The first warm-up call also calibrates `inner` when minSampleMs > 0.
 */
export function measure(fn: () => void, options: MeasureOptions = {}): Measurement {
  const now = options.now ?? (() => performance.now());
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  const minSampleMs = options.minSampleMs ?? 0;
  const maxInner = options.maxInner ?? 10_000;
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`measure: warmup must be an integer ≥ 0, got ${warmup}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`measure: repeats must be an integer ≥ 1, got ${repeats}`);
  let single = Infinity;
  for (let w = 0; w < warmup; w++) {
    const t0 = now();
    fn();
    single = Math.min(single, now() - t0);
  }
  let inner = 1;
  if (minSampleMs > 0) {
    if (!Number.isFinite(single)) {
      const t0 = now();
      fn();
      single = now() - t0;
    }
    inner = Math.max(1, Math.min(maxInner, Math.ceil(minSampleMs / Math.max(single, 1e-3))));
  }
  const samplesMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    for (let k = 0; k < inner; k++) fn();
    samplesMs.push((now() - t0) / inner);
  }
  return { samplesMs, inner, warmup, summary: summarize(samplesMs) };
}

/** Asynchronous twin of `measure` (one call per sample; for work that awaits, e.g. a subprocess). */
export async function measureAsync(fn: () => Promise<void>, options: Omit<MeasureOptions, 'minSampleMs' | 'maxInner'> = {}): Promise<Measurement> {
  const now = options.now ?? (() => performance.now());
  const warmup = options.warmup ?? 1;
  const repeats = options.repeats ?? 5;
  if (!Number.isInteger(warmup) || warmup < 0) throw new RangeError(`measure: warmup must be an integer ≥ 0, got ${warmup}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new RangeError(`measure: repeats must be an integer ≥ 1, got ${repeats}`);
  for (let w = 0; w < warmup; w++) await fn();
  const samplesMs: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = now();
    await fn();
    samplesMs.push(now() - t0);
  }
  return { samplesMs, inner: 1, warmup, summary: summarize(samplesMs) };
}

/**
 * Where a cost curve of one tier drops below another's: the first size at which tier B's median
 * time is below tier A's after being above it (the crossover), by linear interpolation of
 * log(time) in log(size) between the two bracketing sizes. Returns null when B is never faster,
 * 'always' when B is faster at every size.
 */
export function crossover(sizes: readonly number[], timeA: readonly number[], timeB: readonly number[]): number | 'always' | null {
  if (sizes.length !== timeA.length || sizes.length !== timeB.length || sizes.length === 0) throw new RangeError('crossover: sizes and times must have the same non-zero length');
  const d = sizes.map((_, i) => Math.log(timeB[i]) - Math.log(timeA[i])); // < 0: B faster
  if (d[0] < 0) return d.every((v) => v < 0) ? 'always' : crossoverAfter(sizes, d, 0);
  return crossoverAfter(sizes, d, 0);
}

function crossoverAfter(sizes: readonly number[], d: number[], start: number): number | null {
  for (let i = Math.max(1, start); i < sizes.length; i++) {
    if (d[i - 1] >= 0 && d[i] < 0) {
      const f = d[i - 1] / (d[i - 1] - d[i]);
      const ls = Math.log(sizes[i - 1]) + f * (Math.log(sizes[i]) - Math.log(sizes[i - 1]));
      return Math.exp(ls);
    }
  }
  return null;
}
