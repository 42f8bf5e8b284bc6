/** Result records of the benchmark (issue 7): what bench/results/<date>-<backend>.json holds. */
import type { Summary } from './stats.js';

export type Workload = 'peak' | 'formula' | 'sampler' | 'sampler-scaling' | 'unet-forward' | 'train' | 'kernel' | 'peer';

/** One measured (or skipped) cell: a workload on one tier at one size. */
export interface BenchRow {
  workload: Workload;
  /** The operation, e.g. 'qSample', 'ddpm-1000', 'unet-forward'. */
  name: string;
  /** 'reference' (float64 JS), a tfjs backend name, 'numpy', 'torch-1t', 'torch-2t', … */
  tier: string;
  /** Elements (formulas), batch size (samplers, U-Net), matrix size (peak). */
  size?: number;
  batch?: number;
  steps?: number;
  /** Milliseconds per call: median and spread. Absent for a skipped cell. */
  timeMs?: Summary;
  /** Calls per timed sample and untimed warm-up calls. */
  inner?: number;
  warmup?: number;
  /** Work per second in `unit` (elements/s, samples/s, images/s), from the median time. */
  throughput?: number;
  unit?: string;
  /** Achieved GFLOP/s (matrix/conv work only; see docs/bench.md) and its fraction of the machine peak. */
  gflops?: number;
  peakFraction?: number;
  /** Why a cell was skipped, or a remark (e.g. an agreement check). */
  note?: string;
  skipped?: boolean;
}

export interface TierInfo {
  tier: string;
  description: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memGiB: number;
  platform: string;
  node: string;
  tfjs: string;
  /** 1-, 5-, 15-minute load averages at the start and the end of the run. */
  loadStart: number[];
  loadEnd?: number[];
}

export interface PeakInfo {
  /** The FP32 rate used as the machine's peak for `peakFraction` (GFLOP/s) and where it comes from. */
  gflops: number;
  source: string;
  /** Every peak measured (name → GFLOP/s). */
  measured: Record<string, number>;
}

export interface BenchResult {
  format: 'diffusion-oracle-bench';
  version: 1;
  date: string;
  quick: boolean;
  machine: MachineInfo;
  tiers: TierInfo[];
  peak: PeakInfo | null;
  rows: BenchRow[];
  /** Crossovers of the formula kernels: size where a tfjs tier becomes faster than the reference. */
  crossovers: { name: string; tier: string; size: number | 'always' | null }[];
  /** Wall time of the whole run, seconds (`date` is its start). */
  wallSeconds: number;
  /** Workloads left out, with the reason. */
  skipped: { workload: string; reason: string }[];
}
