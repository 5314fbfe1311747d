// Does a distillation run learn from hand corrections? On the demo benchmark, N target-train images are
// corrected through the label store (a "person" relabels each whole image from its ground truth, row runs
// painted with a 1-px brush, as the editor would record them), then the demo's distillation run is trained
// twice from the same stage-1 teacher and hard pseudo-labels, without and with `corrections`, and both
// students are scored on target-val (BN running and re-estimated).
//
// Run: npm run bench -- corrections [--workspace DIR] [--reuse-from WS] [--images 10] [--weight 1] [--per-batch 1] [--seed 1] [--iterations <demo distill>]
//   --reuse-from WS copies datasets/demo and runs/demo-s<seed>-{warmup,pseudo-soft,stage1,pseudo-hard} of an
//   earlier `proda demo` workspace instead of training them again (about 10 min on 2 cores); the copies are
//   pointed at the copied dataset.
// Runs that already succeeded in the workspace are reused (delete them to measure again); a run there whose
// config differs from what the bench asks for stops it (the pipeline says which fields).
import { existsSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { makeDemo, openDataset } from '../main/datasets';
import { writeJsonAtomic } from '../main/io/atomic';
import { loadCorrections } from '../main/labels/corrections';
import { LabelStore } from '../main/labels/store';
import { toDatasetRef } from '../main/runs/dataset-refs';
import { ensureDemoDataset } from '../main/runs/demo';
import { forkLauncher, resolveRunEntry } from '../main/runs/launcher';
import { runPipeline, type PipelineStep } from '../main/runs/pipeline';
import { demoPipeline } from '../main/runs/presets';
import { readReport } from '../main/artifacts/records';
import { runDir } from '../main/artifacts/layout';
import { RunSupervisor } from '../main/runs/supervisor';
import { demoBudgets, type RunConfigInput } from '../shared/runs-config';
import { IGNORE_LABEL } from '../shared/classes';

const { values } = parseArgs({
  options: {
    workspace: { type: 'string', default: path.join(os.tmpdir(), 'proda-corrections-bench') },
    'reuse-from': { type: 'string' },
    images: { type: 'string', default: '10' },
    weight: { type: 'string', default: '1' },
    'per-batch': { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    iterations: { type: 'string', default: String(demoBudgets.demo.distill) },
  },
});
const ws = path.resolve(values.workspace!);
const nImages = Number(values.images);
const weight = Number(values.weight);
const perBatch = Number(values['per-batch']);
const seed = Number(values.seed);
const iterations = Number(values.iterations);
const prefix = `demo-s${seed}`;
const upstreamKeys = ['warmup', 'pseudo-soft', 'stage1', 'pseudo-hard'];
const CORR_DATASET = 'demo-target-train';
// Weight and batch slots are part of the run id, so settings can be compared in one workspace without retraining the rest.
const CORRECTED = `distill-corrected-w${weight}-b${perBatch}`;

if (values['reuse-from']) {
  const from = path.resolve(values['reuse-from']);
  const fromData = path.join(from, 'datasets', 'demo');
  const wsData = path.join(ws, 'datasets', 'demo');
  if (!existsSync(wsData)) await fsp.cp(fromData, wsData, { recursive: true });
  for (const key of upstreamKeys) {
    const rel = `runs/${prefix}-${key}`;
    if (existsSync(path.join(ws, rel))) continue;
    await fsp.cp(path.join(from, rel), path.join(ws, rel), { recursive: true });
    // The copy reads the copied dataset: point its config there, or the pipeline sees a different run.
    const config = path.join(ws, rel, 'config.json');
    const text = await fsp.readFile(config, 'utf8');
    await writeJsonAtomic(config, JSON.parse(text, (_k, v: unknown) => (v === fromData ? wsData : v)));
  }
}
const root = await ensureDemoDataset(ws, 'demo', 1, (o) => makeDemo(o));
const demo = demoPipeline({ root }, 'demo', seed);
const step = (key: string) => demo.find((s) => s.key === key)!;
const tgt = { root, format: 'demo' as const, split: 'target-train', classSet: '19' as const };

// The corrections: whole images relabelled from ground truth, written through the annotation store.
// Ground truth stands in for the person: read with evalLabels, the switch that otherwise only evaluation uses.
const ds = await openDataset(toDatasetRef(tgt, 'target'), { evalLabels: true });
const ids = (await ds.list()).slice(0, nImages).map((e) => e.id);
const gts = new Map<string, { width: number; height: number; data: Uint8Array }>();
for (const id of ids) {
  const gt = await ds.readLabel(id);
  if (!gt) throw new Error(`target image ${id} has no ground truth`);
  gts.set(id, gt);
}
const existing = await loadCorrections(ws, CORR_DATASET);
if (existing.size === 0) {
  const t0 = performance.now();
  const store = new LabelStore(ws, { debounceMs: 1000, who: 'corrections.bench' });
  for (const id of ids) {
    const gt = gts.get(id)!;
    const img = await store.get(CORR_DATASET, id, async () => ({
      raster: { width: gt.width, height: gt.height, data: new Uint8Array(gt.width * gt.height).fill(IGNORE_LABEL) },
      start: { source: 'layer', label: 'pseudo' },
    }));
    for (let y = 0; y < gt.height; y++) {
      for (let x0 = 0; x0 < gt.width; ) {
        const v = gt.data[y * gt.width + x0];
        let x1 = x0 + 1;
        while (x1 < gt.width && gt.data[y * gt.width + x1] === v) x1++;
        const points: [number, number][] = [[x0 + 0.5, y + 0.5], [x1 - 0.5, y + 0.5]];
        await img.step({ kind: 'edit', op: v === IGNORE_LABEL ? { tool: 'ignore', points, size: 1 } : { tool: 'brush', points, size: 1, classId: v } });
        x0 = x1;
      }
    }
  }
  await store.closeAll();
  console.log(`wrote corrections of ${ids.length} images in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
// What a run will read must be exactly the ground truth of those images, every pixel touched.
const corr = await loadCorrections(ws, CORR_DATASET);
let corrected = 0;
for (const id of ids) {
  const c = corr.get(id);
  const gt = gts.get(id)!;
  if (!c || c.touchedPixels !== gt.width * gt.height || c.labels.some((v, i) => v !== gt.data[i])) throw new Error(`stored correction of ${id} differs from its ground truth`);
  corrected += c.touchedPixels;
}
if (corr.size !== ids.length) throw new Error(`workspace holds ${corr.size} corrected images, expected ${ids.length}`);

const distillWith = (corrections: boolean): PipelineStep => ({
  key: corrections ? CORRECTED : 'distill-plain',
  needs: ['stage1', 'pseudo-hard'],
  config: (r) => {
    const base = step('distill').config(r) as Extract<RunConfigInput, { stage: 'distill' }>;
    return {
      ...base,
      optim: { ...base.optim, iterations, polyHorizon: Math.round((iterations * 90000) / 62412) },
      ...(corrections ? { corrections: { dataset: CORR_DATASET, weight, perBatch } } : {}),
    };
  },
});
const evalOf = (key: string): PipelineStep => {
  const e = step('eval-distill');
  return { key: `eval-${key}`, needs: [key], config: (r) => e.config({ ...r, distill: r[key] }) };
};
const steps = [...upstreamKeys.map(step), distillWith(false), distillWith(true), evalOf('distill-plain'), evalOf(CORRECTED)];

const sup = new RunSupervisor({ workspace: ws, launcher: forkLauncher(resolveRunEntry(), process.env) });
const t0 = performance.now();
let ran: Record<string, string>;
try {
  ran = await runPipeline(sup, steps, prefix, { concurrency: 2, onStep: (key, id, how) => console.log(`${how} ${id}`) });
} finally {
  await sup.shutdown();
}

const rows: string[][] = [];
const miou = {} as Record<string, { running: number; reestimate: number }>;
for (const key of ['distill-plain', CORRECTED]) {
  const train = await readReport(runDir(ws, ran[key]));
  const ev = await readReport(runDir(ws, ran[`eval-${key}`]));
  const running = ev?.evals.find((e) => e.bn === 'running')?.miou ?? NaN;
  const reestimate = ev?.evals.find((e) => e.bn === 'reestimate')?.miou ?? NaN;
  miou[key] = { running, reestimate };
  const used = train?.corrections ?? [];
  rows.push([
    key === 'distill-plain' ? 'distillation' : `distillation + corrections (w ${weight}, ${perBatch}/batch)`,
    `${used.length} / ${used.reduce((a, u) => a + u.touchedPixels, 0)}`,
    (running * 100).toFixed(2),
    (reestimate * 100).toFixed(2),
    train ? train.seconds.toFixed(0) : '?',
  ]);
}
const head = ['run', 'corrected images / px', 'mIoU running BN', 'mIoU BN re-est.', 'train s'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
console.log(`\ndemo benchmark, seed ${seed}, distillation ${iterations} iterations (warm start from stage 1), ${ids.length} target-train images corrected (${corrected} px), target-val ${demoBudgets.demo.valCount} images`);
console.log(line(head));
console.log(line(widths.map((w) => '-'.repeat(w))));
for (const r of rows) console.log(line(r));
const d = miou[CORRECTED].reestimate - miou['distill-plain'].reestimate;
console.log(`\nΔ mIoU (BN re-est.): ${(d * 100).toFixed(2)} points; pipeline wall time this call ${((performance.now() - t0) / 1000).toFixed(0)} s`);
