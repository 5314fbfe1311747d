// What makes the two domains differ. The source imitates a game engine (GTA5): clean, saturated, sunny,
// sharp. The target imitates a car camera in a real city (Cityscapes): overcast, muted, textured, mostly
// grey/black/white cars, colour cast, compressed contrast, blur, vignetting, noise, an ego-vehicle hood,
// a higher horizon and busier streets. Both share one world model (layout.ts), so shape and position
// cues transfer. Guidance from demo-benchmark-notes.md: keep the target sky bluish and brighter than the
// buildings and leave some colour in target cars (grey skies and all-grey cars made the gap hopeless);
// do not stop at a colour shift (BatchNorm re-estimation alone closes that). Generator 4 gives the source
// some clouds and the target sky a little more blue: with generator 3, a warm-up read 56 % of the target
// sky as building, and on a seed where it found less, every self-training method, ProDA included, erased sky
// (README, demo section).
import type { HsvRange } from './color';

type Families = readonly (readonly [number, HsvRange])[];
const R = (h: [number, number], s: [number, number], v: [number, number]): HsvRange => ({ h, s, v });

export interface DomainStyle {
  skyHorizon: HsvRange;
  skyZenith: HsvRange;
  /** 0: clean gradient; 1: heavy overcast cloud texture. */
  clouds: number;
  road: HsvRange;
  marking: Families;
  sidewalk: HsvRange;
  terrain: HsvRange;
  building: Families;
  window: Families;
  wall: Families;
  fence: Families;
  vegetation: HsvRange;
  pole: HsvRange;
  signFace: Families;
  clothes: Families;
  skin: HsvRange;
  car: Families;
  bigVehicle: Families;
  misc: Families;
  /** Amplitude of surface texture noise (relative brightness). */
  texture: number;
  /** Fine per-surface grain (asphalt, leaves, render noise). */
  grain: number;
  /** Distance at which haze reaches half strength, and its colour. */
  hazeDist: number;
  haze: HsvRange;
  /** Brightness of sunlit vs shaded facades (the sun is on one side). */
  sunSide: [number, number];
  shadeSide: [number, number];
}

export interface DomainLayout {
  /** Horizon row as a fraction of the image height. */
  horizon: [number, number];
  camHeight: [number, number];
  roadHalf: [number, number];
  sidewalk: [number, number];
  /** Probability of a grass strip between sidewalk and facade on a side, and its width. */
  terrainStrip: number;
  terrainWidth: [number, number];
  segLength: [number, number];
  /** Weights of front-plane segment kinds: building, hedge, wall, fence. */
  segKinds: [number, number, number, number];
  buildingHeight: [number, number];
  cars: [number, number];
  parkedCars: [number, number];
  persons: [number, number];
  bigVehicle: number;
  riders: number;
  treeRow: number;
  poleSpacing: [number, number];
  voidObjects: [number, number];
  egoHood: boolean;
}

export interface DomainPost {
  exposure: [number, number];
  /** Contrast kept around mid-grey (1 = unchanged). */
  contrast: [number, number];
  /** Per-channel gain ranges for a colour cast. */
  cast: [[number, number], [number, number], [number, number]];
  /** Saturation kept (1 = unchanged). */
  saturation: [number, number];
  vignette: [number, number];
  /** Left-right / top-bottom illumination gradient amplitude. */
  lighting: number;
  /** Gaussian blur sigma in pixels at 256 px width (scaled with width). */
  blur: [number, number];
  /** Pixel noise sigma on the 0..255 scale. */
  noise: number;
}

export interface Domain {
  name: 'source' | 'target';
  style: DomainStyle;
  layout: DomainLayout;
  post: DomainPost;
}

