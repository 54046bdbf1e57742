/**
 * ONNX layers with weights and windows → graph nodes: Conv, MaxPool / AveragePool (with a Pad
 * folded in where exact), BatchNormalization, Gemm, MatMul, PRelu, and Pad itself (kept pending
 * until a consumer decides).
 */
import type { OnnxNode } from '../decode.js';
import { asFloat32, type OnnxTensor } from '../tensor.js';
import type { ConstValue } from '../fold.js';
import { onnxWindow, planarWindow, WindowError, type PlanarWindow, type Window } from '../geometry.js';
import type { Pool2dParams } from '../../../ops/pool-geometry.js';
import { BN_PARAMS } from '../../../nn/layers.js';
import { count, ImportState, ints, num, same, str, transpose2d, type Act } from '../state.js';

export abstract class LayerImporter extends ImportState {
  protected window(node: OnnxNode, x: Act, kernel: number[]): Window {
    if (kernel.length !== x.shape.length - 1) {
      this.fail(`${this.where}: a ${kernel.length}-D kernel on an input of shape [N, ${x.shape.join(', ')}]; expected [N, ${kernel.length === 1 ? 'C, L' : 'C, H, W'}]`);
    }
    try {
      return onnxWindow(node.attributes, kernel, x.shape.slice(1));
    } catch (e) {
      if (e instanceof WindowError) this.fail(`${this.where}: ${e.message}`);
      throw e;
    }
  }

  /** A pending Pad in front of a Conv / pool folds into its window when that gives the same values. */
  protected takePad(x: Act, w: Window, accepts: (value: number) => boolean): { x: Act; window: Window } {
    const p = x.pad;
    if (!p || !accepts(p.value) || this.uses.get(this.nameOf(x)) !== 1) return { x, window: w };
    const rank = p.pads.length / 2;
    const spatial = w.kernel.length;
    // only spatial axes padded (per-row pads: [C, ...spatial] begin, then end)
    if (p.pads[0] !== 0 || p.pads[rank] !== 0) return { x, window: w };
    const pads = w.pads.map((v, i) => v + p.pads[i < spatial ? 1 + i : rank + 1 + (i - spatial)]!);
    return { x: p.from, window: { ...w, pads } };
  }

  protected conv(node: OnnxNode): number {
    const a = node.attributes;
    let x = this.act(node, 0);
    this.needsBatchAxis(x);
    const w = this.constant(node, 1, 'a weight constant');
    if (w.shape.length !== 3 && w.shape.length !== 4) this.fail(`${this.where}: weight has shape [${w.shape.join(', ')}]; only 1-D and 2-D convolutions are supported`);
    const [outC, inPerGroup, ...taps] = w.shape as [number, number, ...number[]];
    const kernel = ints(a.kernel_shape, taps);
    if (!same(kernel, taps)) this.fail(`${this.where}: kernel_shape [${kernel.join(', ')}] disagrees with the weight's [${taps.join(', ')}]`);
    let window = this.window(node, x, taps);
    ({ x, window } = this.takePad(x, window, (v) => v === 0));
    const groups = num(a.group, 1);
    const bias = node.inputs[2] ? this.constant(node, 2, 'a bias constant') : null;
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const p = planarWindow(window);
    const input = this.node(x);
    let idx: number;
    if (taps.length === 1) {
      idx = this.g.conv1d(name, input, inPerGroup * groups, outC, taps[0]!, { stride: p.stride[1], padding: p.padding[1], dilation: p.dilation[1], groups, bias: !!bias });
      const node1d = this.g.nodes[idx]!;
      if (p.padding.length === 4 && node1d.kind === 'conv2d') node1d.params = { ...node1d.params, padding: p.padding };
    } else {
      idx = this.g.conv2d(name, input, inPerGroup * groups, outC, p.kernel, { stride: p.stride, padding: p.padding, dilation: p.dilation, groups, bias: !!bias });
    }
    this.setParam(`${name}.weight`, w, w.shape);
    if (bias) this.setParam(`${name}.bias`, bias, [outC]);
    return idx;
  }

