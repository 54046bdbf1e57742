/**
 * Winograd against the direct conv kernel in one Node process (bench/winograd-ab.mjs bundles and
 * runs this): ResNet-S's stride-1 3×3 shapes at batch `--n`, forward and input gradient, calls
 * interleaved direct / Winograd / Winograd / direct per rep, median wall and process-CPU ms per
 * call, GFLOP/s counted as the direct conv's FLOPs (2·N·Cout·HO·WO·Cin·9) either way. Also the
 * float32 error of each path against a float64 reference on the first image, and the wall time of
 * the first call (its pipeline compile included). `--model resnet [--steps 16]`: IG end to end
 * instead, the two engines' calls interleaved, and how far apart their attributions are. Writes
 * out/winograd-ab.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { conv2d, conv2dBackwardInput } from '../src/ops/conv2d.js';
import { explain } from '../src/attribution/index.js';
import { createZooModel } from '../src/models/load.js';
import { syntheticImages } from './methods.js';
import { attributionFlops, modelFlops } from './flops.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? dflt : process.argv[i + 1]!;
};
const n = Number(arg('n', '64'));
const reps = Number(arg('reps', '5'));
const only = arg('only', '');
const model = arg('model', '');
const steps = Number(arg('steps', '16'));
const directions = arg('directions', 'forward,inputGradient').split(',') as ('forward' | 'inputGradient')[];

// ResNet-S's stride-1 3×3 layers (src/models/zoo.ts): [name, channels, size]
const SHAPES: [string, number, number][] = [
  ['16->16 32x32', 16, 32],
  ['32->32 16x16', 32, 16],
  ['64->64 8x8', 64, 8],
];

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const rand = (len: number, seed: number) =>
  Float32Array.from({ length: len }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);

/** float64 direct conv of image 0 (3×3, pad 1, stride 1), weights [cout, cin, 3, 3]. */
function reference(x: Float32Array, w: Float32Array, cin: number, cout: number, hw: number): Float64Array {
  const y = new Float64Array(cout * hw * hw);
  for (let co = 0; co < cout; co++)
    for (let oy = 0; oy < hw; oy++)
      for (let ox = 0; ox < hw; ox++) {
        let s = 0;
        for (let ci = 0; ci < cin; ci++)
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const iy = oy + ky - 1;
              const ix = ox + kx - 1;
              if (iy < 0 || iy >= hw || ix < 0 || ix >= hw) continue;
              s += w[((co * cin + ci) * 3 + ky) * 3 + kx]! * x[(ci * hw + iy) * hw + ix]!;
            }
        y[(co * hw + oy) * hw + ox] = s;
      }
  return y;
}

async function side(engine: Engine, c: number, hw: number) {
  const xShape = [n, c, hw, hw];
  const wShape = [c, c, 3, 3];
  const xs = rand(n * c * hw * hw, 1);
  const ws = rand(c * c * 9, 2).map((v) => v / Math.sqrt(9 * c));
  const x = Tensor.from(engine, xs, xShape);
  const w = Tensor.from(engine, ws, wShape);
  const p = { padding: 1 };
  return {
    xs,
    ws,
    async run(direction: 'forward' | 'inputGradient') {
      const out = direction === 'forward' ? conv2d(x, w, null, p) : conv2dBackwardInput(x, w, xShape, p);
      const first = await out.download();
      out.dispose();
      return first;
    },
    dispose: () => (x.dispose(), w.dispose()),
  };
}

