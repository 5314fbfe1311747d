// The world model shared by both domains: a pinhole camera looking down a straight street. The ground
// carries road (with lane markings), curbs, sidewalks and grass strips; each side has a front plane of
// building / hedge / wall / fence segments and a back plane (trees or buildings) seen over the low ones;
// a distant skyline closes the street. Objects (cars, trucks, buses, people, riders, poles with signs or
// lights, trees, unlabelled clutter) stand on the ground. Units are metres; x is lateral (right positive),
// z is depth.
import type { Rgb } from './color';
import { sampleFamily, sampleHsv } from './color';
import { Rng } from './rng';
import type { Domain } from './styles';

export interface Camera {
  w: number;
  h: number;
  f: number;
  cx: number;
  /** Horizon row (pixels). */
  yh: number;
  camH: number;
}

export type SegKind = 'building' | 'hedge' | 'wall' | 'fence' | 'trees' | 'none';

export interface Segment {
  z0: number;
  z1: number;
  kind: SegKind;
  height: number;
  color: Rgb;
  window: Rgb;
  winSpacing: number;
  floorHeight: number;
  seed: number;
}

export interface Side {
  sign: -1 | 1;
  /** Lateral distance from the camera to the road edge, the sidewalk's outer edge, the facade, the back plane. */
  roadEdge: number;
  sidewalkEdge: number;
  facade: number;
  back: number;
  front: Segment[];
  backSegs: Segment[];
  shade: number;
}

export type ObjectKind = 'car' | 'truck' | 'bus' | 'person' | 'rider' | 'pole' | 'tree' | 'void';

export interface SceneObject {
  kind: ObjectKind;
  x: number;
  z: number;
  color: Rgb;
  color2: Rgb;
  /** Object height (m) and width (m). */
  height: number;
  width: number;
  /** Pole attachment: 0 none (lamp), 1 sign, 2 traffic light. Person: skin colour index reuse. */
  variant: number;
  seed: number;
}

export interface SceneLayout {
  cam: Camera;
  roadL: number;
  roadR: number;
  centreLine: number;
  laneLines: number[];
  marking: Rgb;
  road: Rgb;
  sidewalk: Rgb;
  curb: Rgb;
  terrain: Rgb;
  vegetation: Rgb;
  skyHorizon: Rgb;
  skyZenith: Rgb;
  haze: Rgb;
  sides: [Side, Side];
  /** Distant skyline plane at depth zFar: per lateral block, height and class. */
  zFar: number;
  skyline: { x0: number; x1: number; height: number; veg: boolean; color: Rgb }[];
  objects: SceneObject[];
  seed: number;
}

export const Z_NEAR = 1;
export const Z_FAR = 150;

function segments(rng: Rng, d: Domain, building: boolean): Segment[] {
  const L = d.layout;
  const out: Segment[] = [];
  let z = Z_NEAR - rng.uniform(0, 10);
  while (z < Z_FAR) {
    const len = rng.uniform(L.segLength[0], L.segLength[1]);
    const w = L.segKinds;
    let kind: SegKind;
    if (building) {
      const r = rng.next() * (w[0] + w[1] + w[2] + w[3]);
      kind = r < w[0] ? 'building' : r < w[0] + w[1] ? 'hedge' : r < w[0] + w[1] + w[2] ? 'wall' : 'fence';
    } else {
      kind = rng.chance(0.55) ? 'trees' : rng.chance(0.75) ? 'building' : 'none';
    }
    const height =
      kind === 'building'
        ? rng.uniform(L.buildingHeight[0], L.buildingHeight[1])
        : kind === 'hedge'
          ? rng.uniform(1.2, 3)
          : kind === 'wall'
            ? rng.uniform(0.8, 2)
            : kind === 'fence'
              ? rng.uniform(1.2, 2.2)
              : kind === 'trees'
                ? rng.uniform(6, 14)
                : 0;
    const s = d.style;
    const color =
      kind === 'building'
        ? sampleFamily(rng, s.building)
        : kind === 'wall'
          ? sampleFamily(rng, s.wall)
          : kind === 'fence'
            ? sampleFamily(rng, s.fence)
            : sampleHsv(rng, s.vegetation);
    out.push({
      z0: z,
      z1: z + len,
      kind,
      height,
      color,
      window: sampleFamily(rng, s.window),
      winSpacing: rng.uniform(2.2, 4),
      floorHeight: rng.uniform(2.8, 3.6),
      seed: rng.u32(),
    });
    z += len;
  }
  return out;
}

