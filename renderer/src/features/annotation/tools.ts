// Tool state and keyboard as pure functions (state in → state out), tested without React or canvas.
/** An image-space point (mutable, as the op schemas infer it). */
export type Point = [x: number, y: number];
import type { EditOp } from '../../../../shared/annotation/ops';
import { IGNORE } from '../../../../shared/annotation/raster';

export const toolIds = ['pan', 'brush', 'eraser', 'ignore', 'replace', 'fill', 'polygon'] as const;
export type ToolId = (typeof toolIds)[number];

export const toolInfo: Record<ToolId, { title: string; key: string }> = {
  pan: { title: 'Pan (drag) and zoom (wheel)', key: 'H' },
  brush: { title: 'Brush: paint the selected class', key: 'B' },
  eraser: { title: 'Eraser: back to the starting layer', key: 'E' },
  ignore: { title: 'Ignore brush: do not learn from these pixels', key: 'I' },
  replace: { title: 'Replace: start the stroke on the wrong class, it becomes the selected class under the stroke', key: 'R' },
  fill: { title: 'Flood fill the clicked region (4-connected, same label)', key: 'G' },
  polygon: { title: 'Polygon: click vertices, Enter or double-click to fill, Esc to cancel', key: 'P' },
};

/** Brush diameters in image pixels that `[` and `]` step through. */
export const SIZE_STEPS = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128] as const;

export interface ToolState {
  tool: ToolId;
  size: number;
  classId: number;
  rule: 'evenodd' | 'nonzero';
  /** Opacity of the label layer, 0..1. */
  opacity: number;
}

export const initialToolState = (): ToolState => ({ tool: 'brush', size: 8, classId: 0, rule: 'evenodd', opacity: 0.6 });

export type ToolAction =
  | { type: 'tool'; tool: ToolId }
  | { type: 'size'; step: 1 | -1 }
  | { type: 'class'; classId: number }
  | { type: 'undo' }
  | { type: 'redo' }
  | { type: 'commitPolygon' }
  | { type: 'cancel' };

export function stepSize(size: number, step: 1 | -1): number {
  if (step > 0) return SIZE_STEPS.find((s) => s > size) ?? SIZE_STEPS[SIZE_STEPS.length - 1];
  return [...SIZE_STEPS].reverse().find((s) => s < size) ?? SIZE_STEPS[0];
}

export function reduceTool(s: ToolState, a: ToolAction): ToolState {
  switch (a.type) {
    case 'tool':
      return s.tool === a.tool ? s : { ...s, tool: a.tool };
    case 'size':
      return { ...s, size: stepSize(s.size, a.step) };
    case 'class':
      return { ...s, classId: a.classId };
    default:
      return s;
  }
}

const TOOL_KEYS: Record<string, ToolId> = { h: 'pan', b: 'brush', e: 'eraser', i: 'ignore', r: 'replace', g: 'fill', p: 'polygon' };

/**
 * Number keys pick classes: 1…9 → classes 0…8, 0 → class 9, and with Shift the next ten (Shift+1 → 10).
 * Read from the physical key (`code`) where given, since Shift changes `key` ('!' for Shift+1).
 */
export function classForDigit(e: { key: string; code?: string; shiftKey: boolean }): number | null {
  const m = /^Digit([0-9])$/.exec(e.code ?? '') ?? /^([0-9])$/.exec(e.key);
  if (!m) return null;
  const d = Number(m[1]);
  return (d === 0 ? 9 : d - 1) + (e.shiftKey ? 10 : 0);
}

export function keyAction(e: { key: string; code?: string; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }): ToolAction | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.toLowerCase();
  if (mod && key === 'z') return e.shiftKey ? { type: 'redo' } : { type: 'undo' };
  if (mod && key === 'y') return { type: 'redo' };
  if (mod || e.altKey) return null;
  if (e.key === '[') return { type: 'size', step: -1 };
  if (e.key === ']') return { type: 'size', step: 1 };
  if (e.key === 'Enter') return { type: 'commitPolygon' };
  if (e.key === 'Escape') return { type: 'cancel' };
  const classId = classForDigit(e);
  if (classId !== null) return { type: 'class', classId };
  const tool = TOOL_KEYS[key];
  return tool ? { type: 'tool', tool } : null;
}

/** The op a finished stroke makes with the stroke tools; `fromClass` is the label under the stroke's first point. */
export function strokeOp(s: ToolState, points: Point[], fromClass: number): EditOp | null {
  if (points.length === 0) return null;
  switch (s.tool) {
    case 'brush':
      return { tool: 'brush', points, size: s.size, classId: s.classId };
    case 'eraser':
      return { tool: 'eraser', points, size: s.size };
    case 'ignore':
      return { tool: 'ignore', points, size: s.size };
    case 'replace':
      return fromClass === s.classId ? null : { tool: 'replace', points, size: s.size, from: fromClass, to: s.classId };
    default:
      return null;
  }
}

export const isStrokeTool = (t: ToolId): boolean => t === 'brush' || t === 'eraser' || t === 'ignore' || t === 'replace';

export { IGNORE };
