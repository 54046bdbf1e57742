/** Errors a user can read: every message names the op and the offending value or limit. */

export class PathlightError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathlightError';
  }
}

/** A GPU validation / out-of-memory / internal error, attributed to the op that caused it. */
export class GpuError extends PathlightError {
  constructor(
    readonly op: string,
    readonly kind: string,
    readonly gpuMessage: string,
  ) {
    super(`GPU ${kind} error in ${op}: ${gpuMessage.split('\n').slice(0, 6).join('\n')}`);
    this.name = 'GpuError';
  }
}

export function fail(message: string): never {
  throw new PathlightError(message);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function checkShape(
  op: string,
  what: string,
  shape: readonly number[],
  expected: readonly (number | null)[],
): void {
  const ok = shape.length === expected.length && expected.every((e, i) => e === null || e === shape[i]);
  if (!ok) {
    const exp = expected.map((e) => (e === null ? '*' : String(e))).join(', ');
    fail(`${op}: ${what} has shape ${shapeStr(shape)}, expected [${exp}]`);
  }
}

export function checkRank(op: string, what: string, shape: readonly number[], rank: number): void {
  if (shape.length !== rank) fail(`${op}: ${what} must have rank ${rank}, got shape ${shapeStr(shape)}`);
}

export function checkPositiveInt(op: string, what: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) fail(`${op}: ${what} must be an integer >= ${min}, got ${v}`);
}

/** A per-axis (H, W) integer parameter given as one number or a pair, each ≥ min; `fallback` when absent. */
export function intPair(
  op: string,
  what: string,
  v: number | readonly [number, number] | undefined,
  fallback: readonly [number, number],
  min: number,
): [number, number] {
  const p = v === undefined ? fallback : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || p.some((d) => !Number.isInteger(d) || d < min)) {
    fail(`${op}: ${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return [p[0]!, p[1]!];
}

/** A conv / pooling padding: one number, [h, w] (both sides), or [top, left, bottom, right] (ONNX pads). */
export type Padding = number | readonly [number, number] | readonly [number, number, number, number];

/** `padding` as [top, left, bottom, right], each an integer ≥ 0 (default none). */
export function intPads(op: string, v: Padding | undefined): [number, number, number, number] {
  const p: readonly number[] = v === undefined ? [0, 0] : typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || (p.length !== 2 && p.length !== 4) || p.some((d) => !Number.isInteger(d) || d < 0)) {
    fail(
      `${op}: padding must be an integer >= 0, a pair [h, w] or [top, left, bottom, right] of them, got ${JSON.stringify(v)}`,
    );
  }
  return p.length === 2 ? [p[0]!, p[1]!, p[0]!, p[1]!] : [p[0]!, p[1]!, p[2]!, p[3]!];
}
