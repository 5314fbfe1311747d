// The edit operations, as data. The same op runs in the renderer (instant feedback) and in main
// (the stored truth, replayed from the edit log after a crash), so ops are small, validated and
// deterministic: the same layers and op always give the same diff.
import { z } from 'zod';
import { buildDiff, type RasterDiff } from './diff';
import { floodFootprint, polygonFootprint, strokeFootprint } from './footprint';
import { IGNORE, type EditLayers } from './raster';

const coord = z.number().finite();
/** A trainId or the ignore value; the service checks it against the workspace's class set. */
export const classIdSchema = z.number().int().min(0).max(IGNORE);
const brushSize = z.number().positive().max(1024);
export const MAX_POINTS = 100_000;
/**
 * A list of [x, y] points, checked by one plain loop: zod's per-element tuple parsing takes most of a
 * second for 100,000 points on the server's main thread, this takes a millisecond.
 */
const pointList = (min: number) =>
  z.custom<[number, number][]>(
    (v) => Array.isArray(v) && v.length >= min && v.length <= MAX_POINTS && v.every((p) => Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1])),
    `expected ${min} to ${MAX_POINTS} points, each [x, y] of finite numbers`,
  );
const strokePoints = pointList(1);

/**
 * Pixel tests one stroke may cost: each segment tests about (size + 1)² pixels, so points × (size + 1)²
 * bounds the work of strokeFootprint (about 0.2 s on one core at this limit, on the server's main
 * thread). A 100,000-point stroke of a 1024 px brush would take minutes. The renderer's largest brush
 * (128) still gets 2,000 points per stroke.
 */
export const STROKE_WORK_LIMIT = 2 ** 25;
const strokeWithinBudget = (op: { points: readonly unknown[]; size: number }) => op.points.length * Math.ceil(op.size + 1) ** 2 <= STROKE_WORK_LIMIT;
const strokeBudget = {
  message: `stroke too large: points × (size + 1)² is over ${STROKE_WORK_LIMIT}; draw it as several strokes`,
  path: ['points'],
};

export const editOpSchema = z.discriminatedUnion('tool', [
  z.object({ tool: z.literal('brush'), points: strokePoints, size: brushSize, classId: classIdSchema }).refine(strokeWithinBudget, strokeBudget),
  /** Restores the starting layer under the stroke and forgets that a person touched it. */
  z.object({ tool: z.literal('eraser'), points: strokePoints, size: brushSize }).refine(strokeWithinBudget, strokeBudget),
  /** Marks pixels as "do not learn from here": ignore label, touched. */
  z.object({ tool: z.literal('ignore'), points: strokePoints, size: brushSize }).refine(strokeWithinBudget, strokeBudget),
  /** Replaces class `from` by `to`, only inside the stroke. */
  z.object({ tool: z.literal('replace'), points: strokePoints, size: brushSize, from: classIdSchema, to: classIdSchema }).refine(strokeWithinBudget, strokeBudget),
  /** 4-connected flood fill of the region sharing the seed pixel's current label. */
  z.object({ tool: z.literal('fill'), x: coord, y: coord, classId: classIdSchema }),
  z.object({
    tool: z.literal('polygon'),
    vertices: pointList(3),
    rule: z.enum(['evenodd', 'nonzero']).default('evenodd'),
    classId: classIdSchema,
  }),
]);
export type EditOp = z.infer<typeof editOpSchema>;
export type ToolName = EditOp['tool'];
export const toolNames = editOpSchema.options.map((o) => o.shape.tool.value) as ToolName[];

/** The diff `op` would make on `layers`; the layers are not modified. */
export function computeEdit(layers: EditLayers, op: EditOp): RasterDiff {
  const { width: w, height: h } = layers;
  switch (op.tool) {
    case 'brush':
      return buildDiff(layers, strokeFootprint(w, h, op.points, op.size), () => op.classId, () => 1);
    case 'eraser':
      return buildDiff(layers, strokeFootprint(w, h, op.points, op.size), (p) => layers.base[p], () => 0);
    case 'ignore':
      return buildDiff(layers, strokeFootprint(w, h, op.points, op.size), () => IGNORE, () => 1);
    case 'replace':
      return buildDiff(
        layers,
        strokeFootprint(w, h, op.points, op.size),
        (_p, cur) => (cur === op.from ? op.to : -1),
        (p, cur) => (cur === op.from ? 1 : layers.touched[p] ? 1 : 0),
      );
    case 'fill':
      return buildDiff(layers, floodFootprint(w, h, layers.labels, op.x, op.y), () => op.classId, () => 1);
    case 'polygon':
      return buildDiff(layers, polygonFootprint(w, h, op.vertices, op.rule), () => op.classId, () => 1);
  }
}

/** A short human summary for the edit log and the history list. */
export function describeOp(op: EditOp): string {
  switch (op.tool) {
    case 'brush':
      return `brush ${op.size}px class ${op.classId}`;
    case 'eraser':
      return `eraser ${op.size}px`;
    case 'ignore':
      return `ignore brush ${op.size}px`;
    case 'replace':
      return `replace ${op.from}→${op.to} in ${op.size}px stroke`;
    case 'fill':
      return `fill class ${op.classId} at (${Math.floor(op.x)}, ${Math.floor(op.y)})`;
    case 'polygon':
      return `polygon (${op.vertices.length} vertices, ${op.rule}) class ${op.classId}`;
  }
}
