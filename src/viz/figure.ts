/**
 * The captioned attribution figure: a title (model, method, target class, steps, the check that
 * applies), then the input, the signed map Σ_c attr (blue–white–red, symmetric about 0) and the
 * |attr| map Σ_c |attr| (the heatmap's ramp), each upscaled ≥ 8× by nearest neighbour, with colour
 * bars labelled by the data's min / 0 / max. One layout (`figureLayout`) is drawn two ways: as SVG
 * (panels embedded as small PNGs shown pixelated, real text) and as an RGBA raster (text in the
 * built-in bitmap font) for PNG files, so both need no browser.
 */
import { encode } from 'fast-png';
import { absPercentile, colormap, divergingColormap, heatmapRgba, pixelSaliency } from './heatmap.js';
import { ADVANCE, drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';

export interface FigureCaption {
  model: string;
  method: string;
  /** the explained class (−1: a function's own f) */
  target: number;
  className?: string;
  steps: number;
  /** the check that applies to the method, as one line (e.g. "complete: gap 0.01 % to f(x) − f(baseline)") */
  check: string;
}

export interface FigureData {
  /** the input as shown, [C, H, W] in [0, 1] (gray or RGB) */
  pixels: ArrayLike<number>;
  /** one attribution [C, H, W] */
  attribution: ArrayLike<number>;
  shape: readonly number[];
  caption: FigureCaption;
  /** |values| at this quantile take the ramps' ends; larger ones saturate (default 0.995) */
  percentile?: number;
}

/** Text drawn at (x, y) = its top-left (start), top-centre (middle) or top-right (end), `scale` pixels per font pixel. */
export interface TextItem {
  text: string;
  x: number;
  y: number;
  scale: number;
  anchor: 'start' | 'middle' | 'end';
  colour: readonly [number, number, number];
}

/** An image placed in the figure: `rgba` is `width` × `height`, drawn `scale`× (panels) or stretched to `box` (bars). */
export interface Placed {
  rgba: Uint8ClampedArray;
  width: number;
  height: number;
  x: number;
  y: number;
  box: { width: number; height: number };
}

export interface FigureLayout {
  width: number;
  height: number;
  /** upscaling of the panels (≥ 8) */
  scale: number;
  images: Placed[];
  texts: TextItem[];
  /** tick marks at 0 on the colour bars */
  ticks: { x: number; y: number; height: number }[];
  /** the numbers on the colour bars, as labelled */
  ranges: { signed: { min: number; max: number }; magnitude: { max: number } };
}

const MARGIN = 16;
const GAP = 16;
const TITLE_SCALE = 2;
const LABEL_SCALE = 2;
const LINE = GLYPH_HEIGHT * TITLE_SCALE + 8;
const BAR_HEIGHT = 14;
/** columns are at least this wide, so a colour bar's three numbers never overlap */
const MIN_COLUMN = 224;
const MAX_PANEL = 2048;
const INK: readonly [number, number, number] = [29, 29, 36];
const MUTED: readonly [number, number, number] = [107, 107, 120];

/** Panel upscaling: at least 8×, to ≥ 224 px for small inputs, and no panel past 2048 px. */
export function figureScale(h: number, w: number): number {
  const big = Math.max(h, w);
  return big * 8 > MAX_PANEL ? Math.max(1, Math.floor(MAX_PANEL / big)) : Math.max(8, Math.ceil(MIN_COLUMN / big));
}

/** A colour-bar number in at most 9 characters: 3 significant digits, exponent form when tiny or huge. */
export function formatTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  const s =
    a >= 1e-3 && a < 1e4
      ? String(Number(v.toPrecision(3)))
      : v
          .toExponential(2)
          .replace(/\.?0+e/, 'e')
          .replace('e+', 'e');
  return s.replace(/-/g, '−');
}

export function figureTitle(c: FigureCaption): string[] {
  const target = c.target < 0 ? 'its own f' : `class ${c.target}${c.className ? ` (${c.className})` : ''}`;
  return [`${c.model} · ${c.method} · ${target} · ${c.steps} step${c.steps === 1 ? '' : 's'}`, c.check];
}

function rgba(n: number, colour: (i: number) => readonly number[]): Uint8ClampedArray {
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const [r, g, b] = colour(i);
    out.set([r!, g!, b!, 255], i * 4);
  }
  return out;
}

/** The input's pixels (gray or the first three channels) as RGBA. */
export function inputRgba(pixels: ArrayLike<number>, c: number, h: number, w: number): Uint8ClampedArray {
  const v = (k: number, i: number) => 255 * Math.min(1, Math.max(0, pixels[k * h * w + i]!));
  return rgba(h * w, (i) => (c >= 3 ? [v(0, i), v(1, i), v(2, i)] : [v(0, i), v(0, i), v(0, i)]));
}

/** Σ_c attr per pixel through the diverging ramp, ±`limit` at its ends. */
export function signedRgba(signed: ArrayLike<number>, limit: number): Uint8ClampedArray {
  return rgba(signed.length, (i) => divergingColormap(signed[i]! / limit));
}

