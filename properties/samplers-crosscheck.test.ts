/**
 * Catalog claim 13 for the samplers: every tensor sampler (src/gpu/samplers.ts) follows the float64
 * reference sampler of the same name (src/reference/samplers.ts) step by step, within a float32
 * tolerance derived from an error-propagation bound, on every tfjs backend present.
 *
 * Same denoiser, same noise in → same trajectory out. Two denoiser families drive both tiers:
 *  (a) the exact Gaussian-mixture oracle (src/reference/mixture.ts). The tensor tier calls it through
 *      `hostModel`: tensor → dataSync → the float64 oracle → tensor. That is fair because the denoiser
 *      is the *same function* on both tiers (its output is rounded once to float32); what is under test
 *      is the sampler arithmetic, not a second implementation of the oracle.
 *  (b) a fixed random linear denoiser f(x, t) = s(t)·A x + c(t)·b, s = 1/√(α²+σ²), c = t/tMax, written
 *      once in float64 and once on tensors (tf.matMul), used as ε̂, x̂_0, v̂ or score.
 * Noise: both tiers get a fresh `Rng(seed)`; the tensor samplers consume it in the reference order.
 *
 * Tolerance (first-order running error analysis, Higham 2002 §3; evaluated on the float64 reference):
 * let X_k be the reference trajectory (k = 0..N) and X̃_k the tensor one (X̃_0 = X_0, float32 exact).
 * The float32 error obeys e_k ≤ Σ_{j<k} P_{j+1→k}·δ_j, where
 *  - P_{m→k} = ‖∂X_k/∂X_m‖_∞ (max row sum of the Jacobian of the rest of the trajectory, noise fixed),
 *    measured by central finite differences of the float64 reference: the state after step m-1 is
 *    perturbed in the callback (the reference samplers continue from the mutated state), one column at
 *    a time in all rows (rows are independent except in predictor-corrector's batch-averaged norms);
 *  - δ_j = κ·u·[2(C_x|X_j| + Σ_m C^out_m·(|out_m| + ρ_m)) + |X_{j+1}| + Σ_m C^in_m|in_m|] is the local
 *    rounding error of step j: every step is a linear combination of n ≤ 5 terms (state, model outputs,
 *    noise); each term costs two roundings (coefficient to float32, product) and the sum n-1 more, at
 *    ≤ 2u per kernel operation (tfjs kernels measured ≤ 2.2u), so |error| ≤ 2(n+1)u·Σ|terms| with
 *    κ = 12. Σ|terms| ≤ 2(C_x|X_j| + Σ C^out|out|) + |X_{j+1}| (the noise term is bounded by the
 *    triangle inequality), where C_x = ‖∂X_{j+1}/∂X_j‖ with the model outputs frozen (the direct
 *    coefficient of the state) and C^out_m = ‖∂X_{j+1}/∂out_m‖ for model call m of the step. The
 *    rounding of each call's input (a stage value such as RK4's x + h k/2) enters through
 *    C^in_m = ‖∂X_{j+1}/∂in_m‖ (which contains the model's Lipschitz constant); ρ_m is the leaf's own
 *    float32 evaluation error over u: 0 for the oracle (rounded once: already in |out|), and
 *    (d+2)(‖A‖_∞ s|in| + c|b|) for the linear denoiser's matMul (Higham's γ_{d+2}).
 *    Predictor-corrector computes its corrector step size from float32 norms (relative error
 *    ≤ 2(d+2)u per norm, squared ratio): κ_PC = κ + 4(d+2).
 * The check at every step k is |X̃_k - X_k|_∞ ≤ K·E_k, K = 2 (second-order terms and the O(h²) error
 * of the finite differences), E_k = Σ_{j<k} P_{j+1→k} δ_j. The worst error and its bound are printed.
 *
 * Also: the DDIM/DDPM successor property on tensors (fast-check), noise injection = rng path, no
 * tensor leaks (tf.memory().numTensors constant), and input errors. Backends that cannot be loaded
 * here are registered as skipped tests that say why.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_NAMES, probeBackends, useBackend } from '../src/backend/backend.js';
import * as R from '../src/reference/index.js';
import { DiffusionInputError } from '../src/reference/errors.js';
import type { DiffusionModel, ModelOutput, Process, Rows } from '../src/reference/model.js';
import { hostModel, makeTensorModel, type TensorDiffusionModel, type TensorSamplerOptions } from '../src/gpu/model.js';
import { TENSOR_FAMILIES, TENSOR_SAMPLERS, getTensorSampler } from '../src/gpu/samplers.js';
import { classifierFreeGuidance as tCfg, classifierGuidance as tCg } from '../src/gpu/guidance.js';
import { FC_SEED } from '../src/conformance/harness.js';

const u = 2 ** -24;
const KAPPA = 12;
const K = 2;
const D = 2;
const BATCH = 3;

// ---------------------------------------------------------------------------------------------
// Denoiser families, instrumented on the reference side
// ---------------------------------------------------------------------------------------------

type Perturb = { step: number; call: number; kind: 'in' | 'out'; col: number; h: number } | null;
interface CallRec {
  inMax: number;
  outMax: number;
  rho: number;
  out: Rows;
}

/** Global instrumentation of the reference leaf calls (steps are counted by the callback). */
const H = {
  step: 0,
  call: 0,
  perturb: null as Perturb,
  replayStep: -1,
  record: null as CallRec[][] | null,
  replay: null as CallRec[][] | null,
};

