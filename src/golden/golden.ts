/**
 * Golden MNIST statistics: compute, band, check, update (docs/golden.md).
 *
 * golden/stats.json holds, for every configuration of GOLDEN_CONFIGS (a sampler with its step
 * count and sample count, or a VLB estimator on a fixed test subset) and every seed of `seeds`, the
 * statistics of src/golden/stats.ts (or bits/dim of src/golden/bpd.ts), and per statistic
 *   golden = mean over the seeds, sd = sample standard deviation over the seeds (n - 1),
 *   band   = golden ± max(BAND_K·sd, 1e-6·|golden| + 1e-9)         (BAND_K = 4).
 * `check` recomputes a configuration with the committed seeds and fails when a value leaves its
 * band. Same seeds on the same backend reproduce the stored per-seed values to float32 round-off,
 * and every stored per-seed value lies within 1.8 sd of the mean for 5 seeds ((n-1)/√n bound), so a
 * failure means the computation changed by more than ~2 seed-to-seed standard deviations; on
 * another backend the kernels' round-off differs, which the band absorbs as long as it is small
 * next to the seed spread.
 *
 * Quality floors (QUALITY_FLOORS), fixed before the golden model was evaluated and never fitted to
 * it, compare each sample configuration with real data at the same n (held-out MNIST training
 * images 55,000+, never seen by the classifier, a disjoint slice per seed):
 *   fdLenet      ≤ FD_FACTOR × the real-data FD-LeNet (mean over seeds)
 *   confidence   ≥ CONFIDENCE_MIN
 *   chi2Uniform  ≤ CHI2_MAX = the 0.999 quantile of χ²(9) (false-alarm rate 1e-3 for a uniform class
 *                distribution under the usual χ² approximation; our samples are conditioned on
 *                classes i mod 10, so a model that ignores its label or draws one digit fails)
 *   nnMean       ≥ NN_RATIO_MIN × the real-data nnMean (memorization)
 *   bits/dim     ≤ BPD_MAX
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { loadMnist } from '../data/mnist.js';
import type { TensorSamplerFn } from '../gpu/model.js';
import { sha256, writeJsonAtomic } from '../io/atomic.js';
import { writeImageGrid } from '../io/png.js';
import { DiffusionInputError } from '../reference/errors.js';
import { vlbBitsPerDim } from './bpd.js';
import { CLASSIFIER_TRAIN_N, IMAGE_DIM, loadClassifier, type Classifier } from './classifier.js';
import { featureMoments, type Moments } from './fd.js';
import { generate, loadGoldenUnet, sampleLabels, type GoldenUnet } from './generate.js';
import { meanImage, sampleStats, STAT_NAMES, type StatsReference } from './stats.js';

export const GOLDEN_FORMAT = 'diffusion-oracle-golden';
export const GOLDEN_VERSION = 1;
export const BAND_K = 4;
export const DEFAULT_SEEDS = [0, 1, 2, 3, 4];

// ---- quality floors (see the file comment; fixed before any trained model was evaluated, from the
// real-data scale and the synthetic bad sets of src/golden/synthetic.ts; docs/golden.md) ----
/**
 * Samples' FD-LeNet may be at most this multiple of real data's at the same n: the geometric
 * midpoint between real data (×1) and noise / blurred mean / one-digit sets (×80-130 at n = 256).
 */
export const FD_FACTOR = 10;
/**
 * Mean classifier confidence: the arithmetic midpoint between uniform noise (0.76: the classifier is
 * over-confident on noise) and real digits (0.99).
 */
export const CONFIDENCE_MIN = 0.875;
/** χ²(9) upper 0.001 quantile. */
export const CHI2_MAX = 27.877;
/** Memorization: the samples' mean NN distance to the training set ≥ half of real digits'. */
export const NN_RATIO_MIN = 0.5;
/**
 * Bits/dim must beat the independent-pixel model (a 256-bin histogram per pixel from the 60,000
 * training images, ½-smoothed), whose cross-entropy on the test set is 1.689 bits/dim
 * (independentPixelBpd; golden.test.ts recomputes it): a bound above it means the U-Net has
 * learned nothing about how pixels depend on each other.
 */
export const BPD_MAX = 1.689;

