/**
 * The WebGPU backend of the tensor tier: tfjs's `@tensorflow/tfjs-backend-webgpu` on Dawn's Node
 * binding (npm package `webgpu`, which ships a prebuilt `dawn.node`). Both are optional
 * dependencies, loaded dynamically: when either is missing, loading says so and nothing else changes.
 *
 * How it is wired (measured facts: docs/backends.md):
 * - tfjs-webgpu looks for `navigator.gpu`; Node 20 has no `navigator`, so one is defined whose
 *   `gpu` hands tfjs the adapter chosen here (and the GPU* constants of `webgpu` become globals).
 * - Dawn uses Vulkan on Linux. A GPU with its vendor's Vulkan driver gives a hardware adapter.
 *   Without one, the SwiftShader Vulkan driver (a CPU emulation, shipped by Debian's `chromium`
 *   package as `libvk_swiftshader.so` + `vk_swiftshader_icd.json`) gives a software adapter that
 *   computes correctly and slowly; Mesa's llvmpipe is rejected by Dawn.
 * - The Vulkan loader reads its driver list (VK_ICD_FILENAMES / VK_DRIVER_FILES /
 *   VK_ADD_DRIVER_FILES) from the environment each time an instance is created, so the variable
 *   must be in the environment before Dawn creates its instance: set in the parent process (the
 *   test runner's project `env`, a shell), or here via process.env before `create()` is called
 *   (process.env writes through to the C environment). `requestAdapter` below does the latter
 *   when a software adapter is allowed and no Vulkan driver variable is set by the user.
 * - A software adapter (SwiftShader, or any adapter that says `isFallbackAdapter`) is reported as
 *   such: the backend chain never picks it automatically; `DIFFUSION_ORACLE_BACKEND=webgpu`
 *   and the tests do.
 * - Tensor reads on WebGPU must be asynchronous (`await t.data()`): tfjs-webgpu's `dataSync`
 *   needs an OffscreenCanvas, which Node has not ("OffscreenCanvas is not defined").
 * - The Dawn instance keeps the Node process alive: commands exit explicitly.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';

import { findSwiftShaderManifest, vulkanDriversFromUser, vulkanIcdManifests } from './swiftshader.js';
import { elementaryKernel, type ElementaryOp } from './webgpu-elementary.js';

export { findSwiftShaderManifest, swiftShaderEnv, vulkanDriversFromUser, vulkanIcdManifests, SWIFTSHADER_CANDIDATES, SWIFTSHADER_ENV, VULKAN_DRIVER_VARS } from './swiftshader.js';

export const WEBGPU_PACKAGES = ['webgpu', '@tensorflow/tfjs-backend-webgpu'] as const;

/** What the adapter says about itself, plus our reading of it. */
export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for SwiftShader or any adapter reporting isFallbackAdapter: an emulation on the CPU. */
  software: boolean;
  /** The SwiftShader manifest this process added to the Vulkan driver list, if it did. */
  manifest?: string;
}

export interface WebgpuProbe {
  ok: boolean;
  info?: WebgpuAdapterInfo;
  /** Why it cannot be used (package missing, no adapter, only a software adapter when none was allowed). */
  reason?: string;
}

const require = createRequire(import.meta.url);

export function packageVersion(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0].replace(/ imported from \S+$/, '');
}

async function importOptional(pkg: string): Promise<unknown> {
  const spec: string = pkg;
  return import(spec);
}

// Minimal structural types of what we use from `webgpu` (the package's types are not required).
interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  features: { has(f: string): boolean };
  limits: Record<string, number>;
  requestDevice(desc?: unknown): Promise<DeviceLike>;
}
interface DeviceLike {
  destroy(): void;
}
interface GpuLike {
  requestAdapter(opts?: unknown): Promise<AdapterLike | null>;
  wgslLanguageFeatures?: unknown;
}
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

export function describeAdapter(a: AdapterLike, manifest?: string): WebgpuAdapterInfo {
  const i = a.info ?? {};
  const architecture = i.architecture ?? '';
  const software = !!(i.isFallbackAdapter ?? a.isFallbackAdapter) || /swiftshader|llvmpipe|lavapipe|software/i.test(`${architecture} ${i.description ?? ''}`);
  return {
    vendor: i.vendor ?? '',
    architecture,
    device: i.device ?? '',
    description: i.description ?? '',
    software,
    ...(manifest ? { manifest } : {}),
  };
}