  /** MaxPool / AveragePool; a MaxPool's Indices output (when read) beside its values. */
  protected pool(node: OnnxNode): void {
    const a = node.attributes;
    const indices = node.outputs[1] && this.uses.has(node.outputs[1]) ? node.outputs[1] : '';
    let x = this.act(node, 0);
    this.needsBatchAxis(x);
    const kernel = ints(a.kernel_shape, []);
    if (kernel.length === 3) this.fail(`${this.where}: 3-D pooling is not supported`);
    let window = this.window(node, x, kernel);
    const isMax = node.opType === 'MaxPool';
    const ceil = num(a.ceil_mode, 0) === 1;
    let countIncludePad = num(a.count_include_pad, 0) === 1;
    // (Indices count positions in the padded tensor: a Pad stays a Pad then)
    if (!ceil && !indices) {
      const ownPads = window.pads.some((v) => v > 0);
      const before = window;
      ({ x, window } = this.takePad(x, window, (v) => (isMax ? v === -Infinity : v === 0 && (!ownPads || countIncludePad))));
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
    const name = this.uniqueName(node.name);
    const input = this.node(x);
    if (!isMax) return this.define(node, this.g.avgPool(name, input, { ...params, countIncludePad }));
    if (!indices || this.uses.has(node.outputs[0]!)) this.define(node, this.g.maxPool(name, input, params));
    if (indices) this.define(node, this.maxPoolIndices(node, x, input, params), 1);
  }

  /**
   * ONNX's Indices, flattened over NCHW: the GPU's plane-local argmax (storage_order 1: column-major
   * within the plane) plus each channel's offset c·H·W; the batch offset n·C·H·W, outside a row, is
   * added by the predictor (`indexStrides`). Exact in float32 up to 2^24.
   */
  protected maxPoolIndices(node: OnnxNode, x: Act, input: number, params: Pool2dParams): number {
    const name = node.outputs[1]!;
    if (this.model.nodes.some((n) => n.inputs.includes(name))) this.fail(`${this.where}: its Indices output "${name}" is read by another node; only a graph output is supported`);
    const [c, ...spatial] = x.shape as [number, ...number[]];
    const plane = count(spatial);
    if (c * plane > 2 ** 24) this.fail(`${this.where}: Indices into ${c * plane} values per image are not exact in float32 (at most 2^24)`);
    const argmax = this.g.maxPoolArgmax(this.uniqueName(`${node.name}_argmax`), input, params, num(node.attributes.storage_order, 0) === 1);
    const offsets = this.uniqueName(`${node.name}_indices`);
    const shape = [c, ...spatial.map(() => 1)];
    const idx = this.g.constant(offsets, argmax, shape, 'add');
    this.setParam(`${offsets}.value`, { shape, data: Float32Array.from({ length: c }, (_, k) => k * plane), dtype: 'float' }, shape);
    this.indexStrides.set(name, c * plane);
    return idx;
  }

  protected batchNorm(node: OnnxNode): void {
    const a = node.attributes;
    const training = this.model.opset >= 14 && num(a.training_mode, 0) === 1;
    if (!training && node.outputs.filter((o) => o !== '').length > 1) this.fail(`${this.where}: training-mode outputs (running statistics) are not supported before opset 14; export in eval mode`);
    if (this.model.opset < 9 && num(a.spatial, 1) !== 1) this.fail(`${this.where}: spatial=0 (per-element statistics) is not supported`);
    const x = this.act(node, 0);
    // Batch statistics read across images: the row is then the whole [N, C, ...] tensor.
    if (training && this.mode === 'batch') this.batchAxis(`${this.where}: training_mode=1 normalises by the batch's statistics`);
    if (training && (x.shape.length < 2 || x.shape.length > 4)) this.fail(`${this.where}: input has shape [${x.shape.join(', ')}]; expected [N, C], [N, C, L] or [N, C, H, W]`);
    if (!training && this.mode === 'whole') this.needsBatchAxis(x);
    const channels = x.shape[training ? 1 : 0];
    const c = this.constant(node, 1, 'a scale constant').data.length;
    if (channels !== c) this.fail(`${this.where}: ${c} scales for ${channels} channels`);
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const eps = num(a.epsilon, 1e-5);
    const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => this.constant(node, i, `a constant ${['scale', 'bias', 'mean', 'var'][i - 1]}`));
    if (this.uses.has(node.outputs[0]!)) {
      this.define(node, this.g.batchNorm(name, this.node(x), c, { eps, batchStatistics: training }));
      [scale, bias, mean, variance].forEach((t, i) => this.setParam(`${name}.${BN_PARAMS[i]}`, t!, [c]));
    }
    if (!training) return;
    const momentum = num(a.momentum, 0.9);
    [mean, variance].forEach((running, k) => node.outputs[k + 1] && this.uses.has(node.outputs[k + 1]!) && this.define(node, this.runningStatistic(node, x, k === 1, running!, momentum), k + 1));
  }

