/**
 * Seeded fuzzing (issue #12): a few hundred random cases thrown at explain(), the file loaders
 * (.npy, .png, .onnx, .safetensors bytes, truncated, bit-flipped or garbage), mutated TF.js and
 * ONNX graphs (ops, inputs rewired into cycles, dtypes, shapes, attributes, huge folded
 * constants; issue #22) and the `explain` command in process. Every case must succeed (explain: finite output; the command: both output
 * files) or throw a PathlightError of one line naming the mutated option, flag or file. No case
 * may hang (per-case timeout), leave a pool buffer live, or leave a partial output file. Prints
 * the cases run by outcome.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/gpu/engine.js';
import { PathlightError } from '../src/errors.js';
import { seededRandom } from '../src/nn/init.js';
import { Tensor } from '../src/tensor/tensor.js';
import { cpuFunction, explain, type ExplainOptions } from '../src/index.js';
import { loadZooModel, modelFromOnnx, modelFromSafetensors } from '../src/models/load.js';
import type { Model } from '../src/nn/model.js';
import { readNpy, writeNpy } from '../src/models/npy.js';
import { decodePng, encodeGrayPng } from '../src/data/png.js';
import { parseFlags } from '../src/cli/flags.js';
import { explainCommand } from '../src/cli/explain-command.js';
import { parseExplainFlags } from '../src/cli/explain-flags.js';
import { readInput } from '../src/cli/inputs.js';
import { modelFromTfjs } from '../src/models/tfjs/load.js';
import { tinyOnnx, ints as onnxInts, type TinyModel } from './harness/onnx-build.js';
import { TinyGraph } from './harness/tfjs-graph.js';

const SEED = Number(process.env.PATHLIGHT_FUZZ_SEED ?? 12);
/** generous: a case's first use of a method compiles its kernels, on a shared CPU */
const CASE_TIMEOUT_MS = 90_000;
/** a whole command compiles LeNet's kernels on its own engine first */
const FULL_RUN_TIMEOUT_MS = 120_000;
const rand = seededRandom(SEED);
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;

type Outcome = 'ok' | 'refused' | 'FAILED';
const tally = new Map<string, number>();
const failures: string[] = [];
let engine: Engine;
let lenet: Model;
const dir = mkdtempSync(join(tmpdir(), 'pathlight-fuzz-'));

