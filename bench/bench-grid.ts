/**
 * What `npm run bench` measures: the default grid (sized to finish in under 10 minutes on a
 * 2-core SwiftShader machine) and the command-line flags that replace parts of it.
 */
import { PathlightError } from '../src/errors.js';
import { isZooName, ZOO_NAMES } from '../src/models/zoo.js';
import { decimalInt } from '../src/cli/numbers.js';
import { METHODS } from './methods.js';

export interface BenchRow {
  model: string;
  methods: string[];
  steps: number[];
  reps: number;
}

export interface BenchPlan {
  rows: BenchRow[];
  /** models whose IG is also run in TF.js */
  peerModels: string[];
  /** IG steps of the TF.js comparison */
  peerSteps: number[];
  peerReps: number;
  /** the TF.js backends run beside pathlight */
  tfBackends: string[];
  /** batch-64 forward targets of the onnxruntime-web comparison (ORT_TARGETS) */
  ort: string[];
  ortReps: number;
  /** profile (timestamp queries) one IG call per model at peerSteps[0] */
  profile: boolean;
}

/** The TF.js backends (bench/tfjs-peer.ts) and the onnxruntime-web targets (bench/bench-peers.ts). */
export const TF_BACKEND_NAMES = ['webgpu', 'wasm', 'cpu'];
export const ORT_TARGETS = ['resnet', 'resnet18-64'];

/** Every method of bench/methods.ts's table (smoothgrad-grad = SmoothGrad around the gradient, 8 samples). */
export const BENCH_METHODS = Object.keys(METHODS);

/**
 * Sized for < 10 minutes on a 2-core SwiftShader machine shared with a training job: LeNet every
 * method at 8/16/32/64 steps (the ms-vs-steps plot); the 3×32×32 models every method at 4 steps
 * (a ResNet row costs ~80 ms of forward+backward there, ~30× LeNet's); 5 timed calls per cell
 * after one warm-up. TF.js peers (webgpu, wasm, cpu): IG-64 and IG-256 on LeNet and ResNet, median
 * of 3 calls after a warm-up (TF.js webgpu's ResNet IG-256 takes about a minute per call on
 * SwiftShader). onnxruntime-web: batch-64 forward of ResNet-S and torchvision's resnet18 at 64².
 */
export const DEFAULT_PLAN: BenchPlan = {
  rows: [
    { model: 'lenet', methods: BENCH_METHODS, steps: [8, 16, 32, 64], reps: 5 },
    { model: 'vgg', methods: BENCH_METHODS, steps: [4], reps: 5 },
    { model: 'resnet', methods: BENCH_METHODS, steps: [4], reps: 5 },
    { model: 'mobilenet', methods: BENCH_METHODS, steps: [4], reps: 5 },
  ],
  peerModels: ['lenet', 'resnet'],
  peerSteps: [64, 256],
  peerReps: 3,
  tfBackends: TF_BACKEND_NAMES,
  ort: ORT_TARGETS,
  ortReps: 3,
  profile: true,
};

/**
 * `--quick`: every kind of row once, small: LeNet IG-16 and IDGI-16 twice, the three TF.js peers
 * on LeNet IG-16 once, ORT on ResNet-S once (ORT webgpu's batch-64 ResNet-S call alone takes tens
 * of seconds on SwiftShader), no profile. Flags after it still apply (`--ort none`: about a minute).
 */
export const QUICK_PLAN: BenchPlan = {
  rows: [{ model: 'lenet', methods: ['ig', 'idgi'], steps: [16], reps: 2 }],
  peerModels: ['lenet'],
  peerSteps: [16],
  peerReps: 1,
  tfBackends: TF_BACKEND_NAMES,
  ort: ['resnet'],
  ortReps: 1,
  profile: false,
};
const USAGE =
  '--quick --models a,b --methods x,y --steps 16,32 --reps 5 --peer-models lenet,resnet|none --peer-steps 64,256 --peer-reps 5 --tf-backends webgpu,wasm,cpu --ort resnet,resnet18-64|none --ort-reps 5 --no-profile --json --debug';

