/**
 * The TensorFlow.js tier (src/gpu) adapted to the implementation interface (src/conformance/interface.ts),
 * with precision 'float32', so that the same claims that check the float64 reference check it.
 *
 * Each call: arrays → float32 tensors ([1, dim] for a vector) → the src/gpu function → dataSync()
 * (outside any tf.tidy, per shared/wasm-facts.md) → Float64Array; every tensor is disposed before the
 * call returns (tier-crosscheck.test.ts checks tf.memory().numTensors). The schedule tables of the
 * last few β arrays are cached (compared by content, so mutating a β array is safe); `disposeCache()`
 * frees them.
 *
 * Host-side parts shared with the reference, not tensor formulas: `betaSchedule` and
 * `rescaleZeroTerminalSnr` (T scalars computed once in float64: the gpu tier takes any β) and
 * `ddimTimesteps` (integer index lists). They are delegated to src/reference and labelled so.
 *
 * Backends: the impl runs every call on `backendName` (an initialized tfjs backend: use
 * `prepareTfjsImpl`, which awaits tf.setBackend, or set it up yourself). Switching to an already
 * initialized backend is synchronous in tfjs; if `backendName` is not the active backend after the
 * switch, the call throws rather than silently running elsewhere.
 */
import * as tf from '@tensorflow/tfjs';
import type { Arr, DiffusionImpl, EpsModel } from '../interface.js';
import * as R from '../../reference/index.js';
import { makeTensorSchedule, type TensorSchedule } from '../../gpu/schedules.js';
import type { Timesteps } from '../../gpu/common.js';
import { qSample, qStep } from '../../gpu/forward.js';
import { qPosterior, posteriorVariance, posteriorLogVarianceClipped } from '../../gpu/posterior.js';
import { predictX0FromEps, predictEpsFromX0, vFromEpsX0, epsFromV, x0FromV, scoreFromEps } from '../../gpu/parameterization.js';
import { ddpmStep } from '../../gpu/ddpm.js';
import { ddimStep, ddimTimesteps } from '../../gpu/ddim.js';
import { normalKl, discretizedGaussianLogLikelihood, vbTerms } from '../../gpu/elbo.js';
import { getTensorSampler } from '../../gpu/samplers.js';
import { hostModel, type TensorDiffusionModel, type TensorSamplerOptions } from '../../gpu/model.js';
import { classifierGuidance as tfClassifierGuidance, classifierFreeGuidance as tfClassifierFreeGuidance } from '../../gpu/guidance.js';
import { processOf } from './reference-score.js';
import type { DiffusionModel } from '../interface.js';
import type { SamplerOptions } from '../../reference/samplers.js';

const G = {
  makeTensorSchedule, qSample, qStep, qPosterior, posteriorVariance, posteriorLogVarianceClipped, predictX0FromEps, predictEpsFromX0,
  vFromEpsX0, epsFromV, x0FromV, scoreFromEps, ddpmStep, ddimStep, ddimTimesteps, normalKl, discretizedGaussianLogLikelihood, vbTerms,
};


export interface TfjsImpl extends DiffusionImpl {
  readonly backendName: string;
  /** Frees the cached schedule tables (the impl stays usable; tables are rebuilt on demand). */
  disposeCache(): void;
}

const CACHE_SIZE = 4;

