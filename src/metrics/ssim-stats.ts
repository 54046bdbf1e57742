/**
 * One MS-SSIM scale on the GPU: per (image, channel) plane, the mean contrast-structure term and
 * the mean SSIM over the 'valid' Gaussian-window positions, written into a shared stats tensor so
 * that all scales come back with a single readback. Sizes are uniforms, the window length too: one
 * pipeline serves every scale, batch and window. (Baking the window measured no faster: MS-SSIM of
 * [4, 3, 128, 128], warm, SwiftShader, three interleaved runs each on a loaded machine: medians
 * 1.05–1.23 s uniform vs 0.89–1.63 s baked.)
 */
import source from '../../shaders/metrics/ssim_stats.wgsl';
import { fail, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

export interface SsimStatsParams {
  /** normalised Gaussian window (odd length ≤ min(H, W)) */
  taps: Float64Array;
  c1: number;
  c2: number;
  /** where this scale's 2·N·C values start in `stats` */
  offset: number;
}

/** a [N, C, H, W]; b [N, C, H, W] or [1, C, H, W] (compared with every image of a). */
export function ssimStats(a: Tensor, b: Tensor, stats: Tensor, p: SsimStatsParams): void {
  const [n, c, h, w] = a.shape as [number, number, number, number];
  if (a.rank !== 4 || b.rank !== 4)
    fail(`ssimStats: a ${shapeStr(a.shape)} and b ${shapeStr(b.shape)} must be [N, C, H, W]`);
  const shared = b.shape[0] === 1 && n !== 1;
  if ((b.shape[0] !== n && !shared) || b.shape.slice(1).join() !== a.shape.slice(1).join())
    fail(`ssimStats: b ${shapeStr(b.shape)} does not match a ${shapeStr(a.shape)}`);
  const win = p.taps.length;
  if (win % 2 !== 1 || win > Math.min(h, w)) fail(`ssimStats: window ${win} does not fit ${h}×${w}`);
  if (p.offset + 2 * n * c > stats.size)
    fail(`ssimStats: stats ${shapeStr(stats.shape)} too small for offset ${p.offset} + ${2 * n * c}`);
  const sizes = Uint32Array.of(n * c, shared ? c : n * c, h, w, win, h - win + 1, w - win + 1, p.offset);
  const taps = Float32Array.from([...p.taps, p.c1, p.c2]);
  a.engine.run({ op: 'ssim_stats', source, bindings: { a, b, taps, stats, sizes }, grid: a.engine.grid1d(n * c, 1) });
}
