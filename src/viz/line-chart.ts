/**
 * Small-multiple line charts as a standalone SVG: a grid of panels sharing one x axis of named
 * points, one coloured polyline (with markers) per series, and a legend. Used for the sanity checks'
 * figures (similarity against the randomised layer, one curve per method).
 */
export interface ChartSeries {
  name: string;
  /** one value per x point; NaN leaves a gap */
  values: readonly number[];
}

export interface ChartPanel {
  title: string;
  series: readonly ChartSeries[];
}

export interface LineChart {
  title: string;
  /** names of the x points (drawn rotated under the bottom row) */
  xLabels: readonly string[];
  xTitle: string;
  yTitle: string;
  /** [lo, hi] of every panel's y axis */
  yRange: readonly [number, number];
  /** rows of panels */
  rows: readonly (readonly ChartPanel[])[];
}

/** Colour-blind-safe palette (Okabe–Ito, then Tol's muted). */
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#332288', '#999933', '#882255'];

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const PANEL = { width: 230, height: 160, gapX: 40, gapY: 40 };
const MARGIN = { left: 60, top: 66, right: 40 };

/** A tick label: a short decimal with a true minus sign. */
const tickLabel = (v: number) => String(+v.toFixed(2)).replace('-', '−');

/** y ticks every 0.25 or 0.5 across the range. */
function yTicks([lo, hi]: readonly [number, number]): number[] {
  const step = hi - lo > 1.5 ? 0.5 : 0.25;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toFixed(6));
  return out;
}

export function lineChartSvg(c: LineChart): string {
  const cols = Math.max(...c.rows.map((r) => r.length));
  const names = [...new Set(c.rows.flatMap((r) => r.flatMap((p) => p.series.map((s) => s.name))))];
  const colour = (name: string) => PALETTE[names.indexOf(name) % PALETTE.length]!;
  const width = MARGIN.left + cols * PANEL.width + (cols - 1) * PANEL.gapX + MARGIN.right;
  // room for the x labels (9 px text rotated 60°: about 4.7 px down per character) and the x title
  const bottomMargin = 40 + Math.ceil(4.7 * Math.max(0, ...c.xLabels.map((l) => l.length)));
  const height = MARGIN.top + c.rows.length * (PANEL.height + PANEL.gapY) + bottomMargin;
  const [lo, hi] = c.yRange;
  const n = c.xLabels.length;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">`,
    `<title>${escapeXml(c.title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="bold">${escapeXml(c.title)}</text>`,
  ];
  // legend
  let lx = MARGIN.left;
  for (const name of names) {
    out.push(`<rect x="${lx}" y="28" width="14" height="4" fill="${colour(name)}"/>`);
    out.push(`<text x="${lx + 18}" y="34">${escapeXml(name)}</text>`);
    lx += 26 + 7 * name.length;
  }
  c.rows.forEach((row, r) => {
    const top = MARGIN.top + r * (PANEL.height + PANEL.gapY);
    row.forEach((panel, k) => {
      const left = MARGIN.left + k * (PANEL.width + PANEL.gapX);
      const x = (i: number) => left + (n > 1 ? (i / (n - 1)) * PANEL.width : PANEL.width / 2);
      const y = (v: number) => top + PANEL.height - ((Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo)) * PANEL.height;
      out.push(
        `<text x="${left + PANEL.width / 2}" y="${top - 6}" text-anchor="middle">${escapeXml(panel.title)}</text>`,
      );
      out.push(
        `<rect x="${left}" y="${top}" width="${PANEL.width}" height="${PANEL.height}" fill="none" stroke="#888"/>`,
      );
      for (const t of yTicks(c.yRange)) {
        out.push(
          `<line x1="${left}" x2="${left + PANEL.width}" y1="${y(t)}" y2="${y(t)}" stroke="${t === 0 ? '#888' : '#e4e4e4'}"/>`,
        );
        if (k === 0) out.push(`<text x="${left - 4}" y="${y(t) + 4}" text-anchor="end">${tickLabel(t)}</text>`);
      }
      for (let i = 0; i < n; i++)
        out.push(
          `<line x1="${x(i)}" x2="${x(i)}" y1="${top + PANEL.height}" y2="${top + PANEL.height + 3}" stroke="#888"/>`,
        );
      for (const s of panel.series) {
        const pts = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v).toFixed(1)}` : null));
        let run: string[] = [];
        const flush = () => {
          if (run.length > 1)
            out.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${colour(s.name)}" stroke-width="1.5"/>`);
          run = [];
        };
        for (const p of pts) p ? run.push(p) : flush();
        flush();
        for (const p of pts)
          if (p) out.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2" fill="${colour(s.name)}"/>`);
      }
      if (r === c.rows.length - 1 || k >= c.rows[r + 1]!.length)
        c.xLabels.forEach((label, i) =>
          out.push(
            `<text transform="translate(${x(i) + 3},${top + PANEL.height + 8}) rotate(60)" font-size="9">${escapeXml(label)}</text>`,
          ),
        );
    });
  });
  const bottom = height - 8;
  out.push(`<text x="${width / 2}" y="${bottom}" text-anchor="middle">${escapeXml(c.xTitle)}</text>`);
  out.push(
    `<text transform="translate(14,${MARGIN.top + (height - MARGIN.top - bottomMargin) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(c.yTitle)}</text>`,
  );
  out.push('</svg>');
  return out.join('\n') + '\n';
}
