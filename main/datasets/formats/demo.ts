// The built-in benchmark folder written by makeDemo (layout in demo/make-demo.ts). Labels are stored as
// 19-class train ids; 16/13-class modes remap them. Target-train labels are evaluation-only.
import path from 'node:path';
import { trainId19Lut } from '../../../shared/classes';
import type { CheckProblem, DemoManifest, DemoSplit, ImageEntry } from '../../../shared/datasets';
import { demoSplits } from '../../../shared/datasets';
import { decodeLabel8 } from '../../io/png';
import { DEMO_CLASSES, demoFileName, readDemoManifest } from '../demo/make-demo';
import type { AdapterFactory } from './adapter';
import { exists, problem, rawLabel } from './adapter';

const defaultDemoSplit = (role: 'source' | 'target'): DemoSplit => (role === 'source' ? 'source' : 'target-train');

export const demoAdapter: AdapterFactory = async (ref, classSet, opts) => {
  const split = (ref.split ?? defaultDemoSplit(ref.role)) as DemoSplit;
  const setupProblems: CheckProblem[] = [];
  let manifest: DemoManifest | null = null;
  if (!demoSplits.includes(split)) {
    setupProblems.push(problem('error', 'bad-manifest', ref.root, `unknown demo split '${split}' (use ${demoSplits.join(', ')})`));
  } else {
    try {
      manifest = await readDemoManifest(ref.root);
    } catch (err) {
      setupProblems.push(problem('error', 'bad-manifest', path.join(ref.root, 'demo.json'), (err as Error).message.replace(/^[^:]*demo\.json: /, '')));
    }
  }
  const known = new Set([...DEMO_CLASSES, 250]);
  return {
    lut: trainId19Lut(classSet),
    isKnownId: (v) => known.has(v),
    describeId: (id) => `trainId ${id}`,
    setupProblems,
    sizeMismatchSeverity: 'error',
    decodeRawLabel: rawLabel(decodeLabel8),
    async list() {
      if (!manifest) return { entries: [], problems: [] };
      const spec = manifest.splits[split];
      const labelsVisible = spec.labels === 'train' || split === 'target-val' || Boolean(opts.evalLabels);
      const dir = path.join(ref.root, spec.dir);
      const problems: CheckProblem[] = [];
      const entries: ImageEntry[] = [];
      for (let i = 0; i < spec.count; i++) {
        const name = demoFileName(i);
        const imagePath = path.join(dir, 'images', name);
        const labelPath = path.join(dir, 'labels', name);
        if (!(await exists(imagePath))) {
          problems.push(problem('error', 'missing-file', imagePath, 'listed in demo.json but missing'));
          continue;
        }
        const hasLabel = await exists(labelPath);
        if (!hasLabel) problems.push(problem('error', 'unmatched-image', imagePath, `no label (expected ${labelPath})`));
        entries.push({ id: `${spec.dir}/images/${name}`, name: name.replace(/\.png$/, ''), imagePath, labelPath: hasLabel && labelsVisible ? labelPath : null, split });
      }
      return { entries, problems };
    },
  };
};
