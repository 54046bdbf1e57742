/**
 * The model zoo: small image classifiers as graphs, with PyTorch-style parameter names so weights
 * trained in PyTorch (or by `npm run train`) load by name. Batch norms stay separate nodes here
 * (training needs them); `fuseModel` / `foldModelBatchNorm` fold them away for inference.
 *
 * Parameter names (every conv/linear has `.weight`, and `.bias` unless noted; every BN prefix has
 * `.weight .bias .running_mean .running_var`):
 * - lenet (1×28×28, MNIST): conv1, conv2, fc1, fc2, fc3.
 * - vgg (3×32×32): features.{0,2,5,7,10,12} (3×3 convs), classifier.0 (1024→128), classifier.2 (128→10).
 * - resnet (3×32×32): conv1 (no bias), bn1; layer{1,2,3}.{0,1}.conv1/.bn1/.conv2/.bn2 (convs without
 *   bias); layer{2,3}.0.downsample.0 (1×1 stride-2 conv, no bias) and .downsample.1 (BN); fc.
 * - mobilenet (3×32×32): conv1 (no bias), bn1; layers.{0..4}.conv1 (depthwise 3×3, no bias), .bn1,
 *   .conv2 (pointwise 1×1, no bias), .bn2; fc.
 */
import { PathlightError } from '../errors.js';
import { CLASS_NAMES, type DatasetName } from '../data/classes.js';
import { GraphBuilder } from '../nn/graph.js';
import { initParameters } from '../nn/init.js';
import type { ModelInfo } from '../nn/model.js';
import type { ModelSpec } from './fuse.js';

export const ZOO_NAMES = ['lenet', 'vgg', 'resnet', 'mobilenet'] as const;
export type ZooName = (typeof ZOO_NAMES)[number];

export interface ZooGraph {
  builder: GraphBuilder;
  info: ModelInfo;
}

export interface ZooEntry {
  /** the dataset its bundled weights are trained on */
  dataset: DatasetName;
  description: string;
  build: () => ZooGraph;
}

function info(
  name: string,
  inputShape: [number, number, number],
  representationNode: number,
  dataset: DatasetName,
): ModelInfo {
  return { name, inputShape, numClasses: 10, representationNode, classNames: CLASS_NAMES[dataset], inputRange: [0, 1] };
}

function lenet(): ZooGraph {
  const g = new GraphBuilder();
  let h = g.conv2d('conv1', 0, 1, 6, 5, { padding: 2, relu: true });
  h = g.maxPool('pool1', h, { kernel: 2 });
  h = g.conv2d('conv2', h, 6, 16, 5, { relu: true });
  h = g.maxPool('pool2', h, { kernel: 2 });
  h = g.flatten('flatten', h);
  h = g.linear('fc1', h, 16 * 5 * 5, 120, { relu: true });
  const rep = g.linear('fc2', h, 120, 84, { relu: true });
  g.linear('fc3', rep, 84, 10);
  return { builder: g, info: info('lenet', [1, 28, 28], rep, 'mnist') };
}

/** torchvision-style indices: conv, relu, conv, relu, pool per block (15 `features` entries). */
function vgg(): ZooGraph {
  const g = new GraphBuilder();
  let h = 0;
  let inC = 3;
  let index = 0;
  for (const c of [16, 32, 64]) {
    for (let k = 0; k < 2; k++) {
      h = g.conv2d(`features.${index}`, h, inC, c, 3, { padding: 1, relu: true });
      inC = c;
      index += 2;
    }
    h = g.maxPool(`features.${index}`, h, { kernel: 2 });
    index += 1;
  }
  h = g.flatten('flatten', h);
  const rep = g.linear('classifier.0', h, 64 * 4 * 4, 128, { relu: true });
  g.linear('classifier.2', rep, 128, 10);
  return { builder: g, info: info('vgg', [3, 32, 32], rep, 'fashion-mnist') };
}

/** conv → BN (+relu), the unit every residual and depthwise block is made of. */
function convBn(
  g: GraphBuilder,
  conv: string,
  bn: string,
  input: number,
  inC: number,
  outC: number,
  k: number,
  opts: { stride?: number; groups?: number; relu: boolean },
): number {
  const h = g.conv2d(conv, input, inC, outC, k, {
    stride: opts.stride ?? 1,
    padding: (k - 1) / 2,
    groups: opts.groups,
    bias: false,
  });
  return g.batchNorm(bn, h, outC, { relu: opts.relu });
}

function basicBlock(g: GraphBuilder, prefix: string, x: number, inC: number, outC: number, stride: number): number {
  let h = convBn(g, `${prefix}.conv1`, `${prefix}.bn1`, x, inC, outC, 3, { stride, relu: true });
  h = convBn(g, `${prefix}.conv2`, `${prefix}.bn2`, h, outC, outC, 3, { relu: false });
  const shortcut =
    stride !== 1 || inC !== outC
      ? convBn(g, `${prefix}.downsample.0`, `${prefix}.downsample.1`, x, inC, outC, 1, { stride, relu: false })
      : x;
  return g.add(`${prefix}.add`, h, shortcut, { relu: true });
}

