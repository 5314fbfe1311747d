// GTA5: images/NNNNN.png with labels/NNNNN.png holding Cityscapes labelIds (palette indices). split.mat
// (trainIds/valIds/testIds) selects a split when present; it is never required ('all' lists every image,
// which is what ProDA trains on).
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { cityscapesLabelIdLut, isKnownCityscapesLabelId } from '../../../shared/classes';
import type { CheckProblem, ImageEntry } from '../../../shared/datasets';
import { decodeLabel8 } from '../../io/png';
import type { AdapterFactory } from './adapter';
import { exists, isDir, isImageName, problem, stem, walkFiles, rawLabel } from './adapter';
import { readMatNumeric } from './mat';

export const gta5Adapter: AdapterFactory = async (ref, classSet) => {
  const split = ref.split ?? 'all';
  const imgDir = path.join(ref.root, 'images');
  const lblDir = path.join(ref.root, 'labels');
  const splitFile = path.join(ref.root, 'split.mat');
  return {
    lut: cityscapesLabelIdLut(classSet),
    isKnownId: isKnownCityscapesLabelId,
    describeId: (id) => `labelId ${id}`,
    setupProblems: [],
    sizeMismatchSeverity: 'warning',
    decodeRawLabel: rawLabel(decodeLabel8),
    async list() {
      const problems: CheckProblem[] = [];
      if (!(await isDir(imgDir))) return { entries: [], problems: [problem('error', 'missing-folder', imgDir, 'GTA5 images/ folder is missing')] };
      const hasLabels = await isDir(lblDir);
      if (!hasLabels) problems.push(problem('error', 'missing-folder', lblDir, 'GTA5 labels/ folder is missing'));
      let keep: Set<number> | null = null;
      if (split !== 'all') {
        const key = `${split}Ids`;
        if (!(await exists(splitFile))) {
          problems.push(problem('error', 'missing-file', splitFile, `split '${split}' needs split.mat (use split 'all' without it)`));
          return { entries: [], problems };
        }
        try {
          const vars = readMatNumeric(await fsp.readFile(splitFile), splitFile);
          const ids = vars.get(key);
          if (!ids) throw new Error(`has no variable '${key}' (found: ${[...vars.keys()].join(', ') || 'none'})`);
          keep = new Set(ids);
        } catch (err) {
          problems.push(problem('error', 'unreadable', splitFile, (err as Error).message.replace(`${splitFile}: `, '')));
          return { entries: [], problems };
        }
      }
      const images = await walkFiles(imgDir, isImageName, problems);
      const labels = hasLabels ? new Set(await walkFiles(lblDir, (n) => n.toLowerCase().endsWith('.png'), problems)) : new Set<string>();
      const used = new Set<string>();
      const entries: ImageEntry[] = [];
      for (const rel of images) {
        if (keep && !keep.has(Number.parseInt(path.posix.basename(stem(rel)), 10))) continue;
        const labelRel = `${stem(rel)}.png`;
        const imagePath = path.join(imgDir, rel);
        const found = labels.has(labelRel);
        if (found) used.add(labelRel);
        else if (hasLabels) problems.push(problem('error', 'unmatched-image', imagePath, `no label (expected ${path.join(lblDir, labelRel)})`));
        entries.push({ id: rel, name: stem(rel), imagePath, labelPath: found ? path.join(lblDir, labelRel) : null, split });
      }
      if (!keep) for (const l of labels) if (!used.has(l)) problems.push(problem('warning', 'unmatched-label', path.join(lblDir, l), 'label without an image'));
      return { entries, problems };
    },
  };
};
