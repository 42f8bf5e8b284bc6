/**
 * Backend selection for the TensorFlow.js tier.
 *
 * Order of preference (first that loads wins):
 *   1. 'tensorflow' from @tensorflow/tfjs-node-gpu — the TensorFlow C library with CUDA, when it
 *      found a CUDA GPU;
 *   2. 'webgpu' from @tensorflow/tfjs-backend-webgpu on Dawn (npm `webgpu`) — on a HARDWARE
 *      adapter only (a software one, SwiftShader or any fallback adapter, is never picked
 *      automatically), with the kernel patches of ../backend/webgpu-elementary.ts;
 *   3. 'tensorflow' from @tensorflow/tfjs-node (or -gpu without a GPU) — the TensorFlow C library on the CPU;
 *   4. 'wasm'  from @tensorflow/tfjs-backend-wasm  — XNNPACK in WebAssembly (SIMD, one thread in Node),
 *      with the kernel patches of ./kernels (missing / slow gradients filled in);
 *   5. 'cpu'   from @tensorflow/tfjs               — pure JavaScript (slow; ResizeNearestNeighborGrad patched).
 * The node and webgpu packages are optionalDependencies loaded with a dynamic import: when npm could not
 * install them (no prebuilt binary, no network to fetch libtensorflow) they are simply absent.
 *
 * `DIFFUSION_ORACLE_BACKEND=tensorflow|webgpu|wasm|cpu` forces one backend (webgpu: on whatever
 * adapter exists, SwiftShader included). A forced backend that cannot load is an error that says
 * why; there is never a silent fallback to another backend. On webgpu, tensors must be read with
 * `await t.data()`: tfjs-webgpu has no synchronous read in Node (docs/backends.md).
 *
 * The choice is printed (to stderr, one line) and returned, so every command states where it ran.
 * How to get the CUDA backend: docs/backends.md.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DiffusionInputError } from '../reference/errors.js';
import { installKernelPatches } from './kernels/index.js';
import { activateWebgpu, adapterLabel, registerWebgpuBackend } from './webgpu.js';

import { type BackendName, BACKEND_ENV, BACKEND_NAMES } from './names.js';
export { type BackendName, BACKEND_ENV, BACKEND_NAMES };

export interface BackendChoice {
  /** tfjs backend name now active. */
  name: BackendName;
  /** Human-readable: package, what it runs on, patches installed. */
  description: string;
  /** npm package that provides it. */
  package: string;
  /** True when chosen by DIFFUSION_ORACLE_BACKEND. */
  forced: boolean;
  /** Kernel patches installed for it (./kernels). */
  patches: string[];
}

export interface SelectOptions {
  /** Force a backend (overrides the environment variable). */
  backend?: BackendName;
  /** Where the one-line announcement goes; default stderr; false for silence. */
  log?: ((line: string) => void) | false;
  /** Environment to read DIFFUSION_ORACLE_BACKEND from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** Result of trying to load one backend. */
export interface BackendProbe {
  name: BackendName;
  ok: boolean;
  package?: string;
  /** Why it could not be loaded. */
  reason?: string;
  /** webgpu: the adapter ("google swiftshader (SwiftShader driver 5.0.0), software"). */
  adapter?: string;
  /** webgpu: the adapter is a software one (never chosen automatically). */
  software?: boolean;
  /** tensorflow: TensorFlow found a CUDA GPU. */
  gpu?: boolean;
}

const require = createRequire(import.meta.url);

function version(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

const loaded = new Map<BackendName, BackendProbe>();

/** Dynamic import by a computed name, so TypeScript does not require the optional package. */
async function importOptional(pkg: string): Promise<unknown> {
  const spec: string = pkg;
  return import(spec);
}

async function loadTensorflow(): Promise<BackendProbe> {
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await importOptional(pkg);
      if (!tf.findBackendFactory('tensorflow')) throw new Error(`${pkg} loaded but registered no 'tensorflow' backend`);
      return { name: 'tensorflow', ok: true, package: pkg };
    } catch (e) {
      reasons.push(`${pkg}: ${firstLine(e)}`);
    }
  }
  return { name: 'tensorflow', ok: false, reason: reasons.join('; ') };
}

