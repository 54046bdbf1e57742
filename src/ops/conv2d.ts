/**
 * conv2d (PyTorch / ONNX semantics: NCHW input, weight [Cout, Cin/groups, KH, KW], padding (per
 * side: the begin pads place the windows, the end pads only add output rows), stride, dilation, groups) with its input and weight/bias gradients. All three are one
 * implicit-GEMM idea with different loaders (shaders/conv2d*.wgsl): no im2col buffer, groups
 * folded into the channel dimension. The geometry is a uniform (ConvShape): a pipeline bakes only
 * the unrolled register block (channels, row-segment length, the taps' column pattern) and the
 * epilogue flags, so one pipeline serves every batch size, chunk and layer with that block (the
 * block, FMA order and workgroup of the forward and input gradient: ConvTuning, conv2d-tuning.ts). The
 * forward fuses bias, a residual add and relu; the backwards take dY already masked by a fused
 * relu, and the input gradient can finish the input's own gradient: + the gradient summed so far,
 * then the input's relu mask. Batches whose bindings would exceed maxStorageBufferBindingSize are
 * split into image chunks.
 */
import forwardSource from '../../shaders/conv2d.wgsl';
import gradInputSource from '../../shaders/conv2d_grad_input.wgsl';
import gradInputPhaseSource from '../../shaders/conv2d_grad_input_phase.wgsl';
import gradWeightSource from '../../shaders/conv2d_grad_weight.wgsl';
import gradWeightReduceSource from '../../shaders/conv2d_grad_weight_reduce.wgsl';
import xTapReadsSource from '../../shaders/conv2d_x_taps.wgsl';
import epilogueSource from '../../shaders/conv2d_epilogue.wgsl';
import storeSource from '../../shaders/conv2d_store.wgsl';
import winogradSource from '../../shaders/conv2d_winograd.wgsl';
import packWeightSource from '../../shaders/conv2d_pack_weight.wgsl';
import packChannelsSource from '../../shaders/conv2d_pack_channels.wgsl';
import { uniformBytes, WG, type BufferRange } from '../gpu/program.js';
import { renderShader } from '../gpu/wgsl.js';
import { checkShape, fail, intPads, intPair, shapeStr, type Padding } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Tunable } from '../gpu/tuning.js';
import { add } from './add.js';
import { reluBackward } from './relu.js';
import { imagesPerChunk } from './image-chunks.js';
import { winogradApplies, winogradCode, winogradGrid, winogradWeights } from './conv2d-winograd.js';
import { depthwiseConv2d, depthwiseConv2dBackwardInput, isDepthwise } from './depthwise-conv2d.js';
import {
  defaultTuning,
  mainPrologue,
  PIXEL_LANE_ROWS,
  segmentLength,
  tuningCandidates,
  type ConvDirection,
  type ConvTuning,
  type TunedShape,
} from './conv2d-tuning.js';

export type { ConvDirection, ConvTuning } from './conv2d-tuning.js';

export interface Conv2dParams {
  stride?: number | [number, number];
  padding?: Padding;
  dilation?: number | [number, number];
  groups?: number;
}

export interface Conv2dEpilogue {
  relu?: boolean;
  /** Same shape as the output; added after the bias, before the relu. */
  residual?: Tensor;
}

/** The input gradient's epilogue: dX = mask ⊙ (convᵀ(dY) + residual), both of the input's shape. */
export interface InputGradientEpilogue {
  /** the input's gradient from its other readers, added */
  residual?: Tensor;
  /** the input's relu output: dX is kept where it is > 0 (the relu backward of the input) */
  mask?: Tensor;
}

/** A conv2d's geometry, validated. */
export type Geometry = ReturnType<typeof geometry>;

// The weight gradient's block (conv2d_grad_weight.wgsl), measured on SwiftShader in Node against the
// split-K GEMM it replaced (GFLOP per CPU-second at ResNet-S / MobileNet shapes, batch 64, one
// process, loaded machine): 32 output channels × 16 taps (3×3: 1 input channel; 1×1: 16) × 4-pixel
// segments ran 1.1–1.6× the old kernel (depthwise 1.7×); 8 channels × 8-pixel segments 0.8–1.4×. Any
// value is correct.
const GRAD_WEIGHT_CHANNEL_BLOCKS = 8;
/** The weight gradient's taps × input channels per thread (1×1 convs take this many input channels). */
const GRAD_WEIGHT_TAPS = 16;
/** The most vec4 accumulators of a weight-gradient thread (3×3: 8 channel blocks, 1×1: 4). */
const GRAD_WEIGHT_ACCUMULATORS = 72;
/** The weight gradient's longest row segment. */
const GRAD_WEIGHT_SEGMENT = 4;
/** Threads a weight gradient dispatch aims at: slices of more images trade parallelism for reduce work. */
const GRAD_WEIGHT_THREADS = 4096;

function geometry(op: string, xShape: readonly number[], wShape: readonly number[], p: Conv2dParams = {}) {
  if (xShape.length !== 4) fail(`${op}: input must have shape [N, Cin, H, W], got ${shapeStr(xShape)}`);
  if (wShape.length !== 4) fail(`${op}: weight must have shape [Cout, Cin/groups, KH, KW], got ${shapeStr(wShape)}`);
  const [sh, sw] = intPair(op, 'stride', p.stride, [1, 1], 1);
  const [ph, pw, pb, pr] = intPads(op, p.padding);
  const [dh, dw] = intPair(op, 'dilation', p.dilation, [1, 1], 1);
  const groups = p.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) fail(`${op}: groups must be an integer >= 1, got ${groups}`);
  const [n, cin, h, w] = xShape as [number, number, number, number];
  const [cout, cinG, kh, kw] = wShape as [number, number, number, number];
  if ([n, cin, h, w, cout, cinG, kh, kw].some((d) => d < 1))
    fail(`${op}: empty input ${shapeStr(xShape)} or weight ${shapeStr(wShape)}`);
  if (cin % groups !== 0) fail(`${op}: input channels ${cin} are not divisible by groups ${groups}`);
  if (cout % groups !== 0)
    fail(`${op}: output channels ${cout} (weight ${shapeStr(wShape)}) are not divisible by groups ${groups}`);
  if (cinG * groups !== cin) {
    fail(
      `${op}: channel mismatch: input ${shapeStr(xShape)} has ${cin} channels but weight ${shapeStr(wShape)} with groups ${groups} expects ${cinG * groups}`,
    );
  }
  const ekh = (kh - 1) * dh + 1;
  const ekw = (kw - 1) * dw + 1;
  if (ekh > h + ph + pb || ekw > w + pw + pr) {
    fail(
      `${op}: kernel ${kh}x${kw} (dilated ${ekh}x${ekw}) is larger than the padded input ${h + ph + pb}x${w + pw + pr}`,
    );
  }
  const ho = Math.floor((h + ph + pb - ekh) / sh) + 1;
  const wo = Math.floor((w + pw + pr - ekw) / sw) + 1;
  // ph, pw: the top and left pads, which place every window; the bottom and right ones only set ho, wo
  return { n, cin, h, w, cout, kh, kw, sh, sw, ph, pw, dh, dw, groups, cinG, coutG: cout / groups, ho, wo };
}

