// The inspector's keyboard map, in one table: the key handler and the shortcuts sheet both read it.
export type ShortcutAction =
  | { type: 'nextImage' }
  | { type: 'prevImage' }
  | { type: 'nextWorst' }
  | { type: 'toggleLayer'; n: number }
  | { type: 'opacity'; delta: number }
  | { type: 'zoom'; factor: number }
  | { type: 'fit' }
  | { type: 'pan'; dx: number; dy: number }
  | { type: 'swipe'; delta: number }
  | { type: 'cycleCompare' }
  | { type: 'help' };

export interface KeyLike {
  key: string;
  shiftKey?: boolean;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

export const PAN_STEP = 64;

export const shortcutSheet: { keys: string; what: string }[] = [
  { keys: 'J / →  ·  K / ←', what: 'next / previous image (arrows pan with Shift)' },
  { keys: 'W', what: 'next worst image (lowest mIoU in the triage order)' },
  { keys: '1 … 9', what: 'toggle the n-th layer' },
  { keys: '[  ]', what: 'opacity of the shown layers −/+ 10 %' },
  { keys: '+  −  (or wheel)', what: 'zoom in / out at the centre (wheel: at the cursor)' },
  { keys: '0  or  F', what: 'fit the image to the window' },
  { keys: 'Shift + arrows  (or drag)', what: 'pan' },
  { keys: ',  .', what: 'move the swipe divider' },
  { keys: 'C', what: 'cycle comparison: none → swipe → side by side' },
  { keys: '?', what: 'this sheet' },
];

export function actionForKey(e: KeyLike): ShortcutAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const k = e.key;
  if (e.shiftKey) {
    if (k === 'ArrowLeft') return { type: 'pan', dx: PAN_STEP, dy: 0 };
    if (k === 'ArrowRight') return { type: 'pan', dx: -PAN_STEP, dy: 0 };
    if (k === 'ArrowUp') return { type: 'pan', dx: 0, dy: PAN_STEP };
    if (k === 'ArrowDown') return { type: 'pan', dx: 0, dy: -PAN_STEP };
  }
  if (k >= '1' && k <= '9') return { type: 'toggleLayer', n: Number(k) };
  switch (k) {
    case 'j':
    case 'ArrowRight':
      return { type: 'nextImage' };
    case 'k':
    case 'ArrowLeft':
      return { type: 'prevImage' };
    case 'w':
    case 'W':
      return { type: 'nextWorst' };
    case '[':
      return { type: 'opacity', delta: -0.1 };
    case ']':
      return { type: 'opacity', delta: 0.1 };
    case '+':
    case '=':
      return { type: 'zoom', factor: 1.25 };
    case '-':
    case '_':
      return { type: 'zoom', factor: 0.8 };
    case '0':
    case 'f':
    case 'F':
      return { type: 'fit' };
    case ',':
      return { type: 'swipe', delta: -0.05 };
    case '.':
      return { type: 'swipe', delta: 0.05 };
    case 'c':
    case 'C':
      return { type: 'cycleCompare' };
    case '?':
      return { type: 'help' };
    default:
      return null;
  }
}
