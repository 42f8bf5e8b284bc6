/**
 * The training loop (checkpoints, held-out evaluations, loss chart, sample-grid previews) around a
 * Trainer (./trainer.ts).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../io/atomic.js';
import { type ChartSeries, renderLineChart, writeImageGrid } from '../io/png.js';
import { saveCheckpoint } from './checkpoint.js';
import type { EvalRecord, StepResult } from './config.js';
import { sampleImages } from './preview.js';
import type { GradientWorkerPool, Trainer } from './trainer.js';

/** Mean of each window of `w` consecutive losses (x = the window's last step). */
function windowMeans(losses: number[], w: number): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let end = w; end <= losses.length; end += w) {
    let s = 0;
    for (let i = end - w; i < end; i++) s += losses[i];
    xs.push(end);
    ys.push(s / w);
  }
  return { xs, ys };
}

/** Loss-curve PNG: training loss (window means), held-out loss of the raw and the EMA weights. */
export function writeLossChart(path: string, losses: number[], evals: EvalRecord[], title: string): void {
  const w = Math.max(1, Math.floor(losses.length / 200));
  const series: ChartSeries[] = [{ name: `train loss (mean of ${w})`, ...windowMeans(losses, w) }];
  if (evals.length) {
    series.push({ name: 'held-out loss', xs: evals.map((e) => e.step), ys: evals.map((e) => e.loss) });
    series.push({ name: 'held-out loss, EMA weights', xs: evals.map((e) => e.step), ys: evals.map((e) => e.emaLoss) });
  }
  if (series[0].xs.length === 0) return;
  const positive = series.every((s) => Array.from(s.ys).every((y) => y > 0));
  renderLineChart(path, series, { title, xLabel: 'step', yLabel: 'loss', logY: positive, width: 800, height: 480 });
}

export interface RunOptions {
  /** Train until this step (the total, not the number of new steps). */
  steps: number;
  /** Run directory (checkpoints, charts, sample grids). */
  outDir: string;
  checkpointEvery: number;
  /** Held-out evaluation every k steps (0 = only at the end). */
  evalEvery: number;
  /** Sample grid every k steps (0 = only at the end; -1 = never). */
  sampleEvery: number;
  sampleCount: number;
  sampleSteps: number;
  /** Data-parallel gradient workers (src/train/parallel.ts); none: single thread. */
  workers?: GradientWorkerPool | null;
  /** Called after every step (progress bar). */
  onStep?: (r: StepResult, msPerStep: number) => void;
  onNote?: (line: string) => void;
  /** Stop early (after a checkpoint) when aborted. */
  signal?: AbortSignal;
}

export interface RunSummary {
  step: number;
  /** Mean wall time per step in this process (ms), excluding evaluation/checkpoint/sampling. */
  msPerStep: number;
  lastCheckpoint: string | null;
  interrupted: boolean;
}

/**
 * The training loop: steps until `steps`, evaluating, checkpointing (crash-safe, see
 * checkpoint.ts) and writing loss.png / samples-<step>.png as configured. The final step always
 * gets an evaluation, a checkpoint, a loss chart and (unless sampleEvery = -1) a sample grid.
 */
export async function runTraining(trainer: Trainer, opts: RunOptions): Promise<RunSummary> {
  const u = trainer.config.unet;
  let stepMs = 0;
  let stepsHere = 0;
  let lastCheckpoint: string | null = null;
  let interrupted = false;
  mkdirSync(opts.outDir, { recursive: true });
  const every = (k: number) => k > 0 && trainer.step % k === 0;
  const startStep = trainer.step;
  while (trainer.step < opts.steps) {
    const t0 = performance.now();
    const r = await trainer.trainStepAsync(opts.workers);
    stepMs += performance.now() - t0;
    stepsHere += 1;
    opts.onStep?.(r, stepMs / stepsHere);
    // Yield to the event loop so that a Ctrl-C (AbortSignal) can be noticed between steps.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const last = trainer.step === opts.steps;
    const stop = opts.signal?.aborted === true;
    if (every(opts.evalEvery) || last) await trainer.evaluateAsync();
    if (every(opts.checkpointEvery) || last || stop) {
      await trainer.prefetchState(); // webgpu: read the variables asynchronously first
      lastCheckpoint = saveCheckpoint(opts.outDir, trainer.getState());
      writeLossChart(join(opts.outDir, 'loss.png'), trainer.losses, trainer.evals, `${trainer.data.name}: ${trainer.config.objective}/${trainer.config.weighting}, batch ${trainer.config.batchSize}`);
      writeJsonAtomic(join(opts.outDir, 'timing.json'), { step: trainer.step, stepsThisProcess: stepsHere, msPerStep: stepMs / stepsHere, startStep, threads: 1 + (opts.workers?.count ?? 0) });
    }
    if (opts.sampleEvery >= 0 && (every(opts.sampleEvery) || last)) {
      const t1 = performance.now();
      const imgs = await sampleImages(trainer.config, trainer.ema.params(), { n: opts.sampleCount, steps: opts.sampleSteps, seed: trainer.config.seed + 3 });
      writeImageGrid(join(opts.outDir, `samples-${String(trainer.step).padStart(8, '0')}.png`), imgs, { n: opts.sampleCount, height: u.imageSize, width: u.imageSize, scale: 2 });
      opts.onNote?.(`step ${trainer.step}: wrote ${opts.sampleCount} ${trainer.config.objective === 'flow' ? 'flow-Euler' : 'DDIM'}-${opts.sampleSteps} samples (EMA weights) in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
    if (stop) {
      interrupted = true;
      break;
    }
  }
  return { step: trainer.step, msPerStep: stepsHere ? stepMs / stepsHere : NaN, lastCheckpoint, interrupted };
}
