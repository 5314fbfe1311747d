// Things standing on the street, drawn as upright shapes scaled by distance, far to near.
import type { Canvas, Paint } from './canvas';
import { C, fillEllipse, fillPolygon, fillRect } from './canvas';
import type { Rgb } from './color';
import { lerp } from './color';
import type { SceneLayout, SceneObject } from './layout';
import { lattice, valueNoise } from './rng';
import type { Domain } from './styles';

export function drawObjects(cv: Canvas, L: SceneLayout, d: Domain): void {
  for (const o of L.objects) drawObject(cv, L, d, o);
}

function drawObject(cv: Canvas, L: SceneLayout, d: Domain, o: SceneObject): void {
  const { f, cx, yh, camH } = L.cam;
  if (o.z < 1.5) return;
  const s = f / o.z;
  const u = cx + f * (o.x / o.z);
  const vg = yh + f * (camH / o.z);
  // Screen position of a point (lateral offset a, height b) on the object's front plane.
  const X = (a: number): number => u + a * s;
  const Y = (b: number): number => vg - b * s;
  const hz = (o.z / (o.z + d.style.hazeDist)) * 0.85;
  const tex = d.style.texture + d.style.grain;
  const paint =
    (c: Rgb, k = 1): ((px: number, py: number) => Rgb) =>
    (px, py) => {
      const m = k * (1 + tex * (lattice(px, py, o.seed) - 0.5) * 1.5);
      return lerp([c[0] * m, c[1] * m, c[2] * m], L.haze, hz);
    };
  const dark: Rgb = [0.05, 0.05, 0.06];
  const w2 = o.width / 2;

  switch (o.kind) {
    case 'car': {
      const h = o.height;
      // Contact shadow on the road, labelled road.
      fillEllipse(cv, u, vg, w2 * s * 1.05, Math.max(0.6, 0.12 * s), C.road, paint(L.road, 0.55));
      fillRect(cv, X(-w2), Y(0.32), X(-w2 + 0.32), vg, C.car, paint(dark));
      fillRect(cv, X(w2 - 0.32), Y(0.32), X(w2), vg, C.car, paint(dark));
      fillRect(cv, X(-w2), Y(0.58 * h), X(w2), Y(0.2), C.car, paint(o.color));
      fillRect(cv, X(-w2 * 0.8), Y(0.3), X(w2 * 0.8), Y(0.2), C.car, paint(o.color, 0.6));
      fillPolygon(
        cv,
        [
          [X(-w2 * 0.92), Y(0.58 * h)],
          [X(w2 * 0.92), Y(0.58 * h)],
          [X(w2 * 0.7), Y(h)],
          [X(-w2 * 0.7), Y(h)],
        ],
        C.car,
        paint(o.color, 0.95),
      );
      fillPolygon(
        cv,
        [
          [X(-w2 * 0.78), Y(0.62 * h)],
          [X(w2 * 0.78), Y(0.62 * h)],
          [X(w2 * 0.62), Y(0.94 * h)],
          [X(-w2 * 0.62), Y(0.94 * h)],
        ],
        C.car,
        paint(o.color2, 0.8),
      );
      const tail: Rgb = [0.75, 0.08, 0.06];
      fillRect(cv, X(-w2 + 0.05), Y(0.52 * h), X(-w2 + 0.3), Y(0.42 * h), C.car, paint(tail));
      fillRect(cv, X(w2 - 0.3), Y(0.52 * h), X(w2 - 0.05), Y(0.42 * h), C.car, paint(tail));
      break;
    }
    case 'truck': {
      fillEllipse(cv, u, vg, w2 * s * 1.05, Math.max(0.6, 0.12 * s), C.road, paint(L.road, 0.55));
      fillRect(cv, X(-w2), Y(0.5), X(-w2 + 0.4), vg, C.truck, paint(dark));
      fillRect(cv, X(w2 - 0.4), Y(0.5), X(w2), vg, C.truck, paint(dark));
      fillRect(cv, X(-w2 * 0.9), Y(0.6), X(w2 * 0.9), Y(0.35), C.truck, paint(dark, 2));
      fillRect(cv, X(-w2), Y(o.height), X(w2), Y(0.6), C.truck, paint(o.color));
      fillRect(cv, X(-0.04), Y(o.height - 0.1), X(0.04), Y(0.7), C.truck, paint(o.color, 0.7));
      break;
    }
    case 'bus': {
      fillEllipse(cv, u, vg, w2 * s * 1.05, Math.max(0.6, 0.12 * s), C.road, paint(L.road, 0.55));
      fillRect(cv, X(-w2), Y(0.45), X(-w2 + 0.4), vg, C.bus, paint(dark));
      fillRect(cv, X(w2 - 0.4), Y(0.45), X(w2), vg, C.bus, paint(dark));
      fillRect(cv, X(-w2), Y(o.height), X(w2), Y(0.3), C.bus, paint(o.color));
      fillRect(cv, X(-w2 * 0.85), Y(o.height - 0.25), X(w2 * 0.85), Y(1.3), C.bus, paint(o.color2, 0.8));
      fillRect(cv, X(-w2 * 0.6), Y(o.height - 0.05), X(w2 * 0.6), Y(o.height - 0.22), C.bus, paint(o.color, 0.5));
      break;
    }
    case 'person':
      drawPerson(cv, X, Y, o, paint, d, false);
      break;
    case 'rider': {
      const frame = o.color2;
      const wheel: Rgb = [0.06, 0.06, 0.07];
      const r = 0.34;
      // Bicycle seen from behind at a slight angle: two offset wheels and a frame.
      fillEllipse(cv, X(-0.12), Y(r), 0.06 * s + 0.4, r * s, C.bicycle, paint(wheel));
      fillEllipse(cv, X(0.12), Y(r + 0.02), 0.06 * s + 0.4, r * s * 0.9, C.bicycle, paint(wheel));
      fillRect(cv, X(-0.05), Y(0.95), X(0.05), Y(0.3), C.bicycle, paint(frame));
      fillRect(cv, X(-0.3), Y(1.0), X(0.3), Y(0.94), C.bicycle, paint(frame));
      drawPerson(cv, X, Y, o, paint, d, true);
      break;
    }
    case 'pole': {
      const top = o.height;
      const pw = o.width / 2;
      fillRect(cv, X(-pw), Y(top), X(pw), vg, C.pole, paint(o.color));
      const toward = o.x < 0 ? 1 : -1;
      if (o.variant === 1) {
        const sc = X(toward * 0.1);
        const sy = top - 0.45;
        if ((o.seed & 3) === 0) {
          fillPolygon(
            cv,
            [
              [sc - 0.38 * s, Y(sy - 0.32)],
              [sc + 0.38 * s, Y(sy - 0.32)],
              [sc, Y(sy + 0.36)],
            ],
            C.sign,
            paint(o.color2),
          );
        } else if ((o.seed & 3) === 1) {
          fillEllipse(cv, sc, Y(sy), 0.33 * s, 0.33 * s, C.sign, paint(o.color2));
        } else {
          fillRect(cv, sc - 0.35 * s, Y(sy + 0.3), sc + 0.35 * s, Y(sy - 0.3), C.sign, paint(o.color2));
        }
      } else if (o.variant === 2) {
        const lx = X(toward * 0.05);
        const box: Rgb = [0.08, 0.08, 0.08];
        fillRect(cv, lx - 0.17 * s, Y(top + 0.1), lx + 0.17 * s, Y(top - 0.85), C.light, paint(box));
        const lit = o.seed % 3;
        const lamps: Rgb[] = [
          [0.9, 0.15, 0.1],
          [0.95, 0.7, 0.1],
          [0.1, 0.85, 0.4],
        ];
        lamps.forEach((c, k) => {
          const on = k === lit;
          fillEllipse(cv, lx, Y(top - 0.1 - 0.26 * k), 0.09 * s, 0.09 * s, C.light, paint(on ? c : lerp(c, box, 0.75)));
        });
      } else {
        fillRect(cv, X(toward > 0 ? 0 : -1.2), Y(top), X(toward > 0 ? 1.2 : 0), Y(top - 0.08), C.pole, paint(o.color));
        fillRect(cv, X(toward * 1.2 - 0.2), Y(top), X(toward * 1.2 + 0.2), Y(top - 0.16), C.pole, paint(o.color, 0.8));
      }
      break;
    }
    case 'tree': {
      const trunk: Rgb = [o.color[0] * 0.6 + 0.12, o.color[1] * 0.45 + 0.08, o.color[2] * 0.4 + 0.05];
      fillRect(cv, X(-0.15), Y(o.height * 0.5), X(0.15), vg, C.vegetation, paint(trunk));
      const seed = o.seed;
      const leaf: Paint = (px, py) => {
        const n = valueNoise(px * 0.9, py * 0.9, seed);
        return paint(o.color, 0.75 + 0.5 * n)(px, py);
      };
      fillEllipse(cv, u, Y(o.height * 0.68), (o.width / 2) * s, o.height * 0.34 * s, C.vegetation, leaf, (px, py) => 0.8 + 0.35 * valueNoise(px * 0.5, py * 0.5, seed ^ 9));
      break;
    }
    case 'void':
      fillRect(cv, X(-w2), Y(o.height), X(w2), vg, C.void, paint(o.color));
      fillRect(cv, X(-w2 * 1.05), Y(o.height + 0.06), X(w2 * 1.05), Y(o.height - 0.05), C.void, paint(o.color2));
      break;
  }
}

