/**
 * The multistep / flow claims (src/conformance/claims/multistep.ts, issue 15) on the tfjs tier: the
 * tensor samplers (src/gpu/multistep.ts, pndm.ts, flow.ts) driven by the float64 mixture oracle
 * (the tfjs implementation runs float64 models through hostModel; the oracle has no tensor twin, so
 * the reference's mixtureModel is lent to it). Tolerances scale with the float32 unit roundoff.
 * The heavy convergence-order claim runs on the reference only (float32 round-off would floor it).
 */
import { describe, it } from 'vitest';
import { BACKEND_NAMES, probeBackends, useBackend } from '../src/backend/backend.js';
import { makeTfjsImpl } from '../src/conformance/impls/tfjs.js';
import { referenceScoreImpl } from '../src/conformance/impls/reference-score.js';
import { registerClaims } from '../src/conformance/suite.js';
import { multistepClaims } from '../src/conformance/claims/multistep.js';

const probes = await probeBackends();

for (const name of BACKEND_NAMES) {
  const probe = probes.find((p) => p.name === name)!;
  if (!probe.ok) {
    describe(`multistep claims [${name}]`, () => {
      it.skip(`backend '${name}' not present here: ${probe.reason}`, () => {});
    });
    continue;
  }
  await useBackend(name);
  const impl = { ...makeTfjsImpl(name), mixtureModel: referenceScoreImpl.mixtureModel, name: `tfjs (${name}) samplers + float64 mixture oracle` };
  registerClaims(`multistep claims on the tfjs tier [${name}]`, multistepClaims.filter((c) => !c.heavy), impl);
}
