// Ray-casts the static street for every pixel: ground (road, markings, curb, sidewalk, grass), the front
// and back planes on each side, the distant skyline and the sky. Textures live in world coordinates, so
// they shrink with distance like real surfaces.
import type { Canvas } from './canvas';
import { C } from './canvas';
import type { Rgb } from './color';
import { lerp } from './color';
import type { SceneLayout, Segment, Side } from './layout';
import { fbm, frac, lattice, valueNoise } from './rng';
import type { Domain } from './styles';

function findSeg(segs: Segment[], z: number): Segment | undefined {
  for (const s of segs) if (z >= s.z0 && z < s.z1) return s;
  return undefined;
}

interface Hit {
  cls: number;
  color: Rgb;
  z: number;
}

export function drawBackground(cv: Canvas, L: SceneLayout, d: Domain): void {
  const { f, cx, yh, camH } = L.cam;
  const tex = d.style.texture;
  const grain = d.style.grain;
  const seed = L.seed;
  const hit: Hit = { cls: 0, color: [0, 0, 0], z: 0 };
  const shadeTex = (c: Rgb, n: number, k: number): Rgb => {
    const m = 1 + k * (n - 0.5) * 2;
    return [c[0] * m, c[1] * m, c[2] * m];
  };

  const ground = (x: number, z: number, px: number, py: number): void => {
    hit.z = z;
    const g = grain ? (lattice(px, py, seed ^ 0x1234) - 0.5) * 2 * grain : 0;
    if (x >= L.roadL && x <= L.roadR) {
      hit.cls = C.road;
      const n = fbm(x * 0.7, z * 0.35, seed) * 0.7 + valueNoise(x * 0.15, z * 0.08, seed ^ 77) * 0.3;
      let c = shadeTex(L.road, n, tex * 1.3);
      let onLine = Math.abs(x - (L.roadL + 0.3)) < 0.07 || Math.abs(x - (L.roadR - 0.3)) < 0.07;
      if (!onLine && frac(z / 9) < 0.45) {
        for (const lx of L.laneLines) if (Math.abs(x - lx) < (lx === L.centreLine ? 0.09 : 0.07)) onLine = true;
      }
      if (onLine) c = lerp(c, L.marking, 0.85 - tex);
      hit.color = [c[0] + g * 0.3, c[1] + g * 0.3, c[2] + g * 0.3];
      return;
    }
    const side = x < L.roadL ? L.sides[0] : L.sides[1];
    const dist = Math.abs(x) - side.roadEdge;
    const walk = side.sidewalkEdge - side.roadEdge;
    if (dist < walk) {
      hit.cls = C.sidewalk;
      let c = dist < 0.25 ? L.curb : L.sidewalk;
      const joint = frac(x / 0.9) < 0.07 || frac(z / 0.9) < 0.07;
      c = shadeTex(c, fbm(x * 0.5, z * 0.5, seed ^ 99), tex);
      if (joint && dist >= 0.25) c = [c[0] * 0.86, c[1] * 0.86, c[2] * 0.86];
      hit.color = [c[0] + g * 0.3, c[1] + g * 0.3, c[2] + g * 0.3];
      return;
    }
    hit.cls = C.terrain;
    const n = fbm(x * 1.3, z * 1.3, seed ^ 5);
    const c = shadeTex(L.terrain, n, 0.08 + tex);
    hit.color = [c[0] + g, c[1] + g, c[2] + g];
  };

  // A facade-like plane: returns false when the ray passes over it or through a fence gap.
  const plane = (seg: Segment, side: Side, along: number, up: number, z: number, back: boolean): boolean => {
    const top = seg.kind === 'hedge' || seg.kind === 'trees' ? seg.height + (valueNoise(along * 0.4, 0, seg.seed) - 0.5) * (seg.kind === 'trees' ? 5 : 0.8) : seg.height;
    if (up < 0 || up > top) return false;
    hit.z = z;
    switch (seg.kind) {
      case 'building': {
        hit.cls = C.building;
        let c = shadeTex(seg.color, fbm(along * 0.3, up * 0.3, seg.seed), tex);
        const fa = frac(along / seg.winSpacing);
        const fu = frac(up / seg.floorHeight);
        const upper = up > 3.4 && up < seg.height - 0.8 && fa > 0.22 && fa < 0.68 && fu > 0.3 && fu < 0.78;
        const shop = up > 0.4 && up < 2.6 && frac(along / (seg.winSpacing * 2.3)) < 0.45;
        if (upper || shop) c = shadeTex(seg.window, valueNoise(along * 0.7, up * 0.7, seg.seed ^ 3), 0.15 + tex);
        else if (tex > 0.1 && frac(up / 0.32) < 0.14) c = [c[0] * 0.92, c[1] * 0.92, c[2] * 0.92];
        hit.color = c;
        break;
      }
      case 'wall':
        hit.cls = C.wall;
        hit.color = shadeTex(seg.color, fbm(along * 0.8, up * 0.8, seg.seed), tex * 1.2);
        break;
      case 'fence': {
        const rail = up > seg.height - 0.12 || (up > 0.35 && up < 0.45);
        if (!rail && frac(along / 0.28) > 0.5) return false;
        hit.cls = C.fence;
        hit.color = shadeTex(seg.color, valueNoise(along * 2, up, seg.seed), tex);
        break;
      }
      default: {
        hit.cls = C.vegetation;
        const n = fbm(along * 1.7, up * 1.7, seg.seed);
        hit.color = shadeTex(seg.color, n, 0.12 + tex * 1.5);
      }
    }
    const k = back ? side.shade * 0.92 : side.shade;
    hit.color = [hit.color[0] * k, hit.color[1] * k, hit.color[2] * k];
    return true;
  };

  for (let py = 0; py < cv.h; py++) {
    const dy = (py + 0.5 - yh) / f;
    const zGround = dy > 0 ? camH / dy : Infinity;
    for (let px = 0; px < cv.w; px++) {
      const dx = (px + 0.5 - cx) / f;
      const side = dx < 0 ? L.sides[0] : L.sides[1];
      const adx = Math.abs(dx);
      let done = false;
      const zf = adx > 1e-6 ? side.facade / adx : Infinity;
      if (zf < zGround && zf < L.zFar) {
        const seg = findSeg(side.front, zf);
        if (seg && seg.kind !== 'none') done = plane(seg, side, zf, camH - dy * zf, zf, false);
      }
      if (!done) {
        const zb = adx > 1e-6 ? side.back / adx : Infinity;
        if (zb < zGround && zb < L.zFar) {
          const seg = findSeg(side.backSegs, zb);
          if (seg && seg.kind !== 'none') done = plane(seg, side, zb, camH - dy * zb, zb, true);
        }
      }
      if (!done && zGround < L.zFar) {
        ground(dx * zGround, zGround, px, py);
        done = true;
      }
      if (!done) {
        const up = camH - dy * L.zFar;
        const x = dx * L.zFar;
        const block = L.skyline.find((b) => x >= b.x0 && x < b.x1);
        const top = block ? block.height + (block.veg ? (valueNoise(x * 0.3, 0, seed) - 0.5) * 4 : 0) : 0;
        if (block && up <= top) {
          hit.cls = block.veg ? C.vegetation : C.building;
          hit.color = shadeTex(block.color, fbm(x * 0.2, up * 0.2, seed ^ 11), tex);
          hit.z = L.zFar;
          done = true;
        }
      }
      let color: Rgb;
      let cls: number;
      if (done) {
        const t = hit.z / (hit.z + d.style.hazeDist);
        color = lerp(hit.color, L.haze, t * 0.85);
        cls = hit.cls;
      } else {
        cls = C.sky;
        const e = Math.min(1, Math.max(0, (yh - (py + 0.5)) / Math.max(1, yh)));
        color = lerp(L.skyHorizon, L.skyZenith, e);
        const clouds = d.style.clouds;
        if (clouds > 0) {
          const n = fbm(dx * 3 + 10, -dy * 9, seed ^ 0xc10d);
          const c = Math.min(1, Math.max(0, (n - (1 - 0.55 * clouds)) * 4)) * clouds;
          const cloud: Rgb = [L.skyHorizon[0] * 0.97 + 0.02, L.skyHorizon[1] * 0.97 + 0.02, L.skyHorizon[2] * 0.95 + 0.02];
          color = lerp(color, cloud, c);
        }
      }
      const i = py * cv.w + px;
      cv.rgb[i * 3] = color[0];
      cv.rgb[i * 3 + 1] = color[1];
      cv.rgb[i * 3 + 2] = color[2];
      cv.label[i] = cls;
    }
  }
}
