/**
 * Vectors of the multistep solvers and rectified flow (issue 15): multistep.json.
 *
 * A multistep step needs its history: the vectors give it as inputs. The model is a 'sequence'
 * fixture (call k at times[k] returns values[k]): the model outputs every call of the run sees,
 * recorded from the exact mixture oracle along the reference trajectory. An implementation run on
 * the vector's grid makes the same calls (one per step for the multistep solvers; PNDM's pseudo-RK
 * warm-up makes four) and must land on the expected final state; a history bug (first step at full
 * order, no lower-order final step, raw outputs combined) changes it.
 */
import type { DiffusionImpl, MixtureSpec, ModelOutput } from '../interface.js';
import * as R from '../../reference/index.js';
import { FamilyBuilder, type FamilyFn, type GroupBuilder } from './builder.js';
import { SCORE_TIME_CONVENTION } from './format.js';
import { referenceProcess, type ProcessSpec } from './score-ops.js';

const MIX2: MixtureSpec = {
  weights: [0.5, 0.3, 0.2],
  means: [[1.5, -0.5], [-1, 1], [0.2, -1.8]],
  variances: [[0.3, 0.5], [0.2, 0.2], [0.6, 0.1]],
};
const VP: ProcessSpec = { kind: 'vp', options: { betaMin: 0.1, betaMax: 20 } };
const FLOW: ProcessSpec = { kind: 'flow', options: {} };
function discreteVp(impl: DiffusionImpl): ProcessSpec {
  return { kind: 'discrete-vp', betas: Array.from(impl.betaSchedule!('linear', 20, { betaStart: 0.001, betaEnd: 0.2 })) };
}

/** The outputs of every model call of the reference run (the history the vector gives). */
function recordSequence(sampler: string, proc: ProcessSpec, output: ModelOutput, x: number[], grid: number[], options: Record<string, unknown>) {
  const p = referenceProcess(proc);
  const oracle = R.mixtureModel(R.makeMixture(MIX2), p, output);
  const times: number[] = [];
  const values: number[][] = [];
  const rec = R.makeModel(p, output, (rows, t) => {
    const out = oracle.apply(rows, t);
    times.push(t);
    values.push(Array.from(out[0]));
    return out;
  });
  R.getSampler(sampler)(rec, [Float64Array.from(x)], grid, options);
  return { kind: 'sequence', output, times, values };
}

function start(g: GroupBuilder, proc: ProcessSpec, t: number): number[] {
  const p = referenceProcess(proc);
  const z = g.normals(2);
  return [p.alpha(t) * 0.4 + p.sigma(t) * z[0], -p.alpha(t) * 0.3 + p.sigma(t) * z[1]];
}

