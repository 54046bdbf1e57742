/**
 * Record and replay, A/B: warm explain() calls on two engines of one device kind, replay on and
 * off, interleaved, per model and method. Reports the wall time per call and the host time spent
 * encoding its forward + backward evaluations (inside the subject's evaluate(): the op layer and
 * tape on the first evaluation of a shape, a replay on the others). The same code runs in Node
 * (Dawn) and in a page (bench/replay.mjs bundles this file for both).
 */
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { explain } from '../src/attribution/index.js';
import { modelSubject } from '../src/attribution/model-subject.js';
import { createZooModel } from '../src/models/load.js';
import { median, syntheticImages } from './methods.js';

export interface ReplayFigure {
  model: string;
  method: string;
  steps: number;
  dispatches: number;
  replayedDispatches: number;
  /** medians over the reps: wall ms per call and host ms encoding its evaluations, replay on / off */
  wallMs: { on: number; off: number };
  encodeMs: { on: number; off: number };
  samples: { on: number[]; off: number[] };
}

const round = (x: number) => +x.toFixed(1);

export async function runReplayBench(opts: {
  models?: string[];
  methods?: string[];
  steps?: number;
  reps?: number;
  log?: (s: string) => void;
}) {
  const log = opts.log ?? (() => {});
  const steps = opts.steps ?? 64;
  const figures: ReplayFigure[] = [];
  const engines = {
    on: await createEngine({ ownDevice: true }),
    off: await createEngine({ ownDevice: true, replay: false }),
  };
  try {
    for (const name of opts.models ?? ['lenet', 'resnet']) {
      const models = {
        on: createZooModel(engines.on, name, { foldBatchNorm: true }),
        off: createZooModel(engines.off, name, { foldBatchNorm: true }),
      };
      const encode = { on: 0, off: 0 };
      for (const side of ['on', 'off'] as const) {
        const subject = modelSubject(models[side]);
        const evaluate = subject.evaluate.bind(subject);
        subject.evaluate = (p, r) => {
          const t = performance.now();
          const ev = evaluate(p, r);
          // the body is synchronous: the promise is already settled; forward + backward evaluations only
          if ((r.want as readonly string[]).includes('grad')) encode[side] += performance.now() - t;
          return ev;
        };
      }
      const image = syntheticImages(models.on, 1, 1);
      for (const method of opts.methods ?? ['ig', 'gig']) {
        const call = async (side: 'on' | 'off') => {
          encode[side] = 0;
          const t = performance.now();
          await explain(engines[side], models[side], image, { method, steps, target: 1 });
          return { wall: performance.now() - t, encode: encode[side] };
        };
        await call('on');
        await call('off');
        const s = { on: [] as { wall: number; encode: number }[], off: [] as { wall: number; encode: number }[] };
        const before = { ...engines.on.stats };
        for (let r = 0; r < (opts.reps ?? 3); r++)
          for (const side of r % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const))
            s[side].push(await call(side));
        const reps = s.on.length;
        const f: ReplayFigure = {
          model: name,
          method,
          steps,
          dispatches: (engines.on.stats.dispatches - before.dispatches) / reps,
          replayedDispatches: (engines.on.stats.replayed - before.replayed) / reps,
          wallMs: { on: round(median(s.on.map((x) => x.wall))), off: round(median(s.off.map((x) => x.wall))) },
          encodeMs: { on: round(median(s.on.map((x) => x.encode))), off: round(median(s.off.map((x) => x.encode))) },
          samples: { on: s.on.map((x) => round(x.wall)), off: s.off.map((x) => round(x.wall)) },
        };
        figures.push(f);
        log(
          `${name} ${method}-${steps}: wall ${f.wallMs.on} ms replayed / ${f.wallMs.off} ms not; encoding ${f.encodeMs.on} / ${f.encodeMs.off} ms; ${f.replayedDispatches} of ${f.dispatches} dispatches replayed`,
        );
      }
      models.on.dispose();
      models.off.dispose();
    }
    return { adapter: engines.on.adapter as Engine['adapter'], figures };
  } finally {
    engines.on.dispose();
    engines.off.dispose();
  }
}

function parseArgs(argv: readonly string[]) {
  const get = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  return {
    models: get('--models')?.split(','),
    methods: get('--methods')?.split(','),
    steps: get('--steps') ? Number(get('--steps')) : undefined,
    reps: get('--reps') ? Number(get('--reps')) : undefined,
  };
}

declare global {
  interface Window {
    runReplayBench?: (argv: string[]) => Promise<unknown>;
  }
}

if (typeof window !== 'undefined') {
  window.runReplayBench = async (argv) => ({
    runtime: 'chrome',
    userAgent: navigator.userAgent,
    ...(await runReplayBench({ ...parseArgs(argv), log: (s) => console.log(s) })),
  });
} else {
  const result = await runReplayBench({ ...parseArgs(process.argv.slice(2)), log: (s) => console.error(s) });
  console.log(JSON.stringify({ runtime: 'node', ...result }));
}
