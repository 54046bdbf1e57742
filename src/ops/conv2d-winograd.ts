/**
 * Winograd F(2×2, 3×3) for conv2d's forward and stride-1 input gradient (Lavin & Gray 2015): 16
 * multiplies per 2×2 output tile and channel pair instead of the direct sum's 36
 * (shaders/conv2d_winograd.wgsl). conv2d.ts takes it by a fixed shape rule (winogradApplies), never
 * by timing or adapter; its bits differ from the direct path's by float32 rounding (the transforms
 * add, and scale by 1/2, around the channel sum), and are the same with or without subgroups.
 *
 * Measured on SwiftShader in Node (bench/winograd-ab.mjs, batch 64, GFLOP per CPU-second counted
 * as direct FLOPs, interleaved in one process on a loaded machine): 1.2–1.5× the direct kernel
 * forward and 1.4–1.8× for the input gradient at ResNet-S's 16→16 32², 32→32 16², 64→64 8². It pays
 * only with the weights shared across each subgroup of 4 lanes: each lane gathering all 16 vec4 of
 * U per input channel itself ran at 1.0–1.1× (SwiftShader gathers every per-lane load lane by lane),
 * which is what runs without subgroups (`subgroups: false`).
 */
import winogradWeightsSource from '../../shaders/conv2d_winograd_weights.wgsl';
import type { Engine } from '../gpu/engine.js';
import { Tensor } from '../tensor/tensor.js';
import { indent, range, type Geometry } from './conv2d.js';

/** The most 4-channel blocks and 2×2 tiles per thread (4 × 4 beat 2 × 4, 4 × 2, 2 × 8 and 1 × 4 at ResNet's shapes). */
const CHANNEL_BLOCKS = 4;
const TILES = 4;
/**
 * Convs with fewer input or output channels stay direct: below 8 output channels the direct kernel's
 * pixel lanes avoid computing clamped copies, and ResNet's 3-channel stem was not measured here.
 */
const MIN_CHANNELS = 8;

/**
 * Whether this conv runs by Winograd on this engine: 3×3, stride 1, dilation 1, no groups (any
 * padding), at least MIN_CHANNELS in and out, U within one binding, and engine.winograd.
 */
export function winogradApplies(engine: Engine, g: Geometry): boolean {
  const shape = g.kh === 3 && g.kw === 3 && g.sh === 1 && g.sw === 1 && g.dh === 1 && g.dw === 1 && g.groups === 1;
  const uBytes = Math.ceil(g.cout / 4) * g.cin * 16 * 16;
  const fits = uBytes <= engine.limits.maxStorageBufferBindingSize;
  return shape && g.cin >= MIN_CHANNELS && g.cout >= MIN_CHANNELS && fits && engine.winograd;
}

/**
 * U = G g Gᵀ from conv2d.ts's packed weights (`packed`: 4-channel blocks of `rows` GEMM rows × cin
 * input channels × 9 taps, `flip`: read with mirrored taps), kept with them (Tensor.derived): it
 * goes when they do, when the weights change.
 */
export function winogradWeights(op: string, packed: Tensor, rows: number, cin: number, flip: boolean): Tensor {
  return packed.derived(`winograd ${flip ? 'flipped ' : ''}${rows}x${cin}`, () => {
    const total = Math.ceil(rows / 4) * cin;
    const u = Tensor.empty(packed.engine, [total * 16 * 4], `${op} winograd weights`);
    packed.engine.run({
      op: 'conv2d winograd weights',
      source: winogradWeightsSource,
      bindings: { packed, u, sizes: Uint32Array.of(total, cin, +flip) },
      grid: { threads: total },
    });
    return u;
  });
}

/** A thread's block at this shape: 4-channel blocks × 2×2 tiles of one tile row. */
function blockOf(g: Geometry) {
  return {
    channelBlocks: Math.min(CHANNEL_BLOCKS, Math.ceil(g.cout / 4)),
    tiles: Math.min(TILES, Math.ceil(g.wo / 2)),
  };
}

/**
 * The dispatch: tile strips per tile row, slots (tile rows × strips) per image, threads of one
 * channel block for `images` images (a multiple of 4, so the lanes of a 4-lane subgroup share their
 * block), and threads in all.
 */
export function winogradGrid(g: Geometry, images: number) {
  const b = blockOf(g);
  const strips = Math.ceil(Math.ceil(g.wo / 2) / b.tiles);
  const slots = Math.ceil(g.ho / 2) * strips;
  const blockThreads = Math.ceil((slots * images) / 4) * 4;
  return { strips, slots, blockThreads, threads: Math.ceil(g.cout / (4 * b.channelBlocks)) * blockThreads };
}

