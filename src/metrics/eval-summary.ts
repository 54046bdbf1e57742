/**
 * Intervals and paired tests from per-image values (evaluate-methods.ts): for each (method, metric)
 * the mean and a seeded 95 % bootstrap interval; for each IDGI variant beside its base method, the
 * paired difference (variant − base, over the images where both are defined) with its interval and
 * a sign test. Computed from the values alone, so shards merged in index order give one run's numbers.
 */
import { bootstrapMean, type MeanInterval } from './bootstrap.js';
import type { MethodEvaluation, PerImageValues } from './evaluate-methods.js';
import { signTest, type SignTest } from './sign-test.js';

/** IDGI variant → its base method */
export const IDGI_PAIRS: Readonly<Record<string, string>> = { idgi: 'ig', 'gig-idgi': 'gig', 'blurig-idgi': 'blurig' };

export interface PairedComparison {
  variant: string;
  base: string;
  metric: string;
  /** mean of (variant − base) with its bootstrap interval */
  difference: MeanInterval;
  sign: SignTest;
}

export interface EvaluationSummary {
  /** method → metric → mean and interval */
  intervals: Record<string, Record<string, MeanInterval>>;
  pairs: PairedComparison[];
}

/** The per-image series of a method, by metric name (Quantus-style ones by their own names). */
export function metricSeries(perImage: PerImageValues): Record<string, readonly (number | null)[]> {
  const { quantus, completenessError, ...curves } = perImage;
  return { ...curves, ...(completenessError && { completenessError }), ...quantus };
}

const defined = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

export function summariseEvaluation(
  rows: readonly Pick<MethodEvaluation, 'method' | 'perImage'>[],
  options: { seed?: number; resamples?: number; level?: number } = {},
): EvaluationSummary {
  const boot = (xs: number[]) => bootstrapMean(xs, options);
  const intervals: EvaluationSummary['intervals'] = {};
  for (const row of rows) {
    intervals[row.method] = {};
    for (const [metric, values] of Object.entries(metricSeries(row.perImage)))
      intervals[row.method]![metric] = boot(values.filter(defined));
  }
  const pairs: PairedComparison[] = [];
  for (const row of rows) {
    const base = IDGI_PAIRS[row.method];
    const baseRow = rows.find((r) => r.method === base);
    if (!base || !baseRow) continue;
    const baseSeries = metricSeries(baseRow.perImage);
    for (const [metric, values] of Object.entries(metricSeries(row.perImage))) {
      const other = baseSeries[metric];
      if (!other) continue;
      const d: number[] = [];
      values.forEach((v, i) => {
        const b = other[i];
        if (defined(v) && defined(b)) d.push(v - b);
      });
      pairs.push({ variant: row.method, base, metric, difference: boot(d), sign: signTest(d) });
    }
  }
  return { intervals, pairs };
}

/** Markdown: one row per (method, metric) with mean [low, high], then the paired comparisons. */
export function summaryTables(summary: EvaluationSummary): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '–');
  const ci = (m: MeanInterval) => `${f(m.mean)} [${f(m.low)}, ${f(m.high)}]`;
  const lines = ['| method | metric | n | mean [95 % CI] |', '|---|---|---:|---|'];
  for (const [method, metrics] of Object.entries(summary.intervals))
    for (const [metric, m] of Object.entries(metrics)) lines.push(`| ${method} | ${metric} | ${m.n} | ${ci(m)} |`);
  if (summary.pairs.length) {
    lines.push('', '| variant − base | metric | n | mean difference [95 % CI] | + / − / = | sign test p |');
    lines.push('|---|---|---:|---|---|---:|');
    for (const p of summary.pairs)
      lines.push(
        `| ${p.variant} − ${p.base} | ${p.metric} | ${p.difference.n} | ${ci(p.difference)} | ${p.sign.positive} / ${p.sign.negative} / ${p.sign.ties} | ${p.sign.p.toPrecision(3)} |`,
      );
  }
  return lines.join('\n');
}