const maxAbs = (x: Rows) => Math.max(0, ...x.map((r) => Math.max(...Array.from(r, Math.abs))));
const copyRows = (x: Rows): Rows => x.map((r) => Float64Array.from(r));
const addCol = (x: Rows, col: number, h: number): Rows => x.map((r) => r.map((v, i) => (i === col ? v + h : v)));

/** Wrap a float64 leaf (model apply or classifier gradient) with recording, perturbation and replay. */
function leaf(fn: (x: Rows, t: number) => Rows, rho: (inMax: number, t: number) => number): (x: Rows, t: number) => Rows {
  return (x, t) => {
    const j = H.step;
    const m = H.call++;
    if (H.replay && j === H.replayStep) return copyRows(H.replay[j][m].out);
    const p = H.perturb;
    const xin = p && p.kind === 'in' && p.step === j && p.call === m ? addCol(x, p.col, p.h) : x;
    let out = fn(xin, t);
    if (p && p.kind === 'out' && p.step === j && p.call === m) out = addCol(out, p.col, p.h);
    if (H.record) {
      (H.record[j] ??= [])[m] = { inMax: maxAbs(x), outMax: maxAbs(out), rho: rho(maxAbs(x), t), out: copyRows(out) };
    }
    return out;
  };
}

interface Family {
  name: string;
  /** Reference and tensor model of one role on a process. */
  model(p: Process, output: ModelOutput, role: 'base' | 'cond' | 'uncond'): { ref: DiffusionModel; tensor: TensorDiffusionModel };
  /** Classifier gradient ∇log p_t(y=0 | x) on both tiers. */
  grad(p: Process): { ref: (x: Rows, t: number) => Rows; tensor: (x: tf.Tensor2D, t: number) => tf.Tensor2D };
}

const MIX = R.makeMixture({ weights: [0.6, 0.4], means: [[1.5, -0.5], [-1, 1]], stds: [0.3, 0.5], labels: [0, 1] });

function hostFn(fn: (x: Rows, t: number) => Rows): (x: tf.Tensor2D, t: number) => tf.Tensor2D {
  return (x, t) => {
    const [n, d] = x.shape;
    const flat = x.dataSync();
    const rows = Array.from({ length: n }, (_, r) => Float64Array.from(flat.subarray(r * d, (r + 1) * d)));
    const out = fn(rows, t);
    const buf = new Float32Array(n * d);
    out.forEach((row, r) => buf.set(row, r * d));
    return tf.tensor2d(buf, [n, d]);
  };
}

const oracle: Family = {
  name: 'mixture oracle',
  model(p, output, role) {
    const mix = role === 'cond' ? R.conditionalMixture(MIX, 0) : MIX;
    const m = R.mixtureModel(mix, p, output);
    // The tensor tier calls the unwrapped float64 oracle (hostModel); the reference side is instrumented.
    return { ref: R.makeModel(p, output, leaf(m.apply, () => 0)), tensor: hostModel(m) };
  },
  grad(p) {
    const g = (x: Rows, t: number) => {
      const { alpha, sigma } = R.atTime(p, t);
      return R.mixtureClassifierGrad(MIX, 0, alpha, sigma, x) as Rows;
    };
    return { ref: leaf(g, () => 0), tensor: hostFn(g) };
  },
};

