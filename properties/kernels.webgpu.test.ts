/**
 * The kernel cross-checks of properties/kernels/specs.ts on tfjs's WebGPU backend (Dawn through
 * the npm package `webgpu`): on a machine without a GPU, on the SwiftShader Vulkan driver (a CPU
 * emulation, slow), so each spec runs fewer cases than on wasm (said in the test name); the
 * bounds are the same derived ones. Runs in its own vitest project (vitest.config.ts), whose
 * environment lists SwiftShader for the Vulkan loader before Dawn loads. Skipped, with the
 * reason, when the packages or any adapter are missing.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { adapterLabel, registerWebgpuBackend } from '../src/backend/webgpu.js';
import { KERNEL_SPECS } from './kernels/specs.js';

const probe = await registerWebgpuBackend({ allowSoftware: true });
const adapter = probe.info ? adapterLabel(probe.info) : 'no adapter';

async function activate(): Promise<void> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('webgpu backend failed to initialize');
  // Small tensors with CPU-resident inputs would otherwise run tfjs's CPU kernels, not the shaders.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
}

export function onWebgpu(name: string, body: () => Promise<void>): void {
  if (!probe.ok) {
    it.skip(`${name} [webgpu] — SKIPPED: ${probe.reason}`, () => {});
    return;
  }
  it(`${name} [webgpu: ${adapter}]`, async () => {
    await activate();
    await body();
  });
}

/** Cases per spec on webgpu (SwiftShader runs each kernel in a few ms to ~100 ms). */
const WEBGPU_RUNS = Number(process.env.WEBGPU_RUNS ?? 0);

for (const spec of KERNEL_SPECS) {
  const runs = WEBGPU_RUNS || Math.max(3, Math.round(spec.runs / 8));
  describe(spec.group, () => {
    onWebgpu(`${spec.title} (${runs} cases; ${spec.runs} on the other backends)`, async () => {
      const t0 = Date.now();
      const lines = await spec.run('webgpu', runs);
      for (const l of lines) console.log(l);
      console.log(`  (${runs} cases in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      expect(lines.length).toBeGreaterThan(0);
    });
  });
}
