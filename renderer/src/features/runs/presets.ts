// Form presets. 'paper' is the schema's defaults (the official ProDA values). The demo presets use the
// same budget, learning rates, augmentation and rescaled time constants as `proda demo` (all from
// shared/runs-config.ts), so a run started from the form matches the demo's stage.
import { DEMO_AUG, DEMO_DISTILL, DEMO_LR, demoBudgets, demoPolyHorizon, demoTimeConstants } from '../../../../shared/runs-config';
import type { DatasetRef } from '../../../../shared/datasets';

export const presetNames = ['paper', 'demo', 'demo-quick'] as const;
export type PresetName = (typeof presetNames)[number];
export type FormStage = 'stage1' | 'distill';

/** Values (by dotted form key) a preset sets; datasets come from the workspace's demo datasets. */
export function presetValues(preset: PresetName, stage: FormStage, datasets: readonly DatasetRef[]): Record<string, string | boolean> {
  if (preset === 'paper') return {};
  const b = demoBudgets[preset];
  const iterations = b[stage];
  // The preset's own benchmark first (ids `<preset>-<split>`, see main/services/demo.ts), when the workspace has both.
  const all = datasets.filter((d) => d.format === 'demo');
  const own = all.filter((d) => d.id.startsWith(`${preset}-`) && !d.id.slice(preset.length + 1).startsWith('quick-'));
  const demo = own.length ? own : all;
  const bySplit = (split: string) => demo.find((d) => d.split === split) ?? demo.find((d) => (d.split ?? '').includes(split.split('-')[0]));
  const src = bySplit('source');
  const tgt = bySplit('target-train');
  const out: Record<string, string | boolean> = {
    'network.arch': 'demo',
    'network.classes': '19',
    'optim.batchSize': String(b.batchSize),
    'optim.iterations': String(iterations),
    'optim.polyHorizon': String(demoPolyHorizon(iterations)),
    'optim.lr': String(DEMO_LR[stage]),
    'aug.cropWidth': String(DEMO_AUG.cropWidth),
    'aug.cropHeight': String(DEMO_AUG.cropHeight),
    'aug.resizeBase': String(DEMO_AUG.resizeBase),
    'aug.resizeRange': DEMO_AUG.resizeRange.join(', '),
    'validation.every': '0',
    'checkpoint.every': String(Math.max(1, Math.min(100, Math.floor(iterations / 4)))),
    'checkpoint.keep': '2',
  };
  if (src) Object.assign(out, { 'source.root': src.root, 'source.format': 'demo', 'source.split': src.split ?? 'source' });
  if (tgt) Object.assign(out, { 'target.root': tgt.root, 'target.format': 'demo', 'target.split': tgt.split ?? 'target-train' });
  if (stage === 'stage1') {
    const tc = demoTimeConstants(iterations);
    out.emaDecay = String(+tc.emaDecay.toFixed(6));
    out.protoMomentum = String(+tc.protoMomentum.toPrecision(4));
  } else {
    out.teacherBn = DEMO_DISTILL.teacherBn;
    out.classBalance = String(DEMO_DISTILL.classBalance);
    out.strongAug = DEMO_DISTILL.strongAug;
  }
  return out;
}