export const SOURCE: Domain = {
  name: 'source',
  style: {
    skyHorizon: R([195, 205], [0.3, 0.45], [0.9, 1.0]),
    skyZenith: R([205, 220], [0.65, 0.85], [0.75, 0.9]),
    clouds: 0.3,
    road: R([255, 285], [0.06, 0.14], [0.27, 0.36]),
    marking: [
      [0.6, R([0, 360], [0, 0.03], [0.92, 1])],
      [0.4, R([45, 52], [0.8, 0.95], [0.9, 1])],
    ],
    sidewalk: R([15, 40], [0.12, 0.3], [0.6, 0.75]),
    terrain: R([70, 95], [0.55, 0.75], [0.55, 0.75]),
    building: [
      [3, R([25, 45], [0.3, 0.55], [0.65, 0.9])],
      [2, R([5, 20], [0.45, 0.7], [0.5, 0.75])],
      [1, R([190, 230], [0.25, 0.45], [0.55, 0.8])],
      [1, R([0, 360], [0.35, 0.6], [0.6, 0.9])],
    ],
    window: [
      [3, R([200, 225], [0.45, 0.7], [0.25, 0.45])],
      [1, R([170, 200], [0.3, 0.5], [0.5, 0.7])],
    ],
    wall: [[1, R([20, 45], [0.15, 0.35], [0.55, 0.75])]],
    fence: [
      [1, R([20, 35], [0.45, 0.65], [0.35, 0.55])],
      [1, R([0, 360], [0.0, 0.05], [0.55, 0.7])],
    ],
    vegetation: R([90, 125], [0.6, 0.85], [0.45, 0.7]),
    pole: R([0, 360], [0, 0.06], [0.5, 0.68]),
    signFace: [
      [1, R([215, 230], [0.8, 1], [0.7, 0.9])],
      [1, R([0, 8], [0.85, 1], [0.75, 0.95])],
      [1, R([48, 56], [0.85, 1], [0.85, 1])],
    ],
    clothes: [[1, R([0, 360], [0.55, 0.9], [0.45, 0.9])]],
    skin: R([20, 32], [0.35, 0.55], [0.6, 0.9]),
    car: [
      [4, R([0, 360], [0.65, 0.95], [0.5, 0.9])],
      [1, R([0, 360], [0, 0.05], [0.15, 0.9])],
    ],
    bigVehicle: [[1, R([0, 360], [0.55, 0.9], [0.55, 0.9])]],
    misc: [[1, R([0, 360], [0.4, 0.8], [0.4, 0.8])]],
    texture: 0.04,
    grain: 0.0,
    hazeDist: 500,
    haze: R([200, 210], [0.15, 0.25], [0.9, 1]),
    sunSide: [1.05, 1.15],
    shadeSide: [0.6, 0.72],
  },
  layout: {
    horizon: [0.42, 0.5],
    camHeight: [1.5, 1.8],
    roadHalf: [5, 8],
    sidewalk: [2.5, 4.5],
    terrainStrip: 0.25,
    terrainWidth: [1, 3],
    segLength: [12, 35],
    segKinds: [0.72, 0.1, 0.1, 0.08],
    buildingHeight: [9, 32],
    cars: [0, 4],
    parkedCars: [0, 2],
    persons: [0, 3],
    bigVehicle: 0.35,
    riders: 0.2,
    treeRow: 0.3,
    poleSpacing: [18, 35],
    voidObjects: [0, 1],
    egoHood: false,
  },
  post: {
    exposure: [0.96, 1.06],
    contrast: [1.0, 1.08],
    cast: [
      [1, 1.03],
      [0.99, 1.02],
      [0.96, 1.0],
    ],
    saturation: [1.0, 1.1],
    vignette: [0, 0],
    lighting: 0,
    blur: [0, 0],
    noise: 0,
  },
};

