export { makeDemo, readDemoManifest, DEMO_DEFAULTS, DEMO_GENERATOR, DEMO_CLASSES, demoFileName } from './make-demo';
export type { MakeDemoOptions, MakeDemoResult } from './make-demo';
export { renderScene } from './scene';
export type { DemoSample } from './scene';