function sameBetas(a: Float64Array, b: Arr): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A vector as a float32 [1, dim] tensor (values rounded to float32: part of the tier's error). */
function row(x: Arr): tf.Tensor2D {
  const f = Float32Array.from(x as ArrayLike<number>);
  return tf.tensor2d(f, [1, f.length]);
}

function download(t: tf.Tensor): Float64Array {
  return Float64Array.from(t.dataSync());
}

export function makeTfjsImpl(backendName: string): TfjsImpl {
  const cache: TensorSchedule[] = [];

  const useBackend = () => {
    if (tf.getBackend() !== backendName) {
      void tf.setBackend(backendName);
      if (tf.getBackend() !== backendName) {
        throw new Error(`tfjs impl: backend '${backendName}' is not initialized (await tf.setBackend('${backendName}') first, or use prepareTfjsImpl)`);
      }
    }
  };

  const sched = (betas: Arr): TensorSchedule => {
    useBackend();
    const hit = cache.findIndex((s) => sameBetas(s.betasHost, betas));
    if (hit >= 0) {
      const s = cache[hit];
      cache.splice(hit, 1);
      cache.unshift(s);
      return s;
    }
    const s = G.makeTensorSchedule(betas);
    cache.unshift(s);
    while (cache.length > CACHE_SIZE) cache.pop()!.dispose();
    return s;
  };

  /** Runs `fn` on fresh input tensors, downloads its tensor result, disposes everything. */
  const run = (inputs: Arr[], fn: (...ts: tf.Tensor2D[]) => tf.Tensor): Float64Array => {
    const ts: tf.Tensor2D[] = [];
    try {
      for (const x of inputs) ts.push(row(x));
      const out = fn(...ts);
      try {
        return download(out);
      } finally {
        out.dispose();
      }
    } finally {
      ts.forEach((t) => t.dispose());
    }
  };
  /** A D1-D3 conversion (schedule, x_t, t, value) of the tensor tier as an interface member. */
  const conversion =
    (f: (s: TensorSchedule, xt: tf.Tensor2D, t: number, v: tf.Tensor2D) => tf.Tensor) =>
    (betas: Arr, xt: Arr, t: number, v: Arr): Float64Array =>
      run([xt, v], (a, b) => f(sched(betas), a, t, b));

  /** A scalar table entry at t (a number), read back. */
  const scalarAt = (tensor: tf.Tensor): number => {
    try {
      return tensor.dataSync()[0];
    } finally {
      tensor.dispose();
    }
  };

  return {
    name: `tfjs (${backendName})`,
    precision: 'float32',
    backendName,
    disposeCache() {
      while (cache.length) cache.pop()!.dispose();
    },

    // A. schedules: β sequences are host-side float64, shared with the reference (see file comment).
    betaSchedule: (name, T, options) => R.betaSchedule(name as R.ScheduleName, T, options as R.ScheduleOptions),
    rescaleZeroTerminalSnr: (betas) => R.rescaleZeroTerminalSnr(betas),
    alphaBar: (betas, t) => {
      const s = sched(betas);
      R.checkTimestep('t', t, 0, s.T);
      return scalarAt(tf.slice(s.alphaBars, [t], [1]));
    },
    posteriorVariance: (betas, t) => scalarAt(G.posteriorVariance(sched(betas), t)),
    posteriorLogVarianceClipped: (betas, t) => scalarAt(G.posteriorLogVarianceClipped(sched(betas), t)),

    // B. forward process
    qSample: (betas, x0, t, eps) => {
      const s = sched(betas);
      return run([x0, eps], (a, e) => G.qSample(s, a, t, e));
    },
    qStep: (betas, xPrev, t, eps) => {
      const s = sched(betas);
      return run([xPrev, eps], (a, e) => G.qStep(s, a, t, e));
    },

    // C. posterior
    qPosterior: (betas, x0, xt, t) => {
      const s = sched(betas);
      let variance = NaN;
      let logVariance = NaN;
      const mean = run([x0, xt], (a, b) => {
        const q = G.qPosterior(s, a, b, t);
        variance = scalarAt(q.variance);
        logVariance = scalarAt(q.logVariance);
        return q.mean;
      });
      return { mean, variance, logVariance };
    },

    // D. parameterizations: each is (schedule, x_t, t, value) → tensor on the tensor tier
    predictX0FromEps: conversion(G.predictX0FromEps),
    predictEpsFromX0: conversion(G.predictEpsFromX0),
    vFromEpsX0: conversion(G.vFromEpsX0),
    epsFromV: conversion(G.epsFromV),
    x0FromV: conversion(G.x0FromV),
    scoreFromEps: conversion(G.scoreFromEps),

    // E. reverse steps
    ddpmStep: (betas, xt, t, modelOutput, options) => {
      const s = sched(betas);
      const withNoise = options.noise !== undefined && t >= 2;
      const ins = withNoise ? [xt, modelOutput, options.noise!] : [xt, modelOutput];
      return run(ins, (a, m, z) => G.ddpmStep(s, a, t, m, { prediction: options.prediction, variance: options.variance, clip: options.clip, noise: z }));
    },
    // Integer index lists: the reference's, shared (see src/gpu/ddim.ts).
    ddimTimesteps: (T, steps, spacing) => G.ddimTimesteps(T, steps, spacing),
    ddimStep: (betas, xt, t, tPrev, modelOutput, options) => {
      const s = sched(betas);
      const ins = options.noise !== undefined ? [xt, modelOutput, options.noise] : [xt, modelOutput];
      return run(ins, (a, m, z) => G.ddimStep(s, a, t, tPrev, m, { eta: options.eta, prediction: options.prediction, noise: z }));
    },

    // F. objectives
    normalKl: (m1, lv1, m2, lv2) => run([m1, lv1, m2, lv2], (a, b, c, d) => G.normalKl(a, b, c, d)),
    discretizedGaussianLogLikelihood: (x, mean, logScale) => {
      useBackend();
      return run([x, mean, logScale], (a, m, l) => G.discretizedGaussianLogLikelihood(a, m, l, { approx: 'erf' }));
    },
    vbTerms: (betas, model: EpsModel, x0, t, noise) => {
      const s = sched(betas);
      const tensorModel = (xtT: tf.Tensor2D, tt: Timesteps) => {
        const xtHost = download(xtT);
        const out = model(xtHost, tt as number);
        return row(out);
      };
      const r = run([x0, noise], (a, z) => G.vbTerms(s, tensorModel, a, t, z, { approx: 'erf' }));
      return r[0];
    },

    // G, E3-E9: score-family samplers and guidance on tensors (src/gpu/samplers.ts, guidance.ts).
    // The process is the reference's (host float64 scalars α, σ, λ, f, g², shared by both tiers: see
    // src/gpu/model.ts); float64 models run through hostModel (x downloaded, output rounded to
    // float32). The mixture oracles have no tensor twin: those members are absent (not applicable).
    scoreProcess: (kind, options) => processOf(kind, options),
    discreteModelTime: (tc, N) => R.discreteModelTime(tc, N),
    scoreSampler: (name) => {
      const fn = getTensorSampler(name);
      return (model, x, timeGrid, options: SamplerOptions = {}) => {
        useBackend();
        const xs = R.checkBatch(x); // shape checks of the host batch (the tensor tier checks finiteness)
        const xT = toTensor(xs);
        const { callback, ...rest } = options;
        const topts: TensorSamplerOptions = { ...rest };
        if (callback) topts.callback = (i) => callback({ i: i.i, t: i.t, tNext: i.tNext, x: toRows(i.x), denoised: i.denoised ? toRows(i.denoised) : undefined });
        try {
          const out = fn(hostModel(model), xT, timeGrid, topts);
          try {
            return toRows(out);
          } finally {
            out.dispose();
          }
        } finally {
          xT.dispose();
        }
      };
    },
    classifierGuidance: (model, grad, w) => {
      useBackend();
      return hostView(tfClassifierGuidance(hostModel(model), (xT, t) => toTensor(grad(toRows(xT), t)), w));
    },
    classifierFreeGuidance: (cond, uncond, w) => {
      useBackend();
      return hostView(tfClassifierFreeGuidance(hostModel(cond), hostModel(uncond), w));
    },
  };
}

/** Rows → a float32 [batch, dim] tensor. */
function toTensor(rows: ArrayLike<number>[]): tf.Tensor2D {
  const d = rows[0]?.length ?? 0;
  const buf = new Float32Array(rows.length * d);
  rows.forEach((r, i) => buf.set(Float32Array.from(r), i * d));
  return tf.tensor2d(buf, [rows.length, d]);
}

/** A [batch, dim] tensor → float64 rows (not disposed). */
function toRows(t: tf.Tensor): Float64Array[] {
  const [n, d] = t.shape;
  const flat = t.dataSync();
  return Array.from({ length: n }, (_, r) => Float64Array.from(flat.subarray(r * d, (r + 1) * d)));
}

/** A tensor model seen as a host model (rows in, rows out; every tensor freed). */
function hostView(m: TensorDiffusionModel): DiffusionModel {
  return {
    process: m.process,
    output: m.output,
    apply: (rows, t) => {
      const xT = toTensor(rows);
      try {
        const out = tf.tidy(() => m.apply(xT, t));
        try {
          return toRows(out);
        } finally {
          out.dispose();
        }
      } finally {
        xT.dispose();
      }
    },
  };
}

/** Awaits `tf.setBackend(backendName)` and returns the impl; throws if the backend cannot start. */
export async function prepareTfjsImpl(backendName: string): Promise<TfjsImpl> {
  const ok = await tf.setBackend(backendName);
  await tf.ready();
  if (!ok || tf.getBackend() !== backendName) throw new Error(`tfjs backend '${backendName}' could not be initialized`);
  return makeTfjsImpl(backendName);
}
