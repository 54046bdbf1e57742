/**
 * Static shape inference over a graph, per input row (no batch dim): validates a model before it
 * runs. Activations are [features], [C, L] (1-D conv / pooling, run as planes of height 1, see
 * planes.ts) or [C, H, W].
 */
import { intPair, PathlightError, shapeStr } from '../gpu/errors.js';
import { conv2dOutputShape } from '../ops/conv2d.js';
import { pool2dOutputShape } from '../ops/pool2d.js';
import { nodeInputs, type GraphNode } from './graph.js';
import { planeShape } from './planes.js';

/** A shape error, with the index of the node it is about (the ONNX importer names its op). */
export class GraphShapeError extends PathlightError {
  constructor(
    readonly node: number,
    message: string,
  ) {
    super(message);
    this.name = 'GraphShapeError';
  }
}

export function inferShapes(nodes: readonly GraphNode[], params: ReadonlyMap<string, readonly number[]>, inputShape: readonly number[]): number[][] {
  const shapes: number[][] = [[...inputShape]];
  for (let i = 1; i < nodes.length; i++) {
    try {
      shapes.push(nodeShape(nodes[i]!, i, nodeInputs(nodes[i]!).map((j) => shapes[j]!), params));
    } catch (e) {
      if (e instanceof PathlightError && !(e instanceof GraphShapeError)) throw new GraphShapeError(i, e.message);
      throw e;
    }
  }
  return shapes;
}

function nodeShape(n: GraphNode, i: number, [x, second]: number[][], params: ReadonlyMap<string, readonly number[]>): number[] {
  const fail = (message: string): never => {
    throw new GraphShapeError(i, `graph: ${message}`);
  };
  const paramShape = (name: string): readonly number[] => params.get(name) ?? fail(`parameter '${name}' is missing`);
  const unitH = (what: string, problem: string) => `1-D ${what} '${n.name}' on ${shapeStr(x!)} must have unit H-axis parameters (kernel [1, K], padding [0, P]); ${problem}`;
  /** conv / pooling input: [C, H, W], or [C, L] as one plane of height 1 (the result drops H again) */
  const planar = (what: string): { batch: number[]; out: (s: number[]) => number[] } => {
    if (x!.length !== 2 && x!.length !== 3) fail(`${what} '${n.name}' needs a [C, L] or [C, H, W] input, gets ${shapeStr(x!)}`);
    const oneD = x!.length === 2;
    return {
      batch: planeShape([1, ...x!]),
      out: (s) => {
        if (oneD && s[2] !== 1) fail(unitH(what, `its output would be ${s[2]} rows high`));
        return oneD ? [s[1]!, s[3]!] : s.slice(1);
      },
    };
  };
  switch (n.kind) {
    case 'input':
      return fail(`node ${i} is a second input`);
    case 'conv2d': {
      const p = planar('conv');
      const w = paramShape(n.weight);
      if (w.length !== x!.length + 1) fail(`conv '${n.name}' on ${shapeStr(x!)} needs a rank-${x!.length + 1} weight, has ${shapeStr(w)}`);
      const out = p.out(conv2dOutputShape(p.batch, planeShape(w), n.params));
      if (second && shapeStr(second) !== shapeStr(out)) fail(`residual of '${n.name}' has shape ${shapeStr(second)}, conv output is ${shapeStr(out)}`);
      return out;
    }
    case 'linear': {
      const w = paramShape(n.weight);
      if (x!.length !== 1) fail(`linear '${n.name}' needs [features] per row, gets ${shapeStr(x!)} (flatten first; a linear over the last axis only is not supported)`);
      if (w[1] !== x![0]) fail(`linear '${n.name}' expects ${w[1]} input features, gets shape ${shapeStr(x!)}`);
      return [w[0]!];
    }
    case 'maxpool':
    case 'avgpool': {
      const p = planar('pooling');
      if (x!.length === 2) {
        const [kh] = intPair('pooling', 'kernel', n.params.kernel, [1, 1], 1);
        const [ph] = intPair('pooling', 'padding', n.params.padding, [0, 0], 0);
        if (kh !== 1 || ph !== 0) fail(unitH('pooling', `has kernel ${JSON.stringify(n.params.kernel)}, padding ${JSON.stringify(n.params.padding ?? 0)}`));
      }
      return p.out(pool2dOutputShape(p.batch, n.params));
    }
    case 'gap':
      planar('global average pooling');
      return [x![0]!];
    case 'flatten':
      return [x!.reduce((a, b) => a * b, 1)];
    case 'add':
      if (shapeStr(x!) !== shapeStr(second!)) fail(`add '${n.name}' joins shapes ${shapeStr(x!)} and ${shapeStr(second!)}`);
      return [...x!];
    case 'batchnorm':
      if (paramShape(`${n.prefix}.weight`)[0] !== x![0]) fail(`batchnorm '${n.name}' has ${paramShape(`${n.prefix}.weight`)[0]} channels, input has ${x![0]}`);
      return [...x!];
    case 'softmax':
      if (x!.length !== 1) fail(`softmax '${n.name}' needs [classes] per row, gets ${shapeStr(x!)}`);
      return [...x!];
    case 'relu':
      return [...x!];
  }
}
