/**
 * Data-parallel training on several cores: worker threads (./parallel_worker.ts), each with its own
 * tfjs backend, compute the gradients of their shard of the batch; the main thread computes the
 * first shard, sums the gradients in a fixed order and applies Adam (Trainer.trainStepAsync).
 * shared/wasm-facts.md measured 1.45-1.75× the single-thread throughput with two workers on the
 * 2-core machine; the gain needs idle cores.
 *
 * The worker script is the compiled ./parallel_worker.js next to this file (dist/ after
 * `npm run build`); pass `script` to use another (tests bundle the TypeScript with esbuild).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { DiffusionInputError } from '../reference/errors.js';
import type { BackendName } from '../backend/backend.js';
import type { GradientWorkerPool, Shard, ShardResult } from './trainer.js';
import type { UNetConfig } from './unet.js';

type Result = ShardResult & { grads: Float32Array[] };

export interface GradientWorkersOptions {
  /** Number of worker threads (the main thread computes one more shard). */
  count: number;
  backend: BackendName;
  unet: UNetConfig;
  /** Path or file URL of the worker script (default ./parallel_worker.js beside this module). */
  script?: string | URL;
}

export class GradientWorkers implements GradientWorkerPool {
  readonly count: number;
  private readonly workers: Worker[];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  private constructor(workers: Worker[]) {
    this.workers = workers;
    this.count = workers.length;
    for (const w of workers) {
      w.on('message', (m: { id?: number; error?: string } & Partial<Result>) => {
        if (m.id === undefined) return;
        const p = this.waiting.get(m.id);
        if (!p) return;
        this.waiting.delete(m.id);
        if (m.error) p.reject(new Error(`gradient worker failed: ${m.error}`));
        else p.resolve(m as Result);
      });
      const fail = (e: Error) => {
        this.failure = e;
        for (const p of this.waiting.values()) p.reject(e);
        this.waiting.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (code !== 0) fail(new Error(`gradient worker exited with code ${code}`));
      });
    }
  }

  static async start(opts: GradientWorkersOptions): Promise<GradientWorkers> {
    if (!Number.isInteger(opts.count) || opts.count < 1) throw new DiffusionInputError('count', opts.count, 'must be a positive integer');
    const script = opts.script ?? new URL('./parallel_worker.js', import.meta.url);
    const path = script instanceof URL ? fileURLToPath(script) : script;
    if (!existsSync(path)) throw new DiffusionInputError('script', path, 'gradient worker script not found (run `npm run build`, or pass the path of a compiled parallel_worker)');
    const workers: Worker[] = [];
    try {
      for (let k = 0; k < opts.count; k++) {
        const w = new Worker(path, { workerData: { backend: opts.backend, unet: opts.unet } });
        workers.push(w);
        await new Promise<void>((resolve, reject) => {
          const onMsg = (m: { ready?: boolean; error?: string }) => {
            if (m.ready === undefined) return;
            w.off('message', onMsg);
            if (m.ready) resolve();
            else reject(new Error(`gradient worker could not start backend ${opts.backend}: ${m.error}`));
          };
          w.on('message', onMsg);
          w.once('error', reject);
        });
      }
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new GradientWorkers(workers);
  }

  compute(shards: Shard[], values: Float32Array[], batchTotal: number): Promise<Result[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (shards.length !== this.count) throw new DiffusionInputError('shards', `length ${shards.length}`, `expected one shard per worker (${this.count})`);
    return Promise.all(
      shards.map(
        (shard, k) =>
          new Promise<Result>((resolve, reject) => {
            const id = this.nextId++;
            this.waiting.set(id, { resolve, reject });
            this.workers[k].postMessage({ id, values, shard, batchTotal });
          }),
      ),
    );
  }

  async terminate(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
