// ESLint flat config: ESLint's and typescript-eslint's recommended rules, syntactic only. The
// type-aware set (recommendedTypeChecked) builds the whole program on every run: 2 min 38 s wall on
// the shared 2-core machine against about 10-30 s for this one, so it is not in `npm test`; tsc
// already runs the type checks in `npm run typecheck`.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'runs/**', 'out/**', '.scratch*/**'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    // Node's globals for the plain .js files (no-undef is off for .ts: tsc checks names there).
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
);
