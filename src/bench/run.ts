/**
 * The benchmark run (issue 7): every workload on the float64 reference and on every TensorFlow.js
 * backend that loads, the native peers where Python has numpy / torch, and the wasm kernel-patch
 * benchmark of bench/kernels.ts (run as a subprocess). Returns a BenchResult; ./output.ts writes it.
 *
 * Sizes are chosen so that the full run stays well under 15 minutes on a loaded 2-core machine
 * (the slow tiers get smaller batches; every row records its batch). `quick` shrinks everything
 * to seconds (for tests and a smoke check); quick numbers are not for quoting.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { probeBackend, useBackend, BACKEND_NAMES, type BackendName } from '../backend/backend.js';
import { benchWebgpu } from './webgpu.js';
import { crossover, type MeasureOptions } from './stats.js';
import type { BenchResult, BenchRow, MachineInfo, PeakInfo, TierInfo, Workload } from './types.js';
import { numpyPeak, torchPeer } from './peers.js';
import {
  FORMULA_OPS,
  HEADLINE_SAMPLERS,
  REFERENCE,
  benchFormula,
  benchMatmulPeak,
  benchReferenceTrainStep,
  benchSampler,
  benchTrainStep,
  benchUnetForward,
  samplerSpec,
  unetAgreement,
} from './workloads.js';

export const ALL_WORKLOADS: Workload[] = ['peak', 'formula', 'sampler', 'sampler-scaling', 'unet-forward', 'train', 'kernel', 'peer'];

export interface BenchOptions {
  quick?: boolean;
  /** tfjs backends to include (default: every one that loads). */
  backends?: BackendName[];
  /** Workloads to run (default all). */
  workloads?: Workload[];
  /** Progress lines. */
  log?: (line: string) => void;
  env?: Record<string, string | undefined>;
  /** Override the formula sizes of the plan (tests). */
  formulaSizes?: number[];
}

/** Batch sizes and repeat counts per mode and tier. */
export function plan(quick: boolean) {
  return quick
    ? {
        formulaSizes: [1e3, 1e4, 1e5],
        formula: { warmup: 1, repeats: 3, minSampleMs: 2 } as MeasureOptions,
        formulaBig: { warmup: 1, repeats: 3, minSampleMs: 2 } as MeasureOptions,
        samplerBatch: 4,
        sampler: { warmup: 0, repeats: 1 } as MeasureOptions,
        scalingBatches: [2, 4],
        scalingSteps: [5, 10],
        scalingBatchAt: 4,
        scaling: { warmup: 0, repeats: 1 } as MeasureOptions,
        unetBatch: { reference: 1, wasm: 2, cpu: 1, tensorflow: 2 } as Record<string, number>,
        unetScaling: { wasm: [1, 2], cpu: [1], tensorflow: [1, 2] } as Record<string, number[]>,
        unet: { warmup: 0, repeats: 1 } as MeasureOptions,
        trainBatch: { wasm: 2, cpu: 1, tensorflow: 2 } as Record<string, number>,
        train: { warmup: 1, repeats: 1 } as MeasureOptions,
        peakN: 256,
        peak: { warmup: 1, repeats: 2 } as MeasureOptions,
        peer: { batchForward: 4, batchTrain: 4, repeats: 1, threads: [1] },
      }
    : {
        formulaSizes: [1e3, 1e4, 1e5, 1e6, 1e7],
        formula: { warmup: 1, repeats: 5, minSampleMs: 20 } as MeasureOptions,
        formulaBig: { warmup: 0, repeats: 3 } as MeasureOptions,
        samplerBatch: 16,
        sampler: { warmup: 1, repeats: 3 } as MeasureOptions,
        scalingBatches: [4, 8, 16, 32, 64],
        scalingSteps: [10, 25, 50, 100],
        scalingBatchAt: 16,
        scaling: { warmup: 1, repeats: 3 } as MeasureOptions,
        unetBatch: { reference: 2, wasm: 64, cpu: 8, tensorflow: 64 } as Record<string, number>,
        unetScaling: { wasm: [1, 4, 16, 64], cpu: [1, 4], tensorflow: [1, 4, 16, 64] } as Record<string, number[]>,
        unet: { warmup: 1, repeats: 3 } as MeasureOptions,
        trainBatch: { wasm: 64, cpu: 1, tensorflow: 64 } as Record<string, number>,
        train: { warmup: 1, repeats: 4 } as MeasureOptions,
        peakN: 2048,
        peak: { warmup: 1, repeats: 5 } as MeasureOptions,
        peer: { batchForward: 64, batchTrain: 64, repeats: 5, threads: [1, 2] },
      };
}

