// Form presets. 'paper' is the schema's defaults, which are the reference's values of each stage (shared/runs-config.ts
// PAPER). The demo presets are demoStageSettings, the same definition `proda demo` uses, so a run started from the
// form matches the demo's stage.
import { demoStageSettings } from '../../../../shared/runs-config';
import type { DatasetRef } from '../../../../shared/datasets';

export const presetNames = ['paper', 'demo', 'demo-quick'] as const;
export type PresetName = (typeof presetNames)[number];
export type FormStage = 'stage1' | 'distill';

/** Nested settings as the form's dotted keys; numbers and lists as the text the form holds. */
function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, string | boolean> = {}): Record<string, string | boolean> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (Array.isArray(v)) out[key] = v.join(', ');
    else if (v !== null && typeof v === 'object') flatten(v as Record<string, unknown>, key, out);
    else if (typeof v === 'boolean') out[key] = v;
    else if (typeof v === 'number') out[key] = String(+v.toPrecision(6));
    else if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** Values (by dotted form key) a preset sets; datasets come from the workspace's demo datasets. */
export function presetValues(preset: PresetName, stage: FormStage, datasets: readonly DatasetRef[]): Record<string, string | boolean> {
  if (preset === 'paper') return {};
  const { notes: _notes, ...settings } = { notes: undefined, ...demoStageSettings(preset, stage) };
  // The preset's own benchmark first (ids `<preset>-<split>`, see main/services/demo.ts), when the workspace has both.
  const all = datasets.filter((d) => d.format === 'demo');
  const own = all.filter((d) => d.id.startsWith(`${preset}-`) && !d.id.slice(preset.length + 1).startsWith('quick-'));
  const demo = own.length ? own : all;
  const bySplit = (split: string) => demo.find((d) => d.split === split) ?? demo.find((d) => (d.split ?? '').includes(split.split('-')[0]));
  const src = bySplit('source');
  const tgt = bySplit('target-train');
  const out: Record<string, string | boolean> = { 'network.arch': 'demo', 'network.classes': '19', ...flatten(settings) };
  if (src) Object.assign(out, { 'source.root': src.root, 'source.format': 'demo', 'source.split': src.split ?? 'source' });
  if (tgt) Object.assign(out, { 'target.root': tgt.root, 'target.format': 'demo', 'target.split': tgt.split ?? 'target-train' });
  return out;
}
