/** Hostile PNGs: sizes checked from the header before decoding, palette and corrupt data as one-line errors, one gray formula. */
import { describe, expect, it } from 'vitest';
import { crc32, deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { decodePng } from '../src/data/png.js';
import { DEFAULT_MAX_PNG_PIXELS, readPngHeader } from '../src/data/png-limits.js';
import { GRAY_WEIGHTS, rgbToGray } from '../src/data/gray.js';
import { PathlightError } from '../src/errors.js';

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG written by hand: signature, IHDR (8-bit), the given extra chunks, one IDAT of `raw` (filter bytes included), IEND. */
function handMadePng(
  width: number,
  height: number,
  colourType: number,
  raw: Uint8Array,
  extra: Buffer[] = [],
): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colourType;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(
    Buffer.concat([
      signature,
      chunk('IHDR', ihdr),
      ...extra,
      chunk('IDAT', deflateSync(raw)),
      chunk('IEND', new Uint8Array(0)),
    ]),
  );
}

/** The thrown error, asserted to be a one-line PathlightError. */
function errorOf(what: () => unknown): PathlightError {
  try {
    what();
  } catch (e) {
    expect(e).toBeInstanceOf(PathlightError);
    expect((e as Error).message.split('\n')).toHaveLength(1);
    return e as PathlightError;
  }
  throw new Error('expected an error');
}

describe('declared sizes are checked before decoding', () => {
  // 20 000 × 20 000 gray pixels declared, a few bytes of pixel data: decoding would allocate 400 MB+
  const huge = handMadePng(20_000, 20_000, 0, new Uint8Array(16));

  it('reads the header without decoding', () => {
    expect(readPngHeader(huge, 'huge.png')).toEqual({ width: 20_000, height: 20_000, depth: 8, colourType: 0 });
    expect(errorOf(() => readPngHeader(Uint8Array.of(1, 2, 3), 'x.png')).message).toMatch(
      /^x\.png: not a readable PNG/,
    );
  });

  it('refuses more pixels than the cap at once', () => {
    const t0 = performance.now();
    expect(errorOf(() => decodePng(huge, { source: 'huge.png' })).message).toMatch(
      /^huge\.png: the PNG declares 20000×20000 pixels, more than the limit of 16777216/,
    );
    expect(performance.now() - t0).toBeLessThan(200);
    expect(DEFAULT_MAX_PNG_PIXELS).toBe(4096 * 4096);
  });

  it('maxPixels overrides the cap', () => {
    const png = encode({ width: 64, height: 64, data: new Uint8Array(64 * 64), channels: 1, depth: 8 });
    expect(decodePng(png).width).toBe(64);
    expect(errorOf(() => decodePng(png, { maxPixels: 1000, source: 'a.png' })).message).toMatch(
      /64×64 pixels, more than the limit of 1000/,
    );
  });

  it('refuses a size other than the expected ones before decoding', () => {
    expect(
      errorOf(() => decodePng(huge, { source: 'huge.png', expectedSizes: [{ width: 28, height: 28 }] })).message,
    ).toBe('huge.png: the PNG is 20000×20000 pixels, expected 28×28');
    const png = encode({ width: 28, height: 28, data: new Uint8Array(28 * 28), channels: 1, depth: 8 });
    const sizes = [
      { width: 32, height: 32 },
      { width: 28, height: 28 },
    ];
    expect(decodePng(png, { expectedSizes: sizes }).height).toBe(28);
    expect(errorOf(() => decodePng(png, { expectedSizes: sizes.slice(0, 1) })).message).toMatch(
      /28×28 pixels, expected 32×32$/,
    );
  });

  it('refuses a zero size', () => {
    expect(errorOf(() => decodePng(handMadePng(0, 5, 0, new Uint8Array(1)), { source: 'z.png' })).message).toMatch(
      /z\.png: .*0×5 pixels/,
    );
  });
});

