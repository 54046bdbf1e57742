/**
 * ONNX ops with windows → graph nodes: Conv, MaxPool / AveragePool (with a Pad folded in where
 * exact), GlobalAveragePool, and Pad itself (kept pending until a consumer decides).
 */
import type { OnnxNode } from '../ir.js';
import { onnxWindow, planarWindow, WindowError, type PlanarWindow, type Window } from '../geometry.js';
import type { Pool2dParams } from '../../../ops/pool-geometry.js';
import { count, ints, num, same, str, type Act, type ImportState, type OnnxOp } from '../state.js';

function windowOf(s: ImportState, node: OnnxNode, x: Act, kernel: number[]): Window {
  if (kernel.length !== x.shape.length - 1) {
    s.fail(
      `${s.where}: a ${kernel.length}-D kernel on an input of shape [N, ${x.shape.join(', ')}]; expected [N, ${kernel.length === 1 ? 'C, L' : 'C, H, W'}]`,
    );
  }
  try {
    return onnxWindow(node.attributes, kernel, x.shape.slice(1));
  } catch (e) {
    if (e instanceof WindowError) s.fail(`${s.where}: ${e.message}`);
    throw e;
  }
}

/** A pending Pad in front of a Conv / pool folds into its window when that gives the same values. */
function takePad(s: ImportState, x: Act, w: Window, accepts: (value: number) => boolean): { x: Act; window: Window } {
  const p = x.pad;
  if (!p || !accepts(p.value) || s.uses.get(s.nameOf(x)) !== 1) return { x, window: w };
  const rank = p.pads.length / 2;
  const spatial = w.kernel.length;
  // only spatial axes padded (per-row pads: [C, ...spatial] begin, then end)
  if (p.pads[0] !== 0 || p.pads[rank] !== 0) return { x, window: w };
  const pads = w.pads.map((v, i) => v + p.pads[i < spatial ? 1 + i : rank + 1 + (i - spatial)]!);
  return { x: p.from, window: { ...w, pads } };
}

function conv(s: ImportState, node: OnnxNode): number {
  const a = node.attributes;
  let x = s.act(node, 0);
  s.needsBatchAxis(x);
  const w = s.constant(node, 1, 'a weight constant');
  if (w.shape.length !== 3 && w.shape.length !== 4)
    s.fail(`${s.where}: weight has shape [${w.shape.join(', ')}]; only 1-D and 2-D convolutions are supported`);
  const [outC, inPerGroup, ...taps] = w.shape as [number, number, ...number[]];
  const kernel = ints(a.kernel_shape, taps);
  if (!same(kernel, taps))
    s.fail(`${s.where}: kernel_shape [${kernel.join(', ')}] disagrees with the weight's [${taps.join(', ')}]`);
  let window = windowOf(s, node, x, taps);
  ({ x, window } = takePad(s, x, window, (v) => v === 0));
  const groups = num(a.group, 1);
  const bias = node.inputs[2] ? s.constant(node, 2, 'a bias constant') : null;
  const name = s.uniqueName(s.baseName(node.inputs[1]!, node.name));
  const p = planarWindow(window);
  const input = s.node(x);
  let idx: number;
  if (taps.length === 1) {
    idx = s.g.conv1d(name, input, inPerGroup * groups, outC, taps[0]!, {
      stride: p.stride[1],
      padding: p.padding[1],
      dilation: p.dilation[1],
      groups,
      bias: !!bias,
    });
    const node1d = s.g.nodes[idx]!;
    if (p.padding.length === 4 && node1d.kind === 'conv2d') node1d.params = { ...node1d.params, padding: p.padding };
  } else {
    idx = s.g.conv2d(name, input, inPerGroup * groups, outC, p.kernel, {
      stride: p.stride,
      padding: p.padding,
      dilation: p.dilation,
      groups,
      bias: !!bias,
    });
  }
  s.setParam(`${name}.weight`, w, w.shape);
  if (bias) s.setParam(`${name}.bias`, bias, [outC]);
  return idx;
}

