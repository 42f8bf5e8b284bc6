/**
 * The golden MNIST regression gate (issue 6; docs/golden.md).
 *
 * 1. The fast subset of golden/stats.json (DDIM-10 on 32 samples and a stratified VLB estimate on 8
 *    test images, with the committed seed) is recomputed with the committed U-Net and classifier on
 *    the current backend; every value must stay inside its band (golden ± 4 sd over 5 seeds).
 *    The full set (DDIM-50 × 128, DDPM-1000 × 10, VLB on test[0:16] with 1 + 99 strata of t; all
 *    seeds) is `diffusion-oracle golden check`.
 * 2. The quality floors reject synthetic bad sample sets (pure noise, a blurred mean image, copies
 *    of one digit) and accept held-out real digits.
 * 3. The gate catches kernel bugs: test-only copies of DDIM with a wrong direction coefficient or a
 *    wrong σ formula are rejected by the fast check.
 * 4. The bits/dim maximum is the independent-pixel baseline, and an untrained U-Net of the golden
 *    architecture exceeds it.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend/backend.js';
import { ddimStepCoefs } from '../src/gpu/ancestral.js';
import { lincomb, modelEps, type TensorSamplerFn } from '../src/gpu/model.js';
import { initParamValues } from '../src/train/nn.js';
import { unetApply, unetParamSpecs } from '../src/train/unet.js';
import { processBetas } from '../src/reference/ancestral.js';
import { Rng } from '../src/reference/rng.js';
import { makeSchedule } from '../src/reference/schedules.js';
import { independentPixelBpd, vlbBitsPerDim } from '../src/golden/bpd.js';
import { mnistFiles } from '../src/data/mnist.js';
import { readIdxImages } from '../src/data/idx.js';
import { IMAGE_DIM } from '../src/golden/classifier.js';
import type { GoldenUnet } from '../src/golden/generate.js';
import { BPD_MAX, checkAgainst, type GoldenReport, loadGoldenContext, qualityFloors, readGoldenFile, realSlice, type GoldenContext, type GoldenFile } from '../src/golden/golden.js';
import { sampleStats } from '../src/golden/stats.js';
import { BAD_SETS, badSampleSet } from '../src/golden/synthetic.js';

const GOLDEN_DIR = fileURLToPath(new URL('.', import.meta.url));
/**
 * Floors the committed golden U-Net does not meet on the fast subset: none (it meets every floor of
 * the full check too; docs/golden.md). Should a replacement model miss one, it is listed here by
 * name so that the shortfall is visible and its fix noticed; a better-trained model
 * (`golden update --unet-from <run>`) is the fix, never a lower floor.
 */
const KNOWN_BELOW_FLOOR: string[] = [];
let ctx: GoldenContext;
let golden: GoldenFile;
let fast: GoldenReport;

beforeAll(async () => {
  const t0 = performance.now();
  await selectBackend({ log: false });
  golden = readGoldenFile(GOLDEN_DIR);
  ctx = await loadGoldenContext(GOLDEN_DIR);
  fast = checkAgainst(ctx, golden, { fast: true });
  console.log(`${fast.text}fast golden check (load + recompute): ${((performance.now() - t0) / 1000).toFixed(1)} s on ${tf.getBackend()}`);
});
afterAll(() => ctx?.dispose());

/** Test-only DDIM copies with one deliberate bug each (the registry's sampleDdim is untouched). */
function brokenDdim(bug: 'direction' | 'sigma'): TensorSamplerFn {
  return (model, x, timeGrid, options) => {
    const s = makeSchedule(processBetas(model.process, 'brokenDdim'));
    const grid = Array.from(timeGrid);
    const rng = options!.rng!;
    let cur = x.clone();
    for (let i = 0; i + 1 < grid.length; i++) {
      const [t, tp] = [grid[i], grid[i + 1]];
      const c = ddimStepCoefs(s, t, tp, 0);
      const z = bug === 'sigma' ? Float32Array.from(rng.normals(x.shape[0] * x.shape[1])) : null;
      const next = tf.tidy(() => {
        const eps = modelEps(model, cur, t);
        const x0 = lincomb([[c.rx, cur], [-c.rm1, eps]]);
        if (bug === 'direction') return lincomb([[c.cx0, x0], [Math.sqrt(s.oneMinusAlphaBar(t)), eps]]); // BUG: √(1-ᾱ_t) for √(1-ᾱ_t')
        // BUG: σ_t of η = 1 added while the direction keeps η = 0's √(1-ᾱ_t')
        const sigma = Math.sqrt((s.oneMinusAlphaBar(tp) / s.oneMinusAlphaBar(t)) * -Math.expm1(s.logAlphaBar(t) - s.logAlphaBar(tp)));
        return lincomb([[c.cx0, x0], [c.cdir, eps], [sigma, tf.tensor2d(z!, x.shape)]]);
      });
      cur.dispose();
      cur = next;
    }
    return cur;
  };
}