/** f(x, t) = s(t)·A x + c(t)·b with A, b from a seeded Rng (entries N(0, 0.5²/d), N(0, 0.5²)). */
function linearPair(p: Process, seed: number) {
  const rng = new R.Rng(seed);
  const A = Array.from({ length: D }, () => Array.from(rng.normals(D), (v) => (0.5 * v) / Math.sqrt(D)));
  const b = Array.from(rng.normals(D), (v) => 0.5 * v);
  // Round A and b to float32 so both tiers use the same numbers.
  const A32 = A.map((r) => r.map((v) => Math.fround(v)));
  const b32 = b.map((v) => Math.fround(v));
  const normA = Math.max(...A32.map((r) => r.reduce((s, v) => s + Math.abs(v), 0)));
  const normB = Math.max(...b32.map(Math.abs));
  const sOf = (t: number) => 1 / Math.sqrt(p.alpha(t) ** 2 + p.sigma(t) ** 2);
  const cOf = (t: number) => t / p.tMax;
  const ref = (x: Rows, t: number): Rows => {
    const s = sOf(t);
    const c = cOf(t);
    return x.map((row) => Float64Array.from(A32, (ar, i) => s * ar.reduce((acc, a, k) => acc + a * row[k], 0) + c * b32[i]));
  };
  // The constant tensors are created inside each call (inside the sampler's tf.tidy): nothing to free.
  const tensor = (x: tf.Tensor2D, t: number) =>
    tf.add(tf.mul(tf.matMul(x, tf.tensor2d(A32.flat(), [D, D]), false, true), sOf(t)), tf.mul(tf.tensor2d(b32, [1, D]), cOf(t))) as tf.Tensor2D;
  const rho = (inMax: number, t: number) => (D + 2) * (normA * sOf(t) * inMax + cOf(t) * normB);
  return { ref, tensor, rho };
}

const linear: Family = {
  name: 'linear denoiser',
  model(p, output, role) {
    const l = linearPair(p, role === 'base' ? 101 : role === 'cond' ? 102 : 103);
    return { ref: R.makeModel(p, output, leaf(l.ref, l.rho)), tensor: makeTensorModel(p, output, l.tensor) };
  },
  grad(p) {
    const l = linearPair(p, 104);
    return { ref: leaf(l.ref, l.rho), tensor: l.tensor };
  },
};

// ---------------------------------------------------------------------------------------------
// Cases: every sampler of the registry, plus guidance
// ---------------------------------------------------------------------------------------------

const vp = R.vpProcess();
const ve = R.veProcess({ sigmaMin: 0.01, sigmaMax: 10 });
const disc = R.discreteVpProcess(R.betaSchedule('linear', 100, { scaleToT: true }));
const indi = R.indiProcess();
const indiS = R.indiProcess({ extraNoise: 0.5 });

interface Case {
  label: string;
  sampler: R.SamplerName;
  process: Process;
  output: ModelOutput;
  grid: number[];
  options: Omit<R.SamplerOptions, 'rng' | 'callback'>;
  scale?: number;
  guidance?: 'cfg' | 'classifier';
}

/** The cross-check's meaning of the descriptors' test-process names (src/reference/samplers.ts TestProcess). */
const TEST_PROCESSES: Record<R.TestProcess, Process | null> = { vp, ve, 'discrete-vp': disc, indi, 'indi-extra-noise': indiS, 'seed-4.3': null, flow: R.flowProcess() };

function caseOf(d: R.SamplerDescriptor & { name: R.SamplerName }, c: R.CrossCheck): Case {
  const process = TEST_PROCESSES[c.process];
  if (!process) throw new Error(`${d.name}: no cross-check process '${c.process}'`);
  const grid = c.grid
    ? [...c.grid]
    : d.grid === 'integer'
      ? R.ancestralTimeGrid(process.tMax, c.steps!, c.spacing as 'leading')
      : Array.from(R.makeTimeGrid(process, c.steps!, { spacing: (c.spacing ?? 'time') as 'time' }));
  return { label: c.label, sampler: d.name, process, output: c.output, grid, options: { ...(c.options ?? {}) }, ...(c.scale ? { scale: c.scale } : {}) };
}

