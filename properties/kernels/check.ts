/**
 * Shared machinery of the kernel cross-checks: float32 test data from a seed, elementwise
 * comparison against per-element bounds with worst-case bookkeeping, and the per-backend test
 * registration (one spec per op, run on every backend present, skipped visibly where absent).
 */
import * as tf from '@tensorflow/tfjs';
import { it } from 'vitest';
import { Rng } from '../../src/reference/rng.js';
import { ndarray, sizeOf, type NdArray } from '../../src/reference/layers/index.js';
import { probeBackend, probeBackends, useBackend, type BackendName, type BackendProbe } from '../../src/backend/backend.js';

/** Float32-representable normal data (so tfjs and the reference see identical inputs). */
export function f32Normal(rng: Rng, shape: number[], scale = 1, offset = 0): NdArray {
  return ndarray(shape, Array.from({ length: sizeOf(shape) }, () => Math.fround(offset + scale * rng.normal())));
}

export function toTensor(x: NdArray): tf.Tensor {
  return tf.tensor(Float32Array.from(x.data), [...x.shape], 'float32');
}

/** Reads tensors (and disposes them): never call dataSync inside tf.tidy. */
export function readAll(ts: tf.Tensor[]): Float32Array[] {
  const out = ts.map((t) => t.dataSync() as Float32Array);
  tf.dispose(ts);
  return out;
}

/** Reads tensors asynchronously (and disposes them): the only read WebGPU has in Node. */
export async function readAllAsync(ts: tf.Tensor[]): Promise<Float32Array[]> {
  const out = (await Promise.all(ts.map((t) => t.data()))) as Float32Array[];
  tf.dispose(ts);
  return out;
}

/** The bound bookkeeping lives in the bounds library. */
export { BoundTracker, relativeDiscrepancy } from '../../src/conformance/bounds/tracker.js';

/**
 * The backends the main test project runs on, with whether each loads here (probed once per test
 * file). webgpu runs in its own vitest project (*.webgpu.test.ts, with SwiftShader in its
 * environment): probeWebgpu below.
 */
export const BACKENDS: BackendProbe[] = (await probeBackends()).filter((p) => p.name !== 'webgpu');

/** webgpu on whatever adapter exists (SwiftShader included): for *.webgpu.test.ts only. */
export async function probeWebgpu(): Promise<BackendProbe> {
  return probeBackend('webgpu', { allowSoftware: true });
}

/**
 * Registers `body` as one test per backend ("<name> [<backend>]"). On an absent backend the test
 * is registered with it.skip and the reason in its name, so the report shows what did not run.
 * `backends` defaults to BACKENDS (tensorflow, wasm, cpu); the webgpu files pass [await probeWebgpu()].
 */
export function eachBackend(
  name: string,
  body: (backend: BackendName) => void | Promise<void>,
  only?: readonly BackendName[],
  backends: readonly BackendProbe[] = BACKENDS,
): void {
  for (const b of backends) {
    if (only && !only.includes(b.name)) continue;
    if (!b.ok) {
      it.skip(`${name} [${b.name}] — SKIPPED: backend '${b.name}' cannot be loaded here (${b.reason})`, () => {});
      continue;
    }
    const label = b.name === 'webgpu' ? `webgpu: ${b.adapter}` : b.name;
    it(`${name} [${label}]`, async () => {
      await useBackend(b.name, { allowSoftware: b.name === 'webgpu' });
      await body(b.name);
    });
  }
}
