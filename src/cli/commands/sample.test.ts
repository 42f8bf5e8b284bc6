/**
 * `sample` command: tiny random-weights U-Net checkpoints written with helper-6's saveCheckpoint,
 * sampled end to end through main() (PNG dimensions, determinism in the seed, guidance path), and
 * user mistakes reported as one line without a stack (exit 2; a corrupt checkpoint exits 1).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng } from '../../io/png.js';
import { saveCheckpoint } from '../../train/checkpoint.js';
import { initParamValues, shapeSize } from '../../train/nn.js';
import { validateTrainConfig, type TrainerState } from '../../train/config.js';
import { unetParamSpecs, type UNetConfig } from '../../train/unet.js';
import { Rng } from '../../reference/rng.js';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'sample-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeTinyCheckpoint(runDir: string, numClasses: number): void {
  const unet: UNetConfig = { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 8], groups: 4, timeEmbedDim: 8, timeHiddenDim: 16, numClasses };
  const config = validateTrainConfig({ unet, schedule: { name: 'linear', T: 50 }, classCond: numClasses > 0, batchSize: 4, evalSize: 4 });
  const specs = unetParamSpecs(config.unet);
  const params = initParamValues(specs, new Rng(1));
  const zeros = () => specs.map((s) => new Float32Array(shapeSize(s.shape)));
  const state: TrainerState = {
    config,
    step: 3,
    params,
    ema: initParamValues(specs, new Rng(2)),
    emaUpdates: 3,
    adam: { step: 3, m: zeros(), v: zeros() },
    rng: new Rng(0).getState(),
    data: null,
    sampler: null,
    losses: [0.5, 0.4, 0.3],
    evals: [],
  };
  saveCheckpoint(runDir, state);
}

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { code, out, err };
}

function expectOneLineError(err: string, re: RegExp) {
  const lines = err.trim().split('\n').filter((l) => !l.startsWith('[diffusion-oracle] backend'));
  expect(lines, err).toHaveLength(1);
  expect(lines[0]).toMatch(re);
  expect(err).not.toMatch(/^\s+at /m);
}

const uncond = join(dir, 'uncond');
const cond = join(dir, 'cond');
beforeAll(() => {
  writeTinyCheckpoint(uncond, 0);
  writeTinyCheckpoint(cond, 3);
});

describe('sample command', () => {
  it('ddim, 5 steps, 4 images → a PNG grid of the right size; the backend is printed; same seed, same image', async () => {
    const png = join(dir, 'a.png');
    const r = await run(['sample', '--checkpoint', uncond, '--sampler', 'ddim', '--steps', '5', '--n', '4', '--seed', '1', '--png', png]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/backend (wasm|cpu|tensorflow)/);
    expect(r.out).toMatch(/wrote .*a\.png \(38×38\): 4 images 8×8×1, ddim 5 steps η=0 spacing=leading/);
    const img = decodePng(readFileSync(png));
    // 2 columns of 8·2 px (scale 2) with 2 px padding: 2 + 2·(16 + 2) = 38.
    expect([img.width, img.height]).toEqual([38, 38]);
    const png2 = join(dir, 'b.png');
    expect((await run(['sample', '-c', uncond, '--steps', '5', '--n', '4', '--seed', '1', '--png', png2])).code).toBe(0);
    expect(readFileSync(png2).equals(readFileSync(png))).toBe(true);
    const png3 = join(dir, 'c.png');
    expect((await run(['sample', '-c', uncond, '--steps', '5', '--n', '4', '--seed', '2', '--png', png3])).code).toBe(0);
    expect(readFileSync(png3).equals(readFileSync(png))).toBe(false);
  });

  it('a checkpoint directory itself, EMA weights, ddpm and a continuous-time sampler; guidance on a conditional model', async () => {
    const ck = join(uncond, 'ckpt-00000003');
    for (const extra of [['--sampler', 'ddpm', '--variance', 'beta', '--spacing', 'trailing'], ['--sampler', 'dpm-solver++2m'], ['--sampler', 'predictor-corrector', '--spacing', 'time']]) {
      const png = join(dir, `${extra[1]}.png`);
      const r = await run(['sample', '-c', ck, '--steps', '4', '--n', '3', '--ema', '--png', png, '--cols', '3', '--scale', '1', ...extra]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/EMA weights/);
      const img = decodePng(readFileSync(png));
      expect([img.width, img.height]).toEqual([2 + 3 * 10, 12]);
    }
    const png = join(dir, 'guided.png');
    const r = await run(['sample', '-c', cond, '--sampler', 'ddim', '--steps', '3', '--n', '4', '--guidance', '3', '--class', '2', '--png', png]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/guidance w=3 classes 2/);
  });

  it('σ-space samplers: --sigmas karras|discrete, start σ_T·z, end at σ = 0; same seed, same image', async () => {
    for (const extra of [['--sampler', 'dpmpp_2m', '--sigmas', 'karras'], ['--sampler', 'euler_ancestral', '--eta', '0.5'], ['--sampler', 'heun', '--sigmas', 'discrete', '--spacing', 'trailing', '--s-churn', '1', '--s-tmax', '0.5'], ['--sampler', 'dpmpp_2m_sde', '--sigmas', 'exponential', '--solver-type', 'heun']]) {
      const png = join(dir, `${extra[1]}.png`);
      const r = await run(['sample', '-c', uncond, '--steps', '4', '--n', '2', '--seed', '3', '--png', png, ...extra]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(new RegExp(`${extra[1]} 4 steps sigmas=${extra[3] === '0.5' ? 'karras' : extra[3]} \\(σ .* → 0\\)`));
      const again = join(dir, `${extra[1]}-again.png`);
      expect((await run(['sample', '-c', uncond, '--steps', '4', '--n', '2', '--seed', '3', '--png', again, ...extra])).code).toBe(0);
      expect(readFileSync(again).equals(readFileSync(png))).toBe(true);
    }
  });

  it('a golden U-Net export (golden/unet: model.json + ema.bin) samples like a checkpoint (EMA weights; --raw is a usage error)', async () => {
    const golden = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'golden', 'unet');
    const png = join(dir, 'golden.png');
    const r = await run(['sample', '--checkpoint', golden, '--sampler', 'ddim', '--steps', '2', '--n', '2', '--png', png]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/2 images 28×28×1, ddim 2 steps .*EMA weights of .*unet \(step \d+\)/);
    const img = decodePng(readFileSync(png));
    // 2 columns of 28·2 px (scale 2) with 2 px padding: 2 + 2·(56 + 2) = 118 wide, one row.
    expect([img.width, img.height]).toEqual([118, 60]);
    const raw = await run(['sample', '--checkpoint', golden, '--steps', '2', '--n', '2', '--raw', '--png', join(dir, 'golden-raw.png')]);
    expect(raw.code).toBe(2);
    expectOneLineError(raw.err, /--raw: .*only the EMA weights/);
  });

  it('user mistakes: one line, no stack, exit 2', async () => {
    const png = join(dir, 'x.png');
    const cases: [string[], RegExp][] = [
      [['--checkpoint', join(dir, 'nope'), '--png', png], /--checkpoint .*nope: no such directory/],
      [['--checkpoint', dir, '--png', png], /neither a checkpoint .* nor a run directory/],
      [['--checkpoint', uncond, '--sampler', 'ddim3', '--png', png], /sampler/],
      [['--checkpoint', uncond, '--steps', 'abc', '--png', png], /--steps/],
      [['--checkpoint', uncond, '--steps', '0', '--png', png], /--steps/],
      [['--checkpoint', uncond, '--sampler', 'ddpm', '--eta', '0.5', '--png', png], /--eta applies to --sampler ddim, euler_ancestral, .* only/],
      [['--checkpoint', uncond, '--sampler', 'ddim', '--sigmas', 'karras', '--png', png], /--sigmas applies to the σ-space samplers only/],
      [['--checkpoint', uncond, '--sampler', 'dpmpp_2m', '--sigmas', 'karras', '--spacing', 'leading', '--png', png], /--spacing applies to --sigmas discrete only/],
      [['--checkpoint', uncond, '--sampler', 'dpmpp_2m', '--s-churn', '1', '--png', png], /--s-churn applies to --sampler euler, heun, dpm_2 only/],
      [['--checkpoint', uncond, '--sampler', 'lms', '--order', '5', '--png', png], /--order/],
      [['--checkpoint', uncond, '--sampler', 'euler', '--sigmas', 'discrete', '--steps', '51', '--png', png], /--sigmas discrete --steps 51/],
      [['--checkpoint', uncond, '--sampler', 'ode-heun', '--spacing', 'leading', '--png', png], /--spacing leading does not apply/],
      [['--checkpoint', uncond, '--steps', '51', '--png', png], /exceeds the model's T = 50/],
      [['--checkpoint', uncond, '--class', '1', '--png', png], /needs a class-conditional model/],
      [['--checkpoint', cond, '--class', '3', '--png', png], /--class 3 is out of range/],
      [['--checkpoint', uncond], /--png/],
    ];
    for (const [argv, re] of cases) {
      const r = await run(['sample', ...argv]);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(2);
      expectOneLineError(r.err, re);
    }
  });

  it('a corrupt checkpoint is a data-file error naming the file (exit 1), not a crash', async () => {
    const bad = join(dir, 'bad');
    writeTinyCheckpoint(bad, 0);
    const w = join(bad, 'ckpt-00000003', 'weights.bin');
    writeFileSync(w, readFileSync(w).subarray(0, 100));
    const r = await run(['sample', '-c', bad, '--png', join(dir, 'y.png')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.err, /data file: .*weights\.bin.*size mismatch/);
  });

  it('--help describes the command', async () => {
    const r = await run(['sample', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Usage: diffusion-oracle sample/);
    expect(r.out).toMatch(/--sampler/);
    expect(r.out).toMatch(/classifier-free guidance/);
  });
});
