/**
 * Batched matrix product C[b] = op(A[b]) · op(B[b]) with an optional bias + relu epilogue.
 * One WGSL template (shaders/matmul.wgsl); this file picks the tiling and generates its unrolled
 * register-blocked k-step for the transpose flags and the widest aligned loads (vec4 along a
 * contiguous dimension whenever it is a multiple of 4).
 */
import source from '../../shaders/matmul.wgsl';
import { renderShader } from '../gpu/wgsl.js';
import { fail, shapeStr } from '../errors.js';
import { Tensor } from '../tensor/tensor.js';
import type { Tunable } from '../gpu/tuning.js';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  /** [N], added to every row of the result. */
  bias?: Tensor;
  relu?: boolean;
}

/** How one workgroup covers C: WGX x WGY invocations, each owning TM rows x 4·TN4 columns. */
export interface MatmulTiling {
  tm: number;
  tn4: number;
  wgx: number;
  wgy: number;
  /** k-steps per loop iteration (a vec4-along-k layout rounds it to a multiple of 4). */
  ku: number;
}

const pow2 = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/**
 * Tiling for this problem and device, from n and k only: m (the batch rows) is a uniform, so one
 * pipeline serves every batch. GPUs get the classic 4x4 block per invocation. CPU back ends
 * (SwiftShader) are bound by loads, not arithmetic — every storage or workgroup load is a
 * per-lane gather — so there each invocation owns a big block (up to 16 x 16, accumulators
 * spilling to L1 is cheaper than reloading) and workgroups stay small. Measured numbers: see the
 * team report; 256³ went from ~0.5 GFLOP/s (4x4 blocks) to ~1.9 GFLOP/s wall (16x32 blocks).
 */
export function pickTiling(n: number, k: number, cpu = false): MatmulTiling {
  // Small layers (n·k ≤ 4096, i.e. ≤ 2^18 FMAs at a 64-row chunk) take the small block on every
  // device: a big unrolled block costs SwiftShader seconds of compilation to save microseconds.
  if (!cpu || n * k <= 4096) {
    const wgx = Math.min(16, pow2(Math.ceil(n / 4)));
    return { tm: 4, tn4: 1, wgx, wgy: Math.max(1, 64 / wgx), ku: 4 };
  }
  // Blocks need not be powers of two: N=10 takes 3 vec4 columns, not 4. A workgroup is at most
  // one 4-lane SIMD group, so even small problems split into several workgroups (= CPU threads).
  // 16 x 16 blocks: 16 x 32 ran no faster on CNN-sized problems (measured 65x120x400, 65x84x120,
  // 512³ with a training job sharing the CPU) and took twice as long to compile (1.4–2.9 s each).
  const tn4 = Math.min(4, Math.ceil(n / 4));
  return { tm: 16, tn4, wgx: Math.min(2, Math.ceil(n / (4 * tn4))), wgy: 2, ku: 4 };
}

/** What a matmul's tiling may depend on: the shape after validation and the layout flags. */
type MatmulGeometry = ReturnType<typeof matmulShape> & {
  transA: boolean;
  transB: boolean;
  bias: boolean;
  relu: boolean;
  mask: boolean;
};

/**
 * The tiling as a tunable choice (tuning.ts). Exact: every tiling accumulates each output in one
 * invocation, one fma per k in ascending order, so all give bitwise-identical results. The key
 * leaves m out, as the pipeline does (one pipeline serves every batch); timing uses the first m met.
 */