export function conv2dOutputShape(xShape: readonly number[], wShape: readonly number[], p?: Conv2dParams): number[] {
  const g = geometry('conv2d', xShape, wShape, p);
  return [g.n, g.cout, g.ho, g.wo];
}

/**
 * The fields of the ConvShape uniform, in order: the geometry, then per-kernel sizes (IMAGES of
 * the chunk, THREADS of the dispatch, and what each shader's header lists). i32 where the index
 * math is signed.
 */
const SHAPE_FIELDS = [
  'CIN',
  'CIN_G',
  'COUT',
  'COUT_G',
  'H',
  'W',
  'HO',
  'WO',
  'KH',
  'KW',
  'SH',
  'SW',
  'PH',
  'PW',
  'DH',
  'DW',
  'HW',
  'NPIX',
  'KK',
  'IMAGES',
  'THREADS',
  'ROWS',
  'BLOCKS',
  'KROW',
  'SEGMENTS',
  'SLOTS',
  'RELU',
  'CKK',
  'COL_BLOCKS',
  'TILES',
  'RB',
  'ROWS_PER_IMAGE',
  'EPAD',
  'SLICE_ROWS',
  'BLOCK_THREADS',
] as const;
type ShapeField = (typeof SHAPE_FIELDS)[number];
const SIGNED: ReadonlySet<ShapeField> = new Set(['SH', 'SW', 'PH', 'PW', 'DH', 'DW']);
const fieldType = (f: ShapeField) => (SIGNED.has(f) ? 'i32' : 'u32');
/** CONV_SHAPE in the shaders: the uniform's WGSL declaration, generated from SHAPE_FIELDS. */
const CONV_SHAPE = `struct ConvShape { ${SHAPE_FIELDS.map((f) => `${f}: ${fieldType(f)}`).join(', ')} }`;

function shapeUniform(g: Geometry, sizes: Partial<Record<ShapeField, number>>): ArrayBuffer {
  const v: Partial<Record<ShapeField, number>> = {
    CIN: g.cin,
    CIN_G: g.cinG,
    COUT: g.cout,
    COUT_G: g.coutG,
    H: g.h,
    W: g.w,
    HO: g.ho,
    WO: g.wo,
    KH: g.kh,
    KW: g.kw,
    SH: g.sh,
    SW: g.sw,
    PH: g.ph,
    PW: g.pw,
    DH: g.dh,
    DW: g.dw,
    HW: g.h * g.w,
    NPIX: g.ho * g.wo,
    KK: g.kh * g.kw,
    ...sizes,
  };
  return uniformBytes(SHAPE_FIELDS.map((f) => [fieldType(f), v[f] ?? 0]));
}

/** conv2d_x_taps.wgsl over the shader's gathered operand (`x` or `dy`). */
function tapReads(src: 'x' | 'dy'): string {
  return renderShader(xTapReadsSource, { SRC: src });
}

/** conv2d_epilogue.wgsl with its bindings from `binding` on. */
function epilogueCode(binding: number, { residual, mask }: InputGradientEpilogue): string {
  return renderShader(epilogueSource, {
    HAS_RESIDUAL: !!residual,
    HAS_MASK: !!mask,
    RESIDUAL_BINDING: binding,
    MASK_BINDING: binding + +!!residual,
  });
}

/** The sub-range of `t` holding images [n0, n0 + count). */
function imageRange(t: Tensor, floatsPerImage: number, n0: number, count: number): BufferRange {
  return { buffer: t.buffer, offset: n0 * floatsPerImage * 4, bytes: count * floatsPerImage * 4 };
}

/** All of `t` (not the rest of its pooled buffer), checked against the binding limit. */
function whole(op: string, t: Tensor, what: string): BufferRange {
  const max = t.engine.limits.maxStorageBufferBindingSize;
  if (t.byteLength > max) fail(`${op}: ${what} ${shapeStr(t.shape)} exceeds maxStorageBufferBindingSize ${max}`);
  return { buffer: t.buffer, offset: 0, bytes: Math.max(4, t.byteLength) };
}

/**
 * W as one vec4 per (block of 4 GEMM rows, k): rows are output channels for the forward and input
 * channels for the input gradient (`transposed`). See conv2d_pack_weight.wgsl. Packed once per
 * weight contents and kept with the weight tensor (Tensor.derived): an optimizer step or
 * setParameters drops it. Not the caller's to dispose.
 */
function packedWeights(op: string, w: Tensor, g: Geometry, transposed: boolean): Tensor {
  return w.derived(
    `conv2d packed weights ${transposed ? 'transposed ' : ''}${g.cout}x${g.cinG} groups ${g.groups}`,
    () => {
      const rows = transposed ? g.cin : g.cout;
      const k = (transposed ? g.coutG : g.cinG) * g.kh * g.kw;
      const total = Math.ceil(rows / 4) * k;
      const packed = Tensor.empty(w.engine, [total * 4], `${op} packed weights`);
      const sizes = Uint32Array.of(total, g.cinG, g.coutG, g.kh * g.kw, rows, k, +transposed);
      w.engine.run({
        op: 'conv2d pack weights',
        source: packWeightSource,
        bindings: { w: whole(op, w, 'weight'), packed: whole(op, packed, 'packed weight'), sizes },
        grid: { threads: total },
      });
      return packed;
    },
  );
}

