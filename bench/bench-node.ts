/**
 * `pathlight bench` of an installed package (built into dist/bench.js): the package has neither
 * bench/bench.mjs nor its development dependencies (Chromium's driver, esbuild, the TF.js peers),
 * so it runs pathlight's own rows of the plan in Node (Dawn, npm `webgpu`) with the same cells as
 * `npm run bench`'s page (bench-measure.ts), and lists the peers as not installed instead of
 * failing. The full benchmark, peers included, is `npm run bench` in a checkout.
 */
import { createRequire } from 'node:module';
import { createEngine } from '../src/gpu/engine.js';
import { explain } from '../src/attribution/index.js';
import { loadModel } from '../src/models/load.js';
import { parseBenchArgs } from './bench-grid.js';
import { measureCell, type BenchFigure } from './bench-measure.js';
import { modelFlops } from './flops.js';
import { ceilingLine, CEILING_WHAT, measureCeiling } from './ceiling.js';
import { METHODS, syntheticImages } from './methods.js';

/** The packages of the TF.js peer (bench/tfjs-peer.ts): development dependencies, absent from an installed package. */
export const PEER_PACKAGES = ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'];

export const PEERS_NOT_INSTALLED =
  'not installed (they are development dependencies; run `npm run bench` in a checkout)';

/** Each peer package: not installed, or installed but run only by the Chromium benchmark of a checkout. */
export function peerStatus(
  resolve: (pkg: string) => string = createRequire(import.meta.url).resolve,
): { package: string; status: string }[] {
  return PEER_PACKAGES.map((pkg) => {
    try {
      resolve(pkg);
      return {
        package: pkg,
        status: 'installed; the TF.js comparison runs in Chromium: run `npm run bench` in a checkout',
      };
    } catch {
      return { package: pkg, status: PEERS_NOT_INSTALLED };
    }
  });
}

export interface InstalledBenchOptions {
  log?: (line: string) => void;
  /** how a peer package is looked up (tests simulate a missing one) */
  resolvePeer?: (pkg: string) => string;
}

/** The plan's pathlight rows (the flags of `npm run bench`), measured in Node; the peers listed, not run. */
export async function runInstalledBench(argv: readonly string[], options: InstalledBenchOptions = {}) {
  const log = options.log ?? ((line: string) => console.error(line));
  const plan = parseBenchArgs(argv);
  const peers = peerStatus(options.resolvePeer);
  const missing = peers.filter((p) => p.status === PEERS_NOT_INSTALLED).map((p) => p.package);
  log(`TF.js peers: ${missing.length ? `${missing.join(', ')} ${PEERS_NOT_INSTALLED}` : peers[0]!.status}`);
  const engine = await createEngine();
  try {
    const ceiling = await measureCeiling(engine, 'node');
    log(ceilingLine(ceiling));
    const figures: BenchFigure[] = [];
    for (const row of plan.rows) {
      const { model } = await loadModel(engine, row.model);
      try {
        const image = syntheticImages(model, 1, 1);
        const target = (await explain(engine, model, image, { method: 'grad' })).images[0]!.target;
        const flops = modelFlops(model);
        for (const method of row.methods) {
          for (const steps of METHODS[method]!.stepless ? [1] : row.steps) {
            const { figure: f } = await measureCell({
              engine,
              model,
              image,
              target,
              method,
              steps,
              reps: row.reps,
              flops,
              ceilingGflops: ceiling.gflops,
            });
            figures.push(f);
            log(
              `${row.model.padEnd(9)} ${method.padEnd(15)} ${String(steps).padStart(4)} steps ${f.ms.toFixed(1).padStart(9)} ms ${f.gradEvalsPerSec.toFixed(0).padStart(6)} grad/s`,
            );
          }
        }
      } finally {
        model.dispose();
      }
    }
    return {
      runtime: 'node (installed package)',
      date: new Date().toISOString(),
      adapter: engine.adapter,
      note: 'pathlight rows only, in Node (Dawn); the Chromium benchmark with the TF.js peer is `npm run bench` in a checkout',
      plan,
      ceiling: { ...ceiling, what: `${CEILING_WHAT}; every ofCeiling = that figure's GFLOP/s / gflops` },
      figures,
      peer: { rows: [], packages: peers },
    };
  } finally {
    engine.dispose();
  }
}