export const TARGET: Domain = {
  name: 'target',
  style: {
    skyHorizon: R([195, 215], [0.14, 0.28], [0.86, 0.98]),
    skyZenith: R([200, 218], [0.3, 0.5], [0.72, 0.9]),
    clouds: 0.55,
    road: R([190, 240], [0.02, 0.07], [0.26, 0.4]),
    marking: [[1, R([0, 360], [0, 0.05], [0.75, 0.9])]],
    sidewalk: R([20, 220], [0.02, 0.08], [0.45, 0.6]),
    terrain: R([60, 82], [0.3, 0.5], [0.38, 0.55]),
    building: [
      [3, R([25, 45], [0.08, 0.25], [0.45, 0.8])],
      [2, R([0, 360], [0.0, 0.06], [0.3, 0.75])],
      [1, R([8, 22], [0.3, 0.45], [0.35, 0.55])],
    ],
    window: [
      [2, R([190, 220], [0.05, 0.2], [0.15, 0.3])],
      [1, R([190, 220], [0.05, 0.15], [0.5, 0.7])],
    ],
    wall: [[1, R([20, 220], [0.02, 0.12], [0.45, 0.65])]],
    fence: [
      [1, R([20, 35], [0.25, 0.4], [0.3, 0.45])],
      [2, R([0, 360], [0.0, 0.05], [0.3, 0.5])],
    ],
    vegetation: R([70, 100], [0.3, 0.55], [0.22, 0.42]),
    pole: R([0, 360], [0, 0.05], [0.3, 0.48]),
    signFace: [
      [1, R([210, 225], [0.55, 0.8], [0.5, 0.7])],
      [1, R([0, 10], [0.55, 0.8], [0.55, 0.75])],
      [1, R([45, 55], [0.55, 0.8], [0.7, 0.85])],
    ],
    clothes: [
      [3, R([0, 360], [0.0, 0.15], [0.12, 0.45])],
      [1, R([0, 360], [0.3, 0.6], [0.3, 0.6])],
    ],
    skin: R([18, 30], [0.25, 0.45], [0.45, 0.75]),
    // About 57% grey/black/white (Cityscapes-like) but not all: all-neutral cars made the gap hopeless.
    car: [
      [1.5, R([0, 360], [0, 0.05], [0.08, 0.22])],
      [1.5, R([0, 360], [0, 0.05], [0.5, 0.72])],
      [1, R([0, 360], [0, 0.04], [0.78, 0.92])],
      [3, R([0, 360], [0.3, 0.55], [0.3, 0.6])],
    ],
    bigVehicle: [
      [1, R([0, 360], [0.0, 0.1], [0.6, 0.9])],
      [1, R([0, 360], [0.3, 0.55], [0.4, 0.65])],
    ],
    misc: [[1, R([0, 360], [0.1, 0.4], [0.3, 0.6])]],
    texture: 0.14,
    grain: 0.08,
    hazeDist: 400,
    haze: R([195, 215], [0.05, 0.12], [0.75, 0.88]),
    sunSide: [0.92, 1.0],
    shadeSide: [0.78, 0.88],
  },
  layout: {
    horizon: [0.36, 0.44],
    camHeight: [1.3, 1.55],
    roadHalf: [4, 6.5],
    sidewalk: [2, 4],
    terrainStrip: 0.45,
    terrainWidth: [1, 2.5],
    segLength: [8, 26],
    segKinds: [0.55, 0.2, 0.1, 0.15],
    buildingHeight: [7, 24],
    cars: [1, 5],
    parkedCars: [1, 4],
    persons: [1, 6],
    bigVehicle: 0.2,
    riders: 0.35,
    treeRow: 0.6,
    poleSpacing: [12, 25],
    voidObjects: [0, 3],
    egoHood: true,
  },
  post: {
    exposure: [0.88, 1.05],
    contrast: [0.88, 1.0],
    cast: [
      [0.96, 1.02],
      [1.0, 1.06],
      [0.9, 0.98],
    ],
    saturation: [0.7, 0.9],
    vignette: [0.15, 0.3],
    lighting: 0.12,
    blur: [0.6, 1.1],
    noise: 5,
  },
};