/** Pack a conv weight ([Cout, Cin/g, KH, KW], or 1-D [Cout, Cin/g, K]) for both directions now: at model load, not on first use. */
export function prepackConv2dWeights(w: Tensor, p: Conv2dParams = {}): void {
  const w4 = w.rank === 3 ? w.reshape([w.shape[0]!, w.shape[1]!, 1, w.shape[2]!]) : w.reshape(w.shape);
  const [, cinG, kh, kw] = w4.shape as [number, number, number, number];
  const [dh, dw] = intPair('conv2d', 'dilation', p.dilation, [1, 1], 1);
  const g = geometry('conv2d', [1, cinG * (p.groups ?? 1), (kh - 1) * dh + 1, (kw - 1) * dw + 1], w4.shape, p);
  const forward = packedWeights('conv2d', w4, g, false);
  const transposed = packedWeights('conv2dBackwardInput', w4, g, true);
  // and the Winograd weights of the directions that take that path
  if (winogradApplies(w.engine, g)) winogradWeights('conv2d', forward, g.cout, g.cin, false);
  const t = transposedGeometry(g);
  if (t && winogradApplies(w.engine, t)) winogradWeights('conv2dBackwardInput', transposed, t.cout, t.cin, true);
  w4.dispose();
}

/**
 * Record a repack of `count` NCHW images (`src`, C channels of `npix` pixels) into the start of
 * `packed` as vec4 over 4 channels (conv2d_pack_channels.wgsl). Returns the packed range.
 */
function packChannels(
  op: string,
  src: BufferRange,
  packed: Tensor,
  c: number,
  npix: number,
  count: number,
): BufferRange {
  const total = count * Math.ceil(c / 4) * npix;
  const range: BufferRange = { buffer: packed.buffer, offset: 0, bytes: total * 16 };
  packed.engine.run({
    op: `${op} pack channels`,
    source: packChannelsSource,
    bindings: { src, packed: range, sizes: Uint32Array.of(total, c, npix) },
    grid: { threads: total },
  });
  return range;
}

function forEachChunk(n: number, per: number, fn: (n0: number, count: number) => void): void {
  for (let n0 = 0; n0 < n; n0 += per) fn(n0, Math.min(per, n - n0));
}

// ---------------------------------------------------------------------------------- forward

/**
 * Register block of the GEMMs: 4·NB rows (channels) × 4·NQ columns per thread (the weight
 * gradient; the row segments set their own pixel count). MIXED: a block's rows may lie in different groups, so each lane reads its own channel.
 */
interface RegisterBlock {
  nb: number;
  nq: number;
  mixed: boolean;
}

/** `rows` GEMM rows (channels) in groups of `rowsPerGroup`. */
function registerBlock(rows: number, rowsPerGroup: number, groups: number, nbMax: number, nq = 1): RegisterBlock {
  if (groups === 1) return { nb: Math.min(nbMax, Math.ceil(rows / 4)), nq, mixed: false };
  // Grouped: the largest block that stays inside one group shares its loads across its rows.
  for (let nb = nbMax; nb >= 1; nb >>= 1) if (rowsPerGroup % (4 * nb) === 0) return { nb, nq, mixed: false };
  return { nb: 1, nq, mixed: true };
}

// (exported for conv2d-winograd.ts's block code)
export const range = (count: number) => Array.from({ length: count }, (_, i) => i);
export const indent = (lines: string[], depth: number) => lines.map((l) => ' '.repeat(depth) + l).join('\n');

/** One kernel column of a row-segment block: its weight index and the segment column pixel q reads. */
interface RowTap {
  /** added to the shader's `wk` (GEMM k of the row's first tap) */
  weight: number;
  /** segment column read by pixel q (column 0 is the shader's `origin` below) */
  column: (q: number) => number;
}

/** How a shader places row segments (see rowSegmentCode). */
interface RowSegmentHooks {
  /** the gathered operand: `x` (forward) or `dy` (strided input gradient) */
  src: 'x' | 'dy';
  /** i32 position of segment column 0 in the source row */
  origin: string;
  /** source row length */
  bound: string;
  /** the store of accumulator `acc` (channels c0 + 4b at the segment's pixel q; WGSL u32 expressions) */
  store: (acc: string, b: string, q: string) => string;
}

/**
 * The unrolled code of a row-segment block (conv2d.wgsl, conv2d_grad_input_phase.wgsl):
 * 4·NB channels × P consecutive pixels of one row. Per (kh, channel) it loads the source row
 * segment once — only the columns some (pixel, tap) pair reads — and feeds every pair from
 * registers: one vec4 of weights per (channel block, tap) then P FMAs.
 */
function rowSegmentCode(
  { nb, mixed }: RegisterBlock,
  p: number,
  order: ConvTuning['order'],
  taps: readonly RowTap[],
  h: RowSegmentHooks,
): Record<'SETUP' | 'STEP' | 'STORE', string> {
  const B = range(nb);
  const P = range(p);
  const columns = [...new Set(P.flatMap((q) => taps.map((t) => t.column(q))))].sort((a, b) => a - b);
  const name = (c: number) => (c < 0 ? `m${-c}` : `${c}`); // identifiers for negative offsets
  const lanes = `vec4u(0u, 1u, 2u, 3u)`;
  const setup = [
    ...B.map((b) => `let wBase${b} = min(c0 / 4u + ${b}u, shape.BLOCKS - 1u) * shape.KROW;`),
    ...(mixed
      ? B.map((b) => `let xChan${b} = chanBase(min(vec4u(c0 + ${4 * b}u) + ${lanes}, vec4u(shape.ROWS - 1u)), n);`)
      : ['let xChan = chanBase(vec4u(c0), n).x;']),
    // source column of each segment offset, clamped into the row, and 1/0 for inside/padding
    ...columns.flatMap((c) => [
      `let at${name(c)} = ${h.origin} + ${c};`,
      `let col${name(c)} = select(0u, u32(at${name(c)}), u32(at${name(c)}) < ${h.bound});`,
      `let keep${name(c)} = select(0.0, 1.0, u32(at${name(c)}) < ${h.bound});`,
    ]),
    ...B.flatMap((b) => P.map((q) => `var acc${b}_${q} = vec4f();`)),
  ];
  const loads = mixed
    ? B.flatMap((b) =>
        columns.map((c) => `let v${b}_${name(c)} = gather(xChan${b} + vec4u(xk), col${name(c)}) * keep${name(c)};`),
      )
    : columns.map((c) => `let v${name(c)} = ${h.src}[xChan + xk + col${name(c)}] * keep${name(c)};`);
  const weight = (b: number, i: number) => `let w${b}_${i} = wPacked[wBase${b} + wk + ${taps[i]!.weight}u];`;
  // fma(): on SwiftShader the same bits as w · v + acc; 5–20 % less CPU on 32→32 16×16 (Node,
  // A/B/A/B), not seen end to end
  const fma = (b: number, q: number, i: number) => {
    const v = `v${mixed ? `${b}_` : ''}${name(taps[i]!.column(q))}`;
    return `acc${b}_${q} = fma(w${b}_${i}, ${mixed ? v : `vec4f(${v})`}, acc${b}_${q});`;
  };
  const T = range(taps.length);
  // either order gives each accumulator its taps in the same sequence (see conv2d-tuning.ts)
  const step = [
    ...loads,
    ...(order === 'tap'
      ? T.flatMap((i) => [...B.map((b) => weight(b, i)), ...B.flatMap((b) => P.map((q) => fma(b, q, i)))])
      : B.flatMap((b) => [...T.map((i) => weight(b, i)), ...P.flatMap((q) => T.map((i) => fma(b, q, i)))])),
  ];
  // The epilogue is a loop over the accumulators copied into an array: SwiftShader inlines every
  // call, and 4·NB·P inlined epilogues (bias, residual, bounds branches) were ~85 % of the
  // pipeline's compile time (ResNet's 16→16 3×3 forward: 1.6 s → 0.25 s in Node, same run).
  const accs = B.flatMap((b) => P.map((q) => `acc${b}_${q}`));
  const store = [
    `var accs = array<vec4f, ${accs.length}>(${accs.join(', ')});`,
    `for (var s = 0u; s < ${accs.length}u; s++) { ${h.store('accs[s]', `s / ${p}u`, `s % ${p}u`)} }`,
  ];
  return { SETUP: indent(setup, 2), STEP: indent(step, 6), STORE: indent(store, 2) };
}

