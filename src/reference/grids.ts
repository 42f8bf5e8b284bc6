/**
 * Time grids of the score-based samplers: validation (`checkTimeGrid`) and construction
 * (`makeTimeGrid`, uniform in t or in λ = log(α/σ)).
 */
import { DiffusionInputError, checkFiniteNumber, checkPositiveInt, checkOneOf } from './errors.js';
import { checkProcess, type Process } from './processes.js';

/**
 * Validate a time grid: at least 2 finite times within [0, tMax] of the process, strictly
 * monotone; `direction` 'decreasing' for samplers (noise → data), 'any' for ODE solvers
 * (an increasing grid encodes). Names the argument and the offending entry.
 */
export function checkTimeGrid(grid: unknown, process: Process, direction: 'decreasing' | 'any' = 'decreasing', name = 'timeGrid'): Float64Array {
  if (!grid || typeof (grid as ArrayLike<number>).length !== 'number') throw new DiffusionInputError(name, grid, 'must be an array of times');
  const g = grid as ArrayLike<number>;
  if (g.length < 2) throw new DiffusionInputError(name, grid, 'needs at least 2 times (one step)');
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const t = g[i];
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new DiffusionInputError(`${name}[${i}]`, t, 'must be a finite time');
    if (t < 0 || t > process.tMax) throw new DiffusionInputError(`${name}[${i}]`, t, `time out of range [0, ${process.tMax}] of ${process.label}`);
    out[i] = t;
  }
  const sign = Math.sign(out[1] - out[0]);
  if (sign === 0 || (direction === 'decreasing' && sign > 0)) {
    throw new DiffusionInputError(name, grid, direction === 'decreasing' ? 'must be strictly decreasing (sampling runs from noise to data)' : 'must be strictly monotone');
  }
  for (let i = 1; i < out.length; i++) {
    if (Math.sign(out[i] - out[i - 1]) !== sign) throw new DiffusionInputError(`${name}[${i}]`, out[i], `non-monotone time grid (previous ${out[i - 1]})`);
  }
  return out;
}

export const GRID_SPACINGS = ['time', 'logsnr'] as const;
export type GridSpacing = (typeof GRID_SPACINGS)[number];

/**
 * A decreasing time grid of `steps` steps (steps+1 times) from tStart (default tMax) to tEnd
 * (default tMin): uniform in t ('time', Song et al.) or uniform in λ ('logsnr', Lu et al. 2022
 * §3.3). Throws naming `steps` for a non-positive count.
 */
export function makeTimeGrid(process: Process, steps: number, options: { spacing?: GridSpacing; tStart?: number; tEnd?: number } = {}): Float64Array {
  checkProcess(process);
  checkPositiveInt('steps', steps);
  const spacing = checkOneOf('options.spacing', options.spacing ?? 'time', GRID_SPACINGS);
  const t0 = checkFiniteNumber('options.tStart', options.tStart ?? process.tMax);
  const t1 = checkFiniteNumber('options.tEnd', options.tEnd ?? process.tMin);
  if (!(t0 > t1)) throw new DiffusionInputError('options.tEnd', t1, `must be < tStart = ${t0}`);
  const g = new Float64Array(steps + 1);
  if (spacing === 'time') {
    for (let i = 0; i <= steps; i++) g[i] = t0 + ((t1 - t0) * i) / steps;
  } else {
    const l0 = process.lambda(t0);
    const l1 = process.lambda(t1);
    if (!Number.isFinite(l0) || !Number.isFinite(l1)) throw new DiffusionInputError('options.tStart', t0, 'λ is infinite at an end of the grid; use spacing "time"');
    for (let i = 0; i <= steps; i++) g[i] = process.tOfLambda(l0 + ((l1 - l0) * i) / steps);
  }
  g[0] = t0;
  g[steps] = t1;
  return checkTimeGrid(g, process, 'decreasing');
}

