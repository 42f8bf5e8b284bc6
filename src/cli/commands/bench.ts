/**
 * `bench`: the benchmarks of issue 7 (src/bench): the float64 reference against every TensorFlow.js
 * backend present, the native ceiling (numpy sgemm) and the PyTorch peer where Python has them,
 * and the wasm kernel patches before and after. Writes bench/results/<date>-<backend>.json, a
 * markdown report and SVG charts. See docs/bench.md.
 */
import { resolve } from 'node:path';
import { UsageError, type ParsedArgs } from '../args.js';
import type { Command, CommandContext } from '../command.js';

const WORKLOADS = ['peak', 'formula', 'sampler', 'sampler-scaling', 'unet-forward', 'train', 'kernel', 'peer'] as const;
const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

function list<T extends string>(flag: string, raw: string | undefined, allowed: readonly T[]): T[] | undefined {
  if (raw === undefined) return undefined;
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new UsageError(`--${flag} needs a comma-separated list (one of ${allowed.join(', ')})`);
  for (const i of items) if (!allowed.includes(i as T)) throw new UsageError(`--${flag}: unknown value '${i}' (expected ${allowed.join(', ')})`);
  return items as T[];
}

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Benchmark the float64 reference against the tfjs backends (and numpy / PyTorch where present)',
  description: `Workloads: (1) formula kernels (qSample, qPosterior, DDPM and DDIM steps, KL and
    decoder terms) at 10^3..10^7 elements, with the crossover size; (2) DDPM-1000, DDIM-50 and
    DPM-Solver-20 end to end with the exact Gaussian-mixture oracle on 784-dimensional data, and
    DDIM's cost against batch size and step count; (3) the U-Net forward pass (float64 reference
    layers vs tfjs); (4) the U-Net training step (images/s, GFLOP/s) and the wasm kernel patches
    before/after (bench/kernels.ts); (5) the same U-Net in PyTorch on the CPU where Python imports
    torch (skipped with the reason otherwise). The peak FP32 rate is numpy's sgemm where numpy
    imports, else the tfjs wasm matrix product (said so in the results).

    Each result has the median and spread of repeated runs after warm-up, the machine, its load
    average, and the backend description. Output: <out>/<date>-<backend>.json, .md and .svg charts.
    The full run takes several minutes; --quick takes seconds (numbers not for quoting).`,
  options: [
    { name: 'quick', type: 'boolean', description: 'Tiny sizes and one repetition (a smoke run; not for quoting)' },
    { name: 'out', short: 'o', type: 'string', default: 'bench/results', valueName: 'DIR', description: 'Directory for the results' },
    { name: 'only', type: 'string', valueName: 'LIST', description: `Workloads to run (comma-separated: ${WORKLOADS.join(', ')}); default all` },
    { name: 'backends', type: 'string', valueName: 'LIST', description: 'tfjs backends to include (comma-separated: tensorflow, webgpu, wasm, cpu; webgpu runs its own kernel row, on a software adapter labelled emulation); default every one that loads' },
    { name: 'json', type: 'boolean', description: 'Print the result JSON on stdout instead of the markdown report' },
  ],
  examples: ['bench', 'bench --quick --out /tmp/bench', 'bench --only formula,sampler --backends wasm'],
  async run(args: ParsedArgs, ctx: CommandContext) {
    const workloads = list('only', args.string('only'), WORKLOADS);
    const backends = list('backends', args.string('backends'), BACKENDS);
    const out = resolve(ctx.cwd, args.require<string>('out'));
    const { runBench } = await import('../../bench/run.js');
    const { writeBenchResult, markdownReport } = await import('../../bench/output.js');
    const result = await runBench({ quick: args.boolean('quick'), workloads, backends, log: (l) => ctx.note(l), env: ctx.env });
    const paths = writeBenchResult(result, out);
    ctx.stdout.write(args.boolean('json') ? JSON.stringify(result, null, 1) + '\n' : markdownReport(result) + '\n');
    ctx.note(`wrote ${paths.join(', ')}`);
    ctx.note(`wall time ${result.wallSeconds} s`);
  },
};
