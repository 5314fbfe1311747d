// The deterministic step sequence the crash test's child applies and the parent replays.
import type { EditStep } from '../../shared/annotation/editor';

export function crashStep(i: number, side: number): EditStep {
  if (i % 7 === 6) return { kind: 'undo' };
  const y = ((i * 37) % (side - 20)) + 10;
  return { kind: 'edit', op: { tool: 'brush', points: [[5, y], [side - 5, y + (i % 5)]], size: 3 + (i % 9), classId: (i % 18) + 1 } };
}
