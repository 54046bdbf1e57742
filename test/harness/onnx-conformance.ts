/**
 * ONNX's backend conformance cases (Debian's libonnx-testdata, plus the newer-opset cases
 * committed in test/fixtures/onnx-node) run through the predict path `pathlight predict` uses.
 * A case is `<dir>/model.onnx` + `test_data_set_0/{input,output}_k.pb`; the first graph input is
 * the activation, the others are bound as constants. Compared as ONNX's backend runner does:
 * |actual − expected| ≤ atol + rtol·|expected| with rtol 1e-3, atol 1e-7.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PathlightError } from '../../src/errors.js';
import type { Engine } from '../../src/gpu/engine.js';
import { SUPPORTED_OPS } from '../../src/models/onnx/decode.js';
import { ModelProto, TO_OBJECT_OPTIONS, type ModelProtoMessage } from '../../src/models/onnx/schema.js';
import { readTensorProto } from '../../src/models/onnx/tensor.js';
import { onnxPredictor } from '../../src/models/predict.js';

export const RTOL = 1e-3;
export const ATOL = 1e-7;

export const DEBIAN_DATA = '/usr/share/libonnx-testdata/data';
export const SUITES = ['node', 'pytorch-converted', 'pytorch-operator', 'simple'];

/** The ops the importer listed before issue #13: the "CNN-op" cases are those that use only these. */
export const ORIGINAL_OPS = new Set([
  'Conv',
  'Gemm',
  'MatMul',
  'Relu',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'BatchNormalization',
  'Add',
  'Flatten',
  'Reshape',
  'Softmax',
  'Identity',
  'Constant',
]);
const SPATIAL_OPS = new Set(['Conv', 'MaxPool', 'AveragePool', 'BatchNormalization', 'GlobalAveragePool']);

export interface CaseInfo {
  suite: string;
  name: string;
  dir: string;
  ops: string[];
  /** a 3-D Conv / pool / batch norm (5-D input): out of scope */
  threeD: boolean;
}

export type Outcome =
  | { status: 'passed'; maxError: number; mode: string }
  | { status: 'failed'; reason: string }
  | { status: 'skipped'; reason: string };

export interface CaseResult extends CaseInfo {
  outcome: Outcome;
}

function decodeModel(bytes: Uint8Array): ModelProtoMessage {
  return ModelProto.toObject(ModelProto.decode(bytes), TO_OBJECT_OPTIONS) as ModelProtoMessage;
}

/** Every case under `root/<suite>/<case>/model.onnx`. */
export function listCases(root: string, suites: readonly string[]): CaseInfo[] {
  const cases: CaseInfo[] = [];
  for (const suite of suites) {
    const base = join(root, suite);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      const dir = join(base, name);
      if (!existsSync(join(dir, 'model.onnx'))) continue;
      const model = decodeModel(new Uint8Array(readFileSync(join(dir, 'model.onnx'))));
      const ops = [...new Set(model.graph?.node.map((n) => n.op_type) ?? [])].sort();
      const firstInput = model.graph?.input.find((i) => !model.graph!.initializer.some((t) => t.name === i.name));
      const rank = firstInput?.type?.tensor_type?.shape?.dim.length ?? 0;
      cases.push({ suite, name, dir, ops, threeD: ops.some((o) => SPATIAL_OPS.has(o)) && rank === 5 });
    }
  }
  return cases;
}

/** Per-element closeness (NumPy's assert_allclose rule); NaN matches NaN. */
function maxViolation(actual: Float32Array, expected: Float32Array | Float64Array): { bad: number; maxError: number } {
  let bad = -1;
  let maxError = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    const err = Math.abs(a - e);
    if (a === e) continue;
    if (!(err <= ATOL + RTOL * Math.abs(e))) {
      if (bad < 0) bad = i;
    }
    if (err > maxError || Number.isNaN(err)) maxError = Number.isNaN(err) ? Infinity : err;
  }
  return { bad, maxError };
}

/** A float32 copy of a test tensor, or a reason it cannot be one (a float beyond float32's range, an integer it does not hold exactly). */
function asInput(t: { data: Float32Array | Float64Array; dtype: string }): Float32Array | string {
  const out = Float32Array.from(t.data);
  const i = out.findIndex((v, k) =>
    t.dtype === 'float' ? !Number.isFinite(v) && Number.isFinite(t.data[k]!) : v !== t.data[k],
  );
  return i >= 0
    ? `its input holds ${t.data[i]}, which float32 cannot hold${t.dtype === 'float' ? '' : ' exactly'}`
    : out;
}

const oneLine = (e: unknown): string =>
  (e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/^ONNX [^:]*: /, '');

