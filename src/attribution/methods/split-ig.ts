/**
 * Split IG (Miglani et al. 2020, arXiv 2010.12697, "Investigating Saturation Effects in Integrated
 * Gradients"): IG by the right Riemann rule, split where f first exceeds
 * f(x') + ratio·(f(x) − f(x')); 'left' keeps the points before it (the unsaturated part), 'right'
 * the rest. Follows split_ig in notebooks/ImageNetSplitIG-Basic.ipynb of github.com/vivekmig/captum-1
 * (commit 30d527f99f06fec7ac90b2041aa16061c608345d): two passes, f at x' and x, then the hooked path.
 */
import { fail } from '../../errors.js';
import { integrateWithHook, valuesAlong } from '../path-spec.js';
import { quadrature } from '../quadrature.js';
import { methodOptions, registerMethod } from '../registry.js';

export interface SplitIgOptions {
  /** where the path splits, as the share of f(x) − f(x') reached (default 0.5) */
  ratio?: number;
  /** the part explained (default 'left') */
  part?: 'left' | 'right';
}

declare module '../registry.js' {
  interface MethodRegistry {
    'split-ig': SplitIgOptions;
  }
}

registerMethod('split-ig', {
  options: (raw) => {
    const o = methodOptions<SplitIgOptions>('split-ig', raw, ['ratio', 'part']);
    if (o.ratio !== undefined && !(typeof o.ratio === 'number' && o.ratio >= 0 && o.ratio <= 1))
      fail(`split-ig: ratio must be in [0, 1], got ${String(o.ratio)}`);
    if (o.part !== undefined && o.part !== 'left' && o.part !== 'right')
      fail(`split-ig: part must be 'left' or 'right', got ${String(o.part)}`);
    return o;
  },
  run: (ctx, o) => {
    const [ratio, left] = [o.ratio ?? 0.5, (o.part ?? 'left') === 'left'];
    let [threshold, crossed] = [0, false];
    const schedule = async (one: typeof ctx) => {
      const [f] = await valuesAlong(one, Float64Array.of(0, 1));
      [threshold, crossed] = [f![0]! + ratio * (f![1]! - f![0]!), false];
      return quadrature('right', o.steps);
    };
    return integrateWithHook(ctx, schedule, (s) => {
      crossed ||= s.f > threshold; // the first point above the threshold starts the right part
      return crossed === left ? 0 : s.weight;
    });
  },
  defaultSteps: 64,
  check: 'none',
  description: 'Split IG (Miglani et al. 2020): IG up to (or from) where f saturates',
});
