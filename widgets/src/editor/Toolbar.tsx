/** The toolbar: editing actions, templates, and JSON load/save. */
import { memo, useRef } from "react";

export interface ToolbarActions {
  undo: () => void;
  redo: () => void;
  remove: () => void;
  duplicate: () => void;
  group: () => void;
  copy: () => void;
  paste: () => void;
  layout: () => void;
  fit: () => void;
  help: () => void;
  template: (name: string) => void;
  load: (text: string) => void;
  save: () => void;
}

interface Props {
  actions: ToolbarActions;
  canUndo: boolean;
  canRedo: boolean;
  hasSelection: boolean;
  canGroup: boolean;
  canPaste: boolean;
  templates: string[];
}

function Button(props: { id: string; title: string; onClick: () => void; disabled?: boolean; children: string }) {
  return (
    <button
      type="button"
      data-testid={`tb-${props.id}`}
      title={props.title}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      {props.children}
    </button>
  );
}

function ToolbarView({ actions, canUndo, canRedo, hasSelection, canGroup, canPaste, templates }: Props) {
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <div className="dls-toolbar" role="toolbar">
      <Button id="undo" title="Undo (Ctrl+Z)" onClick={actions.undo} disabled={!canUndo}>
        Undo
      </Button>
      <Button id="redo" title="Redo (Ctrl+Shift+Z)" onClick={actions.redo} disabled={!canRedo}>
        Redo
      </Button>
      <span className="dls-sep" />
      <Button id="delete" title="Delete (Del)" onClick={actions.remove} disabled={!hasSelection}>
        Delete
      </Button>
      <Button id="duplicate" title="Duplicate (Ctrl+D)" onClick={actions.duplicate} disabled={!hasSelection}>
        Duplicate
      </Button>
      <Button id="copy" title="Copy (Ctrl+C)" onClick={actions.copy} disabled={!hasSelection}>
        Copy
      </Button>
      <Button id="paste" title="Paste (Ctrl+V)" onClick={actions.paste} disabled={!canPaste}>
        Paste
      </Button>
      <Button
        id="group"
        title="Group the selected layers into a named block (its own nn.Module)"
        onClick={actions.group}
        disabled={!canGroup}
      >
        Group as block
      </Button>
      <span className="dls-sep" />
      <Button id="layout" title="Auto-layout (L)" onClick={actions.layout}>
        Layout
      </Button>
      <Button id="fit" title="Fit view (F)" onClick={actions.fit}>
        Fit
      </Button>
      <span className="dls-sep" />
      <select
        data-testid="tb-template"
        title="Start from an example model"
        value=""
        onChange={(e) => e.target.value && actions.template(e.target.value)}
      >
        <option value="">Templates…</option>
        {templates.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
      <Button id="load" title="Load a graph JSON file" onClick={() => fileInput.current?.click()}>
        Load JSON
      </Button>
      <input
        ref={fileInput}
        type="file"
        accept=".json,application/json"
        style={{ display: "none" }}
        data-testid="tb-load-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = "";
          if (file) void file.text().then(actions.load);
        }}
      />
      <Button id="save" title="Save the graph as JSON" onClick={actions.save}>
        Save JSON
      </Button>
      <span className="dls-sep" />
      <Button id="help" title="Keyboard shortcuts (?)" onClick={actions.help}>
        ?
      </Button>
    </div>
  );
}

export const Toolbar = memo(ToolbarView);