function extent(v: ArrayLike<number>): { min: number; max: number } {
  let [min, max] = [Infinity, -Infinity];
  for (let i = 0; i < v.length; i++) [min, max] = [Math.min(min, v[i]!), Math.max(max, v[i]!)];
  return { min, max };
}

/**
 * A colour bar from `lo` to `hi` (one pixel row, `width` wide): the colour of the value at each
 * pixel's centre, so it shows the same saturation as the panel it labels.
 */
export function colourBarRgba(
  width: number,
  lo: number,
  hi: number,
  colour: (v: number) => readonly number[],
): Uint8ClampedArray {
  return rgba(width, (k) => colour(lo + ((hi - lo) * (k + 0.5)) / width));
}

/** The two maps of one attribution and their colour scales, as the figure and the demo show them. */
export interface AttributionMaps {
  /** Σ_c attr per pixel, its range, and the |value| that takes the diverging ramp's ends */
  signed: Float32Array;
  signedRange: { min: number; max: number };
  signedLimit: number;
  /** Σ_c |attr| per pixel, its max, and the value that takes the sequential ramp's top */
  magnitude: Float32Array;
  magnitudeMax: number;
  magnitudeTop: number;
  /** the signed bar spans the data and always 0: [min(min, 0), max(max, 0)] */
  signedBarRange: [number, number];
}

export function attributionMaps(
  attribution: ArrayLike<number>,
  shape: readonly number[],
  percentile = 0.995,
): AttributionMaps {
  const [c, h, w] = shape as [number, number, number];
  if (shape.length !== 3 || !(c > 0 && h > 0 && w > 0))
    throw new Error(`figure: needs an image [C, H, W], got [${shape.join(', ')}]`);
  const signed = pixelSaliency(attribution, c, h, w, 'signed');
  const magnitude = pixelSaliency(attribution, c, h, w, 'abs');
  const s = extent(signed);
  const m = extent(magnitude);
  return {
    signed,
    signedRange: s,
    signedLimit: absPercentile(signed, percentile) || Math.max(-s.min, s.max) || 1,
    magnitude,
    magnitudeMax: m.max,
    magnitudeTop: absPercentile(magnitude, percentile) || m.max || 1,
    signedBarRange: [Math.min(s.min, 0), Math.max(s.max, 0)],
  };
}

/** The colour bars of `maps`, `width` pixels each (one row). */
export function colourBars(
  maps: AttributionMaps,
  width: number,
): { signed: Uint8ClampedArray; magnitude: Uint8ClampedArray } {
  const [lo, hi] = maps.signedBarRange;
  return {
    signed: colourBarRgba(width, lo, hi, (v) => divergingColormap(v / maps.signedLimit)),
    magnitude: colourBarRgba(width, 0, maps.magnitudeMax, (v) => colormap(v / maps.magnitudeTop)),
  };
}

/** Where 0 falls on the signed bar, as a fraction of its width. */
export function zeroOnBar(maps: AttributionMaps): number {
  const [lo, hi] = maps.signedBarRange;
  return (0 - lo) / (hi - lo || 1);
}

/** Everything the figure shows, placed: both renderers draw exactly this. */
export function figureLayout(d: FigureData): FigureLayout {
  const [c, h, w] = d.shape as [number, number, number];
  const q = d.percentile ?? 0.995;
  const maps = attributionMaps(d.attribution, d.shape, q);
  const s = maps.signedRange;
  const scale = figureScale(h, w);
  const [pw, ph] = [w * scale, h * scale];
  const col = Math.max(pw, MIN_COLUMN);
  const title = figureTitle(d.caption);
  const width = Math.max(
    2 * MARGIN + 3 * col + 2 * GAP,
    2 * MARGIN + Math.max(...title.map((t) => textWidth(t, TITLE_SCALE))),
  );
  const texts: TextItem[] = title.map((text, i) => ({
    text,
    x: MARGIN,
    y: MARGIN + i * LINE,
    scale: TITLE_SCALE,
    anchor: 'start',
    colour: i ? MUTED : INK,
  }));
  const labelY = MARGIN + title.length * LINE + 8;
  const panelY = labelY + GLYPH_HEIGHT * LABEL_SCALE + 6;
  const zeroY = panelY + ph + 8;
  const barY = zeroY + GLYPH_HEIGHT * LABEL_SCALE + 4;
  const numbersY = barY + BAR_HEIGHT + 4;
  const height = numbersY + GLYPH_HEIGHT * LABEL_SCALE + MARGIN;
  const colX = (k: number) => MARGIN + k * (col + GAP);
  const panel = (k: number, data: Uint8ClampedArray): Placed => ({
    rgba: data,
    width: w,
    height: h,
    x: colX(k) + Math.floor((col - pw) / 2),
    y: panelY,
    box: { width: pw, height: ph },
  });
  const bar = (k: number, data: Uint8ClampedArray): Placed => ({
    rgba: data,
    width: col,
    height: 1,
    x: colX(k),
    y: barY,
    box: { width: col, height: BAR_HEIGHT },
  });
  const label = (k: number, text: string): TextItem => ({
    text,
    x: colX(k),
    y: labelY,
    scale: LABEL_SCALE,
    anchor: 'start',
    colour: INK,
  });
  const number = (x: number, y: number, v: number, anchor: TextItem['anchor']): TextItem => ({
    text: formatTick(v),
    x,
    y,
    scale: LABEL_SCALE,
    anchor,
    colour: INK,
  });

  const zeroX = colX(1) + col * zeroOnBar(maps);
  // the "0" label stays inside its column even when 0 is an end of the bar
  const zeroLabelX = Math.min(
    colX(1) + col - (ADVANCE * LABEL_SCALE) / 2,
    Math.max(colX(1) + (ADVANCE * LABEL_SCALE) / 2, zeroX),
  );
  texts.push(
    label(0, 'input'),
    label(1, 'signed Σc attr'),
    label(2, '|attr| Σc |attr|'),
    { ...number(zeroLabelX, zeroY, 0, 'middle'), colour: MUTED },
    number(colX(1), numbersY, s.min, 'start'),
    number(colX(1) + col, numbersY, s.max, 'end'),
    number(colX(2), numbersY, 0, 'start'),
    number(colX(2) + col, numbersY, maps.magnitudeMax, 'end'),
  );
  const bars = colourBars(maps, col);
  return {
    width,
    height,
    scale,
    images: [
      panel(0, inputRgba(d.pixels, c, h, w)),
      panel(1, signedRgba(maps.signed, maps.signedLimit)),
      panel(2, heatmapRgba(d.attribution, c, h, w, { percentile: q })),
      bar(1, bars.signed),
      bar(2, bars.magnitude),
    ],
    texts,
    ticks: [{ x: Math.round(zeroX), y: barY - 3, height: BAR_HEIGHT + 6 }],
    ranges: { signed: { min: s.min, max: s.max }, magnitude: { max: maps.magnitudeMax } },
  };
}

