// ESLint flat config: typescript-eslint's recommended rules (syntactic, not type-aware: the
// type-aware set costs a full program build per run, too slow for `npm test` on 2 cores; tsc
// already runs the type checks in `npm run typecheck`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'runs/**', 'out/**', '.scratch*/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Node's globals for the plain .js files (no-undef is off for .ts: tsc checks names there).
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      // `_`-prefixed names are deliberately unused (positional parameters of an interface).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    // TEMPORARY (issue 13): vectors/generate.ts:477 rethrows without `{ cause: e }`. The file is being
    // moved to src/conformance/vectors/ by another change; attach the cause there and delete this block.
    files: ['vectors/generate.ts', 'src/conformance/vectors/generate.ts'],
    rules: { 'preserve-caught-error': 'off' },
  },
);
