/**
 * Kernel patches that make a U-Net training step fast and correct on the backends tfjs 4.22 ships
 * (status table and measurements: docs/backends.md):
 *
 * | backend | kernel | problem in 4.22 | patch |
 * |---|---|---|---|
 * | wasm | Conv2D, FusedConv2D | WRONG (unwritten output) for 'same' padding with stride > filter size | pass 'same' as explicit padding (wasm-conv.ts) |
 * | wasm | Conv2DBackpropFilter | missing (training a conv throws) | Conv2D on transposed x and dy (wasm-conv.ts) |
 * | wasm | Conv2DBackpropInput | scalar loop, 2-3 GFLOP/s | Conv2D with flipped filter, zero-dilated dy |
 * | wasm | BatchMatMul, _FusedMatMul with transposeA/B | scalar loop, 0.6-2 GFLOP/s | materialize the transpose, fast path (wasm-matmul.ts) |
 * | wasm | _FusedMatMul with bias | WRONG bias when transposed or batch > 1 | transposes materialized; batched: product + Add + activation |
 * | cpu | ResizeNearestNeighborGrad | wrong for batch > 1 | index-map transpose (cpu-resize.ts) |
 *
 * Not patched, avoided instead: MaxPoolGrad on wasm (wrong for C > 1; use average pooling or a
 * strided conv), AvgPoolGrad with 'same' padding where a window overlaps the border (cpu and wasm
 * divide by the full window size, the forward by the in-image count: use 'valid' pooling),
 * depthwise-conv gradients and UnsortedSegmentSum (missing on wasm; not needed).
 *
 * Patches are registered in tfjs's global kernel registry under the backend's name and replace the
 * original entry; `uninstallKernelPatches` puts the originals back (tests use that to compare).
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterWasm, conv2DBackpropInputWasm, explicitSamePadding } from './wasm-conv.js';
import { untransposedMatMul } from './wasm-matmul.js';
import { resizeNearestNeighborGradCorrect } from './cpu-resize.js';

export { conv2DBackpropFilterWasm, conv2DBackpropInputWasm, explicitSamePadding } from './wasm-conv.js';
export { untransposedMatMul } from './wasm-matmul.js';
export { resizeNearestNeighborGradCorrect, sourceIndex } from './cpu-resize.js';

export interface KernelPatch {
  kernelName: string;
  backendName: string;
  /** Why the original is replaced. */
  reason: string;
  /** Builds the patch's kernel function from the original one (undefined when it is missing). */
  make(original: tf.KernelFunc | undefined): tf.KernelFunc;
}

export const KERNEL_PATCHES: readonly KernelPatch[] = [
  {
    kernelName: 'Conv2D',
    backendName: 'wasm',
    reason: "wrong (unwritten output) in 4.22 for 'same' padding with stride > filter size; passed as explicit padding",
    make: (orig) => explicitSamePadding(required(orig, 'Conv2D')) as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'FusedConv2D',
    backendName: 'wasm',
    reason: "wrong (unwritten output) in 4.22 for 'same' padding with stride > filter size; passed as explicit padding",
    make: (orig) => explicitSamePadding(required(orig, 'FusedConv2D')) as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    reason: 'missing in tfjs-backend-wasm 4.22; computed as a wasm Conv2D on transposed x and dy',
    make: () => conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    reason: 'slow scalar loop in 4.22; computed as a wasm Conv2D with the flipped filter',
    make: () => conv2DBackpropInputWasm as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'BatchMatMul',
    backendName: 'wasm',
    reason: 'slow scalar loop for transposeA/B in 4.22; transpose materialized, then the XNNPACK path',
    make: (orig) => untransposedMatMul(required(orig, 'BatchMatMul')) as unknown as tf.KernelFunc,
  },
  {
    kernelName: '_FusedMatMul',
    backendName: 'wasm',
    reason: 'slow for transposeA/B and WRONG bias (transposed or batch > 1) in 4.22; transposes materialized, batched bias added separately',
    make: (orig) => untransposedMatMul(required(orig, '_FusedMatMul')) as unknown as tf.KernelFunc,
  },
  {
    kernelName: 'ResizeNearestNeighborGrad',
    backendName: 'cpu',
    reason: 'wrong for batch > 1 in tfjs-backend-cpu 4.22 (reads dy with the image batch stride)',
    make: () => resizeNearestNeighborGradCorrect as unknown as tf.KernelFunc,
  },
];

function required(orig: tf.KernelFunc | undefined, name: string): tf.KernelFunc {
  if (!orig) throw new Error(`kernel patch: the original wasm '${name}' kernel is not registered`);
  return orig;
}

/** Originals (or null where the kernel was missing) of the patches currently installed. */
const installed = new Map<string, tf.KernelConfig | null>();
const key = (p: { kernelName: string; backendName: string }) => `${p.backendName}/${p.kernelName}`;

/**
 * Registers every patch for `backendName` (idempotent). Call after the backend is initialized
 * (`await tf.setBackend(name)`), because the patches call its kernels. Returns the kernel names.
 */
export function installKernelPatches(backendName: string): string[] {
  const names: string[] = [];
  for (const p of KERNEL_PATCHES) {
    if (p.backendName !== backendName) continue;
    names.push(p.kernelName);
    if (installed.has(key(p))) continue;
    const original = tf.getKernel(p.kernelName, p.backendName) ?? null;
    const kernelFunc = p.make(original?.kernelFunc);
    if (original) tf.unregisterKernel(p.kernelName, p.backendName);
    tf.registerKernel({ kernelName: p.kernelName, backendName: p.backendName, kernelFunc });
    installed.set(key(p), original);
  }
  return names;
}

/** Restores the original kernels of `backendName` (all, or the named ones; patches of missing kernels are removed). */
export function uninstallKernelPatches(backendName: string, kernelNames?: readonly string[]): void {
  for (const p of KERNEL_PATCHES) {
    if (p.backendName !== backendName || !installed.has(key(p))) continue;
    if (kernelNames && !kernelNames.includes(p.kernelName)) continue;
    const original = installed.get(key(p));
    tf.unregisterKernel(p.kernelName, p.backendName);
    if (original) tf.registerKernel(original);
    installed.delete(key(p));
  }
}

/** Names of the patches currently installed for `backendName`. */
export function installedKernelPatches(backendName: string): string[] {
  return KERNEL_PATCHES.filter((p) => p.backendName === backendName && installed.has(key(p))).map((p) => p.kernelName);
}
