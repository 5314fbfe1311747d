// Whether a stage may be built on the runs it names. The schema checks each config alone; this checks the
// graph: each upstream reference points at a run of a kind that produces what the stage reads, class sets
// and weight shapes agree, the pseudo-labels cover the target being adapted to, and no adaptation stage
// is built on a model that trained with labels of its target domain (that would be an oracle reported as
// adaptation). The run process would fail later on some of these with a message about a missing file;
// the last one it would not notice at all.
import path from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { classSets } from '../../shared/classes';
import { IMPORT_PREFIX, trainingStages, upstreamRuns, type RunConfig, type RunDataset, type StageKind } from '../../shared/runs-config';

/** Stages whose final artifact is a trained student (model.safetensors). */
const MODEL_STAGES: readonly StageKind[] = trainingStages;
/** Stages that adapt to an unlabelled target: labels of the target domain must never reach them. */
const ADAPTATION_STAGES: readonly StageKind[] = ['stage1', 'distill', 'selftrain'];

const isAdaptationStage = (s: StageKind): boolean => ADAPTATION_STAGES.includes(s);

/** One upstream reference of a config: the field that names it and what it must be. */
interface Ref {
  field: string;
  id: string;
  kinds: readonly StageKind[];
  /** For pseudo-label references: the label mode the stage reads. */
  pseudoMode?: 'soft' | 'hard';
  /** The stage loads the run's weights into its own network, so the architecture must match. */
  loadsWeights?: boolean;
  /** The run's model and this run's network score the same classes (weights, distillation targets). */
  sameClasses?: boolean;
}

function refsOf(c: RunConfig): Ref[] {
  switch (c.stage) {
    case 'warmup':
      return c.init ? [{ field: 'init', id: c.init, kinds: MODEL_STAGES, loadsWeights: true, sameClasses: true }] : [];
    case 'pseudo':
    case 'eval':
      // An imported checkpoint has no run config: its classes are checked below from its import record.
      return c.model.startsWith(IMPORT_PREFIX) ? [] : [{ field: 'model', id: c.model, kinds: MODEL_STAGES }];
    case 'stage1':
      return [
        { field: 'init', id: c.init, kinds: MODEL_STAGES, loadsWeights: true, sameClasses: true },
        { field: 'pseudo', id: c.pseudo, kinds: ['pseudo'], pseudoMode: 'soft' },
      ];
    case 'distill':
      return [
        { field: 'teacher', id: c.teacher, kinds: MODEL_STAGES, sameClasses: true },
        { field: 'labels', id: c.labels, kinds: ['pseudo'], pseudoMode: 'hard' },
        ...(c.studentInit === 'fresh' ? [] : [{ field: 'studentInit', id: c.studentInit, kinds: MODEL_STAGES, loadsWeights: true, sameClasses: true }]),
      ];
    case 'selftrain':
      return [{ field: 'init', id: c.init, kinds: MODEL_STAGES, loadsWeights: true, sameClasses: true }];
  }
}

/**
 * The domain a dataset's labels describe. A demo folder holds both domains (split 'source' is the
 * synthetic source, 'target-*' the target); every other format is one domain per folder, whatever the split.
 */
export function domainOf(d: RunDataset): string {
  const root = path.resolve(d.root);
  if (d.format === 'demo') return `${root} (${d.split === 'source' ? 'source' : 'target'} domain)`;
  return root;
}

const datasetName = (d: RunDataset): string => `${d.format} ${path.resolve(d.root)}${d.split ? ` (${d.split})` : ''}`;

/** Same folder, format and split (a missing split is the format's default on both sides). */
const sameDataset = (a: RunDataset, b: RunDataset): boolean =>
  a.format === b.format && path.resolve(a.root) === path.resolve(b.root) && (a.split ?? '') === (b.split ?? '');

/** Labelled data a run's own training read: the warm-up's `source` (the target's evaluation labels for an oracle). */
function labelledDataOf(c: RunConfig): { dataset: RunDataset; targetLabels: boolean } | null {
  if (c.stage === 'warmup') return { dataset: c.source, targetLabels: c.targetLabels };
  return null;
}

export interface LabelUse {
  /** The run that trained on the labels. */
  run: string;
  dataset: RunDataset;
  /** The run's config says it trained on a target split's evaluation labels (an oracle). */
  targetLabels: boolean;
  /** How the checked run reaches it: upstream ids, nearest first. */
  via: string[];
}

export type ConfigReader = (id: string) => Promise<RunConfig>;
/** The network of an imported checkpoint (imports/<id>/import.json), by import id. */
export type ImportNetworkReader = (id: string) => Promise<RunConfig['network']>;

