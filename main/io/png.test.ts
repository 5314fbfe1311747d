import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import {
  ImageFileError,
  decodeLabel16Channel0,
  decodeLabel8,
  decodePng,
  decodeRgb,
  encodeIndexPng,
  encodePng,
  encodeRgbPng,
  pngHeader,
  resizeNearest,
  thumbnailOf,
} from './png';

// Deterministic pseudo-random bytes so decode tests exercise every filter type.
function noise(n: number, seed: number, mod = 256): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s >>> 24) % mod;
  }
  return out;
}

// A smooth-plus-noise image: adaptive filtering then picks Sub/Up/Average/Paeth on different rows.
function photo(w: number, h: number): Uint8Array {
  const n = noise(w * h * 3, 7, 16);
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = (x * 3 + y * (c + 1) * 2 + n[(y * w + x) * 3 + c]) & 0xff;
  return out;
}

const toU8 = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

describe('exact PNG decoder against libvips-written files', () => {
  const w = 37;
  const h = 23;
  const rgb = photo(w, h);
  it.each([
    ['adaptive filters', { adaptiveFiltering: true, compressionLevel: 9 }],
    ['no filter', { adaptiveFiltering: false, compressionLevel: 1 }],
    ['Adam7 interlaced', { progressive: true, adaptiveFiltering: true }],
  ])('8-bit RGB, %s', async (_name, opts) => {
    const png = toU8(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png(opts).toBuffer());
    const dec = decodePng(png, 'x.png');
    expect([dec.width, dec.height, dec.channels, dec.bitDepth]).toEqual([w, h, 3, 8]);
    expect(Buffer.compare(Buffer.from(dec.data as Uint8Array), Buffer.from(rgb))).toBe(0);
  });

  it('8-bit grey, interlaced', async () => {
    const grey = noise(w * h, 3);
    const png = toU8(
      await sharp(grey, { raw: { width: w, height: h, channels: 1 } })
        .toColourspace('b-w')
        .png({ progressive: true })
        .toBuffer(),
    );
    const dec = decodeLabel8(png, 'g.png');
    expect(Array.from(dec.data)).toEqual(Array.from(grey));
  });

  it('palette indices map to the colours libvips decodes', async () => {
    const png = toU8(await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png({ palette: true, colours: 16, dither: 0 }).toBuffer());
    const raw = decodePng(png, 'p.png');
    expect(raw.colorType).toBe(3);
    const viaSharp = await sharp(png).removeAlpha().raw().toBuffer();
    const pal = raw.palette as Uint8Array;
    const expanded = new Uint8Array(w * h * 3);
    raw.data.forEach((idx, i) => expanded.set(pal.subarray(idx * 3, idx * 3 + 3), i * 3));
    expect(Buffer.compare(Buffer.from(expanded), viaSharp)).toBe(0);
  });
});

describe('16-bit SYNTHIA-style labels', () => {
  const w = 9;
  const h = 5;
  const ids = Array.from({ length: w * h }, (_, i) => [3, 4, 2, 21, 0, 300, 1, 15][i % 8]);
  const rgb16 = new Uint16Array(w * h * 3);
  ids.forEach((id, i) => {
    rgb16[i * 3] = id;
    rgb16[i * 3 + 1] = (i * 7919) & 0xffff; // instance-id junk
    rgb16[i * 3 + 2] = 0xffff - i;
  });
  const png = encodePng({ width: w, height: h, colorType: 2, bitDepth: 16, data: rgb16 });

  it('channel 0 comes back exactly, ignoring junk channels', () => {
    const lab = decodeLabel16Channel0(png, 'GT/LABELS/0000001.png');
    expect(Array.from(lab.data)).toEqual(ids);
  });

  // Why labels do not go through sharp: raw({depth: 'ushort'}) alone converts to 8-bit sRGB first and
  // then widens (ids destroyed); only with toColourspace('rgb16') does it return the stored samples.
  it('agrees with sharp only when sharp is told to stay in rgb16', async () => {
    const plain = await sharp(png).raw({ depth: 'ushort' }).toBuffer();
    const u16plain = new Uint16Array(plain.buffer, plain.byteOffset, plain.length / 2);
    expect(Array.from(u16plain)).not.toEqual(Array.from(rgb16));
    const { data, info } = await sharp(png).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    expect(data.length).toBe(info.width * info.height * info.channels * 2);
    const u16 = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    expect(Array.from(u16)).toEqual(Array.from(rgb16));
  });

  it('an 8-bit re-save is refused as wrong bit depth, naming the file', () => {
    const png8 = encodePng({ width: w, height: h, colorType: 2, bitDepth: 8, data: Array.from(rgb16, (v) => v & 0xff) });
    let err: unknown;
    try {
      decodeLabel16Channel0(png8, '/d/GT/LABELS/0000002.png');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageFileError);
    expect((err as ImageFileError).problem).toBe('wrong-bit-depth');
    expect((err as Error).message).toMatch(/^\/d\/GT\/LABELS\/0000002\.png: expected a 16-bit/);
  });
});

