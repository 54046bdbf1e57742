/** float64 references: batched matmul with transposes, linear (PyTorch layout) and its gradients. */

export interface MatmulRefOptions {
  batch?: number; // 0 = no batch dimension
  transA?: boolean;
  transB?: boolean;
  broadcastB?: boolean;
  bias?: Float64Array;
  relu?: boolean;
}

/** C[b] = op(A[b]) · op(B[b]) (+ bias per column, relu). A is [M,K] or [K,M] per batch, B [K,N] or [N,K]. */
export function matmul(
  a: Float64Array,
  b: Float64Array,
  m: number,
  n: number,
  k: number,
  o: MatmulRefOptions = {},
): Float64Array {
  const batches = Math.max(1, o.batch ?? 0);
  const c = new Float64Array(batches * m * n);
  for (let bt = 0; bt < batches; bt++) {
    const aOff = bt * m * k;
    const bOff = o.broadcastB ? 0 : bt * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = o.bias ? o.bias[j]! : 0;
        for (let p = 0; p < k; p++) {
          const av = a[aOff + (o.transA ? p * m + i : i * k + p)]!;
          const bv = b[bOff + (o.transB ? j * k + p : p * n + j)]!;
          s += av * bv;
        }
        c[bt * m * n + i * n + j] = o.relu ? Math.max(0, s) : s;
      }
    }
  }
  return c;
}

/** y[N,M] = x[N,K] · w[M,K]ᵀ + bias, optional relu. */
export function linear(
  x: Float64Array,
  w: Float64Array,
  bias: Float64Array | null,
  n: number,
  k: number,
  m: number,
  relu = false,
): Float64Array {
  return matmul(x, w, n, m, k, { transB: true, bias: bias ?? undefined, relu });
}

/** dy masked by a relu output (dy where y > 0), or dy itself. */
export function reluMask(dy: Float64Array, y?: Float64Array): Float64Array {
  return y ? dy.map((d, i) => (y[i]! > 0 ? d : 0)) : dy;
}

/** dx[N,K] = (dy ⊙ mask)[N,M] · w[M,K]. */
export function linearBackwardInput(
  dy: Float64Array,
  w: Float64Array,
  n: number,
  k: number,
  m: number,
  y?: Float64Array,
): Float64Array {
  return matmul(reluMask(dy, y), w, n, k, m);
}

/** dw[M,K] = (dy ⊙ mask)ᵀ · x, db[M] = Σ_rows (dy ⊙ mask). */
export function linearBackwardWeight(
  x: Float64Array,
  dy: Float64Array,
  n: number,
  k: number,
  m: number,
  y?: Float64Array,
): { dw: Float64Array; db: Float64Array } {
  const g = reluMask(dy, y);
  const dw = matmul(g, x, m, k, n, { transA: true });
  const db = new Float64Array(m);
  for (let r = 0; r < n; r++) for (let j = 0; j < m; j++) db[j] += g[r * m + j]!;
  return { dw, db };
}

/** Σ over `axis` of x viewed as [outer, shape[axis], inner]. */
export function sumAxis(x: Float64Array, shape: readonly number[], axis: number): Float64Array {
  const outer = shape.slice(0, axis).reduce((p, d) => p * d, 1);
  const r = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const out = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < r; q++) for (let i = 0; i < inner; i++) out[o * inner + i] += x[(o * r + q) * inner + i]!;
  return out;
}