export const MATMUL_TUNABLE: Tunable<MatmulGeometry, MatmulTiling> = {
  name: 'matmul',
  exact: true,
  key: (g) => `${g.transA ? 'T' : 'N'}${g.transB ? 'T' : 'N'}${g.mask ? ' mask' : ''} n=${g.n} k=${g.k}`,
  default: (g, adapter) => pickTiling(g.n, g.k, adapter.isFallbackAdapter),
  variants: (g, adapter) => tilingCandidates(g.n, g.k, adapter.isFallbackAdapter),
  id: (t) => `${t.tm}x${4 * t.tn4} wg${t.wgx}x${t.wgy} ku${t.ku}`,
  trial(engine, g, tiling) {
    const batched = (shape: number[]) => (g.batch ? [g.batch, ...shape] : shape);
    const a = Tensor.zeros(engine, batched(g.transA ? [g.k, g.m] : [g.m, g.k]));
    const bShape = g.transB ? [g.n, g.k] : [g.k, g.n];
    const b = Tensor.zeros(engine, g.batch && !g.broadcastB ? batched(bShape) : bShape);
    const bias = g.bias ? Tensor.zeros(engine, [g.n]) : undefined;
    const maskA = g.mask ? Tensor.zeros(engine, a.shape) : undefined;
    const opts = { transA: g.transA, transB: g.transB, bias, relu: g.relu, maskA, tiling };
    return {
      run: () => matmulWith(a, b, opts).dispose(),
      dispose: () => [a, b, bias, maskA].forEach((t) => t?.dispose()),
    };
  },
};

/**
 * What autotune times beside the default: the small block in a few shapes and, for problems big
 * enough to pay for their compile, bigger blocks (CPU back ends: fewer, larger; GPUs: 8x4 and 4x8
 * per invocation). Workgroups stay within 256 invocations, WebGPU's guaranteed minimum.
 */
function tilingCandidates(n: number, k: number, cpu: boolean): MatmulTiling[] {
  const wgxFor = (tn4: number) => Math.min(16, pow2(Math.ceil(n / (4 * tn4))));
  const block = (tm: number, tn4: number, lanes: number) => {
    const wgx = wgxFor(tn4);
    return { tm, tn4, wgx, wgy: Math.max(1, lanes / wgx), ku: 4 };
  };
  const small = [block(4, 1, 64), block(2, 1, 64), block(4, 1, 256)];
  if (n * k <= 4096) return small;
  if (cpu)
    return [...small, pickTiling(n, k, true), { tm: 8, tn4: Math.min(2, Math.ceil(n / 4)), wgx: 2, wgy: 2, ku: 4 }];
  return [...small, block(8, 1, 64), block(4, 2, 64), block(8, 2, 128)];
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  return matmulWith(a, b, opts);
}

/** Shapes of C = op(A) · op(B) after validation (batch 0 means "no batch dimension"). */
function matmulShape(op: string, a: Tensor, b: Tensor, transA: boolean, transB: boolean) {
  if (a.rank !== 2 && a.rank !== 3) fail(`${op}: A must have rank 2 or 3, got shape ${shapeStr(a.shape)}`);
  if (b.rank !== 2 && b.rank !== 3) fail(`${op}: B must have rank 2 or 3, got shape ${shapeStr(b.shape)}`);
  if (b.rank === 3 && a.rank !== 3) fail(`${op}: B ${shapeStr(b.shape)} is batched but A ${shapeStr(a.shape)} is not`);
  if (a.rank === 3 && b.rank === 3 && a.shape[0] !== b.shape[0]) {
    fail(`${op}: batch sizes differ: A ${shapeStr(a.shape)}, B ${shapeStr(b.shape)}`);
  }
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const [m, ka] = transA ? [ac, ar] : [ar, ac];
  const [kb, n] = transB ? [bc, br] : [br, bc];
  if (ka !== kb) {
    fail(
      `${op}: inner dimensions differ: A ${shapeStr(a.shape)}${transA ? 'ᵀ' : ''} has K=${ka}, B ${shapeStr(b.shape)}${transB ? 'ᵀ' : ''} has K=${kb}`,
    );
  }
  return { batch: a.rank === 3 ? a.shape[0]! : 0, m, n, k: ka, broadcastB: a.rank === 3 && b.rank === 2 };
}

/**
 * matmul with an explicit tiling (benchmarks, autotune's trials; else the engine's tuning picks it) and an optional relu mask on A (backward through a
 * relu: A is dy, `maskA` the relu's output with A's shape; A counts only where maskA > 0).
 */
