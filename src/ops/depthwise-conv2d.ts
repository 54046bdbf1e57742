/**
 * Depthwise conv2d (groups = Cin = Cout: MobileNet's 3×3 layers) and its input gradient on their
 * own row-segment kernel (shaders/depthwise_conv2d.wgsl). conv2d and conv2dBackwardInput branch
 * here once they have validated the geometry; the weight gradient stays the dense conv's.
 */
import source from '../../shaders/depthwise_conv2d.wgsl';
import type { BufferRange } from '../gpu/program.js';
import { uniformBytes } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';

/** What the kernel needs of conv2d's validated geometry (its padding: the top and left pads). */
export interface DepthwiseGeometry {
  n: number;
  cin: number;
  cout: number;
  groups: number;
  h: number;
  w: number;
  ho: number;
  wo: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  dh: number;
  dw: number;
}

export function isDepthwise(g: DepthwiseGeometry): boolean {
  return g.groups > 1 && g.groups === g.cin && g.groups === g.cout;
}

/** Longest row segment: 16 accumulators and their source columns stay in registers on SwiftShader. */
const SEGMENT_MAX = 16;

/**
 * Columns per thread, a multiple of `align` (the input gradient's stride, so that each column's
 * taps are fixed): the whole row up to SEGMENT_MAX, else the length that wastes fewest columns.
 */
function segmentLength(width: number, align: number): number {
  const max = Math.max(align, Math.floor(SEGMENT_MAX / align) * align);
  if (width <= max) return Math.ceil(width / align) * align;
  let best = max;
  const waste = (p: number) => Math.ceil(width / p) * p - width;
  for (let p = max; p >= max / 2; p -= align) if (waste(p) < waste(best)) best = p;
  return best;
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);
const name = (c: number) => (c < 0 ? `m${-c}` : `${c}`); // identifiers for negative offsets

/** One (destination column q, kernel column kw) pair and the source column it reads (from `origin`). */
interface Pair {
  q: number;
  kw: number;
  column: number;
}

