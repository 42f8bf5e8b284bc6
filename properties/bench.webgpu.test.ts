/**
 * The webgpu row of the benchmark (runs in the webgpu vitest project): the adapter is named, and
 * on a software adapter every number is labelled emulation in the result and the markdown.
 */
import { describe, expect } from 'vitest';
import { eachBackend, probeWebgpu } from './kernels/check.js';
import { runBench } from '../src/bench/run.js';
import { markdownReport } from '../src/bench/output.js';
import { EMULATION_NOTE } from '../src/bench/webgpu.js';

const WEBGPU = [await probeWebgpu()];

describe('bench: the webgpu row', () => {
  eachBackend(
    'runBench --only kernel --backends webgpu times matMul and conv2d with the adapter named (emulation when software)',
    async () => {
      const r = await runBench({ quick: true, workloads: ['kernel'], backends: ['webgpu'], log: () => {} });
      const rows = r.rows.filter((x) => x.tier === 'webgpu');
      expect(rows.map((x) => x.name.split(' | ')[0])).toEqual(['matMul', "conv2d 3×3, 16→16, 'same'"]);
      for (const x of rows) {
        expect(x.timeMs!.median).toBeGreaterThan(0);
        expect(x.note).toContain(WEBGPU[0].adapter!);
        if (WEBGPU[0].software) expect(x.note).toContain(EMULATION_NOTE);
      }
      const md = markdownReport(r);
      expect(md).toContain('## webgpu (tfjs-webgpu on Dawn): kernel times');
      if (WEBGPU[0].software) expect(md).toContain('do not quote');
      console.log(rows.map((x) => `${x.name}: ${x.timeMs!.median.toFixed(1)} ms`).join('; '));
    },
    undefined,
    WEBGPU,
  );
});
