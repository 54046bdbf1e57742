/** Every kernel case file; the Node runner and the browser bundle both import this list. */
import type { Case } from '../harness/cases.js';
import elementwise from './elementwise.cases.js';
import runtime from './runtime.cases.js';
import program, { poolCases } from './program.cases.js';
import linear from './linear.cases.js';
import softmax from './softmax.cases.js';
import pool from './pool.cases.js';
import fusion from './fusion.cases.js';
import conv2d from './conv2d.cases.js';
import depthwiseConv2d from './depthwise-conv2d.cases.js';
import conv2dTuning from './conv2d-tuning.cases.js';
import batchNorm from './batch-norm.cases.js';
import nn from './nn.cases.js';
import methods from './methods.cases.js';
import guidedIg from './guided-ig.cases.js';
import ig2 from './ig2.cases.js';
import blur from './blur.cases.js';
import zoo from './zoo.cases.js';
import customMethod from './custom-method.cases.js';
import train from './train.cases.js';
import metrics from './metrics.cases.js';
import profiling from './profiling.cases.js';
import anchors from './anchors.cases.js';
import functions from './functions.cases.js';
import adaptiveExample from './adaptive-example.cases.js';
import interop from './interop.cases.js';
import tensorOps from './tensor-ops.cases.js';
import tensorGraph from './tensor-graph.cases.js';
import onnxOutputs from './onnx-outputs.cases.js';
import layers from './layers.cases.js';

// interop last: it leaves TF.js's 'webgpu' backend registered on the engine's device
export const cases: Case[] = [
  ...runtime,
  ...program,
  ...poolCases,
  ...elementwise,
  ...linear,
  ...softmax,
  ...tensorOps,
  ...pool,
  ...conv2d,
  ...depthwiseConv2d,
  ...conv2dTuning,
  ...batchNorm,
  ...nn,
  ...tensorGraph,
  ...onnxOutputs,
  ...methods,
  ...fusion,
  ...guidedIg,
  ...ig2,
  ...blur,
  ...zoo,
  ...customMethod,
  ...train,
  ...metrics,
  ...profiling,
  ...anchors,
  ...layers,
  ...functions,
  ...adaptiveExample,
  ...interop,
];
