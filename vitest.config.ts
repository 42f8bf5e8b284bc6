import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['properties/**/*.test.ts', 'src/**/*.test.ts', 'golden/**/*.test.ts', 'bench/**/*.test.ts', 'vectors/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['verbose'],
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
