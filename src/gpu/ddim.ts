/**
 * Section E2 of the formula catalog on tensors: the DDIM family q_σ(x_{t-1} | x_t, x_0)
 * (Song, Meng & Ermon 2021; seed 002 §3). float64 twin: src/reference/ddim.ts.
 *
 * `t` is the papers' 1-based index (t ∈ {1..T}); `tPrev` ∈ {0..t-1}, tPrev = 0 meaning "step to x_0"
 * (ᾱ_0 = 1). Either may be a number or an int32 tf.Tensor1D of per-row values. Data are float32
 * tf.Tensor2D [batch, dim].
 *
 * `ddimTimesteps` is re-exported from the reference rather than written again: it is integer
 * arithmetic on the host (a strided index list), with no float32 counterpart to compute or check;
 * a second copy could only drift from the first.
 */
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError, checkFiniteNumber, checkOneOf, checkTimestep } from '../reference/errors.js';
import { ddimTimesteps, SPACINGS, type Spacing } from '../reference/ddim.js';
import type { Rng } from '../reference/rng.js';
import { atTime, checkBatch, checkBatchLike, checkFiniteIo, checkTensorSchedule, checkTimesteps, requirePositiveAlphaBar, type Timesteps } from './common.js';
import { PREDICTIONS, epsFromPredictionRaw, x0FromPredictionRaw, type Prediction } from './parameterization.js';
import type { TensorSchedule } from './schedules.js';

export { ddimTimesteps, SPACINGS, type Spacing };

/** Host values of tPrev, each checked in {0..t_i - 1} against the row's t. */
function checkTPrev(tPrev: unknown, ts: number[], batch: number): number[] {
  const tp = checkTimesteps('tPrev', tPrev, 0, Math.max(...ts) - 1, typeof tPrev === 'number' ? 1 : batch);
  const n = Math.max(tp.length, ts.length);
  for (let i = 0; i < n; i++) {
    const a = tp[tp.length === 1 ? 0 : i];
    const b = ts[ts.length === 1 ? 0 : i];
    checkTimestep(tp.length > 1 ? `tPrev[${i}]` : 'tPrev', a, 0, b - 1);
  }
  return tp;
}

/** σ_t(η) per row (unchecked kernel): η·√((1-ᾱ_{t'})·r), r = (1-ᾱ_t/ᾱ_{t'})/(1-ᾱ_t). */
function ddimCoefsRaw(s: TensorSchedule, t: Timesteps, tPrev: Timesteps, eta: number) {
  return tf.tidy(() => {
    const lt = atTime(s.logAlphaBars, t);
    const lp = atTime(s.logAlphaBars, tPrev);
    const omPrev = atTime(s.oneMinusAlphaBars, tPrev);
    // r = (1 - ᾱ_t/ᾱ_{t'})/(1-ᾱ_t) with 1-ᾱ_t/ᾱ_{t'} = -expm1(log ᾱ_t - log ᾱ_{t'}) (no cancellation).
    const r = tf.div(tf.neg(tf.expm1(tf.sub(lt, lp))), atTime(s.oneMinusAlphaBars, t));
    // keep = 1 - η²r ≥ 0 was checked on the host; max(·, 0) absorbs float32 rounding at the boundary.
    const keep = tf.maximum(tf.sub(1, tf.mul(eta * eta, r)), 0);
    const sigma = tf.mul(eta, tf.sqrt(tf.mul(omPrev, r)));
    const cdir = tf.sqrt(tf.mul(omPrev, keep));
    const cx0 = atTime(s.sqrtAlphaBars, tPrev);
    return { sigma: sigma as tf.Tensor2D, cdir: cdir as tf.Tensor2D, cx0: cx0 as tf.Tensor2D };
  });
}

/**
 * η admissibility, checked on the host with the float64 reference schedule so that exactly the
 * reference's inputs are accepted. Returns whether some row has σ_t > 0 (noise needed).
 */
function checkEta(s: TensorSchedule, ts: number[], tp: number[], eta: number, name: string): boolean {
  checkFiniteNumber(name, eta);
  if (eta < 0) throw new DiffusionInputError(name, eta, 'must be ≥ 0');
  const n = Math.max(ts.length, tp.length);
  let anyNoise = false;
  for (let i = 0; i < n; i++) {
    const t = ts[ts.length === 1 ? 0 : i];
    const p = tp[tp.length === 1 ? 0 : i];
    const lt = s.host.logAlphaBar(t);
    const lp = s.host.logAlphaBar(p);
    const r = -Math.expm1(lt - lp) / s.host.oneMinusAlphaBar(t);
    if (1 - eta * eta * r < 0) {
      throw new DiffusionInputError(name, eta, `inadmissible: σ_t² exceeds 1-ᾱ_{t'} (η ≤ ${1 / Math.sqrt(r)} for t = ${t}, tPrev = ${p})`);
    }
    if (eta > 0 && p > 0) anyNoise = true;
  }
  return anyNoise;
}

