/**
 * Worker-thread side of data-parallel training (src/train/parallel.ts): holds a copy of the U-Net's
 * variables on its own tfjs backend instance and answers "gradients of this shard at these
 * weights" messages. tfjs-wasm runs one thread per Node thread, so each worker uses its own core.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { type BackendName, useBackend } from '../backend/backend.js';
import { type Shard, shardGradients } from './trainer.js';
import { UNet, type UNetConfig, unetParamSpecs } from './unet.js';

interface Init {
  backend: BackendName;
  unet: UNetConfig;
}

interface StepMessage {
  id: number;
  values: Float32Array[];
  shard: Shard;
  batchTotal: number;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('parallel_worker.ts must run in a worker thread');
  const init = workerData as Init;
  try {
    await useBackend(init.backend);
  } catch (err) {
    port.postMessage({ ready: false, error: (err as Error).message });
    return;
  }
  const zeros = new Map(unetParamSpecs(init.unet).map((s) => [s.name, new Float32Array(s.shape.reduce((a, b) => a * b, 1))]));
  const net = new UNet(init.unet, { values: zeros });
  const vars = net.varList();
  port.on('message', (msg: StepMessage) => {
    try {
      tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(msg.values[i], v.shape, 'float32'))));
      const r = shardGradients(net.config, net.vars, vars, msg.shard, msg.batchTotal);
      const grads = r.grads.map((g) => (g.dataSync() as Float32Array).slice());
      for (const g of r.grads) g.dispose();
      port.postMessage({ id: msg.id, loss: r.loss, perExample: r.perExample, grads }, grads.map((g) => g.buffer as ArrayBuffer));
    } catch (err) {
      port.postMessage({ id: msg.id, error: (err as Error).stack ?? String(err) });
    }
  });
  port.postMessage({ ready: true, backend: tf.getBackend() });
}

void main();