function resnet(): ZooGraph {
  const g = new GraphBuilder();
  let h = convBn(g, 'conv1', 'bn1', 0, 3, 16, 3, { relu: true });
  let inC = 16;
  [16, 32, 64].forEach((c, stage) => {
    for (let b = 0; b < 2; b++) {
      h = basicBlock(g, `layer${stage + 1}.${b}`, h, inC, c, stage > 0 && b === 0 ? 2 : 1);
      inC = c;
    }
  });
  const rep = g.globalAvgPool('avgpool', h);
  g.linear('fc', rep, 64, 10);
  return { builder: g, info: info('resnet', [3, 32, 32], rep, 'fashion-mnist') };
}

/** [output channels, stride] of each depthwise-separable block (32×32 → 8×8). */
const MOBILENET_BLOCKS: readonly [number, number][] = [
  [32, 1],
  [64, 2],
  [64, 1],
  [128, 2],
  [128, 1],
];

function mobilenet(): ZooGraph {
  const g = new GraphBuilder();
  let h = convBn(g, 'conv1', 'bn1', 0, 3, 16, 3, { relu: true });
  let inC = 16;
  MOBILENET_BLOCKS.forEach(([c, stride], i) => {
    h = convBn(g, `layers.${i}.conv1`, `layers.${i}.bn1`, h, inC, inC, 3, { stride, groups: inC, relu: true });
    h = convBn(g, `layers.${i}.conv2`, `layers.${i}.bn2`, h, inC, c, 1, { relu: true });
    inC = c;
  });
  const rep = g.globalAvgPool('avgpool', h);
  g.linear('fc', rep, inC, 10);
  return { builder: g, info: info('mobilenet', [3, 32, 32], rep, 'fashion-mnist') };
}

export const ZOO: Readonly<Record<ZooName, ZooEntry>> = {
  lenet: { dataset: 'mnist', description: 'LeNet-5, 1×28×28 (MNIST)', build: lenet },
  vgg: { dataset: 'fashion-mnist', description: 'VGG-style, 3 blocks of 2 convs (16/32/64), 3×32×32', build: vgg },
  resnet: {
    dataset: 'fashion-mnist',
    description: 'ResNet, 3 stages × 2 basic blocks (16/32/64), 3×32×32',
    build: resnet,
  },
  mobilenet: {
    dataset: 'fashion-mnist',
    description: 'MobileNet-style depthwise-separable CNN, 3×32×32',
    build: mobilenet,
  },
};

export function isZooName(name: string): name is ZooName {
  return (ZOO_NAMES as readonly string[]).includes(name);
}

/** The zoo entry for `name`, or a PathlightError listing the names. */
export function zooEntry(name: string): ZooEntry {
  if (!isZooName(name)) throw new PathlightError(`unknown zoo model '${name}' (available: ${ZOO_NAMES.join(', ')})`);
  return ZOO[name];
}

/** The graph of a zoo model (batch norms as separate nodes, as trained). */
export function zooGraph(name: string): ZooGraph {
  return zooEntry(name).build();
}

/** A zoo model as a CPU spec with the given parameter values (seeded PyTorch-style init when omitted). */
export function zooSpec(name: string, values?: ModelSpec['params'], seed = 1): ModelSpec {
  const { builder, info } = zooGraph(name);
  if (values) checkParameters(name, builder.paramShapes, values);
  return { nodes: builder.nodes.map((n) => ({ ...n })), params: values ?? initParameters(builder, seed), info };
}

/** Names and shapes of `values` must be exactly the graph's: a clear error for each kind of mismatch. */
export function checkParameters(
  model: string,
  expected: ReadonlyMap<string, readonly number[]>,
  values: ModelSpec['params'],
): void {
  const unknown = [...values.keys()].filter((k) => !expected.has(k));
  if (unknown.length)
    throw new PathlightError(
      `model ${model}: unknown parameter(s) ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''} (expected names like ${[...expected.keys()].slice(0, 4).join(', ')})`,
    );
  const missing = [...expected.keys()].filter((k) => !values.has(k));
  if (missing.length)
    throw new PathlightError(
      `model ${model}: weights are missing parameter(s) ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`,
    );
  for (const [k, shape] of expected) {
    const got = values.get(k)!.shape;
    if (got.length !== shape.length || got.some((d, i) => d !== shape[i]))
      throw new PathlightError(
        `model ${model}: parameter '${k}' has shape [${got.join(', ')}], expected [${shape.join(', ')}]`,
      );
  }
}
