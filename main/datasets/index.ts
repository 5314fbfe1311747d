export { openDataset, FileDataset } from './open';
export { checkDataset } from './check';
export type { CheckOptions } from './check';
export { makeDemo, readDemoManifest, renderScene, DEMO_DEFAULTS, DEMO_GENERATOR, DEMO_CLASSES } from './demo';
export type { MakeDemoOptions, MakeDemoResult, DemoSample } from './demo';
export type { Dataset, RgbImage, LabelMap, EncodedImage, OpenDatasetOptions } from './types';
export { readMatNumeric } from './formats/mat';
export { CLASS_LIST_FILE } from './formats/folder';
