/**
 * The name box that opens under the toolbar for "Group as block". An inline form rather than
 * window.prompt, which VS Code's notebook webviews do not support.
 */
import { memo, useState } from "react";
import { blockNameProblem } from "../core/blocks";

interface Props {
  count: number;
  initial: string;
  taken: (name: string) => boolean;
  onGroup: (name: string) => void;
  onCancel: () => void;
}

function GroupFormView({ count, initial, taken, onGroup, onCancel }: Props) {
  const [name, setName] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const submit = () => {
    const trimmed = name.trim();
    const why = blockNameProblem(trimmed, taken);
    setProblem(why);
    if (!why) onGroup(trimmed);
  };
  return (
    <form
      className="dls-group-form"
      data-testid="group-form"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          onCancel();
        }
      }}
    >
      <label htmlFor="dls-group-name">
        Group {count} layer{count === 1 ? "" : "s"} as block named
      </label>
      <input
        id="dls-group-name"
        data-testid="group-name"
        value={name}
        autoFocus
        spellCheck={false}
        placeholder="ResBlock"
        onChange={(e) => {
          setName(e.target.value);
          setProblem(null);
        }}
      />
      <button type="submit" data-testid="group-ok">
        Group
      </button>
      <button type="button" data-testid="group-cancel" onClick={onCancel}>
        Cancel
      </button>
      {problem && (
        <span className="dls-bad" data-testid="group-name-error">
          {problem}
        </span>
      )}
    </form>
  );
}

export const GroupForm = memo(GroupFormView);