  /**
   * Training mode's running_mean / running_var outputs: momentum·running + (1 − momentum)·batch
   * statistic, with the population variance (ONNX's formula), built from mean / sub / mul nodes.
   */
  protected runningStatistic(node: OnnxNode, x: Act, isVar: boolean, running: ConstValue, momentum: number): number {
    const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
    const base = `${node.name}_${isVar ? 'var' : 'mean'}`;
    const input = this.node(x);
    let stat: number;
    if (isVar) {
      const mean = this.g.reduceMean(this.uniqueName(`${base}_mean`), input, axes, true);
      const centred = this.g.binary(this.uniqueName(`${base}_centred`), input, mean, 'sub');
      stat = this.g.reduceMean(this.uniqueName(`${base}_batch`), this.g.binary(this.uniqueName(`${base}_square`), centred, centred, 'mul'), axes, false);
    } else {
      stat = this.g.reduceMean(this.uniqueName(`${base}_batch`), input, axes, false);
    }
    const scaled = this.uniqueName(`${base}_scaled`);
    const weighted = this.g.constant(scaled, stat, [], 'mul');
    this.setParam(`${scaled}.value`, { shape: [], data: Float32Array.of(1 - momentum), dtype: 'float' }, []);
    const out = this.uniqueName(`${base}_running`);
    const idx = this.g.constant(out, weighted, [running.data.length], 'add');
    this.setParam(`${out}.value`, { shape: [running.data.length], data: Float32Array.from(running.data, (v) => v * momentum), dtype: 'float' }, [running.data.length]);
    return idx;
  }

  protected gemm(node: OnnxNode): number {
    const a = node.attributes;
    let x = this.act(node, 0);
    if (this.onnxRank(x) !== 2) this.fail(`${this.where}: A has shape [${this.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}], expected a matrix [N, K]`);
    if (num(a.transA, 0) === 1) {
      if (this.mode === 'batch') this.batchAxis(`${this.where}: transA=1 transposes the batch axis`);
      x = { node: this.g.transpose(this.uniqueName(`${node.name}_transA`), this.node(x), [1, 0]), shape: [x.shape[1]!, x.shape[0]!] };
    }
    const b = this.constant(node, 1, 'a constant B');
    if (b.shape.length !== 2) this.fail(`${this.where}: B has shape [${b.shape.join(', ')}], expected 2-D`);
    const alpha = num(a.alpha, 1);
    const beta = num(a.beta, 1);
    let weight = num(a.transB, 0) === 1 ? b : transpose2d(b);
    if (alpha !== 1) weight = { ...weight, data: Float32Array.from(asFloat32(weight, 'B', this.source), (v) => v * alpha) };
    const cAct = node.inputs[2] && this.acts.has(node.inputs[2]) ? this.act(node, 2) : null;
    const c = node.inputs[2] && !cAct ? this.constant(node, 2, 'a constant C') : null;
    const outF = weight.shape[0]!;
    const scaled = c && beta !== 1 ? { ...c, data: Float32Array.from(asFloat32(c, 'C', this.source), (v) => v * beta) } : c;
    const vector = scaled && (scaled.data.length === outF || scaled.data.length === 1) && scaled.shape.every((d, i) => d === 1 || i === scaled.shape.length - 1);
    const bias = vector && scaled && beta !== 0 ? { shape: [outF], data: scaled.data.length === 1 ? new Float32Array(outF).fill(scaled.data[0]!) : scaled.data, dtype: 'float' as const } : null;
    const idx = this.linear(node, x, weight, bias);
    if (cAct && beta !== 0) {
      // C computed from the input: added as an activation (scaled by beta first)
      let cNode = this.node(cAct);
      if (beta !== 1) {
        const name = this.uniqueName(`${node.name}_beta`);
        cNode = this.g.constant(name, cNode, [], 'mul');
        this.setParam(`${name}.value`, { shape: [], data: Float32Array.of(beta), dtype: 'float' }, []);
      }
      const out = this.shapes()[idx]!;
      const cShape = this.shapes()[cNode]!;
      return same(out, cShape) ? this.g.add(this.uniqueName(`${node.name}_C`), idx, cNode) : this.g.binary(this.uniqueName(`${node.name}_C`), idx, cNode, 'add');
    }
    if (!scaled || vector || beta === 0) return idx;
    const out = { node: idx, shape: this.shapes()[idx]! };
    const shape = this.constRowShape(scaled.shape, out, 'C');
    const name = this.uniqueName(`${node.name}_C`);
    const add = this.g.constant(name, idx, shape, 'add');
    this.setParam(`${name}.value`, scaled, shape);
    return add;
  }

