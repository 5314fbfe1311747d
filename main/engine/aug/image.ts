/**
 * Minimal RGB / label image types for the augmentation ops (interleaved RGB, 8 bits), matching the datasets module's
 * RgbImage / LabelMap shapes structurally so either can be passed in.
 */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface LabelImage {
  width: number;
  height: number;
  data: Uint8Array;
}

const clamp255 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : v);

/** Bilinear resize with half-pixel centres (no antialiasing), RGB interleaved. */
export function resizeRgbBilinear(img: RgbImage, width: number, height: number): RgbImage {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(width * height * 3);
  const sx = W / width;
  const sy = H / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), H - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, H - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), W - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, W - 1);
      const wx = fx - x0;
      for (let c = 0; c < 3; c++) {
        const a = data[(y0 * W + x0) * 3 + c] * (1 - wx) + data[(y0 * W + x1) * 3 + c] * wx;
        const b = data[(y1 * W + x0) * 3 + c] * (1 - wx) + data[(y1 * W + x1) * 3 + c] * wx;
        out[(y * width + x) * 3 + c] = Math.round(a * (1 - wy) + b * wy);
      }
    }
  }
  return { width, height, data: out };
}

/** PIL `Image.NEAREST` resize of a single-channel map: source = ⌊(x + ½)·W/w⌋. */
export function resizeNearest(img: LabelImage, width: number, height: number): LabelImage {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(width * height);
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = Math.min(Math.floor(((x + 0.5) * W) / width), W - 1);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.floor(((y + 0.5) * H) / height), H - 1);
    for (let x = 0; x < width; x++) out[y * width + x] = data[sy * W + cols[x]];
  }
  return { width, height, data: out };
}

export function cropChannels<T extends { width: number; height: number; data: Uint8Array }>(
  img: T,
  channels: number,
  x1: number,
  y1: number,
  width: number,
  height: number,
): T {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    const src = ((y1 + y) * img.width + x1) * channels;
    out.set(img.data.subarray(src, src + width * channels), y * width * channels);
  }
  return { ...img, width, height, data: out };
}

export function flipChannels<T extends { width: number; height: number; data: Uint8Array }>(img: T, channels: number): T {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const s = (y * W + x) * channels;
      const d = (y * W + (W - 1 - x)) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = data[s + c];
    }
  }
  return { ...img, data: out };
}

// ---- photometric ops (PIL ImageEnhance / ImageOps semantics on 8-bit RGB) ----

/** ITU-R 601-2 luma as PIL's convert('L'): (R·299 + G·587 + B·114)/1000. */
function luma(d: Uint8Array, i: number): number {
  return (d[i] * 299 + d[i + 1] * 587 + d[i + 2] * 114) / 1000;
}

function mapPixels(img: RgbImage, f: (v: number, c: number, i: number) => number): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = clamp255(Math.round(f(img.data[i], i % 3, i)));
  return { ...img, data: out };
}

/** ImageEnhance blend: out = degenerate + factor·(img − degenerate). */
function blend(img: RgbImage, degenerate: Uint8Array, factor: number): RgbImage {
  return mapPixels(img, (v, _c, i) => degenerate[i] + factor * (v - degenerate[i]));
}

export function brightness(img: RgbImage, factor: number): RgbImage {
  return blend(img, new Uint8Array(img.data.length), factor);
}

export function color(img: RgbImage, factor: number): RgbImage {
  const g = new Uint8Array(img.data.length);
  for (let i = 0; i < g.length; i += 3) g[i] = g[i + 1] = g[i + 2] = Math.round(luma(img.data, i));
  return blend(img, g, factor);
}

export function contrast(img: RgbImage, factor: number): RgbImage {
  let s = 0;
  for (let i = 0; i < img.data.length; i += 3) s += Math.round(luma(img.data, i));
  const mean = Math.round(s / (img.data.length / 3));
  return blend(img, new Uint8Array(img.data.length).fill(mean), factor);
}

export function sharpness(img: RgbImage, factor: number): RgbImage {
  // PIL SMOOTH kernel [[1,1,1],[1,5,1],[1,1,1]]/13 on the interior; the border keeps the original pixels.
  const { width: W, height: H, data } = img;
  const deg = Uint8Array.from(data);
  for (let y = 1; y < H - 1; y++) {
    for (let x = 1; x < W - 1; x++) {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) s += data[((y + dy) * W + x + dx) * 3 + c] * (dx === 0 && dy === 0 ? 5 : 1);
        }
        deg[(y * W + x) * 3 + c] = clamp255(Math.round(s / 13));
      }
    }
  }
  return blend(img, deg, factor);
}

