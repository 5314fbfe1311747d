// The `?` sheet: the inspector's keyboard map as a dialog. Esc, the button or a click outside closes it;
// the caller gets focus back (onClose) so the viewer's keys keep working.
import { useEffect, useRef } from 'react';
import { shortcutSheet } from '../viewer/shortcuts';

export function ShortcutsSheet(props: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  // The latest onClose, so the key listener is installed once however often the parent re-renders.
  const onCloseRef = useRef(props.onClose);
  onCloseRef.current = props.onClose;
  const onClose = () => onCloseRef.current();
  useEffect(() => {
    close.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' || e.key === '?') {
        e.preventDefault();
        e.stopPropagation();
        onCloseRef.current();
      }
    };
    // Capture phase: the viewer's own key handler must not see the Esc that closes the sheet.
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);
  return (
    <div className="modal-backdrop" onClick={onClose} data-testid="shortcuts-sheet">
      <div className="modal" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" onClick={(e) => e.stopPropagation()}>
        <h3 id="shortcuts-title">Keyboard shortcuts</h3>
        <table>
          <tbody>
            {shortcutSheet.map((s) => (
              <tr key={s.keys}>
                <td>
                  <kbd>{s.keys}</kbd>
                </td>
                <td>{s.what}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <button ref={close} data-testid="shortcuts-close" onClick={onClose}>
          Close (Esc)
        </button>
      </div>
    </div>
  );
}
