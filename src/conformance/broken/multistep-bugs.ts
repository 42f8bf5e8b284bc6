/**
 * Deliberately broken multistep / flow implementations for the self-check of the issue-15 claims
 * (properties/selfcheck-multistep.test.ts). Each wraps the float64 reference with exactly one bug
 * seen in real scheduler code and names the claims expected to reject it.
 */
import type { DiffusionImpl } from '../interface.js';
import { referenceScoreImpl as ref } from '../impls/reference-score.js';
import * as R from '../../reference/index.js';
import type { BrokenScoreImpl } from './score-bugs.js';

type Rows = Float64Array[];

function broken(id: string, patch: Partial<DiffusionImpl>): DiffusionImpl {
  return { ...ref, ...patch, name: `broken: ${id}` };
}

function withSampler(id: string, name: string, fn: R.SamplerFn): DiffusionImpl {
  return broken(id, { scoreSampler: (n) => (n === name ? fn : R.getSampler(n)) });
}

// 1. PNDM combining raw model outputs (v̂) across steps and converting the combination once, at the
//    current (x, t): right for ε-models, wrong for v- (and x̂_0-, flow-) models.
const pndmRawV: R.SamplerFn = (model, x, grid, o = {}) => {
  const p = model.process;
  let cur = R.checkBatch(x);
  const hist: Rows[] = [];
  const asEps = (out: Rows, xx: Rows, t: number): Rows => R.modelEps(R.makeModel(p, model.output, () => out), xx, t);
  for (let i = 0; i + 1 < grid.length; i++) {
    const t = grid[i];
    const tn = grid[i + 1];
    const raw = model.apply(cur, t); // the raw output is what the buggy history keeps
    hist.unshift(raw);
    if (hist.length > 4) hist.length = 4;
    if (i < 3) {
      // pseudo-RK4 (correct, from e_1 = ε̂(x, t)), as PNDM's warm-up
      const tm = 0.5 * (t + tn);
      const e1 = asEps(raw, cur, t);
      const e2 = R.modelEps(model, R.pndmTransfer(p, cur, e1, t, tm), tm);
      const e3 = R.modelEps(model, R.pndmTransfer(p, cur, e2, t, tm), tm);
      const e4 = R.modelEps(model, R.pndmTransfer(p, cur, e3, t, tn), tn);
      cur = R.pndmTransfer(p, cur, R.lincomb([1 / 6, 2 / 6, 2 / 6, 1 / 6], [e1, e2, e3, e4]), t, tn);
    } else {
      const comb = R.lincomb(R.plmsCoefficients(hist.length), hist);
      cur = R.pndmTransfer(p, cur, asEps(comb, cur, t), t, tn);
    }
    o.callback?.({ i, t, tNext: tn, x: cur });
  }
  return cur;
};

// 2. Multistep history wrong at the first step: the warm-up is skipped, the missing previous
//    output is a zero-initialised buffer entry at the (nonexistent) previous grid time.
const firstStepFullOrder: R.SamplerFn = (model, x, grid, o = {}) => {
  const scheme = R.dpmSolverScheme('data');
  const p = model.process;
  const g = Array.from(grid);
  const tPrev = p.tOfLambda(2 * p.lambda(g[0]) - p.lambda(g[1])); // λ one step before t_0
  let cur = R.checkBatch(x);
  const hist: { t: number[]; m: Rows[] } = { t: [tPrev], m: [cur.map((r) => new Float64Array(r.length))] };
  for (let i = 0; i + 1 < g.length; i++) {
    const m = R.modelX0(model, cur, g[i]);
    hist.t.unshift(g[i]);
    hist.m.unshift(m);
    hist.t.length = Math.min(hist.t.length, 3);
    hist.m.length = Math.min(hist.m.length, 3);
    const q = Math.min(3, hist.t.length, g.length - 1 - i);
    cur = R.multistepUpdate(scheme, p, cur, g[i], g[i + 1], hist, q);
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur });
  }
  return cur;
};

