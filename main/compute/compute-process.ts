// The compute process: a long-lived child that owns every predictor and runs the export jobs (ONNX Runtime sessions run native
// code synchronously, so a forward pass in main would stall every request). Main only dispatches; see
// client.ts. One request at a time, in arrival order.
import { initBackend } from '../engine/backend';
import { createPredictor, type Predictor } from '../engine/predict';
import { loadRunModel } from '../artifacts/run-model';
import { parseModelRef } from '../models/refs';
import { openDataset } from '../datasets';
import { exportRunLabels, exportRunModel, type Progress } from '../interop/jobs';
import type { ComputeJob, DatasetArg, FromCompute, ToCompute } from './protocol';

async function openDatasetArg(d: DatasetArg) {
  return openDataset(d.ref, { cacheDir: d.cacheDir });
}

async function runJob(job: ComputeJob, onProgress: Progress): Promise<unknown> {
  if (job.kind === 'export-model') {
    const { dataset, kind: _kind, ...rest } = job;
    return exportRunModel({ ...rest, dataset: dataset ? await openDatasetArg(dataset) : null, onProgress });
  }
  const { dataset, bnData, kind: _kind, ...rest } = job;
  return exportRunLabels({ ...rest, dataset: await openDatasetArg(dataset), bnData: bnData ? await openDatasetArg(bnData) : undefined, onProgress });
}

const predictors = new Map<number, Predictor>();
let next = 1;
const send = (m: FromCompute) => process.send?.(m);

async function handle(m: ToCompute): Promise<void> {
  try {
    if (m.type === 'open') {
      await initBackend();
      const src = await loadRunModel(m.workspace, parseModelRef(m.ref));
      const p = await createPredictor({ network: src.network, weights: src.weights }, m.options);
      const id = next++;
      predictors.set(id, p);
      send({ type: 'opened', id: m.id, predictor: id, info: p.info });
    } else if (m.type === 'predict') {
      const p = predictors.get(m.predictor);
      if (!p) throw new Error(`no predictor ${m.predictor} in the compute process`);
      send({ type: 'predicted', id: m.id, predictions: await p.predict(m.images, m.options) });
    } else if (m.type === 'job') {
      await initBackend();
      const onProgress = (step: string, done: number, total: number, message: string) => send({ type: 'progress', id: m.id, step, done, total, message });
      send({ type: 'done', id: m.id, result: await runJob(m.job, onProgress) });
    } else if (m.type === 'close') {
      await predictors.get(m.predictor)?.dispose();
      predictors.delete(m.predictor);
      send({ type: 'closed', id: m.id });
    }
  } catch (err) {
    const e = err as Error & { code?: string; where?: string; details?: unknown; parity?: unknown };
    send({ type: 'error', id: m.id, message: e instanceof Error ? e.message : String(err), name: e?.name, code: e?.code, where: e?.where, details: e?.parity ?? e?.details });
  }
}

let queue = Promise.resolve();
process.on('message', (m: ToCompute) => {
  queue = queue.then(() => handle(m));
});
// Main went away: nothing is left to answer.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
