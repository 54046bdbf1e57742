/**
 * Depthwise conv2d (groups = Cin = Cout: MobileNet's 3×3 layers) and its input gradient on their
 * own row-segment kernel (shaders/depthwise_conv2d.wgsl). conv2d and conv2dBackwardInput branch
 * here once they have validated the geometry; the weight gradient stays the dense conv's.
 */
import source from '../../shaders/depthwise_conv2d.wgsl';
import type { BufferRange } from '../gpu/program.js';
import { uniformBytes } from '../gpu/program.js';
import { fail, shapeStr } from '../errors.js';
import { imagesPerChunk } from './image-chunks.js';
import { Tensor } from '../tensor/tensor.js';

/** What the kernel needs of conv2d's validated geometry (ph, pw: the top and left pads). */
export type DepthwiseGeometry = Record<
  'n' | 'cin' | 'cout' | 'groups' | 'h' | 'w' | 'ho' | 'wo' | 'kh' | 'kw' | 'sh' | 'sw' | 'ph' | 'pw' | 'dh' | 'dw',
  number
>;

export function isDepthwise(g: DepthwiseGeometry): boolean {
  return g.groups > 1 && g.groups === g.cin && g.groups === g.cout;
}

/** Register block: up to 4 rows × 16 columns of accumulators (their source values stay in registers on SwiftShader). */
const ROWS_MAX = 4;
const SEGMENT_MAX = 16;

/**
 * Block length along an axis of `length`, a multiple of `align` (the input gradient's stride, so
 * that each position's taps are fixed) and at most `max`: the whole axis if it fits, else the
 * length in [max/2, max] that wastes fewest positions.
 */
function blockLength(length: number, align: number, maxLength: number): number {
  const max = Math.max(align, Math.floor(maxLength / align) * align);
  if (length <= max) return Math.ceil(length / align) * align;
  let best = max;
  const waste = (p: number) => Math.ceil(length / p) * p - length;
  for (let p = max; p >= max / 2; p -= align) if (waste(p) < waste(best)) best = p;
  return best;
}

const range = (count: number) => Array.from({ length: count }, (_, i) => i);
const name = (c: number) => (c < 0 ? `m${-c}` : `${c}`); // identifiers for negative offsets

/** Destination position q of a block meets kernel tap k at source offset `at` (from the block's origin). */
interface Pair {
  q: number;
  k: number;
  at: number;
}

/**
 * The (position, tap) pairs of one axis: the forward reads source q·S + k·D (origin j0·S − P);
 * the input gradient dY (q + P − k·D)/S where divisible (origin j0/S).
 */
function axisPairs(block: number, taps: number, s: number, d: number, pad: number, gradInput: boolean): Pair[] {
  return range(block).flatMap((q) =>
    range(taps).flatMap((k): Pair[] => {
      if (!gradInput) return [{ q, k, at: q * s + k * d }];
      const t = q + pad - k * d;
      return t % s === 0 ? [{ q, k, at: t / s }] : [];
    }),
  );
}

/**
 * The unrolled block: every source row of the window (skipped as a whole in the padding), its
 * columns loaded once (zero in the padding), then one FMA per (row pair, column pair).
 */
function blockCode(
  rows: { block: number; pairs: Pair[]; origin: string },
  cols: { block: number; pairs: Pair[]; origin: string },
  kw: number,
): Record<'SETUP' | 'STEP' | 'STORE', string> {
  const distinct = (ps: Pair[]) => [...new Set(ps.map((t) => t.at))].sort((a, b) => a - b);
  const columns = distinct(cols.pairs);
  const taps = [...new Set(rows.pairs.flatMap((r) => cols.pairs.map((c) => r.k * kw + c.k)))].sort((a, b) => a - b);
  const accs = range(rows.block).flatMap((r) => range(cols.block).map((q) => `acc${r}_${q}`));
  const setup = [
    `let rowOrigin = ${rows.origin};`,
    ...columns.flatMap((c) => [
      `let at${name(c)} = ${cols.origin} + ${c};`,
      `let col${name(c)} = select(0u, u32(at${name(c)}), u32(at${name(c)}) < srcW);`,
      `let keep${name(c)} = select(0.0, 1.0, u32(at${name(c)}) < srcW);`,
    ]),
    ...taps.map((t) => `let w${t} = w[wk + ${t}u];`),
    ...accs.map((a) => `var ${a} = 0.0;`),
  ];
  const step = distinct(rows.pairs).flatMap((a) => {
    const meeting = rows.pairs.filter((r) => r.at === a);
    return [
      `let src${name(a)} = rowOrigin + ${a};`,
      `if (u32(src${name(a)}) < srcH) {`,
      `  let xr = srcPlane + u32(src${name(a)}) * srcW;`,
      ...columns.map((c) => `  let v${name(c)} = src[xr + col${name(c)}] * keep${name(c)};`),
      ...meeting.flatMap((r) => cols.pairs.map((c) => `  acc${r.q}_${c.q} += w${r.k * kw + c.k} * v${name(c.at)};`)),
      `}`,
    ];
  });
  const store = range(rows.block).flatMap((r) =>
    range(cols.block).map((q) => `store(acc${r}_${q}, c, planeStart, r0 + ${r}u, j0 + ${q}u, relu);`),
  );
  const indent = (lines: string[]) => lines.map((l) => `  ${l}`).join('\n');
  return { SETUP: indent(setup), STEP: indent(step), STORE: indent(store) };
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
  const rb = blockLength(dstH, gradInput ? g.sh : 1, ROWS_MAX);
  const pb = blockLength(dstW, gradInput ? g.sw : 1, SEGMENT_MAX);
  const [bands, segments] = [Math.ceil(dstH / rb), Math.ceil(dstW / pb)];
  const origin = (block: string, s: number, pad: number) =>
    gradInput ? `i32(${block} / ${s}u)` : `i32(${block}) * ${s} - ${pad}`;
  const code = blockCode(
    { block: rb, pairs: axisPairs(rb, g.kh, g.sh, g.dh, g.ph, gradInput), origin: origin('r0', g.sh, g.ph) },
    { block: pb, pairs: axisPairs(pb, g.kw, g.sw, g.dw, g.pw, gradInput), origin: origin('j0', g.sw, g.pw) },
    g.kw,
  );
  const params = {
    ...code,
    RB: rb,
    PB: pb,
    KK: g.kh * g.kw,
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
    const threads = count * g.cin * bands * segments;
    const dims = uniformBytes([
      ['u32', g.cin],
      ['u32', srcH],
      ['u32', srcW],
      ['u32', dstH],
      ['u32', dstW],
      ['u32', bands],
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
