/**
 * Training and sampling through the CLI on webgpu (DIFFUSION_ORACLE_BACKEND=webgpu), in-process:
 * a 2-step run of a tiny U-Net (8 px, channels 8-8) on SwiftShader, then `sample` from its run
 * directory. Checks the backend line, the run's files, finite held-out losses and a PNG. (The
 * golden U-Net samples on webgpu too, `sample --checkpoint golden/unet --n 2 --steps 2`, but takes
 * about 50 s on SwiftShader: docs/backends.md.)
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { PNG } from 'pngjs';
import { main } from '../src/cli/main.js';
import { eachBackend, probeWebgpu } from './kernels/check.js';
import { webgpuUncapturedErrors } from '../src/backend/webgpu.js';

const WEBGPU = [await probeWebgpu()];
const dir = mkdtempSync(join(tmpdir(), 'cli-webgpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: { ...process.env, DIFFUSION_ORACLE_BACKEND: 'webgpu' }, cwd: dir });
  return { code, out, err };
}

describe('CLI on webgpu', () => {
  eachBackend(
    'train --steps 2 (tiny U-Net, batch 2) then sample --n 2 --steps 2 from the run directory',
    async () => {
      const t0 = Date.now();
      const tr = await run(
        ['train', '--data', 'mixture', '--image-size', '8', '--mixture-k', '2', '--limit', '32', '--steps', '2', '--batch', '2', '--channels', '8,8', '--groups', '2',
          '--time-embed', '8', '--time-hidden', '8', '--T', '20', '--checkpoint-every', '2', '--eval-every', '0', '--eval-size', '4', '--sample-every', '-1', '--out', 'run'],
      );
      if (tr.code !== 0) console.log(tr.err);
      expect(tr.code).toBe(0);
      expect(tr.err).toMatch(/backend webgpu: WebGPU \(Dawn\) on /);
      const summary = JSON.parse(tr.out.trim().split('\n').pop()!) as { step: number; backend: string; heldOutLoss: number; heldOutLossEma: number };
      expect(summary).toMatchObject({ step: 2, backend: 'webgpu' });
      expect(Number.isFinite(summary.heldOutLoss) && Number.isFinite(summary.heldOutLossEma)).toBe(true);
      expect(existsSync(join(dir, 'run', 'ckpt-00000002'))).toBe(true);
      const t1 = Date.now();
      const sa = await run(['sample', '--checkpoint', 'run', '--n', '2', '--steps', '2', '--png', 'x.png']);
      if (sa.code !== 0) console.log(sa.err);
      expect(sa.code).toBe(0);
      expect(sa.out).toMatch(/wrote .*x\.png .*2 images 8×8×1, ddim 2 steps .*backend webgpu/);
      const png = PNG.sync.read(readFileSync(join(dir, 'x.png')));
      expect(png.width).toBeGreaterThan(16);
      expect(webgpuUncapturedErrors()).toEqual([]);
      console.log(`train 2 steps ${((t1 - t0) / 1000).toFixed(1)} s (held-out loss ${summary.heldOutLoss.toFixed(4)}), sample ${((Date.now() - t1) / 1000).toFixed(1)} s; ${sa.out.trim()}`);
    },
    undefined,
    WEBGPU,
  );
});