function pngDataUri(p: Placed): string {
  const png = encode({ width: p.width, height: p.height, data: p.rgba, channels: 4, depth: 8 });
  let binary = '';
  for (let i = 0; i < png.length; i += 0x8000) binary += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(binary)}`;
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const css = (c: readonly number[]) => `rgb(${c.join(',')})`;

/** The figure as a standalone SVG document (panels and bars as embedded PNGs shown pixelated). */
export function figureSvg(d: FigureData): string {
  const l = figureLayout(d);
  const title = figureTitle(d.caption);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${l.width}" height="${l.height}" viewBox="0 0 ${l.width} ${l.height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`,
    `<title>${escapeXml(title.join(' — '))}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
  ];
  for (const p of l.images) {
    out.push(
      `<image x="${p.x}" y="${p.y}" width="${p.box.width}" height="${p.box.height}" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${pngDataUri(p)}"/>`,
    );
  }
  for (const t of l.ticks) out.push(`<rect x="${t.x}" y="${t.y}" width="1" height="${t.height}" fill="${css(INK)}"/>`);
  for (const t of l.texts) {
    // font-size 10·scale: a monospace advance of 0.6 em is the bitmap font's 6·scale pixels
    out.push(
      `<text x="${t.x}" y="${t.y + GLYPH_HEIGHT * t.scale}" font-size="${10 * t.scale}" text-anchor="${t.anchor}" fill="${css(t.colour)}">${escapeXml(t.text)}</text>`,
    );
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The figure as RGBA pixels (what the PNG holds). */
export function figureRgba(d: FigureData): { width: number; height: number; data: Uint8ClampedArray } {
  const l = figureLayout(d);
  const data = new Uint8ClampedArray(l.width * l.height * 4).fill(255);
  for (const p of l.images) {
    const [x0, y0] = [Math.round(p.x), Math.round(p.y)];
    for (let y = 0; y < p.box.height; y++) {
      const sy = Math.floor((y * p.height) / p.box.height);
      for (let x = 0; x < p.box.width; x++) {
        const sx = Math.floor((x * p.width) / p.box.width);
        const from = (sy * p.width + sx) * 4;
        data.set(p.rgba.subarray(from, from + 4), ((y0 + y) * l.width + x0 + x) * 4);
      }
    }
  }
  for (const t of l.ticks) for (let y = t.y; y < t.y + t.height; y++) data.set([...INK, 255], (y * l.width + t.x) * 4);
  for (const t of l.texts) {
    const tw = textWidth(t.text, t.scale);
    const x = t.anchor === 'start' ? t.x : t.anchor === 'middle' ? t.x - tw / 2 : t.x - tw;
    drawText(data, l.width, l.height, t.text, x, t.y, t.scale, t.colour);
  }
  return { width: l.width, height: l.height, data };
}

/** The figure as a PNG file. */
export function figurePng(d: FigureData): Uint8Array {
  const { width, height, data } = figureRgba(d);
  return encode({ width, height, data, channels: 4, depth: 8 });
}

/** The figure for a file name: SVG for *.svg, PNG otherwise. */
export function figureFile(path: string, d: FigureData): Uint8Array | string {
  return /\.svg$/i.test(path) ? figureSvg(d) : figurePng(d);
}
