// Form presets. 'paper' is the schema's defaults (the official ProDA values). The demo presets mirror
// the runs module's demo budget (main/runs/presets.ts: demoBudgets, demoPipeline), which the renderer
// cannot import; the time constants are rescaled with the shared scaleTimeConstant so the EMA teacher
// and prototypes move as far within the short run as in the paper.
import { scaleTimeConstant } from '../../../../shared/runs-config';
import type { DatasetRef } from '../../../../shared/datasets';

export const presetNames = ['paper', 'demo', 'demo-quick'] as const;
export type PresetName = (typeof presetNames)[number];
export type FormStage = 'stage1' | 'distill';

const REF_ITERS = 62412;
const BUDGET = { demo: { iterations: 300, batchSize: 4 }, 'demo-quick': { iterations: 20, batchSize: 2 } } as const;

/** Values (by dotted form key) a preset sets; datasets come from the workspace's demo datasets. */
export function presetValues(preset: PresetName, stage: FormStage, datasets: readonly DatasetRef[]): Record<string, string | boolean> {
  if (preset === 'paper') return {};
  const b = BUDGET[preset];
  const demo = datasets.filter((d) => d.format === 'demo');
  const bySplit = (split: string) => demo.find((d) => d.split === split) ?? demo.find((d) => (d.split ?? '').includes(split.split('-')[0]));
  const src = bySplit('source');
  const tgt = bySplit('target-train');
  const out: Record<string, string | boolean> = {
    'network.arch': 'demo',
    'network.classes': '19',
    'optim.batchSize': String(b.batchSize),
    'optim.iterations': String(b.iterations),
    'optim.polyHorizon': String(Math.round((b.iterations * 90000) / REF_ITERS)),
    'optim.lr': stage === 'stage1' ? '0.001' : '0.0025',
    'aug.cropWidth': '192',
    'aug.cropHeight': '96',
    'aug.resizeBase': '256',
    'aug.resizeRange': '0.75, 1.5',
    'validation.every': '0',
    'checkpoint.every': String(Math.max(1, Math.min(100, Math.floor(b.iterations / 4)))),
    'checkpoint.keep': '2',
  };
  if (src) Object.assign(out, { 'source.root': src.root, 'source.format': 'demo', 'source.split': src.split ?? 'source' });
  if (tgt) Object.assign(out, { 'target.root': tgt.root, 'target.format': 'demo', 'target.split': tgt.split ?? 'target-train' });
  if (stage === 'stage1') {
    out.emaDecay = String(+(1 - scaleTimeConstant(1 - 0.999, REF_ITERS, b.iterations)).toFixed(6));
    out.protoMomentum = String(+scaleTimeConstant(1e-4, REF_ITERS, b.iterations).toPrecision(4));
  }
  return out;
}
