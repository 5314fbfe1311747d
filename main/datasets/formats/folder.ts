// Generic folder: images/ (png/jpg), masks/ (or labels/) holding 8-bit index PNGs with the same relative
// name, and classes.txt: one class name per line, line k (0-based, skipping blank and '#' lines) naming
// mask value k. Names are the class set's names (case, spaces, '_' and '-' ignored); 'ignore', 'void',
// 'unlabeled' and 'background' mean void. Mask values 250 and 255 are void too.
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CLASS_NAMES_19, IGNORE_LABEL, classSets } from '../../../shared/classes';
import type { CheckProblem, ImageEntry } from '../../../shared/datasets';
import { decodeLabel8 } from '../../io/png';
import type { AdapterFactory } from './adapter';
import { isDir, isImageName, problem, stem, walkFiles, rawLabel } from './adapter';

const norm = (s: string): string => s.toLowerCase().replace(/[\s_-]+/g, '');
const VOID_NAMES = new Set(['ignore', 'void', 'unlabeled', 'unlabelled', 'background']);

export const CLASS_LIST_FILE = 'classes.txt';

export const folderAdapter: AdapterFactory = async (ref, classSet) => {
  const imgDir = path.join(ref.root, 'images');
  const maskDir = (await isDir(path.join(ref.root, 'masks'))) ? path.join(ref.root, 'masks') : path.join(ref.root, 'labels');
  const listFile = path.join(ref.root, CLASS_LIST_FILE);
  const setupProblems: CheckProblem[] = [];
  const lut = new Uint8Array(256).fill(IGNORE_LABEL);
  let nIds = 0;
  const set = classSets[classSet];
  try {
    const lines = (await fsp.readFile(listFile, 'utf8')).split(/\r?\n/);
    lines.forEach((raw, lineNo) => {
      const name = raw.trim();
      if (!name || name.startsWith('#')) return;
      const id = nIds++;
      if (id > 255) return;
      if (VOID_NAMES.has(norm(name))) return;
      const c19 = CLASS_NAMES_19.findIndex((n) => norm(n) === norm(name));
      if (c19 < 0) {
        setupProblems.push(problem('error', 'bad-class-list', listFile, `line ${lineNo + 1}: '${name}' is not a Cityscapes class name (mask value ${id} will read as void)`));
        return;
      }
      lut[id] = set.from19[c19];
    });
    if (nIds === 0) setupProblems.push(problem('error', 'bad-class-list', listFile, 'class list is empty'));
    if (nIds > 250) setupProblems.push(problem('error', 'bad-class-list', listFile, `${nIds} classes; mask values 250 and up are reserved for void`));
  } catch {
    setupProblems.push(problem('error', 'missing-file', listFile, `class list missing (one class name per line; line k names mask value k)`));
  }
  return {
    lut,
    isKnownId: (v) => v < nIds || v === 250 || v === 255,
    describeId: (id) => `mask value ${id}`,
    setupProblems,
    sizeMismatchSeverity: 'error',
    decodeRawLabel: rawLabel(decodeLabel8),
    async list() {
      const problems: CheckProblem[] = [];
      if (!(await isDir(imgDir))) return { entries: [], problems: [problem('error', 'missing-folder', imgDir, 'images/ folder is missing')] };
      const hasMasks = await isDir(maskDir);
      if (!hasMasks) problems.push(problem('error', 'missing-folder', path.join(ref.root, 'masks'), 'masks/ (or labels/) folder is missing'));
      const images = await walkFiles(imgDir, isImageName, problems);
      const masks = hasMasks ? new Set(await walkFiles(maskDir, (n) => n.toLowerCase().endsWith('.png'), problems)) : new Set<string>();
      const used = new Set<string>();
      const entries: ImageEntry[] = [];
      for (const rel of images) {
        const maskRel = `${stem(rel)}.png`;
        const imagePath = path.join(imgDir, rel);
        const found = masks.has(maskRel);
        if (found) used.add(maskRel);
        else if (hasMasks) problems.push(problem('error', 'unmatched-image', imagePath, `no mask (expected ${path.join(maskDir, maskRel)})`));
        entries.push({ id: rel, name: stem(rel), imagePath, labelPath: found ? path.join(maskDir, maskRel) : null });
      }
      for (const m of masks) if (!used.has(m)) problems.push(problem('warning', 'unmatched-label', path.join(maskDir, m), 'mask without an image'));
      return { entries, problems };
    },
  };
};
