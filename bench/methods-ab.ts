/**
 * IDGI's overhead over its base method, measured as interleaved A/B/A/B calls on one engine (in
 * Node, or in one page): both warm, then `reps` rounds of base, IDGI, each round giving the ratio
 * ms(IDGI) / ms(base). Interleaving puts both under the same machine load, so the ratios are far
 * steadier than two separate medians on a shared CPU adapter. Reported: the median ratio with a
 * distribution-free 95 % interval (order statistics of the binomial), and the median over cells.
 */
import type { Engine } from '../src/gpu/engine.js';
import { explain, type ExplainOptions } from '../src/attribution/index.js';
import { createZooModel } from '../src/models/load.js';
import type { GridRow } from './methods.js';

/** The order-statistic interval for the median: [x₍k₎, x₍n+1−k₎] with the largest k whose coverage ≥ 95 %. */
export function medianInterval(samples: readonly number[]): {
  median: number;
  low: number;
  high: number;
  coverage: number;
} {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) throw new Error('medianInterval: no samples');
  const mid = n >> 1;
  const median = n % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  // P(Binomial(n, ½) ≤ j), for j < k: the probability that the median lies below x₍k₎
  const below = (j: number) => {
    let p = 0;
    for (let i = 0, c = 1; i <= j; i++, c = (c * (n - i + 1)) / i) p += c / 2 ** n;
    return p;
  };
  let k = 1;
  while (k + 1 <= mid && below(k) <= 0.025) k++;
  return { median, low: s[k - 1]!, high: s[n - k]!, coverage: 1 - 2 * below(k - 1) };
}

export interface IdgiInterleaved {
  model: string;
  steps: number;
  idgi: string;
  base: string;
  reps: number;
  /** 100 · (ratio − 1) at the median ratio, and the interval's ends */
  percent: number;
  percentLow: number;
  percentHigh: number;
  /** the interval's exact coverage (≥ 0.95 from 6 reps; 5 reps give 0.9375) */
  coverage: number;
  /** ms(idgi) / ms(base) of each round, in order */
  ratios: number[];
}

export interface IdgiSummary {
  cells: IdgiInterleaved[];
  /** median over the cells of their median overhead, % */
  medianPercent: number;
}

const round = (x: number, digits: number) => +x.toFixed(digits);

/** Every (model, steps) cell of `grid` where both methods of a pair are listed, interleaved on a fresh engine per model × pair. */
export async function runIdgiInterleaved(
  newEngine: () => Promise<Engine>,
  grid: readonly GridRow[],
  pairs: readonly [string, string][],
  methods: Readonly<Record<string, { options: (model: never) => Omit<ExplainOptions, 'steps'> }>>,
  image: (model: ReturnType<typeof createZooModel>) => Float32Array,
  reps: number,
  log: (line: string) => void,
): Promise<IdgiSummary> {
  const cells: IdgiInterleaved[] = [];
  for (const row of grid) {
    for (const [idgi, base] of pairs) {
      if (!row.methods.includes(idgi) || !row.methods.includes(base)) continue;
      const engine = await newEngine();
      const model = createZooModel(engine, row.model, { foldBatchNorm: true });
      try {
        const x = image(model);
        for (const steps of row.steps) {
          const call = async (method: string) => {
            const t0 = performance.now();
            await explain(engine, model, x, { ...methods[method]!.options(model as never), steps });
            return performance.now() - t0;
          };
          await call(base); // warm both: compiles and the buffer pool out of the timed rounds
          await call(idgi);
          const ratios: number[] = [];
          for (let r = 0; r < reps; r++) {
            const a = await call(base);
            ratios.push((await call(idgi)) / a);
          }
          const m = medianInterval(ratios);
          const cell: IdgiInterleaved = {
            model: row.model,
            steps,
            idgi,
            base,
            reps,
            percent: round(100 * (m.median - 1), 1),
            percentLow: round(100 * (m.low - 1), 1),
            percentHigh: round(100 * (m.high - 1), 1),
            coverage: round(m.coverage, 4),
            ratios: ratios.map((v) => round(v, 4)),
          };
          cells.push(cell);
          log(
            `${row.model.padEnd(9)} ${idgi} vs ${base} ${String(steps).padStart(4)} steps: ${cell.percent.toFixed(1)} % [${cell.percentLow.toFixed(1)}, ${cell.percentHigh.toFixed(1)}] (${reps} interleaved rounds, ${(100 * cell.coverage).toFixed(1)} % interval)`,
          );
        }
      } finally {
        model.dispose();
        engine.dispose();
      }
    }
  }
  const medianPercent = cells.length ? medianInterval(cells.map((c) => c.percent)).median : NaN;
  return { cells, medianPercent: round(medianPercent, 1) };
}
