// Camera and processing effects applied after drawing: exposure, saturation, contrast, colour cast,
// uneven lighting, vignetting, blur and sensor noise. Labels are untouched.
import type { Canvas } from './canvas';
import type { Rng } from './rng';
import type { DomainPost } from './styles';

export function postProcess(cv: Canvas, p: DomainPost, rng: Rng): void {
  const { w, h, rgb } = cv;
  const exposure = rng.uniform(p.exposure[0], p.exposure[1]);
  const contrast = rng.uniform(p.contrast[0], p.contrast[1]);
  const sat = rng.uniform(p.saturation[0], p.saturation[1]);
  const cast = p.cast.map(([a, b]) => rng.uniform(a, b));
  const vignette = rng.uniform(p.vignette[0], p.vignette[1]);
  const gx = rng.uniform(-p.lighting, p.lighting);
  const gy = rng.uniform(-p.lighting, p.lighting);
  const cx = w / 2;
  const cy = h / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const tx = (x + 0.5 - cx) / cx;
      const ty = (y + 0.5 - cy) / cy;
      const gain = exposure * (1 + gx * tx + gy * ty) * (1 - vignette * (0.6 * tx * tx + 0.4 * ty * ty));
      const r = rgb[i];
      const g = rgb[i + 1];
      const b = rgb[i + 2];
      const luma = 0.299 * r + 0.587 * g + 0.114 * b;
      for (let c = 0; c < 3; c++) {
        let v = luma + ((c === 0 ? r : c === 1 ? g : b) - luma) * sat;
        v = 0.45 + (v - 0.45) * contrast;
        rgb[i + c] = v * cast[c] * gain;
      }
    }
  }
  const sigma = rng.uniform(p.blur[0], p.blur[1]) * (w / 256);
  if (sigma > 0) blur(cv, sigma);
  if (p.noise > 0) {
    const sl = p.noise / 255;
    // Chroma noise is uniform with the same variance as a normal of sigma sc: cheaper, looks the same.
    const sc = ((0.4 * p.noise) / 255) * 2 * 1.7320508075688772;
    for (let i = 0; i < w * h; i++) {
      const l = rng.normal() * sl;
      rgb[i * 3] += l + (rng.next() - 0.5) * sc;
      rgb[i * 3 + 1] += l + (rng.next() - 0.5) * sc;
      rgb[i * 3 + 2] += l + (rng.next() - 0.5) * sc;
    }
  }
}

// Gaussian blur built from [1,2,1]/4 passes (variance 1/2 each) plus a blended partial pass, so no
// exp() is needed and results stay bit-identical across engines.
function blur(cv: Canvas, sigma: number): void {
  const variance = sigma * sigma;
  const full = Math.floor(variance / 0.5);
  const partial = (variance - full * 0.5) / 0.5;
  for (let k = 0; k < full; k++) binomialPass(cv, 1);
  if (partial > 0.01) binomialPass(cv, partial);
}

function binomialPass(cv: Canvas, alpha: number): void {
  const { w, h, rgb } = cv;
  const tmp = new Float32Array(rgb.length);
  const row = w * 3;
  // Horizontal: neighbours are ±3 floats away; edges clamp.
  for (let y = 0; y < h; y++) {
    const o = y * row;
    for (let j = 0; j < row; j++) {
      const v = rgb[o + j];
      const l = j >= 3 ? rgb[o + j - 3] : v;
      const r = j < row - 3 ? rgb[o + j + 3] : v;
      tmp[o + j] = v + ((l + 2 * v + r) / 4 - v) * alpha;
    }
  }
  for (let y = 0; y < h; y++) {
    const o = y * row;
    const up = y > 0 ? o - row : o;
    const dn = y < h - 1 ? o + row : o;
    for (let j = 0; j < row; j++) {
      const v = tmp[o + j];
      rgb[o + j] = v + ((tmp[up + j] + 2 * v + tmp[dn + j]) / 4 - v) * alpha;
    }
  }
}

export function quantize(cv: Canvas): Uint8Array {
  const out = new Uint8Array(cv.rgb.length);
  const rgb = cv.rgb;
  // floor(x + 0.5) equals Math.round here: negatives clamp to 0 either way.
  for (let i = 0; i < out.length; i++) {
    const v = (rgb[i] * 255 + 0.5) | 0;
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
