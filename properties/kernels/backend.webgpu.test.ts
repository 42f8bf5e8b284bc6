/**
 * The webgpu backend in the selection chain (its own vitest project: SwiftShader is in the
 * environment): forced by DIFFUSION_ORACLE_BACKEND=webgpu on whatever adapter exists, the line
 * names the adapter, the kernel patches are installed, and a software adapter is never chosen
 * automatically. Skipped with the reason where neither the packages nor an adapter exist.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect } from 'vitest';
import { BACKEND_ENV, selectBackend } from '../../src/backend/backend.js';
import { installedWebgpuPatches } from '../../src/backend/webgpu.js';
import { eachBackend, probeWebgpu } from './check.js';

const WEBGPU = [await probeWebgpu()];

describe('selectBackend with webgpu', () => {
  eachBackend(
    `${BACKEND_ENV}=webgpu forces webgpu on any adapter; the line names the adapter; patches installed; CPU forwarding off`,
    async () => {
      const lines: string[] = [];
      const c = await selectBackend({ env: { [BACKEND_ENV]: 'webgpu' }, log: (l) => lines.push(l) });
      console.log(lines[0]);
      expect(c).toMatchObject({ name: 'webgpu', forced: true, package: '@tensorflow/tfjs-backend-webgpu' });
      expect(tf.getBackend()).toBe('webgpu');
      expect(lines[0]).toMatch(/backend webgpu: WebGPU \(Dawn\) on .+\((hardware|software)\).*forced by DIFFUSION_ORACLE_BACKEND|backend webgpu: WebGPU \(Dawn\) on .+, (hardware|software)/);
      if (WEBGPU[0].software) expect(lines[0]).toMatch(/software — a CPU emulation: correct, slow, timings not quotable/);
      expect(c.patches).toEqual(['Exp', 'Expm1', 'Log', 'Log1p', 'Sigmoid', 'AddN']);
      expect(installedWebgpuPatches()).toEqual(c.patches);
      expect(tf.env().getBool('WEBGPU_CPU_FORWARD')).toBe(false);
    },
    undefined,
    WEBGPU,
  );
  eachBackend(
    'the automatic choice never picks a software WebGPU adapter',
    async () => {
      const c = await selectBackend({ env: {}, log: false });
      console.log(`adapter: ${WEBGPU[0].adapter}; automatic choice: ${c.name}`);
      if (WEBGPU[0].software) expect(c.name).not.toBe('webgpu');
      else expect(['tensorflow', 'webgpu']).toContain(c.name);
    },
    undefined,
    WEBGPU,
  );
});