/** Every sampler's runs from the descriptor table, plus guidance on two of them. */
const CASES: Case[] = [
  ...R.SAMPLER_LIST.flatMap((d) => d.checks.crosscheck.map((c) => caseOf(d, c))),
  { label: 'classifier-free guidance w=2, ddim', sampler: 'ddim', process: disc, output: 'eps', grid: R.ancestralTimeGrid(100, 8, 'trailing'), options: { eta: 0 }, guidance: 'cfg' },
  { label: 'classifier guidance w=1.5, dpm-solver-2', sampler: 'dpm-solver-2', process: vp, output: 'eps', grid: Array.from(R.makeTimeGrid(vp, 6, { spacing: 'logsnr' })), options: {}, guidance: 'classifier' },
];

const SEED = 7;

function buildModels(c: Case, fam: Family): { ref: DiffusionModel; tensor: TensorDiffusionModel } {
  if (c.guidance === 'cfg') {
    const cond = fam.model(c.process, c.output, 'cond');
    const unc = fam.model(c.process, c.output, 'uncond');
    return { ref: R.classifierFreeGuidance(cond.ref, unc.ref, 2), tensor: tCfg(cond.tensor, unc.tensor, 2) };
  }
  const base = fam.model(c.process, c.output, 'base');
  if (c.guidance === 'classifier') {
    const g = fam.grad(c.process);
    return { ref: R.classifierGuidance(base.ref, g.ref, 1.5), tensor: tCg(base.tensor, g.tensor, 1.5) };
  }
  return base;
}

function initialX(c: Case): Rows {
  const rng = new R.Rng(11);
  return rng.normalBatch(BATCH, D).map((r) => r.map((v) => Math.fround(v * (c.scale ?? 1))));
}

const STOP = Symbol('stop');

/** One reference run with instrumentation; returns X_0..X_N (or up to the stop step). */
function runRef(c: Case, model: DiffusionModel, opts: { stateAt?: { m: number; col: number; h: number }; stopAfter?: number; perturb?: Perturb; replayStep?: number; record?: CallRec[][]; replay?: CallRec[][] }): Rows[] {
  H.step = 0;
  H.call = 0;
  H.perturb = opts.perturb ?? null;
  H.record = opts.record ?? null;
  H.replay = opts.replay ?? null;
  H.replayStep = opts.replayStep ?? -1;
  let x0 = initialX(c);
  if (opts.stateAt && opts.stateAt.m === 0) x0 = addCol(x0, opts.stateAt.col, opts.stateAt.h);
  const X: Rows[] = [copyRows(x0)];
  try {
    R.getSampler(c.sampler)(model, x0, c.grid, {
      ...c.options,
      rng: new R.Rng(SEED),
      callback: (info) => {
        X.push(copyRows(info.x));
        const k = info.i + 1;
        const s = opts.stateAt;
        if (s && s.m === k) for (const row of info.x) row[s.col] += s.h;
        H.step = k;
        H.call = 0;
        if (opts.stopAfter !== undefined && k >= opts.stopAfter) throw STOP;
      },
    });
  } catch (e) {
    if (e !== STOP) throw e;
  } finally {
    H.perturb = null;
    H.record = null;
    H.replay = null;
  }
  return X;
}

/** max_{r,i} Σ_col |ΔX(r,i)|/(2h) over the columns' central differences. */
function normOfDiffs(diffs: { plus: Rows; minus: Rows; h: number }[]): number {
  const n = diffs[0].plus.length;
  let best = 0;
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < D; i++) {
      let s = 0;
      for (const d of diffs) s += Math.abs(d.plus[r][i] - d.minus[r][i]) / (2 * d.h);
      best = Math.max(best, s);
    }
  }
  return best;
}

interface Bound {
  X: Rows[];
  E: number[];
}