export function matmulWith(
  a: Tensor,
  b: Tensor,
  opts: MatmulOptions & { maskA?: Tensor; tiling?: MatmulTiling; op?: string } = {},
): Tensor {
  const op = opts.op ?? 'matmul';
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const s = matmulShape(op, a, b, transA, transB);
  if (opts.bias && (opts.bias.rank !== 1 || opts.bias.shape[0] !== s.n)) {
    fail(`${op}: bias has shape ${shapeStr(opts.bias.shape)}, expected [${s.n}] (one value per output column)`);
  }
  if (opts.maskA && (opts.maskA.rank !== a.rank || opts.maskA.shape.some((d, i) => d !== a.shape[i]))) {
    fail(`${op}: relu mask has shape ${shapeStr(opts.maskA.shape)}, expected ${shapeStr(a.shape)}`);
  }
  const engine = a.engine;
  const out = Tensor.empty(engine, s.batch ? [s.batch, s.m, s.n] : [s.m, s.n], op);
  if (out.size === 0) return out;
  const geometry = { ...s, transA, transB, bias: !!opts.bias, relu: !!opts.relu, mask: !!opts.maskA };
  const t = opts.tiling ?? engine.tuning.choose(MATMUL_TUNABLE, geometry);
  const flags = { bias: !!opts.bias, relu: !!opts.relu, mask: !!opts.maskA, f16: engine.shaderF16 };
  const { params, ku } = shaderParams(s, transA, transB, flags, t);
  const tilesN = Math.ceil(s.n / (t.wgx * 4 * t.tn4));
  const tilesPerBatch = tilesN * Math.ceil(s.m / (t.wgy * t.tm));
  const tiles = Math.max(1, s.batch) * tilesPerBatch;
  // Every size is a uniform. Baked m, n, k measured no faster (SwiftShader, one process, best of
  // 4×15 runs on a loaded 2-core machine): LeNet's 65×400→120 forward 2.79 ms baked / 2.64 ms
  // uniform, its backward 3.17 / 2.95; 65×120→84 0.80 / 1.06 and 0.78 / 0.96 in one run but
  // 1.94 / 1.67 and 1.40 / 1.00 in another: within the noise.
  const sizes = Uint32Array.of(
    s.m,
    s.n,
    s.k,
    s.k - (s.k % ku),
    tilesN,
    tilesPerBatch,
    tiles,
    s.batch ? s.m * s.k : 0,
    s.batch && !s.broadcastB ? s.n * s.k : 0,
  );
  const bindings = { A: a, B: b, C: out, bias: opts.bias, maskA: opts.maskA, sizes };
  engine.run({ op, source, params, bindings, grid: engine.grid1d(tiles, 1) });
  return out;
}

// ---------------------------------------------------------------- code generation

const XYZW = ['x', 'y', 'z', 'w'];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const u = (v: number) => `${v}u`;

/** How A or B is read: vec4 along k, vec4 along the output dimension (m or n), or scalars. */
type LoadMode = 'k4' | 'mn4' | 'scalar';