// 3. lower_order_final missing: DPM-Solver++(3M) at full order up to the last step.
const noLowerOrderFinal: R.SamplerFn = (model, x, grid, o = {}) => R.sampleDpmSolverPP3M(model, x, grid, { ...(o as R.MultistepOptions), lowerOrderFinal: false });

// 4. Multistep history wrong at the last step: the last step reuses the previous step's output
//    (the buffer is not refreshed before the final update, so no model call at t_{N-1}).
const staleLastStep: R.SamplerFn = (model, x, grid, o = {}) => {
  const scheme = R.dpmSolverScheme('noise');
  const p = model.process;
  const g = Array.from(grid);
  const N = g.length - 1;
  let cur = R.checkBatch(x);
  const hist: { t: number[]; m: Rows[] } = { t: [], m: [] };
  for (let i = 0; i < N; i++) {
    if (i < N - 1) {
      hist.t.unshift(g[i]);
      hist.m.unshift(R.modelEps(model, cur, g[i]));
      hist.t.length = Math.min(hist.t.length, 2);
      hist.m.length = Math.min(hist.m.length, 2);
      cur = R.multistepUpdate(scheme, p, cur, g[i], g[i + 1], hist, R.stepOrder(2, i, N, true));
    } else {
      // first-order step from t_{N-1} with the stale output of t_{N-2}
      const stale = { t: [g[i]], m: [hist.m[0]] };
      cur = R.multistepUpdate(scheme, p, cur, g[i], g[i + 1], stale, 1);
    }
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur });
  }
  return cur;
};

// 5. Hard-coded ×1000 model time (1000·(t_c - 1/N)) for every schedule length N.
const modelTimeTimes1000 = (tc: number, N: number): number => 1000 * (tc - 1 / N);

// 6. Flow velocity with the opposite sign convention (x_0 - ε, as in some SD3 ports).
const flowSignFlipped: R.SamplerFn = (model, x, grid, o = {}) => {
  const g = Array.from(grid);
  let cur = R.checkBatch(x);
  for (let i = 0; i + 1 < g.length; i++) {
    const u = R.modelFlowVelocity(model, cur, g[i]);
    const dt = g[i + 1] - g[i];
    cur = cur.map((r, k) => r.map((v, d) => v - dt * u[k][d]));
    o.callback?.({ i, t: g[i], tNext: g[i + 1], x: cur });
  }
  return cur;
};

// 7. DEIS whose Lagrange extrapolation uses λ-spaced nodes but the time-polynomial integrals
//    (mixing the two variables): history times passed as λ values.
const deisMixedVariables: R.SamplerFn = (model, x, grid, o = {}) => {
  const p = model.process;
  const scheme: R.MultistepScheme = {
    name: 'DEIS (mixed variables)',
    prediction: 'noise',
    maxOrder: 3,
    predictor: (proc, s, t, times) => {
      const good = R.deisWeights(proc, s, t, times);
      if (times.length === 1) return good;
      // weights of a λ-polynomial applied as if they were for the time polynomial
      const F = R.expFrame(proc, 'noise', s, t);
      const offs = times.map((tau) => (p.lambda(tau) - p.lambda(s)) / F.h);
      return { base: good.base, w: R.taylorWeights(F, offs.map((v) => v * 0.5), 'taylor') };
    },
  };
  return R.runMultistep(scheme, model, x, grid, o as R.MultistepOptions, 3);
};

