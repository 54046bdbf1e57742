/**
 * Node side of `npm run verify:torchvision` (scripts/verify-torchvision.mjs builds and runs it):
 * every torchvision architecture scripts/torchvision-export.py wrote to out/torchvision/<size>/
 * goes through modelFromOnnx, its logits and input gradients are checked against the stored PyTorch
 * float64 values (the bounds of test/onnx-exports.test.ts), and import, first call, warm
 * forward + backward and IG-64 are timed. One JSON object on stdout, progress on stderr.
 *
 * Arguments: [--sizes 64,224] [--archs resnet18,…] [--ig-sizes 64] (IG-64 only at these sizes; at
 * 224 one IG-64 takes minutes on SwiftShader).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { Tensor } from '../src/tensor/tensor.js';
import { readNpy } from '../src/models/npy.js';
import { modelFromOnnx } from '../src/models/load.js';
import { explain } from '../src/attribution/index.js';
import type { Model } from '../src/nn/model.js';
import { maxAbsDiff, relL2 } from '../test/harness/assert.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'out', 'torchvision');
const LOGIT_RTOL = 1e-4;
const GRAD_REL_L2 = 1e-3;
/** An image whose PyTorch float32 gradient is itself off by more than the bound (ill-conditioned at
 * float32: many units within rounding of a ReLU6 / hard-swish kink) is held to twice that error. */
const FLOOR_FACTOR = 2;
const IG_STEPS = 64;
/** The methods shown running end to end on one small architecture. */
const SHOWCASE = {
  arch: 'mobilenet_v3_small',
  size: 64,
  steps: 16,
  methods: ['ig', 'idgi', 'gig', 'blurig', 'ig2', 'smoothgrad'],
};

interface ManifestEntry {
  input_shape: number[];
  targets: number[];
  opset: number;
  ops: string[];
  onnx_bytes: number;
  max_abs_logit: number;
  ort_max_abs_diff: number;
  torch_f32_grad_rel_l2: number[];
}
interface Manifest {
  torch: string;
  torchvision: string;
  exporter: string;
  architectures: Record<string, ManifestEntry>;
}

export interface ArchResult {
  arch: string;
  size: number;
  /** 'ok' | 'mismatch' (imports, numbers off) | 'import failed' | 'run failed' | 'no fixture' */
  status: string;
  imports: boolean;
  error?: string;
  opset?: number;
  onnxOps?: string[];
  onnxMB?: number;
  /** max |logit − PyTorch float64| / max |PyTorch logit| over the 2 images */
  logitRelErr?: number;
  /** worst image's relative L2 error of the input gradient of its target logit */
  gradRelL2?: number;
  gradRelL2PerImage?: number[];
  /** PyTorch's own float32 input gradient vs its float64 one, per image: what float32 can reach */
  torchF32GradRelL2?: number[];
  /** per image: max(GRAD_REL_L2, FLOOR_FACTOR · torchF32GradRelL2) */
  gradBoundPerImage?: number[];
  /** onnxruntime float32 vs PyTorch float64, the same measure: the export's own floor */
  ortLogitRelErr?: number;
  importMs?: number;
  /** first logits() of the 2-image batch on this engine: pipeline compiles included */
  firstForwardMs?: number;
  /** first explain('grad') of the batch: the backward's compiles included */
  firstGradMs?: number;
  /** median of warm explain('grad') calls: forward + backward of 2 images, readback included */
  warmGradMs?: number;
  /** explain('ig', 64 steps) of image 0, warm (after one untimed call) */
  ig64Ms?: number;
  ig64CompletenessError?: number;
}

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? (args[at + 1] ?? '') : fallback;
};
const sizes = arg('--sizes', '64,224').split(',').map(Number);
const igSizes = arg('--ig-sizes', '64').split(',').filter(Boolean).map(Number);
const archFilter = args.includes('--archs') ? arg('--archs', '').split(',') : null;
const log = (s: string) => console.error(s);
const firstLine = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
const maxAbs = (a: ArrayLike<number>) => Array.from(a, Math.abs).reduce((m, v) => Math.max(m, v), 0);
const round = (v: number, digits = 3) => Number(v.toPrecision(digits));
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

