/**
 * The D2 v conversions of the tensor tier under their names (vFromX0AndEps, vFromEps) and their
 * deprecated aliases (vFromEpsAndX0 with its old argument order, vFromEpsX0), against the float64
 * reference. The full tier cross-check of every conversion is properties/tier-crosscheck.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeTensorSchedule } from './schedules.js';
import { vFromEps, vFromEpsAndX0, vFromEpsX0, vFromX0AndEps } from './parameterization.js';
import * as R from '../reference/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('gpu parameterization: v conversions and their deprecated names', () => {
  it('vFromX0AndEps(s, x0, t, eps) and vFromEps(s, xt, t, eps) match the reference; the aliases give the same tensors', () => {
    const betas = R.betaSchedule('linear', 1000);
    const s = makeTensorSchedule(betas);
    const rs = R.makeSchedule(betas);
    const rng = new R.Rng(3);
    const x0 = rng.normalBatch(2, 5);
    const eps = rng.normalBatch(2, 5);
    const t = [10, 700];
    const tt = tf.tensor1d(t, 'int32');
    const xt = x0.map((row, i) => R.qSample(rs, row, t[i], eps[i]) as Float64Array);
    const T = (rows: Float64Array[]) => tf.tensor2d(rows.map((r) => Array.from(r)));
    const [tx0, teps, txt] = [T(x0), T(eps), T(xt)];
    const v = vFromX0AndEps(s, tx0, tt, teps).arraySync();
    const vx = vFromEps(s, txt, tt, teps).arraySync();
    for (let i = 0; i < 2; i++) {
      const ref = R.vFromX0AndEps(rs, x0[i], t[i], eps[i]);
      for (let j = 0; j < 5; j++) {
        expect(Math.abs(v[i][j] - ref[j])).toBeLessThan(1e-5);
        expect(Math.abs(vx[i][j] - ref[j])).toBeLessThan(1e-4);
      }
    }
    expect(vFromEpsAndX0(s, tt, teps, tx0).arraySync()).toEqual(v);
    expect(vFromEpsX0(s, txt, tt, teps).arraySync()).toEqual(vx);
    expect(() => vFromX0AndEps(s, tx0, 0, teps)).toThrow(/t/);
  });
});