/** "google swiftshader (SwiftShader driver 5.0.0), software" */
export function adapterLabel(info: WebgpuAdapterInfo): string {
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || info.device || 'unknown adapter';
  return `${name}${info.description ? ` (${info.description})` : ''}${info.software ? ', software' : ', hardware'}`;
}

let dawn: DawnModule | undefined;
let chosen: { gpu: GpuLike; adapter: AdapterLike; info: WebgpuAdapterInfo } | undefined;
let device: DeviceLike | undefined;
let registered = false;

async function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    const m = (await importOptional('webgpu')) as Partial<DawnModule> & { default?: Partial<DawnModule> };
    const mod = (m.create ? m : m.default) as DawnModule | undefined;
    if (!mod?.create) throw new Error("package 'webgpu' has no create()");
    dawn = mod;
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  return dawn;
}

async function requestFrom(d: DawnModule): Promise<{ gpu: GpuLike; adapter: AdapterLike | null }> {
  const gpu = d.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  return { gpu, adapter };
}

/**
 * Finds a WebGPU adapter: the hardware one if any; otherwise, when `allowSoftware`, whatever
 * software adapter exists, adding SwiftShader to the Vulkan driver list of this process when no
 * adapter exists at all and the user set no driver variable. The first adapter accepted is kept
 * for the process (tfjs's webgpu backend will use it).
 */
export async function requestWebgpuAdapter(opts: { allowSoftware: boolean }): Promise<WebgpuProbe> {
  if (chosen) {
    if (chosen.info.software && !opts.allowSoftware) return softwareOnly(chosen.info);
    return { ok: true, info: chosen.info };
  }
  if (!opts.allowSoftware && !dawn && process.platform === 'linux' && vulkanIcdManifests().length === 0) {
    return { ok: false, reason: 'no hardware WebGPU adapter: no Vulkan driver is installed (no ICD manifest in the vulkan/icd.d folders)' };
  }
  let d: DawnModule;
  try {
    d = await loadDawn();
  } catch (e) {
    return { ok: false, reason: `webgpu: ${firstLine(e)}` };
  }
  // With no Vulkan driver installed, a first try would only make the loader print "Found no drivers".
  const noDrivers = process.platform === 'linux' && vulkanIcdManifests().length === 0;
  const swiftShader = opts.allowSoftware && !vulkanDriversFromUser() ? findSwiftShaderManifest() : undefined;
  let { gpu, adapter }: { gpu: GpuLike | undefined; adapter: AdapterLike | null } = noDrivers && swiftShader ? { gpu: undefined, adapter: null } : await requestFrom(d);
  let manifest: string | undefined;
  if (!adapter && swiftShader) {
    manifest = swiftShader;
    // The loader rereads the variable for each new instance; ADD keeps hardware drivers visible.
    process.env.VK_ADD_DRIVER_FILES = manifest;
    ({ gpu, adapter } = await requestFrom(d));
    if (!adapter) {
      // Loaders older than 1.3.234 ignore VK_ADD_DRIVER_FILES.
      delete process.env.VK_ADD_DRIVER_FILES;
      process.env.VK_ICD_FILENAMES = manifest;
      ({ gpu, adapter } = await requestFrom(d));
    }
  }
  if (!adapter) {
    const user = vulkanDriversFromUser();
    const why = user
      ? `no WebGPU adapter with the Vulkan drivers of ${user}`
      : opts.allowSoftware
        ? `no WebGPU adapter: no Vulkan GPU driver${manifest ? ` (SwiftShader at ${manifest} was tried too; the Vulkan loader libvulkan.so.1 must be installed: Debian package libvulkan1)` : ', and no SwiftShader Vulkan driver found (Debian: apt-get install chromium libvulkan1)'}`
        : 'no hardware WebGPU adapter (no Vulkan GPU driver)';
    return { ok: false, reason: why };
  }
  const info = describeAdapter(adapter, manifest);
  if (info.software && !opts.allowSoftware) return softwareOnly(info);
  chosen = { gpu: gpu!, adapter, info };
  return { ok: true, info };
}

function softwareOnly(info: WebgpuAdapterInfo): WebgpuProbe {
  return {
    ok: false,
    info,
    reason: `only a software WebGPU adapter (${adapterLabel(info)}) is present; it is never chosen automatically (set DIFFUSION_ORACLE_BACKEND=webgpu to use it)`,
  };
}

/**
 * Loads tfjs's webgpu backend on the adapter of `requestWebgpuAdapter` and registers it as
 * tfjs backend 'webgpu' (with a priority below cpu, so importing it never changes which backend
 * tfjs picks by itself). Does not activate it.
 */