/** The WGSL params (layout flags and the generated code) and the k-steps per main-loop iteration. */
function shaderParams(
  s: ReturnType<typeof matmulShape>,
  transA: boolean,
  transB: boolean,
  { bias, relu, mask, f16 }: { bias: boolean; relu: boolean; mask: boolean; f16: boolean },
  t: MatmulTiling,
) {
  const { m, n, k } = s;
  const tnw = 4 * t.tn4;
  // The load modes depend on divisibility only (m counts here only for transposed A: the weight
  // gradient, whose m is the layer's outputs, never the batch).
  const aMode: LoadMode = !transA && k % 4 === 0 ? 'k4' : transA && m % 4 === 0 && t.tm % 4 === 0 ? 'mn4' : 'scalar';
  const bMode: LoadMode = transB && k % 4 === 0 ? 'k4' : !transB && n % 4 === 0 ? 'mn4' : 'scalar';
  const k4 = aMode === 'k4' || bMode === 'k4';
  const ku = k4 ? Math.max(4, t.ku - (t.ku % 4)) : Math.max(1, t.ku);
  const cVec = n % 4 === 0;
  const vecType = (mode: LoadMode) => (mode === 'scalar' ? 'f32' : 'vec4<f32>');

  // Clamped rows of A and columns of B, as base offsets in units of their element type. `kMajor`:
  // stored k-major (Aᵀ, or B untransposed); mn4 reads vec4 along m or n, k4 along k.
  const bases = (x: 'a' | 'b', mode: LoadMode, count: number, kMajor: boolean): string[] => {
    const [dim, first, name] = x === 'a' ? ['M', 'm0', mode === 'mn4' ? 'Col' : 'Row'] : ['N', 'n0', 'Col'];
    if (mode === 'mn4')
      return range(count / 4).map(
        (q) => `let ${x}${name}${q} = ${x}Batch / 4u + min(${first} / 4u + ${u(q)}, ${dim} / 4u - 1u);`,
      );
    return range(count).map((q) => {
      const at = `min(${first} + ${u(q)}, ${dim} - 1u)`;
      return mode === 'k4'
        ? `let ${x}${name}${q} = (${x}Batch + ${at} * K) / 4u;`
        : `let ${x}${name}${q} = ${x}Batch + ${at}${kMajor ? '' : ' * K'};`;
    });
  };
  const setup = [...bases('a', aMode, t.tm, transA), ...bases('b', bMode, tnw, !transB)];
  const accDecl = range(t.tm).flatMap((i) => range(t.tn4).map((j4) => `var acc${i}_${j4} = vec4<f32>(0.0);`));

  // the f16 path rounds every operand to f16 (f16r / f16r4 in matmul.wgsl); products and sums stay float32
  const rounded = (value: string, vec: boolean) => (f16 ? `f16r${vec ? '4' : ''}(${value})` : value);
  const loadA = (idx: string) => {
    if (!mask) return rounded(`A[${idx}]`, aMode !== 'scalar');
    const zero = aMode === 'scalar' ? '0.0' : 'vec4<f32>(0.0)';
    return rounded(`select(${zero}, A[${idx}], maskA[${idx}] > ${zero})`, aMode !== 'scalar');
  };
  const madd = (acc: string, a: string, b: string) => `${acc} = fma(vec4<f32>(${a}), ${b}, ${acc});`;

  /** `steps` unrolled k-steps from WGSL expression `k0` (a multiple of 4 in the k4 modes). */
  const kBlock = (k0: string, steps: number, prefix: string): string[] => {
    const lines: string[] = [];
    const kAt = (kk: number) => (kk === 0 ? k0 : `${k0} + ${u(kk)}`);
    const aVal: string[][] = range(t.tm).map(() => []); // aVal[i][kk]: scalar WGSL expression
    const bVec: string[][] = range(steps).map(() => []); // bVec[kk][j4]: vec4 WGSL expression
    for (let q = 0; q < steps; q += 4) {
      const chunk = Math.min(4, steps - q);
      if (aMode === 'k4') {
        for (const i of range(t.tm)) {
          lines.push(`let ${prefix}a${i}_${q} = ${loadA(`aRow${i} + (${kAt(q)}) / 4u`)};`);
          for (const c of range(chunk)) aVal[i]![q + c] = `${prefix}a${i}_${q}.${XYZW[c]}`;
        }
      }
      if (bMode === 'k4') {
        for (const j of range(tnw))
          lines.push(`let ${prefix}b${j}_${q} = ${rounded(`B[bCol${j} + (${kAt(q)}) / 4u]`, true)};`);
        for (const c of range(chunk)) {
          for (const j4 of range(t.tn4)) {
            bVec[q + c]![j4] = `vec4<f32>(${range(4)
              .map((jj) => `${prefix}b${4 * j4 + jj}_${q}.${XYZW[c]}`)
              .join(', ')})`;
          }
        }
      }
    }
    for (const kk of range(steps)) {
      const kIdx = kAt(kk);
      if (aMode === 'mn4') {
        for (const i4 of range(t.tm / 4)) {
          lines.push(`let ${prefix}a${kk}_${i4} = ${loadA(`aCol${i4} + (${kIdx}) * (M / 4u)`)};`);
          for (const c of range(4)) aVal[4 * i4 + c]![kk] = `${prefix}a${kk}_${i4}.${XYZW[c]}`;
        }
      } else if (aMode === 'scalar') {
        for (const i of range(t.tm)) {
          lines.push(
            `let ${prefix}a${i}_${kk} = ${loadA(transA ? `aRow${i} + (${kIdx}) * M` : `aRow${i} + ${kIdx}`)};`,
          );
          aVal[i]![kk] = `${prefix}a${i}_${kk}`;
        }
      }
      if (bMode === 'mn4') {
        for (const j4 of range(t.tn4)) {
          lines.push(`let ${prefix}b${kk}_${j4} = ${rounded(`B[bCol${j4} + (${kIdx}) * (N / 4u)]`, true)};`);
          bVec[kk]![j4] = `${prefix}b${kk}_${j4}`;
        }
      } else if (bMode === 'scalar') {
        for (const j4 of range(t.tn4)) {
          const cols = range(4).map((jj) => `B[bCol${4 * j4 + jj} + ${transB ? kIdx : `(${kIdx}) * N`}]`);
          lines.push(`let ${prefix}b${kk}_${j4} = ${rounded(`vec4<f32>(${cols.join(', ')})`, true)};`);
          bVec[kk]![j4] = `${prefix}b${kk}_${j4}`;
        }
      }
      for (const i of range(t.tm))
        for (const j4 of range(t.tn4)) lines.push(madd(`acc${i}_${j4}`, aVal[i]![kk]!, bVec[kk]![j4]!));
    }
    return lines.map((l) => `    ${l}`);
  };

  // The epilogue is a loop over the accumulators copied into an array: SwiftShader inlines it
  // all, and TM·TN4 unrolled epilogues (bias loads, bounds branches) took most of a big block's
  // compile time (LeNet's 16×16-block linear: 1.4 s → 0.26 s in Node, same run).
  const accs = range(t.tm).flatMap((i) => range(t.tn4).map((j4) => `acc${i}_${j4}`));
  const cIdx = 'batch * M * N + row * N + col';
  const epilogue = [
    `var accs = array<vec4<f32>, ${accs.length}>(${accs.join(', ')});`,
    `for (var s = 0u; s < ${u(accs.length)}; s++) {`,
    `  let row = m0 + s / ${u(t.tn4)};`,
    `  let col = n0 + 4u * (s % ${u(t.tn4)});`,
    `  if (row >= M) { continue; }`,
    `  var v = accs[s]${
      bias
        ? ` + vec4<f32>(${range(4)
            .map((jj) => `bias[min(col + ${u(jj)}, N - 1u)]`)
            .join(', ')})`
        : ''
    };`,
    ...(relu ? ['  v = max(v, vec4<f32>(0.0)) + (v - v); // NaN and ±inf propagate (see relu.ts)'] : []),
    ...(cVec
      ? [`  if (col < N) { C[(${cIdx}) / 4u] = v; }`]
      : range(4).map((jj) => `  if (col + ${u(jj)} < N) { C[${cIdx} + ${u(jj)}] = v.${XYZW[jj]}; }`)),
    '}',
  ].map((l) => `  ${l}`);

  return {
    ku,
    params: {
      A_TYPE: vecType(aMode),
      B_TYPE: vecType(bMode),
      C_TYPE: cVec ? 'vec4<f32>' : 'f32',
      BIAS: bias,
      F16: f16,
      MASK_A: mask,
      MASK_BINDING: bias ? 5 : 4, // engine bindings are dense
      WGX: t.wgx,
      WGY: t.wgy,
      TM: t.tm,
      TNW: tnw,
      BM: t.wgy * t.tm,
      BN: t.wgx * tnw,
      KU: ku,
      TAIL_STEP: k4 ? 4 : 1,
      SETUP: setup.map((l) => `  ${l}`).join('\n'),
      ACC_DECL: accDecl.map((l) => `  ${l}`).join('\n'),
      LOAD_STEP: kBlock('k', ku, '').join('\n'),
      // the vec4-along-k layouts need K % 4 = 0, so at KU = 4 the k % KU tail loop never runs: left empty
      LOAD_TAIL: ku > (k4 ? 4 : 1) ? kBlock('k', k4 ? 4 : 1, 't').join('\n') : '',
      EPILOGUE: epilogue.join('\n'),
    },
  };
}