/**
 * E2: σ_t(η) = η·√((1-ᾱ_{t'})/(1-ᾱ_t))·√(1-ᾱ_t/ᾱ_{t'}) for the step t → t' = tPrev (002 §3; Song et
 * al. 2021 eq. (16)), one entry per row (a tf.Tensor1D; length 1 for numbers). η = 0: deterministic
 * DDIM; η = 1 with t' = t-1: σ_t² = β̃_t. t ∈ {1..T}, tPrev ∈ {0..t-1}.
 * float64 twin: src/reference/ddim.ts.
 */
export function ddimSigma(schedule: TensorSchedule, t: Timesteps, tPrev: Timesteps, eta: number): tf.Tensor1D {
  const s = checkTensorSchedule(schedule);
  const batch = typeof t !== 'number' && t instanceof tf.Tensor ? t.shape[0] : typeof tPrev !== 'number' && tPrev instanceof tf.Tensor ? tPrev.shape[0] : 1;
  const ts = checkTimesteps('t', t, 1, s.T, batch);
  checkTPrev(tPrev, ts, batch);
  checkFiniteNumber('eta', eta);
  if (eta < 0) throw new DiffusionInputError('eta', eta, 'must be ≥ 0');
  return tf.tidy(() => {
    const c = ddimCoefsRaw(s, t, tPrev, eta);
    return c.sigma.reshape([-1]);
  }) as tf.Tensor1D;
}

export interface TensorDdimStepOptions {
  /** η ≥ 0 (default 0, deterministic). Admissible while σ_t² ≤ 1-ᾱ_{t'}. */
  eta?: number;
  /** z ~ N(0, I), [batch, dim]; needed (or `rng`) when σ_t > 0. */
  noise?: tf.Tensor2D;
  /** Draws z (host float64 normals uploaded as float32) when `noise` is not given. */
  rng?: Rng;
  /** What `modelOutput` predicts (default 'eps'). */
  prediction?: Prediction;
}

/**
 * E2: one DDIM step from t to t' = tPrev < t (002 §3; Song et al. 2021 eq. (12)):
 * x_{t'} = √ᾱ_{t'}·x̂_0 + √(1-ᾱ_{t'}-σ_t²)·ε̂ + σ_t z, with x̂_0, ε̂ from the model output (D1/D2)
 * and σ_t = ddimSigma(t, t', η). tPrev = 0 gives x̂_0. The direction coefficient is
 * √((1-ᾱ_{t'})(1-η²r)), r = (1-ᾱ_t/ᾱ_{t'})/(1-ᾱ_t), as in the reference; η with η²r > 1 throws.
 * float64 twin: src/reference/ddim.ts.
 */
export function ddimStep(
  schedule: TensorSchedule,
  xt: tf.Tensor2D,
  t: Timesteps,
  tPrev: Timesteps,
  modelOutput: tf.Tensor2D,
  options: TensorDdimStepOptions = {},
): tf.Tensor2D {
  const s = checkTensorSchedule(schedule);
  const x = checkBatch('xt', xt);
  const m = checkBatchLike('modelOutput', modelOutput, 'xt', x);
  const ts = checkTimesteps('t', t, 1, s.T, x.shape[0]);
  const tp = checkTPrev(tPrev, ts, x.shape[0]);
  const eta = options.eta ?? 0;
  const prediction = checkOneOf('options.prediction', options.prediction ?? 'eps', PREDICTIONS);
  if (prediction === 'eps') requirePositiveAlphaBar(s, ts, 'x̂_0 from ε');
  const needNoise = checkEta(s, ts, tp, eta, 'options.eta');
  let z: tf.Tensor2D | null = null;
  let ownZ = false;
  if (needNoise) {
    if (options.noise !== undefined) z = checkBatchLike('options.noise', options.noise, 'xt', x);
    else if (options.rng) {
      const [b, d] = x.shape;
      z = tf.tensor2d(Float32Array.from(options.rng.normals(b * d)), [b, d]);
      ownZ = true;
    } else throw new DiffusionInputError('options.noise', undefined, `noise (or options.rng) is required when σ_t > 0 (η = ${eta})`);
  }
  const out = tf.tidy(() => {
    const x0 = x0FromPredictionRaw(s, x, t, m, prediction);
    const eps = epsFromPredictionRaw(s, x, t, m, prediction);
    const c = ddimCoefsRaw(s, t, tPrev, eta);
    const det = tf.add(tf.mul(c.cx0, x0), tf.mul(c.cdir, eps));
    return z ? tf.add(det, tf.mul(c.sigma, z)) : det;
  }) as tf.Tensor2D;
  const inputs: [string, tf.Tensor][] = [['xt', x], ['modelOutput', m]];
  if (z && !ownZ) inputs.push(['options.noise', z]);
  try {
    checkFiniteIo('ddimStep', inputs, out);
  } finally {
    if (ownZ) z!.dispose();
  }
  return out;
}
