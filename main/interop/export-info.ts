// The facts an export's sidecar records about its model source (run or import).
import path from 'node:path';
import { classSetIds, type ClassSetId } from '../../shared/classes';
import type { RunConfig } from '../../shared/runs-config';
import { readReport, readStatus } from '../artifacts/records';
import type { RunModel } from '../artifacts/run-model';
import type { ExportInfo } from './export-model';

type DatasetConfig = { root: string; format: string; split?: string; classSet?: string };

const datasetName = (d: DatasetConfig | undefined): string | null => (d ? `${d.format}:${path.basename(d.root)}${d.split ? `/${d.split}` : ''}` : null);
const classSetOf = (s: string): ClassSetId => ((classSetIds as readonly string[]).includes(s) ? (s as ClassSetId) : '19');

export async function exportInfo(model: RunModel): Promise<ExportInfo> {
  const config = model.config;
  if (!config) {
    return { runId: null, classSet: classSetOf(String(model.network.numClasses)), source: null, target: null, miou: null, iteration: 0, inputSize: null, arch: model.runNetwork.arch };
  }
  const c = config as RunConfig & { source?: DatasetConfig; target?: DatasetConfig; aug?: { cropHeight: number; cropWidth: number } };
  return {
    runId: model.ref.id,
    classSet: classSetOf(c.target?.classSet ?? c.source?.classSet ?? String(config.network.classes)),
    source: datasetName(c.source),
    target: datasetName(c.target),
    miou: (await readReport(model.dir))?.final?.miou ?? null,
    iteration: (await readStatus(model.dir)).iteration,
    inputSize: c.aug ? [c.aug.cropHeight, c.aug.cropWidth] : null,
    arch: config.network.arch,
  };
}
