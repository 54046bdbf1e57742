/**
 * The tuning of the row-segment conv kernels (conv2d.wgsl: the forward and the stride-1 input
 * gradient; conv2d_grad_input.wgsl: the strided input gradient): the shape of each thread's
 * unrolled register block, the order of its multiply-adds and the workgroup size. Each is baked
 * into the pipeline, so every distinct tuning a model uses is one more pipeline to compile.
 *
 * Variants are bitwise identical: every output is still one accumulator that takes its products
 * in the same order, over (kh, input channel, kw) with one rounding per multiply and per add, and
 * no variant splits or regroups that sum. A variant only changes which thread owns an output and
 * when its neighbours' products are interleaved with its own (test/kernels/conv2d-tuning.cases.ts
 * checks outputs bit for bit across them). So a tuning never needs recording with a result.
 */
import { WG } from '../gpu/program.js';

/** The most channels a pixel-lane block holds (all of its layer's: one or two vec4 of weights per tap). */
export const PIXEL_LANE_ROWS = 8;

export type ConvDirection = 'forward' | 'inputGradient';

export interface ConvTuning {
  /** GEMM rows (output channels; input channels for the input gradient) per thread, in blocks of 4 */
  readonly channelBlocks: number;
  /** longest row segment: output pixels per thread (see segmentLength) */
  readonly segment: number;
  /**
   * Multiply-add order inside one (kh, channel) step. 'tap': tap by tap, every accumulator once
   * per tap; 'accumulator': accumulator by accumulator, each taking all its KW taps in a row (the
   * same order per accumulator, so the same bits), which keeps it in a register across them.
   */
  readonly order: 'tap' | 'accumulator';
  /**
   * What a vec4 accumulator's 4 lanes hold: 4 channels at one pixel, or (forward kernel, at most 4
   * channels, no groups) 4 pixels of one channel, so a 1-channel layer does not compute 4 copies.
   */
  readonly lanes: 'channels' | 'pixels';
  /** lanes per workgroup */
  readonly workgroup: number;
}

/** What the tuning depends on: the GEMM the kernel runs (for the input gradient, its own rows and columns). */
export interface TunedShape {
  /** GEMM rows: channels the kernel writes */
  readonly rows: number;
  /** row segments of one output row of this length (the phase's columns for a strided input gradient) */
  readonly rowLength: number;
  readonly kw: number;
}

/**
 * The default, a pure function of the shape. Measured on SwiftShader (Node, GFLOP per CPU-second,
 * variants interleaved in one process by bench/conv-shapes.ts, on a heavily shared machine):
 * - 2 channel blocks (8 channels): 4 ran slower in Chrome once the epilogue became a loop (ResNet
 *   IG-64 warm 3.0 / 3.2 s at 16 channels vs 2.35 / 2.34 s at 8), and at 64→64 8×8 here 1.9–2.2
 *   vs 2.3–2.6; 1 block (4 channels) no better than 2.
 * - segments of up to 16 pixels: 16 × 16 channels beat 8 × 16 by 10–25 % (24 and 32 × 8: no better);
 *   4 × 4 ran at 2/3 of 8 × 16.
 * - 'tap' order: 'accumulator' was within ±5 % at stride 1 and 10–20 % slower at stride 2.
 * - pixel lanes up to PIXEL_LANE_ROWS channels: LeNet's 1-channel input gradient 0.33–0.37 → 0.55–0.6,
 *   its 1→6 forward 0.43–0.49 → 0.57, the 6-channel input gradient 0.7–0.8 → 0.9; ResNet's 3-channel
 *   input gradient no different.
 * - workgroups of 64: 16 no different.
 */
export function defaultTuning(s: TunedShape): ConvTuning {
  return {
    channelBlocks: 2,
    segment: 16,
    order: 'tap',
    lanes: s.rows <= PIXEL_LANE_ROWS ? 'pixels' : 'channels',
    workgroup: WG,
  };
}

/**
 * Pixels per row segment: the whole row up to `max`, else the length in [max/4, max] that wastes
 * fewest columns of a row. Baked (it is the unrolled block's size), so rows of different lengths
 * up to `max` get their own pipelines: a fixed 16 would run 8-pixel rows (ResNet's last stage) at
 * half the FMAs' use.
 */
export function segmentLength(rowLength: number, max: number): number {
  if (rowLength <= max) return rowLength;
  let best = max;
  for (let p = max; p >= Math.ceil(max / 4); p--)
    if (Math.ceil(rowLength / p) * p - rowLength < Math.ceil(rowLength / best) * best - rowLength) best = p;
  return best;
}

/**
 * The candidate tunings of a shape, the default first, for an autotuner to time: register blocks
 * of 1, 2 or 4 channel blocks × segments of up to 4, 8 or 16 pixels, both FMA orders, workgroups
 * of 64 and 16 lanes. Candidates whose effective block coincides (a short row or few channels cap
 * them) are listed once.
 */
export function tuningCandidates(s: TunedShape): ConvTuning[] {
  const seen = new Set<string>();
  const out: ConvTuning[] = [];
  const add = (t: ConvTuning) => {
    const key = effectiveKey(s, t);
    if (!seen.has(key)) (out.push(t), seen.add(key));
  };
  add(defaultTuning(s));
  for (const channelBlocks of [1, 2, 4])
    for (const segment of [4, 8, 16])
      for (const order of ['tap', 'accumulator'] as const)
        for (const lanes of ['channels', 'pixels'] as const)
          for (const workgroup of [WG, 16]) add({ channelBlocks, segment, order, lanes, workgroup });
  return out;
}

/** Equal for two tunings that compile to the same kernel on this shape (ignoring group constraints). */
function effectiveKey(s: TunedShape, t: ConvTuning): string {
  const order = s.kw === 1 ? 'tap' : t.order;
  if (t.lanes === 'pixels' && s.rows <= PIXEL_LANE_ROWS)
    return `pixels ${segmentLength(Math.ceil(s.rowLength / 4), t.segment)} ${order} ${t.workgroup}`;
  const nb = Math.min(t.channelBlocks, Math.ceil(s.rows / 4));
  return `${nb} ${segmentLength(s.rowLength, t.segment)} ${order} ${t.workgroup}`;
}

/** The shader's `${MAIN}` for `workgroup` lanes (program.ts's 1-D prologue with another size). */
export function mainPrologue(workgroup: number): string {
  return (
    `@compute @workgroup_size(${workgroup}) fn main(@builtin(workgroup_id) wid: vec3u, ` +
    `@builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {\n` +
    `  let i = (wid.x + wid.y * nwg.x) * ${workgroup}u + lid;`
  );
}