/**
 * The pixel-lane block of conv2d.wgsl, for layers of at most PIXEL_LANE_ROWS output channels
 * (where channel lanes multiply clamped copies: a 1-channel layer used a quarter of each FMA, a
 * 6-channel one three quarters): each thread owns all `rows` channels × 4 sub-segments of P pixels,
 * vec4 lane j holding pixel j0 + j·P + q. The x loads become 4-lane gathers (`laneStride` source
 * columns apart) and the weights one vec4 per 4 channels and tap, read lane by lane.
 */
function pixelLaneCode(
  rows: number,
  p: number,
  order: ConvTuning['order'],
  taps: readonly RowTap[],
  laneStride: number,
): Record<'SETUP' | 'STEP' | 'STORE', string> {
  const C = range(rows);
  const P = range(p);
  const T = range(taps.length);
  const columns = [...new Set(P.flatMap((q) => taps.map((t) => t.column(q))))].sort((a, b) => a - b);
  const blocks = range(Math.ceil(rows / 4));
  const setup = [
    ...blocks.map((b) => `let wBase${b} = (c0 / 4u + ${b}u) * shape.KROW;`),
    'let xChan = chanBase(vec4u(c0), n).x;',
    `let at = vec4i(i32(j0) * shape.SW - shape.PW) + vec4i(0, 1, 2, 3) * ${laneStride};`,
    ...columns.flatMap((c) => [
      `let col${c} = select(vec4u(0u), vec4u(at + ${c}), vec4u(at + ${c}) < vec4u(shape.W));`,
      `let keep${c} = select(vec4f(0.0), vec4f(1.0), vec4u(at + ${c}) < vec4u(shape.W));`,
    ]),
    ...C.flatMap((c) => P.map((q) => `var acc${c}_${q} = vec4f();`)),
  ];
  const lane = 'xyzw';
  const fma = (c: number, q: number, i: number) =>
    `acc${c}_${q} = fma(vec4f(w${c >> 2}_${i}.${lane[c % 4]}), v${taps[i]!.column(q)}, acc${c}_${q});`;
  const step = [
    ...columns.map((c) => `let v${c} = gather(vec4u(xChan + xk) + col${c}, 0u) * keep${c};`),
    ...blocks.flatMap((b) => T.map((i) => `let w${b}_${i} = wPacked[wBase${b} + wk + ${taps[i]!.weight}u];`)),
    ...(order === 'tap'
      ? T.flatMap((i) => C.flatMap((c) => P.map((q) => fma(c, q, i))))
      : C.flatMap((c) => P.flatMap((q) => T.map((i) => fma(c, q, i))))),
  ];
  const accs = C.flatMap((c) => P.map((q) => `acc${c}_${q}`));
  const store = [
    `var accs = array<vec4f, ${accs.length}>(${accs.join(', ')});`,
    `for (var s = 0u; s < ${accs.length}u; s++) {`,
    `  storePixels(accs[s], c0 + s / ${p}u, j0 + vec4u(0u, ${p}u, ${2 * p}u, ${3 * p}u) + s % ${p}u, pixRow, n, out);`,
    '}',
  ];
  return { SETUP: indent(setup, 2), STEP: indent(step, 6), STORE: indent(store, 2) };
}

function forwardTaps(g: Geometry, flip: boolean): RowTap[] {
  return range(g.kw).map((kw) => ({
    weight: flip ? g.kw - 1 - kw : kw,
    column: (q: number) => q * g.sw + kw * g.dw,
  }));
}

/**
 * conv2d.wgsl's row segments: output pixel q of the segment reads input column
 * j0·SW − PW + q·SW + kw·DW; `flip` mirrors kw in the weight index (the input gradient as a forward).
 */
function forwardRowCode(block: RegisterBlock, p: number, order: ConvTuning['order'], g: Geometry, flip: boolean) {
  return rowSegmentCode(block, p, order, forwardTaps(g, flip), {
    src: 'x',
    origin: 'i32(j0) * shape.SW - shape.PW',
    bound: 'shape.W',
    store: (acc, b, q) => `store(${acc}, c0 + 4u * (${b}), j0 + ${q}, pixRow, n, out);`,
  });
}

/**
 * The unrolled code of conv2d_grad_weight.wgsl: 4·NB output channels × CIB input channels × every
 * tap per thread, over row segments of P output pixels (the last one masked where `tail`). Each
 * accumulator takes its products in (image, row, pixel) order, one rounding per multiply-add.
 */
