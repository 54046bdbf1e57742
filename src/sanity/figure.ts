/**
 * The sanity checks' figure, as in Adebayo et al.'s: similarity to the trained model's explanation
 * (mean over the images) against the randomised layer, top (logits) to bottom, one curve per method.
 * Rows: cascading, then independent randomisation; columns: Spearman, SSIM and top-k intersection,
 * each on signed and on absolute maps. The random-logit and twin values are in the JSON, not here.
 */
import { lineChartSvg, type ChartPanel } from '../viz/line-chart.js';
import type { MprtOrder, SanityReport } from './checks.js';
import { MAP_KINDS, SIMILARITY_MEASURES } from './similarity.js';

const MEASURE_TITLES = { spearman: 'Spearman rank', ssim: 'SSIM', topk: 'top-10 % intersection' };

export function sanityFigureSvg(report: SanityReport, title: string): string {
  const orders = Object.keys(report.mprt) as MprtOrder[];
  const methods = Object.keys(report.mprt[orders[0]!]?.[0]?.methods ?? {});
  const rows: ChartPanel[][] = orders.map((order) => {
    const steps = report.mprt[order]!;
    return SIMILARITY_MEASURES.flatMap((measure) =>
      MAP_KINDS.map((kind) => ({
        title: `${order}: ${MEASURE_TITLES[measure]}, ${kind === 'abs' ? '|map|' : 'signed'}`,
        series: methods.map((m) => ({ name: m, values: steps.map((s) => s.methods[m]![kind][measure].mean) })),
      })),
    );
  });
  const all = rows.flatMap((r) => r.flatMap((p) => p.series.flatMap((s) => s.values)));
  const lo = Math.min(0, Math.floor(Math.min(...all.filter(Number.isFinite)) * 4) / 4);
  return lineChartSvg({
    title,
    xLabels: ['trained', ...report.layers],
    xTitle: 'randomised layer (cascading: this one and every one above it; independent: this one alone)',
    yTitle: 'similarity to the trained map (mean)',
    yRange: [lo, 1],
    rows,
  });
}
