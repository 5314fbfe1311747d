// SYNTHIA-RAND-CITYSCAPES: RGB/<name>.png with GT/LABELS/<name>.png, 16-bit, class id in channel 0
// (the other channels hold instance ids). An 8-bit label is refused: it cannot hold the ids faithfully.
import path from 'node:path';
import { isKnownSynthiaId, synthiaIdLut } from '../../../shared/classes';
import type { CheckProblem, ImageEntry } from '../../../shared/datasets';
import { decodeLabel16Channel0 } from '../../io/png';
import type { AdapterFactory } from './adapter';
import { isDir, isImageName, problem, stem, walkFiles, rawLabel } from './adapter';

export const synthiaAdapter: AdapterFactory = async (ref, classSet) => {
  const imgDir = path.join(ref.root, 'RGB');
  const lblDir = path.join(ref.root, 'GT', 'LABELS');
  return {
    lut: synthiaIdLut(classSet),
    isKnownId: isKnownSynthiaId,
    describeId: (id) => `SYNTHIA id ${id}`,
    setupProblems: [],
    sizeMismatchSeverity: 'error',
    decodeRawLabel: rawLabel(decodeLabel16Channel0),
    async list() {
      const problems: CheckProblem[] = [];
      if (!(await isDir(imgDir))) return { entries: [], problems: [problem('error', 'missing-folder', imgDir, 'SYNTHIA RGB/ folder is missing')] };
      const hasLabels = await isDir(lblDir);
      if (!hasLabels) problems.push(problem('error', 'missing-folder', lblDir, 'SYNTHIA GT/LABELS/ folder is missing'));
      const images = await walkFiles(imgDir, isImageName, problems);
      const labels = hasLabels ? new Set(await walkFiles(lblDir, (n) => n.toLowerCase().endsWith('.png'), problems)) : new Set<string>();
      const used = new Set<string>();
      const entries: ImageEntry[] = [];
      for (const rel of images) {
        const labelRel = `${stem(rel)}.png`;
        const imagePath = path.join(imgDir, rel);
        const found = labels.has(labelRel);
        if (found) used.add(labelRel);
        else if (hasLabels) problems.push(problem('error', 'unmatched-image', imagePath, `no label (expected ${path.join(lblDir, labelRel)})`));
        entries.push({ id: rel, name: stem(rel), imagePath, labelPath: found ? path.join(lblDir, labelRel) : null });
      }
      for (const l of labels) if (!used.has(l)) problems.push(problem('warning', 'unmatched-label', path.join(lblDir, l), 'label without an image'));
      return { entries, problems };
    },
  };
};