function gradWeightRowCode(
  { nb, mixed }: RegisterBlock,
  cib: number,
  p: number,
  tail: boolean,
  g: Geometry,
): Record<'SETUP' | 'IMAGE' | 'SEGMENT' | 'STORE', string> {
  const B = range(nb);
  const C = range(cib);
  const P = range(p);
  const KH = range(g.kh);
  const taps = forwardTaps(g, false);
  const columns = [...new Set(P.flatMap((q) => taps.map((t) => t.column(q))))].sort((a, b) => a - b);
  const lanes = 'vec4u(0u, 1u, 2u, 3u)';
  const acc = (b: number, c: number, kh: number, kw: number) => `acc${b}_${c}_${kh}_${kw}`;
  const accs = B.flatMap((b) => C.flatMap((c) => KH.flatMap((kh) => taps.map((_, kw) => acc(b, c, kh, kw)))));
  const setup = [
    ...(mixed
      ? B.map(
          (b) =>
            `let xGroup${b} = (min(vec4u(c0 + ${4 * b}u) + ${lanes}, vec4u(shape.COUT - 1u)) / shape.COUT_G) * shape.CIN_G;`,
        )
      : ['let xGroup = (c0 / shape.COUT_G) * shape.CIN_G;']),
    ...C.map((c) => `let inChan${c} = min(ci0 + ${c}u, shape.CIN_G - 1u);`),
    ...B.map((b) => `var db${b} = vec4f();`),
    ...accs.map((a) => `var ${a} = vec4f();`),
  ];
  const image = [
    ...B.map((b) => `let dyBase${b} = (n * shape.BLOCKS + min(c0 / 4u + ${b}u, shape.BLOCKS - 1u)) * shape.NPIX;`),
    ...(mixed
      ? B.flatMap((b) =>
          C.map((c) => `let xChan${b}_${c} = (vec4u(n * shape.CIN + inChan${c}) + xGroup${b}) * shape.HW;`),
        )
      : C.map((c) => `let xChan${c} = (n * shape.CIN + xGroup + inChan${c}) * shape.HW;`)),
  ];
  // dY of the segment: clamped into the row and zeroed past its end only where segments overhang it
  const dy = (b: number, q: number) =>
    tail
      ? `select(vec4f(), dyPacked[dyBase${b} + dyRow + min(j0 + ${q}u, shape.WO - 1u)], j0 + ${q}u < shape.WO)`
      : `dyPacked[dyBase${b} + dyRow + j0 + ${q}u]`;
  const segment = [
    ...B.flatMap((b) => P.flatMap((q) => [`let d${b}_${q} = ${dy(b, q)};`])),
    ...B.map((b) => `db${b} += ${P.map((q) => `d${b}_${q}`).join(' + ')};`),
    ...columns.flatMap((c) => [
      `let at${c} = i32(j0) * shape.SW - shape.PW + ${c};`,
      `let col${c} = select(0u, u32(at${c}), u32(at${c}) < shape.W);`,
      `let keep${c} = select(0.0, 1.0, u32(at${c}) < shape.W);`,
    ]),
    ...KH.flatMap((kh) => {
      const body = C.flatMap((c) => {
        const v = (b: number, col: number) => (mixed ? `v${kh}_${b}_${c}_${col}` : `vec4f(v${kh}_${c}_${col})`);
        const loads = mixed
          ? B.flatMap((b) =>
              columns.map(
                (col) =>
                  `let v${kh}_${b}_${c}_${col} = gather(xChan${b}_${c} + vec4u(xRow${kh}), col${col}) * keep${kh}_${col};`,
              ),
            )
          : columns.map((col) => `let v${kh}_${c}_${col} = x[xChan${c} + xRow${kh} + col${col}] * keep${kh}_${col};`);
        const fmas = B.flatMap((b) =>
          taps.flatMap((t, kw) =>
            P.map((q) => `${acc(b, c, kh, kw)} = fma(d${b}_${q}, ${v(b, t.column(q))}, ${acc(b, c, kh, kw)});`),
          ),
        );
        return [...loads, ...fmas];
      });
      // a row in the padding reads row 0 and counts 0 (a branch would mask every accumulator update)
      return [
        `let ih${kh} = ih0 + ${kh} * shape.DH;`,
        `let rowIn${kh} = u32(ih${kh}) < shape.H;`,
        `let xRow${kh} = select(0u, u32(ih${kh}) * shape.W, rowIn${kh});`,
        ...columns.map((col) => `let keep${kh}_${col} = select(0.0, keep${col}, rowIn${kh});`),
        ...body,
      ];
    }),
  ];
  // a loop over the accumulators (see rowSegmentCode): s = (b · CIB + c) · KK + tap
  const kk = g.kh * g.kw;
  const store = [
    `var accs = array<vec4f, ${accs.length}>(${accs.join(', ')});`,
    `for (var s = 0u; s < ${accs.length}u; s++) { store(accs[s], c0 + 4u * (s / ${cib * kk}u), ci0 + (s / ${kk}u) % ${cib}u, s % ${kk}u, row); }`,
    `if (ci0 == 0u) {  // one input-channel block per channel block also reports Σ dY (the bias gradient)`,
    ...B.map((b) => `  storeDb(db${b}, c0 + ${4 * b}u, row);`),
    '}',
  ];
  return { SETUP: indent(setup, 2), IMAGE: indent(image, 4), SEGMENT: indent(segment, 8), STORE: indent(store, 2) };
}

/** The forward's GEMM as conv2d-tuning.ts sees it (also the stride-1 input gradient's, on its transposed geometry). */
const forwardShape = (g: Geometry): TunedShape => ({ rows: g.cout, rowLength: g.wo, kw: g.kw });

/** The strided input gradient's: rows of one column phase, taps per phase. */
const phaseShape = (g: Geometry): TunedShape => ({
  rows: g.cin,
  rowLength: Math.ceil(g.w / g.sw),
  kw: Math.ceil(g.kw / g.sw),
});

/** The shape the `direction` kernel of this conv runs. */
function tunedShape(direction: ConvDirection, xShape: readonly number[], wShape: readonly number[], p?: Conv2dParams) {
  const g = geometry(`conv2d ${direction} tuning`, xShape, wShape, p);
  if (direction === 'forward') return forwardShape(g);
  const transposed = transposedGeometry(g);
  return transposed ? forwardShape(transposed) : phaseShape(g);
}

/** The tuning conv2d (direction 'forward') or conv2dBackwardInput uses for this conv when given none. */
export function conv2dDefaultTuning(
  direction: ConvDirection,
  xShape: readonly number[],
  wShape: readonly number[],
  p?: Conv2dParams,
): ConvTuning {
  return defaultTuning(tunedShape(direction, xShape, wShape, p));
}

/** The tunings worth timing for this conv and direction, the default first (all give the same bits). */
export function conv2dTuningCandidates(
  direction: ConvDirection,
  xShape: readonly number[],
  wShape: readonly number[],
  p?: Conv2dParams,
): ConvTuning[] {
  return tuningCandidates(tunedShape(direction, xShape, wShape, p));
}

/** A tuning's workgroup size, where it is not the engine's default 1-D one. */
const workgroupParams = (t: ConvTuning) => ({ WG: t.workgroup, MAIN: mainPrologue(t.workgroup) });

