/**
 * Guided IG's path (Kapishnikov et al. 2021) as a stepper, all images at once: each step is one
 * fused kernel (shaders/attribution/guided_ig_step.wgsl) built from the row pieces (rows.ts),
 * running the step's data-dependent inner rounds inside one workgroup per image.
 *
 * Inner-round bound: `maxRounds` (default min(⌈D/(k+1)⌉ + 2, 16), k = ⌊fraction·(D − 1)⌋: 6 for the
 * default fraction; every round with γ > 1 moves at least k + 1 features to their bound, so
 * ⌈D/(k+1)⌉ + 2 always suffice). The float64 reference throws when its loop does not converge; the
 * GPU cannot, so a step that hits the bound ends short of its L1 target, the next step carries on
 * from there, and the final snap still ends the path exactly at x (tested).
 */
import stepSource from '../../../shaders/attribution/guided_ig_step.wgsl';
import { uniformBytes } from '../../gpu/program.js';
import { checkPositiveInt, fail, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor/tensor.js';
import { quantileIndex, rowL1Distance, ROW_WGSL } from './rows.js';
import type { StepperPath } from './stepper.js';
import { methodOptions } from '../registry.js';

export interface GuidedIgPathOptions {
  steps: number;
  /** fraction of features (smallest score first) moved per inner round (default 0.25) */
  fraction?: number;
  /** maximum deviation from the straight line in α units (default 0.02; 0 = IG's path) */
  maxDist?: number;
  /** inner rounds per step (default: see the module comment) */
  maxRounds?: number;
  /** selection score, a WGSL f32 expression of x, b (baseline), g (gradient), z (point): default `abs(g)` */
  score?: string;
}

/** Guided IG's methodOptions (the path's options but its steps, which explain() gives). */
export type GuidedIgOptions = Omit<GuidedIgPathOptions, 'steps'>;

/** The methodOptions parser of a method on Guided IG's path named `name`: its keys; guidedIgPath checks the values. */
export const guidedIgOptions = (name: string) => (raw: Readonly<Record<string, unknown>>) =>
  methodOptions<GuidedIgOptions>(name, raw, ['fraction', 'maxDist', 'maxRounds', 'score']);

const MAX_DEFAULT_ROUNDS = 16;
const source = ROW_WGSL + stepSource;

/** `op` names the method in option errors, which are thrown here, before any GPU work. */
export function guidedIgPath(o: GuidedIgPathOptions, op = 'guidedIgPath'): StepperPath {
  checkPositiveInt(op, 'steps', o.steps);
  const fraction = o.fraction ?? 0.25;
  const maxDist = o.maxDist ?? 0.02;
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1))
    fail(`${op}: fraction must be in [0, 1], got ${String(fraction)}`);
  if (typeof maxDist !== 'number' || !(maxDist >= 0 && maxDist <= 1))
    fail(`${op}: maxDist must be in [0, 1], got ${String(maxDist)}`);
  if (o.maxRounds !== undefined) checkPositiveInt(op, 'maxRounds', o.maxRounds);
  const SCORE = o.score ?? 'abs(g)';
  if (typeof SCORE !== 'string' || SCORE.trim() === '')
    fail(`${op}: score must be a WGSL f32 expression of x, b, g and z, got ${JSON.stringify(SCORE)}`);
  let stepsTaken = 0;
  let state: { x: Tensor; baseline: Tensor; z: Tensor; attr: Tensor; score: Tensor; total: Tensor } | null = null;
  let taken = false;
  return {
    length: o.steps,
    begin(x, baseline) {
      if (x.size !== baseline.size || x.shape[0] !== baseline.shape[0] || x.rank < 2)
        fail(
          `${op}: input ${shapeStr(x.shape)} and baseline ${shapeStr(baseline.shape)} must be [N, ...] of the same shape`,
        );
      const z = Tensor.empty(x.engine, x.shape, 'gig point');
      x.engine.copy(baseline.buffer, 0, z.buffer, 0, baseline.byteLength);
      const attr = Tensor.zeros(x.engine, x.shape, 'attribution');
      stepsTaken = 0;
      taken = false;
      state = {
        x,
        baseline,
        z,
        attr,
        score: Tensor.empty(x.engine, x.shape, 'gig scores'),
        total: rowL1Distance(x, baseline),
      };
      return z;
    },
    step(grad) {
      const { x, baseline, z, attr, score, total } = state!;
      if (grad.size !== x.size)
        fail(`${op}: gradient ${shapeStr(grad.shape)} does not match the input ${shapeStr(x.shape)}`);
      const n = x.shape[0]!;
      const d = x.size / n;
      const k = quantileIndex(fraction, d);
      const rounds = o.maxRounds ?? Math.min(Math.ceil(d / (k + 1)) + 2, MAX_DEFAULT_ROUNDS);
      const alpha = ++stepsTaken / o.steps;
      const snap = stepsTaken === o.steps ? 1 : 0;
      const bounds = [alpha, Math.max(alpha - maxDist, 0), Math.min(alpha + maxDist, 1)].map(
        (v) => ['f32', v] as const,
      );
      const sizes = [d, k, rounds, snap, n].map((v) => ['u32', v] as const);
      x.engine.run({
        op: 'guided_ig_step',
        source,
        params: { SCORE },
        bindings: { step: uniformBytes([...bounds, ...sizes]), input: x, baseline, grad, total, point: z, attr, score },
        grid: x.engine.grid1d(n, 1),
      });
      return { point: z, done: snap === 1 };
    },
    attribution() {
      taken = true;
      return state!.attr;
    },
    dispose() {
      if (!state) return;
      for (const t of [state.z, state.score, state.total]) t.dispose();
      if (!taken) state.attr.dispose();
      state = null;
    },
  };
}