function computeBound(c: Case, fam: Family): Bound {
  const { ref } = buildModels(c, fam);
  const record: CallRec[][] = [];
  const X = runRef(c, ref, { record });
  const N = X.length - 1;
  const hOf = (v: number) => 1e-6 * Math.max(1, v);
  // P_{m→k} for m = 1..N (perturb X_m, observe X_k, k ≥ m).
  const P: number[][] = Array.from({ length: N + 1 }, () => new Array(N + 1).fill(0));
  for (let m = 1; m < N; m++) {
    const h = hOf(maxAbs(X[m]));
    const runs = Array.from({ length: D }, (_, col) => ({
      plus: runRef(c, ref, { stateAt: { m, col, h } }),
      minus: runRef(c, ref, { stateAt: { m, col, h: -h } }),
    }));
    for (let k = m + 1; k <= N; k++) P[m][k] = normOfDiffs(runs.map((r) => ({ plus: r.plus[k], minus: r.minus[k], h })));
  }
  for (let m = 0; m <= N; m++) P[m][m] = 1;
  const kappa = KAPPA + (c.sampler === 'predictor-corrector' ? 4 * (D + 2) : 0);
  const delta: number[] = [];
  for (let j = 0; j < N; j++) {
    const calls = record[j] ?? [];
    const hx = hOf(maxAbs(X[j]));
    const cx = normOfDiffs(
      Array.from({ length: D }, (_, col) => ({
        plus: runRef(c, ref, { stateAt: { m: j, col, h: hx }, stopAfter: j + 1, replay: record, replayStep: j })[j + 1],
        minus: runRef(c, ref, { stateAt: { m: j, col, h: -hx }, stopAfter: j + 1, replay: record, replayStep: j })[j + 1],
        h: hx,
      })),
    );
    let sumOut = 0;
    let sumIn = 0;
    calls.forEach((rec, m) => {
      for (const kind of ['out', 'in'] as const) {
        const h = hOf(kind === 'out' ? rec.outMax : rec.inMax);
        const g = normOfDiffs(
          Array.from({ length: D }, (_, col) => ({
            plus: runRef(c, ref, { perturb: { step: j, call: m, kind, col, h }, stopAfter: j + 1 })[j + 1],
            minus: runRef(c, ref, { perturb: { step: j, call: m, kind, col, h: -h }, stopAfter: j + 1 })[j + 1],
            h,
          })),
        );
        if (kind === 'out') sumOut += g * (rec.outMax + rec.rho);
        else sumIn += g * rec.inMax;
      }
    });
    delta.push(kappa * u * (2 * (cx * maxAbs(X[j]) + sumOut) + maxAbs(X[j + 1]) + sumIn));
  }
  const E = new Array(N + 1).fill(0);
  for (let k = 1; k <= N; k++) for (let j = 0; j < k; j++) E[k] += P[j + 1][k] * delta[j];
  return { X, E };
}

function tensorRun(c: Case, fam: Family, extra: Partial<TensorSamplerOptions> = {}): { X: Rows[]; calls: [number, number][] } {
  const { tensor } = buildModels(c, fam);
  const x0 = initialX(c);
  const xt = tf.tensor2d(Float32Array.from(x0.flatMap((r) => Array.from(r))), [BATCH, D]);
  const X: Rows[] = [x0];
  const ticks: [number, number][] = [];
  const before = tf.memory().numTensors;
  const out = getTensorSampler(c.sampler)(tensor, xt, c.grid, {
    ...c.options,
    rng: new R.Rng(SEED),
    ...extra,
    callback: (info) => {
      const flat = info.x.dataSync();
      X.push(Array.from({ length: BATCH }, (_, r) => Float64Array.from(flat.subarray(r * D, (r + 1) * D))));
      ticks.push([info.t, info.tNext]);
    },
  });
  const last = out.dataSync();
  expect(Array.from(last)).toEqual(X[X.length - 1].flatMap((r) => Array.from(r)).map(Math.fround));
  out.dispose();
  expect(tf.memory().numTensors, `${c.label}: tensors leaked`).toBe(before);
  xt.dispose();
  return { X, calls: ticks };
}

// ---------------------------------------------------------------------------------------------
// Bounds (float64, once) and the checks per backend
// ---------------------------------------------------------------------------------------------

const FAMILIES = [oracle, linear];
const bounds = new Map<string, Bound>();
const boundTime = performance.now();
for (const c of CASES) for (const fam of FAMILIES) bounds.set(`${c.label} | ${fam.name}`, computeBound(c, fam));
const boundMs = performance.now() - boundTime;

const probes = await probeBackends();