  /** MatMul: activation × constant ([K, M], [K], or a stack [B, K, M] matched against the activation's axis). */
  protected matmul(node: OnnxNode): number {
    if (this.consts.has(node.inputs[0]!)) this.fail(`${this.where}: constant × activation is not supported (only activation × constant)`);
    const x = this.act(node, 0);
    const w = this.constant(node, 1, 'a constant (activation × activation is not supported)');
    if (w.shape.length === 1) {
      if (x.shape.length === 1 && this.mode === 'whole') this.fail(`${this.where}: a vector × vector product is a scalar, which is not supported as an activation`);
      const idx = this.linear(node, x, { shape: [1, w.shape[0]!], data: w.data, dtype: w.dtype }, null);
      return this.node({ node: idx, shape: x.shape.slice(0, -1).length ? x.shape.slice(0, -1) : [1] });
    }
    const stack = w.shape.slice(0, -2);
    const [k, m] = w.shape.slice(-2) as [number, number];
    if (stack.every((d) => d === 1)) return this.linear(node, x, transpose2d({ ...w, shape: [k, m] }), null);
    // A stack of matrices, right-aligned against the activation's leading axes (NumPy matmul):
    // each slice of the activation along the one stacked axis by its own matrix.
    const rank = this.onnxRank(x);
    if (stack.length > rank - 2) this.fail(`${this.where}: weight [${w.shape.join(', ')}] has more axes than the input`);
    const aligned = [...new Array<number>(rank - 2 - stack.length).fill(1), ...stack];
    if (this.mode === 'batch' && aligned[0] !== 1) this.batchAxis(`${this.where}: weight [${w.shape.join(', ')}] differs per image`);
    const rowStack = this.mode === 'batch' ? aligned.slice(1) : aligned;
    const axis = rowStack.findIndex((d) => d !== 1);
    if (rowStack.filter((d) => d !== 1).length !== 1 || (x.shape[axis] !== rowStack[axis] && x.shape[axis] !== 1)) {
      this.fail(`${this.where}: weight [${w.shape.join(', ')}] on an input [${this.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}] is not supported (one stacked axis, matching the input's or broadcasting its size-1 axis)`);
    }
    const parts: number[] = [];
    for (let s = 0; s < rowStack[axis]!; s++) {
      // a size-1 axis of the activation broadcasts against the stack: every matrix reads all of it
      const part = x.shape[axis] === 1 ? this.node(x) : this.g.slice(this.uniqueName(`${node.name}_part${s}`), this.node(x), axis, s, s + 1);
      const matrix = { shape: [k, m], data: w.data.slice(s * k * m, (s + 1) * k * m), dtype: w.dtype };
      parts.push(this.linear({ ...node, inputs: ['', `${node.name}_${s}`] }, { node: part, shape: this.shapes()[part]! }, transpose2d(matrix), null));
    }
    return this.g.concat(this.uniqueName(node.name), parts, axis);
  }

