/** Static shape inference over a graph, per image (no batch dim): validates a model before it runs. */
import { fail, shapeStr } from '../gpu/errors.js';
import { conv2dOutputShape } from '../ops/conv2d.js';
import { pool2dOutputShape } from '../ops/pool2d.js';
import { nodeInputs, type GraphNode } from './graph.js';

export function inferShapes(nodes: readonly GraphNode[], params: ReadonlyMap<string, readonly number[]>, inputShape: readonly number[]): number[][] {
  const shapes: number[][] = [[...inputShape]];
  const paramShape = (name: string): readonly number[] => {
    const s = params.get(name);
    if (!s) fail(`graph: parameter '${name}' is missing`);
    return s;
  };
  for (let i = 1; i < nodes.length; i++) {
    const n = nodes[i]!;
    const [x, second] = nodeInputs(n).map((j) => shapes[j]!);
    const withBatch = [1, ...x!];
    let out: number[];
    switch (n.kind) {
      case 'input':
        fail(`graph: node ${i} is a second input`);
      case 'conv2d':
        out = conv2dOutputShape(withBatch, paramShape(n.weight), n.params).slice(1);
        if (second && shapeStr(second) !== shapeStr(out)) fail(`graph: residual of '${n.name}' has shape ${shapeStr(second)}, conv output is ${shapeStr(out)}`);
        break;
      case 'linear': {
        const w = paramShape(n.weight);
        const features = x!.reduce((a, b) => a * b, 1);
        if (x!.length !== 1 || w[1] !== features) fail(`graph: linear '${n.name}' expects ${w[1]} input features, gets shape ${shapeStr(x!)}`);
        out = [w[0]!];
        break;
      }
      case 'maxpool':
      case 'avgpool':
        out = pool2dOutputShape(withBatch, n.params).slice(1);
        break;
      case 'gap':
        out = [x![0]!];
        break;
      case 'flatten':
        out = [x!.reduce((a, b) => a * b, 1)];
        break;
      case 'add':
        if (shapeStr(x!) !== shapeStr(second!)) fail(`graph: add '${n.name}' joins shapes ${shapeStr(x!)} and ${shapeStr(second!)}`);
        out = [...x!];
        break;
      case 'batchnorm':
        if (paramShape(`${n.prefix}.weight`)[0] !== x![0]) fail(`graph: batchnorm '${n.name}' has ${paramShape(`${n.prefix}.weight`)[0]} channels, input has ${x![0]}`);
        out = [...x!];
        break;
      default:
        out = [...x!];
    }
    shapes.push(out);
  }
  return shapes;
}