// 8. Third-order multistep with half the second-derivative term: D2 = (D1_0 - D1_1)/(r0 + r1) ≈ h²m''/2
//    multiplied by (φ_2(z) - ½) = h·φ_3(z) instead of 2h·φ_3(z) (the Taylor term h³φ_3 m''). This
//    is the coefficient of the widely used third-order multistep update (the dpm-solver reference
//    code's multistep_dpm_solver_third_update and its ports); measured interior order 2.07 instead
//    of 3.24 on the full VP range (issue 15 notes).
const halfSecondDerivative: R.SamplerFn = (model, x, grid, o = {}) => {
  const scheme: R.MultistepScheme = {
    name: 'DPM-Solver++(3M), D2 coefficient hφ₃',
    prediction: 'data',
    maxOrder: 3,
    predictor: (p, s, t, times) => {
      const F = R.expFrame(p, 'data', s, t);
      const off = times.map((u) => (p.lambda(u) - p.lambda(s)) / F.h);
      const w = R.taylorWeights(F, off, 'dpmsolver');
      if (times.length < 3) return { base: F.base, w };
      // row 2 of V⁻¹ (V_{jn} = off_j^n): Lagrange's second divided difference, 1/Π_{k≠j}(off_j - off_k)
      const row2 = off.map((oj, j) => 1 / off.reduce((acc, ok, k) => (k === j ? acc : acc * (oj - ok)), 1));
      const c2 = F.scale * F.h * R.phi(3, F.z);
      return { base: F.base, w: w.map((wj, j) => wj - c2 * row2[j]) }; // removes half of c2·2!·row2
    },
  };
  return R.runMultistep(scheme, model, x, grid, o as R.MultistepOptions, 3);
};

export const multistepBugs: BrokenScoreImpl[] = [
  { id: 'pndm-raw-v', bug: 'PNDM combining raw v̂ outputs across steps and converting once at the current (x, t)', expectedCaughtBy: ['multistep.parameterization'], impl: withSampler('pndm-raw-v', 'pndm', pndmRawV) },
  { id: 'multistep-first-step-full-order', bug: 'DPM-Solver++(3M) without warm-up: the first step uses a zero-initialised history entry', expectedCaughtBy: ['multistep.history', 'score.sampling-distribution'], impl: withSampler('multistep-first-step-full-order', 'dpm-solver++3m', firstStepFullOrder) },
  { id: 'missing-lower-order-final', bug: 'DPM-Solver++(3M) without lower_order_final (full order up to the last step)', expectedCaughtBy: ['multistep.history'], impl: withSampler('missing-lower-order-final', 'dpm-solver++3m', noLowerOrderFinal) },
  { id: 'multistep-stale-last-step', bug: 'DPM-Solver-2M whose last step reuses the previous output (history not refreshed before the final update)', expectedCaughtBy: ['multistep.history', 'multistep.order'], impl: withSampler('multistep-stale-last-step', 'dpm-solver-2m', staleLastStep) },
  { id: 'model-time-x1000', bug: 'discrete model time hard-coded as 1000·(t_c - 1/N) for every N', expectedCaughtBy: ['multistep.model-time'], impl: broken('model-time-x1000', { discreteModelTime: modelTimeTimes1000 }) },
  { id: 'flow-velocity-sign', bug: 'flow Euler integrating with the velocity x̂_0 - ε̂ (opposite sign convention)', expectedCaughtBy: ['score.sampling-distribution', 'multistep.first-order-equivalence'], impl: withSampler('flow-velocity-sign', 'flow-euler', flowSignFlipped) },
  { id: 'multistep3-half-second-derivative', bug: 'DPM-Solver++(3M) with D2 = (D1_0 - D1_1)/(r0 + r1) times (φ_2 - ½) = hφ_3 (half the Taylor term): interior order 2', expectedCaughtBy: ['multistep.order'], impl: withSampler('multistep3-half-second-derivative', 'dpm-solver++3m', halfSecondDerivative) },
  { id: 'deis-mixed-variables', bug: 'DEIS extrapolating in λ with misscaled nodes instead of the time polynomial', expectedCaughtBy: ['multistep.order', 'score.sampling-distribution'], impl: withSampler('deis-mixed-variables', 'deis', deisMixedVariables) },
];
