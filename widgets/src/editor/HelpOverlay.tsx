/** The keyboard shortcuts, listed where the learner can find them ("?"). */
export const SHORTCUTS: [string, string][] = [
  ["Drag from palette", "Add a layer where you drop it"],
  ["Double-click palette item", "Add a layer after the selected one"],
  ["Drag output → input handle", "Connect two layers"],
  ["Ctrl+Z", "Undo"],
  ["Ctrl+Shift+Z / Ctrl+Y", "Redo"],
  ["Delete / Backspace", "Delete the selection"],
  ["Ctrl+D", "Duplicate the selection"],
  ["Ctrl+C / Ctrl+V", "Copy / paste the selection"],
  ["Ctrl+A", "Select all"],
  ["Shift+drag / Ctrl+click", "Select many"],
  ["L", "Auto-layout"],
  ["F", "Fit the view"],
  ["?", "Show or hide this help"],
  ["Esc", "Close this help"],
];

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className="dls-help" data-testid="help-overlay" role="dialog" aria-label="Keyboard shortcuts">
      <div className="dls-code-head">
        <h3>Keyboard shortcuts</h3>
        <button type="button" onClick={onClose} data-testid="help-close">
          Close
        </button>
      </div>
      <table>
        <tbody>
          {SHORTCUTS.map(([keys, what]) => (
            <tr key={keys}>
              <td>
                <kbd>{keys}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
