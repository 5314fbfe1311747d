// One demo image and its label, from (dataset seed, split, index) alone: any image can be regenerated
// on its own, in any order.
import { drawBackground } from './background';
import { newCanvas } from './canvas';
import { sampleLayout } from './layout';
import { drawEgoHood, drawObjects } from './objects';
import { postProcess, quantize } from './post';
import { Rng, mix } from './rng';
import { SOURCE, TARGET } from './styles';
import type { DemoSplit } from '../../../shared/datasets';

const SPLIT_CODE: Record<DemoSplit, number> = { source: 1, 'target-train': 2, 'target-val': 3 };

export interface DemoSample {
  width: number;
  height: number;
  /** Interleaved RGB. */
  rgb: Uint8Array;
  /** 19-class train ids, 250 = void. */
  label: Uint8Array;
}

export function renderScene(seed: number, split: DemoSplit, index: number, width: number, height: number): DemoSample {
  const domain = split === 'source' ? SOURCE : TARGET;
  const imageSeed = mix(seed, SPLIT_CODE[split], index);
  const layout = sampleLayout(imageSeed, domain, width, height);
  const cv = newCanvas(width, height);
  drawBackground(cv, layout, domain);
  drawObjects(cv, layout, domain);
  if (domain.layout.egoHood) drawEgoHood(cv, [0.13, 0.14, 0.16]);
  postProcess(cv, domain.post, new Rng(mix(imageSeed, 0x9057)));
  return { width, height, rgb: quantize(cv), label: cv.label };
}