  /** weight is [out, in] (PyTorch layout); applies over the activation's last axis */
  protected linear(node: OnnxNode, x: Act, weight: OnnxTensor, bias: OnnxTensor | null): number {
    const [outF, inF] = weight.shape as [number, number];
    if (x.shape[x.shape.length - 1] !== inF) this.fail(`${this.where}: input [${this.mode === 'batch' ? 'N, ' : ''}${x.shape.join(', ')}] times a [${inF}, ${outF}] matrix`);
    if (bias && bias.data.length !== outF) this.fail(`${this.where}: bias has shape [${bias.shape.join(', ')}], expected [${outF}]`);
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const idx = this.g.linear(name, this.node(x), inF, outF, { bias: !!bias });
    this.setParam(`${name}.weight`, weight, [outF, inF]);
    if (bias) this.setParam(`${name}.bias`, bias, [outF]);
    return idx;
  }

  /** x + c where x is a bias-free linear read only here and c its [out] bias: fold into the linear. */
  protected matmulBias(node: OnnxNode, x: Act, c: ConstValue): number | null {
    const producer = this.g.nodes[x.node]!;
    if (x.pad || producer.kind !== 'linear' || producer.bias || this.uses.get(node.inputs[0]!) !== 1 || x.shape.length !== 1) return null;
    const outF = this.g.paramShapes.get(producer.weight)![0]!;
    if (c.data.length !== outF || c.shape.some((d, i) => d !== 1 && i !== c.shape.length - 1)) return null;
    producer.bias = `${producer.name}.bias`;
    this.setParam(producer.bias, c, [outF]);
    this.shapeCache = [];
    return x.node;
  }

  protected pad(node: OnnxNode): void {
    const a = node.attributes;
    const mode = str(a.mode, 'constant');
    if (mode !== 'constant') this.fail(`${this.where}: mode "${mode}" is not supported (only constant)`);
    const x = this.act(node, 0);
    const rank = this.onnxRank(x);
    const given = this.model.opset < 11 ? ints(a.pads ?? a.paddings, []) : Array.from(this.constant(node, 1, 'constant pads').data);
    const value = this.model.opset < 11 ? num(a.value, 0) : node.inputs[2] ? this.scalar(this.constant(node, 2, 'a constant value'), 'value') : 0;
    const axes = node.inputs[3] ? Array.from(this.constant(node, 3, 'constant axes').data, (v) => this.normalize(v, rank, 'axis')) : Array.from({ length: rank }, (_, i) => i);
    if (given.length !== 2 * axes.length) this.fail(`${this.where}: pads [${given.join(', ')}] should have ${2 * axes.length} values`);
    if (given.some((p) => p < 0)) this.fail(`${this.where}: negative pads [${given.join(', ')}] (cropping) are not supported`);
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((ax, i) => {
      full[ax] = given[i]!;
      full[rank + ax] = given[axes.length + i]!;
    });
    if (this.mode === 'batch' && (full[0] !== 0 || full[rank] !== 0)) this.batchAxis(`${this.where}: pads the batch axis`);
    const pads = this.mode === 'batch' ? [...full.slice(1, rank), ...full.slice(rank + 1)] : full;
    const r = x.shape.length;
    const shape = x.shape.map((d, i) => d + pads[i]! + pads[r + i]!);
    this.define(node, { node: x.node, shape, pad: { from: x, pads, value, where: this.where } });
  }

  protected prelu(node: OnnxNode): void {
    const x = this.act(node, 0);
    const slope = this.constant(node, 1, 'a constant slope');
    // Before opset 7 a [C] slope is per channel; since then it broadcasts like NumPy.
    const legacy = this.model.opset < 7 && slope.shape.length === 1 && this.onnxRank(x) > 2 ? [slope.shape[0]!, ...x.shape.slice(this.mode === 'batch' ? 1 : 2).map(() => 1)] : null;
    const shape = legacy ?? this.constRowShape(slope.shape, x, 'slope');
    const name = this.uniqueName(this.baseName(node.inputs[1]!, node.name));
    const idx = this.g.prelu(name, this.node(x), shape);
    this.setParam(`${name}.weight`, slope, shape);
    this.define(node, idx);
  }

  /** x · k for a scalar k (Neg). */
  protected scaled(node: OnnxNode, k: number): number {
    const name = this.uniqueName(node.name);
    const idx = this.g.constant(name, this.node(this.act(node, 0)), [], 'mul');
    this.setParam(`${name}.value`, { shape: [], data: Float32Array.of(k), dtype: 'float' }, []);
    return idx;
  }
}