export async function registerWebgpuBackend(opts: { allowSoftware: boolean }): Promise<WebgpuProbe> {
  const probe = await requestWebgpuAdapter(opts);
  if (!probe.ok || !chosen) return probe;
  if (tf.findBackendFactory('webgpu') && registered) return probe;
  const { gpu, adapter } = chosen;
  // tfjs-webgpu checks navigator.gpu at import (it registers nothing without it) and in its constructor.
  const g = globalThis as { navigator?: { gpu?: unknown } };
  const shim = { requestAdapter: async () => adapter, wgslLanguageFeatures: gpu.wgslLanguageFeatures, getPreferredCanvasFormat: () => 'bgra8unorm' };
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: shim }, configurable: true, writable: true });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: shim, configurable: true, writable: true });
  let mod: WebgpuModule;
  try {
    mod = (await importOptional('@tensorflow/tfjs-backend-webgpu')) as typeof mod;
  } catch (e) {
    return { ok: false, info: probe.info, reason: `@tensorflow/tfjs-backend-webgpu: ${firstLine(e)}` };
  }
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      // As tfjs-backend-webgpu's own factory (4.22), on our adapter.
      const features: string[] = [];
      if (adapter.features.has('timestamp-query')) features.push('timestamp-query');
      const l = adapter.limits;
      device = await adapter.requestDevice({
        requiredFeatures: features,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      const dev = device as unknown as { addEventListener?(type: string, fn: (e: { error?: { message?: string } }) => void): void };
      dev.addEventListener?.('uncapturederror', (e) => uncaptured.push(e.error?.message?.split('\n')[0] ?? 'unknown WebGPU error'));
      const backend = new mod.WebGPUBackend(device, adapter.info);
      // tfjs-webgpu reads GPU tensors synchronously through an OffscreenCanvas, which Node has not:
      // say so instead of "OffscreenCanvas is not defined".
      const b = backend as unknown as { readSync(dataId: object): unknown };
      const readSync = b.readSync.bind(backend);
      b.readSync = (dataId: object) => {
        try {
          return readSync(dataId);
        } catch (e) {
          if (e instanceof ReferenceError && /OffscreenCanvas/.test(e.message)) throw new Error(WEBGPU_SYNC_READ_ERROR, { cause: e });
          throw e;
        }
      };
      return backend;
    },
    0,
  );
  registered = true;
  webgpuModule = mod;
  return probe;
}

/** The error of a synchronous read (dataSync, arraySync) of a GPU tensor on webgpu in Node. */
export const WEBGPU_SYNC_READ_ERROR =
  'webgpu backend: a synchronous tensor read (dataSync/arraySync/bufferSync) is impossible on tfjs-webgpu in Node ' +
  '(it needs an OffscreenCanvas); this code path must read with `await tensor.data()` (docs/backends.md, "WebGPU")';

interface WebgpuModule {
  WebGPUBackend: new (device: unknown, info: unknown) => tf.KernelBackend;
  webgpu_util: Parameters<typeof elementaryKernel>[0];
}
let webgpuModule: WebgpuModule | undefined;

/**
 * Kernel patches of the webgpu backend (./webgpu-elementary.ts): tfjs-webgpu 4.22's Exp, Expm1,
 * Log, Log1p and Sigmoid are replaced by accurate WGSL versions. Returns the kernel names.
 */
export const WEBGPU_PATCHES: readonly { kernelName: string; op: ElementaryOp; reason: string }[] = [
  { kernelName: 'Exp', op: 'exp', reason: 'WGSL exp: 16 u at x = −15 on SwiftShader (WGSL allows 3 + 2|x| ulp); bounds assume 4 u' },
  { kernelName: 'Expm1', op: 'expm1', reason: 'computed as exp(a) − 1: relative error 1 near 0' },
  { kernelName: 'Log', op: 'log', reason: 'WGSL log: 13 u, and only absolute 2^-21 accuracy on [0.5, 2] (relative error ~10^-1 near 1)' },
  { kernelName: 'Log1p', op: 'log1p', reason: 'computed as log(1 + a): relative error 1 near 0' },
  { kernelName: 'Sigmoid', op: 'sigmoid', reason: '1/(1 + exp(−x)) with the WGSL exp: 15 u at x = −19' },
];
const originals = new Map<string, tf.KernelConfig | null>();