interface ForwardRun {
  op: string;
  g: Geometry;
  x: Tensor;
  /** packedWeights(·, ·, flip): rows = output channels of `g` */
  packed: Tensor;
  bias: Tensor | null;
  residual?: Tensor;
  relu: boolean;
  mask?: Tensor;
  /** read the packed weights with mirrored taps (the input gradient run as a forward) */
  flip: boolean;
  tuning?: ConvTuning;
}

/** Record the forward GEMM of `g` into a new [N, COUT, HO, WO] tensor. */
function runForward({ op, g, x, packed, bias, residual, relu, mask, flip, tuning }: ForwardRun): Tensor {
  const engine = x.engine;
  const t = tuning ?? defaultTuning(forwardShape(g));
  const pixelLanes = t.lanes === 'pixels' && g.groups === 1 && g.cout <= PIXEL_LANE_ROWS;
  const block = registerBlock(g.cout, g.coutG, g.groups, t.channelBlocks);
  const cb = pixelLanes ? 4 * Math.ceil(g.cout / 4) : 4 * block.nb;
  // pixel lanes: 4 sub-segments of p pixels per thread (its span pb)
  const p = segmentLength(pixelLanes ? Math.ceil(g.wo / 4) : g.wo, t.segment);
  const pb = pixelLanes ? 4 * p : p;
  const segments = Math.ceil(g.wo / pb);
  // Relu is a uniform flag (one select per store). The residual is baked: as a uniform flag its
  // masked-off loads still ran at every store (SwiftShader runs both sides of a branch), measured
  // +20–40 % CPU time per forward on ResNet's stem and 16→16 32×32 layers (batch 64; old 61–66 ms
  // vs 86–94 ms and 166–168 vs 197–224 ms, .tmp/convbench in two interleaved runs).
  const store = {
    CONV_SHAPE,
    STORE_CODE: renderShader(storeSource, {
      HAS_BIAS: !!bias,
      EPILOGUE: epilogueCode(4 + +!!bias, { residual, mask }),
    }),
  };
  const winograd = winogradApplies(engine, g);
  const params = winograd
    ? { ...winogradCode(engine, g), ...store }
    : {
        ...(pixelLanes
          ? pixelLaneCode(g.cout, p, t.order, forwardTaps(g, flip), p * g.sw)
          : forwardRowCode(block, pb, t.order, g, flip)),
        ...workgroupParams(t),
        ...store,
        CB: cb,
        PB: pb,
        X_TAP_READS: tapReads('x'),
        FLIP: flip,
        HAS_BIAS: !!bias,
      };
  const xImage = g.cin * g.h * g.w;
  const yImage = g.cout * g.ho * g.wo;
  const perChunk = imagesPerChunk(op, engine, g.n, [xImage, yImage]);
  const wPacked = whole(op, winograd ? winogradWeights(op, packed, g.cout, g.cin, flip) : packed, 'packed weight');
  const out = Tensor.empty(engine, [g.n, g.cout, g.ho, g.wo], op);
  forEachChunk(g.n, perChunk, (n0, count) => {
    const wino = winograd ? winogradGrid(g, count) : null;
    const threads = wino ? wino.threads : Math.ceil(g.cout / cb) * count * g.ho * segments;
    const shape = shapeUniform(g, {
      IMAGES: count,
      THREADS: threads,
      ROWS: g.cout,
      BLOCKS: Math.ceil(g.cout / 4),
      KROW: wino ? 16 * g.cin : g.cinG * g.kh * g.kw,
      SEGMENTS: wino ? wino.strips : segments,
      SLOTS: wino ? wino.slots : g.ho * segments,
      RELU: +relu,
      BLOCK_THREADS: wino?.blockThreads,
    });
    const bindings = {
      x: imageRange(x, xImage, n0, count),
      wPacked,
      y: imageRange(out, yImage, n0, count),
      shape,
      bias: bias ? whole(op, bias, 'bias') : undefined,
      residual: residual && imageRange(residual, yImage, n0, count),
      mask: mask && imageRange(mask, yImage, n0, count),
    };
    const [source, workgroup] = wino ? [winogradSource, WG] : [forwardSource, t.workgroup];
    engine.run({ op, source, params, bindings, grid: engine.grid1d(threads, workgroup) });
  });
  return out;
}

export function conv2d(
  x: Tensor,
  w: Tensor,
  bias: Tensor | null,
  p?: Conv2dParams,
  epilogue: Conv2dEpilogue = {},
  tuning?: ConvTuning,
): Tensor {
  const op = 'conv2d';
  const g = geometry(op, x.shape, w.shape, p);
  if (bias) checkShape(op, 'bias', bias.shape, [g.cout]);
  const residual = epilogue.residual;
  if (residual) checkShape(op, 'residual', residual.shape, [g.n, g.cout, g.ho, g.wo]);
  if (isDepthwise(g)) return depthwiseConv2d(g, x, w, bias, { relu: epilogue.relu, residual });
  return runForward({
    op,
    g,
    x,
    packed: packedWeights(op, w, g, false),
    bias,
    residual,
    relu: !!epilogue.relu,
    flip: false,
    // Winograd has no tuning: the autotuner would time identical kernels
    tuning:
      tuning ??
      (winogradApplies(x.engine, g)
        ? undefined
        : x.engine.tuning.choose(CONV2D_TUNABLE, { direction: 'forward', x: x.shape, w: w.shape, p })),
  });
}

// ---------------------------------------------------------------------------------- backward

function checkGradient(op: string, g: Geometry, dy: Tensor): void {
  checkShape(op, 'dy', dy.shape, [g.n, g.cout, g.ho, g.wo]);
}

/**
 * The input gradient of a stride-1 conv as a forward conv over dY: channels swapped, kernel
 * mirrored, begin padding (K−1)·D − P (P: the top / left pad; same groups and dilation; its rows
 * past dY's end read as padding). Null for strides > 1, or where that padding would be negative
 * (a padding wider than the kernel's reach).
 */
function transposedGeometry(g: Geometry): Geometry | null {
  const ph = (g.kh - 1) * g.dh - g.ph;
  const pw = (g.kw - 1) * g.dw - g.pw;
  if (g.sh !== 1 || g.sw !== 1 || ph < 0 || pw < 0) return null;
  return { ...g, cin: g.cout, h: g.ho, w: g.wo, cout: g.cin, ph, pw, cinG: g.coutG, coutG: g.cinG, ho: g.h, wo: g.w };
}

/**
 * dX for y = conv2d(x, w, ·, p) (a fused relu's mask is the caller's: reluBackward first), with
 * the epilogue's residual added and mask applied in the same dispatch.
 */
