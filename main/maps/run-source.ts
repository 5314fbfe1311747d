// A run as a map source: its network (the run's final student, or the network it reads for a
// pseudo-label run), its prototypes, and the soft and hard pseudo-labels it trained from. Models come
// through main/artifacts' loadRunModel, files through its layout and pseudo.json reader. Forward passes
// go through the engine's prediction module (maps-engine.ts).
import { promises as fsp } from 'node:fs';
import type { RunConfig } from '../../shared/runs-config';
import type { ModelWeights } from '../engine/predict';
import type { Prototypes } from '../engine/proda/prototypes';
import { inFolder, modelDir, MODEL_ARTIFACT, PROTOTYPES_ARTIFACT, PSEUDO_INDEX, runDir, runPaths } from '../artifacts/layout';
import { readModelPrototypes, readPrototypes } from '../artifacts/model';
import { readPseudoIndexIfAny } from '../artifacts/pseudo-index';
import { readConfig } from '../artifacts/records';
import { loadRunModel } from '../artifacts/run-model';
import { formatModelRef, hasModel, parseModelRef, type ModelRef } from '../models/refs';

export interface RunMapSource {
  runId: string;
  /** null for an imported checkpoint (import:<id>). */
  config: RunConfig | null;
  /**
   * Loads the network maps are computed with (null: the run has no final model yet). Only called where
   * the forward pass runs in this process: with a compute process, main hands over modelRef and never
   * reads the weights (a ResNet-101's 170 MB held main's event loop for seconds).
   */
  loadModel: (() => Promise<ModelWeights>) | null;
  /** Its model source (run id or import:<id>), for a predictor in the compute process. */
  modelRef: string | null;
  prototypes: { data: Float32Array; classes: number; dims: number } | null;
  /** Soft pseudo-label .npy per image id (absolute paths), from the run or the pseudo run it reads. */
  softFiles: Map<string, string>;
  /** Hard pseudo-label PNG and confidence per image id. */
  hardFiles: Map<string, { label?: string; conf?: string }>;
  temperature: number;
}

const exists = (f: string) =>
  fsp.access(f).then(
    () => true,
    () => false,
  );

/**
 * Changes whenever the run's outputs do (a resumed or finished run), so caches keyed by it never
 * serve maps of an older model.
 */
export async function runStamp(workspace: string, runId: string): Promise<string> {
  const dir = modelDir(workspace, parseModelRef(runId));
  const parts: string[] = [];
  for (const file of [inFolder(dir, MODEL_ARTIFACT), inFolder(dir, PROTOTYPES_ARTIFACT), inFolder(dir, PSEUDO_INDEX), runPaths(dir).config]) {
    try {
      parts.push(String(Math.round((await fsp.stat(file)).mtimeMs)));
    } catch {
      parts.push('-');
    }
  }
  return parts.join('.');
}

/** Which run's network a run's maps are computed with. */
function networkRun(config: RunConfig, self: string): string {
  if (config.stage === 'pseudo' || config.stage === 'eval') return config.model;
  return self;
}

/** Which run holds the soft labels and initial prototypes a run used. */
export function pseudoRun(config: RunConfig, self: string): string | null {
  if (config.stage === 'stage1') return config.pseudo;
  if (config.stage === 'distill') return config.labels;
  if (config.stage === 'pseudo') return self;
  return null;
}

const protoLayer = (p: Prototypes) => ({ data: p.vectors, classes: p.numClasses, dims: p.dim });

async function modelWeights(workspace: string, ref: ModelRef): Promise<ModelWeights> {
  const m = await loadRunModel(workspace, ref);
  return { network: m.network, weights: m.weights };
}

/** A model source as a map source: a run id, or import:<id> (its network and objective_vectors). */
export async function loadRunMapSource(workspace: string, runId: string): Promise<RunMapSource> {
  const ref = parseModelRef(runId);
  if (ref.kind === 'import') {
    if (!(await hasModel(workspace, ref))) await loadRunModel(workspace, ref); // names what is missing
    const p = await readModelPrototypes(modelDir(workspace, ref));
    return { runId, config: null, loadModel: () => modelWeights(workspace, ref), modelRef: runId, prototypes: p && protoLayer(p), softFiles: new Map(), hardFiles: new Map(), temperature: 1 };
  }
  const dir = runDir(workspace, runId);
  const config = await readConfig(dir);
  const netRef = parseModelRef(networkRun(config, runId));
  let loadModel: RunMapSource['loadModel'] = null;
  let modelRef: string | null = null;
  let prototypes: RunMapSource['prototypes'] = null;
  if (await hasModel(workspace, netRef)) {
    modelRef = formatModelRef(netRef);
    loadModel = () => modelWeights(workspace, netRef);
    // The run's own prototypes, or an imported checkpoint's objective_vectors.
    if (netRef.kind === 'import' || netRef.id === runId) {
      const p = await readModelPrototypes(modelDir(workspace, netRef));
      if (p) prototypes = protoLayer(p);
    }
  }
  const softFiles = new Map<string, string>();
  const hardFiles = new Map<string, { label?: string; conf?: string }>();
  const pr = pseudoRun(config, runId);
  for (const d of [dir, ...(pr && pr !== runId ? [runDir(workspace, pr)] : [])]) {
    const idx = await readPseudoIndexIfAny(d);
    if (idx) {
      for (const [id, f] of Object.entries(idx.files)) {
        if (f.soft && !softFiles.has(id)) softFiles.set(id, inFolder(d, f.soft));
        if ((f.label || f.conf) && !hardFiles.has(id)) {
          hardFiles.set(id, { label: f.label && inFolder(d, f.label), conf: f.conf && inFolder(d, f.conf) });
        }
      }
    }
    // The run's own final prototypes win; otherwise the pseudo run's initial ones.
    if (!prototypes && (await exists(inFolder(d, PROTOTYPES_ARTIFACT)))) {
      const p = await readPrototypes(d);
      prototypes = protoLayer(p);
    }
  }
  return {
    runId,
    config,
    loadModel,
    modelRef,
    prototypes,
    softFiles,
    hardFiles,
    temperature: config.stage === 'stage1' ? config.protoTemperature : 1,
  };
}
