/**
 * The webgpu row of the benchmark: tfjs-webgpu's matrix product and a small convolution, timed
 * with asynchronous reads (`await data()`: WebGPU has no synchronous read in Node). On a software
 * adapter (SwiftShader, a CPU emulation of a GPU) the numbers are labelled emulation: they say
 * the path works, not how fast a GPU is, and are not to be quoted.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../reference/rng.js';
import { measureAsync } from './stats.js';
import type { BenchRow } from './types.js';

export const EMULATION_NOTE = 'SwiftShader (software adapter): a CPU emulation, correct but slow; not a GPU speed, do not quote';

async function timed(name: string, flops: number, size: number, run: () => tf.Tensor, repeats: number, note: string): Promise<BenchRow> {
  const m = await measureAsync(
    async () => {
      const y = run();
      await y.data();
      y.dispose();
    },
    { warmup: 1, repeats },
  );
  const gflops = flops / (m.summary.median / 1000) / 1e9;
  return { workload: 'kernel', name, tier: 'webgpu', size, timeMs: m.summary, inner: m.inner, warmup: m.warmup, throughput: gflops, unit: 'GFLOP/s', gflops, note };
}

/** matMul n³ and conv2d [4, s, s, 16] ⊛ 3×3×16×16 'same' on the active webgpu backend. */
export async function benchWebgpu(opts: { software: boolean; adapter: string; quick: boolean }): Promise<BenchRow[]> {
  const note = opts.software ? `${opts.adapter}: ${EMULATION_NOTE}` : opts.adapter;
  // A software adapter's numbers are not quotable anyway: small sizes, few repeats.
  const n = opts.software || opts.quick ? 128 : 1024;
  const s = opts.software || opts.quick ? 16 : 64;
  const repeats = opts.quick ? 2 : opts.software ? 3 : 10;
  const rng = new Rng(21);
  const A = tf.tensor2d(Float32Array.from(rng.normals(n * n)), [n, n]);
  const B = tf.tensor2d(Float32Array.from(rng.normals(n * n)), [n, n]);
  const x = tf.tensor4d(Float32Array.from(rng.normals(4 * s * s * 16)), [4, s, s, 16]);
  const w = tf.tensor4d(Float32Array.from(rng.normals(9 * 16 * 16)), [3, 3, 16, 16]);
  try {
    return [
      await timed(`matMul | ${n}³`, 2 * n ** 3, n, () => tf.matMul(A, B), repeats, note),
      await timed(`conv2d 3×3, 16→16, 'same' | 4×${s}×${s}`, 2 * 4 * s * s * 9 * 16 * 16, s, () => tf.conv2d(x, w, 1, 'same'), repeats, note),
    ];
  } finally {
    tf.dispose([A, B, x, w]);
  }
}
