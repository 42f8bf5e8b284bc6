/**
 * Plumbing for kernel patches: calling another kernel of the same backend on TensorInfos (no
 * Tensor objects, no autodiff tape, no engine bookkeeping) and freeing the temporaries it made.
 *
 * A patch receives `{inputs, backend, attrs}` like every tfjs kernel function and must return a
 * TensorInfo that the engine then owns; every intermediate TensorInfo it creates is released with
 * `backend.disposeData(dataId)`, so a training loop's tensor and memory counts stay constant.
 */
import * as tf from '@tensorflow/tfjs';

/** The part of a tfjs KernelBackend the patches use. */
export interface PatchBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: PatchBackend;
  attrs?: tf.NamedAttrMap;
}

/** Runs a kernel function on TensorInfos and returns its single output. */
export function callKernel(fn: tf.KernelFunc, backend: PatchBackend, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap = {}): tf.TensorInfo {
  const out = fn({ inputs, backend: backend as unknown as tf.KernelBackend, attrs });
  if (Array.isArray(out)) throw new Error('kernel patch: expected a single output');
  return out;
}

/** Looks a kernel up in the registry; a missing one is an error naming it and the backend. */
export function kernelFunc(kernelName: string, backendName: string): tf.KernelFunc {
  const k = tf.getKernel(kernelName, backendName);
  if (!k) throw new Error(`kernel patch: kernel '${kernelName}' is not registered for backend '${backendName}'`);
  return k.kernelFunc;
}

/** Collects temporaries and frees them all at once. */
export class Temporaries {
  private readonly items: tf.TensorInfo[] = [];
  constructor(private readonly backend: PatchBackend) {}
  keep(t: tf.TensorInfo): tf.TensorInfo {
    this.items.push(t);
    return t;
  }
  dispose(): void {
    for (const t of this.items) this.backend.disposeData(t.dataId);
    this.items.length = 0;
  }
}

/** A named input of a kernel call (missing → an error naming the kernel input). */
export function input(args: KernelArgs, name: string): tf.TensorInfo {
  const t = args.inputs[name];
  if (!t) throw new Error(`kernel patch: input '${name}' is missing`);
  return t;
}