async function loadWasm(): Promise<BackendProbe> {
  const pkg = '@tensorflow/tfjs-backend-wasm';
  try {
    const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as typeof import('@tensorflow/tfjs-backend-wasm');
    // Point the loader at the package's own .wasm files (a file path works in Node).
    const dist = path.dirname(require.resolve(pkg));
    if (!tf.engine().registry.wasm) wasm.setWasmPaths(dist + path.sep);
    return { name: 'wasm', ok: true, package: pkg };
  } catch (e) {
    return { name: 'wasm', ok: false, reason: `${pkg}: ${firstLine(e)}` };
  }
}

async function loadWebgpu(allowSoftware: boolean): Promise<BackendProbe> {
  const probe = await registerWebgpuBackend({ allowSoftware });
  const info = probe.info;
  const extra = info ? { adapter: adapterLabel(info), software: info.software } : {};
  if (!probe.ok) return { name: 'webgpu', ok: false, reason: probe.reason, ...extra };
  return { name: 'webgpu', ok: true, package: '@tensorflow/tfjs-backend-webgpu', ...extra };
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  // "Cannot find package 'x' imported from /abs/path" → "Cannot find package 'x'" (not installed).
  return msg.split('\n')[0].replace(/ imported from \S+$/, '');
}

/**
 * Loads (imports and initializes) one backend without making it the active one for good. For
 * webgpu, `allowSoftware` (what DIFFUSION_ORACLE_BACKEND=webgpu and the tests use) accepts a
 * software adapter, adding SwiftShader to the Vulkan drivers when no adapter exists; without it,
 * only a hardware adapter counts as loadable.
 */
export async function probeBackend(name: BackendName, opts: { allowSoftware?: boolean } = {}): Promise<BackendProbe> {
  const key = name === 'webgpu' && opts.allowSoftware ? 'webgpu+software' : name;
  const cached = loaded.get(key as BackendName);
  if (cached) return cached;
  let probe: BackendProbe;
  if (name === 'tensorflow') probe = await loadTensorflow();
  else if (name === 'webgpu') probe = await loadWebgpu(!!opts.allowSoftware);
  else if (name === 'wasm') probe = await loadWasm();
  else probe = { name: 'cpu', ok: true, package: '@tensorflow/tfjs' };
  if (probe.ok) {
    const previous = tf.getBackend();
    const ok = await tf.setBackend(name).catch((e: unknown) => {
      probe = { name, ok: false, reason: `initialization failed: ${firstLine(e)}` };
      return false;
    });
    if (!ok && probe.ok) probe = { name, ok: false, reason: 'initialization failed (tf.setBackend returned false)' };
    if (ok && name === 'tensorflow') probe = { ...probe, gpu: !!(tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice };
    if (previous && previous !== name && tf.getBackend() !== previous) await tf.setBackend(previous);
  }
  loaded.set(key as BackendName, probe);
  return probe;
}

/**
 * Probes every backend in BACKEND_NAMES order (webgpu: hardware adapters only unless
 * `allowSoftware`).
 */
export async function probeBackends(opts: { allowSoftware?: boolean } = {}): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const n of BACKEND_NAMES) out.push(await probeBackend(n, opts));
  return out;
}

function describeBackend(probe: BackendProbe, patches: string[]): string {
  const pkg = `${probe.package} ${version(probe.package ?? '')}`;
  const what =
    probe.name === 'tensorflow'
      ? probe.package === '@tensorflow/tfjs-node-gpu'
        ? 'TensorFlow C library with CUDA (falls back to the CPU inside TensorFlow if no GPU/CUDA is found: see its log)'
        : 'TensorFlow C library on the CPU'
      : probe.name === 'webgpu'
        ? `WebGPU (Dawn) on ${probe.adapter ?? 'an unknown adapter'}${probe.software ? ' — a CPU emulation: correct, slow, timings not quotable' : ''}`
        : probe.name === 'wasm'
          ? 'WebAssembly + XNNPACK, one thread'
          : 'pure JavaScript (slow)';
  return `${probe.name}: ${what}, via ${pkg}${patches.length ? `; kernel patches: ${patches.join(', ')}` : ''}`;
}

/**
 * Activates `name` (loading it if needed) and installs its kernel patches. Throws, saying why,
 * if it cannot be loaded.
 */
