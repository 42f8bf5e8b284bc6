/** The backend names and the environment variable that forces one, without loading TensorFlow.js (for CLI option tables). */
export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
/** Every backend, in the order of the automatic choice (tensorflow first only with CUDA: see selectBackend). */
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];
export const BACKEND_ENV = 'DIFFUSION_ORACLE_BACKEND';
