/**
 * Cross-checks of every tfjs kernel a U-Net training step uses (and of our wasm/cpu kernel
 * patches) against the float64 reference layers of src/reference/layers, forward and backward,
 * on every backend that loads here (tensorflow, wasm, cpu; webgpu runs the same specs in
 * kernels.webgpu.test.ts). The specs live in properties/kernels/specs.ts: shapes and values come
 * from fast-check with the suite's fixed seed; each comparison uses the per-element float32 bound
 * derived in src/conformance/bounds/kernels.ts (never tuned), and each spec logs its worst error beside its bound.
 *
 * The reference gradients themselves are checked against central finite differences in
 * src/reference/layers/layers.test.ts. Known-wrong tfjs kernels are demonstrated by tests that
 * assert the disagreement, so a tfjs release that fixes them makes those tests fail (update
 * docs/backends.md and drop the patch or the avoidance then).
 */
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect } from 'vitest';
import { FC_SEED } from '../src/conformance/harness.js';
import { Rng } from '../src/reference/rng.js';
import { absNd, avgPoolGrad, conv2d, matmul, upsampleNearestGrad } from '../src/reference/layers/index.js';
import { installKernelPatches, uninstallKernelPatches } from '../src/backend/kernels/index.js';
import type { BackendName } from '../src/backend/backend.js';
import { BoundTracker, eachBackend, f32Normal, readAll, relativeDiscrepancy, toTensor } from './kernels/check.js';
import { dotBound, gamma } from '../src/conformance/bounds/kernels.js';
import { maxPool2GradReference } from './kernels/composites.js';
import { checkConv, checkMatmul, convCase, elementaryArgs, KERNEL_SPECS, matmulCase, upsampleData } from './kernels/specs.js';

/** Runs fn with the named kernel patches removed (the tfjs 4.22 originals), then restores them. */
function withoutPatches<T>(backend: BackendName, kernels: readonly string[], fn: () => T): T {
  uninstallKernelPatches(backend, kernels);
  try {
    return fn();
  } finally {
    installKernelPatches(backend);
  }
}

/** withoutPatches for an asynchronous fn (the originals stay out until it settles). */
async function withoutPatchesAsync<T>(backend: BackendName, kernels: readonly string[], fn: () => Promise<T>): Promise<T> {
  uninstallKernelPatches(backend, kernels);
  try {
    return await fn();
  } finally {
    installKernelPatches(backend);
  }
}