describe('samplers cross-check: setup', () => {
  it(`every registered sampler has a tensor twin and a case (bounds computed in ${boundMs.toFixed(0)} ms)`, () => {
    expect(Object.keys(TENSOR_SAMPLERS).sort()).toEqual([...R.SAMPLER_NAMES].sort());
    const covered = new Set(CASES.map((c) => c.sampler));
    for (const n of R.SAMPLER_NAMES) expect(covered.has(n), n).toBe(true);
    // Each descriptor's function resolves in both tiers' family files under the same export name.
    for (const d of R.SAMPLER_LIST) {
      expect((R.REFERENCE_FAMILIES[d.family] as Record<string, unknown>)[d.fn], `reference ${d.family}.${d.fn}`).toBe(R.SAMPLERS[d.name]);
      expect((TENSOR_FAMILIES[d.family] as Record<string, unknown>)[d.fn], `gpu ${d.family}.${d.fn}`).toBe(TENSOR_SAMPLERS[d.name]);
      expect(typeof TENSOR_SAMPLERS[d.name], d.name).toBe('function');
    }
    expect(() => getTensorSampler('ddim2')).toThrow(DiffusionInputError);
  });
  it('the bounds are finite and positive, and the reference trajectories are non-trivial', () => {
    for (const [k, b] of bounds) {
      expect(b.E.slice(1).every((e) => Number.isFinite(e) && e > 0), k).toBe(true);
      expect(maxAbs(b.X[b.X.length - 1]), k).toBeGreaterThan(1e-3);
    }
  });
});