describe('label PNG round trips and errors', () => {
  const lab = { width: 11, height: 7, data: noise(77, 5, 20) };
  lab.data[3] = 250;

  it('grey and palette index PNGs keep every id', () => {
    expect(Array.from(decodeLabel8(encodeIndexPng(lab), 'a.png').data)).toEqual(Array.from(lab.data));
    const pal = encodeIndexPng(lab, [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(decodePng(pal, 'p.png').colorType).toBe(3);
    expect(Array.from(decodeLabel8(pal, 'p.png').data)).toEqual(Array.from(lab.data));
    expect(pngHeader(pal, 'p.png')).toEqual({ width: 11, height: 7, bitDepth: 8, colorType: 3 });
  });

  it('reports corrupt, truncated and colour files by name and kind', async () => {
    const good = encodeIndexPng(lab);
    const flipped = good.slice();
    flipped[good.length - 20] ^= 0xff; // inside IDAT
    const cases: [Uint8Array, RegExp, string][] = [
      [flipped, /bad\.png: corrupt PNG: CRC mismatch in IDAT/, 'unreadable'],
      [good.subarray(0, 40), /bad\.png: corrupt PNG/, 'unreadable'],
      [new TextEncoder().encode('hello, not a png'), /bad\.png: not a PNG file/, 'unreadable'],
      [await encodeRgbPng({ width: 2, height: 2, data: new Uint8Array(12) }), /bad\.png: expected a single-channel/, 'wrong-channels'],
      [encodePng({ width: 2, height: 1, colorType: 0, bitDepth: 16, data: [1, 2] }), /bad\.png: expected an 8-bit label/, 'wrong-bit-depth'],
    ];
    for (const [bytes, re, kind] of cases) {
      let err: unknown;
      try {
        decodeLabel8(bytes, 'bad.png');
      } catch (e) {
        err = e;
      }
      expect((err as Error).message).toMatch(re);
      expect((err as ImageFileError).problem).toBe(kind);
    }
  });

  it('nearest resize keeps the pixel at floor(i·in/out)', () => {
    const src = { width: 4, height: 2, data: Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7) };
    expect(Array.from(resizeNearest(src, 2, 1).data)).toEqual([0, 2]);
    expect(Array.from(resizeNearest(src, 8, 2).data)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
  });
});

describe('photos via sharp', () => {
  it('decodes, resizes, thumbnails; corrupt files name the file', async () => {
    const img = { width: 40, height: 20, data: photo(40, 20) };
    const png = await encodeRgbPng(img);
    const back = await decodeRgb(png, 'i.png');
    expect(Buffer.compare(Buffer.from(back.data), Buffer.from(img.data))).toBe(0);
    const small = await decodeRgb(png, 'i.png', { width: 20, height: 10 });
    expect([small.width, small.height, small.data.length]).toEqual([20, 10, 600]);
    const thumb = await thumbnailOf(png, 'i.png', 16);
    expect(thumb.mime).toBe('image/jpeg');
    expect((await sharp(thumb.bytes).metadata()).width).toBe(16);
    const broken = png.slice(0, png.length - 30);
    await expect(decodeRgb(broken, '/x/broken.png')).rejects.toThrow(/\/x\/broken\.png: cannot decode image/);
  });
});