export const multistep: FamilyFn = (impl) => {
  const f = new FamilyBuilder(
    impl,
    'multistep',
    [
      'Issue 15: whole runs of the multistep solvers (DPM-Solver/++ multistep, UniPC, DEIS tAB, PNDM/PLMS), singlestep DPM-Solver++ and the rectified-flow samplers; op samplerStep, output = the final state.',
      "Multistep runs use a 'sequence' model: the outputs of the run's successive model calls (recorded from the exact mixture oracle), so the history each step combines is given as input.",
      'Warm-up: step i of a k-th order multistep solver has order min(k, i + 1); lowerOrderFinal (default true): order ≤ N - i. See src/reference/multistep.ts.',
    ],
    undefined,
    SCORE_TIME_CONVENTION,
  );
  const DVP = discreteVp(impl);
  const seqRun = (g: GroupBuilder, name: string, sampler: string, proc: ProcessSpec, grid: number[], output: ModelOutput, options: Record<string, unknown>, flags: string[], comment?: string) => {
    const x = start(g, proc, grid[0]);
    const model = recordSequence(sampler, proc, output, x, grid, options);
    g.valid(name, { sampler, process: proc, model, x, timeGrid: grid, options }, flags, comment);
  };
  const mixRun = (g: GroupBuilder, name: string, sampler: string, proc: ProcessSpec, grid: number[], output: ModelOutput, options: Record<string, unknown>, flags: string[], comment?: string) => {
    const x = start(g, proc, grid[0]);
    g.valid(name, { sampler, process: proc, model: { kind: 'mixture', output, mixture: MIX2 }, x, timeGrid: grid, options }, flags, comment);
  };
  const vp = referenceProcess(VP);
  const lg = (n: number, a = 0.8, b = 0.1) => Array.from(R.makeSolverGrid(vp, n, { spacing: 'logsnr', tStart: a, tEnd: b }));

  const d = f.group('dpm-solver-multistep', 'samplerStep', 'DPM-Solver (ε) and DPM-Solver++ (x̂_0) multistep, orders 2-3, with the model outputs of every step given.');
  seqRun(d, 'pp3m-vp-x0-5-steps', 'dpm-solver++3m', VP, lg(5), 'x0', {}, ['LOWER_ORDER_FINAL', 'MULTISTEP_WARMUP'], 'orders 1, 2, 3, 2, 1');
  seqRun(d, 'pp3m-vp-v-model-6-steps', 'dpm-solver++3m', VP, lg(6), 'v', {}, ['LOWER_ORDER_FINAL', 'MULTISTEP_WARMUP'], 'v-model: each history entry is x̂_0 converted at its own (x_i, t_i)');
  seqRun(d, 'pp3m-no-lower-order-final', 'dpm-solver++3m', VP, lg(5), 'x0', { lowerOrderFinal: false }, ['MULTISTEP_WARMUP'], 'orders 1, 2, 3, 3, 3');
  seqRun(d, 'pp3m-taylor', 'dpm-solver++3m', VP, lg(4), 'eps', { solverType: 'taylor' }, ['MULTISTEP_WARMUP']);
  seqRun(d, '2m-vp-eps-4-steps', 'dpm-solver-2m', VP, lg(4), 'eps', {}, []);
  seqRun(d, '3m-vp-score-model-5-steps', 'dpm-solver-3m', VP, lg(5), 'score', {}, []);
  seqRun(d, '3m-discrete-vp-integer-grid', 'dpm-solver-3m', DVP, [18, 14, 10, 6, 2], 'eps', {}, [], 'integer times of a discrete schedule');
  seqRun(d, '2m-order-1-is-ddim', 'dpm-solver-2m', DVP, [18, 12, 6], 'eps', { order: 1 }, [], 'order 1: DDIM η = 0 step for step');

  const u = f.group('unipc', 'samplerStep', 'UniPC: UniP-p predictor, UniC-p corrector with the next step\'s model output (Zhao et al. 2023); the last step is not corrected.');
  seqRun(u, 'bh1-order-2-x0', 'unipc-bh1', VP, lg(5), 'x0', {}, []);
  seqRun(u, 'bh2-order-3-eps', 'unipc-bh2', VP, lg(6), 'eps', { order: 3 }, []);
  seqRun(u, 'bh2-no-corrector', 'unipc-bh2', VP, lg(4), 'x0', { corrector: false }, [], '= DPM-Solver++(2M) with lowerOrderFinal');
  seqRun(u, 'bh2-noise-prediction', 'unipc-bh2', VP, lg(4), 'eps', { prediction: 'noise' }, []);

  const de = f.group('deis', 'samplerStep', 'DEIS tAB-k: ε̂ extrapolated by its Lagrange polynomial in t, integrated exactly in ρ = σ/α (Zhang & Chen 2023).');
  seqRun(de, 'tab3-vp-5-steps', 'deis', VP, lg(5), 'eps', {}, []);
  seqRun(de, 'tab2-vp-x0-model', 'deis', VP, lg(4), 'x0', { order: 2 }, []);

  const pn = f.group('pndm', 'samplerStep', 'PNDM (3 pseudo-RK4 steps, then PLMS) and PLMS only (Liu et al. 2022 eqs. 11-13).');
  const tg = (n: number) => Array.from(R.makeSolverGrid(vp, n, { tStart: 0.8, tEnd: 0.1 }));
  seqRun(pn, 'pndm-vp-v-model-6-steps', 'pndm', VP, tg(6), 'v', {}, ['PNDM_RAW_V'], 'v-model: ε̂ converted at each output\'s own (x, t) before the combination');
  seqRun(pn, 'pndm-vp-eps-5-steps', 'pndm', VP, tg(5), 'eps', {}, []);
  seqRun(pn, 'plms-vp-v-model-6-steps', 'plms', VP, tg(6), 'v', {}, []);

  const ss = f.group('dpm-solver-singlestep', 'samplerStep', 'Singlestep DPM-Solver++(2S)/(3S) with the exact mixture model (intermediate times uniform in λ).');
  mixRun(ss, 'pp2s-vp-x0-2-steps', 'dpm-solver++2s', VP, lg(2), 'x0', {}, []);
  mixRun(ss, 'pp3s-vp-eps-2-steps', 'dpm-solver++3s', VP, lg(2), 'eps', {}, []);

  const fl = f.group('flow', 'samplerStep', 'Rectified flow x_t = (1-t)x_0 + tε: Euler and Heun on dx/dt = ε̂ - x̂_0, SD3-shifted grids (Liu et al. 2023; Esser et al. 2024).');
  mixRun(fl, 'euler-flow-model-shift-3', 'flow-euler', FLOW, Array.from(R.makeFlowGrid(4, { shift: 3 })), 'flow', {}, ['FLOW_VELOCITY_SIGN'], 't from 1 to 0 on the shift-3 grid');
  mixRun(fl, 'euler-x0-model', 'flow-euler', FLOW, Array.from(R.makeFlowGrid(3)), 'x0', {}, ['FLOW_VELOCITY_SIGN']);
  mixRun(fl, 'heun-x0-model', 'flow-heun', FLOW, Array.from(R.makeFlowGrid(3, { shift: 2 })), 'x0', {}, [], 'Heun, Euler on the last step to t = 0');

  const inv = f.group('invalid-runs', 'samplerStep', 'Inputs an implementation must reject.');
  const x = [0.3, -0.2];
  const mm = { kind: 'mixture', output: 'eps', mixture: MIX2 };
  inv.invalid('order-4', { sampler: 'dpm-solver++3m', process: VP, model: mm, x, timeGrid: lg(3), options: { order: 4 } }, 'multistep order above 3');
  inv.invalid('lambda-infinite-at-end', { sampler: 'dpm-solver-2m', process: VP, model: mm, x, timeGrid: [0.5, 0.2, 0], options: {} }, 'λ(0) = +∞ on a VP process');
  inv.invalid('unipc-unknown-prediction', { sampler: 'unipc-bh2', process: VP, model: mm, x, timeGrid: lg(3), options: { prediction: 'velocity' } }, "prediction must be 'noise' or 'data'");
  inv.invalid('flow-euler-on-vp', { sampler: 'flow-euler', process: VP, model: mm, x, timeGrid: [0.5, 0.2], options: {} }, 'the flow samplers need the rectified-flow process');
  inv.invalid('pndm-increasing-grid', { sampler: 'pndm', process: VP, model: mm, x, timeGrid: [0.2, 0.5], options: {} }, 'PNDM needs a decreasing grid');
  return f;
};
