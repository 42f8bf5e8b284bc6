/**
 * Variational bound of the golden U-Net in bits per dimension on a fixed subset of the MNIST test
 * set, with the project's definitions (formula catalog F1-F3): per image
 *   -ELBO = L_T + Σ_{t=2..T} L_{t-1} + L_0
 * with L_T = priorBpd (src/reference/elbo.ts, float64 on the host) and every other term from the
 * tensor tier's vbTerms (src/gpu/elbo.ts, the float32 twin of the reference's vbTerms): reverse
 * variance σ_t² = β̃_t ('posterior', the reference's contract), the discretized Gaussian decoder with
 * the exact (erf) CDF, the model's own parameterization (config.objective). A class-conditional
 * model is evaluated conditionally on each test image's true label (bits/dim of p(x | y)).
 *
 * Two estimators, one noise draw per (image, t) from Rng(seed) in the order image-major, t ascending
 * (the order of the reference's `vlb`, so 'all' reproduces it draw for draw):
 *   'all'        every t = 1..T (T model evaluations per image; the unbiased one-sample estimate of
 *                the reference's vlb);
 *   K (number)   L_0 exactly at t = 1, plus stratified sampling of t = 2..T: at most K strata with
 *                log-spaced edges ⌊2·((T+1)/2)^{k/K}⌋ (the first ones are single timesteps, i.e.
 *                exact), one t drawn uniformly in each (rng.int) and weighted by its width w_k. Since
 *                E[w_k L_{t_k}] = Σ_{t in stratum k} L_t, this is an unbiased estimate of the same
 *                bound with ≤ K + 1 model evaluations per image. Equal-width strata were tried first:
 *                their estimate varied by ±35 % from seed to seed (the small-t terms dominate).
 */
import * as tf from '@tensorflow/tfjs';
import { vbTerms } from '../gpu/elbo.js';
import { makeTensorSchedule } from '../gpu/schedules.js';
import { priorBpd } from '../reference/elbo.js';
import { DiffusionInputError } from '../reference/errors.js';
import { Rng } from '../reference/rng.js';
import { makeSchedule } from '../reference/schedules.js';
import type { GoldenUnet } from './generate.js';

export interface BpdResult {
  /** Mean over images of the per-image bound, bits/dim. */
  mean: number;
  perImage: Float64Array;
  /** Mean prior term L_T and mean decoder term L_0 (bits/dim). */
  prior: number;
  decoder: number;
  evaluations: number;
}

/** The (t, weight) rows of one image (see the file comment), drawing the strata's t from rng. */
export function timestepPlan(T: number, tSamples: 'all' | number, rng: Rng): { t: number; w: number }[] {
  if (tSamples === 'all') return Array.from({ length: T }, (_, i) => ({ t: i + 1, w: 1 }));
  if (!Number.isInteger(tSamples) || tSamples < 1 || tSamples > T - 1) throw new DiffusionInputError('tSamples', tSamples, `must be 'all' or an integer in 1..${T - 1}`);
  const plan = [{ t: 1, w: 1 }];
  // Log-spaced stratum edges over [2, T + 1): e_k = ⌊2·((T + 1)/2)^{k/K}⌋, strictly increasing
  // (narrow strata at small t, where L_{t-1} is largest and changes fastest).
  const edges: number[] = [2];
  for (let k = 1; k <= tSamples; k++) {
    const e = k === tSamples ? T + 1 : Math.floor(2 * ((T + 1) / 2) ** (k / tSamples));
    if (e > edges[edges.length - 1]) edges.push(e);
  }
  for (let k = 0; k + 1 < edges.length; k++) {
    const w = edges[k + 1] - edges[k];
    plan.push({ t: edges[k] + rng.int(w), w });
  }
  return plan;
}

/**
 * The bound (bits/dim) of the U-Net on m images x0 (m·D floats on the 8-bit grid of [-1, 1]),
 * conditioned on labels for a class-conditional model.
 */
