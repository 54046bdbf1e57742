/**
 * bench/gpu.sh's Node side: the kernel benchmark, then the method benchmark one model × method
 * at a time, within a time budget, on whatever adapter Dawn finds (gpu.sh has pointed Vulkan at
 * the machine's driver, or at SwiftShader). One JSON naming the adapter, rewritten after each
 * part so that a run cut short still leaves what it measured. Progress on stderr.
 *
 *   node gpu-bench.mjs --out FILE [--budget SECONDS] [--tuning default|auto]
 */
import { writeFileSync } from 'node:fs';
import { createEngine } from '../src/gpu/engine.js';
import { runKernelBench, type KernelBench } from './kernels.js';
import { METHODS, runMethodBench, type GridRow, type MethodBench } from './methods.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) {
  const [flag, value] = [process.argv[i]!, process.argv[i + 1]];
  if (!['--out', '--budget', '--tuning'].includes(flag) || value === undefined)
    throw new Error(`gpu-bench: expected --out FILE [--budget SECONDS] [--tuning default|auto], got '${flag}'`);
  args.set(flag, value);
}
const out = args.get('--out');
const budgetS = Number(args.get('--budget') ?? 270);
const tuning = args.get('--tuning') ?? 'default';
if (!out) throw new Error('gpu-bench: --out FILE is required');
if (!(budgetS > 0)) throw new Error(`gpu-bench: --budget takes seconds > 0, got '${args.get('--budget')}'`);
if (tuning !== 'default' && tuning !== 'auto') throw new Error(`gpu-bench: --tuning is default or auto`);

const started = performance.now();
const elapsedS = () => (performance.now() - started) / 1000;
const log = (s: string) => console.error(s);
const cpuTime = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const newEngine = () => createEngine({ tuning });

const engine = await newEngine();
const adapter = engine.adapter;
const fallback = adapter.isFallbackAdapter;
log(`adapter: ${[adapter.vendor, adapter.architecture, adapter.description].filter(Boolean).join(' / ')}`);
if (fallback) log('this is SwiftShader (a CPU): fewer reps and a smaller grid, and the figures say nothing of a GPU');

// A GPU runs the whole list in well under the budget; SwiftShader (ResNet IG-64 ≈ 10 s a call) only LeNet.
const grid: GridRow[] = fallback
  ? [{ model: 'lenet', methods: ['ig', 'gig', 'ig2', 'blurig'], steps: [64], reps: 1 }]
  : [
      { model: 'lenet', methods: Object.keys(METHODS), steps: [64, 256], reps: 5 },
      { model: 'resnet', methods: ['ig', 'idgi', 'gig', 'ig2', 'blurig'], steps: [64, 256], reps: 5 },
      { model: 'mobilenet', methods: ['ig'], steps: [64], reps: 5 },
    ];

const result: {
  runtime: 'node';
  date: string;
  commit: string;
  vulkan: string;
  adapter: typeof adapter;
  fallback: boolean;
  budgetS: number;
  elapsedS?: number;
  /** false in a file left by a run cut short (gpu.sh's hard stop) */
  finished: boolean;
  tuning: { mode: string; digest: string; choices: Record<string, string> };
  kernels?: KernelBench;
  methods: MethodBench['figures'];
  skipped: string[];
} = {
  runtime: 'node',
  date: new Date().toISOString(),
  commit: process.env.PATHLIGHT_COMMIT ?? 'unknown',
  vulkan: process.env.PATHLIGHT_VULKAN ?? 'not checked (run through bench/gpu.sh)',
  adapter,
  fallback,
  budgetS,
  tuning: { mode: tuning, digest: 'default', choices: {} },
  methods: [],
  skipped: [],
  finished: false,
};
const save = () => {
  result.elapsedS = Math.round(elapsedS());
  result.tuning = { mode: tuning, digest: engine.tuning.digest(), choices: engine.tuning.choices() };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
};

save(); // the adapter, before anything can run out of time
result.kernels = await runKernelBench(engine, { reps: fallback ? 2 : 5, log, cpuTime });
save();
engine.dispose();

// Each model × method on a fresh engine (runMethodBench's own rule), skipped once the budget is spent.
for (const row of grid)
  for (const method of row.methods) {
    if (elapsedS() > budgetS * (fallback ? 0.6 : 0.8)) {
      result.skipped.push(`${row.model} ${method} (time budget)`);
      continue;
    }
    const part = await runMethodBench(newEngine, { grid: [{ ...row, methods: [method] }], log, cpuTime });
    result.methods.push(...part.figures);
    save();
  }
result.finished = true;
save();
log(`wrote ${out} in ${result.elapsedS} s${result.skipped.length ? `; skipped: ${result.skipped.join(', ')}` : ''}`);
