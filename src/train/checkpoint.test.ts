/**
 * Checkpoint tests (issue 5): save/load round trip (identical outputs, optimizer state and
 * continuation), stock tfjs reads the weights, corrupt files are named with the kind of mismatch,
 * pruning, and the crash test: a training child process killed with SIGKILL after its first
 * checkpoint, resumed, reproduces the uninterrupted run's loss curve and final weights exactly.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend, type BackendChoice } from '../backend/backend.js';
import { CheckpointError, checkpointName, loadCheckpointDir, loadLatestCheckpoint, saveCheckpoint } from './checkpoint.js';
import { loadUnet } from './adapter.js';
import { Trainer, validateTrainConfig, type TrainConfig } from './index.js';
import { mixtureData } from './train_data.js';
import { Rng } from '../reference/rng.js';
import { main } from '../cli/main.js';

let backend: BackendChoice;
let work: string;
beforeAll(async () => {
  backend = await selectBackend({ log: false });
  work = mkdtempSync(join(tmpdir(), 'ckpt-test-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function tinyConfig(over: Partial<TrainConfig> = {}): TrainConfig {
  return validateTrainConfig({
    unet: { imageSize: 8, inChannels: 1, outChannels: 1, channels: [8, 16], groups: 4, timeEmbedDim: 16, timeHiddenDim: 32, numClasses: over.classCond ? 10 : 0 },
    batchSize: 8,
    lr: 2e-3,
    warmupSteps: 5,
    evalSize: 16,
    sampler: 'importance',
    schedule: { name: 'linear', T: 10 },
    ...over,
  });
}
const tinyData = (c: TrainConfig) => mixtureData({ imageSize: 8, batchSize: c.batchSize, seed: c.seed, nTrain: 64, nTest: 16 });

describe('checkpoint round trip', () => {
  it('save → load gives identical weights, EMA, optimizer state, outputs and continuation', () => {
    const c = tinyConfig({ classCond: true });
    const a = new Trainer(c, tinyData(c));
    for (let i = 0; i < 12; i++) a.trainStep(); // 12 steps of 8 over 64 examples: crosses an epoch
    a.evaluate();
    const dir = join(work, 'roundtrip');
    const path = saveCheckpoint(dir, a.getState());
    expect(path).toBe(join(dir, checkpointName(12)));
    const { state } = loadLatestCheckpoint(dir);
    const b = new Trainer(state.config, tinyData(state.config), state);

    const sa = a.getState();
    const sb = b.getState();
    for (const [name, v] of sa.params) expect(Array.from(sb.params.get(name)!)).toEqual(Array.from(v));
    for (const [name, v] of sa.ema) expect(Array.from(sb.ema.get(name)!)).toEqual(Array.from(v));
    expect(sb.adam.step).toBe(sa.adam.step);
    sa.adam.m.forEach((m, i) => expect(Array.from(sb.adam.m[i])).toEqual(Array.from(m)));
    sa.adam.v.forEach((v, i) => expect(Array.from(sb.adam.v[i])).toEqual(Array.from(v)));
    expect(sb.rng).toEqual(sa.rng);
    expect(sb.data).toEqual(sa.data);
    expect(sb.sampler).toEqual(sa.sampler);
    expect(sb.losses).toEqual(sa.losses);
    expect(sb.evals).toEqual(sa.evals);
    expect(sb.emaUpdates).toBe(12);

    const x = tf.tensor4d(Float32Array.from(new Rng(9).normals(3 * 64)), [3, 8, 8, 1]);
    const ya = a.model.apply(x, [1, 5, 10], [0, 4, 10]).dataSync();
    const yb = b.model.apply(x, [1, 5, 10], [0, 4, 10]).dataSync();
    expect(Array.from(yb)).toEqual(Array.from(ya));
    const ea = a.model.apply(x, [1, 5, 10], [0, 4, 10], a.ema.params()).dataSync();
    const eb = b.model.apply(x, [1, 5, 10], [0, 4, 10], b.ema.params()).dataSync();
    expect(Array.from(eb)).toEqual(Array.from(ea));

    for (let i = 0; i < 5; i++) {
      a.trainStep();
      b.trainStep();
    }
    expect(b.losses).toEqual(a.losses);
    a.dispose();
    b.dispose();
  });

  it('stock tfjs decodes the weights from model.json + weights.bin (tf.io.decodeWeights)', () => {
    const c = tinyConfig();
    const a = new Trainer(c, tinyData(c));
    a.trainStep();
    const dir = join(work, 'stock');
    const ck = saveCheckpoint(dir, a.getState());
    const modelJson = JSON.parse(readFileSync(join(ck, 'model.json'), 'utf8'));
    expect(modelJson.modelTopology.class).toBe('UNet');
    expect(modelJson.modelTopology.config).toEqual(c.unet);
    const group = modelJson.weightsManifest[0];
    const bin = readFileSync(join(ck, group.paths[0].replace('./', '')));
    const map = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), group.weights);
    const params = a.model.values();
    expect(Object.keys(map).sort()).toEqual([...params.keys()].sort());
    for (const [name, v] of params) expect(Array.from(map[name].dataSync())).toEqual(Array.from(v));
    // our loader rebuilds the model from the checkpoint alone
    const loaded = loadUnet(ck, { weights: 'ema' });
    expect(loaded.unet).toEqual(c.unet);
    expect(Object.keys(loaded.params).length).toBe(params.size);
    loaded.dispose();
    a.dispose();
  });
});

describe('corrupt and incomplete checkpoints', () => {
  function fresh(name: string): string {
    const c = tinyConfig();
    const a = new Trainer(c, tinyData(c));
    a.trainStep();
    const ck = saveCheckpoint(join(work, name), a.getState());
    a.dispose();
    return ck;
  }

  it('a flipped byte is a checksum mismatch naming the file', () => {
    const ck = fresh('flip');
    const f = join(ck, 'weights.bin');
    const b = readFileSync(f);
    b[100] ^= 0x01;
    writeFileSync(f, b);
    expect(() => loadLatestCheckpoint(join(work, 'flip'))).toThrow(CheckpointError);
    expect(() => loadLatestCheckpoint(join(work, 'flip'))).toThrow(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: checksum mismatch`));
  });

  it('a truncated file is a size mismatch naming the file; a changed state.json is caught too', () => {
    const ck = fresh('trunc');
    truncateSync(join(ck, 'optimizer.bin'), 100);
    expect(() => loadCheckpointDir(ck)).toThrow(/optimizer\.bin: size mismatch: expected \d+ bytes, found 100/);
    const ck2 = fresh('state');
    const sj = join(ck2, 'state.json');
    writeFileSync(sj, readFileSync(sj, 'utf8').replace('"step":1', '"step":7'));
    expect(() => loadCheckpointDir(ck2)).toThrow(/state\.json: checksum mismatch/);
  });

  it('a missing manifest, a missing latest or a dangling latest are named', () => {
    const ck = fresh('nomanifest');
    rmSync(join(ck, 'manifest.json'));
    expect(() => loadCheckpointDir(ck)).toThrow(/manifest\.json: missing/);
    const empty = join(work, 'empty');
    mkdirSync(empty);
    expect(() => loadLatestCheckpoint(empty)).toThrow(/latest: missing: no checkpoint/);
    writeFileSync(join(empty, 'latest'), 'ckpt-00000099\n');
    expect(() => loadLatestCheckpoint(empty)).toThrow(/ckpt-00000099: named by .*latest but missing/);
  });

  it('keeps the latest two checkpoints and removes stale newer ones and temporary directories', () => {
    const c = tinyConfig();
    const a = new Trainer(c, tinyData(c));
    const dir = join(work, 'prune');
    mkdirSync(join(dir, '.tmp-ckpt-00000009-1-abcd'), { recursive: true }); // a killed writer's leftover
    mkdirSync(join(dir, checkpointName(4)), { recursive: true }); // written by a killed run, never made latest
    for (let i = 0; i < 3; i++) {
      a.trainStep();
      saveCheckpoint(dir, a.getState());
    }
    expect(readdirSync(dir).filter((n) => n.startsWith('ckpt-') || n.startsWith('.tmp')).sort()).toEqual([checkpointName(2), checkpointName(3)]);
    expect(readFileSync(join(dir, 'latest'), 'utf8').trim()).toBe(checkpointName(3));
    a.dispose();
  });
});

describe('crash safety: kill -9 during training, then --resume', () => {
  /** Bundle the CLI once (esbuild; packages stay external and resolve from node_modules). */
  async function bundleCli(): Promise<string> {
    const root = resolve(__dirname, '../..');
    const outDir = join(root, 'node_modules', '.cache', 'diffusion-oracle-tests');
    mkdirSync(outDir, { recursive: true });
    const outfile = join(outDir, `cli-${process.pid}.mjs`);
    await build({
      stdin: { contents: "import { runCli } from './src/cli/main.ts';\nawait runCli(process.argv.slice(2));\n", resolveDir: root, loader: 'ts', sourcefile: 'cli-entry.ts' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile,
      logLevel: 'error',
    });
    return outfile;
  }

  function run(cli: string, args: string[], onSpawn?: (p: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    return new Promise((res, rej) => {
      const p = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      p.stderr!.on('data', (d) => (stderr += d));
      p.stdout!.on('data', () => {});
      p.on('error', rej);
      p.on('exit', (code, signal) => res({ code, signal, stderr }));
      onSpawn?.(p);
    });
  }

  it('the resumed run reproduces the uninterrupted run exactly (losses, evaluations, final weights)', async () => {
    const cli = await bundleCli();
    try {
      const steps = 60;
      const common = [
        'train', '--data', 'mixture', '--image-size', '8', '--limit', '256', '--channels', '8,16', '--groups', '4',
        '--time-embed', '16', '--time-hidden', '32', '--batch', '8', '--T', '50', '--timesteps', 'importance',
        '--class-cond', '--steps', String(steps), '--checkpoint-every', '5', '--eval-every', '10', '--eval-size', '16',
        '--sample-every', '-1', '--seed', '3', '--backend', backend.name,
      ];
      const killed = join(work, 'killed');
      const whole = join(work, 'whole');
      // 1. start, and SIGKILL as soon as the first checkpoint is there (plus a short, varying delay)
      const first = await run(cli, [...common, '--out', killed], (p) => {
        const timer = setInterval(() => {
          if (existsSync(join(killed, 'latest'))) {
            clearInterval(timer);
            setTimeout(() => p.kill('SIGKILL'), 50 + Math.floor(Math.random() * 100));
          }
        }, 5);
        p.on('exit', () => clearInterval(timer));
      });
      expect(first.signal, `the child was not killed: ${first.stderr}`).toBe('SIGKILL');
      const atKill = loadLatestCheckpoint(killed); // intact after the kill (checksums verified)
      expect(atKill.state.step).toBeGreaterThan(0);
      expect(atKill.state.step).toBeLessThan(steps);
      // 2. resume to the end
      const resumed = await run(cli, [...common, '--out', killed, '--resume']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`resuming .* \\(step ${atKill.state.step}\\)`));
      // 3. the uninterrupted run
      const ref = await run(cli, [...common, '--out', whole]);
      expect(ref.code, ref.stderr).toBe(0);
      const a = loadLatestCheckpoint(killed);
      const b = loadLatestCheckpoint(whole);
      expect(a.state.step).toBe(steps);
      expect(a.state.losses.length).toBe(steps);
      expect(a.state.losses).toEqual(b.state.losses);
      expect(a.state.evals).toEqual(b.state.evals);
      expect(readFileSync(join(a.dir, 'weights.bin')).equals(readFileSync(join(b.dir, 'weights.bin')))).toBe(true);
      expect(readFileSync(join(a.dir, 'optimizer.bin')).equals(readFileSync(join(b.dir, 'optimizer.bin')))).toBe(true);
      // and a second `train` without --resume refuses to overwrite the run; --resume with a
      // run-defining option that disagrees with the checkpoint is refused (in-process CLI)
      const again = await run(cli, [...common, '--out', whole]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already holds a training run.*--resume/);
      let err = '';
      const code = await main([...common.map((a) => (a === '3' ? '4' : a)), '--out', whole, '--resume'], {
        stdout: { write: () => true },
        stderr: { write: (c: string) => ((err += c), true) },
        env: {},
      });
      expect(code).toBe(2);
      expect(err).toMatch(/--seed differ from the checkpoint's run/);
    } finally {
      rmSync(cli, { force: true });
    }
  }, 240_000);
});

