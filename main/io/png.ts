// PNG in and out. Photos go through sharp (libvips: fast decode, resize, JPEG thumbnails). Label maps go
// through the small exact codec below, because sharp expands palette PNGs to RGB (GTA5 labels are palette
// indices) and its PNG writer quantises to 8 bits: label ids must come out as stored, bit for bit, including
// SYNTHIA's 16-bit channel 0.
import zlib from 'node:zlib';
import sharp from 'sharp';
import { AppError } from '../../shared/contract/errors';
import type { CheckProblemKind } from '../../shared/datasets';
import type { Rgb } from '../../shared/classes';

export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface IndexImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A bad image file: carries the check-report kind so one bad file becomes one report line. */
export class ImageFileError extends AppError {
  readonly problem: CheckProblemKind;
  constructor(problem: CheckProblemKind, file: string, message: string) {
    super('bad-input', `${file}: ${message}`, { where: file });
    this.problem = problem;
  }
}

// ---------------------------------------------------------------------------------------------------
// Exact PNG codec for label maps.

export type PngColorType = 0 | 2 | 3 | 4 | 6;

export interface RawPng {
  width: number;
  height: number;
  bitDepth: number;
  colorType: PngColorType;
  /** Samples per pixel: grey 1, grey+alpha 2, RGB 3, RGBA 4, palette 1 (the index). */
  channels: number;
  /** Interleaved samples, row-major; 16-bit files give Uint16Array, palette files give indices. */
  data: Uint8Array | Uint16Array;
  palette?: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Largest image decoded (sharp's own default limit): 16384 × 16384. */
export const MAX_PIXELS = 0x4000 * 0x4000;
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

const crc32: (data: Uint8Array, value?: number) => number =
  (zlib as unknown as { crc32?: (d: Uint8Array, v?: number) => number }).crc32 ?? crc32Js;

let crcTable: Uint32Array | undefined;
function crc32Js(data: Uint8Array, value = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~value >>> 0;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Width, height, bit depth and colour type from the IHDR chunk, without decoding. */
export function pngHeader(bytes: Uint8Array, file: string): { width: number; height: number; bitDepth: number; colorType: number } {
  if (!isPng(bytes)) throw new ImageFileError('unreadable', file, 'not a PNG file (bad signature)');
  if (bytes.length < 33) throw new ImageFileError('unreadable', file, 'truncated PNG header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]);
  if (type !== 'IHDR') throw new ImageFileError('unreadable', file, 'corrupt PNG: first chunk is not IHDR');
  return { width: view.getUint32(16), height: view.getUint32(20), bitDepth: bytes[24], colorType: bytes[25] };
}

export function decodePng(bytes: Uint8Array, file: string): RawPng {
  const fail = (msg: string): never => {
    throw new ImageFileError('unreadable', file, `corrupt PNG: ${msg}`);
  };
  if (!isPng(bytes)) throw new ImageFileError('unreadable', file, 'not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let bitDepth = 0;
  let colorType = -1;
  let interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let sawEnd = false;
  while (pos + 12 <= bytes.length) {
    const len = view.getUint32(pos);
    if (pos + 12 + len > bytes.length) fail('truncated chunk');
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    const type = String.fromCharCode(...typeBytes);
    const body = bytes.subarray(pos + 8, pos + 8 + len);
    const crc = view.getUint32(pos + 8 + len);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + len)) !== crc) fail(`CRC mismatch in ${type} chunk`);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      bitDepth = body[8];
      colorType = body[9];
      interlace = body[12];
    } else if (type === 'PLTE') {
      palette = body.slice();
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      sawEnd = true;
      break;
    }
    pos += 12 + len;
  }
  if (colorType < 0) fail('no IHDR chunk');
  if (!sawEnd) fail('truncated (no IEND chunk)');
  if (!(colorType in CHANNELS) || !ALLOWED_DEPTHS[colorType].includes(bitDepth)) fail(`invalid colour type ${colorType} / bit depth ${bitDepth}`);
  if (width === 0 || height === 0) fail('zero width or height');
  if (colorType === 3 && !palette) fail('palette image without PLTE chunk');
  const channels = CHANNELS[colorType];
  if (width * height > MAX_PIXELS) fail(`${width}×${height} is larger than any image this workbench reads (${MAX_PIXELS} pixels)`);
  // The header says how many bytes the pixel rows take; inflation stops there (interlaced passes add a
  // filter byte per pass row, well under double), so a small file cannot unpack to gigabytes.
  const rawBytes = height * (1 + Math.ceil((width * channels * bitDepth) / 8));
  let inflated: Uint8Array;
  try {
    inflated = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: interlace ? 2 * rawBytes : rawBytes });
  } catch (err) {
    return fail(`image data does not inflate (${(err as Error).message})`);
  }
  const data = bitDepth === 16 ? new Uint16Array(width * height * channels) : new Uint8Array(width * height * channels);
  const bitsPerPixel = channels * bitDepth;
  if (interlace === 0) {
    const end = unfilterInto(inflated, 0, width, height, bitsPerPixel, fail, (row, y) =>
      unpackRow(row, y * width, 1, width, channels, bitDepth, data),
    );
    if (end > inflated.length) fail('image data too short');
  } else if (interlace === 1) {
    // Adam7: seven sub-images, each filtered on its own, scattered back to their pixel positions.
    const passes = [
      [0, 0, 8, 8],
      [4, 0, 8, 8],
      [0, 4, 4, 8],
      [2, 0, 4, 4],
      [0, 2, 2, 4],
      [1, 0, 2, 2],
      [0, 1, 1, 2],
    ];
    let off = 0;
    for (const [x0, y0, dx, dy] of passes) {
      const pw = Math.ceil((width - x0) / dx);
      const ph = Math.ceil((height - y0) / dy);
      if (pw <= 0 || ph <= 0) continue;
      off = unfilterInto(inflated, off, pw, ph, bitsPerPixel, fail, (row, y) =>
        unpackRow(row, (y0 + y * dy) * width + x0, dx, pw, channels, bitDepth, data),
      );
      if (off > inflated.length) fail('image data too short');
    }
  } else {
    fail(`unknown interlace method ${interlace}`);
  }
  return { width, height, bitDepth, colorType: colorType as PngColorType, channels, data, palette };
}

