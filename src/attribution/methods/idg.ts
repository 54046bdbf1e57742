/**
 * Integrated Decision Gradients (Walker et al. 2023, arXiv 2305.20052): IG weighted by dF/dα, its
 * samples placed by a first pass where F rises. A transliteration of IDG, getSlopes and
 * getAlphaParameters in util/attribution_methods/saliencyMethods.py of
 * github.com/chasewalker26/Integrated-Decision-Gradients (commit 2c530596948cb58140a9bb40c64f479de0568e15),
 * including its placement (an interval with no sample does not advance α).
 */
import { fail } from '../../errors.js';
import { integrateWithHook, valuesAlong, type StepSchedule } from '../path-spec.js';
import { methodOptions, registerMethod, type NoOptions } from '../registry.js';

declare module '../registry.js' {
  interface MethodRegistry {
    idg: NoOptions;
  }
}

/** The m second-pass positions and weights Δα/m from F at m equally spaced α (getAlphaParameters). */
export function idgSchedule(f: Float64Array): StepSchedule {
  const [m, step] = [f.length, 1 / (f.length - 1)];
  const slopes = f.map((v, i) => (i === 0 ? 0 : (v - f[i - 1]!) / step));
  const [lo, hi] = [Math.min(...slopes), Math.max(...slopes)];
  const norm = slopes.map((s, i) => (i === 0 || hi === lo ? Number(hi === lo) : (s - lo) / (hi - lo))); // flat F: uniform, where the authors' divide 0 by 0
  const total = norm.reduce((a, b) => a + b, 0);
  const share = norm.map((v) => (v / total) * m);
  const counts = share.map(Math.trunc);
  const order = [...share.keys()].map((i) => (counts[i] ? -1 : share[i]!));
  const byShare = [...order.keys()].sort((a, b) => order[a]! - order[b]! || a - b).reverse(); // torch.flip(sort)
  for (const i of byShare.slice(0, m - counts.reduce((a, b) => a + b, 0))) counts[i] = 1;
  const [alphas, weights] = [new Float64Array(m), new Float64Array(m)];
  let [at, start] = [0, 0];
  for (const c of counts.filter((c) => c > 0)) {
    for (let j = 0; j < c; j++, at++) [alphas[at], weights[at]] = [start + (j * step) / c, step / c / m];
    start += step;
  }
  return { alphas, weights };
}

registerMethod('idg', {
  options: (raw) => methodOptions('idg', raw, []),
  run: (ctx, { steps: m }) => {
    if (m < 2) fail(`idg: steps must be at least 2, got ${m}`);
    const probe = Float64Array.from({ length: m }, (_, k) => k / (m - 1));
    const schedule = async (one: typeof ctx) => idgSchedule((await valuesAlong(one, probe))[0]!);
    return integrateWithHook(ctx, schedule, (s) => s.dfda * s.weight);
  },
  defaultSteps: 64,
  check: 'none',
  description: 'Integrated Decision Gradients (Walker et al. 2023): IG weighted by dF/dα, samples where F rises',
});