/** The unrolled code and constants of conv2d_winograd.wgsl at this shape. */
export function winogradCode(engine: Engine, g: Geometry): Record<string, string | number | boolean> {
  const { channelBlocks, tiles } = blockOf(g);
  // each lane's loads of U shared across its 4-lane subgroup (SwiftShader's), else every lane loads all
  const share = engine.fixedSubgroupSize === 4;
  const B = range(channelBlocks);
  const K = range(tiles);
  const R = range(4);
  const C = range(2 * tiles + 2); // patch columns
  const T = range(16);
  const setup = [
    ...B.map((b) => `let wBase${b} = min(c0 / 4u + ${b}u, shape.BLOCKS - 1u) * shape.KROW${share ? ' + lane' : ''};`),
    'let xChan = n * shape.CIN * shape.HW;',
    // each patch position's offset in the channel plane, clamped inside, and 1/0 for inside/padding
    ...R.map((r) => `let rowIn${r} = u32(iy0 + ${r}) < shape.H;`),
    ...R.map((r) => `let row${r} = select(0u, u32(iy0 + ${r}) * shape.W, rowIn${r});`),
    ...C.map((c) => `let colIn${c} = u32(ix0 + ${c}) < shape.W;`),
    ...C.map((c) => `let col${c} = select(0u, u32(ix0 + ${c}), colIn${c});`),
    ...R.flatMap((r) =>
      C.flatMap((c) => [
        `let off${r}_${c} = row${r} + col${c};`,
        `let keep${r}_${c} = select(0.0, 1.0, rowIn${r} && colIn${c});`,
      ]),
    ),
    ...K.flatMap((k) => B.flatMap((b) => T.map((t) => `var m${k}_${b}_${t} = vec4f();`))),
  ];
  // V = Bᵀ d B: d B on each patch row (columns 2k .. 2k + 3), then Bᵀ down the columns
  const rowTransform = (k: number, r: number) => {
    const d = (j: number) => `d${r}_${2 * k + j}`;
    return [
      `let e${k}_${r}_0 = ${d(0)} - ${d(2)};`,
      `let e${k}_${r}_1 = ${d(1)} + ${d(2)};`,
      `let e${k}_${r}_2 = ${d(2)} - ${d(1)};`,
      `let e${k}_${r}_3 = ${d(1)} - ${d(3)};`,
    ];
  };
  const columnTransform = (k: number, j: number) => {
    const e = (r: number) => `e${k}_${r}_${j}`;
    return [
      `let v${k}_${j} = ${e(0)} - ${e(2)};`,
      `let v${k}_${4 + j} = ${e(1)} + ${e(2)};`,
      `let v${k}_${8 + j} = ${e(2)} - ${e(1)};`,
      `let v${k}_${12 + j} = ${e(1)} - ${e(3)};`,
    ];
  };
  const step = [
    ...R.flatMap((r) => C.map((c) => `let d${r}_${c} = x[xk + off${r}_${c}] * keep${r}_${c};`)),
    ...K.flatMap((k) => [...R.flatMap((r) => rowTransform(k, r)), ...range(4).flatMap((j) => columnTransform(k, j))]),
    // shared: lane L loads elements L, 4 + L, 8 + L, 12 + L of its blocks' U; element t comes from lane t % 4
    ...(share ? B.flatMap((b) => range(4).map((q) => `let w${b}_${q} = wPacked[wBase${b} + wk + ${4 * q}u];`)) : []),
    ...T.flatMap((t) => [
      ...B.map((b) =>
        share
          ? `let u${b}_${t} = subgroupBroadcast(w${b}_${t >> 2}, ${t % 4}u);`
          : `let u${b}_${t} = wPacked[wBase${b} + wk + ${t}u];`,
      ),
      ...B.flatMap((b) => K.map((k) => `m${k}_${b}_${t} = fma(u${b}_${t}, vec4f(v${k}_${t}), m${k}_${b}_${t});`)),
    ]),
  ];
  // Y = Aᵀ M A per (tile, block): Aᵀ down the columns, then along the rows; stored in a loop over
  // an array (unrolled stores dominated compile time in conv2d.wgsl)
  const transform: string[] = [];
  const outputs: string[] = [];
  for (const k of K)
    for (const b of B) {
      const m = (r: number, j: number) => `m${k}_${b}_${4 * r + j}`;
      for (const j of range(4)) {
        transform.push(`let s${k}_${b}_0_${j} = ${m(0, j)} + ${m(1, j)} + ${m(2, j)};`);
        transform.push(`let s${k}_${b}_1_${j} = ${m(1, j)} - ${m(2, j)} - ${m(3, j)};`);
      }
      for (const r of range(2)) {
        const s = (j: number) => `s${k}_${b}_${r}_${j}`;
        outputs.push(`${s(0)} + ${s(1)} + ${s(2)}`, `${s(1)} - ${s(2)} - ${s(3)}`);
      }
    }
  // output s: tile s / (4·NB), channel block (s / 4) % NB, pixel s % 4 = 2·row + column
  const column = `ox0 + 2u * (s / ${4 * channelBlocks}u) + s % 2u`;
  const tileOut = [
    ...transform,
    `var ys = array<vec4f, ${outputs.length}>(${outputs.join(', ')});`,
    `for (var s = 0u; s < ${outputs.length}u; s++) {`,
    '  let oy = oy0 + (s / 2u) % 2u;',
    `  if (live && oy < shape.HO) { store(ys[s], c0 + 4u * ((s / 4u) % ${channelBlocks}u), ${column}, oy * out.wo, n, out); }`,
    '}',
  ];
  return {
    CB: 4 * channelBlocks,
    SHARE_WEIGHTS: share,
    TILE_COLUMNS: 2 * tiles,
    SETUP: indent(setup, 2),
    STEP: indent(step, 4),
    TILE_OUT: indent(tileOut, 2),
  };
}