export function sampleLayout(seed: number, d: Domain, w: number, h: number): SceneLayout {
  const rng = new Rng(seed);
  const L = d.layout;
  const s = d.style;
  const cam: Camera = { w, h, f: 0.85 * w, cx: w / 2 + rng.uniform(-0.03, 0.03) * w, yh: rng.uniform(L.horizon[0], L.horizon[1]) * h, camH: rng.uniform(L.camHeight[0], L.camHeight[1]) };
  const half = rng.uniform(L.roadHalf[0], L.roadHalf[1]);
  const offset = rng.uniform(-0.45, 0.45) * half;
  const roadL = -half - offset;
  const roadR = half - offset;
  const sunLeft = rng.chance(0.5);
  const sides = ([-1, 1] as const).map((sign) => {
    const roadEdge = sign < 0 ? -roadL : roadR;
    const sidewalkEdge = roadEdge + rng.uniform(L.sidewalk[0], L.sidewalk[1]);
    const facade = sidewalkEdge + (rng.chance(L.terrainStrip) ? rng.uniform(L.terrainWidth[0], L.terrainWidth[1]) : 0);
    const sunny = (sign < 0) === sunLeft;
    return {
      sign,
      roadEdge,
      sidewalkEdge,
      facade,
      back: facade + rng.uniform(4, 12),
      front: segments(rng, d, true),
      backSegs: segments(rng, d, false),
      shade: sunny ? rng.uniform(s.sunSide[0], s.sunSide[1]) : rng.uniform(s.shadeSide[0], s.shadeSide[1]),
    } satisfies Side;
  }) as [Side, Side];

  const skyline: SceneLayout['skyline'] = [];
  for (let x = -400; x < 400; ) {
    const bw = rng.uniform(15, 60);
    const veg = rng.chance(0.35);
    skyline.push({
      x0: x,
      x1: x + bw,
      height: veg ? rng.uniform(8, 16) : rng.uniform(10, 40),
      veg,
      color: veg ? sampleHsv(rng, s.vegetation) : sampleFamily(rng, s.building),
    });
    x += bw;
  }

  const objects: SceneObject[] = [];
  const obj = (kind: ObjectKind, x: number, z: number, color: Rgb, color2: Rgb, height: number, width: number, variant = 0): void => {
    objects.push({ kind, x, z, color, color2, height, width, variant, seed: rng.u32() });
  };
  // Lanes: 3-3.5 m wide; vehicles drive in lane centres.
  const laneW = rng.uniform(3, 3.6);
  const nLanes = Math.max(1, Math.floor((roadR - roadL) / laneW));
  const lanes = Array.from({ length: nLanes }, (_, i) => roadL + (i + 0.5) * ((roadR - roadL) / nLanes));
  const laneLines = Array.from({ length: nLanes - 1 }, (_, i) => roadL + (i + 1) * ((roadR - roadL) / nLanes));
  const nCars = rng.int(L.cars[0], L.cars[1]);
  for (let i = 0; i < nCars; i++) {
    obj('car', rng.pick(lanes) + rng.uniform(-0.4, 0.4), rng.uniform(6, 60), sampleFamily(rng, s.car), sampleFamily(rng, s.window), rng.uniform(1.4, 1.65), rng.uniform(1.7, 1.95));
  }
  const nParked = rng.int(L.parkedCars[0], L.parkedCars[1]);
  for (let i = 0; i < nParked; i++) {
    const left = rng.chance(0.5);
    obj('car', left ? roadL + 1.1 : roadR - 1.1, rng.uniform(5, 45), sampleFamily(rng, s.car), sampleFamily(rng, s.window), rng.uniform(1.4, 1.6), rng.uniform(1.7, 1.9));
  }
  if (rng.chance(L.bigVehicle)) {
    const bus = rng.chance(0.5);
    obj(bus ? 'bus' : 'truck', rng.pick(lanes), rng.uniform(12, 55), sampleFamily(rng, s.bigVehicle), sampleFamily(rng, s.window), bus ? rng.uniform(2.9, 3.3) : rng.uniform(2.8, 3.8), rng.uniform(2.3, 2.6));
  }
  const nPersons = rng.int(L.persons[0], L.persons[1]);
  for (let i = 0; i < nPersons; i++) {
    const side = rng.pick(sides);
    const x = side.sign * rng.uniform(side.roadEdge + 0.4, side.sidewalkEdge - 0.3);
    obj('person', x, rng.uniform(4, 35), sampleFamily(rng, s.clothes), sampleFamily(rng, s.clothes), rng.uniform(1.55, 1.9), rng.uniform(0.45, 0.6), rng.u32() & 0xff);
  }
  if (rng.chance(L.riders)) {
    const right = rng.chance(0.5);
    obj('rider', right ? roadR - 0.8 : roadL + 0.8, rng.uniform(6, 30), sampleFamily(rng, s.clothes), sampleHsv(rng, s.pole), rng.uniform(1.6, 1.8), 0.6);
  }
  for (const side of sides) {
    let z = rng.uniform(3, L.poleSpacing[1]);
    while (z < 90) {
      const variant = rng.chance(0.45) ? 1 : rng.chance(0.45) ? 2 : 0;
      obj('pole', side.sign * (side.roadEdge + 0.5), z, sampleHsv(rng, s.pole), sampleFamily(rng, s.signFace), rng.uniform(3.5, 7), rng.uniform(0.12, 0.22), variant);
      z += rng.uniform(L.poleSpacing[0], L.poleSpacing[1]);
    }
    if (rng.chance(L.treeRow)) {
      let tz = rng.uniform(2, 12);
      while (tz < 80) {
        const c = sampleHsv(rng, s.vegetation);
        obj('tree', side.sign * (side.sidewalkEdge - rng.uniform(0.6, 1.2)), tz, c, c, rng.uniform(4.5, 9), rng.uniform(2.5, 5));
        tz += rng.uniform(7, 16);
      }
    }
  }
  const nVoid = rng.int(L.voidObjects[0], L.voidObjects[1]);
  for (let i = 0; i < nVoid; i++) {
    const side = rng.pick(sides);
    obj('void', side.sign * rng.uniform(side.roadEdge + 0.5, side.sidewalkEdge), rng.uniform(5, 30), sampleFamily(rng, s.misc), sampleFamily(rng, s.misc), rng.uniform(0.7, 1.3), rng.uniform(0.6, 1.2));
  }
  // Painter's order: far to near.
  objects.sort((a, b) => b.z - a.z);

  const road = sampleHsv(rng, s.road);
  const sidewalk = sampleHsv(rng, s.sidewalk);
  return {
    cam,
    roadL,
    roadR,
    centreLine: laneLines.length ? laneLines[Math.floor(laneLines.length / 2)] : (roadL + roadR) / 2,
    laneLines,
    marking: sampleFamily(rng, s.marking),
    road,
    sidewalk,
    curb: [sidewalk[0] * 1.15, sidewalk[1] * 1.15, sidewalk[2] * 1.15],
    terrain: sampleHsv(rng, s.terrain),
    vegetation: sampleHsv(rng, s.vegetation),
    skyHorizon: sampleHsv(rng, s.skyHorizon),
    skyZenith: sampleHsv(rng, s.skyZenith),
    haze: sampleHsv(rng, s.haze),
    sides,
    zFar: Z_FAR,
    skyline,
    objects,
    seed: rng.u32(),
  };
}