async function timed<T>(work: () => Promise<T> | T): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await work();
  return [value, Math.round(performance.now() - t0)];
}

/** Checks and times one exported architecture; never throws (a failure is its result). */
async function verify(
  engine: Engine,
  dir: string,
  arch: string,
  size: number,
  entry: ManifestEntry,
): Promise<ArchResult> {
  const file = (suffix: string) => new Uint8Array(readFileSync(join(dir, `${arch}.${suffix}`)));
  const r: ArchResult = {
    arch,
    size,
    status: 'import failed',
    imports: false,
    opset: entry.opset,
    onnxOps: entry.ops,
    onnxMB: round(entry.onnx_bytes / 2 ** 20),
    ortLogitRelErr: round(entry.ort_max_abs_diff / entry.max_abs_logit, 2),
    torchF32GradRelL2: entry.torch_f32_grad_rel_l2.map((v) => round(v, 2)),
  };
  let model: Model;
  try {
    const onnx = file('onnx');
    [{ model }, r.importMs] = await timed(() => modelFromOnnx(engine, onnx, { source: `${arch}.onnx`, name: arch }));
  } catch (e) {
    r.error = firstLine(e);
    return r;
  }
  r.imports = true;
  r.status = 'run failed';
  try {
    const input = readNpy(file('input.npy'));
    const want = readNpy(file('logits.npy'));
    const wantGrad = readNpy(file('grad.npy'));
    const x = Tensor.from(engine, input.data, input.shape);
    let logits: Float32Array;
    try {
      [logits, r.firstForwardMs] = await timed(async () => {
        const out = model.logits(x);
        const data = await out.download();
        out.dispose();
        return data;
      });
    } finally {
      x.dispose();
    }
    r.logitRelErr = round(maxAbsDiff(logits, want.data) / maxAbs(want.data), 2);

    const grad = () => explain(engine, model, input.data, { method: 'grad', target: entry.targets });
    const [g, firstGradMs] = await timed(grad);
    r.firstGradMs = firstGradMs;
    const d = wantGrad.data.length / entry.targets.length;
    r.gradRelL2PerImage = entry.targets.map((_, i) =>
      round(relL2(g.attribution.subarray(i * d, (i + 1) * d), wantGrad.data.subarray(i * d, (i + 1) * d)), 2),
    );
    r.gradRelL2 = Math.max(...r.gradRelL2PerImage);
    const bounds = (r.gradBoundPerImage = entry.torch_f32_grad_rel_l2.map((f) =>
      round(Math.max(GRAD_REL_L2, FLOOR_FACTOR * f), 2),
    ));
    const warm: number[] = [];
    for (let k = 0; k < (size <= 64 ? 3 : 1); k++) warm.push((await timed(grad))[1]);
    r.warmGradMs = median(warm);

    if (igSizes.includes(size)) {
      const one = input.data.subarray(0, d);
      const ig = () => explain(engine, model, one, { method: 'ig', steps: IG_STEPS, target: entry.targets[0] });
      await ig();
      const [e, ms] = await timed(ig);
      r.ig64Ms = ms;
      r.ig64CompletenessError = round(e.images[0]!.completenessError, 2);
    }
    const gradOk = r.gradRelL2PerImage.every((v, i) => v <= bounds[i]!);
    r.status = r.logitRelErr <= LOGIT_RTOL && gradOk ? 'ok' : 'mismatch';
    if (r.status === 'mismatch')
      r.error = `logits ${r.logitRelErr} (bound ${LOGIT_RTOL}), gradient rel. L2 ${r.gradRelL2PerImage.join(', ')} (bounds ${bounds.join(', ')})`;
  } catch (e) {
    r.error = firstLine(e);
  } finally {
    model.dispose();
  }
  return r;
}