export function conv2dBackwardInput(
  dy: Tensor,
  w: Tensor,
  xShape: readonly number[],
  p?: Conv2dParams,
  epilogue: InputGradientEpilogue = {},
  tuning?: ConvTuning,
): Tensor {
  const op = 'conv2dBackwardInput';
  const g = geometry(op, xShape, w.shape, p);
  checkGradient(op, g, dy);
  for (const [what, t] of Object.entries(epilogue)) if (t) checkShape(op, what, t.shape, [g.n, g.cin, g.h, g.w]);
  if (isDepthwise(g)) return depthwiseConv2dBackwardInput(g, dy, w, epilogue);
  const packed = packedWeights(op, w, g, true);
  const transposed = transposedGeometry(g);
  const t =
    tuning ??
    (transposed && winogradApplies(dy.engine, transposed)
      ? defaultTuning(forwardShape(transposed))
      : dy.engine.tuning.choose(CONV2D_TUNABLE, { direction: 'inputGradient', x: xShape, w: w.shape, p }));
  return transposed
    ? runForward({ op, g: transposed, x: dy, packed, bias: null, relu: false, flip: true, tuning: t, ...epilogue })
    : phaseRowInputGradient(op, g, dy, packed, epilogue, t);
}

/** A conv direction as the autotuner sees it (src/gpu/tuning.ts): the batch is not part of the key. */
interface ConvGeometry {
  direction: ConvDirection;
  x: readonly number[];
  w: readonly number[];
  p?: Conv2dParams;
}

/** Every variant sums each output over (kh, channel, kw) in the same order: exact (conv2d-tuning.ts). */
export const CONV2D_TUNABLE: Tunable<ConvGeometry, ConvTuning> = {
  name: 'conv2d',
  exact: true,
  key: (g) => `${g.direction} x=${g.x.slice(1).join('x')} w=${g.w.join('x')} ${JSON.stringify(g.p ?? {})}`,
  default: (g) => conv2dDefaultTuning(g.direction, g.x, g.w, g.p),
  variants: (g) => conv2dTuningCandidates(g.direction, g.x, g.w, g.p),
  id: (t) => `${t.channelBlocks}x${t.segment} ${t.order} ${t.lanes} wg${t.workgroup}`,
  trial(engine, g, t) {
    const [x, w] = [Tensor.zeros(engine, g.x), Tensor.zeros(engine, g.w)];
    const dy = g.direction === 'forward' ? null : conv2d(x, w, null, g.p, {}, t);
    const run = () => (dy ? conv2dBackwardInput(dy, w, g.x, g.p, {}, t) : conv2d(x, w, null, g.p, {}, t)).dispose();
    return { run, dispose: () => [x, w, dy].forEach((a) => a?.dispose()) };
  },
};

/**
 * The input gradient with row segments, one dispatch per column phase (conv2d_grad_input.wgsl):
 * strided convs, and stride 1 with a padding too wide to run as a forward.
 */
function phaseRowInputGradient(
  op: string,
  g: Geometry,
  dy: Tensor,
  packed: Tensor,
  epilogue: InputGradientEpilogue,
  t: ConvTuning,
): Tensor {
  const engine = dy.engine;
  const block = registerBlock(g.cin, g.cinG, g.groups, t.channelBlocks);
  const cb = 4 * block.nb;
  const dyImage = g.cout * g.ho * g.wo;
  const xImage = g.cin * g.h * g.w;
  const perChunk = imagesPerChunk(op, engine, g.n, [dyImage, xImage]);
  const wPacked = whole(op, packed, 'packed weight');
  const phaseRows = Math.ceil(g.h / g.sh);
  const phases = range(g.sw).map((b) => {
    const iwStart = (((b - g.pw) % g.sw) + g.sw) % g.sw;
    // kw reaches this phase's columns iff (iwStart + PW − kw·DW) is a multiple of SW; it reads dY column j + that / SW
    const taps: RowTap[] = range(g.kw)
      .map((kw) => ({ kw, tw: iwStart + g.pw - kw * g.dw }))
      .filter(({ tw }) => tw % g.sw === 0)
      .map(({ kw, tw }) => ({ weight: kw, column: (q: number) => q + tw / g.sw }));
    return { iwStart, wp: Math.ceil((g.w - iwStart) / g.sw), taps };
  });
  // columns no tap reaches get no gradient: zero them all first rather than run a kernel of zeros
  const allLive = phases.filter((ph) => ph.wp > 0 && ph.taps.length > 0);
  const cleared = allLive.length < phases.filter((ph) => ph.wp > 0).length;
  // no kernel writes a cleared column's epilogue: it runs apart then (a 1×1 stride-2 shortcut's gradient)
  if (cleared && (epilogue.residual || epilogue.mask))
    return separateEpilogue(phaseRowInputGradient(op, g, dy, packed, {}, t), epilogue);
  const dx = Tensor.empty(engine, [g.n, g.cin, g.h, g.w], op);
  if (cleared) engine.clear(dx.buffer, 0, dx.byteLength);
  const { residual, mask } = epilogue;
  // One pipeline and dispatch per column phase. Merging them all into one (kept once for the cold
  // start: ResNet 7 input-gradient pipelines instead of 9) ran each phase masked for the other's
  // lanes on SwiftShader (+30 % CPU time, 32→64 16×16 3×3 s2 at batch 64) and compiled slower than
  // its halves together (Node, one run: 760 vs 300 + 275 ms, 1 700 vs 750 + 580 ms); ResNet IG-64 in
  // Chrome, two interleaved runs: cold 8.9 / 8.3 s per phase vs 9.7 / 12.1 s merged, warm within noise.
  for (const { iwStart, wp, taps } of allLive) {
    const pb = segmentLength(wp, t.segment);
    const segments = Math.ceil(wp / pb);
    const store = (acc: string, b: string, q: string) => `storeRow(${acc}, c0 + 4u * (${b}), n, ih, j0 + ${q}, dst);`;
    const phase = renderShader(gradInputPhaseSource, {
      K: 0,
      PB: pb,
      ...rowSegmentCode(block, pb, t.order, taps, { src: 'dy', origin: 'i32(j0)', bound: 'shape.WO', store }),
    });
    // the shader's phase table can hold several phases per dispatch (its threads' ranges); here it holds one
    const call = '  if (i >= u32(phases[0].w)) { phase0(i - u32(phases[0].w)); return; }';
    const params = {
      ...workgroupParams(t),
      CONV_SHAPE,
      CB: cb,
      X_TAP_READS: tapReads('dy'),
      EPILOGUE: epilogueCode(5, epilogue),
      PHASES: 1,
      PHASE_FUNCTIONS: phase,
      PHASE_CALLS: call,
    };
    forEachChunk(g.n, perChunk, (n0, count) => {
      const threads =
        Math.ceil((Math.ceil(g.cin / cb) * count * g.sh * phaseRows * segments) / t.workgroup) * t.workgroup;
      const shape = shapeUniform(g, {
        IMAGES: count,
        THREADS: threads,
        ROWS: g.cin,
        BLOCKS: Math.ceil(g.cin / 4),
        KROW: g.coutG * g.kh * g.kw,
      });
      const image = (t: Tensor | undefined) => t && imageRange(t, xImage, n0, count);
      const bindings = {
        dy: imageRange(dy, dyImage, n0, count),
        wPacked,
        dx: image(dx),
        shape,
        phases: Int32Array.of(iwStart, wp, segments, 0),
        residual: image(residual),
        mask: image(mask),
      };
      engine.run({ op, source: gradInputSource, params, bindings, grid: engine.grid1d(threads, t.workgroup) });
    });
  }
  return dx;
}