/** Switches of bench/bench.mjs itself (what it prints), accepted here so the same argv passes through. */
export const BENCH_OUTPUT_SWITCHES = ['--json', '--debug'];

/**
 * Flags replace the default plan's entries; --models/--methods/--steps apply to every model row.
 * Strict: unknown flags, missing or empty values and non-decimal numbers are errors.
 */
export function parseBenchArgs(argv: readonly string[]): BenchPlan {
  const base = argv.includes('--quick') ? QUICK_PLAN : DEFAULT_PLAN;
  const plan: BenchPlan = { ...base, rows: base.rows.map((r) => ({ ...r })) };
  let models: string[] | undefined;
  let methods: string[] | undefined;
  let steps: number[] | undefined;
  let reps: number | undefined;
  const seen = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (seen.has(flag)) throw new PathlightError(`bench: ${flag} is given twice`);
    seen.add(flag);
    if (BENCH_OUTPUT_SWITCHES.includes(flag)) continue;
    if (flag === '--quick') continue;
    if (flag === '--no-profile') {
      plan.profile = false;
      continue;
    }
    const value = argv[++i];
    if (!flag.startsWith('--')) throw new PathlightError(`bench: unexpected argument '${flag}' (use ${USAGE})`);
    if (value === undefined || value.startsWith('--')) throw new PathlightError(`bench: ${flag} needs a value`);
    const list = value.split(',');
    if (list.some((s) => s.trim() === '')) throw new PathlightError(`bench: ${flag} has an empty value in '${value}'`);
    const ints = () =>
      list.map((s) => {
        const n = decimalInt(s);
        if (n === undefined || n < 1)
          throw new PathlightError(`bench: ${flag} takes positive integers (decimal digits), got '${s}'`);
        return n;
      });
    if (flag === '--models') models = list;
    else if (flag === '--methods') methods = list;
    else if (flag === '--steps') steps = ints();
    else if (flag === '--reps') reps = ints()[0]!;
    else if (flag === '--peer-models') plan.peerModels = value === 'none' ? [] : list;
    else if (flag === '--peer-steps') plan.peerSteps = ints();
    else if (flag === '--peer-reps') plan.peerReps = ints()[0]!;
    else if (flag === '--tf-backends') plan.tfBackends = oneOf(flag, list, TF_BACKEND_NAMES);
    else if (flag === '--ort') plan.ort = value === 'none' ? [] : oneOf(flag, list, ORT_TARGETS);
    else if (flag === '--ort-reps') plan.ortReps = ints()[0]!;
    else throw new PathlightError(`bench: unknown option ${flag} (use ${USAGE})`);
  }
  for (const m of [...(models ?? []), ...plan.peerModels])
    if (!isZooName(m)) throw new PathlightError(`bench: unknown model '${m}' (zoo: ${ZOO_NAMES.join(', ')})`);
  for (const m of methods ?? [])
    if (!(m in METHODS)) throw new PathlightError(`bench: unknown method '${m}' (use ${BENCH_METHODS.join(', ')})`);
  if (models)
    plan.rows = models.map(
      (model) =>
        plan.rows.find((r) => r.model === model) ??
        DEFAULT_PLAN.rows.find((r) => r.model === model) ?? { model, methods: BENCH_METHODS, steps: [4], reps: 5 },
    );
  plan.rows = plan.rows.map((r) => ({
    model: r.model,
    methods: methods ?? r.methods,
    steps: steps ?? r.steps,
    reps: reps ?? r.reps,
  }));
  if (models && !argv.includes('--peer-models')) plan.peerModels = plan.peerModels.filter((m) => models!.includes(m));
  if (reps !== undefined && !argv.includes('--peer-reps')) plan.peerReps = reps;
  return plan;
}

function oneOf(flag: string, list: string[], known: readonly string[]): string[] {
  for (const v of list)
    if (!known.includes(v)) throw new PathlightError(`bench: ${flag} takes ${known.join(', ')}, got '${v}'`);
  return list;
}