beforeAll(async () => {
  engine = await createEngine();
  lenet = await loadZooModel(engine, 'lenet');
});
afterAll(() => {
  lenet?.dispose();
  engine?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Run one case: `ok` when it returns and `check` accepts the result, `refused` when it throws a
 * one-line PathlightError that contains `names` (the mutated option, flag or file), FAILED otherwise.
 */
async function fuzzCase<T>(
  kind: string,
  label: string,
  names: string,
  run: () => Promise<T> | T,
  check: (r: T) => string | null = () => null,
  timeoutMs = CASE_TIMEOUT_MS,
): Promise<void> {
  await engine.sync();
  const live = engine.poolStats();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`hang: no answer in ${timeoutMs} ms`)), timeoutMs)),
  );
  let outcome: Outcome;
  let problem: string | null = null;
  try {
    problem = check(await Promise.race([Promise.resolve().then(run), hang]));
    outcome = problem ? 'FAILED' : 'ok';
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    if (!(e instanceof PathlightError))
      problem = `threw ${e instanceof Error ? e.name : typeof e}, not a PathlightError: ${m}`;
    else if (m.includes('\n')) problem = `message is not one line: ${JSON.stringify(m)}`;
    else if (!m.includes(names)) problem = `message does not name '${names}': ${m}`;
    outcome = problem ? 'FAILED' : 'refused';
  } finally {
    clearTimeout(timer);
  }
  const after = engine.poolStats();
  if (!problem && (after.liveBuffers !== live.liveBuffers || after.liveBytes !== live.liveBytes)) {
    problem = `${after.liveBuffers - live.liveBuffers} pool buffers left live`;
    outcome = 'FAILED';
  }
  if (problem) failures.push(`${kind} ${label}: ${problem}`);
  if (process.env.PATHLIGHT_FUZZ_VERBOSE) console.log(`${kind} ${outcome} ${label}${problem ? `: ${problem}` : ''}`);
  const key = `${kind} ${outcome}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

// ---------------------------------------------------------------- explain()

const METHODS = ['grad', 'gradxinput', 'ig', 'idgi', 'gig', 'gig-idgi', 'blurig', 'blurig-idgi'];
const finiteResult = (r: { attribution: Float32Array; images: { fx: number; sum: number }[] }) =>
  r.attribution.every(Number.isFinite) && r.images.every((im) => Number.isFinite(im.fx) && Number.isFinite(im.sum))
    ? null
    : 'non-finite output';

/** One option mutated away from a valid call: [option name the error must contain, the change]. */
function mutation(per: number, n: number): [string, Partial<ExplainOptions<string>>] {
  const bad = pick([0, -1, 1.5, NaN, Infinity, 1e9, '8', null, true]);
  switch (int(0, 11)) {
    case 0:
      return ['steps', { steps: rand() < 0.5 ? int(1, 12) : (bad as number) }];
    case 1:
      return [
        'rule',
        {
          rule: pick([
            'left',
            'right',
            'middle',
            'trapezoid',
            'gauss-legendre',
            'linspace',
            'simpson',
            '',
            'LEFT',
          ]) as ExplainOptions['rule'],
        },
      ];
    case 2:
      return ['output', { output: pick(['logit', 'prob', 'softmax', '']) as ExplainOptions['output'] }];
    case 3:
      return [
        'target',
        {
          target: pick([
            0,
            3,
            9,
            10,
            -1,
            2.5,
            [1, 2],
            new Array(n).fill(1),
            'x',
            true,
            NaN,
          ]) as ExplainOptions['target'],
        },
      ];
    case 4:
      return [
        'baseline',
        {
          baseline: pick([
            'black',
            'white',
            'uniform',
            'blur',
            'gray',
            new Float32Array(per),
            new Float32Array(per + 1),
            Float32Array.of(NaN),
            { blur: 2 },
            { blur: -1 },
            { blur: 1e9 },
          ]) as ExplainOptions['baseline'],
        },
      ];
    case 5:
      return [
        'smoothgrad',
        {
          smoothgrad: pick([
            true,
            { samples: int(1, 4) },
            { samples: 0 },
            { noiseLevel: Infinity },
            { noiseLevel: -0.1 },
            { magnitude: 'yes' },
            { samples: 2.5 },
          ]) as ExplainOptions['smoothgrad'],
        },
      ];
    case 6:
      return ['memoryBudgetBytes', { memoryBudgetBytes: pick([0, -5, NaN, Infinity, 1, 5000, 40_000, 1 << 20]) }];
    case 7:
      return ['seed', { seed: pick([0, 7, -3, NaN, Infinity, 1.5]) }];
    case 8:
      return [
        'maxSigma',
        {
          method: pick(['blurig', 'blurig-idgi']),
          baseline: undefined,
          methodOptions: { maxSigma: pick([0.5, 10, 50, 0, -1, 1e9, NaN, 1000]) },
        },
      ];
    case 9:
      return ['method', { method: pick(['IG', 'ig3', '', 'smoothgrad']) }];
    case 10:
      return [
        'fraction',
        { method: pick(['gig', 'gig-idgi']), methodOptions: { fraction: pick([0.1, 0.5, 0, 1.5, NaN, -1]) } },
      ];
    default:
      return ['checkFinite', { checkFinite: pick([true, false, 1, 'no']) as boolean }];
  }
}

/** An input for a subject of `shape`: valid (flat, shaped, a Tensor) or mutated (length, shape, NaN). */
function fuzzInput(
  shape: number[],
  n: number,
): [string, Float32Array | Tensor | { data: Float32Array; shape: number[] }] {
  const per = shape.reduce((a, b) => a * b, 1);
  const data = Float32Array.from({ length: n * per }, () => rand());
  switch (int(0, 7)) {
    case 0:
      return ['input', Float32Array.from({ length: n * per + int(1, per - 1 || 1) }, rand)];
    case 1:
      return ['input', Object.assign(data, { [int(0, data.length - 1)]: pick([NaN, Infinity, -Infinity]) })];
    case 2:
      return ['input', { data, shape: [n, ...shape].reverse() }];
    case 3:
      return ['input', { data, shape: [n, ...shape] }];
    case 4:
      return ['input', Tensor.from(engine, data, [n, ...shape])];
    case 5:
      return ['input', new Float32Array(0)];
    default:
      return ['input', data];
  }
}

async function explainCases(count: number): Promise<void> {
  const shapes = [[1, 6, 6], [2, 5, 7], [3, 4, 4], [6], [2, 9]];
  for (let k = 0; k < count; k++) {
    const shape = pick(shapes);
    const per = shape.reduce((a, b) => a * b, 1);
    const n = int(1, 3);
    const useLenet = k % 10 === 0;
    const subject = useLenet
      ? lenet
      : cpuFunction(
          (p, s) => {
            // f = Σ sin(x) + 0.1 Σ x²: smooth, finite, a gradient everywhere
            const rows = s[0]!;
            const f = new Float32Array(rows);
            const grad = new Float32Array(p.length);
            for (let r = 0; r < rows; r++)
              for (let j = 0; j < per; j++) {
                const v = p[r * per + j]!;
                f[r] = f[r]! + Math.sin(v) + 0.1 * v * v;
                grad[r * per + j] = Math.cos(v) + 0.2 * v;
              }
            return { f, grad };
          },
          { inputShape: shape, batchSize: int(1, 64) },
        );
    const inputShape = useLenet ? [1, 28, 28] : shape;
    const [inputName, input] =
      rand() < 0.3
        ? fuzzInput(inputShape, n)
        : ['', Float32Array.from({ length: n * inputShape.reduce((a, b) => a * b, 1) }, rand)];
    const [name, change] = inputName
      ? ['input', {}]
      : mutation(
          inputShape.reduce((a, b) => a * b, 1),
          n,
        );
    const options = { method: pick(METHODS), steps: int(1, 8), target: int(0, 9), ...change } as ExplainOptions;
    if (options.method.startsWith('blurig') && inputShape.length !== 3) Object.assign(options, { method: 'ig' });
    if (options.method.startsWith('blurig') && !('baseline' in change)) delete options.baseline;
    const names = name === 'maxSigma' || name === 'fraction' ? name : name;
    try {
      await fuzzCase(
        'explain',
        `${useLenet ? 'lenet' : `fn[${shape}]`} ${JSON.stringify(options, (_, v) => (v instanceof Float32Array ? `f32[${v.length}]` : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`,
        errorName(names, options),
        () => explain(engine, subject, input, options),
        finiteResult,
      );
    } finally {
      if (input instanceof Tensor) input.dispose();
    }
  }
}

/** What an error about the mutated option must contain (Blur IG refuses a baseline by its own name). */
function errorName(name: string, options: ExplainOptions): string {
  if (name === 'baseline' && options.method.startsWith('blurig')) return 'baseline';
  if (name === 'smoothgrad') return 'smoothgrad';
  return name;
}

// ---------------------------------------------------------------- loaders

function corrupt(bytes: Uint8Array): [string, Uint8Array] {
  const b = bytes.slice();
  switch (int(0, 4)) {
    case 0:
      return ['truncated', b.subarray(0, int(0, b.length - 1))];
    case 1: {
      for (let i = int(1, 8); i > 0; i--) b[int(0, Math.min(b.length - 1, 200))] ^= 1 << int(0, 7);
      return ['header bits flipped', b];
    }
    case 2: {
      for (let i = int(1, 16); i > 0; i--) b[int(0, b.length - 1)] = int(0, 255);
      return ['bytes replaced', b];
    }
    case 3:
      return ['garbage', Uint8Array.from({ length: int(0, 300) }, () => int(0, 255))];
    default: {
      const view = new DataView(b.buffer);
      view.setUint32(
        int(0, Math.min(b.length - 4, 40)),
        pick([0, 0xffffffff, 0x7fffffff, b.length, b.length * 2]),
        true,
      );
      return ['length field', b];
    }
  }
}

async function loaderCases(count: number): Promise<void> {
  const files = {
    npy: writeNpy(
      Float32Array.from({ length: 24 }, (_, i) => i / 24),
      [2, 3, 4],
    ),
    png: encodeGrayPng(
      Float32Array.from({ length: 64 }, (_, i) => i / 64),
      8,
      8,
    ),
    onnx: new Uint8Array(readFileSync('test/fixtures/mlp.onnx')),
    safetensors: new Uint8Array(readFileSync('assets/models/lenet-mnist.safetensors')),
  };
  for (let k = 0; k < count; k++) {
    const format = pick(['npy', 'png', 'onnx', 'safetensors'] as const);
    const [how, bytes] = corrupt(files[format]);
    const source = `fuzz-${k}.${format}`;
    const load = (): unknown => {
      if (format === 'npy') return readNpy(bytes);
      if (format === 'png') return decodePng(bytes, { channels: pick([1, 3]), source });
      if (format === 'onnx') return modelFromOnnx(engine, bytes, { source }).model.dispose();
      return modelFromSafetensors(engine, bytes, { source }).dispose();
    };
    await fuzzCase(`load .${format}`, `${how} (${bytes.length} bytes)`, format === 'npy' ? 'npy' : source, load);
  }
}

// ---------------------------------------------------------------- mutated graphs

/** A small conv net as TF.js: conv → relu → mean → dense → softmax. */
function tfjsBase(): TinyGraph {
  const g = new TinyGraph(int(1, 1000));
  const c = g.op('Conv2D', 'conv', [g.input([4, 4, 2]), g.const('conv/w', [3, 3, 2, 3])], {
    data_format: 'NHWC',
    dilations: [1, 1, 1, 1],
    strides: [1, 1, 1, 1],
    padding: 'SAME',
  });
  const m = g.op('Mean', 'gap', [g.op('Relu', 'relu', [c]), g.ints('gap/axes', [1, 2])], { keep_dims: false });
  g.op('Softmax', 'prob', [g.op('MatMul', 'dense', [m, g.const('dense/w', [3, 4])], {})]);
  return g;
}

const WEIRD_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', '', 'Relu', 'Cumsum'];
const HUGE = [-1, 0, 2.5, 1e9, 3e9, 2 ** 53, NaN];

async function tfjsCases(count: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    const { json, bytes } = tfjsBase().build();
    const nodes = json.modelTopology.node;
    const node = pick(nodes);
    const weight = pick(json.weightsManifest[0]!.weights);
    const source = `fuzz-${k}.json`;
    let shard = bytes;
    let how: string;
    switch (int(0, 8)) {
      case 0:
        how = `op of ${node.name} → ${(node.op = pick(WEIRD_NAMES))}`;
        break;
      case 1:
        how = `${node.name} reads ${(node.input = [pick(nodes).name, ...(node.input ?? []).slice(1)])[0]}`;
        break;
      case 2:
        how = `dtype of ${weight.name} → ${(weight.dtype = pick([...WEIRD_NAMES, 'float64', 'int32', 'uint8', 'bool']))}`;
        break;
      case 3:
        how = `shape of ${weight.name} → ${JSON.stringify((weight.shape = pick([[pick(HUGE)], [1e5, 1e5], [], 'x' as unknown as number[], [3, 3, 2, pick(HUGE)]])))}`;
        break;
      case 4: {
        const key = pick(['strides', 'padding', 'ksize', 'dilations', 'keep_dims', 'transpose_b', 'data_format']);
        node.attr = {
          ...node.attr,
          [key]: pick([
            { list: { i: [String(pick(HUGE)), '1', '1', '1'] } },
            { s: btoa(pick(WEIRD_NAMES)) },
            { b: true },
            { list: {} },
          ]),
        };
        how = `attr ${key} of ${node.name}`;
        break;
      }
      case 5:
        how = `input dims → ${(nodes[0]!.attr!.shape!.shape!.dim = [-1, pick(HUGE), 4, 2].map((d) => ({ size: String(d) }))).map((d) => d.size).join()}`;
        break;
      case 6:
        weight.quantization = {
          dtype: pick(['uint8', 'uint16']),
          scale: pick([NaN, 1e38, 1e-3, -1]),
          min: pick([0, Infinity, -1]),
        };
        how = `quantised ${weight.name}`;
        break;
      case 7:
        shard = corrupt(bytes)[1];
        how = 'shard bytes corrupted';
        break;
      default:
        how = `a Pad of ${pick(HUGE)}`;
        {
          const pads = { name: 'pads', op: 'Const', attr: { dtype: { type: 'DT_INT32' } } };
          nodes.push(pads, { name: 'pad', op: 'Pad', input: ['relu', 'pads'] });
          nodes.find((n) => n.name === 'gap')!.input![0] = 'pad';
          json.weightsManifest[0]!.weights.push({ name: 'pads', shape: [4, 2], dtype: 'int32' });
          const p = new Int32Array([0, 0, 0, HUGE[int(0, HUGE.length - 1)]! | 0 || 1e9, 0, 0, 0, 0]);
          shard = new Uint8Array([...bytes, ...new Uint8Array(p.buffer)]);
        }
    }
    await fuzzCase('tfjs', how, source, () => modelFromTfjs(engine, json, shard, { source }).model.dispose());
  }
}

/** A small conv net as ONNX, with the shape plumbing exporters emit (Shape → Gather → Concat → Reshape). */
function onnxBase(): TinyModel {
  const w = (name: string, shape: number[]) => ({
    name,
    shape,
    data: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() - 0.5),
  });
  return {
    inputs: [{ name: 'x', shape: ['N', 2, 4, 4] }],
    outputs: ['y'],
    initializers: [
      w('conv.weight', [3, 2, 3, 3]),
      w('fc.weight', [4, 48]),
      { name: 'zero', shape: [1], data: [0], type: 7 },
      { name: 'flat', shape: [1], data: [-1], type: 7 },
    ],
    nodes: [
      {
        op: 'Conv',
        name: 'conv',
        inputs: ['x', 'conv.weight'],
        outputs: ['c'],
        attrs: [onnxInts('pads', [1, 1, 1, 1])],
      },
      { op: 'Relu', name: 'relu', inputs: ['c'], outputs: ['r'] },
      { op: 'Shape', name: 'shape', inputs: ['r'], outputs: ['s'] },
      { op: 'Gather', name: 'batch', inputs: ['s', 'zero'], outputs: ['n'] },
      { op: 'Concat', name: 'target', inputs: ['n', 'flat'], outputs: ['t'], attrs: [{ name: 'axis', type: 2, i: 0 }] },
      { op: 'Reshape', name: 'view', inputs: ['r', 't'], outputs: ['v'] },
      {
        op: 'Gemm',
        name: 'fc',
        inputs: ['v', 'fc.weight'],
        outputs: ['g'],
        attrs: [{ name: 'transB', type: 2, i: 1 }],
      },
      { op: 'Softmax', name: 'prob', inputs: ['g'], outputs: ['y'] },
    ],
  };
}

async function onnxCases(count: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    const m = onnxBase();
    const node = pick(m.nodes);
    const init = pick(m.initializers!);
    const source = `fuzz-${k}.onnx`;
    let how: string;
    switch (int(0, 6)) {
      case 0:
        how = `op of ${node.name} → ${(node.op = pick([...WEIRD_NAMES, 'Expand', 'Range', 'ConstantOfShape', 'Pad', 'Identity']))}`;
        break;
      case 1:
        how = `${node.name} reads ${(node.inputs[0] = pick([...m.nodes.flatMap((n) => n.outputs), 'x', 'nowhere']))}`;
        break;
      case 2:
        how = `dims of ${init.name} → ${JSON.stringify((init.shape = [pick(HUGE) | 0 || 7, ...init.shape.slice(1)]))}`;
        break;
      case 3: {
        const key = pick(['pads', 'strides', 'axis', 'transB', 'kernel_shape', 'dilations', 'group']);
        node.attrs = [
          ...(node.attrs ?? []).filter((a) => a.name !== key),
          rand() < 0.5 ? onnxInts(key, [pick(HUGE) | 0, 1, 1, 1]) : { name: key, type: 2, i: pick(HUGE) | 0 },
        ];
        how = `attr ${key} of ${node.name}`;
        break;
      }
      case 4: {
        // a folded constant that asks for a huge tensor: Expand / ConstantOfShape / Range on int64 sizes
        const op = pick(['Expand', 'ConstantOfShape', 'Range']);
        const size = pick([3e9, 2e4, -5, 1e15, 48]);
        m.initializers!.push(
          { name: 'big', shape: [2], data: [1, size], type: 7 },
          { name: 'one', shape: [], data: [1], type: 7 },
        );
        m.nodes.splice(
          5,
          0,
          op === 'Range'
            ? { op, name: 'huge', inputs: ['one', 'big', 'one'], outputs: ['h'] }
            : { op, name: 'huge', inputs: op === 'Expand' ? ['one', 'big'] : ['big'], outputs: ['h'] },
        );
        m.nodes.find((n) => n.name === 'view')!.inputs[1] = pick(['h', 't']);
        how = `${op} to ${size}`;
        break;
      }
      case 5:
        how = `input dims → ${(m.inputs[0]!.shape = ['N', 2, pick(HUGE) | 0, 4]).join()}`;
        break;
      default:
        how = `${node.name} reads its own output`;
        node.inputs[0] = node.outputs[0]!;
    }
    await fuzzCase('onnx', how, source, () => modelFromOnnx(engine, tinyOnnx(m), { source }).model.dispose());
  }
}

// ---------------------------------------------------------------- the explain command

const FLAG_VALUES: Record<string, () => string> = {
  method: () => pick(['ig', 'idgi', 'grad', 'smoothgrad:grad', 'blurig', 'gig', 'IG', '']),
  steps: () => pick(['2', '4', '0', '0x4', '1e1', '-2', '', '1000000000', '3.5']),
  target: () => pick(['auto', '3', '10', '-1', '0x3', '1e0', '', 'seven']),
  rule: () => pick(['left', 'trapezoid', 'simpson']),
  output: () => pick(['logit', 'prob', 'softmax']),
  baseline: () => pick(['black', 'white', 'blur', 'gray', 'missing.npy']),
  layout: () => pick(['nchw', 'nhwc', 'NHWC']),
  dataset: () => pick(['mnist', 'fashion-mnist', 'cifar']),
  stepz: () => '8',
  input: () => pick(['sample:1', 'sample:x', 'sample:99', 'nofile.png', 'bad.npy', 'hwc.npy']),
};

/**
 * Random flag mutations of a valid command line: parsed and its input read in process (no GPU);
 * the first few that pass run the whole command, which must write both outputs or nothing.
 */
async function commandCases(count: number, fullRuns: number): Promise<void> {
  writeFileSync(join(dir, 'bad.npy'), corrupt(writeNpy(new Float32Array(784), [1, 1, 28, 28]))[1]);
  writeFileSync(join(dir, 'hwc.npy'), writeNpy(new Float32Array(784).fill(0.5), [28, 28, 1]));
  const log = console.log;
  for (let k = 0; k < count; k++) {
    const out = join(dir, `out-${k}`);
    const flag = pick(Object.keys(FLAG_VALUES));
    const value = FLAG_VALUES[flag]!();
    const args = ['--model', 'lenet', '--input', 'sample:0', '--steps', '2', '--out', join(out, 'r.png')];
    const at = args.indexOf(`--${flag}`);
    const withPath = (v: string) => (v.endsWith('.npy') || v.endsWith('.png') ? join(dir, v) : v);
    if (at >= 0) args[at + 1] = withPath(value);
    else args.push(`--${flag}`, withPath(value));
    const written = () => (readdirSync(dir).includes(`out-${k}`) ? readdirSync(out).sort() : []);
    let full = false;
    await fuzzCase(
      'cli',
      args.join(' ').replaceAll(dir, '…'),
      value.endsWith('.npy') || value.endsWith('.png') ? value : `--${flag}`,
      async () => {
        const req = parseExplainFlags(parseFlags(args));
        readInput(req.input, lenet, req.dataset, req.layout);
        if (!(full = fullRuns-- > 0)) return;
        console.log = () => {};
        try {
          await explainCommand(parseFlags(args));
        } catch (e) {
          if (written().length) throw new Error(`a failed command left ${written().join(', ')}`);
          throw e;
        } finally {
          console.log = log;
        }
      },
      () => (!full || written().join() === 'r.npy,r.png' ? null : `wrote ${written().join(', ') || 'nothing'}`),
      fullRuns > 0 ? FULL_RUN_TIMEOUT_MS : CASE_TIMEOUT_MS,
    );
  }
}

const summary = (kind: string) =>
  [...tally]
    .filter(([k]) => k.startsWith(kind))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const timed = async (kind: string, work: () => Promise<void>) => {
  const t0 = performance.now();
  await work();
  console.log(`fuzz (seed ${SEED}) ${kind}: ${summary(kind)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
};

it(
  `fuzz (seed ${SEED}): explain(), loaders, mutated TF.js / ONNX graphs and the explain command answer every case`,
  { timeout: 240_000 },
  async () => {
    await timed('explain', () => explainCases(Number(process.env.PATHLIGHT_FUZZ_EXPLAIN ?? 120)));
    await timed('load', () => loaderCases(200));
    await timed('tfjs', () => tfjsCases(80));
    await timed('onnx', () => onnxCases(80));
    await timed('cli', () => commandCases(60, 2));
    const total = [...tally.values()].reduce((a, b) => a + b, 0);
    console.log(
      `fuzz: ${total} cases (seed ${SEED}): ${[...tally]
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    );
    for (const f of failures.slice(0, 20)) console.log(`fuzz FAILED: ${f}`);
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
  },
);