describe('corrupt PNGs are one-line errors naming the file', () => {
  it('pixel data that inflates beyond the declared size (a zlib bomb) is refused early', () => {
    // 1×1 declared, 200 MB of zeros in a ~200 KB IDAT: fast-png alone would inflate all of it
    const bomb = handMadePng(1, 1, 0, new Uint8Array(200e6));
    expect(bomb.length).toBeLessThan(300_000);
    const t0 = performance.now();
    expect(errorOf(() => decodePng(bomb, { source: 'bomb.png' })).message).toMatch(
      /^bomb\.png: the PNG's pixel data inflates to more than the 1×1 pixels it declares/,
    );
    expect(performance.now() - t0).toBeLessThan(500);
    // a broken zlib header (the first byte of the IDAT data, after signature, IHDR and the IDAT's length and type)
    const broken = handMadePng(1, 1, 0, Uint8Array.of(0, 7));
    broken[8 + 25 + 8] = 0xff;
    expect(errorOf(() => decodePng(broken, { source: 'z.png' })).message).toMatch(
      /^z\.png: not a readable PNG: its pixel data does not inflate/,
    );
  });

  it('a palette index out of range', () => {
    const png = encode({
      width: 2,
      height: 1,
      data: Uint8Array.of(0, 5),
      channels: 1,
      depth: 8,
      palette: [
        [255, 0, 0],
        [0, 255, 0],
      ],
    });
    expect(errorOf(() => decodePng(png, { source: 'bad-palette.png' })).message).toBe(
      "bad-palette.png: a pixel's palette index is out of range of the PNG's palette",
    );
  });

  it('a palette image without a palette', () => {
    expect(errorOf(() => decodePng(handMadePng(2, 1, 3, Uint8Array.of(0, 0, 1)), { source: 'p.png' })).message).toMatch(
      /^p\.png: not a readable PNG: .*palette/,
    );
  });

  it('truncated pixel data and garbage after the header', () => {
    // 4×4 gray declares 4 rows of 1 filter byte + 4 samples; give one row
    expect(
      errorOf(() => decodePng(handMadePng(4, 4, 0, Uint8Array.of(0, 1, 2, 3, 4)), { source: 't.png' })).message,
    ).toMatch(/^t\.png: not a readable PNG: /);
    const good = encode({ width: 4, height: 4, data: new Uint8Array(16), channels: 1, depth: 8 });
    expect(errorOf(() => decodePng(good.slice(0, 40), { source: 'cut.png' })).message).toMatch(
      /^cut\.png: not a readable PNG: /,
    );
  });
});

describe('one colour→gray formula', () => {
  it('is 0.2989 R + 0.587 G + 0.114 B', () => {
    expect(GRAY_WEIGHTS).toEqual({ r: 0.2989, g: 0.587, b: 0.114 });
    expect(rgbToGray(1, 0, 0)).toBe(0.2989);
    expect(rgbToGray(0.5, 0.25, 1)).toBeCloseTo(0.2989 * 0.5 + 0.587 * 0.25 + 0.114, 15);
  });

  it('decodes RGB, RGBA and palette PNGs to gray with it', () => {
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
    const expected = [0.2989, 0.587, 0.114, 0.2989 + 0.587 + 0.114].map(Math.fround);
    const fromRgb = decodePng(encode({ width: 4, height: 1, data: Uint8Array.from(rgb), channels: 3, depth: 8 }), {
      channels: 1,
    });
    expect(Array.from(fromRgb.data)).toEqual(expected);
    const rgba = rgb.flatMap((v, i) => (i % 3 === 2 ? [v, 128] : [v]));
    expect(
      Array.from(
        decodePng(encode({ width: 4, height: 1, data: Uint8Array.from(rgba), channels: 4, depth: 8 }), { channels: 1 })
          .data,
      ),
    ).toEqual(expected);
    const palette = [
      [255, 0, 0],
      [0, 255, 0],
      [0, 0, 255],
      [255, 255, 255],
    ];
    const indexed = decodePng(
      encode({ width: 4, height: 1, data: Uint8Array.of(0, 1, 2, 3), channels: 1, depth: 8, palette }),
      { channels: 1 },
    );
    expect(Array.from(indexed.data)).toEqual(expected);
    // and the RGB planes of the palette image are its colours
    expect(
      Array.from(
        decodePng(encode({ width: 4, height: 1, data: Uint8Array.of(0, 1, 2, 3), channels: 1, depth: 8, palette }))
          .data,
      ),
    ).toEqual([1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1]);
  });
});

describe("the demo's dropped files", () => {
  it('a dropped PNG is refused from its header before the browser decodes it; other files pass to the browser', async () => {
    const { checkDroppedPng } = await import('../demo/assets.js');
    const huge = handMadePng(20_000, 20_000, 0, new Uint8Array(16));
    await expect(checkDroppedPng(new Blob([new Uint8Array(huge)]))).rejects.toThrow(
      /^the dropped PNG: the PNG declares 20000×20000 pixels/,
    );
    const small = encode({ width: 28, height: 28, data: new Uint8Array(28 * 28), channels: 1, depth: 8 });
    await expect(checkDroppedPng(new Blob([new Uint8Array(small)]))).resolves.toBeUndefined();
    await expect(checkDroppedPng(new Blob([Uint8Array.of(0xff, 0xd8, 0xff)]))).resolves.toBeUndefined(); // a JPEG's start
  });
});