export async function useBackend(name: BackendName, opts: { allowSoftware?: boolean } = {}): Promise<BackendChoice> {
  if (!BACKEND_NAMES.includes(name)) throw new DiffusionInputError('backend', name, `unknown backend; expected one of ${BACKEND_NAMES.join(', ')}`);
  const probe = await probeBackend(name, opts);
  if (!probe.ok) throw new Error(`backend '${name}' cannot be loaded: ${probe.reason}`);
  if (!(await tf.setBackend(name))) throw new Error(`backend '${name}' failed to initialize`);
  await tf.ready();
  const patches = name === 'webgpu' ? await activateWebgpu() : installKernelPatches(name);
  return { name, description: describeBackend(probe, patches), package: probe.package ?? '', forced: false, patches };
}

let current: BackendChoice | undefined;

/**
 * `DIFFUSION_ORACLE_WEBGPU=off` keeps webgpu out of the automatic choice (a forced
 * DIFFUSION_ORACLE_BACKEND=webgpu still works): for code that reads tensors synchronously, such
 * as the main test project (vitest.config.ts), on machines with a hardware WebGPU adapter.
 */
export const WEBGPU_AUTO_ENV = 'DIFFUSION_ORACLE_WEBGPU';

/** The automatic order: TensorFlow with CUDA, WebGPU on a hardware adapter, TensorFlow on the CPU, wasm, cpu. */
const AUTO_ORDER: readonly (BackendName | 'tensorflow-cuda')[] = ['tensorflow-cuda', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/**
 * Chooses, activates and announces the backend (see the file comment for the order and the
 * DIFFUSION_ORACLE_BACKEND override). Idempotent for the same request: later calls return the
 * active choice without printing again.
 */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendChoice> {
  const env = opts.env ?? process.env;
  const raw = opts.backend ?? env[BACKEND_ENV];
  const requested = raw === undefined || raw === '' ? undefined : raw;
  if (requested !== undefined && !BACKEND_NAMES.includes(requested as BackendName)) {
    throw new DiffusionInputError(opts.backend !== undefined ? 'backend' : BACKEND_ENV, requested, `unknown backend; expected one of ${BACKEND_NAMES.join(', ')}`);
  }
  if (current && (requested === undefined ? !current.forced : current.name === requested) && tf.getBackend() === current.name) return current;
  let choice: BackendChoice;
  if (requested !== undefined) {
    const probe = await probeBackend(requested as BackendName, { allowSoftware: true });
    if (!probe.ok) {
      throw new Error(
        `${opts.backend !== undefined ? 'backend option' : BACKEND_ENV}=${requested} was requested, but that backend cannot be loaded (${probe.reason}). ` +
          `Not falling back to another backend; unset it to choose automatically (docs/backends.md).`,
      );
    }
    choice = { ...(await useBackend(requested as BackendName, { allowSoftware: true })), forced: true };
  } else {
    const reasons: string[] = [];
    let found: BackendChoice | undefined;
    const noWebgpu = /^(0|off|no|false)$/i.test(env[WEBGPU_AUTO_ENV] ?? '');
    for (const name of AUTO_ORDER) {
      if (name === 'webgpu' && noWebgpu) {
        reasons.push(`webgpu left out of the automatic choice (${WEBGPU_AUTO_ENV}=${env[WEBGPU_AUTO_ENV]})`);
        continue;
      }
      const probe = await probeBackend(name === 'tensorflow-cuda' ? 'tensorflow' : name);
      if (name === 'tensorflow-cuda') {
        if (probe.ok && probe.gpu) {
          found = await useBackend('tensorflow');
          break;
        }
        continue;
      }
      if (probe.ok) {
        found = await useBackend(name);
        break;
      }
      reasons.push(`${name} unavailable (${probe.reason})`);
    }
    if (!found) throw new Error(`no TensorFlow.js backend could be loaded: ${reasons.join('; ')}`);
    choice = found;
  }
  current = choice;
  const log = opts.log === undefined ? (line: string) => console.error(line) : opts.log;
  if (log) log(`[diffusion-oracle] backend ${choice.description}${choice.forced ? ` (forced by ${opts.backend !== undefined ? 'option' : BACKEND_ENV})` : ''}`);
  return choice;
}
