/**
 * Finiteness checks on backends that cannot read a tensor synchronously.
 *
 * The tensor tier checks its inputs and results with one small synchronous read per call
 * (common.ts `checkFiniteIo`, the sampler step loop). tfjs's WebGPU backend cannot read
 * synchronously in Node (it needs an OffscreenCanvas). There, each check still computes its flags
 * on the GPU, but keeps them; `flushDeferredChecks()` (awaited by the caller before it reads the
 * result: the CLI's sample command does) reads them all and throws the first failure, naming the
 * function and the argument as the immediate check would, without the element index. So on
 * webgpu a non-finite value is reported at the end of the work instead of at the call.
 */
import * as tf from '@tensorflow/tfjs';

/** False on backends where tensor.dataSync() is impossible (webgpu in Node). */
export function syncReadable(): boolean {
  return tf.getBackend() !== 'webgpu';
}

interface Pending {
  flags: tf.Tensor;
  fail(values: ArrayLike<number>): Error | undefined;
}
const pending: Pending[] = [];

/**
 * Keeps `flags` (outliving any tf.tidy around the call) for `flushDeferredChecks`, which calls
 * `fail` with their values and throws the error it returns, if any.
 */
export function deferCheck(flags: tf.Tensor, fail: (values: ArrayLike<number>) => Error | undefined): void {
  pending.push({ flags: tf.keep(flags), fail });
}

/** How many deferred checks wait to be read. */
export function pendingChecks(): number {
  return pending.length;
}

/** Reads every deferred check (asynchronously), frees their flags, and throws the first failure. */
export async function flushDeferredChecks(): Promise<void> {
  const items = pending.splice(0);
  let first: Error | undefined;
  for (const p of items) {
    const v = await p.flags.data();
    p.flags.dispose();
    first ??= p.fail(v);
  }
  if (first) throw first;
}
