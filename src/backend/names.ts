/** The backend names and the environment variable that forces one, without loading TensorFlow.js (for CLI option tables). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
export const BACKEND_ENV = 'DIFFUSION_ORACLE_BACKEND';