export interface SampleConfig {
  id: string;
  kind: 'samples';
  sampler: 'ddim' | 'ddpm';
  steps: number;
  n: number;
  /** Part of the fast subset run by npm test. */
  fast: boolean;
}
export interface BpdConfig {
  id: string;
  kind: 'bpd';
  /** Test images 0..m-1. */
  m: number;
  tSamples: 'all' | number;
  fast: boolean;
}
export type GoldenConfig = SampleConfig | BpdConfig;

/** What golden/stats.json covers. */
export const GOLDEN_CONFIGS: GoldenConfig[] = [
  { id: 'ddim50', kind: 'samples', sampler: 'ddim', steps: 50, n: 128, fast: false },
  { id: 'ddpm1000', kind: 'samples', sampler: 'ddpm', steps: 1000, n: 10, fast: false },
  { id: 'vlb-k99', kind: 'bpd', m: 16, tSamples: 99, fast: false },
  { id: 'fast-ddim10', kind: 'samples', sampler: 'ddim', steps: 10, n: 32, fast: true },
  { id: 'fast-vlb-k24', kind: 'bpd', m: 8, tSamples: 24, fast: true },
];

export interface StatBand {
  golden: number;
  sd: number;
  band: [number, number];
  perSeed: number[];
}

export interface ConfigRecord {
  config: GoldenConfig;
  stats: Record<string, StatBand>;
  /** Sample configs: class histograms per seed; real-data scale per statistic (mean, sd, per seed). */
  classHistograms?: number[][];
  real?: Record<string, StatBand>;
  wallSeconds: number[];
}

export interface GoldenFile {
  format: typeof GOLDEN_FORMAT;
  version: number;
  bandRule: string;
  bandK: number;
  seeds: number[];
  /** The seed npm test uses for the fast subset. */
  fastSeed: number;
  floors: { fdFactor: number; confidenceMin: number; chi2Max: number; nnRatioMin: number; bpdMax: number; rule: string };
  model: { checkpoint: string; step: number; weightsSha256: string; train: unknown };
  classifier: { dir: string; weightsSha256: string; testAccuracy: number; featureDim: number };
  provenance: { backend: string; tfjs: string; node: string; commit: string; date: string; platform: string };
  configs: Record<string, ConfigRecord>;
}

/** Everything the statistics are measured against, loaded once. */
export interface GoldenContext {
  goldenDir: string;
  unet: GoldenUnet;
  classifier: Classifier;
  ref: StatsReference;
  testImages: Float32Array;
  testLabels: Uint8Array;
  trainImages: Float32Array;
  dispose(): void;
}

/** SHA-256 of the U-Net's EMA weights file (golden folder: ema.bin; checkpoint: ema.bin too). */
function weightsSha(dir: string): string {
  const f = join(dir, 'ema.bin');
  return existsSync(f) ? sha256(readFileSync(f)) : 'missing';
}

/**
 * Classifier feature moments of the test set, cached in <classifier>/test-moments.json (keyed by
 * the classifier's weights SHA-256, recomputed when it does not match).
 */
export function testMoments(classifier: Classifier, classifierDir: string, testImages: Float32Array, options: { write?: boolean } = {}): Moments {
  const key = classifier.meta?.weightsSha256 ?? 'unknown';
  const file = join(classifierDir, 'test-moments.json');
  if (existsSync(file)) {
    const j = JSON.parse(readFileSync(file, 'utf8'));
    if (j.weightsSha256 === key && j.n === testImages.length / IMAGE_DIM) return { n: j.n, d: j.d, mean: Float64Array.from(j.mean), cov: Float64Array.from(j.cov) };
  }
  const { features } = classifier.evaluate(testImages);
  const m = featureMoments(features, classifier.featureDim);
  if (options.write) writeJsonAtomic(file, { weightsSha256: key, n: m.n, d: m.d, mean: Array.from(m.mean), cov: Array.from(m.cov) }, { space: 0 });
  return m;
}

