/**
 * Finding SwiftShader's Vulkan driver (a CPU emulation of a GPU; Debian's `chromium` package ships
 * it) so Dawn can give WebGPU a software adapter on machines without a GPU. No tfjs here: the test
 * runner's configuration imports this to put the driver in a test project's environment.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Environment variables through which the Vulkan loader finds drivers (any one set by the user wins). */
export const VULKAN_DRIVER_VARS = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', 'VK_ADD_DRIVER_FILES'] as const;

/** Where to look for SwiftShader's Vulkan manifest (`DIFFUSION_ORACLE_SWIFTSHADER` first). */
export const SWIFTSHADER_ENV = 'DIFFUSION_ORACLE_SWIFTSHADER';
export const SWIFTSHADER_CANDIDATES = [
  '/usr/lib/chromium/vk_swiftshader_icd.json', // Debian / Ubuntu (chromium-common)
  '/usr/lib64/chromium-browser/vk_swiftshader_icd.json', // Fedora
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json', // Google Chrome .deb
];

/**
 * The SwiftShader Vulkan manifest on this machine, or undefined. A manifest whose library is
 * missing is not returned.
 */
export function findSwiftShaderManifest(env: Record<string, string | undefined> = process.env): string | undefined {
  const list = [env[SWIFTSHADER_ENV], ...SWIFTSHADER_CANDIDATES].filter((p): p is string => !!p);
  for (const p of list) {
    try {
      if (!existsSync(p)) continue;
      const lib = (JSON.parse(readFileSync(p, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
      if (!lib) continue;
      const libPath = path.isAbsolute(lib) ? lib : path.resolve(path.dirname(p), lib);
      if (existsSync(libPath)) return p;
    } catch {
      // unreadable manifest: try the next
    }
  }
  return undefined;
}

/** The user has chosen Vulkan drivers explicitly (then we never touch the driver list). */
export function vulkanDriversFromUser(env: Record<string, string | undefined> = process.env): string | undefined {
  const v = VULKAN_DRIVER_VARS.find((k) => env[k]);
  return v ? `${v}=${env[v]}` : undefined;
}

/**
 * Environment additions that make the Vulkan loader of a child process see SwiftShader (beside any
 * hardware driver): for a test runner's project `env` or a spawned process. Empty when the user
 * set a driver variable or SwiftShader is absent.
 */
export function swiftShaderEnv(env: Record<string, string | undefined> = process.env): Record<string, string> {
  if (vulkanDriversFromUser(env)) return {};
  const m = findSwiftShaderManifest(env);
  return m ? { VK_ADD_DRIVER_FILES: m } : {};
}


/**
 * Vulkan driver manifests the loader would find on Linux (the variables above, else the standard
 * icd.d folders). Empty means Dawn can have no Vulkan adapter here, so automatic backend
 * selection does not load Dawn at all (it would only print the loader's "Found no drivers").
 */
export function vulkanIcdManifests(env: Record<string, string | undefined> = process.env): string[] {
  for (const v of VULKAN_DRIVER_VARS) if (env[v]) return env[v]!.split(':').filter(Boolean);
  const home = env.HOME ?? os.homedir();
  const dataDirs = (env.XDG_DATA_DIRS ?? '/usr/local/share:/usr/share').split(':');
  const dirs = [
    ...['/etc/xdg', '/etc', ...dataDirs, `${home}/.local/share`].map((d) => `${d}/vulkan/icd.d`),
    '/usr/local/nvidia/share/vulkan/icd.d',
  ];
  const out: string[] = [];
  for (const d of dirs) {
    try {
      for (const f of readdirSync(d)) if (f.endsWith('.json')) out.push(path.join(d, f));
    } catch {
      // folder absent
    }
  }
  return out;
}