/**
 * AddN patch: tfjs-webgpu 4.22 binds every input of AddN as one storage buffer of one shader, and
 * WebGPU allows maxStorageBuffersPerShaderStage (8 by default) per stage: with more inputs the
 * pipeline is invalid, Dawn reports a validation error, and the output is left unwritten (wrong,
 * silently: Σ‖g‖² over the U-Net's 42 gradients in the trainer's clipping). The patch sums in
 * chunks of at most (limit − 1) inputs with the original kernel (any summation order keeps the
 * γ_K·Σ|xᵢ| bound).
 */
export const ADDN_PATCH_REASON = 'more inputs than maxStorageBuffersPerShaderStage − 1 make an invalid pipeline: output unwritten (Dawn validation error only)';

function addNChunked(original: tf.KernelFunc): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const list = inputs as unknown as tf.TensorInfo[];
    const b = backend as unknown as { device: { limits: { maxStorageBuffersPerShaderStage: number } }; disposeData(id: object): boolean };
    const max = Math.max(2, b.device.limits.maxStorageBuffersPerShaderStage - 1);
    const temps: tf.TensorInfo[] = [];
    let cur = list;
    while (cur.length > max) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < cur.length; i += max) {
        const chunk = cur.slice(i, i + max);
        if (chunk.length === 1) {
          next.push(chunk[0]);
          continue;
        }
        const r = original({ inputs: chunk as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
        temps.push(r);
        next.push(r);
      }
      cur = next;
    }
    const out = original({ inputs: cur as unknown as tf.NamedTensorInfoMap, backend, attrs }) as tf.TensorInfo;
    for (const t of temps) b.disposeData(t.dataId);
    return out;
  };
}

export function installWebgpuPatches(): string[] {
  if (!webgpuModule) throw new Error('installWebgpuPatches: the webgpu backend is not loaded');
  for (const p of WEBGPU_PATCHES) {
    if (originals.has(p.kernelName)) continue;
    const original = tf.getKernel(p.kernelName, 'webgpu') ?? null;
    if (original) tf.unregisterKernel(p.kernelName, 'webgpu');
    tf.registerKernel({ kernelName: p.kernelName, backendName: 'webgpu', kernelFunc: elementaryKernel(webgpuModule.webgpu_util, p.op) });
    originals.set(p.kernelName, original);
  }
  if (!originals.has('AddN')) {
    const original = tf.getKernel('AddN', 'webgpu');
    if (!original) throw new Error("installWebgpuPatches: tfjs-webgpu has no 'AddN' kernel");
    tf.unregisterKernel('AddN', 'webgpu');
    tf.registerKernel({ kernelName: 'AddN', backendName: 'webgpu', kernelFunc: addNChunked(original.kernelFunc) });
    originals.set('AddN', original);
  }
  return [...WEBGPU_PATCHES.map((p) => p.kernelName), 'AddN'];
}

/** Puts tfjs's original webgpu kernels back (all, or the named ones): for the known-bug tests. */
export function uninstallWebgpuPatches(kernelNames?: readonly string[]): void {
  for (const p of [...WEBGPU_PATCHES, { kernelName: 'AddN' }]) {
    if (kernelNames && !kernelNames.includes(p.kernelName)) continue;
    if (!originals.has(p.kernelName)) continue;
    tf.unregisterKernel(p.kernelName, 'webgpu');
    const o = originals.get(p.kernelName);
    if (o) tf.registerKernel(o);
    originals.delete(p.kernelName);
  }
}

export function installedWebgpuPatches(): string[] {
  return [...WEBGPU_PATCHES.map((p) => p.kernelName), 'AddN'].filter((k) => originals.has(k));
}

/** WebGPU errors Dawn reported outside any error scope (an invalid pipeline leaves its output unwritten). */
const uncaptured: string[] = [];
export function webgpuUncapturedErrors(): string[] {
  return [...uncaptured];
}

/**
 * Makes 'webgpu' the active tfjs backend: initializes it, turns off tfjs-webgpu's CPU forwarding
 * (small tensors with CPU-resident inputs would otherwise run tfjs's CPU kernels, so what was
 * cross-checked would not be what runs), and installs the kernel patches.
 */
export async function activateWebgpu(): Promise<string[]> {
  if (!(await tf.setBackend('webgpu'))) throw new Error("backend 'webgpu' failed to initialize");
  await tf.ready();
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  return installWebgpuPatches();
}

/** The adapter in use by this process, if WebGPU was loaded. */
export function webgpuAdapter(): WebgpuAdapterInfo | undefined {
  return chosen?.info;
}