/** The unrolled code of a segment: loads of the source columns, then one FMA per pair. */
function segmentCode(p: number, pairs: readonly Pair[], origin: string): Record<'SETUP' | 'STEP' | 'STORE', string> {
  const columns = [...new Set(pairs.map((t) => t.column))].sort((a, b) => a - b);
  const kws = [...new Set(pairs.map((t) => t.kw))].sort((a, b) => a - b);
  const setup = [
    ...columns.flatMap((c) => [
      `let at${name(c)} = ${origin} + ${c};`,
      `let col${name(c)} = select(0u, u32(at${name(c)}), u32(at${name(c)}) < srcW);`,
      `let keep${name(c)} = select(0.0, 1.0, u32(at${name(c)}) < srcW);`,
    ]),
    ...range(p).map((q) => `var acc${q} = 0.0;`),
  ];
  const step = [
    ...columns.map((c) => `let v${name(c)} = src[xr + col${name(c)}] * keep${name(c)};`),
    ...kws.map((kw) => `let w${kw} = w[wk + ${kw}u];`),
    ...pairs.map((t) => `acc${t.q} += w${t.kw} * v${name(t.column)};`),
  ];
  const store = range(p).map((q) => `store(acc${q}, c, rowStart, j0 + ${q}u, relu);`);
  const indent = (lines: string[], depth: number) => lines.map((l) => ' '.repeat(depth) + l).join('\n');
  return { SETUP: indent(setup, 2), STEP: indent(step, 4), STORE: indent(store, 2) };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Images per dispatch so that each binding of `floatsPerImage` fits the limit at 256-byte aligned offsets. */
function imagesPerChunk(op: string, engine: Tensor['engine'], n: number, floatsPerImage: number[]): number {
  const maxBytes = engine.limits.maxStorageBufferBindingSize;
  let cap = n;
  let align = 1;
  for (const f of floatsPerImage) {
    cap = Math.min(cap, Math.floor(maxBytes / (f * 4)));
    const a = 256 / gcd(256, f * 4);
    align = (align * a) / gcd(align, a);
  }
  if (n <= cap) return n;
  const images = Math.floor(cap / align) * align;
  if (images === 0) fail(`${op}: cannot split the batch of ${n} to fit maxStorageBufferBindingSize ${maxBytes}`);
  return images;
}

interface DepthwiseRun {
  op: string;
  g: DepthwiseGeometry;
  src: Tensor;
  weight: Tensor;
  gradInput: boolean;
  bias?: Tensor | null;
  relu?: boolean;
  residual?: Tensor;
  mask?: Tensor;
}

function run({ op, g, src, weight, gradInput, bias, relu, residual, mask }: DepthwiseRun): Tensor {
  const engine = src.engine;
  const [srcH, srcW, dstH, dstW] = gradInput ? [g.ho, g.wo, g.h, g.w] : [g.h, g.w, g.ho, g.wo];
  const p = segmentLength(dstW, gradInput ? g.sw : 1);
  const segments = Math.ceil(dstW / p);
  // source column of each (column q, tap kw) pair, from the segment's origin: the forward reads
  // x[j0·SW − PW + q·SW + kw·DW]; the input gradient dY[j0/SW + (q + PW − kw·DW)/SW] where divisible
  const pairs = range(p).flatMap((q) =>
    range(g.kw).flatMap((kw): Pair[] => {
      if (!gradInput) return [{ q, kw, column: q * g.sw + kw * g.dw }];
      const t = q + g.pw - kw * g.dw;
      return t % g.sw === 0 ? [{ q, kw, column: t / g.sw }] : [];
    }),
  );
  const origin = gradInput ? `i32(j0 / ${g.sw}u)` : `i32(j0) * ${g.sw} - ${g.pw}`;
  const params = {
    ...segmentCode(p, pairs, origin),
    PB: p,
    KW: g.kw,
    GRAD_INPUT: gradInput,
    HAS_BIAS: !!bias,
    HAS_RESIDUAL: !!residual,
    HAS_MASK: !!mask,
    // the optional bindings numbered consecutively from 4
    RESIDUAL_BINDING: 4 + +!!bias,
    MASK_BINDING: 4 + +!!bias + +!!residual,
  };
  const srcImage = g.cin * srcH * srcW;
  const dstImage = g.cin * dstH * dstW;
  const perChunk = imagesPerChunk(op, engine, g.n, [srcImage, dstImage]);
  const out = Tensor.empty(engine, [g.n, g.cin, dstH, dstW], op);
  const image = (t: Tensor, floats: number, n0: number, count: number): BufferRange => ({
    buffer: t.buffer,
    offset: n0 * floats * 4,
    bytes: count * floats * 4,
  });
  for (let n0 = 0; n0 < g.n; n0 += perChunk) {
    const count = Math.min(perChunk, g.n - n0);
    const threads = count * g.cin * dstH * segments;
    const dims = uniformBytes([
      ['u32', g.cin],
      ['u32', srcH],
      ['u32', srcW],
      ['u32', dstH],
      ['u32', dstW],
      ['u32', g.kh],
      ['i32', g.sh],
      ['i32', g.ph],
      ['i32', g.dh],
      ['u32', segments],
      ['u32', threads],
      ['u32', +!!relu],
    ]);
    const bindings = {
      src: image(src, srcImage, n0, count),
      w: weight,
      dst: image(out, dstImage, n0, count),
      dims,
      bias: bias ?? undefined,
      residual: residual && image(residual, dstImage, n0, count),
      mask: mask && image(mask, dstImage, n0, count),
    };
    engine.run({ op, source, params, bindings, grid: { threads } });
  }
  return out;
}

function checkWeight(op: string, g: DepthwiseGeometry, weight: Tensor): void {
  const max = weight.engine.limits.maxStorageBufferBindingSize;
  if (weight.byteLength > max)
    fail(`${op}: weight ${shapeStr(weight.shape)} exceeds maxStorageBufferBindingSize ${max}`);
  if (!isDepthwise(g)) fail(`${op}: not a depthwise conv (groups ${g.groups}, ${g.cin} → ${g.cout} channels)`);
}

/** conv2d for a depthwise geometry `g` (validated by conv2d), with its bias, residual and relu epilogue. */
export function depthwiseConv2d(
  g: DepthwiseGeometry,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  epilogue: { relu?: boolean; residual?: Tensor },
): Tensor {
  checkWeight('conv2d', g, weight);
  return run({ op: 'depthwiseConv2d', g, src: x, weight, gradInput: false, bias, ...epilogue });
}

/** dX of a depthwise conv2d (validated by conv2dBackwardInput): mask ⊙ (convᵀ(dY) + residual). */
export function depthwiseConv2dBackwardInput(
  g: DepthwiseGeometry,
  dy: Tensor,
  weight: Tensor,
  epilogue: { residual?: Tensor; mask?: Tensor },
): Tensor {
  checkWeight('conv2dBackwardInput', g, weight);
  return run({ op: 'depthwiseConv2dBackwardInput', g, src: dy, weight, gradInput: true, ...epilogue });
}