function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version.tfjs,
    loadStart: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** The wasm kernel-patch benchmark of bench/kernels.ts (compiled to dist/bench/kernels.js), run in a temporary directory. */
function kernelRows(quick: boolean, log: (l: string) => void): BenchRow[] | { reason: string } {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = [join(here, '..', '..', 'bench', 'kernels.js'), join(here, '..', '..', 'dist', 'bench', 'kernels.js')].find((p) => existsSync(p));
  if (!script) return { reason: 'dist/bench/kernels.js not found (run `npm run build`)' };
  const tmp = mkdtempSync(join(os.tmpdir(), 'bench-kernels-'));
  try {
    log(`kernel patches: node ${script}${quick ? ' --quick' : ''}`);
    const r = spawnSync(process.execPath, [script, ...(quick ? ['--quick'] : [])], { cwd: tmp, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 << 20 });
    if (r.status !== 0) return { reason: `bench/kernels.ts failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}` };
    const dir = join(tmp, 'bench', 'results');
    const file = readdirSync(dir).find((f) => f.endsWith('.json'));
    if (!file) return { reason: 'bench/kernels.ts wrote no JSON' };
    const k = JSON.parse(readFileSync(join(dir, file), 'utf8')) as {
      meta: { repeats: number };
      rows: { kernel: string; shape: string; gflop: number; beforeMs: number | null; afterMs: number; beforeGflops: number | null; afterGflops: number; note?: string }[];
    };
    const out: BenchRow[] = [];
    for (const row of k.rows) {
      const name = `${row.kernel} | ${row.shape}`;
      out.push({
        workload: 'kernel',
        name,
        tier: 'wasm-original',
        throughput: row.beforeGflops ?? undefined,
        gflops: row.beforeGflops ?? undefined,
        unit: 'GFLOP/s',
        skipped: row.beforeGflops === null,
        note: row.beforeGflops === null ? row.note : `median of ${k.meta.repeats} (bench/kernels.ts)`,
      });
      out.push({ workload: 'kernel', name, tier: 'wasm-patched', throughput: row.afterGflops, gflops: row.afterGflops, unit: 'GFLOP/s', note: `median of ${k.meta.repeats} (bench/kernels.ts)` });
    }
    return out;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Run the benchmark. */
export async function runBench(options: BenchOptions = {}): Promise<BenchResult> {
  const t0 = performance.now();
  const started = new Date().toISOString();
  const quick = options.quick ?? false;
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const want = new Set(options.workloads ?? ALL_WORKLOADS);
  const P = plan(quick);
  if (options.formulaSizes) P.formulaSizes = options.formulaSizes;
  const machine = machineInfo();
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, load average ${machine.loadStart.join(' ')}`);
  const skipped: { workload: string; reason: string }[] = [];
  const tiers: TierInfo[] = [{ tier: REFERENCE, description: 'float64 reference (src/reference), plain JavaScript, one thread' }];
  const backends: BackendName[] = [];
  // webgpu has its own row (./webgpu.ts): its workloads must read asynchronously.
  const wantWebgpu = (options.backends ?? BACKEND_NAMES).includes('webgpu');
  for (const name of (options.backends ?? BACKEND_NAMES).filter((n) => n !== 'webgpu')) {
    const probe = await probeBackend(name);
    if (!probe.ok) {
      skipped.push({ workload: `tfjs backend ${name}`, reason: probe.reason ?? 'cannot be loaded' });
      log(`backend ${name}: skipped (${probe.reason})`);
      continue;
    }
    const choice = await useBackend(name);
    tiers.push({ tier: name, description: choice.description });
    backends.push(name);
  }
  const rows: BenchRow[] = [];
  const add = (r: BenchRow) => {
    rows.push(r);
    const tm = r.timeMs ? `${r.timeMs.median.toPrecision(4)} ms (IQR ${(100 * r.timeMs.relIqr).toFixed(0)} %)` : r.skipped ? 'skipped' : '';
    const parts = [tm, r.throughput ? `${r.throughput.toPrecision(4)} ${r.unit}` : '', r.gflops && r.unit !== 'GFLOP/s' ? `${r.gflops.toFixed(2)} GFLOP/s` : ''].filter(Boolean);
    log(`${r.workload} ${r.name} [${r.tier}${r.batch ? `, batch ${r.batch}` : r.size ? `, ${r.size}` : ''}]: ${parts.join(', ')}`);
  };
  const onTiers = async (fn: (tier: string) => void | Promise<void>) => {
    await fn(REFERENCE);
    for (const b of backends) {
      await useBackend(b);
      await fn(b);
    }
  };

  // Peak FP32: numpy sgemm (native BLAS) where numpy imports, and the tfjs matrix product per backend.
  let peak: PeakInfo | null = null;
  if (want.has('peak')) {
    const measured: Record<string, number> = {};
    const np = numpyPeak(P.peakN, P.peak.repeats ?? 3, env);
    if ('reason' in np) {
      skipped.push({ workload: 'peak (numpy)', reason: np.reason });
      log(`peak numpy: skipped (${np.reason})`);
    } else {
      for (const r of np) {
        add(r);
        measured[r.tier] = r.gflops!;
      }
    }
    for (const b of backends) {
      await useBackend(b);
      const n = b === 'cpu' ? Math.min(P.peakN, 512) : P.peakN;
      const r = benchMatmulPeak(n, b, b === 'cpu' ? { warmup: 1, repeats: 2 } : P.peak);
      add(r);
      measured[`tfjs-${b}`] = r.gflops!;
    }
    // The native ceiling is the best native sgemm rate measured: on a machine shared with other
    // processes the all-cores run can come out below the one-thread run (threads wait for cores).
    const native = (['numpy', 'numpy-1t'] as const).filter((k) => measured[k] !== undefined).sort((a, b) => measured[b] - measured[a])[0];
    if (native) {
      peak = {
        gflops: measured[native],
        source: `numpy float32 matmul ${P.peakN}³ (native BLAS sgemm), ${native === 'numpy' ? 'all cores' : 'one thread — faster than the all-cores run on this loaded machine'}; the best native rate measured in this run`,
        measured,
      };
    }
    else if (measured['tfjs-wasm']) peak = { gflops: measured['tfjs-wasm'], source: `tfjs wasm matMul ${P.peakN}³ (no native BLAS available: this is the wasm ceiling, not the machine's)`, measured };
    else if (Object.keys(measured).length) {
      const [k, v] = Object.entries(measured).sort((a, b) => b[1] - a[1])[0];
      peak = { gflops: v, source: `${k} matrix product (the fastest measured)`, measured };
    }
  }
  const peakG = peak?.gflops ?? null;

  if (want.has('formula')) {
    await onTiers((tier) => {
      for (const op of FORMULA_OPS) {
        for (const size of P.formulaSizes) {
          if (tier === 'cpu' && size >= 1e7) continue; // see the skip note below
          add(benchFormula(op, size, tier, size >= 1e7 ? P.formulaBig : P.formula));
        }
      }
    });
  }
  if (want.has('formula') && backends.includes('cpu') && P.formulaSizes.some((n) => n >= 1e7)) {
    skipped.push({ workload: 'formula at 10^7 elements on cpu', reason: 'the pure-JS cpu backend takes 2-12 s per call there (about 2 minutes for the six ops); its curve is already clear at 10^6' });
  }
  const crossovers: BenchResult['crossovers'] = [];
  for (const op of FORMULA_OPS) {
    const ref = rows.filter((r) => r.workload === 'formula' && r.name === op && r.tier === REFERENCE);
    for (const b of backends) {
      const other = rows.filter((r) => r.workload === 'formula' && r.name === op && r.tier === b);
      const sizes = other.map((r) => r.size!).filter((n) => ref.some((x) => x.size === n));
      if (sizes.length) {
        const at = (rows: BenchRow[], n: number) => rows.find((r) => r.size === n)!.timeMs!.median;
        crossovers.push({ name: op, tier: b, size: crossover(sizes, sizes.map((n) => at(ref, n)), sizes.map((n) => at(other, n))) });
      }
    }
  }

  if (want.has('sampler')) {
    await onTiers((tier) => {
      // A 1000-step run warms the JIT within its first steps: no separate warm-up run (noted in the row).
      for (const spec of HEADLINE_SAMPLERS) {
        const long = spec.steps >= 1000 && !quick;
        const row = benchSampler(spec, P.samplerBatch, tier, long ? { ...P.sampler, warmup: 0 } : P.sampler);
        if (long) row.note = `${row.note}; no separate warm-up run (the first steps warm up)`;
        add(row);
      }
    });
  }
  if (want.has('sampler-scaling')) {
    await onTiers((tier) => {
      for (const b of P.scalingBatches) add(benchSampler(samplerSpec('ddim', 50), b, tier, P.scaling, 'sampler-scaling'));
      for (const s of P.scalingSteps) add(benchSampler(samplerSpec('ddim', s), P.scalingBatchAt, tier, P.scaling, 'sampler-scaling'));
    });
  }

  if (want.has('unet-forward')) {
    await onTiers((tier) => {
      const batches = tier === REFERENCE ? [P.unetBatch.reference] : [...new Set([...(P.unetScaling[tier] ?? []), P.unetBatch[tier] ?? 1])].sort((a, b) => a - b);
      for (const b of batches) {
        const r = benchUnetForward(b, tier, P.unet, peakG);
        if (tier !== REFERENCE && b === 1) r.note = `agreement with the float64 reference forward (batch 1): max |Δ| / max |y| = ${unetAgreement(1).toExponential(2)}`;
        add(r);
      }
    });
  }

  if (want.has('train')) {
    add(benchReferenceTrainStep(quick ? 1 : 4, quick ? { warmup: 0, repeats: 1 } : { warmup: 1, repeats: 3 }, peakG));
    for (const b of backends) {
      await useBackend(b);
      // The cpu backend's convolution gradients are naive loops (~20 s per image per step): one image, one timed step.
      const row = benchTrainStep(P.trainBatch[b] ?? 8, b, b === 'cpu' ? { warmup: 0, repeats: 1 } : P.train, peakG);
      if (b === 'cpu') row.note = 'one timed step, no warm-up (the pure-JS convolution gradients take ~20 s per image)';
      add(row);
    }
  }

  if (want.has('kernel')) {
    if (!backends.includes('wasm')) skipped.push({ workload: 'kernel', reason: 'the wasm backend is not available' });
    else {
      const k = kernelRows(quick, log);
      if ('reason' in k) {
        skipped.push({ workload: 'kernel', reason: k.reason });
        log(`kernel patches: skipped (${k.reason})`);
      } else k.forEach(add);
    }
  }
  if (want.has('kernel') && wantWebgpu) {
    // Any adapter, SwiftShader included: a software adapter's rows are labelled emulation.
    const probe = await probeBackend('webgpu', { allowSoftware: true });
    if (!probe.ok) {
      skipped.push({ workload: 'tfjs backend webgpu', reason: probe.reason ?? 'cannot be loaded' });
      log(`backend webgpu: skipped (${probe.reason})`);
    } else {
      const previous = tf.getBackend();
      const choice = await useBackend('webgpu', { allowSoftware: true });
      tiers.push({ tier: 'webgpu', description: choice.description });
      (await benchWebgpu({ software: !!probe.software, adapter: probe.adapter ?? 'unknown adapter', quick })).forEach(add);
      if (previous) await tf.setBackend(previous);
    }
  }

  if (want.has('peer')) {
    log('peer: PyTorch U-Net (bench/peer_torch.py)');
    const pr = torchPeer(P.peer, peakG, env);
    if ('reason' in pr) {
      skipped.push({ workload: 'peer (PyTorch)', reason: pr.reason });
      log(`peer PyTorch: skipped — ${pr.reason}`);
    } else pr.forEach(add);
  }

  machine.loadEnd = os.loadavg().map((v) => Math.round(v * 100) / 100);
  return {
    format: 'diffusion-oracle-bench',
    version: 1,
    date: started,
    quick,
    machine,
    tiers,
    peak,
    rows,
    crossovers,
    wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
    skipped,
  };
}
