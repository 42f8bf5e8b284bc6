/**
 * Native peers of the benchmark (issue 7): numpy's sgemm as the machine's FP32 ceiling
 * (bench/peak_numpy.py) and the same U-Net in PyTorch on the CPU (bench/peer_torch.py, workload 5).
 * Each runs only where its Python module imports; otherwise the caller records a skip with the
 * reason returned here. The interpreter: $DIFFUSION_ORACLE_PYTHON, else `python3` on the PATH, else
 * /usr/bin/python3 (Debian's, where python3-torch installs) — the first that imports the module.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarize } from './stats.js';
import type { BenchRow } from './types.js';
import { unetForwardFlops, unetTrainFlops } from '../reference/layers/unet_reference.js';
import { BENCH_UNET } from './workloads.js';

/** The repository's bench/ directory (source tree or next to dist/). */
export function benchDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const cand of [join(here, '..', '..', 'bench'), join(here, '..', '..', '..', 'bench')]) {
    if (existsSync(join(cand, 'peer_torch.py'))) return cand;
  }
  throw new Error(`bench/: peer_torch.py not found near ${here}`);
}

function pythonCandidates(env: Record<string, string | undefined>): string[] {
  const c = [env.DIFFUSION_ORACLE_PYTHON, 'python3', '/usr/bin/python3'].filter((v): v is string => !!v);
  return [...new Set(c)];
}

/** The first interpreter that imports `module`, or the reason none does. */
export function findPython(module: string, env: Record<string, string | undefined> = process.env): { python: string } | { reason: string } {
  const reasons: string[] = [];
  for (const py of pythonCandidates(env)) {
    const r = spawnSync(py, ['-c', `import ${module}`], { encoding: 'utf8', timeout: 60_000 });
    if (r.error) {
      reasons.push(`${py}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
      continue;
    }
    if (r.status === 0) return { python: py };
    const last = (r.stderr || '').trim().split('\n').pop() ?? '';
    reasons.push(`${py}: ${last.slice(0, 120)}`);
  }
  return { reason: `no Python with ${module} (${reasons.join('; ')})` };
}

function runJson(python: string, script: string, args: string[], env: Record<string, string | undefined>, timeoutMs: number): unknown {
  const r = spawnSync(python, [join(benchDir(), script), ...args], { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
  if (r.error) throw new Error(`${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${script} exited with ${r.status}: ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line);
}

const ONE_THREAD = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };

/** numpy float32 n×n matrix product, one BLAS thread and all threads; rows of workload 'peak'. */
export function numpyPeak(n: number, repeats: number, env: Record<string, string | undefined> = process.env): BenchRow[] | { reason: string } {
  const py = findPython('numpy', env);
  if ('reason' in py) return py;
  const rows: BenchRow[] = [];
  for (const [tier, extra] of [
    ['numpy-1t', ONE_THREAD],
    ['numpy', {}],
  ] as const) {
    const out = runJson(py.python, 'peak_numpy.py', ['--n', String(n), '--repeats', String(repeats)], extra, 300_000) as { numpy: string; blas: string | null; samples_ms: number[]; warmup: number };
    const s = summarize(out.samples_ms);
    const gflops = (2 * n ** 3) / (s.median / 1000) / 1e9;
    rows.push({
      workload: 'peak',
      name: `sgemm ${n}³`,
      tier,
      size: n,
      timeMs: s,
      inner: 1,
      warmup: out.warmup,
      throughput: gflops,
      unit: 'GFLOP/s',
      gflops,
      note: `numpy ${out.numpy}, BLAS ${out.blas ?? 'unknown'}, ${tier === 'numpy-1t' ? 'one thread' : 'all threads'} (${py.python})`,
    });
  }
  return rows;
}

/** The PyTorch peer (workload 5): U-Net forward and training step, 1 and 2 threads. */
export function torchPeer(opts: { batchForward: number; batchTrain: number; repeats: number; threads: number[] }, peak: number | null, env: Record<string, string | undefined> = process.env): BenchRow[] | { reason: string } {
  const py = findPython('torch', env);
  if ('reason' in py) return py;
  const out = runJson(
    py.python,
    'peer_torch.py',
    ['--batch-forward', String(opts.batchForward), '--batch-train', String(opts.batchTrain), '--repeats', String(opts.repeats), '--threads', opts.threads.join(',')],
    {},
    600_000,
  ) as { torch: string; params: number; results: { name: string; threads: number; batch: number; warmup: number; samples_ms: number[] }[] };
  return out.results.map((r) => {
    const s = summarize(r.samples_ms);
    const sec = s.median / 1000;
    const flops = (r.name === 'unet-forward' ? unetForwardFlops(BENCH_UNET) : unetTrainFlops(BENCH_UNET)) * r.batch;
    const gflops = flops / sec / 1e9;
    return {
      workload: 'peer',
      name: r.name,
      tier: `torch-${r.threads}t`,
      size: r.batch,
      batch: r.batch,
      timeMs: s,
      inner: 1,
      warmup: r.warmup,
      throughput: r.batch / sec,
      unit: 'images/s',
      gflops,
      peakFraction: peak ? gflops / peak : undefined,
      note: `PyTorch ${out.torch} on the CPU, ${r.threads} thread${r.threads > 1 ? 's' : ''}, ${out.params} parameters (${py.python})`,
    } satisfies BenchRow;
  });
}
