/**
 * The captioned figure (src/viz/figure.ts) on the CPU: the SVG's title, colour-bar numbers and
 * pixelated panels, the PNG's size and drawn text, and the bitmap font it writes with.
 */
import { describe, expect, it } from 'vitest';
import { decode } from 'fast-png';
import {
  figureFile,
  figureLayout,
  figurePng,
  figureScale,
  figureSvg,
  formatTick,
  type FigureData,
} from '../src/viz/figure.js';
import { ADVANCE, drawText, GLYPH_HEIGHT, hasGlyph, textWidth } from '../src/viz/bitmap-font.js';

const [C, H, W] = [2, 4, 5];
/** 2 channels: Σ_c attr spans −0.4 … 0.6 and Σ_c |attr| peaks at 0.9, so the two bars differ. */
function data(): FigureData {
  const attr = new Float32Array(C * H * W);
  attr[0] = -0.4; // pixel 0: signed −0.4
  attr[1] = 0.6; // pixel 1: signed 0.6
  attr[2] = 0.45; // pixel 2: 0.45 − 0.45 = 0 signed, 0.9 in magnitude
  attr[H * W + 2] = -0.45;
  const pixels = new Float32Array(C * H * W).map((_, i) => (i % 7) / 7);
  const caption = {
    model: 'lenet',
    method: 'gig-idgi',
    target: 3,
    className: 'three',
    steps: 16,
    check: 'complete: gap 0.125 % to f(x) − f(start)',
  };
  return { pixels, attribution: attr, shape: [C, H, W], caption };
}

/** The attributes of each `<tag …>` in an SVG string. */
function elements(svg: string, tag: string): Record<string, string>[] {
  return [...svg.matchAll(new RegExp(`<${tag}\\s([^>]*?)/?>`, 'g'))].map((m) =>
    Object.fromEntries([...m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])),
  );
}

