/**
 * Backend selection: the preference order, the DIFFUSION_ORACLE_BACKEND override, the error for
 * a forced backend that cannot load (never a silent fallback), and the printed announcement.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { BACKEND_ENV, probeBackends, selectBackend, useBackend } from '../../src/backend/backend.js';
import { installedKernelPatches } from '../../src/backend/kernels/index.js';

const probes = await probeBackends();
const available = probes.filter((p) => p.ok).map((p) => p.name);
const probe = (n: string) => probes.find((p) => p.name === n)!;
/** The automatic choice: TensorFlow with CUDA, WebGPU on a hardware adapter, TensorFlow, wasm, cpu. */
const expectedAuto = probe('tensorflow').ok && probe('tensorflow').gpu ? 'tensorflow' : (['webgpu', 'tensorflow', 'wasm', 'cpu'] as const).find((n) => probe(n).ok);

describe('selectBackend', () => {
  it('picks the first loadable backend in the order tensorflow with CUDA, webgpu on a hardware adapter, tensorflow, wasm, cpu and prints it', async () => {
    const lines: string[] = [];
    const c = await selectBackend({ env: {}, log: (l) => lines.push(l) });
    expect(c.name).toBe(expectedAuto);
    // A software WebGPU adapter (SwiftShader) is never chosen automatically.
    if (probe('webgpu').software) expect(c.name).not.toBe('webgpu');
    console.log(`automatic choice: ${c.name}; webgpu probe: ${probe('webgpu').ok ? probe('webgpu').adapter : probe('webgpu').reason}`);
    expect(c.forced).toBe(false);
    expect(tf.getBackend()).toBe(c.name);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`backend ${c.name}`);
    if (c.name === 'wasm') expect(c.patches).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul', 'Conv2D']));
  });

  it(`${BACKEND_ENV}=cpu forces the cpu backend (with its ResizeNearestNeighborGrad fix)`, async () => {
    const lines: string[] = [];
    const c = await selectBackend({ env: { [BACKEND_ENV]: 'cpu' }, log: (l) => lines.push(l) });
    expect(c).toMatchObject({ name: 'cpu', forced: true });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines[0]).toMatch(/backend cpu: .*forced by DIFFUSION_ORACLE_BACKEND/);
    expect(installedKernelPatches('cpu')).toEqual(['ResizeNearestNeighborGrad']);
  });

  it(`${BACKEND_ENV}=wasm forces wasm with its kernel patches`, async () => {
    const c = await selectBackend({ env: { [BACKEND_ENV]: 'wasm' }, log: false });
    expect(c).toMatchObject({ name: 'wasm', forced: true });
    expect(installedKernelPatches('wasm')).toEqual(['Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul', '_FusedMatMul']);
  });

  it('a forced backend that cannot load is an error naming it and why, never a fallback', async () => {
    // (webgpu is left out: forcing it accepts a software adapter, so it may load although the automatic probe said no.)
    const absent = probes.find((p) => !p.ok && p.name !== 'webgpu');
    if (!absent) {
      // Every backend loads on this machine (tfjs-node installed, a hardware WebGPU adapter): nothing to demonstrate here.
      expect(available).toEqual(['tensorflow', 'webgpu', 'wasm', 'cpu']);
      return;
    }
    const before = tf.getBackend();
    await expect(selectBackend({ env: { [BACKEND_ENV]: absent.name }, log: false })).rejects.toThrow(
      new RegExp(`${BACKEND_ENV}=${absent.name} was requested, but that backend cannot be loaded .*Not falling back`),
    );
    expect(tf.getBackend()).toBe(before);
    await expect(useBackend(absent.name)).rejects.toThrow(/cannot be loaded/);
  });

  it('an unknown backend name is an error naming the variable and the value', async () => {
    await expect(selectBackend({ env: { [BACKEND_ENV]: 'webgl' }, log: false })).rejects.toThrow(/DIFFUSION_ORACLE_BACKEND: unknown backend; expected one of tensorflow, webgpu, wasm, cpu \(got "webgl"\)/);
    await expect(selectBackend({ backend: 'gpu' as 'cpu', log: false })).rejects.toThrow(/backend: unknown backend/);
    await expect(useBackend('gpu' as 'cpu')).rejects.toThrow(/backend: unknown backend/);
  });
});