for (const name of BACKEND_NAMES) {
  const probe = probes.find((p) => p.name === name)!;
  if (name === 'webgpu') {
    // These checks read tensors synchronously (dataSync), which tfjs-webgpu cannot do in Node
    // (docs/backends.md, WebGPU): skipped visibly on webgpu, whatever the adapter, until they read asynchronously.
    describe(`samplers cross-check [webgpu]`, () => {
      it.skip(`backend 'webgpu' not run: these checks read synchronously, which tfjs-webgpu cannot do in Node (${probe.ok ? probe.adapter : probe.reason})`, () => {});
    });
    continue;
  }
  if (!probe.ok) {
    describe(`samplers cross-check [${name}]`, () => {
      it.skip(`backend '${name}' not present here: ${probe.reason}`, () => {});
    });
    continue;
  }
  describe(`samplers cross-check [${name}]`, () => {
    beforeAll(async () => {
      await useBackend(name);
    });

    for (const c of CASES) {
      it(`${c.label}: tensor trajectory = float64 trajectory within K·E_k at every step (both denoisers)`, () => {
        const lines: string[] = [];
        for (const fam of FAMILIES) {
          const b = bounds.get(`${c.label} | ${fam.name}`)!;
          const { X, calls } = tensorRun(c, fam);
          expect(X.length, `${c.label}: number of steps`).toBe(b.X.length);
          let worstRatio = 0;
          let worst = { k: 0, err: 0, tol: 0 };
          for (let k = 1; k < X.length; k++) {
            let err = 0;
            for (let r = 0; r < BATCH; r++) for (let i = 0; i < D; i++) err = Math.max(err, Math.abs(X[k][r][i] - b.X[k][r][i]));
            const tol = K * b.E[k];
            if (err / tol >= worstRatio) {
              worstRatio = err / tol;
              worst = { k, err, tol };
            }
            expect(err, `${c.label} (${fam.name}) step ${k}: |X̃-X| = ${err.toExponential(3)} > K·E = ${tol.toExponential(3)}`).toBeLessThanOrEqual(tol);
          }
          expect(calls.length).toBe(X.length - 1);
          lines.push(`${fam.name}: worst |err| ${worst.err.toExponential(2)} vs bound ${worst.tol.toExponential(2)} at step ${worst.k} (ratio ${worstRatio.toFixed(3)})`);
        }
        console.log(`[${name}] ${c.label}: ${lines.join('; ')}`);
      });
    }

    it('options.noise(step, shape, draw) injection reproduces the rng path exactly (Float64Array and tensor returns)', () => {
      for (const label of ['predictor-corrector VE', 'ddpm posterior, trailing 10', 'langevin at VP t=0.05']) {
        const c = CASES.find((k) => k.label === label)!;
        const viaRng = tensorRun(c, linear).X;
        const shared = new R.Rng(SEED);
        const seen: [number, number][] = [];
        const viaFn = tensorRun(c, linear, {
          rng: undefined,
          noise: (step, shape, draw) => {
            seen.push([step, draw]);
            const z = shared.normals(shape[0] * shape[1]);
            return draw % 2 === 0 ? z : tf.tensor2d(Float32Array.from(z), shape);
          },
        }).X;
        expect(viaFn).toEqual(viaRng);
        if (c.sampler === 'predictor-corrector') expect(seen.slice(0, 3)).toEqual([[0, 0], [0, 1], [0, 2]]);
        if (c.sampler === 'ddpm') expect(seen.map((s) => s[0])).toEqual(Array.from({ length: 9 }, (_, i) => i)); // no draw on the last step
      }
    });

    it('DDIM/DDPM successor property: the step from timesteps[i] lands on timesteps[i+1] (0 after the last), via the callback and via the ᾱ used', () => {
      const zeroEps = (p: Process, seenT: number[]) =>
        makeTensorModel(p, 'eps', (x, t) => {
          seenT.push(t);
          return tf.zerosLike(x);
        });
      fc.assert(
        fc.property(
          fc.integer({ min: 2, max: 150 }).chain((T) => fc.tuple(fc.constant(T), fc.integer({ min: 1, max: Math.min(T, 25) }), fc.constantFrom(...R.SPACINGS), fc.constantFrom('ddim', 'ddpm'))),
          ([T, steps, spacing, sampler]) => {
            const betas = R.betaSchedule('linear', T);
            const p = R.discreteVpProcess(betas);
            const sched = R.makeSchedule(betas);
            const ts = R.ddimTimesteps(T, steps, spacing);
            const seenT: number[] = [];
            const ticks: { t: number; tNext: number; x: number }[] = [];
            const x = tf.ones([1, 1]) as tf.Tensor2D;
            const out = getTensorSampler(sampler)(zeroEps(p, seenT), x, R.ancestralTimeGrid(T, steps, spacing), {
              noise: (_s, shape) => new Float64Array(shape[0] * shape[1]),
              callback: (info) => ticks.push({ t: info.t, tNext: info.tNext, x: info.x.dataSync()[0] }),
            });
            out.dispose();
            x.dispose();
            expect(ticks.map((k) => k.t)).toEqual(ts);
            expect(ticks.map((k) => k.tNext)).toEqual([...ts.slice(1), 0]);
            expect(seenT).toEqual(ts);
            // With ε̂ = 0 and z = 0 both steps scale x by √(ᾱ_{t'}/ᾱ_t): the ᾱ of the reported (t, t').
            let prev = 1;
            for (const k of ticks) {
              const want = Math.exp(0.5 * (sched.logAlphaBar(k.tNext) - sched.logAlphaBar(k.t)));
              // float32: x and the coefficients rounded (3u), product (u), per step; relative to x.
              expect(Math.abs(k.x / prev - want) / want).toBeLessThanOrEqual(8 * u * 2);
              prev = k.x;
            }
          },
        ),
        { seed: FC_SEED, numRuns: 40 },
      );
    });

    it('bad input is named: NaN in x, missing noise source, a diverging sampler, inadmissible η', () => {
      const c = CASES.find((k) => k.sampler === 'ddpm')!; // the first ddpm case (a discrete-VP integer grid)
      const { tensor } = buildModels(c, linear);
      const before = tf.memory().numTensors;
      const bad = tf.tensor2d([0, NaN, 1, 2], [2, 2]);
      expect(() => getTensorSampler('ddpm')(tensor, bad, c.grid, { rng: new R.Rng(0) })).toThrow(/^x\[0\]\[1\]/);
      bad.dispose();
      const x = tf.zeros([2, 2]) as tf.Tensor2D;
      expect(() => getTensorSampler('ddpm')(tensor, x, c.grid, {})).toThrow(/^options\.rng/);
      expect(() => getTensorSampler('ddim')(tensor, x, c.grid, { eta: 50, rng: new R.Rng(0) })).toThrow(/^options\.eta/);
      const blowUp = makeTensorModel(vp, 'eps', (xx) => tf.mul(tf.add(xx, 1), 1e30) as tf.Tensor2D);
      expect(() => getTensorSampler('ode-euler')(blowUp, x, [1, 0.5, 0.1], {})).toThrow(/sampleOdeEuler step \d/);
      x.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  });
}
