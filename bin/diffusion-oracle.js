#!/usr/bin/env node
// Launcher for the diffusion-oracle CLI. The TypeScript sources are compiled to dist/ by
// `npm run build` (run automatically by npm install through the `prepare` script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    `diffusion-oracle: the compiled program is missing (${fileURLToPath(entry)}).\n` +
      'Run `npm run build` in the package folder (npm install does it through `prepare`).\n',
  );
  process.exit(1);
}
const cli = await import(entry.href);
await cli.runCli(process.argv.slice(2));
