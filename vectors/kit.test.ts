/**
 * The conformance kit as users run it:
 *  - `registerConformance(adapter)` turns every claim and vector into a vitest test (here for the
 *    worked example, examples/handwritten-adapter.ts: it must pass all of them; members it lacks,
 *    the score family, show up as skipped "not applicable" tests);
 *  - the tfjs tier (float32) runs every vector through `runConformance` with the vectors'
 *    float32 tolerances.
 */
import { describe, expect, it } from 'vitest';
import { registerConformance, runConformance, formatReport, loadVectors, worstErrorRatio } from '../src/conformance/kit.js';
import { handwrittenAdapter } from '../src/conformance/impls/handwritten.js';
import { prepareTfjsImpl } from '../src/conformance/impls/tfjs.js';

await registerConformance(handwrittenAdapter);

describe('conformance kit: the tfjs tier', () => {
  it('tfjs (cpu backend, float32) passes every vector at the float32 tolerances', async () => {
    const impl = await prepareTfjsImpl('cpu');
    const rep = await runConformance(impl, { claims: false });
    console.log(formatReport(rep));
    expect(rep.failed).toEqual([]);
    // The tensor tier has no mixture oracles and no score-matching losses (host float64 code only);
    // its samplers and guidance run every step vector.
    for (const n of rep.notApplicable) expect(n.reason, n.id).toMatch(/lacks (mixture(LogPdf|Score|PosteriorMean|Model)|(explicit|denoising)ScoreMatchingLoss|sigmaSchedule|discreteScheduleSigmas|ancestralStep)$/);
    expect(rep.passed.filter((id) => /^(score-steps|dpm-solver|guidance)\//.test(id)).length).toBeGreaterThan(80);
    const files = loadVectors();
    const core = worstErrorRatio(impl, files.filter((f) => !['score-mixture', 'score-steps', 'dpm-solver', 'guidance', 'score-matching'].includes(f.family)));
    const score = worstErrorRatio(impl, files.filter((f) => ['score-mixture', 'score-steps', 'dpm-solver', 'guidance', 'score-matching'].includes(f.family)));
    console.log(`  tfjs worst error/float32 tolerance: core ${core.ratio.toExponential(2)} at ${core.id}; score family ${score.ratio.toExponential(2)} at ${score.id}`);
    expect(rep.passed.length).toBeGreaterThan(200);
  });
});