/** MaxPool / AveragePool; a MaxPool's Indices output (when read) beside its values. */
function pool(s: ImportState, node: OnnxNode): void {
  const a = node.attributes;
  const indices = node.outputs[1] && s.uses.has(node.outputs[1]) ? node.outputs[1] : '';
  let x = s.act(node, 0);
  s.needsBatchAxis(x);
  const kernel = ints(a.kernel_shape, []);
  if (kernel.length === 3) s.fail(`${s.where}: 3-D pooling is not supported`);
  let window = windowOf(s, node, x, kernel);
  const isMax = node.opType === 'MaxPool';
  const ceil = num(a.ceil_mode, 0) === 1;
  let countIncludePad = num(a.count_include_pad, 0) === 1;
  // (Indices count positions in the padded tensor: a Pad stays a Pad then)
  if (!ceil && !indices) {
    const ownPads = window.pads.some((v) => v > 0);
    const before = window;
    ({ x, window } = takePad(s, x, window, (v) =>
      isMax ? v === -Infinity : v === 0 && (!ownPads || countIncludePad),
    ));
    if (window !== before && !isMax) countIncludePad = true;
  }
  const p: PlanarWindow = planarWindow(window);
  const params = {
    kernel: p.kernel,
    stride: p.stride,
    padding: p.padding,
    ...(p.dilation[0] !== 1 || p.dilation[1] !== 1 ? { dilation: p.dilation } : {}),
    ...(ceil ? { ceilMode: true } : {}),
  };
  const name = s.uniqueName(node.name);
  const input = s.node(x);
  if (!isMax) return s.define(node, s.g.avgPool(name, input, { ...params, countIncludePad }));
  if (!indices || s.uses.has(node.outputs[0]!)) s.define(node, s.g.maxPool(name, input, params));
  if (indices) s.define(node, maxPoolIndices(s, node, x, input, params), 1);
}

/**
 * ONNX's Indices, flattened over NCHW: the GPU's plane-local argmax (storage_order 1: column-major
 * within the plane) plus each channel's offset c·H·W; the batch offset n·C·H·W, outside a row, is
 * added by the predictor (`indexStrides`). Exact in float32 up to 2^24.
 */
function maxPoolIndices(s: ImportState, node: OnnxNode, x: Act, input: number, params: Pool2dParams): number {
  const name = node.outputs[1]!;
  if (s.model.nodes.some((n) => n.inputs.includes(name)))
    s.fail(`${s.where}: its Indices output "${name}" is read by another node; only a graph output is supported`);
  const [c, ...spatial] = x.shape as [number, ...number[]];
  const plane = count(spatial);
  if (c * plane > 2 ** 24)
    s.fail(`${s.where}: Indices into ${c * plane} values per image are not exact in float32 (at most 2^24)`);
  const argmax = s.g.maxPoolArgmax(
    s.uniqueName(`${node.name}_argmax`),
    input,
    params,
    num(node.attributes.storage_order, 0) === 1,
  );
  const offsets = s.uniqueName(`${node.name}_indices`);
  const shape = [c, ...spatial.map(() => 1)];
  const idx = s.g.constant(offsets, argmax, shape, 'add');
  s.setParam(
    `${offsets}.value`,
    { shape, data: Float32Array.from({ length: c }, (_, k) => k * plane), dtype: 'float' },
    shape,
  );
  s.indexStrides.set(name, c * plane);
  return idx;
}

function globalAveragePool(s: ImportState, node: OnnxNode): void {
  const x = s.act(node, 0);
  s.needsBatchAxis(x);
  const idx = s.g.globalAvgPool(s.uniqueName(node.name), s.node(x));
  s.define(node, { node: idx, shape: [x.shape[0]!, ...x.shape.slice(1).map(() => 1)] });
}

function pad(s: ImportState, node: OnnxNode): void {
  const a = node.attributes;
  const mode = str(a.mode, 'constant');
  if (mode !== 'constant') s.fail(`${s.where}: mode "${mode}" is not supported (only constant)`);
  const x = s.act(node, 0);
  const rank = s.onnxRank(x);
  const given =
    s.model.opset < 11 ? ints(a.pads ?? a.paddings, []) : Array.from(s.constant(node, 1, 'constant pads').data);
  const value =
    s.model.opset < 11
      ? num(a.value, 0)
      : node.inputs[2]
        ? s.scalar(s.constant(node, 2, 'a constant value'), 'value')
        : 0;
  const axes = node.inputs[3]
    ? Array.from(s.constant(node, 3, 'constant axes').data, (v) => s.normalize(v, rank, 'axis'))
    : Array.from({ length: rank }, (_, i) => i);
  if (given.length !== 2 * axes.length)
    s.fail(`${s.where}: pads [${given.join(', ')}] should have ${2 * axes.length} values`);
  if (given.some((p) => p < 0)) s.fail(`${s.where}: negative pads [${given.join(', ')}] (cropping) are not supported`);
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((ax, i) => {
    full[ax] = given[i]!;
    full[rank + ax] = given[axes.length + i]!;
  });
  if (s.mode === 'batch' && (full[0] !== 0 || full[rank] !== 0)) s.batchAxis(`${s.where}: pads the batch axis`);
  const pads = s.mode === 'batch' ? [...full.slice(1, rank), ...full.slice(rank + 1)] : full;
  const r = x.shape.length;
  const shape = x.shape.map((d, i) => d + pads[i]! + pads[r + i]!);
  s.define(node, { node: x.node, shape, pad: { from: x, pads, value, where: s.where } });
}

export const CONV_OPS: Record<string, OnnxOp> = {
  Conv: { build: (s, node) => s.define(node, conv(s, node)) },
  MaxPool: { build: pool },
  AveragePool: { build: pool },
  GlobalAveragePool: { build: globalAveragePool },
  Pad: { build: pad },
};