export function vlbBitsPerDim(g: GoldenUnet, x0: Float32Array, labels: ArrayLike<number> | null, options: { seed: number; tSamples: 'all' | number; rowsPerCall?: number; onProgress?: (done: number, total: number) => void }): BpdResult {
  const D = g.unet.imageSize * g.unet.imageSize * g.unet.inChannels;
  const m = x0.length / D;
  if (!Number.isInteger(m) || m < 1) throw new DiffusionInputError('x0', `length ${x0.length}`, `must hold whole images of ${D} values`);
  const cond = g.unet.numClasses > 0;
  if (cond && (!labels || labels.length !== m)) throw new DiffusionInputError('labels', labels, `a class-conditional model needs ${m} labels`);
  const T = g.config.schedule.T;
  const host = makeSchedule(g.betas);
  const ts = makeTensorSchedule(g.betas);
  const rng = new Rng(options.seed);
  const rowsPerCall = options.rowsPerCall ?? 64;
  // All rows first (image-major, t ascending), with their noise, in the reference's draw order.
  const rows: { img: number; t: number; w: number; noise: Float32Array }[] = [];
  for (let i = 0; i < m; i++) {
    const plan = timestepPlan(T, options.tSamples, rng);
    for (const p of plan) rows.push({ img: i, t: p.t, w: p.w, noise: Float32Array.from(rng.normals(D)) });
  }
  const perImage = new Float64Array(m);
  let decoder = 0;
  try {
    for (let s = 0; s < rows.length; s += rowsPerCall) {
      const chunk = rows.slice(s, s + rowsPerCall);
      const b = chunk.length;
      const xb = new Float32Array(b * D);
      const nb = new Float32Array(b * D);
      chunk.forEach((r, k) => {
        xb.set(x0.subarray(r.img * D, (r.img + 1) * D), k * D);
        nb.set(r.noise, k * D);
      });
      const tHost = chunk.map((r) => r.t);
      const lab = cond ? chunk.map((r) => labels![r.img]) : null;
      const res = tf.tidy(() => {
        const x = tf.tensor2d(xb, [b, D]);
        const nz = tf.tensor2d(nb, [b, D]);
        const tT = tf.tensor1d(tHost, 'int32');
        return vbTerms(ts, (xt) => g.apply(xt, tHost, lab), x, tT, nz, { prediction: vlbPrediction(g.config.objective) });
      });
      const v = res.dataSync();
      res.dispose();
      chunk.forEach((r, k) => {
        perImage[r.img] += r.w * v[k];
        if (r.t === 1) decoder += v[k];
      });
      options.onProgress?.(Math.min(s + rowsPerCall, rows.length), rows.length);
    }
  } finally {
    ts.dispose?.();
  }
  let prior = 0;
  for (let i = 0; i < m; i++) {
    const p = priorBpd(host, Float64Array.from(x0.subarray(i * D, (i + 1) * D))) as number;
    prior += p;
    perImage[i] += p;
  }
  return { mean: perImage.reduce((a, c) => a + c, 0) / m, perImage, prior: prior / m, decoder: decoder / m, evaluations: rows.length };
}

/**
 * The baseline of BPD_MAX (src/golden/golden.ts): cross-entropy in bits/dim of `test` (bytes, n·784)
 * under the independent-pixel model that gives each pixel its own 256-bin histogram from `train`,
 * with ½ added to every bin (Krichevsky-Trofimov smoothing).
 */
export function independentPixelBpd(train: Uint8Array, test: Uint8Array, dim = 784): number {
  const nTrain = train.length / dim;
  const nTest = test.length / dim;
  if (!Number.isInteger(nTrain) || !Number.isInteger(nTest) || nTrain < 1 || nTest < 1) throw new DiffusionInputError('train/test', `${train.length}/${test.length} bytes`, `must hold whole images of ${dim} pixels`);
  let bits = 0;
  const c = new Float64Array(256);
  for (let j = 0; j < dim; j++) {
    c.fill(0.5);
    for (let i = 0; i < nTrain; i++) c[train[i * dim + j]]++;
    const tot = nTrain + 128;
    for (let i = 0; i < nTest; i++) bits -= Math.log2(c[test[i * dim + j]] / tot);
  }
  return bits / (nTest * dim);
}

/** The VLB's prediction type of a trained model; a rectified-flow model has no VLB on the VP schedule. */
function vlbPrediction(objective: 'eps' | 'x0' | 'v' | 'flow'): 'eps' | 'x0' | 'v' {
  if (objective === 'flow') throw new Error("bits/dim: the VLB is defined for ε/x_0/v models of the VP schedule, not for a rectified-flow ('flow') model");
  return objective;
}