/** mask ⊙ (dx + residual) as separate elementwise passes; takes over dx. */
function separateEpilogue(dx: Tensor, { residual, mask }: InputGradientEpilogue): Tensor {
  const sum = residual ? add(dx, residual) : dx;
  const out = mask ? reluBackward(mask, sum) : sum;
  for (const t of new Set([dx, sum])) if (t !== out) t.dispose();
  return out;
}

/** dW and dB for y = conv2d(x, w, b, p) (a fused relu's mask is the caller's: reluBackward first). */
export function conv2dBackwardWeight(
  x: Tensor,
  dy: Tensor,
  wShape: readonly number[],
  p?: Conv2dParams,
): { dw: Tensor; db: Tensor } {
  const op = 'conv2dBackwardWeight';
  const g = geometry(op, x.shape, wShape, p);
  checkGradient(op, g, dy);
  const engine = dy.engine;
  const maxBytes = engine.limits.maxStorageBufferBindingSize;
  const ew = g.cout * g.cinG * g.kh * g.kw;
  const e = ew + g.cout;
  const epad = Math.ceil(e / 64) * 64; // scratch rows start 256-byte aligned
  if (ew * 4 > maxBytes || epad * 4 > maxBytes)
    fail(`${op}: weight gradient ${shapeStr(wShape)} exceeds maxStorageBufferBindingSize ${maxBytes}`);

  // input channels per thread: enough taps in the block to reuse each dY load (1×1 convs: several channels)
  const cib = Math.min(g.cinG, Math.max(1, Math.floor(GRAD_WEIGHT_TAPS / (g.kh * g.kw))));
  // and as many channel blocks as keep the accumulators within GRAD_WEIGHT_ACCUMULATORS (5×5 kernels: 2)
  const nbMax = Math.min(
    GRAD_WEIGHT_CHANNEL_BLOCKS,
    Math.max(1, Math.floor(GRAD_WEIGHT_ACCUMULATORS / (cib * g.kh * g.kw))),
  );
  const block = registerBlock(g.cout, g.coutG, g.groups, nbMax);
  const cb = 4 * block.nb;
  const pb = segmentLength(g.wo, GRAD_WEIGHT_SEGMENT);
  const colBlocks = Math.ceil(g.cinG / cib);
  const tiles = Math.ceil(g.cout / cb) * colBlocks;
  const params = {
    ...gradWeightRowCode(block, cib, pb, g.wo % pb !== 0, g),
    CONV_SHAPE,
    CB: cb,
    CIB: cib,
    PB: pb,
    X_TAP_READS: tapReads('x'),
  };

  const xImage = g.cin * g.h * g.w;
  const dyImage = g.cout * g.ho * g.wo;
  const dyBlocks = Math.ceil(g.cout / 4);
  const packedImage = dyBlocks * 4 * g.ho * g.wo;
  const perChunk = imagesPerChunk(op, engine, g.n, [xImage, dyImage, packedImage, epad]);
  // Slices of images, or of an image's rows where the channels give too few threads (LeNet): as
  // few slices (scratch rows to reduce) as keep GRAD_WEIGHT_THREADS threads busy.
  const rb = Math.max(1, Math.floor((perChunk * tiles) / GRAD_WEIGHT_THREADS));
  const fits = Math.floor(maxBytes / (4 * perChunk * epad)); // row slices whose scratch rows fit one binding
  const rowSplit = rb > 1 ? 1 : Math.min(g.ho, fits, Math.max(1, Math.floor(GRAD_WEIGHT_THREADS / (perChunk * tiles))));
  const sliceRows = Math.ceil(g.ho / rowSplit);
  const rowSlices = Math.ceil(g.ho / sliceRows);
  const scratch = Tensor.empty(engine, [Math.ceil(perChunk / rb) * rowSlices, epad], `${op} scratch`);
  const dyPacked = Tensor.empty(engine, [perChunk, packedImage], `${op} packed dy`);
  const dw = Tensor.empty(engine, wShape, `${op} dw`);
  const db = Tensor.empty(engine, [g.cout], `${op} db`);
  forEachChunk(g.n, perChunk, (n0, count) => {
    const slices = Math.ceil(count / rb) * rowSlices;
    const partial: BufferRange = { buffer: scratch.buffer, offset: 0, bytes: slices * epad * 4 };
    const packed = packChannels(op, imageRange(dy, dyImage, n0, count), dyPacked, g.cout, g.ho * g.wo, count);
    const shape = shapeUniform(g, {
      IMAGES: count,
      THREADS: slices * tiles,
      BLOCKS: dyBlocks,
      COL_BLOCKS: colBlocks,
      TILES: tiles,
      RB: rb,
      ROWS_PER_IMAGE: rowSlices,
      SLICE_ROWS: sliceRows,
      EPAD: epad,
    });
    engine.run({
      op,
      source: gradWeightSource,
      params,
      bindings: { x: imageRange(x, xImage, n0, count), dyPacked: packed, partial, shape },
      grid: { threads: slices * tiles },
    });
    const sizes = Uint32Array.of(ew, e, epad, slices, +(n0 > 0));
    engine.run({
      op: `${op} reduce`,
      source: gradWeightReduceSource,
      bindings: { partial, dw: whole(op, dw, 'dw'), db: whole(op, db, 'db'), sizes },
      grid: { threads: e },
    });
  });
  scratch.dispose();
  dyPacked.dispose();
  return { dw, db };
}