const results: unknown[] = [];
const direct = await createEngine({ ownDevice: true, winograd: false });
const winograd = await createEngine({ ownDevice: true });
for (const [name, c, hw] of model ? [] : SHAPES.filter(([s]) => s.includes(only))) {
  const sides = { direct: await side(direct, c, hw), winograd: await side(winograd, c, hw) };
  const flops = 2 * n * c * hw * hw * c * 9;
  for (const direction of directions) {
    const samples = {
      direct: { wall: [] as number[], cpu: [] as number[] },
      winograd: { wall: [], cpu: [] },
    } as Record<'direct' | 'winograd', { wall: number[]; cpu: number[] }>;
    const error: Record<string, number> = {};
    const firstCallMs: Record<string, number> = {};
    // the input gradient of a 3×3 pad-1 conv is this conv with the flipped, transposed kernel
    const wRef =
      direction === 'forward'
        ? sides.direct.ws
        : Float32Array.from({ length: c * c * 9 }, (_, i) => {
            const [ci, co, t] = [Math.floor(i / (9 * c)), Math.floor(i / 9) % c, i % 9];
            return sides.direct.ws[(co * c + ci) * 9 + 8 - t]!;
          });
    const ref = reference(sides.direct.xs, wRef, c, c, hw);
    for (const k of ['direct', 'winograd'] as const) {
      const t0 = performance.now();
      const y = await sides[k].run(direction);
      firstCallMs[k] = performance.now() - t0;
      let e = 0;
      let scale = 0;
      for (let i = 0; i < ref.length; i++)
        ((e = Math.max(e, Math.abs(y[i]! - ref[i]!))), (scale = Math.max(scale, Math.abs(ref[i]!))));
      error[k] = e / scale;
    }
    for (let r = 0; r < reps; r++)
      for (const k of r % 2 ? (['winograd', 'direct'] as const) : (['direct', 'winograd'] as const)) {
        const [t0, c0] = [performance.now(), cpu()];
        await sides[k].run(direction);
        samples[k].wall.push(performance.now() - t0);
        samples[k].cpu.push(cpu() - c0);
      }
    const row: Record<string, unknown> = { shape: name, direction, n, reps };
    for (const k of ['direct', 'winograd'] as const)
      row[k] = {
        wallMs: +median(samples[k].wall).toFixed(1),
        cpuMs: +median(samples[k].cpu).toFixed(1),
        gflopsCpu: +(flops / median(samples[k].cpu) / 1e6).toFixed(2),
        maxRelError: +error[k]!.toExponential(2),
        firstCallMs: +firstCallMs[k]!.toFixed(0),
      };
    const d = row.direct as { wallMs: number; cpuMs: number };
    const wi = row.winograd as { wallMs: number; cpuMs: number };
    row.speedupCpu = +(d.cpuMs / wi.cpuMs).toFixed(3);
    row.speedupWall = +(d.wallMs / wi.wallMs).toFixed(3);
    console.error(JSON.stringify(row));
    results.push(row);
  }
  sides.direct.dispose();
  sides.winograd.dispose();
}
/** IG at `steps` points on one synthetic image of a zoo model (BN folded), wall and CPU ms per call. */
async function modelSide(engine: Engine) {
  const m = createZooModel(engine, model, { foldBatchNorm: true });
  const image = syntheticImages(m, 1, 1);
  const flops = modelFlops(m);
  let callFlops = 0;
  let attribution = new Float32Array();
  return {
    async call() {
      const r = await explain(engine, m, image, { method: 'ig', steps, target: 1 });
      callFlops = attributionFlops(flops, r);
      attribution = Float32Array.from(r.attribution);
    },
    flops: () => callFlops,
    attribution: () => attribution,
    /** the GPU time's top ops in one call (timestamp queries) */
    async profile() {
      engine.startProfiling();
      await this.call();
      const p = await engine.stopProfiling();
      return p.supported ? p.ops.slice(0, 5).map((o) => ({ op: o.op, n: o.dispatches, ms: +o.gpuMs.toFixed(1) })) : [];
    },
    dispose: () => m.dispose(),
  };
}

if (model) {
  const sides = { direct: await modelSide(direct), winograd: await modelSide(winograd) };
  const samples = {
    direct: { wall: [] as number[], cpu: [] as number[] },
    winograd: { wall: [] as number[], cpu: [] as number[] },
  };
  for (const k of ['direct', 'winograd'] as const) await sides[k].call(); // compile
  for (let r = 0; r < reps; r++)
    for (const k of r % 2 ? (['winograd', 'direct'] as const) : (['direct', 'winograd'] as const)) {
      const [t0, c0] = [performance.now(), cpu()];
      await sides[k].call();
      samples[k].wall.push(performance.now() - t0);
      samples[k].cpu.push(cpu() - c0);
    }
  const [a, b] = [sides.direct.attribution(), sides.winograd.attribution()];
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++)
    ((diff = Math.max(diff, Math.abs(a[i]! - b[i]!))), (scale = Math.max(scale, Math.abs(a[i]!))));
  const row: Record<string, unknown> = { model, steps, reps, attributionMaxRelDiff: +(diff / scale).toExponential(2) };
  for (const k of ['direct', 'winograd'] as const)
    row[k] = {
      wallMs: +median(samples[k].wall).toFixed(1),
      cpuMs: +median(samples[k].cpu).toFixed(1),
      gflopsCpu: +(sides[k].flops() / median(samples[k].cpu) / 1e6).toFixed(2),
      samplesCpu: samples[k].cpu.map((v) => +v.toFixed(1)),
      top: await sides[k].profile(),
    };
  row.speedupCpu = +(median(samples.direct.cpu) / median(samples.winograd.cpu)).toFixed(3);
  row.speedupWall = +(median(samples.direct.wall) / median(samples.winograd.wall)).toFixed(3);
  console.error(JSON.stringify(row));
  results.push(row);
  sides.direct.dispose();
  sides.winograd.dispose();
}
mkdirSync('out', { recursive: true });
writeFileSync('out/winograd-ab.json', JSON.stringify({ runtime: 'node', results }, null, 2) + '\n');
direct.dispose();
winograd.dispose();
process.exit(0);