describe('fine-tuning: train --init-from', () => {
  const io = () => {
    let err = '';
    return { io: { stdout: { write: () => true }, stderr: { write: (c: string) => ((err += c), true) }, env: {} }, err: () => err };
  };
  const tiny = ['--data', 'mixture', '--image-size', '8', '--limit', '64', '--time-embed', '16', '--time-hidden', '32', '--batch', '8', '--T', '50', '--eval-size', '8', '--sample-every', '-1', '--class-cond'];

  it("starts from the source's raw and EMA weights with its architecture and this command's weighting, and records where they came from", async () => {
    const src = join(work, 'ft-src');
    const ft = join(work, 'ft');
    const a = io();
    expect(await main(['train', ...tiny, '--channels', '8,16', '--groups', '4', '--steps', '6', '--out', src, '--backend', backend.name], a.io), a.err()).toBe(0);
    const source = loadLatestCheckpoint(src);
    // lr 1e-9 with 100 warm-up steps: the one update moves no weight by more than ~1e-11
    const b = io();
    expect(await main(['train', ...tiny, '--steps', '1', '--out', ft, '--init-from', src, '--weighting', 'vlb', '--lr', '1e-9', '--backend', backend.name], b.io), b.err()).toBe(0);
    expect(b.err()).toMatch(/fine-tuning from .*ft-src \(step 6\)/);
    const tuned = loadLatestCheckpoint(ft);
    expect(tuned.state.step).toBe(1);
    expect(tuned.state.config.unet).toEqual(source.state.config.unet);
    expect(tuned.state.config.weighting).toBe('vlb');
    expect(tuned.state.config.initFrom).toMatchObject({ checkpoint: src, step: 6 });
    const manifest = JSON.parse(readFileSync(join(source.dir, 'manifest.json'), 'utf8'));
    expect(tuned.state.config.initFrom!.weightsSha256).toBe(manifest.files['weights.bin'].sha256);
    expect(tuned.state.emaUpdates).toBe(source.state.emaUpdates + 1);
    // EMA continues the source's: update k = 7 (after the source's 6) has decay min(0.999, (1+k)/(10+k))
    const d = Math.min(0.999, 8 / 17);
    let maxRaw = 0;
    let maxEma = 0;
    for (const [name, v] of source.state.params) {
      const w = tuned.state.params.get(name)!;
      const e0 = source.state.ema.get(name)!;
      const e1 = tuned.state.ema.get(name)!;
      for (let i = 0; i < v.length; i++) {
        maxRaw = Math.max(maxRaw, Math.abs(w[i] - v[i]));
        maxEma = Math.max(maxEma, Math.abs(e1[i] - (d * e0[i] + (1 - d) * w[i])));
      }
    }
    expect(maxRaw).toBeLessThan(1e-8);
    expect(maxEma).toBeLessThan(1e-6); // float32 round-off of one EMA update on weights of size ≤ ~2
    // resuming the fine-tuning run keeps its provenance; another --init-from is a conflict
    const c = io();
    expect(await main(['train', ...tiny, '--steps', '2', '--out', ft, '--resume', '--lr', '1e-9', '--weighting', 'vlb', '--backend', backend.name], c.io), c.err()).toBe(0);
    expect(loadLatestCheckpoint(ft).state.config.initFrom).toEqual(tuned.state.config.initFrom);
    const e = io();
    expect(await main(['train', ...tiny, '--steps', '3', '--out', ft, '--resume', '--init-from', join(work, 'elsewhere'), '--backend', backend.name], e.io)).toBe(2);
    expect(e.err()).toMatch(/--init-from differ from the checkpoint's run/);
  }, 120_000);

  it('refuses a missing source and an architecture that disagrees with it', async () => {
    const a = io();
    expect(await main(['train', ...tiny, '--steps', '1', '--out', join(work, 'ft-x'), '--init-from', join(work, 'no-such-run')], a.io)).toBe(2);
    expect(a.err()).toMatch(/--init-from .*no-such-run/);
    const b = io();
    expect(await main(['train', ...tiny, '--steps', '1', '--out', join(work, 'ft-y'), '--init-from', join(work, 'ft-src'), '--channels', '8,8', '--groups', '4'], b.io)).toBe(2);
    expect(b.err()).toMatch(/--init-from .*channels differ from the source run's architecture/);
    expect(existsSync(join(work, 'ft-y', 'latest'))).toBe(false);
  }, 60_000);
});