const texts = (svg: string) =>
  [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
const pixel = (px: ArrayLike<number>, width: number, x: number, y: number) =>
  Array.from({ length: 3 }, (_, k) => px[(y * width + x) * 4 + k]!);

describe('figure', () => {
  it('the SVG has the title (model, method, class, steps, check), min / 0 / max from the data, and panels upscaled ≥ 8× and pixelated', () => {
    const svg = figureSvg(data());
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    const lines = texts(svg);
    expect(lines).toContain('lenet · gig-idgi · class 3 (three) · 16 steps');
    expect(lines).toContain('complete: gap 0.125 % to f(x) − f(start)');
    // the signed bar: data min and max at its ends, 0 inside; the |attr| bar: 0 … its max
    expect(lines.filter((t) => t === '−0.4')).toHaveLength(1);
    expect(lines.filter((t) => t === '0.6')).toHaveLength(1);
    expect(lines.filter((t) => t === '0.9')).toHaveLength(1);
    expect(lines.filter((t) => t === '0')).toHaveLength(2);

    const images = elements(svg, 'image');
    const scale = figureScale(H, W);
    expect(scale).toBeGreaterThanOrEqual(8);
    const panels = images.filter((im) => Number(im['width']) === W * scale && Number(im['height']) === H * scale);
    expect(panels).toHaveLength(3);
    for (const p of panels) {
      expect(p['style']).toBe('image-rendering:pixelated');
      const png = decode(Buffer.from(p['href']!.replace('data:image/png;base64,', ''), 'base64'));
      expect([png.width, png.height]).toEqual([W, H]); // one PNG pixel per input pixel: small, and crisp when shown
    }
    // the signed panel: blue for −0.4, red for 0.6, white for 0
    const signed = decode(Buffer.from(panels[1]!['href']!.split(',')[1]!, 'base64'));
    const [neg, pos, zero] = [0, 1, 2].map((i) => pixel(signed.data, W, i, 0));
    expect(neg[2]!).toBeGreaterThan(neg[0]! + 50);
    expect(pos[0]!).toBeGreaterThan(pos[2]! + 50);
    expect(zero).toEqual([247, 247, 247]);
  });

  it('the PNG decodes to the layout size, with the title drawn, panels as blocks of scale × scale and both colour bars', () => {
    const d = data();
    const layout = figureLayout(d);
    const png = decode(figurePng(d));
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    expect(png.channels).toBe(4);
    // the title band is not blank: dark ink where the first line's text is
    const title = layout.texts[0]!;
    let ink = 0;
    for (let y = title.y; y < title.y + GLYPH_HEIGHT * title.scale; y++) {
      for (let x = title.x; x < title.x + textWidth(title.text, title.scale); x++)
        if (pixel(png.data, png.width, x, y).every((v) => v < 80)) ink++;
    }
    expect(ink).toBeGreaterThan(200);
    // the signed panel, upscaled by nearest neighbour: input pixel (1, 0) fills a scale × scale block
    const panel = layout.images[1]!;
    const s = layout.scale;
    const block = new Set<string>();
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) block.add(pixel(png.data, png.width, panel.x + s + x, panel.y + y).join());
    expect(block.size).toBe(1);
    // the signed bar runs blue → red, the |attr| bar dark → light
    const [signedBar, magnitudeBar] = layout.images.slice(3);
    const ends = (b: typeof signedBar) => [
      pixel(png.data, png.width, b!.x, b!.y + 2),
      pixel(png.data, png.width, b!.x + b!.box.width - 1, b!.y + 2),
    ];
    const [blue, red] = ends(signedBar);
    expect(blue![2]!).toBeGreaterThan(blue![0]! + 50);
    expect(red![0]!).toBeGreaterThan(red![2]! + 50);
    const [dark, light] = ends(magnitudeBar);
    expect(dark!.reduce((a, b) => a + b)).toBeLessThan(60);
    expect(light!.reduce((a, b) => a + b)).toBeGreaterThan(500);
    expect(layout.ranges).toEqual({
      signed: { min: expect.closeTo(-0.4, 6), max: expect.closeTo(0.6, 6) },
      magnitude: { max: expect.closeTo(0.9, 6) },
    });
  });

  it('a figure file is SVG text for *.svg and PNG bytes otherwise (as --figure writes it)', () => {
    expect(figureFile('out/f.SVG', data())).toBe(figureSvg(data()));
    const png = figureFile('out/f.png', data());
    expect(png).toBeInstanceOf(Uint8Array);
    expect(decode(png as Uint8Array).width).toBe(figureLayout(data()).width);
  });

  it('upscales ≥ 8× (to ≥ 224 px for small inputs), capped at 2048 px for large ones', () => {
    expect(figureScale(28, 28)).toBe(8);
    expect(figureScale(4, 5)).toBe(45);
    expect(figureScale(64, 64)).toBe(8);
    expect(figureScale(512, 512)).toBe(4);
  });

  it('formats colour-bar numbers in at most 9 characters, with a real minus sign', () => {
    expect([0, 0.6, -0.4, 1234.5, 0.00123456, -1.2e-7, 3e9].map(formatTick)).toEqual([
      '0',
      '0.6',
      '−0.4',
      '1230',
      '0.00123',
      '−1.2e−7',
      '3e9',
    ]);
    for (const v of [-9.87654e-12, -123.456, 0.000999, -99999]) expect(formatTick(v).length).toBeLessThanOrEqual(9);
  });
});

describe('bitmap font', () => {
  it('has a distinct glyph for every printable ASCII character and the caption symbols', () => {
    const seen = new Set<string>();
    for (let code = 32; code < 127; code++) {
      const ch = String.fromCharCode(code);
      expect(hasGlyph(ch), ch).toBe(true);
      const px = new Uint8Array(ADVANCE * 8 * 4);
      drawText(px, ADVANCE, 8, ch, 0, 0, 1, [0, 0, 0]);
      seen.add(px.join());
    }
    expect(seen.size).toBe(95);
    for (const ch of ['·', '−', '×', 'Σ']) expect(hasGlyph(ch)).toBe(true);
  });

  it('draws text at a scale, measures it, and draws an unknown character as a box', () => {
    const [w, h] = [40, 20];
    const px = new Uint8Array(w * h * 4);
    drawText(px, w, h, 'Hi', 1, 2, 2, [255, 0, 0]);
    expect(textWidth('Hi', 2)).toBe((2 * ADVANCE - 1) * 2);
    let lit = 0;
    for (let i = 0; i < w * h; i++) if (px[i * 4] === 255) lit++;
    expect(lit).toBeGreaterThan(40);
    expect(lit % 4).toBe(0); // whole 2 × 2 font pixels
    const box = new Uint8Array(ADVANCE * 8 * 4);
    drawText(box, ADVANCE, 8, '☃', 0, 0, 1, [9, 9, 9]);
    expect(box[3]).toBe(255); // the top-left corner of the box
  });
});
