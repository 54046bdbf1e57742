/**
 * A small hand-written SVG line plot (log-log axes) for bench/results/bench-steps.svg: one panel
 * per chart, one polyline per series, a shared legend. No dependencies; runs in a page or in Node.
 */

export interface Series {
  label: string;
  points: [number, number][];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#7f7f7f',
  '#bcbd22',
];
const W = 460;
const H = 340;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => (v >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : `${+v.toPrecision(3)}`);

/** Tick values on a log axis: powers of `base` inside [lo, hi], plus 2× and 5× steps for base 10 when there are few. */
function logTicks(lo: number, hi: number, base: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log(lo) / Math.log(base)); base ** e <= hi * 1.0001; e++) {
    const mults = base === 10 && Math.log10(hi / lo) < 2 ? [1, 2, 5] : [1];
    for (const m of mults) {
      const v = m * base ** e;
      if (v >= lo * 0.9999 && v <= hi * 1.0001) out.push(v);
    }
  }
  return out;
}

function panel(chart: Chart, x0: number, colorOf: (label: string) => string): string {
  const pts = chart.series.flatMap((s) => s.points).filter(([x, y]) => x > 0 && y > 0);
  if (pts.length === 0) return '';
  const [xmin, xmax] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  const [ymin, ymax] = [Math.min(...pts.map((p) => p[1])) / 1.2, Math.max(...pts.map((p) => p[1])) * 1.2];
  const [lx0, lx1] = [Math.log(xmin / 1.15), Math.log(xmax * 1.15)];
  const [ly0, ly1] = [Math.log(ymin), Math.log(ymax)];
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => x0 + M.left + ((Math.log(x) - lx0) / (lx1 - lx0)) * pw;
  const sy = (y: number) => M.top + ph - ((Math.log(y) - ly0) / (ly1 - ly0 || 1)) * ph;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + M.left + pw / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(chart.title)}</text>`,
  );
  parts.push(`<rect x="${x0 + M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#444"/>`);
  for (const t of logTicks(xmin, xmax, 2)) {
    parts.push(`<line x1="${sx(t)}" y1="${M.top}" x2="${sx(t)}" y2="${M.top + ph}" stroke="#ddd"/>`);
    parts.push(`<text x="${sx(t)}" y="${M.top + ph + 16}" text-anchor="middle">${fmt(t)}</text>`);
  }
  for (const t of logTicks(ymin, ymax, 10)) {
    parts.push(`<line x1="${x0 + M.left}" y1="${sy(t)}" x2="${x0 + M.left + pw}" y2="${sy(t)}" stroke="#ddd"/>`);
    parts.push(`<text x="${x0 + M.left - 6}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  parts.push(`<text x="${x0 + M.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(chart.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(${x0 + 16} ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(chart.yLabel)}</text>`,
  );
  for (const s of chart.series) {
    const p = s.points.filter(([x, y]) => x > 0 && y > 0).sort((a, b) => a[0] - b[0]);
    const color = colorOf(s.label);
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of p)
      parts.push(
        `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3" fill="${color}"><title>${esc(`${s.label}: ${x} → ${fmt(y)}`)}</title></circle>`,
      );
  }
  return parts.join('\n');
}

/** Charts side by side (log-log), with one legend for all series labels. */
export function svgLinePlot(charts: Chart[], caption = ''): string {
  const labels = [...new Set(charts.flatMap((c) => c.series.map((s) => s.label)))];
  const colorOf = (label: string) => COLORS[labels.indexOf(label) % COLORS.length]!;
  const legendW = 150;
  const width = Math.max(Math.max(1, charts.length) * W + legendW, Math.ceil(caption.length * 6.5) + 16);
  const height = Math.max(H, 40 + 18 * labels.length) + (caption ? 24 : 0);
  const legend = labels.map((l, i) => {
    const y = M.top + 10 + 18 * i;
    const x = charts.length * W + 10;
    return `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${colorOf(l)}" stroke-width="3"/><text x="${x + 28}" y="${y}">${esc(l)}</text>`;
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...charts.map((c, i) => panel(c, i * W, colorOf)),
    ...legend,
    caption ? `<text x="8" y="${height - 8}" fill="#555">${esc(caption)}</text>` : '',
    '</svg>',
    '',
  ].join('\n');
}