function drawPerson(
  cv: Canvas,
  X: (a: number) => number,
  Y: (b: number) => number,
  o: SceneObject,
  paint: (c: Rgb, k?: number) => (px: number, py: number) => Rgb,
  d: Domain,
  riding: boolean,
): void {
  const cls = riding ? C.rider : C.person;
  const h = o.height;
  const w = o.width;
  const skin: Rgb = d.name === 'source' ? [0.85, 0.62, 0.48] : [0.62, 0.48, 0.4];
  const base = riding ? 0.55 : 0;
  const legTop = riding ? 0.95 : 0.48 * h;
  const shoulder = riding ? 1.45 : 0.82 * h;
  const headC = riding ? 1.58 : 0.91 * h;
  const stance = (o.variant & 1) === 0 ? 0.02 : 0.06;
  fillRect(cv, X(-w * 0.32 - stance), Y(legTop), X(-w * 0.04), Y(base), cls, paint(o.color2));
  fillRect(cv, X(w * 0.04), Y(legTop), X(w * 0.32 + stance), Y(base), cls, paint(o.color2));
  fillPolygon(
    cv,
    [
      [X(-w / 2), Y(shoulder)],
      [X(w / 2), Y(shoulder)],
      [X(w * 0.36), Y(legTop - 0.05)],
      [X(-w * 0.36), Y(legTop - 0.05)],
    ],
    cls,
    paint(o.color),
  );
  const s = X(1) - X(0);
  fillEllipse(cv, X(0), Y(headC), 0.11 * s, 0.13 * s, cls, paint(skin));
  if ((o.variant & 6) === 2) fillEllipse(cv, X(0), Y(headC + 0.07), 0.12 * s, 0.07 * s, cls, paint(o.color2, 0.7));
}

/** The camera car's bonnet at the bottom of target frames (Cityscapes' 'ego vehicle', void). */
export function drawEgoHood(cv: Canvas, color: Rgb): void {
  const cx = cv.w / 2;
  for (let py = 0; py < cv.h; py++) {
    for (let px = 0; px < cv.w; px++) {
      const t = (px + 0.5 - cx) / cx;
      const top = cv.h * (0.9 + 0.07 * t * t);
      if (py + 0.5 < top) continue;
      const k = 0.8 + 0.5 * (1 - t * t) * ((py + 0.5 - top) / (cv.h - top + 1));
      const i = py * cv.w + px;
      cv.rgb[i * 3] = color[0] * k;
      cv.rgb[i * 3 + 1] = color[1] * k;
      cv.rgb[i * 3 + 2] = color[2] * k;
      cv.label[i] = C.void;
    }
  }
}
