/**
 * Cold start, pipeline by pipeline: for each model's IG-64 call on a fresh engine, the cold and warm
 * wall time, then every pipeline that call compiled, recompiled alone on the same device and timed
 * (createComputePipelineAsync awaited one at a time; in Node also the blocking createComputePipeline,
 * which is what a cold call without prepare() pays). The same code runs in Node (Dawn) and in a page
 * (bench/compile.mjs bundles this file for both). Each timed compile gets a unique trailing const so neither Dawn's per-device pipeline dedup nor a browser blob cache can answer it.
 */
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { explain } from '../src/attribution/index.js';
import { createZooModel } from '../src/models/load.js';
import { median, syntheticImages } from './methods.js';

export interface PipelineFigure {
  op: string;
  /** the register-block constants baked into the shader (CB, PB, TM, TNW) where it has them */
  block: string;
  chars: number;
  asyncMs: number;
  syncMs?: number;
}

export interface CompileFigure {
  model: string;
  method: 'ig';
  steps: number;
  coldMs: number;
  warmMs: number;
  warmSamplesMs: number[];
  pipelines: PipelineFigure[];
  /** summed compile ms per op label */
  byOp: Record<string, { count: number; asyncMs: number; syncMs?: number }>;
}

const round = (x: number) => +x.toFixed(1);

function blockOf(code: string): string {
  const consts = [...code.matchAll(/const (CB|PB|TM|TNW|BM|BN) = (\d+)u/g)].map((m) => `${m[1]}=${m[2]}`);
  const pb = [...code.matchAll(/\* (\d+)u;\s+\/\/ first phase column/g)].map((m) => `PB=${m[1]}`);
  const tm = code.match(/@workgroup_size\((\d+), (\d+)\)/);
  return [...new Set([...consts, ...pb])].join(' ') + (tm && !consts.length ? `wg=${tm[1]}x${tm[2]}` : '');
}

let nonce = 0;

/** Compile `code` afresh: async (awaited alone), and where `sync` the blocking call too. */
async function timeCompile(
  device: GPUDevice,
  label: string,
  code: string,
  sync: boolean,
): Promise<{ asyncMs: number; syncMs?: number }> {
  const fresh = () => {
    const module = device.createShaderModule({
      code: `${code}\nconst benchNonce${++nonce}x${Date.now()} = ${nonce}u;\n`,
      label,
    });
    return { layout: 'auto' as const, compute: { module, entryPoint: 'main' }, label };
  };
  let t = performance.now();
  await device.createComputePipelineAsync(fresh());
  const asyncMs = performance.now() - t;
  if (!sync) return { asyncMs };
  t = performance.now();
  device.createComputePipeline(fresh());
  return { asyncMs, syncMs: performance.now() - t };
}

export async function runCompileBench(opts: {
  models?: string[];
  steps?: number;
  reps?: number;
  sync: boolean;
  log?: (s: string) => void;
}): Promise<{ adapter: Engine['adapter']; figures: CompileFigure[] }> {
  const log = opts.log ?? (() => {});
  const steps = opts.steps ?? 64;
  const figures: CompileFigure[] = [];
  let adapter: Engine['adapter'] | null = null;
  for (const name of opts.models ?? ['lenet', 'resnet']) {
    const engine = await createEngine();
    adapter ??= engine.adapter;
    const device = engine.device;
    const shaders: { label: string; code: string }[] = [];
    const create = device.createShaderModule.bind(device);
    device.createShaderModule = (d: GPUShaderModuleDescriptor) => (
      shaders.push({ label: d.label ?? '?', code: d.code }),
      create(d)
    );
    const model = createZooModel(engine, name, { foldBatchNorm: true });
    const image = syntheticImages(model, 1, 1);
    const call = () => explain(engine, model, image, { method: 'ig', steps });
    try {
      let t = performance.now();
      await call();
      const coldMs = performance.now() - t;
      device.createShaderModule = create; // the timed compiles below are not the call's
      const samples: number[] = [];
      for (let r = 0; r < (opts.reps ?? 3); r++) {
        t = performance.now();
        await call();
        samples.push(performance.now() - t);
      }
      log(
        `${name} IG-${steps}: cold ${coldMs.toFixed(0)} ms, warm ${median(samples).toFixed(0)} ms, ${shaders.length} pipelines`,
      );
      const pipelines: PipelineFigure[] = [];
      for (const s of shaders) {
        const ms = await timeCompile(device, s.label, s.code, opts.sync);
        const f: PipelineFigure = {
          op: s.label,
          block: blockOf(s.code),
          chars: s.code.length,
          asyncMs: round(ms.asyncMs),
          ...(ms.syncMs === undefined ? {} : { syncMs: round(ms.syncMs) }),
        };
        pipelines.push(f);
        log(
          `  ${f.op.padEnd(32)} ${f.block.padEnd(22)} async ${f.asyncMs.toFixed(0).padStart(6)} ms${f.syncMs === undefined ? '' : `  sync ${f.syncMs.toFixed(0).padStart(6)} ms`}`,
        );
      }
      const byOp: CompileFigure['byOp'] = {};
      for (const p of pipelines) {
        const o = (byOp[p.op] ??= { count: 0, asyncMs: 0, ...(opts.sync ? { syncMs: 0 } : {}) });
        o.count++;
        o.asyncMs = round(o.asyncMs + p.asyncMs);
        if (p.syncMs !== undefined) o.syncMs = round(o.syncMs! + p.syncMs);
      }
      figures.push({
        model: name,
        method: 'ig',
        steps,
        coldMs: round(coldMs),
        warmMs: round(median(samples)),
        warmSamplesMs: samples.map(round),
        pipelines,
        byOp,
      });
    } finally {
      model.dispose();
      engine.dispose();
    }
  }
  return { adapter: adapter!, figures };
}

function parseArgs(argv: readonly string[]) {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return {
    models: get('--models')?.split(','),
    steps: get('--steps') ? Number(get('--steps')) : undefined,
    reps: get('--reps') ? Number(get('--reps')) : undefined,
  };
}

declare global {
  interface Window {
    runCompileBench?: (argv: string[]) => Promise<unknown>;
  }
}

if (typeof window !== 'undefined') {
  window.runCompileBench = async (argv) => ({
    runtime: 'chrome',
    userAgent: navigator.userAgent,
    ...(await runCompileBench({ ...parseArgs(argv), sync: false, log: (s) => console.log(s) })),
  });
} else {
  const argv = process.argv.slice(2);
  const result = await runCompileBench({ ...parseArgs(argv), sync: true, log: (s) => console.error(s) });
  console.log(JSON.stringify({ runtime: 'node', ...result }));
}
