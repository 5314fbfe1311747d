// The compute process: a long-lived child that owns every predictor (ONNX Runtime sessions run native
// code synchronously, so a forward pass in main would stall every request). Main only dispatches; see
// client.ts. One request at a time, in arrival order.
import { initBackend } from '../engine/backend';
import { createPredictor, type Predictor } from '../engine/predict';
import { loadModel } from '../models/source';
import { parseModelRef } from '../models/refs';
import type { FromCompute, ToCompute } from './protocol';

const predictors = new Map<number, Predictor>();
let next = 1;
const send = (m: FromCompute) => process.send?.(m);

async function handle(m: ToCompute): Promise<void> {
  try {
    if (m.type === 'open') {
      await initBackend();
      const src = await loadModel(m.workspace, parseModelRef(m.ref));
      const p = await createPredictor({ network: src.network, weights: src.weights }, m.options);
      const id = next++;
      predictors.set(id, p);
      send({ type: 'opened', id: m.id, predictor: id, info: p.info });
    } else if (m.type === 'predict') {
      const p = predictors.get(m.predictor);
      if (!p) throw new Error(`no predictor ${m.predictor} in the compute process`);
      send({ type: 'predicted', id: m.id, predictions: await p.predict(m.images, m.options) });
    } else if (m.type === 'close') {
      await predictors.get(m.predictor)?.dispose();
      predictors.delete(m.predictor);
      send({ type: 'closed', id: m.id });
    }
  } catch (err) {
    send({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) });
  }
}

let queue = Promise.resolve();
process.on('message', (m: ToCompute) => {
  queue = queue.then(() => handle(m));
});
// Main went away: nothing is left to answer.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
