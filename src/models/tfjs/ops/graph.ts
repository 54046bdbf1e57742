/** TF.js graph plumbing: Const (a weight), Placeholder (the graph input), and the pass-throughs Identity / StopGradient / Snapshot. */
import type { TfjsNode } from '../format.js';
import { TfjsFreeInputSizesError, type TfjsImportState, type TfjsOp, type Value } from '../state.js';

function placeholder(s: TfjsImportState, n: TfjsNode, where: string): Value {
  if (s.g.nodes.length > 1 || s.values.size > 0) s.fail(`${where}: a second graph input; exactly one is supported`);
  const dims = (n.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size ?? -1));
  let row = dims.slice(1);
  const given = s.givenInput;
  if (given) {
    const tfRow = given.length === 3 ? [given[1]!, given[2]!, given[0]!] : [...given];
    if (
      tfRow.length !== row.length ||
      tfRow.some((d, i) => !(Number.isSafeInteger(d) && d > 0) || (row[i]! > 0 && row[i] !== d))
    ) {
      s.fail(
        `${where}: inputShape [${given.join(', ')}] does not fit the input shape [${dims.join(', ')}] (give [C, H, W] or [D], with the fixed sizes as declared)`,
      );
    }
    row = tfRow;
  }
  if ((dims.length === 2 || dims.length === 4) && row.every((d) => d > 0 || d === -1) && row.some((d) => d === -1)) {
    const declared = row.length === 3 ? [-1, row[2]!, row[0]!, row[1]!] : [-1, ...row];
    throw new TfjsFreeInputSizesError(
      s.source,
      `${where}: input shape [${dims.join(', ')}] has free sizes after N: fix them with inputShape / --input-shape (C,H,W or D; here ${declared
        .slice(1)
        .map((d) => (d > 0 ? d : 'S'))
        .join(',')})`,
      declared,
    );
  }
  if ((dims.length !== 2 && dims.length !== 4) || row.some((d) => !(d > 0))) {
    s.fail(
      `${where}: input shape [${dims.join(', ')}]; expected [N, H, W, C] or [N, D] with fixed sizes after N${row.some((d) => d < 0) ? ' (fix the free ones with inputShape / --input-shape)' : ''}`,
    );
  }
  s.inputRow = row.length === 3 ? [row[2]!, row[0]!, row[1]!] : row;
  return { node: 0, nchw: row.length === 3 };
}

/** A pass-through: of a constant, the same weight under its name; of an activation, the same value. */
const passThrough: TfjsOp = {
  build: (s, n, where) =>
    s.isConst(n, 0) ? void s.weights.set(n.name, s.constant(n, 0, where)) : s.input(n, 0, where),
  passThrough: true,
};

export const GRAPH_OPS: Record<string, TfjsOp> = {
  Const: {
    build: (s, n, where) => {
      if (!s.weights.has(n.name)) s.fail(`${where}: no weight of that name in weightsManifest`);
    },
  },
  Placeholder: { build: placeholder },
  Identity: passThrough,
  StopGradient: passThrough,
  Snapshot: passThrough,
};
