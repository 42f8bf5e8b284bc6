/**
 * Layer rules of the project (docs: /work/notes/plan.md "Layer rules", issue 13), checked by
 * `npm run layers` (part of `npm test`) and by src/layers.test.ts, which also shows every rule
 * firing on a deliberate violation.
 *
 * Areas, bottom to top:
 *   src/reference            float64 formulas: imports nothing above it
 *   src/io, src/data         files, PNGs, MNIST: only reference (errors, rng)
 *   src/testing              test helpers for src/*.test.ts: only reference
 *   src/gpu                  tensor twin of reference: only reference
 *   src/backend              tfjs backend selection, kernel patches: only reference
 *   src/train                gpu, reference, backend, io, data
 *   src/conformance          reference, gpu, backend, io
 *   src/golden, src/report, src/bench   anything except cli
 *   src/cli                  anything in src/
 * and nothing in src/ imports from the test folders (properties/, vectors/, top-level bench/ and
 * golden/). No cycles.
 *
 * The area rules apply to the shipped code; a *.test.ts file inside an area may import any area
 * (cross-checks import both tiers), but not the test folders.
 */
const TEST = '(^|/)[^/]+\\.test\\.ts$';

/** A rule: files in `area` (not tests) may import only `allowed` areas among src/*. */
function layer(area, allowed, comment, exempt = []) {
  const ok = [area, ...allowed].join('|');
  return {
    name: `layer-${area}`,
    severity: 'error',
    comment,
    from: { path: `^src/${area}/`, pathNot: [TEST, ...exempt] },
    to: { path: '^src/', pathNot: `^src/(${ok})/` },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-src-to-test-folders',
      severity: 'error',
      comment:
        'src/ is the shipped package: it must not import from the test folders (properties/, vectors/, bench/, golden/ at the top level). Move the code it needs into src/ (e.g. src/conformance).',
      from: { path: '^src/' },
      to: { path: '^(properties|vectors|bench|golden)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle between modules (type-only imports count too: they tie the two files together all the same): split out what both need.',
      from: {},
      to: { circular: true },
    },
    layer('reference', [], 'src/reference is the bottom layer: it imports nothing else from src/.'),
    layer('io', ['reference'], 'src/io may import only src/reference.'),
    layer('data', ['reference', 'io'], 'src/data may import only src/reference and src/io.'),
    layer('testing', ['reference'], 'src/testing (test helpers) may import only src/reference.'),
    layer('gpu', ['reference'], 'src/gpu is the tensor twin of src/reference: it may import only src/reference (training code belongs in src/train, backend selection in src/backend).',
      // The one exemption: src/gpu/index.ts (the `diffusion-oracle/gpu` entry point) re-exports
      // src/train and src/backend for one release, so code written against 0.1 keeps working; it is
      // a barrel, imported by no module of src/, and the re-exports are marked deprecated there.
      ['^src/gpu/index\\.ts$']),
    layer('backend', ['reference'], 'src/backend may import only src/reference.'),
    layer('train', ['gpu', 'reference', 'backend', 'io', 'data'], 'src/train may import src/gpu, src/reference, src/backend, src/io, src/data.'),
    layer('conformance', ['reference', 'gpu', 'backend', 'io'], 'src/conformance may import src/reference, src/gpu, src/backend, src/io.'),
    layer('golden', ['reference', 'gpu', 'backend', 'train', 'conformance', 'io', 'data', 'report', 'bench', 'testing'], 'src/golden may import anything below it, not src/cli.'),
    layer('report', ['reference', 'gpu', 'backend', 'train', 'conformance', 'io', 'data', 'golden', 'bench', 'testing'], 'src/report may import anything below it, not src/cli.'),
    layer('bench', ['reference', 'gpu', 'backend', 'train', 'conformance', 'io', 'data', 'golden', 'report', 'testing'], 'src/bench may import anything below it, not src/cli.'),
    {
      name: 'no-unknown-area',
      severity: 'error',
      comment: 'Every folder directly under src/ is an area with a layer rule in .dependency-cruiser.cjs: add the rule when adding an area.',
      from: { path: '^src/', pathNot: '^src/(reference|io|data|testing|gpu|backend|train|conformance|golden|report|bench|cli)/' },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|coverage)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
