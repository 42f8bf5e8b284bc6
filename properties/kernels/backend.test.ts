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

describe('selectBackend', () => {
  it('picks the first loadable backend in the order tensorflow, wasm, cpu and prints it', async () => {
    const lines: string[] = [];
    const c = await selectBackend({ env: {}, log: (l) => lines.push(l) });
    expect(c.name).toBe(available[0]);
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
    const absent = probes.find((p) => !p.ok);
    if (!absent) {
      // Every backend loads on this machine (tfjs-node installed): nothing to demonstrate here.
      expect(available).toEqual(['tensorflow', 'wasm', 'cpu']);
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
    await expect(selectBackend({ env: { [BACKEND_ENV]: 'webgpu' }, log: false })).rejects.toThrow(/DIFFUSION_ORACLE_BACKEND: unknown backend; expected one of tensorflow, wasm, cpu \(got "webgpu"\)/);
    await expect(selectBackend({ backend: 'gpu' as 'cpu', log: false })).rejects.toThrow(/backend: unknown backend/);
    await expect(useBackend('gpu' as 'cpu')).rejects.toThrow(/backend: unknown backend/);
  });
});
