// Class sets, palette and label-id tables for GTA5/SYNTHIA → Cityscapes, as the official ProDA code
// defines them (proda-reference §3.1). Every 16- and 13-class table is derived from the 19-class one
// through `to19`, so the sets cannot drift apart. Platform-free: used by main, renderer and contract.

/** Void/ignore value in every label map, loss and metric (ProDA uses 250, not 255). */
export const IGNORE_LABEL = 250;

export const classSetIds = ['19', '16', '13'] as const;
export type ClassSetId = (typeof classSetIds)[number];

export type Rgb = readonly [number, number, number];

/** Cityscapes train-id order (0..18). */
export const CLASS_NAMES_19 = [
  'road',
  'sidewalk',
  'building',
  'wall',
  'fence',
  'pole',
  'traffic light',
  'traffic sign',
  'vegetation',
  'terrain',
  'sky',
  'person',
  'rider',
  'car',
  'truck',
  'bus',
  'train',
  'motorcycle',
  'bicycle',
] as const;

/** Cityscapes palette in train-id order (`cityscapes_dataset.py:colors`). */
export const PALETTE_19: readonly Rgb[] = [
  [128, 64, 128],
  [244, 35, 232],
  [70, 70, 70],
  [102, 102, 156],
  [190, 153, 153],
  [153, 153, 153],
  [250, 170, 30],
  [220, 220, 0],
  [107, 142, 35],
  [152, 251, 152],
  [0, 130, 180],
  [220, 20, 60],
  [255, 0, 0],
  [0, 0, 142],
  [0, 0, 70],
  [0, 60, 100],
  [0, 80, 100],
  [0, 0, 230],
  [119, 11, 32],
];

/** Colour drawn for ignore pixels in colour PNGs and overlays. */
export const IGNORE_COLOR: Rgb = [0, 0, 0];

/** Cityscapes labelId of each 19-class train id (GTA5 labels use the same ids). */
export const CITYSCAPES_LABEL_IDS_19 = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33] as const;

/** SYNTHIA-RAND-CITYSCAPES class id (16-bit label, channel 0) of each 19-class train id. */
export const SYNTHIA_IDS_19 = [3, 4, 2, 21, 5, 7, 15, 9, 6, 16, 1, 10, 17, 8, 18, 19, 20, 12, 11] as const;

const TO19: Record<ClassSetId, readonly number[]> = {
  '19': Array.from({ length: 19 }, (_, i) => i),
  // Drops terrain, truck, train.
  '16': [0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18],
  // Also drops wall, fence, pole.
  '13': [0, 1, 2, 6, 7, 8, 10, 11, 12, 13, 15, 17, 18],
};

export interface ClassSet {
  readonly id: ClassSetId;
  readonly numClasses: number;
  readonly names: readonly string[];
  /** Train id in this set → 19-class train id. */
  readonly to19: readonly number[];
  /** 19-class train id → train id in this set, or IGNORE_LABEL where the set drops the class. */
  readonly from19: readonly number[];
  readonly palette: readonly Rgb[];
  /** Train id in this set → Cityscapes/GTA5 labelId. */
  readonly cityscapesLabelIds: readonly number[];
  /** Train id in this set → SYNTHIA class id. */
  readonly synthiaIds: readonly number[];
}

function makeClassSet(id: ClassSetId): ClassSet {
  const to19 = TO19[id];
  const from19 = Array.from({ length: 19 }, (_, c) => {
    const k = to19.indexOf(c);
    return k < 0 ? IGNORE_LABEL : k;
  });
  return {
    id,
    numClasses: to19.length,
    names: to19.map((c) => CLASS_NAMES_19[c]),
    to19,
    from19,
    palette: to19.map((c) => PALETTE_19[c]),
    cityscapesLabelIds: to19.map((c) => CITYSCAPES_LABEL_IDS_19[c]),
    synthiaIds: to19.map((c) => SYNTHIA_IDS_19[c]),
  };
}

export const classSets: Record<ClassSetId, ClassSet> = {
  '19': makeClassSet('19'),
  '16': makeClassSet('16'),
  '13': makeClassSet('13'),
};

/** mIoU13 for a 16-class model is the mean over these 16-class train ids (all but wall, fence, pole). */
export const MIOU13_OF_16 = classSets['13'].to19.map((c) => classSets['16'].to19.indexOf(c));

function lutFrom(size: number, ids: readonly number[]): Uint8Array {
  const lut = new Uint8Array(size).fill(IGNORE_LABEL);
  ids.forEach((raw, trainId) => {
    lut[raw] = trainId;
  });
  return lut;
}

/** 256-entry LUT: Cityscapes/GTA5 labelId (8-bit PNG value) → train id in `set`; every other id → 250. */
export const cityscapesLabelIdLut = (set: ClassSetId): Uint8Array => lutFrom(256, classSets[set].cityscapesLabelIds);

/** 65536-entry LUT: SYNTHIA 16-bit class id → train id in `set`; every other id → 250. */
export const synthiaIdLut = (set: ClassSetId): Uint8Array => lutFrom(65536, classSets[set].synthiaIds);

/** 256-entry LUT: 19-class train id → train id in `set`; 250 stays 250, dropped classes and junk → 250. */
export const trainId19Lut = (set: ClassSetId): Uint8Array => lutFrom(256, classSets[set].to19);

/**
 * Raw ids a Cityscapes/GTA5 label may legitimately hold: 0..34 (void ones included) and 255 (the -1
 * license-plate id as stored in a uint8 PNG). Anything else is reported as an unknown id.
 */
export const isKnownCityscapesLabelId = (v: number): boolean => (v >= 0 && v <= 34) || v === 255;
/** SYNTHIA-RAND-CITYSCAPES ids run 0..22 (0 = void); anything above is reported as unknown. */
export const isKnownSynthiaId = (v: number): boolean => v >= 0 && v <= 22;

/** Paints a train-id map (250 = ignore) as interleaved RGB with the set's palette. */
export function colorize(labels: Uint8Array, set: ClassSetId): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) lut.set(IGNORE_COLOR, v * 3);
  classSets[set].palette.forEach((rgb, k) => lut.set(rgb, k * 3));
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0, o = 0; i < labels.length; i++, o += 3) {
    const b = labels[i] * 3;
    out[o] = lut[b];
    out[o + 1] = lut[b + 1];
    out[o + 2] = lut[b + 2];
  }
  return out;
}

/** Remaps every value through a LUT into a new array (never in place: the official in-place loop is order-dependent). */
export function applyLut(values: ArrayLike<number>, lut: Uint8Array): Uint8Array {
  // Separate monomorphic loops: a shared loop over ArrayLike runs ~3× slower on 2-megapixel labels.
  if (values instanceof Uint8Array) return lut8(values, lut);
  if (values instanceof Uint16Array) return lut16(values, lut);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = lut[values[i]];
  return out;
}

function lut8(values: Uint8Array, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = lut[values[i]];
  return out;
}

function lut16(values: Uint16Array, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = lut[values[i]];
  return out;
}
