// Cityscapes: leftImg8bit/<split>/<city>/<name>_leftImg8bit.png with gtFine/<split>/<city>/<name>_gtFine_labelIds.png
// (raw labelIds, as the official loader reads them, not labelTrainIds).
import path from 'node:path';
import { cityscapesLabelIdLut, isKnownCityscapesLabelId } from '../../../shared/classes';
import type { CheckProblem, ImageEntry } from '../../../shared/datasets';
import { decodeLabel8 } from '../../io/png';
import type { AdapterFactory } from './adapter';
import { exists, isDir, problem, walkFiles, rawLabel } from './adapter';

const IMG_SUFFIX = '_leftImg8bit.png';
const LBL_SUFFIX = '_gtFine_labelIds.png';

export const cityscapesAdapter: AdapterFactory = async (ref, classSet) => {
  const split = ref.split ?? (ref.role === 'target' ? 'train' : 'train');
  const imgDir = path.join(ref.root, 'leftImg8bit', split);
  const lblDir = path.join(ref.root, 'gtFine', split);
  // Target-domain training images need no labels (ProDA never reads them); anywhere else a missing label is an error.
  const missingLabel = ref.role === 'target' && split === 'train' ? 'warning' : 'error';
  return {
    lut: cityscapesLabelIdLut(classSet),
    isKnownId: isKnownCityscapesLabelId,
    describeId: (id) => `labelId ${id}`,
    setupProblems: [],
    sizeMismatchSeverity: 'error',
    decodeRawLabel: rawLabel(decodeLabel8),
    async list() {
      const problems: CheckProblem[] = [];
      if (!(await isDir(imgDir))) {
        return { entries: [], problems: [problem('error', 'missing-folder', imgDir, `Cityscapes image folder for split '${split}' is missing`)] };
      }
      const hasLabels = await isDir(lblDir);
      if (!hasLabels) problems.push(problem(missingLabel, 'missing-folder', lblDir, `Cityscapes label folder for split '${split}' is missing`));
      const images = await walkFiles(imgDir, (n) => n.toLowerCase().endsWith('.png'), problems);
      const entries: ImageEntry[] = [];
      const expectedLabels = new Set<string>();
      for (const rel of images) {
        const city = rel.includes('/') ? rel.slice(0, rel.indexOf('/')) : '';
        const base = path.posix.basename(rel);
        const imagePath = path.join(imgDir, rel);
        if (!base.endsWith(IMG_SUFFIX)) {
          problems.push(problem('warning', 'unmatched-image', imagePath, `name does not end in ${IMG_SUFFIX}; no label can be matched`));
          entries.push({ id: rel, name: base.replace(/\.png$/i, ''), imagePath, labelPath: null, split, group: city });
          continue;
        }
        const labelRel = path.posix.join(path.posix.dirname(rel), base.slice(0, -IMG_SUFFIX.length) + LBL_SUFFIX);
        const labelPath = path.join(lblDir, labelRel);
        expectedLabels.add(labelRel);
        let found = false;
        if (hasLabels) {
          found = await exists(labelPath);
          if (!found) problems.push(problem(missingLabel, 'unmatched-image', imagePath, `no label (expected ${labelPath})`));
        }
        entries.push({ id: rel, name: base.slice(0, -IMG_SUFFIX.length), imagePath, labelPath: found ? labelPath : null, split, group: city });
      }
      if (hasLabels) {
        for (const rel of await walkFiles(lblDir, (n) => n.endsWith(LBL_SUFFIX), problems)) {
          if (!expectedLabels.has(rel)) problems.push(problem('warning', 'unmatched-label', path.join(lblDir, rel), 'label without an image'));
        }
      }
      return { entries, problems };
    },
  };
};
