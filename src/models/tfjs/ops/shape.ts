/** TF.js shape and layout ops: Mean, Reshape, Squeeze, Pad / PadV2, ConcatV2 (axes mapped NHWC → NCHW, or the value taken to TF order). */
import { attr, type TfjsNode } from '../format.js';
import { NHWC_TO_ROW, type TfjsImportState, type TfjsOp, type Value } from '../state.js';

function mean(s: TfjsImportState, n: TfjsNode, where: string): Value | number {
  const x = s.materialised(s.input(n, 0, where));
  const keep = attr.bool(n, 'keep_dims', false);
  const tfRank = s.shape(x.node).length + 1;
  const axes = [...new Set([...s.constant(n, 1, where).data].map((a) => (a < 0 ? a + tfRank : a)))];
  if (axes.some((a) => !(a >= 1 && a < tfRank && Number.isInteger(a))))
    s.fail(
      `${where}: a mean over axes [${[...s.constant(n, 1, where).data].join(', ')}] (the batch axis, or out of range)`,
    );
  const spatial = axes.length === 2 && axes.includes(1) && axes.includes(2);
  if (x.nchw && spatial && !keep) return s.g.globalAvgPool(n.name, x.node);
  if (x.nchw && keep)
    return {
      node: s.g.reduceMean(
        n.name,
        x.node,
        axes.map((a) => NHWC_TO_ROW[a]!),
        true,
      ),
      nchw: true,
    };
  return s.g.reduceMean(
    n.name,
    s.tfOrder(x),
    axes.map((a) => a - 1),
    keep,
  );
}

/** `target`: the TF shape, batch axis first (-1 or any: the batch), one other -1 at most. */
function reshape(s: TfjsImportState, name: string, x: Value, target: number[], where: string): Value | number {
  const from = s.tfShape(x);
  const size = from.reduce((p, d) => p * d, 1);
  const row = target.slice(1);
  const known = row.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const resolved = row.map((d) => (d === -1 ? size / known : d));
  if (
    target.length < 1 ||
    row.filter((d) => d === -1).length > 1 ||
    resolved.some((d) => !(Number.isInteger(d) && d >= 1)) ||
    resolved.reduce((p, d) => p * d, 1) !== size
  ) {
    s.fail(`${where}: cannot reshape [N, ${from.join(', ')}] to [${target.join(', ')}]`);
  }
  if (x.nchw && resolved.join() === from.join()) return x;
  if (x.nchw && resolved.length === 1) {
    const [c, h, w] = s.shape(x.node) as [number, number, number];
    // C = 1 or H = W = 1: HWC and CHW orders agree
    return c > 1 && h * w > 1 ? { node: x.node, nchw: false, hwc: [c, h, w] } : s.g.flatten(name, x.node);
  }
  if (x.hwc) return resolved.length === 1 ? x : s.g.reshape(name, s.features(x), resolved);
  const src = s.features(x);
  return s.shape(src).join() === resolved.join() ? src : s.g.reshape(name, src, resolved);
}

function squeeze(s: TfjsImportState, n: TfjsNode, where: string): Value | number {
  const x = s.input(n, 0, where);
  const shape = s.tfShape(x);
  const dims = attr.ints(n, 'squeeze_dims', attr.ints(n, 'axis', [])).map((a) => (a < 0 ? a + shape.length + 1 : a));
  if (dims.some((a) => a === 0 || shape[a - 1] !== 1))
    s.fail(`${where}: squeeze_dims [${dims.join(', ')}] of [N, ${shape.join(', ')}] are not unit axes after the batch`);
  const kept = shape.filter((d, k) => (dims.length ? !dims.includes(k + 1) : d !== 1));
  return reshape(s, n.name, x, [-1, ...kept], where);
}

function pad(s: TfjsImportState, n: TfjsNode, where: string): Value {
  const x = s.materialised(s.input(n, 0, where));
  const p = [...s.constant(n, 1, where).data];
  const value = n.op === 'PadV2' ? s.constant(n, 2, where).data[0]! : 0;
  const rank = s.shape(x.node).length + 1;
  if (p.length !== 2 * rank || p[0] !== 0 || p[1] !== 0)
    s.fail(`${where}: paddings [${p.join(', ')}] must be ${rank} [begin, end] pairs, the batch axis unpadded`);
  const tfAxisOf = (rowAxis: number): number => (x.nchw ? NHWC_TO_ROW.indexOf(rowAxis) : rowAxis + 1);
  const begins = Array.from({ length: rank - 1 }, (_, k) => p[2 * tfAxisOf(k)]!);
  const ends = Array.from({ length: rank - 1 }, (_, k) => p[2 * tfAxisOf(k) + 1]!);
  return { node: s.g.pad(n.name, x.node, [...begins, ...ends], value), nchw: x.nchw };
}

function concat(s: TfjsImportState, n: TfjsNode, where: string): Value | number {
  const inputs = (n.input ?? []).filter((i) => !i.startsWith('^'));
  const count = attr.int(n, 'N', inputs.length - 1);
  const values = Array.from({ length: count }, (_, k) => s.materialised(s.input(n, k, where)));
  const tfRank = s.shape(values[0]!.node).length + 1;
  const axis0 = s.constant(n, count, where).data[0]!;
  const axis = axis0 < 0 ? axis0 + tfRank : axis0;
  if (!(axis >= 1 && axis < tfRank)) s.fail(`${where}: concat on axis ${axis0} (the batch axis, or out of range)`);
  if (values.every((v) => v.nchw))
    return {
      node: s.g.concat(
        n.name,
        values.map((v) => v.node),
        NHWC_TO_ROW[axis]!,
      ),
      nchw: true,
    };
  return s.g.concat(
    n.name,
    values.map((v) => s.tfOrder(v)),
    axis - 1,
  );
}

export const SHAPE_OPS: Record<string, TfjsOp> = {
  Mean: { build: mean },
  Reshape: {
    build: (s, n, where) => reshape(s, n.name, s.input(n, 0, where), [...s.constant(n, 1, where).data], where),
  },
  Squeeze: { build: squeeze },
  Pad: { build: pad },
  PadV2: { build: pad },
  ConcatV2: { build: concat },
};