// ---------------------------------------------------------------------------------------------
// The cross-checks of every kernel a U-Net training step uses (properties/kernels/specs.ts: conv2d,
// matmul, group norm incl. large spatial sizes, SiLU, average pooling, nearest upsampling, concat,
// slice, expm1, log1pF32, Adam), forward and backward, on every backend here. The same specs run on
// webgpu in properties/kernels.webgpu.test.ts.
// ---------------------------------------------------------------------------------------------
for (const spec of KERNEL_SPECS) {
  describe(spec.group, () => {
    eachBackend(spec.title, async (backend) => {
      const lines = await spec.run(backend, spec.runs);
      for (const l of lines) console.log(l);
      expect(lines.length).toBeGreaterThan(0);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Known-wrong tfjs kernels (each asserts the disagreement, so a tfjs fix is noticed)
// ---------------------------------------------------------------------------------------------
describe('conv2d (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter)', () => {
  eachBackend(
    'unpatched tfjs 4.22 wasm: Conv2DBackpropInput is correct (slow), Conv2DBackpropFilter is missing',
    async (backend) => {
      const fwd = new BoundTracker(`conv2d forward, unpatched [${backend}]`);
      const dxT = new BoundTracker(`conv2d input gradient, unpatched original kernel [${backend}]`);
      await withoutPatchesAsync(backend, ['Conv2DBackpropInput', 'Conv2DBackpropFilter'], async () => {
        await fc.assert(
          fc.asyncProperty(convCase, (c) => checkConv(c, fwd, dxT, dxT, { filterGrad: false })),
          { seed: FC_SEED, numRuns: 15 },
        );
        const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
        const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
        // If this stops throwing, tfjs has added the kernel: re-check it and update docs/backends.md.
        expect(() => tf.grad((v: tf.Tensor) => tf.conv2d(x, v as tf.Tensor4D, 1, 'same'))(w)).toThrow(/Conv2DBackpropFilter/);
        tf.dispose([x, w]);
      });
      for (const t of [fwd, dxT]) console.log(t.report());
    },
    ['wasm'],
  );
});

describe('matmul (BatchMatMul, _FusedMatMul incl. transposeA/B: dense layers and their gradients)', () => {
  eachBackend(
    'unpatched tfjs 4.22 wasm BatchMatMul with transposes is correct (slow path)',
    async (backend) => {
      const fwd = new BoundTracker(`matmul forward, unpatched [${backend}]`);
      const grd = new BoundTracker(`matmul gradients, unpatched [${backend}]`);
      await withoutPatchesAsync(backend, ['BatchMatMul', '_FusedMatMul'], () =>
        fc.assert(
          fc.asyncProperty(matmulCase.map((c) => ({ ...c, fused: false })), (c) => checkMatmul(c, fwd, grd)),
          { seed: FC_SEED, numRuns: 20 },
        ),
      );
      console.log(fwd.report());
      console.log(grd.report());
    },
    ['wasm'],
  );
});

describe('average pooling (AvgPool, AvgPoolGrad)', () => {
  eachBackend("KNOWN BUG (cpu, wasm): AvgPoolGrad divides by the full window where 'same' windows overlap the border", (backend) => {
    const rng = new Rng(5);
    const x = f32Normal(rng, [1, 3, 3, 2]);
    const opts = { filterSize: 2, strides: 1, padding: 'same' as const };
    const dy = f32Normal(rng, [1, 3, 3, 2]);
    const [xt, dyt] = [toTensor(x), toTensor(dy)];
    const [dx] = readAll([tf.grad((v: tf.Tensor) => tf.avgPool(v as tf.Tensor4D, 2, 1, 'same'))(xt, dyt)]);
    const d = relativeDiscrepancy(dx, avgPoolGrad(dy, x.shape, opts).data);
    console.log(`AvgPoolGrad 'same' with padded windows [${backend}]: relative error ${d.toExponential(2)}`);
    // The forward excludes padding from the count (as TensorFlow does); tfjs's cpu and wasm
    // gradients use 1/(KH·KW). If this fails, tfjs fixed it: update docs/backends.md.
    if (backend === 'tensorflow') expect(d).toBeLessThan(1e-5);
    else expect(d).toBeGreaterThan(0.1);
    tf.dispose([xt, dyt]);
  });
});

describe('nearest 2× upsampling (broadcast form; ResizeNearestNeighbor and its grad)', () => {
  eachBackend(
    'KNOWN BUG: unpatched tfjs 4.22 cpu ResizeNearestNeighborGrad is wrong for batch > 1',
    (backend) => {
      const { x, dy } = upsampleData({ n: 2, h: 3, w: 3, c: 2, seed: 7 });
      const [xt, dyt] = [toTensor(x), toTensor(dy)];
      const f = (v: tf.Tensor) => tf.image.resizeNearestNeighbor(v as tf.Tensor4D, [6, 6]);
      const ref = upsampleNearestGrad(dy, 2).data;
      const [wrong] = withoutPatches(backend, ['ResizeNearestNeighborGrad'], () => readAll([tf.grad(f)(xt, dyt)]));
      const [right] = readAll([tf.grad(f)(xt, dyt)]);
      const dWrong = relativeDiscrepancy(wrong, ref);
      console.log(`cpu ResizeNearestNeighborGrad, batch 2: original kernel relative error ${dWrong.toExponential(2)}, patched ${relativeDiscrepancy(right, ref).toExponential(2)}`);
      // If this fails, tfjs fixed the kernel: drop the cpu patch and update docs/backends.md.
      expect(dWrong).toBeGreaterThan(0.1);
      expect(relativeDiscrepancy(right, ref)).toBeLessThanOrEqual(gamma(4));
      tf.dispose([xt, dyt]);
    },
    ['cpu'],
  );
});

describe('max pooling gradient (MaxPoolGrad): avoided in our models', () => {
  eachBackend('KNOWN BUG on wasm: MaxPoolGrad is wrong for C > 1; correct elsewhere (it only routes dy)', (backend) => {
    const rng = new Rng(11);
    const x = f32Normal(rng, [2, 4, 4, 3]);
    const dy = f32Normal(rng, [2, 2, 2, 3]);
    const [xt, dyt] = [toTensor(x), toTensor(dy)];
    const [dx] = readAll([tf.grad((v: tf.Tensor) => tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid'))(xt, dyt)]);
    const d = relativeDiscrepancy(dx, maxPool2GradReference(x.data, [...x.shape], dy.data));
    console.log(`MaxPoolGrad [${backend}], C = 3: relative error ${d.toExponential(2)}`);
    // Exact routing (no arithmetic) except on wasm, where tfjs 4.22 is wrong: if wasm ever passes,
    // tfjs fixed it (update docs/backends.md).
    if (backend === 'wasm') expect(d).toBeGreaterThan(0.1);
    else expect(d).toBe(0);
    tf.dispose([xt, dyt]);
  });
});

describe('wasm kernels that tfjs 4.22 gets wrong and our patches fix', () => {
  eachBackend(
    "KNOWN BUG: unpatched wasm Conv2D and FusedConv2D return an unwritten output for 'same' padding with stride > filter",
    (backend) => {
      const rng = new Rng(3);
      const x = f32Normal(rng, [2, 7, 6, 2]);
      const w = f32Normal(rng, [2, 1, 2, 3]);
      const ro = { strides: 2, padding: 'same' as const };
      const ref = conv2d(x, w, ro);
      const [xt, wt] = [toTensor(x), toTensor(w)];
      const [wrong] = withoutPatches(backend, ['Conv2D'], () => readAll([tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, 2, 'same')]));
      const [right] = readAll([tf.conv2d(xt as tf.Tensor4D, wt as tf.Tensor4D, 2, 'same')]);
      const d = relativeDiscrepancy(wrong, ref.data);
      console.log(`wasm Conv2D 2×1 filter, stride 2, 'same': original relative error ${d.toExponential(2)}, patched ${relativeDiscrepancy(right, ref.data).toExponential(2)}`);
      // If this fails, tfjs fixed it: drop the Conv2D/FusedConv2D patch, update docs/backends.md.
      expect(d).toBeGreaterThan(0.1);
      new BoundTracker('wasm Conv2D patched').check('y', right, ref.data, dotBound(conv2d(absNd(x), absNd(w), ro), 2 * 2));
      // FusedConv2D (conv + bias + activation in one kernel) has the same bug and the same patch.
      const bias = f32Normal(rng, [3]);
      const bt = toTensor(bias);
      const fused = () => tf.fused.conv2d({ x: xt as tf.Tensor4D, filter: wt as tf.Tensor4D, strides: 2, pad: 'same', bias: bt });
      const fusedRef = ref.data.map((v, i) => v + bias.data[i % 3]);
      const [fWrong] = withoutPatches(backend, ['FusedConv2D'], () => readAll([fused()]));
      const [fRight] = readAll([fused()]);
      console.log(`wasm FusedConv2D, same shapes: original relative error ${relativeDiscrepancy(fWrong, fusedRef).toExponential(2)}`);
      expect(relativeDiscrepancy(fWrong, fusedRef)).toBeGreaterThan(0.1);
      const fusedMag = conv2d(absNd(x), absNd(w), ro).data.map((v, i) => gamma(5) * (v + Math.abs(bias.data[i % 3])));
      new BoundTracker('wasm FusedConv2D patched').check('y', fRight, fusedRef, fusedMag);
      tf.dispose([xt, wt, bt]);
    },
    ['wasm'],
  );
  eachBackend(
    'KNOWN BUG: unpatched wasm _FusedMatMul adds the bias wrongly for batch > 1 or transposed operands',
    (backend) => {
      const rng = new Rng(4);
      const a = f32Normal(rng, [2, 3, 4]);
      const b = f32Normal(rng, [2, 4, 3]);
      const bias = f32Normal(rng, [3]);
      const ref = matmul(a, b).data.map((v, i) => v + bias.data[i % 3]);
      const [at, bt, ct] = [toTensor(a), toTensor(b), toTensor(bias)];
      const f = () => tf.fused.matMul({ a: at, b: bt, bias: ct });
      const [wrong] = withoutPatches(backend, ['_FusedMatMul'], () => readAll([f()]));
      const [right] = readAll([f()]);
      const d = relativeDiscrepancy(wrong, ref);
      console.log(`wasm _FusedMatMul with bias, batch 2: original relative error ${d.toExponential(2)}, patched ${relativeDiscrepancy(right, ref).toExponential(2)}`);
      expect(d).toBeGreaterThan(0.1);
      const mag = matmul(absNd(a), absNd(b)).data.map((v, i) => gamma(5) * (v + Math.abs(bias.data[i % 3])));
      new BoundTracker('wasm _FusedMatMul patched').check('y', right, ref, mag);
      tf.dispose([at, bt, ct]);
    },
    ['wasm'],
  );
});

describe('elementary functions near 0 (Expm1)', () => {
  eachBackend(
    'KNOWN BUG on wasm: tf.log1p computes log(1 + x) naively (avoided: schedules.ts uses log1pF32)',
    (backend) => {
      const x = elementaryArgs(1, -0.5, 0.5);
      const [y] = readAll([tf.log1p(tf.tensor1d(x))]);
      const ref = Array.from(x, Math.log1p);
      const worst = Math.max(...ref.map((r, i) => Math.abs(y[i] - r) / Math.abs(r)));
      console.log(`tf.log1p [${backend}] for |x| from 2^-30: worst relative error ${worst.toExponential(2)}`);
      // Correct to C_FN units on cpu and tensorflow; on wasm log1p(2^-30) = 0 (relative error 1).
      if (backend === 'wasm') expect(worst).toBeGreaterThan(0.5);
      else expect(worst).toBeLessThanOrEqual(gamma(4));
    },
  );
});