export async function loadGoldenContext(goldenDir: string, options: { unetDir?: string; writeCache?: boolean } = {}): Promise<GoldenContext> {
  const classifierDir = join(goldenDir, 'classifier');
  const classifier = await loadClassifier(classifierDir);
  const unetDir = options.unetDir ?? join(goldenDir, 'unet');
  const unet = loadGoldenUnet(unetDir, 'ema');
  const test = loadMnist({ split: 'test' });
  const train = loadMnist({ split: 'train' });
  const ref: StatsReference = { classifier, testMoments: testMoments(classifier, classifierDir, test.images, { write: options.writeCache }), testMeanImage: meanImage(test.images) };
  return {
    goldenDir,
    unet,
    classifier,
    ref,
    testImages: test.images,
    testLabels: test.labels,
    trainImages: train.images,
    dispose: () => unet.dispose(),
  };
}

/** Held-out real images (MNIST train 55,000+) for seed index s: a disjoint slice of n per seed index. */
export function realSlice(ctx: GoldenContext, n: number, seedIndex: number): Float32Array {
  const start = CLASSIFIER_TRAIN_N + seedIndex * n;
  if (start + n > ctx.trainImages.length / IMAGE_DIM) throw new DiffusionInputError('n', n, `too many held-out real images for seed index ${seedIndex}`);
  return ctx.trainImages.subarray(start * IMAGE_DIM, (start + n) * IMAGE_DIM);
}