describe('golden MNIST', () => {
  it('fast subset (committed seed) stays inside its bands', () => {
    const report = fast;
    const out = report.rows.filter((r) => !r.ok).map((r) => `${r.config} ${r.stat}: golden ${r.golden}, new ${r.value}, band [${r.band[0]}, ${r.band[1]}]`);
    expect(out).toEqual([]);
    expect(report.rows.length).toBeGreaterThan(10);
  });

  it(`fast subset meets the quality floors, except the documented shortfall: ${KNOWN_BELOW_FLOOR.join(', ') || 'none'}`, () => {
    const failed = fast.floors.filter((f) => !f.ok);
    for (const f of failed) console.log(`golden model below its quality floor: ${f.config} ${f.stat} ${f.value} ${f.kind} ${f.limit} (${f.rule})`);
    // Exactly the known shortfall: a new floor failure fails this test, and so does a fixed one
    // (then remove it from KNOWN_BELOW_FLOOR). The floors themselves are never moved to pass.
    expect(failed.map((f) => `${f.config} ${f.stat}`)).toEqual(KNOWN_BELOW_FLOOR);
  });

  it('quality floors reject noise, a blurred mean image and copies of one digit, and accept held-out real digits', () => {
    const rec = golden.configs.ddim50;
    const n = rec.config.kind === 'samples' ? rec.config.n : 256;
    const real = Object.fromEntries(Object.entries(rec.real!).map(([k, b]) => [k, b.golden]));
    const floorsOf = (images: Float32Array) => qualityFloors('ddim50', 'samples', sampleStats(images, ctx.ref, { labels: Array.from({ length: n }, (_, i) => i % 10), nnPool: ctx.trainImages }).values as Record<string, number>, real);
    for (const kind of BAD_SETS) {
      const f = floorsOf(badSampleSet(kind, n, ctx.testImages, 5));
      console.log(`${kind}: ${f.map((r) => `${r.stat} ${r.value.toPrecision(4)} ${r.kind} ${r.limit.toPrecision(4)} ${r.ok ? 'ok' : 'FAIL'}`).join('; ')}`);
      expect(f.filter((r) => !r.ok).length, kind).toBeGreaterThan(0);
      expect(f.find((r) => r.stat === 'fdLenet')!.ok, `${kind} FD-LeNet`).toBe(false);
    }
    // Real digits (a held-out slice beyond the ones stats.json used) meet every floor but the label
    // agreement-free ones are what the floors use: fd, confidence, χ², NN distance.
    const realImages = realSlice(ctx, n, 10);
    const f = qualityFloors('ddim50', 'samples', sampleStats(realImages, ctx.ref, { nnPool: ctx.trainImages.subarray(0, 55_000 * IMAGE_DIM) }).values as Record<string, number>, real);
    expect(f.filter((r) => !r.ok)).toEqual([]);
  });

  for (const bug of ['direction', 'sigma'] as const) {
    it(`rejects a DDIM with a perturbed ${bug === 'direction' ? 'direction coefficient √(1-ᾱ_t)' : 'σ formula (η = 1 noise at η = 0)'} (test-only copy)`, () => {
      const report = checkAgainst(ctx, golden, { configs: ['fast-ddim10'], seeds: [golden.fastSeed], samplerOverride: brokenDdim(bug) });
      const out = report.rows.filter((r) => !r.ok);
      console.log(`perturbed DDIM (${bug}): ${out.length} of ${report.rows.length} values out of band: ${out.map((r) => `${r.stat} ${r.value.toPrecision(4)} ∉ [${r.band[0].toPrecision(4)}, ${r.band[1].toPrecision(4)}]`).join('; ')}`);
      expect(report.ok).toBe(false);
      expect(out.length).toBeGreaterThan(0);
    });
  }

  it(`BPD_MAX (${BPD_MAX}) is the independent-pixel model's test cross-entropy`, () => {
    const bpd = independentPixelBpd(readIdxImages(mnistFiles('train').images).pixels, readIdxImages(mnistFiles('test').images).pixels);
    expect(Math.abs(bpd - BPD_MAX)).toBeLessThan(5e-4);
  });

  it(`an untrained U-Net of the golden architecture exceeds the bits/dim maximum (${BPD_MAX})`, () => {
    const u = ctx.unet.unet;
    const vals = initParamValues(unetParamSpecs(u), new Rng(123));
    const params: Record<string, tf.Tensor> = {};
    for (const s of unetParamSpecs(u)) params[s.name] = tf.tensor(vals.get(s.name)!, s.shape, 'float32');
    const random: GoldenUnet = {
      ...ctx.unet,
      params,
      apply: (x, t, labels) => tf.tidy(() => unetApply(u, params, x.reshape([x.shape[0], 28, 28, 1]) as tf.Tensor4D, t, labels).reshape([x.shape[0], IMAGE_DIM]) as tf.Tensor2D),
      dispose: () => Object.values(params).forEach((p) => p.dispose()),
    };
    try {
      const r = vlbBitsPerDim(random, ctx.testImages.subarray(0, 8 * IMAGE_DIM), u.numClasses > 0 ? Array.from(ctx.testLabels.subarray(0, 8)) : null, { seed: 0, tSamples: 24 });
      console.log(`untrained U-Net: ${r.mean.toFixed(3)} bits/dim (max ${BPD_MAX})`);
      expect(r.mean).toBeGreaterThan(BPD_MAX);
    } finally {
      random.dispose();
    }
  });
});