/** Reverses the per-row filters; calls `emit` with each unfiltered row. Returns the offset after the image. */
function unfilterInto(
  src: Uint8Array,
  start: number,
  w: number,
  h: number,
  bitsPerPixel: number,
  fail: (msg: string) => never,
  emit: (row: Uint8Array, y: number) => void,
): number {
  const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (start + h * (rowBytes + 1) > src.length) fail('image data too short');
  let prev = new Uint8Array(rowBytes);
  let cur = new Uint8Array(rowBytes);
  let p = start;
  for (let y = 0; y < h; y++) {
    const filter = src[p++];
    cur.set(src.subarray(p, p + rowBytes));
    p += rowBytes;
    switch (filter) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < rowBytes; i++) cur[i] = (cur[i] + cur[i - bpp]) & 0xff;
        break;
      case 2:
        for (let i = 0; i < rowBytes; i++) cur[i] = (cur[i] + prev[i]) & 0xff;
        break;
      case 3:
        for (let i = 0; i < rowBytes; i++) cur[i] = (cur[i] + (((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1)) & 0xff;
        break;
      case 4:
        for (let i = 0; i < rowBytes; i++) {
          const a = i >= bpp ? cur[i - bpp] : 0;
          const b = prev[i];
          const c = i >= bpp ? prev[i - bpp] : 0;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          cur[i] = (cur[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
        }
        break;
      default:
        fail(`unknown row filter ${filter} in row ${y}`);
    }
    emit(cur, y);
    [prev, cur] = [cur, prev];
  }
  return p;
}

function unpackRow(
  row: Uint8Array,
  firstPixel: number,
  stepPixels: number,
  count: number,
  channels: number,
  bitDepth: number,
  out: Uint8Array | Uint16Array,
): void {
  let o = firstPixel * channels;
  const step = stepPixels * channels;
  if (bitDepth === 8) {
    if (stepPixels === 1) {
      out.set(row.subarray(0, count * channels), o);
      return;
    }
    for (let x = 0, i = 0; x < count; x++, o += step) for (let c = 0; c < channels; c++) out[o + c] = row[i++];
  } else if (bitDepth === 16) {
    for (let x = 0, i = 0; x < count; x++, o += step) {
      for (let c = 0; c < channels; c++, i += 2) out[o + c] = (row[i] << 8) | row[i + 1];
    }
  } else {
    // 1/2/4-bit: only grey and palette (one channel), packed MSB first.
    const perByte = 8 / bitDepth;
    const mask = (1 << bitDepth) - 1;
    for (let x = 0; x < count; x++, o += step) {
      const byte = row[Math.floor(x / perByte)];
      const shift = 8 - bitDepth * ((x % perByte) + 1);
      out[o] = (byte >> shift) & mask;
    }
  }
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

export interface EncodePngInput {
  width: number;
  height: number;
  colorType: PngColorType;
  bitDepth: 8 | 16;
  /** Interleaved samples; Uint16Array (or numbers ≤ 65535) for 16-bit. */
  data: ArrayLike<number>;
  /** colorType 3: RGB triples. */
  palette?: readonly Rgb[];
}

/** Writes a non-interlaced PNG with the 'Up' filter (label maps compress well with it). */
export function encodePng(img: EncodePngInput): Uint8Array {
  const { width, height, colorType, bitDepth } = img;
  const channels = CHANNELS[colorType];
  if (img.data.length !== width * height * channels) {
    throw new AppError('validation', `encodePng: ${img.data.length} samples for ${width}×${height}×${channels}`);
  }
  if (colorType === 3 && (!img.palette || bitDepth !== 8)) throw new AppError('validation', 'encodePng: palette PNGs need 8-bit data and a palette');
  const bytesPerSample = bitDepth / 8;
  const rowBytes = width * channels * bytesPerSample;
  const raw = new Uint8Array(height * (rowBytes + 1));
  const row = new Uint8Array(rowBytes);
  const prev = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const base = y * width * channels;
    if (bitDepth === 8) {
      for (let i = 0; i < rowBytes; i++) row[i] = img.data[base + i];
    } else {
      for (let i = 0, j = 0; i < width * channels; i++, j += 2) {
        const v = img.data[base + i];
        row[j] = (v >> 8) & 0xff;
        row[j + 1] = v & 0xff;
      }
    }
    const o = y * (rowBytes + 1);
    raw[o] = 2;
    for (let i = 0; i < rowBytes; i++) raw[o + 1 + i] = (row[i] - prev[i]) & 0xff;
    prev.set(row);
  }
  const ihdr = new Uint8Array(13);
  const hv = new DataView(ihdr.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = colorType;
  const parts = [Uint8Array.from(SIGNATURE), chunk('IHDR', ihdr)];
  if (colorType === 3 && img.palette) {
    const plte = new Uint8Array(img.palette.length * 3);
    img.palette.forEach((c, i) => plte.set(c, i * 3));
    parts.push(chunk('PLTE', plte));
  }
  parts.push(chunk('IDAT', zlib.deflateSync(raw, { level: 6 })), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------------
// Label maps.

/**
 * An 8-bit single-channel label: grey (Cityscapes labelIds, folder masks, trainId PNGs) or palette
 * indices (GTA5). Anything else is reported: a colour PNG is not a label map.
 */
export function decodeLabel8(bytes: Uint8Array, file: string): IndexImage {
  const png = decodePng(bytes, file);
  if (png.channels !== 1 && !(png.colorType === 4 && png.bitDepth === 8)) {
    throw new ImageFileError(
      'wrong-channels',
      file,
      `expected a single-channel (grey or palette) label PNG, found ${png.channels} channels (colour type ${png.colorType})`,
    );
  }
  if (png.bitDepth === 16) throw new ImageFileError('wrong-bit-depth', file, 'expected an 8-bit label PNG, found 16-bit');
  if (png.channels === 1) return { width: png.width, height: png.height, data: png.data as Uint8Array };
  return { width: png.width, height: png.height, data: channel(png.data, 2, 0) as Uint8Array };
}

/** SYNTHIA-RAND-CITYSCAPES label: 16-bit PNG, class id in channel 0; the other channels (instance ids) are ignored. */
export function decodeLabel16Channel0(bytes: Uint8Array, file: string): { width: number; height: number; data: Uint16Array } {
  const png = decodePng(bytes, file);
  if (png.bitDepth !== 16) {
    throw new ImageFileError(
      'wrong-bit-depth',
      file,
      `expected a 16-bit SYNTHIA label PNG, found ${png.bitDepth}-bit (an 8-bit re-save loses the class ids)`,
    );
  }
  return { width: png.width, height: png.height, data: channel(png.data, png.channels, 0) as Uint16Array };
}

function channel(data: Uint8Array | Uint16Array, channels: number, c: number): Uint8Array | Uint16Array {
  if (channels === 1) return data;
  const n = data.length / channels;
  const out = data instanceof Uint16Array ? new Uint16Array(n) : new Uint8Array(n);
  for (let i = 0, j = c; i < n; i++, j += channels) out[i] = data[j];
  return out;
}

/** Train-id map as an 8-bit grey PNG (what ProDA writes for hard pseudo-labels), or palette-coloured with `palette`. */
export function encodeIndexPng(label: IndexImage, palette?: readonly Rgb[]): Uint8Array {
  if (palette) {
    // Indices past the palette (e.g. 250 ignore) need entries; pad with black up to the largest index used.
    let max = 0;
    for (let i = 0; i < label.data.length; i++) if (label.data[i] > max) max = label.data[i];
    const full: Rgb[] = Array.from({ length: Math.max(max + 1, palette.length) }, (_, i) => palette[i] ?? [0, 0, 0]);
    return encodePng({ width: label.width, height: label.height, colorType: 3, bitDepth: 8, data: label.data, palette: full });
  }
  return encodePng({ width: label.width, height: label.height, colorType: 0, bitDepth: 8, data: label.data });
}

/** Nearest-neighbour resize that keeps the source pixel at floor(i·in/out), like PyTorch's default 'nearest'. */
export function resizeNearest(img: IndexImage, width: number, height: number): IndexImage {
  if (width === img.width && height === img.height) return img;
  const out = new Uint8Array(width * height);
  const xs = new Int32Array(width);
  for (let x = 0; x < width; x++) xs[x] = Math.min(img.width - 1, Math.floor((x * img.width) / width));
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, Math.floor((y * img.height) / height));
    const srow = sy * img.width;
    const orow = y * width;
    for (let x = 0; x < width; x++) out[orow + x] = img.data[srow + xs[x]];
  }
  return { width, height, data: out };
}

// ---------------------------------------------------------------------------------------------------
// Photos (sharp).

const asSharpError = (file: string, err: unknown): ImageFileError =>
  new ImageFileError('unreadable', file, `cannot decode image (${(err as Error).message.split('\n')[0]})`);

/** Any image sharp reads (PNG, JPEG, ...) as 8-bit interleaved RGB; alpha dropped, grey expanded. */
export async function decodeRgb(bytes: Uint8Array, file: string, size?: { width?: number; height?: number }): Promise<RgbImage> {
  try {
    let pipeline = sharp(bytes, { failOn: 'error' }).removeAlpha().toColourspace('srgb');
    if (size && (size.width || size.height)) {
      pipeline = pipeline.resize(size.width, size.height, { kernel: 'linear', fit: size.width && size.height ? 'fill' : 'inside' });
    }
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw asSharpError(file, err);
  }
}

/** Dimensions from the file header (sharp metadata: no pixel decode). */
export async function imageSize(bytes: Uint8Array, file: string): Promise<{ width: number; height: number; format: string }> {
  try {
    const m = await sharp(bytes).metadata();
    if (!m.width || !m.height) throw new Error('no dimensions');
    return { width: m.width, height: m.height, format: m.format ?? 'unknown' };
  } catch (err) {
    throw asSharpError(file, err);
  }
}

export async function encodeRgbPng(img: RgbImage): Promise<Uint8Array> {
  const buf = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** Downscaled JPEG (photos) or PNG (keepPng, for label colour maps) whose longer side is at most maxSide. */
export async function thumbnailOf(bytes: Uint8Array, file: string, maxSide: number, keepPng = false): Promise<{ mime: string; bytes: Uint8Array }> {
  try {
    const p = sharp(bytes, { failOn: 'error' })
      .removeAlpha()
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true, kernel: keepPng ? 'nearest' : 'linear' });
    const buf = keepPng ? await p.png().toBuffer() : await p.jpeg({ quality: 85 }).toBuffer();
    return { mime: keepPng ? 'image/png' : 'image/jpeg', bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.length) };
  } catch (err) {
    throw asSharpError(file, err);
  }
}

/** Bilinear resize of decoded RGB (sharp 'linear'). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  if (img.width === width && img.height === height) return img;
  const { data, info } = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .resize(width, height, { kernel: 'linear', fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

export const mimeOf = (file: string): string => {
  const ext = file.toLowerCase().slice(file.lastIndexOf('.') + 1);
  return ext === 'png' ? 'image/png' : ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext === 'webp' ? 'image/webp' : 'application/octet-stream';
};
