/**
 * Static shape inference over a graph, per input row (no batch dim): validates a model before it
 * runs. Activations are [features], [C, L] (1-D conv / pooling, run as planes of height 1, see
 * planes.ts) or [C, H, W]. Each kind's rule is its `shape` in the node table (layers.ts).
 */
import { PathlightError, shapeStr } from '../errors.js';
import { nodeInputs } from './graph.js';
import { nodeKind } from './layers.js';
import type { GraphNode, ShapeArgs } from './node.js';
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

export function inferShapes(
  nodes: readonly GraphNode[],
  params: ReadonlyMap<string, readonly number[]>,
  inputShape: readonly number[],
): number[][] {
  const shapes: number[][] = [[...inputShape]];
  for (let i = 1; i < nodes.length; i++) {
    try {
      const n = nodes[i]!;
      shapes.push(
        nodeKind(n).shape(
          n,
          shapeArgs(
            n,
            i,
            nodeInputs(n).map((j) => shapes[j]!),
            params,
          ),
        ),
      );
    } catch (e) {
      if (e instanceof PathlightError && !(e instanceof GraphShapeError)) throw new GraphShapeError(i, e.message);
      throw e;
    }
  }
  return shapes;
}

function shapeArgs(
  n: GraphNode,
  index: number,
  inputs: number[][],
  params: ReadonlyMap<string, readonly number[]>,
): ShapeArgs {
  const [x, second] = inputs;
  const fail = (message: string): never => {
    throw new GraphShapeError(index, `graph: ${message}`);
  };
  const unitH = (what: string, problem: string) =>
    `1-D ${what} '${n.name}' on ${shapeStr(x!)} must have unit H-axis parameters (kernel [1, K], padding [0, P]); ${problem}`;
  return {
    index,
    x: x! as readonly number[],
    second: second as readonly number[] | undefined,
    inputs: inputs as readonly (readonly number[])[],
    fail,
    unitH,
    param: (name: string): readonly number[] => params.get(name) ?? fail(`parameter '${name}' is missing`),
    planar: (what: string) => {
      if (x!.length !== 2 && x!.length !== 3)
        fail(`${what} '${n.name}' needs a [C, L] or [C, H, W] input, gets ${shapeStr(x!)}`);
      const oneD = x!.length === 2;
      return {
        batch: planeShape([1, ...x!]),
        out: (s: number[]) => {
          if (oneD && s[2] !== 1) fail(unitH(what, `its output would be ${s[2]} rows high`));
          return oneD ? [s[1]!, s[3]!] : s.slice(1);
        },
      };
    },
  };
}
