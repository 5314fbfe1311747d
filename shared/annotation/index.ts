// Platform-free label editing: the same code runs in the renderer and in main.
export * from './raster';
export * from './footprint';
export * from './diff';
export * from './ops';
export * from './history';
export * from './editor';
