/**
 * Benchmark of the wasm kernel patches (src/backend/kernels): GFLOP/s of each patched kernel with the
 * tfjs 4.22 original ("before") and with our patch ("after"), on shapes of a small MNIST U-Net.
 *
 * Run:  npm run build && node dist/bench/kernels.js [--quick]
 * Writes bench/results/kernels-<date>-wasm.json and .md (the markdown table of docs/backends.md).
 *
 * Method: one warm-up call each, then `repeats` timed calls alternating original and patched (each
 * forced to completion by reading one value back), median time; GFLOP/s = useful flops / median time, where a convolution (or either of
 * its gradients) counts 2·N·Ho·Wo·KH·KW·Ci·Co and a matrix product 2·m·k·n (zero-dilation work of
 * the patched input gradient is not counted as useful). Single-threaded wasm (tfjs disables
 * threads in Node). Speed is never asserted; this only measures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/backend.js';
import { installKernelPatches, uninstallKernelPatches } from '../src/backend/kernels/index.js';

interface Row {
  kernel: string;
  shape: string;
  gflop: number;
  beforeMs: number | null;
  afterMs: number;
  beforeGflops: number | null;
  afterGflops: number;
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds of one call of fn (its output is read back, forcing completion, and disposed). */
function once(fn: () => tf.Tensor): number {
  const t0 = performance.now();
  const y = fn();
  y.dataSync().at(0);
  const dt = performance.now() - t0;
  y.dispose();
  return dt;
}

function rand(shape: number[]): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', 1);
}

async function main() {
  const quick = process.argv.includes('--quick');
  const repeats = quick ? 2 : 5;
  const choice = await useBackend('wasm');
  console.error(`[diffusion-oracle] backend ${choice.description}`);
  const rows: Row[] = [];
  const bench = (kernel: string, patched: string[], shape: string, gflop: number, fn: () => tf.Tensor, note?: string) => {
    // Before and after calls alternate (after a warm-up of each), so load from other processes on
    // the machine affects both alike.
    let beforeNote: string | undefined;
    const original = (): number | null => {
      uninstallKernelPatches('wasm', patched);
      try {
        return once(fn);
      } catch (e) {
        beforeNote = `original: ${(e as Error).message.split('\n')[0].slice(0, 80)}`;
        return null;
      } finally {
        installKernelPatches('wasm');
      }
    };
    original();
    once(fn);
    const before: number[] = [];
    const after: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const b = original();
      if (b !== null) before.push(b);
      after.push(once(fn));
    }
    const beforeMs = before.length ? median(before) : null;
    const afterMs = median(after);
    const row: Row = {
      kernel,
      shape,
      gflop,
      beforeMs,
      afterMs,
      beforeGflops: beforeMs === null ? null : gflop / (beforeMs / 1000),
      afterGflops: gflop / (afterMs / 1000),
      note: [note, beforeNote].filter(Boolean).join('; ') || undefined,
    };
    rows.push(row);
    console.error(`${kernel} ${shape}: before ${row.beforeGflops?.toFixed(2) ?? '—'} GFLOP/s, after ${row.afterGflops.toFixed(2)} GFLOP/s`);
  };

  const N = quick ? 8 : 32;
  for (const [H, C, s] of [
    [28, 32, 1],
    [14, 64, 1],
    [28, 32, 2],
  ] as const) {
    const x = rand([N, H, H, C]);
    const w = rand([3, 3, C, C]);
    const Ho = Math.ceil(H / s);
    const dy = rand([N, Ho, Ho, C]);
    const flops = (2 * N * Ho * Ho * 9 * C * C) / 1e9;
    const shape = `x ${N}×${H}×${H}×${C}, 3×3×${C}×${C}, stride ${s}, same`;
    const attrs = { strides: [s, s], pad: 'same', dataFormat: 'NHWC', dimRoundingMode: undefined };
    bench('Conv2D (forward, reference point)', ['Conv2D'], shape, flops, () => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, 'same'));
    bench('Conv2DBackpropInput', ['Conv2DBackpropInput'], shape, flops, () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...attrs, inputShape: [N, H, H, C] } as unknown as tf.NamedAttrMap),
    );
    bench('Conv2DBackpropFilter', ['Conv2DBackpropFilter'], shape, flops, () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { ...attrs, filterShape: [3, 3, C, C] } as unknown as tf.NamedAttrMap),
    );
    tf.dispose([x, w, dy]);
  }
  const [m, k, n] = quick ? [256, 256, 256] : [512, 512, 512];
  const a = rand([m, k]);
  const b = rand([k, n]);
  const bias = rand([n]);
  const flops = (2 * m * k * n) / 1e9;
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const shape = `${m}×${k}×${n}, transposeA ${tA}, transposeB ${tB}`;
    bench('BatchMatMul', ['BatchMatMul'], shape, flops, () => tf.matMul(a, b, tA, tB));
  }
  bench('_FusedMatMul (no bias)', ['_FusedMatMul'], `${m}×${k}×${n}, transposeA true`, flops, () => tf.fused.matMul({ a, b, transposeA: true }));
  bench('_FusedMatMul (bias, relu)', ['_FusedMatMul'], `${m}×${k}×${n}, transposeB true`, flops, () => tf.fused.matMul({ a, b, bias, transposeB: true, activation: 'relu' }), 'original adds the bias wrongly here (result not checked by the bench)');
  tf.dispose([a, b, bias]);

  const date = new Date().toISOString().slice(0, 10);
  const dir = path.join(process.cwd(), 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const meta = { date, backend: 'wasm', tfjs: tf.version.tfjs, node: process.version, repeats, warmup: 1, statistic: 'median', quick };
  const base = path.join(dir, `kernels-${date}-wasm${quick ? '-quick' : ''}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify({ meta, rows }, null, 2) + '\n');
  const fmt = (v: number | null, d = 2) => (v === null ? '—' : v.toFixed(d));
  const md = [
    `| kernel | shape | before (tfjs 4.22) GFLOP/s | after (patched) GFLOP/s | speed-up | note |`,
    `|---|---|---|---|---|---|`,
    ...rows.map(
      (r) =>
        `| ${r.kernel} | ${r.shape} | ${fmt(r.beforeGflops)} | ${fmt(r.afterGflops)} | ${r.beforeGflops ? (r.afterGflops / r.beforeGflops).toFixed(1) + '×' : '—'} | ${r.note ?? ''} |`,
    ),
  ].join('\n');
  fs.writeFileSync(`${base}.md`, `Kernel benchmark, ${date}, wasm, tfjs ${tf.version.tfjs}, Node ${process.version}, median of ${repeats} after 1 warm-up.\n\n${md}\n`);
  console.log(md);
  console.error(`wrote ${base}.json and ${base}.md`);
}

await main();