/** Every method of SHOWCASE on image 0 of its architecture, warm timings (one untimed call first). */
async function showcase(engine: Engine) {
  const dir = join(FIXTURES, String(SHOWCASE.size));
  const target = 3;
  const input = readNpy(new Uint8Array(readFileSync(join(dir, `${SHOWCASE.arch}.input.npy`))));
  const d = input.data.length / input.shape[0]!;
  const one = input.data.subarray(0, d);
  const references = input.data.slice(d); // IG2's counterfactual reference: the other image
  const { model } = modelFromOnnx(engine, new Uint8Array(readFileSync(join(dir, `${SHOWCASE.arch}.onnx`))), {
    name: SHOWCASE.arch,
  });
  const runs = [];
  try {
    for (const name of SHOWCASE.methods) {
      const options =
        name === 'smoothgrad'
          ? { method: 'ig', steps: SHOWCASE.steps, target, smoothgrad: { samples: 4 } }
          : { method: name, steps: SHOWCASE.steps, target, methodOptions: name === 'ig2' ? { references } : undefined };
      try {
        await explain(engine, model, one, options);
        const [e, ms] = await timed(() => explain(engine, model, one, options));
        const im = e.images[0]!;
        runs.push({
          method: name === 'smoothgrad' ? 'smoothgrad(ig, 4 samples)' : name,
          steps: e.steps,
          ms,
          gradientEvaluations: e.gradientEvaluations,
          sum: round(im.sum, 4),
          fxMinusFStart: round(im.fx - im.fStart, 4),
          completenessError: round(im.completenessError, 2),
        });
        log(
          `  ${name}: ${ms} ms, Σ attribution ${im.sum.toFixed(4)} vs f(x) − f(x') ${(im.fx - im.fStart).toFixed(4)}`,
        );
      } catch (err) {
        runs.push({ method: name, error: firstLine(err) });
        log(`  ${name}: ${firstLine(err)}`);
      }
    }
  } finally {
    model.dispose();
  }
  return { arch: SHOWCASE.arch, size: SHOWCASE.size, image: 0, target, runs };
}

const engine = await createEngine();
const results: ArchResult[] = [];
const versions: Record<string, Omit<Manifest, 'architectures'>> = {};
try {
  for (const size of sizes) {
    const dir = join(FIXTURES, String(size));
    const manifestPath = join(dir, 'manifest.json');
    if (!existsSync(manifestPath)) {
      log(`no ${manifestPath}: run python3 scripts/torchvision-export.py --sizes ${size}`);
      continue;
    }
    const { architectures, ...meta } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
    versions[size] = meta;
    for (const [arch, entry] of Object.entries(architectures)) {
      if (archFilter && !archFilter.includes(arch)) continue;
      log(`${size} ${arch} …`);
      const r = await verify(engine, dir, arch, size, entry);
      log(
        `${size} ${arch}: ${r.status}${r.error ? ` (${r.error})` : ''}  logits ${r.logitRelErr}  grad ${r.gradRelL2}  import ${r.importMs} ms  first fwd ${r.firstForwardMs} ms  warm fwd+bwd ${r.warmGradMs} ms  IG-64 ${r.ig64Ms ?? '-'} ms`,
      );
      results.push(r);
    }
  }
  const show =
    sizes.includes(SHOWCASE.size) &&
    (!archFilter || archFilter.includes(SHOWCASE.arch)) &&
    existsSync(join(FIXTURES, String(SHOWCASE.size), `${SHOWCASE.arch}.onnx`));
  if (show) log(`methods on ${SHOWCASE.arch} at ${SHOWCASE.size}×${SHOWCASE.size}, ${SHOWCASE.steps} steps:`);
  const methods = show ? await showcase(engine) : null;
  console.log(
    JSON.stringify({
      runtime: 'node',
      adapter: {
        ...engine.adapter,
        note: 'SwiftShader (CPU Vulkan) via Dawn (npm webgpu) in Node, on a 2-core machine shared with other work: times swing by tens of %',
      },
      date: new Date().toISOString(),
      bounds: {
        logitRelErr: LOGIT_RTOL,
        gradRelL2: GRAD_REL_L2,
        note: `per image, the gradient bound is max(${GRAD_REL_L2}, ${FLOOR_FACTOR} × PyTorch float32's own error vs float64)`,
      },
      exports: versions,
      results,
      methods,
    }),
  );
} finally {
  engine.dispose();
}
