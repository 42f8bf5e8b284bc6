/**
 * Matrix product with optional transposes, batched over a leading axis, and its gradients.
 *
 *   C[b] = op(A[b]) · op(B[b]),  C[b][i, j] = Σ_k op(A[b])[i, k] · op(B[b])[k, j],
 *
 * op(M) = Mᵀ when the corresponding transpose flag is set. Rank 2 ([rows, cols]) or rank 3
 * ([batch, rows, cols], equal batch sizes; no broadcasting). Gradients for dC = ∂L/∂C:
 *   no flags: dA = dC·Bᵀ,    dB = Aᵀ·dC
 *   tA:       dA = B·dCᵀ,    dB = A·dC
 *   tB:       dA = dC·B,     dB = dCᵀ·A
 *   tA, tB:   dA = Bᵀ·dCᵀ,   dB = dCᵀ·Aᵀ
 * (each follows from ∂L/∂op(A) = dC·op(B)ᵀ and ∂L/∂op(B) = op(A)ᵀ·dC).
 */
import { DiffusionInputError } from '../errors.js';
import { checkNd, checkSameShape, ndarray, type NdArray } from './tensor.js';

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

function rankOf(name: string, x: unknown): number {
  const r = (x as { shape?: unknown[] }).shape?.length;
  if (r !== 2 && r !== 3) throw new DiffusionInputError(`${name}.shape`, (x as { shape?: unknown }).shape, 'must have rank 2 or 3');
  return r;
}

/** C = op(A)·op(B) (see the file comment). */
export function matmul(a: NdArray, b: NdArray, opts: MatmulOptions = {}): NdArray {
  const ra = rankOf('a', a);
  const as = checkNd('a', a, ra);
  const bs = checkNd('b', b, rankOf('b', b));
  if (as.length !== bs.length) throw new DiffusionInputError('b.shape', bs, `rank mismatch: a has shape [${as.join(', ')}]`);
  const batch = ra === 3 ? as[0] : 1;
  if (ra === 3 && bs[0] !== batch) throw new DiffusionInputError('b.shape', bs, `batch mismatch: a has batch ${batch}`);
  const [ar, ac] = as.slice(-2);
  const [br, bc] = bs.slice(-2);
  const tA = !!opts.transposeA;
  const tB = !!opts.transposeB;
  const m = tA ? ac : ar;
  const k = tA ? ar : ac;
  const kb = tB ? bc : br;
  const n = tB ? br : bc;
  if (k !== kb) throw new DiffusionInputError('b.shape', bs, `inner dimensions differ: op(a) has ${k} columns, op(b) has ${kb} rows`);
  const out = ndarray(ra === 3 ? [batch, m, n] : [m, n]);
  for (let q = 0; q < batch; q++) {
    const ao = q * ar * ac;
    const bo = q * br * bc;
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let l = 0; l < k; l++) {
          const av = tA ? a.data[ao + l * ac + i] : a.data[ao + i * ac + l];
          const bv = tB ? b.data[bo + j * bc + l] : b.data[bo + l * bc + j];
          s += av * bv;
        }
        out.data[q * m * n + i * n + j] = s;
      }
  }
  return out;
}

/** Gradients (dA, dB) of C = op(A)·op(B) for upstream dC (table in the file comment). */
export function matmulGrad(a: NdArray, b: NdArray, dc: NdArray, opts: MatmulOptions = {}): { da: NdArray; db: NdArray } {
  const c = matmul(a, b, opts);
  checkSameShape('op(a)·op(b)', c.shape, 'dc', checkNd('dc', dc, c.shape.length));
  const tA = !!opts.transposeA;
  const tB = !!opts.transposeB;
  if (!tA && !tB) return { da: matmul(dc, b, { transposeB: true }), db: matmul(a, dc, { transposeA: true }) };
  if (tA && !tB) return { da: matmul(b, dc, { transposeB: true }), db: matmul(a, dc) };
  if (!tA && tB) return { da: matmul(dc, b), db: matmul(dc, a, { transposeA: true }) };
  return { da: matmul(b, dc, { transposeA: true, transposeB: true }), db: matmul(dc, a, { transposeA: true, transposeB: true }) };
}
