/**
 * Worked example for the conformance kit. The implementation and its adapter live in the kit,
 * src/conformance/impls/handwritten.ts (a plain DDPM/DDIM written from the papers, independent of
 * the float64 reference), because the vectors' bug models (src/conformance/broken/vector-bugs.ts)
 * are built on it. Read that file for the adapter; run it against the kit with:
 *
 *   import { runConformance, formatReport } from 'diffusion-oracle/conformance';
 *   import { handwrittenAdapter } from './handwritten-adapter.js';
 *   const report = await runConformance(handwrittenAdapter);
 *   console.log(formatReport(report));
 */
export * from '../src/conformance/impls/handwritten.js';