export function autoContrast(img: RgbImage): RgbImage {
  const lo = [255, 255, 255];
  const hi = [0, 0, 0];
  for (let i = 0; i < img.data.length; i++) {
    const c = i % 3;
    lo[c] = Math.min(lo[c], img.data[i]);
    hi[c] = Math.max(hi[c], img.data[i]);
  }
  return mapPixels(img, (v, c) => (hi[c] > lo[c] ? ((v - lo[c]) * 255) / (hi[c] - lo[c]) : v));
}

export function equalize(img: RgbImage): RgbImage {
  const luts: Uint8Array[] = [];
  const n = img.data.length / 3;
  for (let c = 0; c < 3; c++) {
    const hist = new Int32Array(256);
    for (let i = c; i < img.data.length; i += 3) hist[img.data[i]]++;
    const lut = new Uint8Array(256);
    // PIL ImageOps.equalize: step = (n − count of the last non-zero bin) // 255
    let last = 255;
    while (last > 0 && hist[last] === 0) last--;
    const step = Math.floor((n - hist[last]) / 255);
    if (step === 0) {
      for (let v = 0; v < 256; v++) lut[v] = v;
    } else {
      let acc = Math.floor(step / 2);
      for (let v = 0; v < 256; v++) {
        lut[v] = Math.min(255, Math.floor(acc / step));
        acc += hist[v];
      }
    }
    luts.push(lut);
  }
  return mapPixels(img, (v, c) => luts[c][v]);
}

export function posterize(img: RgbImage, bits: number): RgbImage {
  const mask = (0xff << (8 - bits)) & 0xff;
  return mapPixels(img, (v) => v & mask);
}

export function solarize(img: RgbImage, threshold: number): RgbImage {
  return mapPixels(img, (v) => (v < threshold ? v : 255 - v));
}

/**
 * PIL `Image.transform(AFFINE, (a,b,c,d,e,f))`: output pixel centre (x,y) samples the input at (a x + b y + c, d x + e y + f),
 * bilinear, `fill` outside.
 */
export function affineRgb(img: RgbImage, m: readonly number[], fill: number): RgbImage {
  const { width: W, height: H, data } = img;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sx = m[0] * (x + 0.5) + m[1] * (y + 0.5) + m[2] - 0.5;
      const sy = m[3] * (x + 0.5) + m[4] * (y + 0.5) + m[5] - 0.5;
      const o = (y * W + x) * 3;
      if (sx < -0.5 || sy < -0.5 || sx > W - 0.5 || sy > H - 0.5) {
        out[o] = out[o + 1] = out[o + 2] = fill;
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const wx = sx - x0;
      const wy = sy - y0;
      const px = (xx: number, yy: number, c: number): number =>
        xx < 0 || yy < 0 || xx >= W || yy >= H ? data[(Math.min(Math.max(yy, 0), H - 1) * W + Math.min(Math.max(xx, 0), W - 1)) * 3 + c] : data[(yy * W + xx) * 3 + c];
      for (let c = 0; c < 3; c++) {
        const a = px(x0, y0, c) * (1 - wx) + px(x0 + 1, y0, c) * wx;
        const b = px(x0, y0 + 1, c) * (1 - wx) + px(x0 + 1, y0 + 1, c) * wx;
        out[o + c] = clamp255(Math.round(a * (1 - wy) + b * wy));
      }
    }
  }
  return { ...img, data: out };
}

/** PIL `rotate(deg)`: counter-clockwise about the image centre, same size. */
export function rotateRgb(img: RgbImage, degrees: number, fill: number): RgbImage {
  const r = (-degrees / 180) * Math.PI;
  const cx = img.width / 2;
  const cy = img.height / 2;
  const [a, b, d, e] = [Math.cos(r), Math.sin(r), -Math.sin(r), Math.cos(r)];
  return affineRgb(img, [a, b, cx - a * cx - b * cy, d, e, cy - d * cx - e * cy], fill);
}

export function fillRect(img: RgbImage, x0: number, y0: number, x1: number, y1: number, value: number): RgbImage {
  const out = Uint8Array.from(img.data);
  for (let y = Math.max(0, y0); y < Math.min(img.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(img.width, x1); x++) out.fill(value, (y * img.width + x) * 3, (y * img.width + x) * 3 + 3);
  }
  return { ...img, data: out };
}
