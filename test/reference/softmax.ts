/** float64 references: softmax, log-softmax, cross-entropy (rows of [N, C]) and their gradients. */

/** Numerically stable log-softmax of each row. */
export function logSoftmax(x: Float64Array, n: number, c: number): Float64Array {
  const out = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let j = 0; j < c; j++) m = Math.max(m, x[r * c + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(x[r * c + j]! - m);
    const lse = m + Math.log(s);
    for (let j = 0; j < c; j++) out[r * c + j] = x[r * c + j]! - lse;
  }
  return out;
}

export function softmax(x: Float64Array, n: number, c: number): Float64Array {
  return logSoftmax(x, n, c).map(Math.exp);
}

/** dx = y ⊙ (dy − Σ_row dy⊙y), y = softmax(x). */
export function softmaxBackward(y: Float64Array, dy: Float64Array, n: number, c: number): Float64Array {
  const dx = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let d = 0;
    for (let j = 0; j < c; j++) d += dy[r * c + j]! * y[r * c + j]!;
    for (let j = 0; j < c; j++) dx[r * c + j] = y[r * c + j]! * (dy[r * c + j]! - d);
  }
  return dx;
}

/** dx = dy − exp(y) Σ_row dy, y = logSoftmax(x). */
export function logSoftmaxBackward(y: Float64Array, dy: Float64Array, n: number, c: number): Float64Array {
  const dx = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let d = 0;
    for (let j = 0; j < c; j++) d += dy[r * c + j]!;
    for (let j = 0; j < c; j++) dx[r * c + j] = dy[r * c + j]! - Math.exp(y[r * c + j]!) * d;
  }
  return dx;
}

/** mean over rows of −log softmax(x)[label]. */
export function crossEntropy(x: Float64Array, labels: ArrayLike<number>, n: number, c: number): number {
  const ls = logSoftmax(x, n, c);
  let total = 0;
  for (let r = 0; r < n; r++) total -= ls[r * c + labels[r]!]!;
  return total / n;
}

/** d loss / d logits = (softmax(x) − onehot(labels)) / N. */
export function crossEntropyBackward(
  probs: Float64Array,
  labels: ArrayLike<number>,
  n: number,
  c: number,
): Float64Array {
  const g = probs.map((p) => p / n);
  for (let r = 0; r < n; r++) g[r * c + labels[r]!]! -= 1 / n;
  return g;
}
