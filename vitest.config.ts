import { defineConfig } from 'vitest/config';
import { swiftShaderEnv } from './src/backend/swiftshader.js';

// Tests that need WebGPU (*.webgpu.test.ts) run in their own project, so in their own worker
// processes, whose environment lists SwiftShader's Vulkan driver (when installed and the user set
// no Vulkan driver variable) before Dawn loads: the Vulkan loader reads it at instance creation.
const webgpuEnv = swiftShaderEnv();

export default defineConfig({
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['verbose'],
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['properties/**/*.test.ts', 'src/**/*.test.ts', 'golden/**/*.test.ts', 'bench/**/*.test.ts', 'vectors/**/*.test.ts'],
          exclude: ['**/*.webgpu.test.ts', '**/node_modules/**'],
          // These tests read tensors synchronously: on a machine with a hardware WebGPU adapter the
          // automatic backend choice must not land on webgpu (src/backend/backend.ts).
          env: { DIFFUSION_ORACLE_WEBGPU: 'off' },
        },
      },
      {
        extends: true,
        test: {
          name: 'webgpu',
          include: ['properties/**/*.webgpu.test.ts', 'src/**/*.webgpu.test.ts'],
          env: webgpuEnv,
        },
      },
    ],
    coverage: {
      provider: 'v8',
      include: ['src/reference/**/*.ts'],
      exclude: ['**/*.test.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'src/reference/**/*.ts': { lines: 95 },
      },
    },
  },
});
