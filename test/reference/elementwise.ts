/** float64 references: relu and add. */
export function relu(x: Float64Array): Float64Array {
  return x.map((v) => (v > 0 ? v : 0));
}

export function reluBackward(y: Float64Array, dy: Float64Array): Float64Array {
  return dy.map((d, i) => (y[i]! > 0 ? d : 0));
}

export function add(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((v, i) => v + b[i]!);
}