export async function runCase(engine: Engine, c: CaseInfo): Promise<Outcome> {
  const unsupported = c.ops.filter((o) => !SUPPORTED_OPS.has(o));
  if (unsupported.length) return { status: 'skipped', reason: `ops outside the importer: ${unsupported.join(', ')}` };
  if (c.threeD) return { status: 'skipped', reason: '3-D convolution / pooling / batch norm (out of scope)' };
  const bytes = new Uint8Array(readFileSync(join(c.dir, 'model.onnx')));
  const graph = decodeModel(bytes).graph!;
  const inputs = graph.input.filter((i) => !graph.initializer.some((t) => t.name === i.name));
  const notTensor = [...inputs, ...graph.output].find((v) => !v.type?.tensor_type);
  if (notTensor)
    return { status: 'skipped', reason: `"${notTensor.name}" is not a tensor (a sequence or an optional)` };
  const data = join(c.dir, 'test_data_set_0');
  const tensor = (file: string) => readTensorProto(new Uint8Array(readFileSync(join(data, file))), file);
  let predictor;
  try {
    const values = inputs.map((_, k) => tensor(`input_${k}.pb`));
    const constants = new Map(inputs.slice(1).map((input, k) => [input.name, values[k + 1]!]));
    predictor = onnxPredictor(engine, bytes, { source: c.name, constants });
    // (a graph without input is given an empty x, which it does not read)
    const x = values[0] ? asInput(values[0]) : new Float32Array(0);
    if (typeof x === 'string') return { status: 'skipped', reason: x };
    const outs = await predictor.predictAll({ shape: values[0]?.shape ?? [0], data: x });
    let worst = 0;
    for (const [k, out] of outs.entries()) {
      const expected = tensor(`output_${k}.pb`);
      const which = outs.length > 1 ? `output ${k}: ` : '';
      if (out.shape.join() !== expected.shape.join())
        return {
          status: 'failed',
          reason: `${which}shape [${out.shape.join(', ')}], expected [${expected.shape.join(', ')}]`,
        };
      const { bad, maxError } = maxViolation(out.data, expected.data);
      if (bad >= 0)
        return {
          status: 'failed',
          reason: `${which}element ${bad}: ${out.data[bad]} vs ${expected.data[bad]} (max |error| ${maxError.toExponential(2)})`,
        };
      worst = Math.max(worst, maxError);
    }
    return { status: 'passed', maxError: worst, mode: predictor.mode };
  } catch (e) {
    if (e instanceof PathlightError) return { status: 'skipped', reason: oneLine(e) };
    return { status: 'failed', reason: `internal error: ${oneLine(e)}` };
  } finally {
    predictor?.dispose();
  }
}

export async function runCases(engine: Engine, cases: readonly CaseInfo[]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of cases) results.push({ ...c, outcome: await runCase(engine, c) });
  return results;
}

/** The committed report: totals, the CNN-op target, and every case with its outcome or skip reason. */
export function conformanceReport(results: readonly CaseResult[]): string {
  const by = (s: Outcome['status']) => results.filter((r) => r.outcome.status === s);
  const listed = results.filter((r) => r.suite !== 'onnx-node' && r.ops.every((o) => ORIGINAL_OPS.has(o)) && !r.threeD);
  const outside = by('skipped').filter(
    (r) => r.outcome.status === 'skipped' && r.outcome.reason.startsWith('ops outside'),
  );
  const lines = [
    '# ONNX conformance',
    '',
    "Generated by `test/onnx-conformance.test.ts` (part of `npm test`): every case of Debian's `libonnx-testdata`",
    '(`node`, `pytorch-converted`, `pytorch-operator`, `simple`) and of `test/fixtures/onnx-node` (newer opsets,',
    'made by `test/fixtures/make_onnx_node_cases.py`) whose ops the importer reads, run through the predict path',
    `\`pathlight predict\` uses; test_data_set_0 only. Tolerance: |actual − expected| ≤ ${ATOL} + ${RTOL}·|expected| (ONNX's backend runner).`,
    '',
    `- cases: ${results.length}; ran: ${by('passed').length + by('failed').length}; passed: ${by('passed').length}; failed: ${by('failed').length}; skipped: ${by('skipped').length} (${outside.length} of them for ops outside the importer)`,
    `- CNN-op cases (only ${[...ORIGINAL_OPS].join(', ')}; 3-D ones excluded): ${listed.filter((r) => r.outcome.status === 'passed').length} of ${listed.length} pass`,
    '',
    '| case | ops | result |',
    '| --- | --- | --- |',
  ];
  for (const r of results) {
    if (r.outcome.status === 'skipped' && r.outcome.reason.startsWith('ops outside')) continue;
    const o = r.outcome;
    const text =
      o.status === 'passed'
        ? `passed (max error ${o.maxError.toExponential(1)}${o.mode === 'whole' ? ', whole-tensor mode' : ''})`
        : `${o.status}: ${o.reason.replace(/\|/g, '\\|')}`;
    lines.push(`| ${r.suite}/${r.name} | ${r.ops.join(', ')} | ${text} |`);
  }
  lines.push('', `## Skipped for ops outside the importer (${outside.length})`, '');
  const byOps = new Map<string, string[]>();
  for (const r of outside) {
    const reason = (r.outcome as { reason: string }).reason.replace('ops outside the importer: ', '');
    byOps.set(reason, [...(byOps.get(reason) ?? []), r.name]);
  }
  for (const [ops, names] of [...byOps].sort((p, q) => q[1].length - p[1].length || p[0].localeCompare(q[0])))
    lines.push(`- ${ops} (${names.length}): ${names.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
