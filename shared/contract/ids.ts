// Ids that name folders (runs/<id>, exports/<id>, imports/<id>, cache/datasets/<id>) are single safe path
// segments, checked here at the contract boundary before any service sees them. main/io/paths.ts checks
// the same rule again at every join, for ids that arrive by other routes (CLI flags, old files).
import { z } from 'zod';

export const SAFE_ID_MAX = 128;

/** One folder name: letters, digits, '.', '_' and '-', not starting with '.' (so never '.', '..' or hidden). */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

export const isSafeId = (s: string): boolean => s.length >= 1 && s.length <= SAFE_ID_MAX && SAFE_ID_PATTERN.test(s);

export const safeIdMessage = `a single folder name: 1 to ${SAFE_ID_MAX} letters, digits, '.', '_' or '-', not starting with '.'`;

export const safeId = z.string().refine(isSafeId, { message: safeIdMessage });

/** Prefix of a model reference that names an imported checkpoint (<workspace>/imports/<id>/) instead of a run. */
export const IMPORT_PREFIX = 'import:';

/** A model to run inference with: a run id, or `import:<importId>`; either id is a safe folder name. */
export const isModelRef = (s: string): boolean => isSafeId(s.startsWith(IMPORT_PREFIX) ? s.slice(IMPORT_PREFIX.length) : s);

export const modelRef = z.string().refine(isModelRef, { message: `a run id or import:<importId>, each ${safeIdMessage}` });

/** A model reference as part of a folder name: `import:x` becomes `import-x` (':' is not a file name character everywhere). */
export const modelRefFolderName = (ref: string): string => ref.replace(/:/g, '-');
