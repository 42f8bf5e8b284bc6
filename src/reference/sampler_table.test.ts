import { describe, expect, it } from 'vitest';
import { DiffusionInputError } from './errors.js';
import { DETERMINISTIC_SAMPLERS, SAMPLER_LIST, SAMPLER_NAMES, SAMPLERS, getSampler, parseSamplerOptions } from './samplers.js';
import { discreteVpProcess, indiProcess, makeModel, veProcess, vpProcess, PROCESS_KINDS, type Process } from './model.js';
import { betaSchedule } from './schedules.js';
import { Rng } from './rng.js';
import { flowProcess } from './flow.js';

describe('sampler descriptors', () => {
  it('names are unique; every descriptor resolves; the deterministic list is the ODE solvers', () => {
    expect(new Set(SAMPLER_NAMES).size).toBe(SAMPLER_NAMES.length);
    for (const n of SAMPLER_NAMES) expect(typeof SAMPLERS[n], n).toBe('function');
    expect([...DETERMINISTIC_SAMPLERS].sort()).toEqual(
      ['dpm-solver++2m', 'dpm-solver-1', 'dpm-solver-2', 'dpm-solver-3', 'ode-euler', 'ode-heun', 'ode-rk4', 'dpm_2', 'dpmpp_2m', 'euler', 'heun', 'lms', 'dpm-solver-2m', 'dpm-solver-3m', 'dpm-solver++3m', 'dpm-solver++2s', 'dpm-solver++3s', 'unipc-bh1', 'unipc-bh2', 'deis', 'pndm', 'plms', 'flow-euler', 'flow-heun'].sort(),
    );
    for (const d of SAMPLER_LIST) {
      expect(new Set(d.options.map((o) => o.name)).size, d.name).toBe(d.options.length);
      expect(d.checks.crosscheck.length, `${d.name}: a cross-check case`).toBeGreaterThan(0);
      if (d.order !== undefined) expect(d.deterministic && d.reversible, `${d.name}: an order needs a deterministic ODE solver`).toBe(true);
    }
  });

  it('a process outside the descriptor\'s list is refused naming model.process', () => {
    const procs: Record<string, Process> = { vp: vpProcess(), ve: veProcess(), 'discrete-vp': discreteVpProcess(betaSchedule('linear', 100)), indi: indiProcess(), flow: flowProcess() };
    for (const d of SAMPLER_LIST) {
      for (const k of PROCESS_KINDS) {
        if (d.processes.includes(k)) continue;
        const m = makeModel(procs[k], 'eps', (x) => x.map((r) => new Float64Array(r.length)));
        const grid = d.grid === 'integer' ? [10, 5, 0] : [procs[k].tMax * 0.9, procs[k].tMax * 0.5];
        expect(() => getSampler(d.name)(m, [Float64Array.of(0)], grid, { rng: new Rng(0), stepSize: 0.01 }), `${d.name} on ${k}`).toThrow(/model\.process/);
      }
    }
  });

  it('parseSamplerOptions: defaults filled, values checked, unknown keys refused naming them', () => {
    expect(parseSamplerOptions('ddim', {})).toEqual({ eta: 0 });
    expect(parseSamplerOptions('predictor-corrector', { snr: 0.2 })).toEqual({ correctorSteps: 1, snr: 0.2 });
    const rng = new Rng(1);
    expect(parseSamplerOptions('ddpm', { rng }).rng).toBe(rng);
    expect(() => parseSamplerOptions('ddim', { variance: 'beta' })).toThrow(/^options\.variance: unknown option of ddim \(its options: eta\)/);
    expect(() => parseSamplerOptions('ode-euler', { eta: 0 })).toThrow(/options\.eta: unknown option of ode-euler/);
    expect(() => parseSamplerOptions('predictor-corrector', { snr: 0 })).toThrow(/^options\.snr: .*> 0/);
    expect(() => parseSamplerOptions('predictor-corrector', { correctorSteps: 1.5 })).toThrow(/^options\.correctorSteps: .*integer/);
    expect(() => parseSamplerOptions('ddpm', { variance: 'big' })).toThrow(/^options\.variance: .*'posterior', 'beta'/);
    expect(() => parseSamplerOptions('langevin', {})).toThrow(/^options\.stepSize: .*required/);
    expect(() => parseSamplerOptions('ddim3', {})).toThrow(DiffusionInputError);
  });
});