/** Every labelled dataset that reached a run, through any upstream run (weights, teacher, pseudo-labels). */
export async function labelLineage(id: string, read: ConfigReader, via: string[] = [], seen = new Set<string>()): Promise<LabelUse[]> {
  if (seen.has(id)) return [];
  seen.add(id);
  const c = await read(id);
  const out: LabelUse[] = [];
  const own = labelledDataOf(c);
  if (own) out.push({ run: id, dataset: own.dataset, targetLabels: own.targetLabels, via });
  for (const up of upstreamRuns(c)) out.push(...(await labelLineage(up, read, [...via, up], seen)));
  return out;
}

function refuse(field: string, message: string): never {
  throw new AppError('bad-input', message, { where: field });
}

/**
 * Checks `config` against the configs of the runs it names (read through `read`); throws a bad-input
 * AppError naming the field and the run. Upstream runs must already exist (the supervisor checks that first).
 */
export async function checkCompatibility(config: RunConfig, read: ConfigReader, readImport?: ImportNetworkReader): Promise<void> {
  const refs = refsOf(config);
  const ups = new Map<string, RunConfig>();
  for (const r of refs) ups.set(r.id, await read(r.id));

  for (const r of refs) {
    const up = ups.get(r.id)!;
    if (!r.kinds.includes(up.stage))
      refuse(r.field, `${config.stage} ${r.field}: run ${r.id} is a ${up.stage} run; ${r.field} needs a ${r.kinds.join(' / ')} run`);
    if (r.pseudoMode && up.stage === 'pseudo' && up.mode !== r.pseudoMode)
      refuse(r.field, `${config.stage} ${r.field}: run ${r.id} made ${up.mode} pseudo-labels; ${config.stage} reads ${r.pseudoMode} ones`);
    if (r.sameClasses && up.network.classes !== config.network.classes)
      refuse(r.field, `${config.stage} ${r.field}: run ${r.id} has ${up.network.classes} classes, this run ${config.network.classes}`);
    if (r.loadsWeights && up.network.arch !== config.network.arch)
      refuse(r.field, `${config.stage} ${r.field}: run ${r.id} is a ${up.network.arch} network, this run builds ${config.network.arch}; its weights cannot be loaded`);
  }

  // Class sets: every dataset this run reads (its own and its pseudo-label runs' targets) names a class set
  // of as many classes as the network that scores it: this run's own, or for pseudo and eval the model's.
  const sets: [string, RunDataset][] = [];
  if ('source' in config) sets.push(['source', config.source]);
  if ('target' in config && config.target) sets.push(['target', config.target]);
  if ('val' in config && config.val) sets.push(['val', config.val]);
  if (config.stage === 'eval' && config.bnData) sets.push(['bnData', config.bnData]);
  for (const r of refs) {
    const up = ups.get(r.id)!;
    if (up.stage === 'pseudo') sets.push([`${r.field} run ${r.id}'s target`, up.target]);
  }
  let scorer: { what: string; classes: number } | null = { what: 'this run', classes: config.network.classes };
  if (config.stage === 'pseudo' || config.stage === 'eval') {
    if (!config.model.startsWith(IMPORT_PREFIX)) scorer = { what: `model run ${config.model}`, classes: ups.get(config.model)!.network.classes };
    else if (readImport) scorer = { what: `imported model ${config.model}`, classes: (await readImport(config.model.slice(IMPORT_PREFIX.length))).classes };
    else scorer = null;
  }
  for (const [where, d] of sets)
    if (scorer && classSets[d.classSet].numClasses !== scorer.classes)
      refuse(where, `${config.stage}: ${where} uses the ${d.classSet}-class set but ${scorer.what} has ${scorer.classes} classes`);

  // Pseudo-labels are per target image: they must be of the dataset this stage adapts to.
  if (config.stage === 'stage1' || config.stage === 'distill') {
    const field = config.stage === 'stage1' ? 'pseudo' : 'labels';
    const id = config.stage === 'stage1' ? config.pseudo : config.labels;
    const up = ups.get(id)!;
    if (up.stage === 'pseudo' && !sameDataset(up.target, config.target))
      refuse(field, `${config.stage} ${field}: pseudo-label run ${id} labelled ${datasetName(up.target)}, but this run adapts to ${datasetName(config.target)}`);
  }

  if (!isAdaptationStage(config.stage) || !('target' in config) || !config.target) return;
  const targetDomain = domainOf(config.target);
  for (const r of refs) {
    for (const use of await labelLineage(r.id, read, [r.id])) {
      const leaks = use.targetLabels || domainOf(use.dataset) === targetDomain;
      if (!leaks) continue;
      const chain = use.via.length > 1 ? ` (via ${use.via.join(' → ')})` : '';
      const what = use.targetLabels ? 'trained on target labels (targetLabels: an oracle)' : 'trained on labels of the target domain';
      refuse(
        r.field,
        `${config.stage} ${r.field}: run ${use.run}${chain} ${what}, ${datasetName(use.dataset)}; an adaptation stage must never start from ` +
          `a model that saw target labels, or its score measures the labels, not the adaptation`,
      );
    }
  }
}
