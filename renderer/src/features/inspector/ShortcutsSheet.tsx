import { shortcutSheet } from '../viewer/shortcuts';

export function ShortcutsSheet(props: { onClose: () => void }) {
  return (
    <div className="modal-backdrop" onClick={props.onClose} data-testid="shortcuts-sheet">
      <div className="modal" onClick={(e) => e.stopPropagation()}>
        <h3>Keyboard shortcuts</h3>
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
        <button onClick={props.onClose}>Close</button>
      </div>
    </div>
  );
}