export interface ComputeOptions {
  samplerOverride?: TensorSamplerFn;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** One configuration at one seed: its statistics (and samples for sample configs). */
export function computeConfig(ctx: GoldenContext, c: GoldenConfig, seed: number, options: ComputeOptions = {}): { values: Record<string, number>; classHistogram?: number[]; images?: Float32Array; wallSeconds: number } {
  const started = performance.now();
  if (c.kind === 'bpd') {
    const x0 = ctx.testImages.subarray(0, c.m * IMAGE_DIM);
    const labels = ctx.unet.unet.numClasses > 0 ? Array.from(ctx.testLabels.subarray(0, c.m)) : null;
    const r = vlbBitsPerDim(ctx.unet, x0, labels, { seed, tSamples: c.tSamples });
    return { values: { bitsPerDim: r.mean, priorBpd: r.prior, decoderBpd: r.decoder }, wallSeconds: (performance.now() - started) / 1000 };
  }
  const images = generate(ctx.unet, c, seed, {
    samplerOverride: options.samplerOverride,
    onStep: (i) => {
      if (options.signal?.aborted) throw new Error('interrupted');
      if (i % 100 === 0) options.log?.(`  ${c.id} seed ${seed}: step ${i}/${c.steps}`);
    },
  });
  const s = sampleStats(images, ctx.ref, { labels: sampleLabels(ctx.unet, c.n), nnPool: ctx.trainImages });
  return { values: s.values as Record<string, number>, classHistogram: s.classHistogram, images, wallSeconds: (performance.now() - started) / 1000 };
}

/** Real-data statistics at the same n (held-out slice seedIndex; NN pool = the classifier's training images). */
export function realStats(ctx: GoldenContext, n: number, seedIndex: number): Record<string, number> {
  const pool = ctx.trainImages.subarray(0, CLASSIFIER_TRAIN_N * IMAGE_DIM);
  return sampleStats(realSlice(ctx, n, seedIndex), ctx.ref, { nnPool: pool }).values as Record<string, number>;
}

export function bandOf(perSeed: number[]): StatBand {
  const n = perSeed.length;
  const mean = perSeed.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(perSeed.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const half = Math.max(BAND_K * sd, 1e-6 * Math.abs(mean) + 1e-9);
  return { golden: mean, sd, band: [mean - half, mean + half], perSeed };
}

export interface FloorResult {
  config: string;
  stat: string;
  value: number;
  limit: number;
  kind: '≤' | '≥';
  ok: boolean;
  rule: string;
}

/**
 * Quality floors of one configuration's values (means over the seeds checked) against the
 * real-data scale `real` (means over seeds) — see the file comment.
 */
export function qualityFloors(configId: string, kind: GoldenConfig['kind'], values: Record<string, number>, real: Record<string, number> | null): FloorResult[] {
  const out: FloorResult[] = [];
  const add = (stat: string, limit: number, k: '≤' | '≥', rule: string) => {
    const value = values[stat];
    if (value === undefined) return;
    out.push({ config: configId, stat, value, limit, kind: k, ok: k === '≤' ? value <= limit : value >= limit, rule });
  };
  if (kind === 'bpd') {
    add('bitsPerDim', BPD_MAX, '≤', `bits/dim ≤ ${BPD_MAX}`);
    return out;
  }
  if (!real) throw new DiffusionInputError('real', real, 'sample floors need the real-data scale');
  add('fdLenet', FD_FACTOR * real.fdLenet, '≤', `FD-LeNet ≤ ${FD_FACTOR} × real (${real.fdLenet.toPrecision(4)})`);
  add('confidence', CONFIDENCE_MIN, '≥', `mean confidence ≥ ${CONFIDENCE_MIN}`);
  add('chi2Uniform', CHI2_MAX, '≤', `class χ² vs uniform ≤ ${CHI2_MAX} (χ²₉ 0.999 quantile)`);
  add('nnMean', NN_RATIO_MIN * real.nnMean, '≥', `NN distance to train ≥ ${NN_RATIO_MIN} × real (${real.nnMean.toPrecision(4)})`);
  return out;
}

/**
 * The commit of the code that computes the statistics: this module's own git checkout (not the
 * golden folder's, which may be a copy elsewhere), with "(src/ modified)" for uncommitted changes
 * under src/; 'unknown' outside a diffusion-oracle checkout (e.g. an installed package).
 */
export function codeCommit(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const pkg = JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { name?: string };
    if (pkg.name !== 'diffusion-oracle') return 'unknown';
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: top, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ':(top)src'], { cwd: top, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${head} (src/ modified)` : head;
  } catch {
    return 'unknown';
  }
}

export function readGoldenFile(goldenDir: string): GoldenFile {
  const f = join(goldenDir, 'stats.json');
  if (!existsSync(f)) throw new DiffusionInputError('golden', f, 'missing: run `diffusion-oracle golden update`');
  const g = JSON.parse(readFileSync(f, 'utf8')) as GoldenFile;
  if (g.format !== GOLDEN_FORMAT || g.version !== GOLDEN_VERSION) throw new DiffusionInputError('golden', f, `not a ${GOLDEN_FORMAT} v${GOLDEN_VERSION} file`);
  return g;
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toPrecision(5));

export interface CheckRow {
  config: string;
  seed: number;
  stat: string;
  golden: number;
  goldenSeed: number | undefined;
  value: number;
  band: [number, number];
  ok: boolean;
}

export interface GoldenReport {
  ok: boolean;
  text: string;
  rows: CheckRow[];
  floors: FloorResult[];
}

/** Statistics whose bands are checked (the histogram itself is summarized by chi2Uniform). */
function bandedStats(rec: ConfigRecord): string[] {
  return Object.keys(rec.stats);
}

/**
 * Recompute the configurations of `golden` (only the fast ones with fast: true) for `seeds`
 * (default: fastSeed for fast, all seeds otherwise) and compare with the bands and floors.
 */
export function checkAgainst(ctx: GoldenContext, golden: GoldenFile, options: ComputeOptions & { fast?: boolean; seeds?: number[]; configs?: string[] } = {}): GoldenReport {
  const rows: CheckRow[] = [];
  const floors: FloorResult[] = [];
  const lines: string[] = [];
  const ids = Object.keys(golden.configs).filter((id) => (options.configs ? options.configs.includes(id) : options.fast ? golden.configs[id].config.fast : true));
  for (const id of ids) {
    const rec = golden.configs[id];
    const seeds = options.seeds ?? (options.fast ? [golden.fastSeed] : golden.seeds);
    const sums: Record<string, number> = {};
    for (const seed of seeds) {
      const r = computeConfig(ctx, rec.config, seed, options);
      lines.push(`${id} seed ${seed}: ${r.wallSeconds.toFixed(1)} s`);
      const si = golden.seeds.indexOf(seed);
      for (const stat of bandedStats(rec)) {
        const b = rec.stats[stat];
        const value = r.values[stat];
        sums[stat] = (sums[stat] ?? 0) + value;
        const ok = Number.isFinite(value) && value >= b.band[0] && value <= b.band[1];
        rows.push({ config: id, seed, stat, golden: b.golden, goldenSeed: si >= 0 ? b.perSeed[si] : undefined, value, band: b.band, ok });
      }
    }
    const means: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) means[k] = v / seeds.length;
    const realMeans = rec.real ? Object.fromEntries(Object.entries(rec.real).map(([k, b]) => [k, b.golden])) : null;
    floors.push(...qualityFloors(id, rec.config.kind, means, realMeans));
  }
  const w = (s: string, n: number) => s.padEnd(n);
  lines.push('', `${w('config', 14)}${w('seed', 5)}${w('statistic', 19)}${w('golden(mean)', 14)}${w('golden(seed)', 14)}${w('new', 14)}${w('(new-seed)/sd', 15)}${w('band', 28)}result`);
  let maxDz = 0;
  for (const r of rows) {
    const sd = golden.configs[r.config].stats[r.stat].sd;
    const dz = r.goldenSeed === undefined || !(sd > 0) ? NaN : (r.value - r.goldenSeed) / sd;
    if (Number.isFinite(dz)) maxDz = Math.max(maxDz, Math.abs(dz));
    lines.push(
      `${w(r.config, 14)}${w(String(r.seed), 5)}${w(r.stat, 19)}${w(fmt(r.golden), 14)}${w(r.goldenSeed === undefined ? '-' : fmt(r.goldenSeed), 14)}${w(fmt(r.value), 14)}${w(Number.isFinite(dz) ? dz.toExponential(1) : '-', 15)}${w(`[${fmt(r.band[0])}, ${fmt(r.band[1])}]`, 28)}${r.ok ? 'ok' : 'OUT OF BAND'}`,
    );
  }
  lines.push(`largest |new - golden(seed)| / sd: ${maxDz.toExponential(2)} (same seed: 0 up to round-off on the backend that wrote stats.json; other backends differ by their kernels' round-off)`);
  lines.push('', 'quality floors (means over the seeds checked; real-data scale from golden/stats.json):');
  for (const f of floors) lines.push(`  ${w(f.config, 14)}${w(f.stat, 14)}${w(fmt(f.value), 12)}${f.kind} ${w(fmt(f.limit), 12)}${f.ok ? 'ok' : 'FAILS'}   (${f.rule})`);
  const bad = rows.filter((r) => !r.ok).length;
  const badFloors = floors.filter((f) => !f.ok).length;
  lines.push('', bad === 0 && badFloors === 0 ? `golden check: all ${rows.length} values in band, all ${floors.length} floors met` : `golden check FAILED: ${bad} of ${rows.length} values out of band, ${badFloors} of ${floors.length} floors failed`);
  return { ok: bad === 0 && badFloors === 0, text: `${lines.join('\n')}\n`, rows, floors };
}

export async function runGoldenCheck(o: { goldenDir: string; fast: boolean; only?: string[]; log: (l: string) => void; signal?: AbortSignal }): Promise<GoldenReport> {
  const golden = readGoldenFile(o.goldenDir);
  const ctx = await loadGoldenContext(o.goldenDir);
  try {
    if (weightsSha(ctx.unet.dir) !== golden.model.weightsSha256) o.log(`golden check: warning: ${ctx.unet.dir}/ema.bin differs from the one stats.json was computed with`);
    o.log(`golden check on backend ${tf.getBackend()} (stats.json: ${golden.provenance.backend}, ${golden.provenance.date})`);
    for (const id of o.only ?? []) if (!golden.configs[id]) throw new DiffusionInputError('only', id, `not in stats.json; expected some of ${Object.keys(golden.configs).join(', ')}`);
    return checkAgainst(ctx, golden, { fast: o.fast, configs: o.only, log: o.log, signal: o.signal });
  } finally {
    ctx.dispose();
  }
}

/** Compute every configuration over `seeds` and build the golden file (no I/O). */
export function computeGolden(ctx: GoldenContext, seeds: number[], options: ComputeOptions & { configs?: GoldenConfig[]; onImages?: (id: string, seed: number, images: Float32Array) => void } = {}): GoldenFile {
  const configs: Record<string, ConfigRecord> = {};
  for (const c of options.configs ?? GOLDEN_CONFIGS) {
    const per: Record<string, number[]> = {};
    const hist: number[][] = [];
    const realPer: Record<string, number[]> = {};
    const wall: number[] = [];
    seeds.forEach((seed, si) => {
      const r = computeConfig(ctx, c, seed, options);
      options.log?.(`${c.id} seed ${seed}: ${r.wallSeconds.toFixed(1)} s`);
      wall.push(r.wallSeconds);
      for (const [k, v] of Object.entries(r.values)) (per[k] ??= []).push(v);
      if (r.classHistogram) hist.push(r.classHistogram);
      if (r.images) options.onImages?.(c.id, seed, r.images);
      if (c.kind === 'samples') for (const [k, v] of Object.entries(realStats(ctx, c.n, si))) (realPer[k] ??= []).push(v);
    });
    const order = (k: string) => (STAT_NAMES as readonly string[]).indexOf(k);
    const stats: Record<string, StatBand> = {};
    for (const k of Object.keys(per).sort((a, b) => order(a) - order(b))) stats[k] = bandOf(per[k]);
    const rec: ConfigRecord = { config: c, stats, wallSeconds: wall };
    if (c.kind === 'samples') {
      rec.classHistograms = hist;
      rec.real = {};
      for (const k of Object.keys(realPer).sort((a, b) => order(a) - order(b))) rec.real[k] = bandOf(realPer[k]);
    }
    configs[c.id] = rec;
  }
  const cm = ctx.classifier.meta;
  const trainMeta = ctx.unet.config;
  return {
    format: GOLDEN_FORMAT,
    version: GOLDEN_VERSION,
    bandRule: `band = golden ± max(${BAND_K}·sd, 1e-6·|golden| + 1e-9); golden = mean over seeds, sd = sample standard deviation over seeds (n-1)`,
    bandK: BAND_K,
    seeds,
    fastSeed: seeds[0],
    floors: {
      fdFactor: FD_FACTOR,
      confidenceMin: CONFIDENCE_MIN,
      chi2Max: CHI2_MAX,
      nnRatioMin: NN_RATIO_MIN,
      bpdMax: BPD_MAX,
      rule: 'sample configs: fdLenet ≤ fdFactor × real, confidence ≥ confidenceMin, chi2Uniform ≤ chi2Max, nnMean ≥ nnRatioMin × real (means over seeds); bpd configs: bitsPerDim ≤ bpdMax',
    },
    model: { checkpoint: 'golden/unet', step: ctx.unet.step, weightsSha256: weightsSha(ctx.unet.dir), train: { ...trainMeta, unet: ctx.unet.unet } },
    classifier: { dir: 'golden/classifier', weightsSha256: cm?.weightsSha256 ?? 'unknown', testAccuracy: cm?.testAccuracy ?? NaN, featureDim: ctx.classifier.featureDim },
    provenance: {
      backend: tf.getBackend(),
      tfjs: `@tensorflow/tfjs ${tf.version.tfjs}`,
      node: process.version,
      commit: codeCommit(),
      date: new Date().toISOString(),
      platform: `${process.platform}-${process.arch}`,
    },
    configs,
  };
}

/** Human-readable account of what moved between two golden files. */
export function describeMoves(old: GoldenFile | null, next: GoldenFile): string {
  const lines: string[] = [];
  for (const [id, rec] of Object.entries(next.configs)) {
    for (const [stat, b] of Object.entries(rec.stats)) {
      const o = old?.configs[id]?.stats[stat];
      if (!o) {
        lines.push(`${id} ${stat}: new ${fmt(b.golden)} ± ${fmt(b.sd)}`);
        continue;
      }
      const inside = b.golden >= o.band[0] && b.golden <= o.band[1];
      const dz = o.sd > 0 ? (b.golden - o.golden) / o.sd : NaN;
      lines.push(`${id} ${stat}: ${fmt(o.golden)} → ${fmt(b.golden)} (${Number.isFinite(dz) ? `${dz >= 0 ? '+' : ''}${dz.toFixed(2)} old sd` : 'old sd 0'})${inside ? '' : '  MOVED OUT OF THE OLD BAND'}`);
    }
  }
  return lines.join('\n');
}

/**
 * `update --only`: the configurations of `next` merged into the file as it is now (`current`, or
 * null). Records of `current` that `next` did not recompute are kept only when they were computed
 * from the same U-Net and classifier weights with the same seeds; otherwise they are dropped (and
 * named in `dropped`), so that one stats.json never mixes statistics of two models.
 */
export function mergeGoldenFiles(current: GoldenFile | null, next: GoldenFile): { file: GoldenFile; dropped: string[] } {
  if (!current) return { file: next, dropped: [] };
  const same =
    JSON.stringify(current.seeds) === JSON.stringify(next.seeds) &&
    current.model.weightsSha256 === next.model.weightsSha256 &&
    current.classifier.weightsSha256 === next.classifier.weightsSha256;
  const configs: Record<string, ConfigRecord> = {};
  const dropped: string[] = [];
  for (const c of GOLDEN_CONFIGS) {
    const rec = next.configs[c.id] ?? (same ? current.configs[c.id] : undefined);
    if (rec) configs[c.id] = rec;
    else if (current.configs[c.id]) dropped.push(c.id);
  }
  return { file: { ...next, configs }, dropped };
}

/**
 * Recompute and rewrite <goldenDir>/stats.json. With `only`, just those configurations are
 * recomputed and merged into the file as it is when they finish (so that two processes can split
 * the work: same seeds required).
 */
export async function runGoldenUpdate(o: { goldenDir: string; seeds?: number; only?: string[]; samplesPng?: string; log: (l: string) => void; signal?: AbortSignal }): Promise<GoldenReport> {
  let old: GoldenFile | null;
  try {
    old = readGoldenFile(o.goldenDir);
  } catch {
    old = null;
  }
  const nSeeds = o.seeds ?? old?.seeds.length ?? DEFAULT_SEEDS.length;
  if (nSeeds < 2) throw new DiffusionInputError('seeds', nSeeds, 'bands need at least 2 seeds (5 recommended)');
  const seeds = Array.from({ length: nSeeds }, (_, i) => i);
  const known = GOLDEN_CONFIGS.map((c) => c.id);
  for (const id of o.only ?? []) if (!known.includes(id)) throw new DiffusionInputError('only', id, `unknown configuration; expected some of ${known.join(', ')}`);
  const ctx = await loadGoldenContext(o.goldenDir, { writeCache: true });
  try {
    const png = o.samplesPng ?? join(o.goldenDir, 'samples.png');
    let wrotePng = false;
    let next = computeGolden(ctx, seeds, {
      configs: o.only ? GOLDEN_CONFIGS.filter((c) => o.only!.includes(c.id)) : undefined,
      log: o.log,
      signal: o.signal,
      onImages: (id, seed, images) => {
        if (id === 'ddim50' && seed === seeds[0]) wrotePng = !!writeImageGrid(png, images.subarray(0, 100 * IMAGE_DIM), { n: Math.min(100, images.length / IMAGE_DIM), height: 28, width: 28, cols: 10, scale: 2 });
      },
    });
    if (o.only) {
      let current: GoldenFile | null = null;
      try {
        current = readGoldenFile(o.goldenDir);
      } catch {
        current = null;
      }
      const merged = mergeGoldenFiles(current, next);
      next = merged.file;
      for (const id of merged.dropped) o.log(`golden update: dropped ${id}: it was computed with another U-Net or classifier (recompute it with --only ${id})`);
    }
    writeJsonAtomic(join(o.goldenDir, 'stats.json'), next);
    const floors: FloorResult[] = [];
    for (const [id, rec] of Object.entries(next.configs)) {
      const means = Object.fromEntries(Object.entries(rec.stats).map(([k, b]) => [k, b.golden]));
      const real = rec.real ? Object.fromEntries(Object.entries(rec.real).map(([k, b]) => [k, b.golden])) : null;
      floors.push(...qualityFloors(id, rec.config.kind, means, real));
    }
    const text = [
      `wrote ${join(o.goldenDir, 'stats.json')} (${seeds.length} seeds, backend ${next.provenance.backend})${wrotePng ? `; sample grid ${png}` : ''}`,
      describeMoves(old, next),
      'quality floors:',
      ...floors.map((f) => `  ${f.config} ${f.stat} ${fmt(f.value)} ${f.kind} ${fmt(f.limit)}: ${f.ok ? 'ok' : 'FAILS'}`),
    ].join('\n');
    return { ok: floors.every((f) => f.ok), text: `${text}\n`, rows: [], floors };
  } finally {
    ctx.dispose();
  }
}
